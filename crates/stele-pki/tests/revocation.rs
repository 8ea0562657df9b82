//! `validate_detailed` against a real PKI made with `openssl`: OCSP responses from `openssl ocsp`
//! (offline with -reqin/-respout, and as a live responder on loopback), CRLs from `openssl ca`
//! with chosen thisUpdate/nextUpdate, revocation dates set in the CA's index, and an RSA-1024
//! intermediate for the algorithm policy. Nothing about the outcomes is hard-coded in the
//! material: each result comes from validating what openssl produced.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration as StdDuration;

use common::{free_port, run, serve_http, utc, Responder, TempDir};
use der::Encode;
use stele_pki::fetch::{FetchConfig, RevocationFetcher};
use stele_pki::{
    ocsp, AlgorithmPolicy, PathError, PathReport, PathValidator, RevocationInput,
    RevocationInputError, RevocationSource, RevocationState, TrustStore, ValidationOptions,
};
use time::{Duration, OffsetDateTime};
use x509_cert::ext::pkix::CrlReason;
use x509_cert::Certificate;

struct Pki {
    _tmp: TempDir,
    dir: PathBuf,
    /// When the PKI was made (whole seconds); every other time is relative to it.
    now: OffsetDateTime,
    /// When `rev.pem` was revoked (before `now`).
    revoked_at: OffsetDateTime,
    /// The AIA OCSP port of `ee.pem` and `rev.pem`; no test but one listens there.
    ocsp_port: u16,
    /// The CRL distribution point port of the end entities.
    crl_port: u16,
    /// The AIA OCSP port of `fallback.pem`: nothing ever listens there.
    dead_port: u16,
    /// Tests share the PKI and run in parallel; `openssl ca` keeps state in files (CRL number).
    ca_lock: Mutex<()>,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(Pki::new)
}

