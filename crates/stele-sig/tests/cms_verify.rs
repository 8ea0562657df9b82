//! CMS signer verification against real peers: signatures made by `openssl cms -sign` (RSA,
//! RSA-PSS, EC P-256; SHA-1/256/384/512; detached, enveloping, BER streaming, two signers, no
//! signed attributes) and the signed PDFs of the interop corpus.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use proptest::prelude::*;
use stele_sig::{
    verify_signer, AlgorithmStatus, AttributeCheck, ClaimedSigningTime, ContentOutcome,
    PdfSignatures, SignedDataParts, SignerStatus, SigningCertificateRef,
};

const OPENSSL: &str = "/usr/bin/openssl";
const CONTENT: &[u8] = b"Quyet dinh so 12/QD-UBND: noi dung van ban duoc ky.\n";

struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A fresh file name: tests run in parallel and share the directory.
    fn unique(&self, name: &str) -> PathBuf {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.path(&format!("{n}-{name}"))
    }
}

fn run(args: &[&str]) {
    let out = Command::new(OPENSSL)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed RSA-2048 and EC P-256 signer (subject key identifiers included), made once.
fn pki() -> Option<&'static Pki> {
    static PKI: OnceLock<Option<Pki>> = OnceLock::new();
    PKI.get_or_init(|| {
        if !Path::new(OPENSSL).exists() {
            eprintln!("skipped: {OPENSSL} not found");
            return None;
        }
        let pki = Pki {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        std::fs::write(pki.path("content.txt"), CONTENT).unwrap();
        for (name, key_args) in [
            ("rsa", &["-newkey", "rsa:2048"][..]),
            (
                "ec",
                &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"][..],
            ),
        ] {
            let key = pki.path(&format!("{name}.key"));
            let cert = pki.path(&format!("{name}.pem"));
            let subj = format!("/CN=Stele test {name} signer");
            let mut args = vec!["req", "-x509", "-nodes", "-days", "3650", "-subj", &subj];
            args.extend_from_slice(key_args);
            args.extend_from_slice(&[
                "-keyout",
                key.to_str().unwrap(),
                "-out",
                cert.to_str().unwrap(),
            ]);
            run(&args);
        }
        Some(pki)
    })
    .as_ref()
}

/// `openssl cms -sign` with `signers` (names of key pairs) and extra arguments; DER output.
fn sign(pki: &Pki, signers: &[&str], extra: &[&str]) -> Vec<u8> {
    let out = pki.unique(&format!("out-{}.der", file_name(signers, extra)));
    let content = pki.path("content.txt");
    let mut args: Vec<String> = vec!["cms".into(), "-sign".into(), "-binary".into()];
    args.extend(["-in".into(), content.to_str().unwrap().into()]);
    for s in signers {
        args.push("-signer".into());
        args.push(pki.path(&format!("{s}.pem")).to_str().unwrap().into());
        args.push("-inkey".into());
        args.push(pki.path(&format!("{s}.key")).to_str().unwrap().into());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend([
        "-outform".into(),
        "DER".into(),
        "-out".into(),
        out.to_str().unwrap().into(),
    ]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&refs);
    std::fs::read(out).unwrap()
}

fn file_name(signers: &[&str], extra: &[&str]) -> String {
    let mut s = signers.join("+");
    for e in extra {
        s.push('_');
        s.extend(e.chars().filter(|c| c.is_ascii_alphanumeric()));
    }
    s
}

fn detached(extra: &[&str]) -> bool {
    !extra.contains(&"-nodetach")
}

struct Case {
    name: &'static str,
    signers: &'static [&'static str],
    extra: &'static [&'static str],
    signed_attrs: bool,
    legacy: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "rsa sha256 detached",
        signers: &["rsa"],
        extra: &["-md", "sha256"],
        signed_attrs: true,
        legacy: false,
    },
    Case {
        name: "rsa sha256 enveloping",
        signers: &["rsa"],
        extra: &["-md", "sha256", "-nodetach"],
        signed_attrs: true,
        legacy: false,
    },
    Case {
        name: "rsa sha384",
        signers: &["rsa"],
        extra: &["-md", "sha384"],
        signed_attrs: true,
        legacy: false,
    },
    Case {
        name: "rsa sha512 enveloping",
        signers: &["rsa"],
        extra: &["-md", "sha512", "-nodetach"],
        signed_attrs: true,
        legacy: false,
    },
    Case {
        name: "rsa-pss sha256",
        signers: &["rsa"],
        extra: &["-md", "sha256", "-keyopt", "rsa_padding_mode:pss"],
        signed_attrs: true,
        legacy: false,
    },
    Case {
        name: "ec p-256 sha256",
        signers: &["ec"],
        extra: &["-md", "sha256"],
        signed_attrs: true,
        legacy: false,
    },
    Case {
        name: "ec p-256 sha384 enveloping",
        signers: &["ec"],
        extra: &["-md", "sha384", "-nodetach"],
        signed_attrs: true,
        legacy: false,
    },
    Case {
        name: "ber streaming enveloping",
        signers: &["rsa"],
        extra: &["-md", "sha256", "-nodetach", "-stream"],
        signed_attrs: true,
        legacy: false,
    },
    Case {
        name: "ber streaming ec",
        signers: &["ec"],
        // With DER output OpenSSL encapsulates streamed content even without -nodetach.
        extra: &["-md", "sha256", "-stream", "-nodetach"],
        signed_attrs: true,
        legacy: false,
    },
    Case {
        name: "two signers",
        signers: &["rsa", "ec"],
        extra: &["-md", "sha256"],
        signed_attrs: true,
        legacy: false,
    },
    Case {
        name: "no signed attributes",
        signers: &["rsa"],
        extra: &["-md", "sha256", "-noattr"],
        signed_attrs: false,
        legacy: false,
    },
    Case {
        name: "no signed attributes, ec, enveloping",
        signers: &["ec"],
        extra: &["-md", "sha256", "-noattr", "-nodetach"],
        signed_attrs: false,
        legacy: false,
    },
    Case {
        name: "subject key identifier",
        signers: &["rsa"],
        extra: &["-md", "sha256", "-keyid"],
        signed_attrs: true,
        legacy: false,
    },
    Case {
        name: "sha1",
        signers: &["rsa"],
        extra: &["-md", "sha1"],
        signed_attrs: true,
        legacy: true,
    },
];

