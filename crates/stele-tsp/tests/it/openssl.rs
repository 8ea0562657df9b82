//! Interoperability with OpenSSL 3 in both directions: tokens from `openssl ts -reply` verify in
//! Stele (and tampered ones do not); tokens from Stele's TSA pass `openssl ts -verify`.

use std::path::Path;
use std::process::Command;

use stele_tsp::{
    verify_response, verify_token, DigestAlgorithm, Integrity, TimeStampRequest, TimeStampResponse,
    TimeStampToken, TokenVerifyOptions, Trust,
};
use time::OffsetDateTime;
use x509_cert::Certificate;

use crate::common::{local_tsa, openssl_available};

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn pem_cert(path: &Path) -> Certificate {
    Certificate::load_pem_chain(&std::fs::read(path).unwrap())
        .unwrap()
        .remove(0)
}

const EXTENSIONS: &str = "\
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[notca_ext]
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[tsa_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

/// An OpenSSL TSA in a temp dir: CA → (optional intermediate) → TSA.
struct OpensslTsa {
    dir: tempfile::TempDir,
}

impl OpensslTsa {
    /// `key`: "rsa" or "ec"; `intermediate`: None, Some(true) (a CA), Some(false) (not a CA).
    fn new(key: &str, digest: &str, ess_alg: &str, intermediate: Option<bool>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("ext.cnf"), EXTENSIONS).unwrap();
        let newkey: Vec<&str> = match key {
            "rsa" => vec!["-newkey", "rsa:2048"],
            _ => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
        };
        let mut args = vec![
            "req",
            "-x509",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=Interop Test CA",
            "-days",
            "3650",
        ];
        args.extend([
            "-newkey",
            "rsa:2048",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        run(d, &args);
        let mut issuer = ("ca.pem", "ca.key");
        if let Some(is_ca) = intermediate {
            run(
                d,
                &[
                    "req",
                    "-new",
                    "-nodes",
                    "-newkey",
                    "rsa:2048",
                    "-keyout",
                    "int.key",
                    "-out",
                    "int.csr",
                    "-subj",
                    "/CN=Interop Intermediate",
                ],
            );
            let ext = if is_ca { "ca_ext" } else { "notca_ext" };
            run(
                d,
                &[
                    "x509",
                    "-req",
                    "-in",
                    "int.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-set_serial",
                    "2",
                    "-out",
                    "int.pem",
                    "-days",
                    "3000",
                    "-extfile",
                    "ext.cnf",
                    "-extensions",
                    ext,
                ],
            );
            issuer = ("int.pem", "int.key");
        }
        let mut args = vec![
            "req",
            "-new",
            "-nodes",
            "-keyout",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            "/CN=Interop OpenSSL TSA",
        ];
        args.extend(newkey);
        run(d, &args);
        run(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "tsa.csr",
                "-CA",
                issuer.0,
                "-CAkey",
                issuer.1,
                "-set_serial",
                "3",
                "-out",
                "tsa.pem",
                "-days",
                "365",
                "-extfile",
                "ext.cnf",
                "-extensions",
                "tsa_ext",
            ],
        );
        let chain = if intermediate.is_some() {
            "chain.pem"
        } else {
            "ca.pem"
        };
        if intermediate.is_some() {
            let mut c = std::fs::read(d.join("int.pem")).unwrap();
            c.extend(std::fs::read(d.join("ca.pem")).unwrap());
            std::fs::write(d.join("chain.pem"), c).unwrap();
        }
        std::fs::write(d.join("tsaserial"), "01\n").unwrap();
        std::fs::write(
            d.join("tsa.cnf"),
            format!(
                "[tsa]\ndefault_tsa = tsa1\n[tsa1]\ndir = {}\nserial = $dir/tsaserial\ncrypto_device = builtin\n\
                 signer_cert = $dir/tsa.pem\ncerts = $dir/{chain}\nsigner_key = $dir/tsa.key\nsigner_digest = {digest}\n\
                 default_policy = 1.2.3.4.1\ndigests = sha1, sha256, sha384, sha512\n\
                 accuracy = secs:1, millisecs:500, microsecs:100\nclock_precision_digits = 3\nordering = yes\n\
                 tsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = {ess_alg}\n",
                d.display()
            ),
        )
        .unwrap();
        OpensslTsa { dir }
    }

    fn path(&self, f: &str) -> std::path::PathBuf {
        self.dir.path().join(f)
    }

    /// Returns (query DER, response DER) for `data`.
    fn stamp(&self, data: &[u8], hash: &str) -> (Vec<u8>, Vec<u8>) {
        let d = self.dir.path();
        std::fs::write(d.join("data.bin"), data).unwrap();
        run(
            d,
            &[
                "ts",
                "-query",
                "-data",
                "data.bin",
                &format!("-{hash}"),
                "-cert",
                "-out",
                "q.tsq",
            ],
        );
        run(
            d,
            &[
                "ts",
                "-reply",
                "-queryfile",
                "q.tsq",
                "-config",
                "tsa.cnf",
                "-out",
                "r.tsr",
            ],
        );
        (
            std::fs::read(d.join("q.tsq")).unwrap(),
            std::fs::read(d.join("r.tsr")).unwrap(),
        )
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[test]
fn openssl_tokens_verify_in_stele() {
    if !openssl_available() {
        println!("skipped: openssl not found");
        return;
    }
    for (key, digest, ess, hash) in [
        ("rsa", "sha256", "sha1", "sha256"),   // signingCertificate (v1)
        ("rsa", "sha512", "sha256", "sha512"), // signingCertificateV2
        ("ec", "sha384", "sha256", "sha384"),  // ECDSA P-384
    ] {
        let o = OpensslTsa::new(key, digest, ess, None);
        let (q, r) = o.stamp(b"archived bytes", hash);
        let req = TimeStampRequest::from_der(&q).unwrap();
        let resp = TimeStampResponse::from_ber(&r).unwrap();
        let v = verify_response(&resp, &req).unwrap_or_else(|e| panic!("{key}/{digest}: {e}"));
        assert_eq!(v.info.policy, "1.2.3.4.1");
        assert!(v.info.ordering);
        assert_eq!(v.info.accuracy.unwrap().millis, 500);
        assert!(v
            .info
            .tsa_name_string()
            .unwrap()
            .contains("Interop OpenSSL TSA"));
        let token = resp.token.unwrap();
        assert!(token.message_imprint().covers(b"archived bytes"));
        let ca = pem_cert(&o.path("ca.pem"));
        let v = verify_token(&token, &TokenVerifyOptions::with_anchors(vec![ca], now()));
        assert_eq!(v.integrity, Integrity::Intact, "{key}/{digest}");
        assert!(
            matches!(&v.trust, Trust::Trusted { anchor } if anchor.contains("Interop Test CA")),
            "{key}/{digest}: {:?}",
            v.trust
        );

        // Tampered: one imprint byte, then one signature byte.
        let der = token.to_der().to_vec();
        let digest_bytes = &token.message_imprint().digest;
        let pos = der
            .windows(digest_bytes.len())
            .position(|w| w == digest_bytes.as_slice())
            .unwrap();
        let mut t = der.clone();
        t[pos + 3] ^= 0x80;
        let v = verify_token(
            &TimeStampToken::from_ber(&t).unwrap(),
            &TokenVerifyOptions::integrity_only(now()),
        );
        assert!(
            matches!(v.integrity, Integrity::Broken(_)),
            "{:?}",
            v.integrity
        );
        let mut t = der.clone();
        let n = t.len();
        t[n - 5] ^= 0x01; // inside the SignerInfo signature, the last field
        let v = verify_token(
            &TimeStampToken::from_ber(&t).unwrap(),
            &TokenVerifyOptions::integrity_only(now()),
        );
        assert!(
            matches!(&v.integrity, Integrity::Broken(r) if r.contains("signature")),
            "{:?}",
            v.integrity
        );
    }
}

#[test]
fn openssl_chains_with_intermediates() {
    if !openssl_available() {
        println!("skipped: openssl not found");
        return;
    }
    // Root → intermediate CA → TSA: trusted with only the root as anchor.
    let o = OpensslTsa::new("rsa", "sha256", "sha256", Some(true));
    let (_, r) = o.stamp(b"x", "sha256");
    let token = TimeStampResponse::from_ber(&r).unwrap().token.unwrap();
    assert_eq!(token.certificates().len(), 3);
    let ca = pem_cert(&o.path("ca.pem"));
    let v = verify_token(
        &token,
        &TokenVerifyOptions::with_anchors(vec![ca.clone()], now()),
    );
    assert!(v.is_trusted(), "{:?}", v.trust);
    // Pinning the TSA certificate itself also works.
    let tsa = pem_cert(&o.path("tsa.pem"));
    assert!(verify_token(&token, &TokenVerifyOptions::with_anchors(vec![tsa], now())).is_trusted());
    // Valid in ten years? The TSA certificate (365 days) will have expired.
    let v = verify_token(
        &token,
        &TokenVerifyOptions::with_anchors(vec![ca.clone()], now() + time::Duration::days(3650)),
    );
    assert!(
        matches!(&v.trust, Trust::Untrusted { reason } if reason.contains("expired") && reason.contains("Interop OpenSSL TSA")),
        "{:?}",
        v.trust
    );
    // A root with the same name but another key: the chain signature does not verify.
    let other = OpensslTsa::new("rsa", "sha256", "sha256", None);
    let fake_root = pem_cert(&other.path("ca.pem"));
    let v = verify_token(
        &token,
        &TokenVerifyOptions::with_anchors(vec![fake_root], now()),
    );
    assert!(
        matches!(&v.trust, Trust::Untrusted { reason } if reason.contains("does not verify")),
        "{:?}",
        v.trust
    );

    // Root → intermediate without basicConstraints CA → TSA: untrusted, issuer not a CA.
    let o = OpensslTsa::new("rsa", "sha256", "sha256", Some(false));
    let (_, r) = o.stamp(b"x", "sha256");
    let token = TimeStampResponse::from_ber(&r).unwrap().token.unwrap();
    let ca = pem_cert(&o.path("ca.pem"));
    let v = verify_token(&token, &TokenVerifyOptions::with_anchors(vec![ca], now()));
    assert_eq!(v.integrity, Integrity::Intact);
    assert!(
        matches!(&v.trust, Trust::Untrusted { reason } if reason.contains("not a CA")),
        "{:?}",
        v.trust
    );
}

#[test]
fn stele_tokens_verify_in_openssl() {
    if !openssl_available() {
        println!("skipped: openssl not found");
        return;
    }
    let start = now() - time::Duration::days(2);
    let (dir, clock, tsa) = local_tsa(start, 1);
    clock.set(now());
    let d = dir.path();
    let data = b"document to seal";
    std::fs::write(d.join("data.bin"), data).unwrap();

    // Stele's own request.
    let req = TimeStampRequest::new(
        DigestAlgorithm::Sha256,
        &DigestAlgorithm::Sha256.digest(data),
    )
    .unwrap();
    let resp_der = tsa.respond(&req.to_der()).unwrap();
    std::fs::write(d.join("resp.tsr"), &resp_der).unwrap();
    std::fs::write(d.join("req.tsq"), req.to_der()).unwrap();
    let token = TimeStampResponse::from_ber(&resp_der)
        .unwrap()
        .token
        .unwrap();
    std::fs::write(d.join("token.der"), token.to_der()).unwrap();

    let ok = |out: std::process::Output| {
        let s = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(s.contains("Verification: OK"), "{s}");
    };
    ok(run(
        d,
        &[
            "ts", "-verify", "-data", "data.bin", "-in", "resp.tsr", "-CAfile", "root.pem",
        ],
    ));
    ok(run(
        d,
        &[
            "ts",
            "-verify",
            "-data",
            "data.bin",
            "-in",
            "token.der",
            "-token_in",
            "-CAfile",
            "root.pem",
        ],
    ));
    ok(run(
        d,
        &[
            "ts",
            "-verify",
            "-queryfile",
            "req.tsq",
            "-in",
            "resp.tsr",
            "-CAfile",
            "root.pem",
        ],
    ));
    let text = run(d, &["ts", "-reply", "-in", "resp.tsr", "-text"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Status: Granted"), "{text}");
    assert!(text.contains(stele_tsp::BUILTIN_TSA_POLICY), "{text}");

    // An OpenSSL request (SHA-512, with certReq) answered by Stele, verified by OpenSSL.
    run(
        d,
        &[
            "ts", "-query", "-data", "data.bin", "-sha512", "-cert", "-out", "o.tsq",
        ],
    );
    let o_resp = tsa
        .respond(&std::fs::read(d.join("o.tsq")).unwrap())
        .unwrap();
    std::fs::write(d.join("o.tsr"), o_resp).unwrap();
    ok(run(
        d,
        &[
            "ts",
            "-verify",
            "-queryfile",
            "o.tsq",
            "-in",
            "o.tsr",
            "-CAfile",
            "root.pem",
        ],
    ));

    // Wrong data is rejected by OpenSSL too.
    std::fs::write(d.join("other.bin"), b"another document").unwrap();
    let out = Command::new("openssl")
        .args([
            "ts",
            "-verify",
            "-data",
            "other.bin",
            "-in",
            "resp.tsr",
            "-CAfile",
            "root.pem",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Verification: OK"));
}
