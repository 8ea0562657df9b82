//! OCSP and CRL fetching against real peers: a test PKI made with `openssl`, `openssl ocsp` as
//! the responder on loopback, and a tiny HTTP server thread serving the CRL.

mod common;

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use common::{cert, free_port, run, serve_http, Responder};
use der::Decode;
use stele_pki::fetch::{FetchConfig, FetchError, RevocationFetcher};
use stele_pki::ocsp::{self, OcspCheckOptions, OcspError, OcspStatus};
use stele_pki::{PathValidator, SignatureError, TrustStore, ValidationOptions};
use time::OffsetDateTime;
use x509_cert::ext::pkix::CrlReason;
use x509_cert::Certificate;

struct Pki {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    ocsp_port: u16,
    crl_port: u16,
}

impl Pki {
    fn new() -> Pki {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let (ocsp_port, crl_port) = (free_port(), free_port());
        let cnf = format!(
            r#"
[ca]
default_ca = int
[int]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
certificate = $dir/int.pem
private_key = $dir/int.key
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_days = 365
default_crl_days = 7
policy = pol_any
unique_subject = no
[root]
dir = {dir}
database = $dir/root-index.txt
new_certs_dir = $dir/newcerts
certificate = $dir/root.pem
private_key = $dir/root.key
serial = $dir/serial
crlnumber = $dir/root-crlnumber
default_md = sha256
default_crl_days = 7
policy = pol_any
[pol_any]
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_ee]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
authorityInfoAccess = OCSP;URI:http://127.0.0.1:{ocsp_port}/
crlDistributionPoints = URI:http://127.0.0.1:{crl_port}/int.crl
[v3_ocsp]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,OCSPSigning
"#,
            dir = dir.display()
        );
        std::fs::write(dir.join("ca.cnf"), cnf).unwrap();
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("serial"), "1000\n").unwrap();
        std::fs::write(dir.join("crlnumber"), "01\n").unwrap();
        std::fs::write(dir.join("root-index.txt"), "").unwrap();
        std::fs::write(dir.join("root-crlnumber"), "01\n").unwrap();
        std::fs::create_dir(dir.join("newcerts")).unwrap();
        let ec = |k: &str| {
            run(
                &dir,
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-out",
                    k,
                ],
            )
        };
        ec("root.key");
        ec("int.key");
        ec("ee.key");
        ec("rev.key");
        // The delegated responder uses RSA so both signature families are exercised.
        run(
            &dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                "ocsp.key",
            ],
        );
        run(
            &dir,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                "root.key",
                "-subj",
                "/CN=Stele Test Root",
                "-days",
                "3650",
                "-extensions",
                "v3_ca",
                "-out",
                "root.pem",
            ],
        );
        run(
            &dir,
            &[
                "req",
                "-new",
                "-key",
                "int.key",
                "-subj",
                "/CN=Stele Test Intermediate",
                "-out",
                "int.csr",
            ],
        );
        run(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                "int.csr",
                "-CA",
                "root.pem",
                "-CAkey",
                "root.key",
                "-set_serial",
                "2",
                "-days",
                "3650",
                "-extfile",
                "ca.cnf",
                "-extensions",
                "v3_ca",
                "-out",
                "int.pem",
            ],
        );
        for (key, cn, ext, out) in [
            ("ee.key", "/CN=Good Signer", "v3_ee", "ee.pem"),
            ("rev.key", "/CN=Revoked Signer", "v3_ee", "rev.pem"),
            (
                "ocsp.key",
                "/CN=Stele Test OCSP Responder",
                "v3_ocsp",
                "ocsp.pem",
            ),
        ] {
            let csr = format!("{out}.csr");
            run(
                &dir,
                &["req", "-new", "-key", key, "-subj", cn, "-out", &csr],
            );
            run(
                &dir,
                &[
                    "ca",
                    "-batch",
                    "-notext",
                    "-config",
                    "ca.cnf",
                    "-extensions",
                    ext,
                    "-in",
                    &csr,
                    "-out",
                    out,
                ],
            );
        }
        run(
            &dir,
            &[
                "ca",
                "-config",
                "ca.cnf",
                "-revoke",
                "rev.pem",
                "-crl_reason",
                "keyCompromise",
            ],
        );
        run(
            &dir,
            &["ca", "-config", "ca.cnf", "-gencrl", "-out", "int.crl.pem"],
        );
        run(
            &dir,
            &[
                "crl",
                "-in",
                "int.crl.pem",
                "-outform",
                "DER",
                "-out",
                "int.crl",
            ],
        );
        run(
            &dir,
            &[
                "ca",
                "-config",
                "ca.cnf",
                "-name",
                "root",
                "-gencrl",
                "-out",
                "root.crl.pem",
            ],
        );
        run(
            &dir,
            &[
                "crl",
                "-in",
                "root.crl.pem",
                "-outform",
                "DER",
                "-out",
                "root.crl",
            ],
        );
        Pki {
            _tmp: tmp,
            dir,
            ocsp_port,
            crl_port,
        }
    }

    fn cert(&self, name: &str) -> Certificate {
        cert(&self.dir, name)
    }
}