fn content_for(extra: &[&str]) -> Option<&'static [u8]> {
    detached(extra).then_some(CONTENT)
}

#[test]
fn openssl_signatures_verify() {
    let Some(pki) = pki() else { return };
    for case in CASES {
        let der = sign(pki, case.signers, case.extra);
        let parts =
            SignedDataParts::from_ber(&der).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(parts.is_detached(), detached(case.extra), "{}", case.name);
        if case.extra.contains(&"-stream") {
            assert!(!parts.input_was_der(), "{}: expected BER", case.name);
        }
        assert_eq!(parts.signer_infos().len(), case.signers.len());
        for i in 0..case.signers.len() {
            let v = verify_signer(&parts, i, content_for(case.extra));
            println!(
                "{}[{i}]: {:?} digest={:?} sig={:?} ess={:?} time={:?}",
                case.name,
                v.status(),
                v.digest_algorithm.as_ref().and_then(|a| a.name),
                v.signature_algorithm.as_ref().and_then(|a| a.name),
                v.signing_certificate_ref,
                v.claimed_signing_time
            );
            assert_eq!(
                v.status(),
                SignerStatus::Valid,
                "{}[{i}]: {v:#?}",
                case.name
            );
            assert_eq!(v.signed_attributes_present, case.signed_attrs);
            assert!(v.signer_certificate.is_some());
            assert_eq!(v.certificates.len(), case.signers.len());
            if case.signed_attrs {
                assert_eq!(v.message_digest, AttributeCheck::Matches);
                assert_eq!(v.content_type, AttributeCheck::Matches);
                assert!(matches!(v.claimed_signing_time, ClaimedSigningTime::At(_)));
                assert!(!matches!(
                    v.signing_certificate_ref,
                    SigningCertificateRef::Mismatch { .. } | SigningCertificateRef::Malformed(_)
                ));
            }
            let status = &v.digest_algorithm.as_ref().unwrap().status;
            assert_eq!(
                *status == AlgorithmStatus::Legacy,
                case.legacy,
                "{}",
                case.name
            );
            assert!(!v.digest_signature_mismatch, "{}", case.name);
            assert!(v.signature_timestamps.is_empty() && v.counter_signatures.is_empty());
        }
    }
}