impl Pki {
    fn new() -> Pki {
        let tmp = TempDir::new();
        let dir = tmp.path.clone();
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
        let (ocsp_port, crl_port, dead_port) = (free_port(), free_port(), free_port());
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
default_days = 3650
default_crl_days = 7
policy = pol_any
unique_subject = no
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
[v3_fallback]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
authorityInfoAccess = OCSP;URI:http://127.0.0.1:{dead_port}/
crlDistributionPoints = URI:http://127.0.0.1:{crl_port}/int.crl
[v3_plain]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
[v3_ocsp]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,OCSPSigning
"#,
            dir = dir.display()
        );
        std::fs::write(dir.join("ca.cnf"), cnf).unwrap();
        for (f, v) in [
            ("index.txt", ""),
            ("root-index.txt", ""),
            ("serial", "1000\n"),
            ("crlnumber", "01\n"),
            ("root-crlnumber", "01\n"),
        ] {
            std::fs::write(dir.join(f), v).unwrap();
        }
        std::fs::create_dir(dir.join("newcerts")).unwrap();
        let key = |name: &str, alg: &str, opt: &str| {
            run(
                &dir,
                &["genpkey", "-algorithm", alg, "-pkeyopt", opt, "-out", name],
            )
        };
        for k in [
            "root.key",
            "int.key",
            "ee.key",
            "rev.key",
            "short.key",
            "fb.key",
        ] {
            key(k, "EC", "ec_paramgen_curve:P-256");
        }
        key("weak-ee.key", "EC", "ec_paramgen_curve:P-256");
        key("ocsp.key", "RSA", "rsa_keygen_bits:2048");
        key("weak-int.key", "RSA", "rsa_keygen_bits:1024");
        let csr = |k: &str, cn: &str, out: &str| {
            run(&dir, &["req", "-new", "-key", k, "-subj", cn, "-out", out])
        };
        let issue = |ca: &str,
                     ext: &str,
                     csr: &str,
                     from: OffsetDateTime,
                     to: OffsetDateTime,
                     out: &str,
                     extra: &[&str]| {
            let (s, e) = (utc(from), utc(to));
            let mut args = vec![
                "ca",
                "-batch",
                "-notext",
                "-config",
                "ca.cnf",
                "-name",
                ca,
                "-extensions",
                ext,
                "-startdate",
                &s,
                "-enddate",
                &e,
                "-in",
                csr,
                "-out",
                out,
            ];
            args.extend_from_slice(extra);
            run(&dir, &args);
        };
        let day = Duration::days(1);
        csr("root.key", "/CN=Stele Revocation Test Root", "root.csr");
        issue(
            "root",
            "v3_ca",
            "root.csr",
            now - 90 * day,
            now + 3650 * day,
            "root.pem",
            &["-selfsign", "-keyfile", "root.key"],
        );
        csr(
            "int.key",
            "/CN=Stele Revocation Test Intermediate",
            "int.csr",
        );
        issue(
            "root",
            "v3_ca",
            "int.csr",
            now - 60 * day,
            now + 3000 * day,
            "int.pem",
            &[],
        );
        csr(
            "weak-int.key",
            "/CN=Weak RSA-1024 Intermediate",
            "weak-int.csr",
        );
        issue(
            "root",
            "v3_ca",
            "weak-int.csr",
            now - 60 * day,
            now + 3000 * day,
            "weak-int.pem",
            &[],
        );
        for (k, cn, ext, from, to, out) in [
            (
                "ee.key",
                "/CN=Good Signer",
                "v3_ee",
                now - 30 * day,
                now + 365 * day,
                "ee.pem",
            ),
            (
                "rev.key",
                "/CN=Revoked Signer",
                "v3_ee",
                now - 30 * day,
                now + 365 * day,
                "rev.pem",
            ),
            // Valid at the historical time, expired before any CRL issued now.
            (
                "short.key",
                "/CN=Expired Signer",
                "v3_ee",
                now - 30 * day,
                now - day,
                "short.pem",
            ),
            (
                "fb.key",
                "/CN=Fallback Signer",
                "v3_fallback",
                now - 30 * day,
                now + 365 * day,
                "fallback.pem",
            ),
            (
                "ocsp.key",
                "/CN=Stele Revocation Test OCSP",
                "v3_ocsp",
                now - 30 * day,
                now + 365 * day,
                "ocsp.pem",
            ),
        ] {
            let c = format!("{out}.csr");
            csr(k, cn, &c);
            issue("int", ext, &c, from, to, out, &[]);
        }
        csr("weak-ee.key", "/CN=Signer under a weak CA", "weak-ee.csr");
        run(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                "weak-ee.csr",
                "-CA",
                "weak-int.pem",
                "-CAkey",
                "weak-int.key",
                "-set_serial",
                "77",
                "-days",
                "365",
                "-sha256",
                "-extfile",
                "ca.cnf",
                "-extensions",
                "v3_plain",
                "-out",
                "weak-ee.pem",
            ],
        );
        // Revoke, then date the revocation two days back in the CA's index, which both the CRL
        // generator and the OCSP responder read.
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
        let revoked_at = now - 2 * day;
        let index = std::fs::read_to_string(dir.join("index.txt")).unwrap();
        let index: String = index
            .lines()
            .map(|l| {
                let mut cols: Vec<String> = l.split('\t').map(str::to_string).collect();
                if cols[0] == "R" {
                    cols[2] = format!("{},keyCompromise", utc(revoked_at));
                }
                cols.join("\t") + "\n"
            })
            .collect();
        std::fs::write(dir.join("index.txt"), index).unwrap();
        Pki {
            _tmp: tmp,
            dir,
            now,
            revoked_at,
            ocsp_port,
            crl_port,
            dead_port,
            ca_lock: Mutex::new(()),
        }
    }

    fn cert(&self, name: &str) -> Certificate {
        common::cert(&self.dir, name)
    }

    fn der(&self, name: &str) -> Vec<u8> {
        self.cert(name).to_der().unwrap()
    }

    /// A CRL (DER) of CA `ca` ("int" or "root") with the given thisUpdate and nextUpdate.
    fn crl(&self, ca: &str, this_update: OffsetDateTime, next_update: OffsetDateTime) -> Vec<u8> {
        let _guard = self.ca_lock.lock().unwrap_or_else(|e| e.into_inner());
        let name = format!("{ca}-{}-{}", utc(this_update), utc(next_update));
        let (pem, der) = (format!("{name}.crl.pem"), format!("{name}.crl"));
        let (l, n) = (utc(this_update), utc(next_update));
        run(
            &self.dir,
            &[
                "ca",
                "-config",
                "ca.cnf",
                "-name",
                ca,
                "-gencrl",
                "-crl_lastupdate",
                &l,
                "-crl_nextupdate",
                &n,
                "-out",
                &pem,
            ],
        );
        run(
            &self.dir,
            &["crl", "-in", &pem, "-outform", "DER", "-out", &der],
        );
        std::fs::read(self.dir.join(der)).unwrap()
    }

    /// An OCSP response (DER) about `cert` made now by `openssl ocsp` without a server: for
    /// certificates of the intermediate by its delegated responder, for the intermediate by
    /// the root itself.
    fn ocsp(&self, cert: &str) -> Vec<u8> {
        let (index, ca, signer, key) = if cert.starts_with("int") {
            ("root-index.txt", "root.pem", "root.pem", "root.key")
        } else {
            ("index.txt", "int.pem", "ocsp.pem", "ocsp.key")
        };
        let _guard = self.ca_lock.lock().unwrap_or_else(|e| e.into_inner());
        let req = format!("{cert}.req");
        let resp = format!(
            "{cert}.{}.ocsp",
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        );
        run(
            &self.dir,
            &[
                "ocsp",
                "-issuer",
                ca,
                "-cert",
                cert,
                "-no_nonce",
                "-reqout",
                &req,
            ],
        );
        run(
            &self.dir,
            &[
                "ocsp", "-index", index, "-CA", ca, "-rsigner", signer, "-rkey", key, "-reqin",
                &req, "-respout", &resp, "-ndays", "1",
            ],
        );
        std::fs::read(self.dir.join(resp)).unwrap()
    }

    fn validator(&self) -> PathValidator {
        let mut store = TrustStore::new();
        store.add(self.cert("root.pem"));
        PathValidator::new(store)
    }

    /// A time at which OCSP responses made during the test are current.
    fn current(&self) -> OffsetDateTime {
        self.now + Duration::minutes(30)
    }

    /// The signature time of historical validations: all end entities were valid, `rev.pem`
    /// not yet revoked, and no CRL or OCSP response made now is current.
    fn past(&self) -> OffsetDateTime {
        self.now - Duration::days(5)
    }

    fn validate(
        &self,
        ee: &str,
        input: &RevocationInput<'_>,
        opts: &ValidationOptions,
        policy: Option<&AlgorithmPolicy>,
    ) -> PathReport {
        let ints = [self.cert("int.pem"), self.cert("weak-int.pem")];
        self.validator()
            .validate_detailed(&self.cert(ee), &ints, input, opts, policy)
    }
}