fn online(cache_dir: Option<PathBuf>) -> RevocationFetcher {
    RevocationFetcher::new(FetchConfig {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        cache_dir,
        ..FetchConfig::default()
    })
    .unwrap()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

#[test]
fn ocsp_and_crl_against_openssl() {
    let pki = Pki::new();
    let (root, int, ee, rev, responder_cert) = (
        pki.cert("root.pem"),
        pki.cert("int.pem"),
        pki.cert("ee.pem"),
        pki.cert("rev.pem"),
        pki.cert("ocsp.pem"),
    );
    let responder = Responder::start(
        &pki.dir,
        pki.ocsp_port,
        "index.txt",
        "int.pem",
        "ocsp.pem",
        "ocsp.key",
    );
    let cache = pki.dir.join("cache");
    let fetcher = online(Some(cache.clone()));
    let opts = OcspCheckOptions::at(now());

    // Good, via the AIA URL of the certificate, with a nonce, signed by the delegated responder.
    let v = fetcher.check_ocsp(&ee, &int, &opts).unwrap();
    assert_eq!(v.status, OcspStatus::Good);
    assert_eq!(v.responder, responder_cert);
    assert!(v.next_update.is_some());

    // Revoked, with time and reason.
    let v = fetcher.check_ocsp(&rev, &int, &opts).unwrap();
    match v.status {
        OcspStatus::Revoked { time, reason } => {
            assert_eq!(reason, Some(CrlReason::KeyCompromise));
            assert!((now() - time).abs() < time::Duration::hours(1), "{time}");
        }
        other => panic!("expected revoked, got {other:?}"),
    }

    // A response fetched directly: tamper with its signature, then check it far in the future.
    let fetched = fetcher
        .fetch_ocsp(
            &responder.url(),
            &ee,
            &int,
            now() + time::Duration::days(30),
        )
        .unwrap();
    assert!(!fetched.from_cache);
    let (basic, _) = ocsp::parse_response(&fetched.der).unwrap();
    let sig = basic.signature.raw_bytes().to_vec();
    let pos = fetched
        .der
        .windows(sig.len())
        .position(|w| w == sig.as_slice())
        .unwrap();
    let mut tampered = fetched.der.clone();
    tampered[pos + sig.len() / 2] ^= 0x01;
    assert_eq!(
        ocsp::verify_response(&tampered, &ee, &int, &opts),
        Err(OcspError::Signature(SignatureError::Invalid))
    );
    let stale = ocsp::verify_response(
        &fetched.der,
        &ee,
        &int,
        &OcspCheckOptions::at(now() + time::Duration::days(3650)),
    );
    assert!(
        matches!(stale, Err(OcspError::NotFresh { .. })),
        "{stale:?}"
    );
    // The response is about `ee`, not `rev`.
    assert_eq!(
        ocsp::verify_response(&fetched.der, &rev, &int, &opts),
        Err(OcspError::CertIdMismatch)
    );
    // The wrong nonce is refused.
    let mut o = opts.clone();
    o.nonce = Some(vec![1, 2, 3]);
    o.require_nonce = true;
    assert_eq!(
        ocsp::verify_response(&fetched.der, &ee, &int, &o),
        Err(OcspError::NonceMismatch)
    );
    // The algorithm policy judges the signatures seen here: the delegated responder's RSA-2048
    // key is acceptable through 2030 (NIST SP 800-57 time frames) and retired from 2031.
    let policy = stele_pki::AlgorithmPolicy::default();
    let in_2026 = time::macros::datetime!(2026-11-23 0:00 UTC);
    assert_eq!(
        policy.check_signature(
            &basic.signature_algorithm,
            &responder_cert.tbs_certificate.subject_public_key_info,
            in_2026
        ),
        stele_pki::Acceptability::Acceptable
    );
    let v = policy.judge_signature(
        &basic.signature_algorithm,
        &responder_cert.tbs_certificate.subject_public_key_info,
        None,
        time::macros::datetime!(2031-06-01 0:00 UTC),
    );
    assert_eq!(v.algorithm, "RSA-2048 with SHA-256");
    assert_eq!(
        v.acceptability,
        stele_pki::Acceptability::Expired {
            since: time::macros::datetime!(2031-01-01 0:00 UTC)
        }
    );
    assert_eq!(v.retired, Some(stele_pki::Algorithm::Rsa { bits: 2048 }));
    assert_eq!(
        policy.check_signature(
            &ee.signature_algorithm,
            &int.tbs_certificate.subject_public_key_info,
            now()
        ),
        stele_pki::Acceptability::Acceptable
    );
    assert_eq!(
        stele_pki::algorithm_policy::signature_algorithms(
            &basic.signature_algorithm,
            &responder_cert.tbs_certificate.subject_public_key_info
        )
        .unwrap(),
        (
            stele_pki::Algorithm::Rsa { bits: 2048 },
            Some(stele_pki::Algorithm::Hash(
                stele_asn1::DigestAlgorithm::Sha256
            ))
        )
    );

    // The request we send is well-formed DER with the SHA-1 CertID.
    let req = ocsp::build_request(&ee, &int, Some(&[7u8; 16])).unwrap();
    let parsed = x509_ocsp::OcspRequest::from_der(&req.der).unwrap();
    assert_eq!(
        parsed.tbs_request.request_list[0].req_cert,
        ocsp::cert_id(&ee, &int).unwrap()
    );

    // Offline without cache: a clear "not available offline".
    let offline = RevocationFetcher::new(FetchConfig {
        offline: true,
        ..FetchConfig::default()
    })
    .unwrap();
    let e = offline.check_ocsp(&ee, &int, &opts).unwrap_err();
    assert!(matches!(e, FetchError::NotAvailableOffline { .. }), "{e}");
    assert!(e.to_string().contains("not available offline"), "{e}");
    let e = offline.crl_for(&ee, now()).unwrap_err();
    assert!(matches!(e, FetchError::NotAvailableOffline { .. }), "{e}");
    // Offline with the cache directory the online fetcher filled: answers from the cache.
    let offline_cached = RevocationFetcher::new(FetchConfig {
        offline: true,
        cache_dir: Some(cache),
        ..FetchConfig::default()
    })
    .unwrap();
    assert_eq!(
        offline_cached.check_ocsp(&ee, &int, &opts).unwrap().status,
        OcspStatus::Good
    );
    drop(responder);
    // The in-memory cache answers while the responder is gone (nextUpdate not reached).
    assert!(matches!(
        fetcher.check_ocsp(&rev, &int, &opts).unwrap().status,
        OcspStatus::Revoked {
            reason: Some(CrlReason::KeyCompromise),
            ..
        }
    ));

    // The issuer itself as responder is authorised; an end-entity certificate is not.
    let port = free_port();
    let by_issuer = Responder::start(&pki.dir, port, "index.txt", "int.pem", "int.pem", "int.key");
    let v = fetcher
        .check_ocsp_at(&by_issuer.url(), &ee, &int, &opts)
        .unwrap();
    assert_eq!((v.status, v.responder), (OcspStatus::Good, int.clone()));
    drop(by_issuer);
    let port = free_port();
    let rogue = Responder::start(&pki.dir, port, "index.txt", "int.pem", "ee.pem", "ee.key");
    let e = fetcher
        .check_ocsp_at(&rogue.url(), &rev, &int, &opts)
        .unwrap_err();
    assert!(
        matches!(e, FetchError::Ocsp(OcspError::UnauthorisedResponder)),
        "{e}"
    );
    drop(rogue);

    // CRL over loopback HTTP from the distribution point, then used by the path validator.
    let listener = TcpListener::bind(("127.0.0.1", pki.crl_port)).unwrap();
    serve_http(
        listener,
        HashMap::from([(
            "/int.crl".to_string(),
            std::fs::read(pki.dir.join("int.crl")).unwrap(),
        )]),
    );
    let crl = fetcher.crl_for(&ee, now()).unwrap();
    let mut store = TrustStore::new();
    store.add(root.clone());
    let validator = PathValidator::new(store);
    // The root's CRL (for the intermediate) is given as embedded material.
    let root_crl = x509_cert::crl::CertificateList::from_der(
        &std::fs::read(pki.dir.join("root.crl")).unwrap(),
    )
    .unwrap();
    let vo = ValidationOptions::at(now());
    let crls = [crl, root_crl];
    validator
        .validate(&ee, std::slice::from_ref(&int), &crls, &vo)
        .unwrap();
    let e = validator
        .validate(&rev, std::slice::from_ref(&int), &crls, &vo)
        .unwrap_err();
    assert!(
        matches!(e, stele_pki::PathError::Revoked { depth: 0, .. }),
        "{e}"
    );
}

#[test]
fn size_cap_and_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    serve_http(listener, HashMap::new());
    let fetcher = RevocationFetcher::new(FetchConfig {
        connect_timeout: Duration::from_secs(1),
        total_timeout: Duration::from_secs(1),
        max_response_size: 1024,
        ..FetchConfig::default()
    })
    .unwrap();
    let at = now();
    let e = fetcher
        .fetch_crl(&format!("http://127.0.0.1:{port}/big"), at)
        .unwrap_err();
    assert!(matches!(e, FetchError::TooLarge { max: 1024, .. }), "{e}");
    let e = fetcher
        .fetch_crl(&format!("http://127.0.0.1:{port}/slow"), at)
        .unwrap_err();
    assert!(matches!(e, FetchError::Timeout { .. }), "{e}");
    let e = fetcher
        .fetch_crl(&format!("http://127.0.0.1:{port}/missing"), at)
        .unwrap_err();
    assert!(
        matches!(e, FetchError::HttpStatus { status: 404, .. }),
        "{e}"
    );
}

#[test]
fn hostile_responses_do_not_panic() {
    for bad in [
        &b""[..],
        &[0x30, 0x03, 0x0a, 0x01, 0x00],
        &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        &[0x30, 0x03, 0x0a, 0x01, 0x01],
    ] {
        assert!(ocsp::parse_response(bad).is_err());
    }
    assert!(matches!(
        ocsp::parse_response(&[0x30, 0x03, 0x0a, 0x01, 0x03]),
        Err(OcspError::ResponderStatus(_))
    ));
    let big = vec![0u8; ocsp::MAX_RESPONSE_SIZE + 1];
    assert!(matches!(
        ocsp::parse_response(&big),
        Err(OcspError::TooLarge { .. })
    ));
}