/// The offset of `needle` in `hay` (unique enough for signature values and content).
fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("needle present")
}

#[test]
fn tampering_is_detected() {
    let Some(pki) = pki() else { return };
    for case in CASES {
        let der = sign(pki, case.signers, case.extra);
        let parts = SignedDataParts::from_ber(&der).unwrap();
        let detached = detached(case.extra);

        // A flipped content byte.
        let mut content = CONTENT.to_vec();
        content[5] ^= 1;
        let (parts_c, given) = if detached {
            (parts.clone(), Some(content.as_slice()))
        } else {
            let mut d = der.clone();
            let at = find(&d, CONTENT) + 5;
            d[at] ^= 1;
            (SignedDataParts::from_ber(&d).unwrap(), None)
        };
        for i in 0..case.signers.len() {
            let v = verify_signer(&parts_c, i, given);
            let want = if case.signed_attrs {
                SignerStatus::HashFailure
            } else {
                SignerStatus::SigCryptoFailure
            };
            assert_eq!(v.status(), want, "{} content[{i}]", case.name);
        }

        // A flipped signature byte.
        for i in 0..case.signers.len() {
            let sig = parts.signer_infos()[i].signature.as_bytes().to_vec();
            let mut d = der.clone();
            let at = find(&d, &sig) + sig.len() / 2;
            d[at] ^= 0x40;
            let p = SignedDataParts::from_ber(&d).unwrap();
            for j in 0..p.signer_infos().len() {
                let v = verify_signer(&p, j, content_for(case.extra));
                let flipped = p.signer_infos()[j].signature.as_bytes() != sig
                    && !parts
                        .signer_infos()
                        .iter()
                        .any(|s| s.signature == p.signer_infos()[j].signature);
                if flipped {
                    assert_eq!(
                        v.status(),
                        SignerStatus::SigCryptoFailure,
                        "{} signature[{i}]",
                        case.name
                    );
                } else {
                    assert_eq!(v.status(), SignerStatus::Valid);
                }
            }
        }

        if detached {
            // Other content entirely, and none at all.
            for i in 0..case.signers.len() {
                let v = verify_signer(&parts, i, Some(b"another document"));
                let want = if case.signed_attrs {
                    SignerStatus::HashFailure
                } else {
                    SignerStatus::SigCryptoFailure
                };
                assert_eq!(v.status(), want, "{} wrong content", case.name);
                let v = verify_signer(&parts, i, None);
                assert_eq!(v.content, ContentOutcome::Missing);
                assert_eq!(v.status(), SignerStatus::ContentMissing);
            }
        } else {
            // Enveloping with other detached content is a conflict, not a silent choice.
            let v = verify_signer(&parts, 0, Some(b"another document"));
            assert_eq!(v.status(), SignerStatus::ContentMissing);
            assert_eq!(
                verify_signer(&parts, 0, Some(CONTENT)).status(),
                SignerStatus::Valid
            );
        }
    }
}

#[test]
fn signer_certificate_not_found_is_explicit() {
    let Some(pki) = pki() else { return };
    let der = sign(pki, &["rsa"], &["-md", "sha256", "-nocerts"]);
    let parts = SignedDataParts::from_ber(&der).unwrap();
    let v = verify_signer(&parts, 0, Some(CONTENT));
    assert_eq!(v.status(), SignerStatus::SignerCertificateNotFound);
    assert_eq!(v.message_digest, AttributeCheck::Matches);
    // Supplied out of band, it verifies.
    let der_path = pki.path("rsa.der");
    run(&[
        "x509",
        "-in",
        pki.path("rsa.pem").to_str().unwrap(),
        "-outform",
        "DER",
        "-out",
        der_path.to_str().unwrap(),
    ]);
    let cert = <x509_cert::Certificate as der::Decode>::from_der(&std::fs::read(der_path).unwrap())
        .unwrap();
    let v = stele_sig::verify_signer_with(&parts, 0, Some(CONTENT), &[cert]);
    assert_eq!(v.status(), SignerStatus::Valid);
    assert_eq!(
        v.signer_certificate_outcome,
        stele_sig::SignerCertificateOutcome::Supplied
    );
    // No such signer.
    let v = verify_signer(&parts, 7, Some(CONTENT));
    assert!(matches!(v.status(), SignerStatus::FormatFailure(_)));
}