fn input(crls: &[&[u8]], ocsp: &[&[u8]]) -> RevocationInput<'static> {
    let mut i = RevocationInput::new();
    for c in crls {
        i.add_crl_der(c).unwrap();
    }
    for o in ocsp {
        i.add_ocsp_der(o).unwrap();
    }
    i
}

fn set(items: &[Vec<u8>]) -> BTreeSet<Vec<u8>> {
    items.iter().cloned().collect()
}

fn historical(at: OffsetDateTime) -> ValidationOptions {
    let mut o = ValidationOptions::at(at);
    o.accept_revocation_issued_after = true;
    o
}

#[test]
fn good_via_ocsp_only() {
    let p = pki();
    let (ee_resp, int_resp) = (p.ocsp("ee.pem"), p.ocsp("int.pem"));
    // The intermediate's response given bare, as CAdES revocation values carry it.
    let (_, int_basic) = ocsp::parse_response(&int_resp).unwrap();
    let r = p.validate(
        "ee.pem",
        &input(&[], &[&ee_resp, &int_basic]),
        &ValidationOptions::at(p.current()),
        Some(&AlgorithmPolicy::default()),
    );
    let path = r.outcome.as_ref().unwrap();
    assert_eq!(path.chain.len(), 3);
    assert_eq!(
        r.chain,
        vec![p.der("ee.pem"), p.der("int.pem"), p.der("root.pem")]
    );
    assert_eq!(r.revocation.len(), 2);
    for (depth, s) in r.revocation.iter().enumerate() {
        assert_eq!(
            (s.depth, s.source, s.status),
            (depth, RevocationSource::Ocsp, RevocationState::Good)
        );
        assert!(
            s.issued >= p.now && s.issued <= OffsetDateTime::now_utc(),
            "{s:?}"
        );
        assert_eq!(s.next_update, Some(s.issued + Duration::days(1)));
        assert!(s.produced_at.is_some());
    }
    // Exactly what was relied on: no CRL, both responses (the bare one wrapped, its signed bytes
    // unchanged), the chain and the delegated responder's certificate.
    assert!(r.used.crls.is_empty());
    assert_eq!(
        set(&r.used.ocsp_responses),
        set(&[ee_resp.clone(), int_resp.clone()])
    );
    let wrapped = &r.used.ocsp_responses[r.revocation[1].evidence[0]];
    assert_eq!(ocsp::parse_response(wrapped).unwrap().1, int_basic);
    assert_eq!(r.used.ocsp_responses[r.revocation[0].evidence[0]], ee_resp);
    assert_eq!(
        set(&r.used.certificates),
        set(&[
            p.der("ee.pem"),
            p.der("int.pem"),
            p.der("root.pem"),
            p.der("ocsp.pem")
        ])
    );
    assert!(r.fetch_failures.is_empty(), "{:?}", r.fetch_failures);

    // Without evidence for the intermediate, nothing settles it.
    let r = p.validate(
        "ee.pem",
        &input(&[], &[&ee_resp]),
        &ValidationOptions::at(p.current()),
        None,
    );
    assert_eq!(r.outcome, Err(PathError::RevocationUnknown { depth: 1 }));
    assert_eq!(
        r.chain.len(),
        3,
        "the chain tried is reported on failure too"
    );
}