/// Two signers, enveloping, the first with a counter-signature: every path of the verifier.
fn fixture() -> Option<&'static Vec<u8>> {
    static F: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    F.get_or_init(|| {
        let pki = pki()?;
        let parent = sign(pki, &["rsa", "ec"], &["-md", "sha256", "-nodetach"]);
        let parts = SignedDataParts::from_ber(&parent).unwrap();
        let sig_value = parts.signer_infos()[0].signature.as_bytes().to_vec();
        Some(with_counter_signature(pki, &parent, &sig_value, &[]))
    })
    .as_ref()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Mutated CMS never panics: it is refused or verified with some outcome.
    #[test]
    fn mutated_cms_never_panics(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let Some(base) = fixture() else { return Ok(()) };
        let mut der = base.clone();
        for (at, byte) in edits {
            let i = at.index(der.len());
            der[i] = byte;
        }
        if truncate {
            der.truncate(cut.index(der.len()));
        }
        if let Ok(parts) = SignedDataParts::from_ber(&der) {
            for i in 0..parts.signer_infos().len() + 1 {
                let v = verify_signer(&parts, i, None);
                let _ = v.status();
                let v = verify_signer(&parts, i, Some(CONTENT));
                let _ = (v.status(), v.proven_time());
            }
        }
    }
}

// ---- the interop PAdES corpus ----

/// Signatures where this verifier and the corpus helper (OpenSSL) disagree on purpose.
/// HU_NET-2 names sha256WithRSAEncryption as its digestAlgorithm: not a digest algorithm, so
/// the messageDigest is not checked (DSS: invalid too).
/// PAdES-BpB-att-SHA256-SHA3_256withRSA labels its signature RSA-with-SHA3-256 but signs SHA-256
/// (the digestAlgorithm): OpenSSL hashes with digestAlgorithm and accepts it; the signature does
/// not verify under the algorithm it names (DSS: invalid too).
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[
    ("pades/Signature-P-HU_NET-2.pdf", "NlSignature551711527623"),
    (
        "pades/dss-1420/PAdES-BpB-att-SHA256-SHA3_256withRSA.pdf",
        "Signature1",
    ),
];