#[test]
fn used_holds_exactly_the_blobs_relied_upon() {
    let p = pki();
    let at = p.current();
    let week = Duration::days(7);
    let root_crl = p.crl("root", p.now, p.now + week);
    let int_crl = p.crl("int", p.now, p.now + week);
    let (ee_resp, rev_resp, int_resp) = (p.ocsp("ee.pem"), p.ocsp("rev.pem"), p.ocsp("int.pem"));
    // Embedded CRLs come first and settle both certificates: no OCSP response is relied on.
    let r = p.validate(
        "ee.pem",
        &input(&[&root_crl, &int_crl], &[&rev_resp, &int_resp, &ee_resp]),
        &ValidationOptions::at(at),
        None,
    );
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    assert_eq!(set(&r.used.crls), set(&[root_crl.clone(), int_crl.clone()]));
    assert!(r.used.ocsp_responses.is_empty());
    assert_eq!(
        set(&r.used.certificates),
        set(&[p.der("ee.pem"), p.der("int.pem"), p.der("root.pem")])
    );
    assert!(r
        .revocation
        .iter()
        .all(|s| s.source == RevocationSource::Crl));
    assert_eq!(r.used.crls[r.revocation[0].evidence[0]], int_crl);
    assert_eq!(r.used.crls[r.revocation[1].evidence[0]], root_crl);
    // The root's CRL for the intermediate, OCSP for the end entity; the unrelated responses
    // (for another certificate, and for the intermediate, already settled) are not in `used`.
    let r = p.validate(
        "ee.pem",
        &input(&[&root_crl], &[&rev_resp, &int_resp, &ee_resp]),
        &ValidationOptions::at(at),
        None,
    );
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    assert_eq!(r.used.crls, vec![root_crl]);
    assert_eq!(r.used.ocsp_responses, vec![ee_resp]);
    assert_eq!(
        set(&r.used.certificates),
        set(&[
            p.der("ee.pem"),
            p.der("int.pem"),
            p.der("root.pem"),
            p.der("ocsp.pem")
        ])
    );
    assert_eq!(
        (r.revocation[0].source, r.revocation[1].source),
        (RevocationSource::Ocsp, RevocationSource::Crl)
    );
}

#[test]
fn revoked_via_ocsp_before_the_time() {
    let p = pki();
    let (rev_resp, int_resp) = (p.ocsp("rev.pem"), p.ocsp("int.pem"));
    let input = input(&[], &[&rev_resp, &int_resp]);
    let expected = PathError::Revoked {
        depth: 0,
        date: p.revoked_at,
        reason: Some(CrlReason::KeyCompromise),
    };
    for opts in [
        ValidationOptions::at(p.current()),
        historical(p.now - Duration::days(1)),
    ] {
        let r = p.validate("rev.pem", &input, &opts, None);
        assert_eq!(r.outcome, Err(expected.clone()));
        let s = &r.revocation[0];
        assert_eq!((s.depth, s.source), (0, RevocationSource::Ocsp));
        assert_eq!(
            s.status,
            RevocationState::Revoked {
                date: p.revoked_at,
                reason: Some(CrlReason::KeyCompromise)
            }
        );
        assert_eq!(r.used.ocsp_responses[s.evidence[0]], rev_resp);
        assert_eq!(r.chain.len(), 3);
    }
    assert!(expected.to_string().contains("revoked"));
}

#[test]
fn revocation_after_the_time_is_a_fact_only_with_the_option() {
    let p = pki();
    let (rev_resp, int_resp) = (p.ocsp("rev.pem"), p.ocsp("int.pem"));
    let input = input(&[], &[&rev_resp, &int_resp]);
    // RFC 5280 semantics: responses made now are not current at the signature time.
    let r = p.validate("rev.pem", &input, &ValidationOptions::at(p.past()), None);
    assert_eq!(r.outcome, Err(PathError::RevocationUnknown { depth: 1 }));
    assert!(
        r.notes.iter().any(|n| n.contains("not current")),
        "{:?}",
        r.notes
    );
    // Historical validation: issued after the signature time, they prove its status then.
    let r = p.validate("rev.pem", &input, &historical(p.past()), None);
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    assert_eq!(
        r.revocation[0].status,
        RevocationState::RevokedAfter {
            date: p.revoked_at,
            reason: Some(CrlReason::KeyCompromise)
        }
    );
    assert_eq!(r.revocation[1].status, RevocationState::Good);
    assert!(r.revocation.iter().all(|s| s.issued > p.past()));
}

#[test]
fn crl_issued_after_the_time_only_with_the_option() {
    let p = pki();
    let week = Duration::days(7);
    let (root_crl, int_crl) = (
        p.crl("root", p.now, p.now + week),
        p.crl("int", p.now, p.now + week),
    );
    let input = input(&[&root_crl, &int_crl], &[]);
    let r = p.validate("ee.pem", &input, &ValidationOptions::at(p.past()), None);
    assert_eq!(r.outcome, Err(PathError::RevocationUnknown { depth: 1 }));
    let r = p.validate("ee.pem", &input, &historical(p.past()), None);
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    assert!(r
        .revocation
        .iter()
        .all(|s| s.source == RevocationSource::Crl && s.status == RevocationState::Good));
    assert_eq!(r.revocation[0].issued, p.now);
    assert_eq!(r.revocation[0].next_update, Some(p.now + week));
    // The revoked certificate: listed with a date after the signature time.
    let r = p.validate("rev.pem", &input, &historical(p.past()), None);
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    assert_eq!(
        r.revocation[0].status,
        RevocationState::RevokedAfter {
            date: p.revoked_at,
            reason: Some(CrlReason::KeyCompromise)
        }
    );
    // A certificate that expired before the CRL was issued may have been dropped from it.
    let r = p.validate("short.pem", &input, &historical(p.past()), None);
    assert_eq!(r.outcome, Err(PathError::RevocationUnknown { depth: 0 }));
    // A CRL current at the signature time is accepted without the option.
    let old = p.crl(
        "int",
        p.past() - Duration::days(1),
        p.past() + Duration::days(6),
    );
    let root_old = p.crl(
        "root",
        p.past() - Duration::days(1),
        p.past() + Duration::days(6),
    );
    let r = p.validate(
        "ee.pem",
        &self::input(&[&root_old, &old], &[]),
        &ValidationOptions::at(p.past()),
        None,
    );
    assert!(r.outcome.is_ok(), "{:?}", r.outcome);
    assert_eq!(set(&r.used.crls), set(&[root_old, old]));
}