#[test]
fn interop_pades_signatures() {
    let Some(dir) = stele_tests::interop_dir() else {
        println!("skipped: no interop corpus");
        return;
    };
    let manifest = stele_tests::manifest(&dir);
    let mut agreed = 0;
    let mut disagreements = Vec::new();
    for case in manifest["cases"].as_array().unwrap() {
        if case["kind"] != "pades" {
            continue;
        }
        let rel = case["files"][0].as_str().unwrap();
        let verdict = case["expected"]["verdict"].as_str().unwrap_or("unknown");
        let bytes = std::fs::read(dir.join(rel)).unwrap();
        let sigs = match PdfSignatures::extract(&bytes) {
            Ok(s) => s,
            Err(e) => {
                println!("{rel} [{verdict}]: not read: {e}");
                continue;
            }
        };
        let helper = case["helper_analysis"]["sig_dicts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for sig in &sigs {
            let field = sig.field_name.clone().unwrap_or_default();
            let Ok(range) = &sig.byte_range else {
                println!("{rel} [{verdict}] {field}: invalid ByteRange, skipped");
                continue;
            };
            let Some(cms) = sig.cms_bytes() else {
                println!("{rel} [{verdict}] {field}: no /Contents");
                continue;
            };
            let parts = match SignedDataParts::from_ber(cms) {
                Ok(p) => p,
                Err(e) => {
                    println!("{rel} [{verdict}] {field}: CMS not read: {e}");
                    continue;
                }
            };
            let Some([a, b]) = range.signed_bytes(&bytes) else {
                continue;
            };
            let signed = [a, b].concat();
            let is_tst = sig.sub_filter.as_deref() == Some("ETSI.RFC3161");
            // A document timestamp's CMS signs the TSTInfo it encapsulates.
            let detached = (!is_tst).then_some(signed.as_slice());
            let v = verify_signer(&parts, 0, detached);
            let tst_imprint = if is_tst {
                stele_tsp::TimeStampToken::from_ber(cms)
                    .ok()
                    .map(|t| t.message_imprint().covers(&signed))
            } else {
                None
            };
            let ours = v.is_valid() && tst_imprint != Some(false);
            let h = helper
                .iter()
                .find(|d| d["field"].as_str() == Some(field.as_str()));
            let helper_ok =
                h.map(|d| d["openssl_cms_verify"] == true && d["message_digest_matches"] != false);
            println!(
                "{rel} [{verdict}] {field}: {:?} md={:?} sig={:?} ess={:?} time={:?} tst={} proven={:?} cs={} imprint={tst_imprint:?} helper_ok={helper_ok:?}",
                v.status(),
                v.message_digest,
                v.signature_algorithm.as_ref().and_then(|a| a.name),
                v.signing_certificate_ref,
                v.claimed_signing_time,
                v.signature_timestamps
                    .iter()
                    .map(|t| format!("{:?}/{}", t.integrity, t.covers_signature))
                    .collect::<Vec<_>>()
                    .join(","),
                v.proven_time(),
                v.counter_signatures.len(),
            );
            let Some(helper_ok) = helper_ok else { continue };
            if ours == helper_ok {
                agreed += 1;
            } else {
                disagreements.push(format!("{rel} {field}: ours={ours} helper={helper_ok}"));
            }
            let known = KNOWN_DISAGREEMENTS.contains(&(rel, field.as_str()));
            if helper_ok && !known {
                assert!(
                    ours,
                    "{rel} {field}: helper verifies, we say {:?}",
                    v.status()
                );
                for t in &v.signature_timestamps {
                    assert!(t.is_valid_proof(), "{rel} {field}: timestamp {t:?}");
                }
            }
            // Upstream says valid: only "not checked" (an algorithm we do not implement, such
            // as BSI plain-ECDSA) may differ, and it is reported, never a failure verdict.
            if verdict == "valid" && !ours {
                assert!(
                    matches!(v.status(), SignerStatus::NotChecked(_)),
                    "{rel} {field}: verdict valid, we say {:?}",
                    v.status()
                );
                disagreements.push(format!(
                    "{rel} {field}: verdict valid, we say {:?}",
                    v.status()
                ));
            }
        }
    }
    println!("interop: {agreed} signature(s) agree with the helper");
    for d in &disagreements {
        println!("disagreement: {d}");
    }
    assert!(agreed > 20, "only {agreed} agreements");
}

/// A counter-signature (RFC 5652 §11.4) by the EC key over the RSA signer's signature value,
/// made by `openssl cms -sign` over those bytes and grafted into the parent's unsigned
/// attributes (OpenSSL has no command for it).
fn with_counter_signature(pki: &Pki, parent: &[u8], over: &[u8], extra: &[&str]) -> Vec<u8> {
    use der::Encode;
    let value = pki.unique("sigvalue.bin");
    std::fs::write(&value, over).unwrap();
    let out = pki.unique(&format!("counter-{}.der", file_name(&["ec"], extra)));
    let mut args = vec![
        "cms",
        "-sign",
        "-binary",
        "-md",
        "sha256",
        "-in",
        value.to_str().unwrap(),
    ];
    let signer = pki.path("ec.pem");
    let key = pki.path("ec.key");
    args.extend_from_slice(&["-signer", signer.to_str().unwrap()]);
    args.extend_from_slice(&["-inkey", key.to_str().unwrap()]);
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-outform", "DER", "-out", out.to_str().unwrap()]);
    run(&args);
    let counter = SignedDataParts::from_ber(&std::fs::read(out).unwrap()).unwrap();
    let counter_si = counter.signer_infos()[0].to_der().unwrap();

    let certs = counter
        .signed_data()
        .certificates
        .iter()
        .flat_map(|c| c.0.iter().cloned())
        .collect();
    graft_unsigned(
        parent,
        stele_sig::verify::ID_COUNTERSIGNATURE,
        &counter_si,
        certs,
    )
}

/// `parent` with one unsigned attribute `oid` (value `value_der`) on its first signer, and
/// `certs` added to its certificates. Re-encoding keeps the signed attributes' bytes: OpenSSL
/// writes them DER-sorted already.
fn graft_unsigned(
    parent: &[u8],
    oid: der::oid::ObjectIdentifier,
    value_der: &[u8],
    certs: Vec<cms::cert::CertificateChoices>,
) -> Vec<u8> {
    use der::{Decode, Encode};
    let mut ci = cms::content_info::ContentInfo::from_der(parent).unwrap();
    let mut sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
    let mut infos: Vec<_> = sd.signer_infos.0.into_vec();
    let attr = x509_cert::attr::Attribute {
        oid,
        values: der::asn1::SetOfVec::try_from(vec![der::Any::from_der(value_der).unwrap()])
            .unwrap(),
    };
    let mut all: Vec<_> = sd
        .certificates
        .take()
        .map(|c| c.0.into_vec())
        .unwrap_or_default();
    for c in certs {
        if !all.contains(&c) {
            all.push(c);
        }
    }
    sd.certificates = Some(cms::signed_data::CertificateSet(
        der::asn1::SetOfVec::try_from(all).unwrap(),
    ));
    infos[0].unsigned_attrs = Some(der::asn1::SetOfVec::try_from(vec![attr]).unwrap());
    sd.signer_infos = cms::signed_data::SignerInfos(der::asn1::SetOfVec::try_from(infos).unwrap());
    ci.content = der::Any::encode_from(&sd).unwrap();
    ci.to_der().unwrap()
}