#[test]
fn offline_fetcher_with_an_empty_cache_says_why() {
    let p = pki();
    let root_crl = p.crl("root", p.now, p.now + Duration::days(7));
    let offline = RevocationFetcher::new(FetchConfig {
        offline: true,
        ..FetchConfig::default()
    })
    .unwrap();
    let input = input(&[&root_crl], &[]).with_fetcher(&offline);
    let r = p.validate("ee.pem", &input, &ValidationOptions::at(p.current()), None);
    assert_eq!(r.outcome, Err(PathError::RevocationUnknown { depth: 0 }));
    let ocsp_url = format!("http://127.0.0.1:{}/", p.ocsp_port);
    let crl_url = format!("http://127.0.0.1:{}/int.crl", p.crl_port);
    assert_eq!(r.fetch_failures.len(), 2, "{:?}", r.fetch_failures);
    assert!(
        r.fetch_failures[0].contains("not available offline")
            && r.fetch_failures[0].contains(&ocsp_url)
    );
    assert!(
        r.fetch_failures[1].contains("not available offline")
            && r.fetch_failures[1].contains(&crl_url)
    );
    // What had been established before the failure is kept: the intermediate via the root CRL.
    assert_eq!(r.chain.len(), 3);
    assert_eq!(r.used.crls, vec![root_crl]);
    assert_eq!(r.revocation.len(), 1);
    assert_eq!(r.revocation[0].depth, 1);
}

#[test]
fn fetches_ocsp_online_then_serves_it_offline() {
    let p = pki();
    let root_crl = p.crl("root", p.now, p.now + Duration::days(7));
    let responder = Responder::start(
        &p.dir,
        p.ocsp_port,
        "index.txt",
        "int.pem",
        "ocsp.pem",
        "ocsp.key",
    );
    let cache = p.dir.join(format!("cache-{}", p.ocsp_port));
    let online = RevocationFetcher::new(FetchConfig {
        connect_timeout: StdDuration::from_secs(2),
        total_timeout: StdDuration::from_secs(5),
        cache_dir: Some(cache.clone()),
        ..FetchConfig::default()
    })
    .unwrap();
    let at = OffsetDateTime::now_utc();
    let i = input(&[&root_crl], &[]).with_fetcher(&online);
    let r = p.validate("ee.pem", &i, &ValidationOptions::at(at), None);
    assert!(r.outcome.is_ok(), "{:?} {:?}", r.outcome, r.fetch_failures);
    assert!(r.fetch_failures.is_empty());
    assert_eq!(r.used.ocsp_responses.len(), 1);
    assert_eq!(r.revocation[0].source, RevocationSource::Ocsp);
    let fetched = r.used.ocsp_responses[0].clone();
    let r = p.validate("rev.pem", &i, &ValidationOptions::at(at), None);
    assert!(
        matches!(r.outcome, Err(PathError::Revoked { depth: 0, .. })),
        "{:?}",
        r.outcome
    );
    drop(responder);
    // Offline, the cache directory the online fetcher filled still answers.
    let offline = RevocationFetcher::new(FetchConfig {
        offline: true,
        cache_dir: Some(cache),
        ..FetchConfig::default()
    })
    .unwrap();
    let r = p.validate(
        "ee.pem",
        &input(&[&root_crl], &[]).with_fetcher(&offline),
        &ValidationOptions::at(at),
        None,
    );
    assert!(r.outcome.is_ok(), "{:?} {:?}", r.outcome, r.fetch_failures);
    assert_eq!(r.used.ocsp_responses, vec![fetched]);
}

#[test]
fn falls_back_to_the_crl_distribution_point() {
    let p = pki();
    let week = Duration::days(7);
    let (root_crl, int_crl) = (
        p.crl("root", p.now, p.now + week),
        p.crl("int", p.now, p.now + week),
    );
    let listener = TcpListener::bind(("127.0.0.1", p.crl_port)).unwrap();
    serve_http(
        listener,
        HashMap::from([("/int.crl".to_string(), int_crl.clone())]),
    );
    let fetcher = RevocationFetcher::new(FetchConfig {
        connect_timeout: StdDuration::from_secs(2),
        total_timeout: StdDuration::from_secs(5),
        ..FetchConfig::default()
    })
    .unwrap();
    let r = p.validate(
        "fallback.pem",
        &input(&[&root_crl], &[]).with_fetcher(&fetcher),
        &ValidationOptions::at(p.current()),
        None,
    );
    assert!(r.outcome.is_ok(), "{:?} {:?}", r.outcome, r.fetch_failures);
    // The OCSP responder could not be reached: said so, then the CRL settled it.
    assert_eq!(r.fetch_failures.len(), 1, "{:?}", r.fetch_failures);
    assert!(r.fetch_failures[0].contains(&format!("127.0.0.1:{}", p.dead_port)));
    assert_eq!(set(&r.used.crls), set(&[root_crl, int_crl.clone()]));
    assert_eq!(r.revocation[0].source, RevocationSource::Crl);
    assert_eq!(r.used.crls[r.revocation[0].evidence[0]], int_crl);
}