const TSA_CONF: &str = "[ req ]
distinguished_name = dn
[ dn ]
[ tsa_ext ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = SERIAL
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
ess_cert_id_alg = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
";

/// An RFC 3161 token from `openssl ts -reply` (a local TSA key) over `data`.
fn openssl_token(pki: &Pki, data: &[u8]) -> Vec<u8> {
    let conf = pki.path("tsa.cnf");
    let serial = pki.path("tsa.serial");
    if !conf.exists() {
        std::fs::write(&serial, "01\n").unwrap();
        std::fs::write(&conf, TSA_CONF.replace("SERIAL", serial.to_str().unwrap())).unwrap();
        let (key, cert) = (pki.path("tsa.key"), pki.path("tsa.pem"));
        run(&[
            "req",
            "-x509",
            "-nodes",
            "-newkey",
            "rsa:2048",
            "-subj",
            "/CN=Stele test TSA",
            "-days",
            "3650",
            "-config",
            conf.to_str().unwrap(),
            "-extensions",
            "tsa_ext",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ]);
    }
    let (input, query, token) = (
        pki.unique("ts.in"),
        pki.unique("ts.tsq"),
        pki.unique("ts.der"),
    );
    std::fs::write(&input, data).unwrap();
    run(&[
        "ts",
        "-query",
        "-data",
        input.to_str().unwrap(),
        "-sha256",
        "-cert",
        "-out",
        query.to_str().unwrap(),
    ]);
    run(&[
        "ts",
        "-reply",
        "-config",
        conf.to_str().unwrap(),
        "-queryfile",
        query.to_str().unwrap(),
        "-signer",
        pki.path("tsa.pem").to_str().unwrap(),
        "-inkey",
        pki.path("tsa.key").to_str().unwrap(),
        "-token_out",
        "-out",
        token.to_str().unwrap(),
    ]);
    std::fs::read(token).unwrap()
}

#[test]
fn signature_timestamps_prove_time() {
    let Some(pki) = pki() else { return };
    let parent = sign(pki, &["ec"], &["-md", "sha256"]);
    let parts = SignedDataParts::from_ber(&parent).unwrap();
    let sig_value = parts.signer_infos()[0].signature.as_bytes().to_vec();
    let id = stele_sig::verify::ID_AA_SIGNATURE_TIME_STAMP_TOKEN;

    let token = openssl_token(pki, &sig_value);
    let cms = graft_unsigned(&parent, id, &token, Vec::new());
    let v = verify_signer(&SignedDataParts::from_ber(&cms).unwrap(), 0, Some(CONTENT));
    assert_eq!(v.status(), SignerStatus::Valid);
    assert_eq!(v.signature_timestamps.len(), 1, "{v:#?}");
    let t = &v.signature_timestamps[0];
    assert!(t.is_valid_proof(), "{t:#?}");
    assert!(v.proven_time().is_some());
    if let ClaimedSigningTime::At(claimed) = v.claimed_signing_time {
        let proven = v.proven_time().unwrap();
        assert!((proven - claimed).whole_seconds().abs() < 600);
    }

    // A token over other bytes proves nothing about this signature.
    let token = openssl_token(pki, b"another signature");
    let cms = graft_unsigned(&parent, id, &token, Vec::new());
    let v = verify_signer(&SignedDataParts::from_ber(&cms).unwrap(), 0, Some(CONTENT));
    let t = &v.signature_timestamps[0];
    assert_eq!(t.integrity, Some(stele_tsp::Integrity::Intact));
    assert!(!t.covers_signature);
    assert_eq!(v.proven_time(), None);

    // Not a token at all: listed with the reason, the signature itself unaffected.
    let cms = graft_unsigned(&parent, id, &[0x30, 0x03, 0x02, 0x01, 0x05], Vec::new());
    let v = verify_signer(&SignedDataParts::from_ber(&cms).unwrap(), 0, Some(CONTENT));
    assert_eq!(v.status(), SignerStatus::Valid);
    assert!(v.signature_timestamps[0].parse.is_err());
}

#[test]
fn counter_signatures_verify_over_the_parent_signature() {
    let Some(pki) = pki() else { return };
    let parent = sign(pki, &["rsa"], &["-md", "sha256", "-nodetach"]);
    let parts = SignedDataParts::from_ber(&parent).unwrap();
    let sig_value = parts.signer_infos()[0].signature.as_bytes().to_vec();

    // Without signed attributes: the signature is over the parent's signature value itself.
    let cms = with_counter_signature(pki, &parent, &sig_value, &["-noattr"]);
    let v = verify_signer(&SignedDataParts::from_ber(&cms).unwrap(), 0, None);
    assert_eq!(v.status(), SignerStatus::Valid, "{v:#?}");
    assert_eq!(v.counter_signatures.len(), 1);
    let cs = &v.counter_signatures[0];
    assert_eq!(cs.content, ContentOutcome::ParentSignature);
    assert_eq!(cs.status(), SignerStatus::Valid, "{cs:#?}");

    // Over other bytes: the counter-signature fails, the parent still verifies.
    let cms = with_counter_signature(pki, &parent, b"not the signature", &["-noattr"]);
    let v = verify_signer(&SignedDataParts::from_ber(&cms).unwrap(), 0, None);
    assert_eq!(v.status(), SignerStatus::Valid);
    assert_eq!(
        v.counter_signatures[0].status(),
        SignerStatus::SigCryptoFailure
    );

    // With OpenSSL's signed attributes: messageDigest covers the signature value, but a
    // counter-signature must not carry contentType (RFC 5652 §11.4).
    let cms = with_counter_signature(pki, &parent, &sig_value, &[]);
    let v = verify_signer(&SignedDataParts::from_ber(&cms).unwrap(), 0, None);
    let cs = &v.counter_signatures[0];
    assert_eq!(cs.message_digest, AttributeCheck::Matches);
    assert_eq!(cs.signature, stele_sig::SignatureCheck::Valid);
    assert!(matches!(cs.content_type, AttributeCheck::Malformed(_)));
    assert!(matches!(cs.status(), SignerStatus::FormatFailure(_)));
}