#[test]
fn retired_algorithm_in_the_chain() {
    let p = pki();
    let mut opts = ValidationOptions::at(p.current());
    opts.require_revocation = false;
    let policy = AlgorithmPolicy::default();
    // The RSA-1024 intermediate signed this certificate: retired since 2014 (NIST SP 800-57).
    let r = p.validate("weak-ee.pem", &RevocationInput::new(), &opts, Some(&policy));
    let e = r.outcome.unwrap_err();
    match &e {
        PathError::AlgorithmRetired {
            depth,
            algorithm,
            retired,
        } => {
            assert_eq!(*depth, 0);
            assert!(
                algorithm.starts_with("RSA-1024 with SHA-256"),
                "{algorithm}"
            );
            assert_eq!(*retired, time::macros::datetime!(2014-01-01 0:00 UTC));
        }
        other => panic!("expected AlgorithmRetired, got {other:?}"),
    }
    assert!(e.to_string().contains("RSA-1024"), "{e}");
    assert_eq!(r.chain[1], p.der("weak-int.pem"));
    // Without a policy, or with one that keeps RSA-1024, the same chain validates; so does
    // the P-256 chain under the default policy.
    assert!(p
        .validate("weak-ee.pem", &RevocationInput::new(), &opts, None)
        .outcome
        .is_ok());
    let lenient = AlgorithmPolicy::from_toml("[signature]\nrsa-1024 = \"never\"\n").unwrap();
    assert!(p
        .validate(
            "weak-ee.pem",
            &RevocationInput::new(),
            &opts,
            Some(&lenient)
        )
        .outcome
        .is_ok());
    assert!(p
        .validate("ee.pem", &RevocationInput::new(), &opts, Some(&policy))
        .outcome
        .is_ok());
    // Before 2014 the RSA-1024 signature would have been acceptable: the check is dated.
    let weak = p.cert("weak-ee.pem");
    let int = p.cert("weak-int.pem");
    let v = policy.judge_signature(
        &weak.signature_algorithm,
        &int.tbs_certificate.subject_public_key_info,
        None,
        time::macros::datetime!(2013-06-01 0:00 UTC),
    );
    assert_eq!(v.acceptability, stele_pki::Acceptability::Acceptable);
}

#[test]
fn hostile_embedded_material_is_refused_not_panicked_on() {
    let mut i = RevocationInput::new();
    for bad in [
        &b""[..],
        &[0x30, 0x03, 0x0a, 0x01, 0x00],
        &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
    ] {
        assert!(matches!(
            i.add_crl_der(bad),
            Err(RevocationInputError::Crl(_))
        ));
        assert!(matches!(
            i.add_ocsp_der(bad),
            Err(RevocationInputError::Ocsp(_))
        ));
    }
    // A refused (unsuccessful) OCSPResponse.
    assert!(matches!(
        i.add_ocsp_der(&[0x30, 0x03, 0x0a, 0x01, 0x03]),
        Err(RevocationInputError::Ocsp(_))
    ));
    assert_eq!(i.ocsp_count(), 0);
    let p = pki();
    let crl = p.crl("root", p.now, p.now + Duration::days(7));
    for _ in 0..stele_pki::MAX_EMBEDDED_REVOCATION {
        i.add_crl_der(&crl).unwrap();
    }
    assert_eq!(
        i.add_crl_der(&crl),
        Err(RevocationInputError::TooMany {
            max: stele_pki::MAX_EMBEDDED_REVOCATION
        })
    );
}
