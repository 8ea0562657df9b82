//! `stele check` against documents signed by real peers: PDFs signed by pyHanko (the leader's
//! personal certificate, then the agency's organisation certificate), CMS made by `openssl cms`,
//! with revocation answered by `openssl ocsp` and CRLs served over loopback HTTP. Where a peer
//! can judge the same file (pyHanko validate, `openssl cms -verify`), its verdict is compared.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use stele_tests::pki::{pyhanko, Cert, TestPki};
use stele_tests::{describe, stele};

fn schema_validator() -> &'static jsonschema::Validator {
    static V: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/signature-report.schema.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("schema"))
            .expect("schema JSON");
        jsonschema::validator_for(&schema).expect("valid schema")
    })
}

/// Runs `stele check --json` with `args`; returns the exit code and the schema-valid report.
fn check<I, S>(args: I) -> (i32, Value)
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut all: Vec<std::ffi::OsString> = vec!["check".into(), "--json".into()];
    all.extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
    let out = stele(&all);
    let code = out.status.code().expect("exit code");
    assert!(code == 0 || code == 1, "{all:?}: {}", describe(&out));
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", describe(&out)));
    let errors: Vec<String> = schema_validator()
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "schema: {errors:?}\n{report:#}");
    (code, report)
}

fn sig<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no signature {id} in {report:#}"))
}

fn verdict(s: &Value) -> String {
    match s["sub_indication"].as_str() {
        Some(sub) => format!("{}/{sub}", s["indication"].as_str().unwrap_or("")),
        None => s["indication"].as_str().unwrap_or("").to_string(),
    }
}

/// `--trust <root> --cache <dir>` plus `extra`.
fn trusted(pki: &TestPki, cache: &Path, extra: &[&OsStr]) -> Vec<std::ffi::OsString> {
    let mut v: Vec<std::ffi::OsString> = vec![
        "--trust".into(),
        pki.trust_anchor().into(),
        "--cache".into(),
        cache.into(),
    ];
    v.extend(extra.iter().map(|s| s.to_os_string()));
    v
}

#[test]
fn pyhanko_pdf_signed_by_leader_then_agency() {
    let Some(ph) = pyhanko() else { return };
    let pki = TestPki::shared();
    let services = pki.start_services();
    let pdfs = ph.shared_pdfs();
    let cache = tempfile::tempdir().expect("tempdir");

    // Both signatures pass, online: revocation comes from the loopback OCSP responder.
    let mut args = trusted(pki, cache.path(), &[]);
    args.push(pdfs.leader_agency.clone().into());
    let (code, r) = check(&args);
    assert_eq!(code, 0, "{r:#}");
    let (sig1, sig2) = (sig(&r, "Sig1"), sig(&r, "Sig2"));
    assert_eq!(verdict(sig1), "PASSED", "{sig1:#}");
    assert_eq!(verdict(sig2), "PASSED", "{sig2:#}");
    assert_eq!(sig1["signer"]["holder"], "personal", "{sig1:#}");
    assert_eq!(sig1["signer"]["name"], "Nguyễn Văn An");
    assert_eq!(sig2["signer"]["holder"], "organisation", "{sig2:#}");
    assert_eq!(sig2["signer"]["name"], "UBND tỉnh Hà Giang");
    assert_eq!(r["personal_and_organisation_signed"], true);
    assert_eq!(sig1["signer"]["certificate"]["serial"], pki.leader.serial);
    // Chain: signer, intermediate, root; revocation said good for both certificates below.
    assert_eq!(sig1["chain"].as_array().unwrap().len(), 3, "{sig1:#}");
    let rev = sig1["revocation"].as_array().unwrap();
    assert!(rev.iter().all(|x| x["status"] == "good"), "{rev:#?}");
    assert!(rev.iter().any(|x| x["source"] == "ocsp"), "{rev:#?}");
    assert!(services.ocsp_requests() > 0);
    // Sig1 does not cover the file: the agency's signature was appended after it.
    assert_eq!(sig1["pdf"]["covers_whole_file"], false);
    assert_eq!(sig2["pdf"]["covers_whole_file"], true);
    assert_ne!(sig1["pdf"]["modification"], "modified", "{sig1:#}");
    // The material used comes back as DER, ready to archive.
    assert!(!r["material"]["ocsp_responses"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(r["material"]["certificates"].as_array().unwrap().len() >= 3);
    // pyHanko, validating the same file with the same root, agrees.
    let (ok, text) = ph.validate(&pdfs.leader_agency, pki.trust_anchor());
    assert!(ok, "pyHanko: {text}");

    // Offline with the cache the online run filled: the same verdict. (That nothing is fetched
    // offline is asserted in stele-pki's revocation tests, on a PKI of their own: here the
    // shared responder also serves tests running in parallel, so its counters prove nothing.)
    let mut args = trusted(pki, cache.path(), &["--offline".as_ref()]);
    args.push(pdfs.leader_agency.clone().into());
    let (code, r) = check(&args);
    assert_eq!(code, 0, "{r:#}");

    // Offline with an empty cache: nothing says the certificates were not revoked.
    let empty = tempfile::tempdir().expect("tempdir");
    let mut args = trusted(pki, empty.path(), &["--offline".as_ref()]);
    args.push(pdfs.leader_agency.clone().into());
    let (code, r) = check(&args);
    assert_eq!(code, 1);
    assert_eq!(verdict(sig(&r, "Sig1")), "INDETERMINATE/TRY_LATER", "{r:#}");

    // Without a trust anchor no path can be trusted.
    let (code, r) = check([
        "--cache".as_ref(),
        cache.path().as_os_str(),
        pdfs.leader_agency.as_os_str(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        verdict(sig(&r, "Sig1")),
        "INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND"
    );

    // The leader alone: one personal signature, not both kinds.
    let mut args = trusted(pki, cache.path(), &[]);
    args.push(pdfs.leader.clone().into());
    let (code, r) = check(&args);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["personal_and_organisation_signed"], false);
}

#[test]
fn pyhanko_pdfs_that_must_not_pass() {
    let Some(ph) = pyhanko() else { return };
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let pdfs = ph.shared_pdfs();
    let cache = tempfile::tempdir().expect("tempdir");
    let run = |pdf: &Path| {
        let mut args = trusted(pki, cache.path(), &[]);
        args.push(pdf.into());
        check(&args)
    };

    // Page content replaced after both signatures.
    let (code, r) = run(&pdfs.modified_after_signing);
    assert_eq!(code, 1, "{r:#}");
    for id in ["Sig1", "Sig2"] {
        let s = sig(&r, id);
        assert_eq!(verdict(s), "FAILED/MODIFIED_AFTER_SIGNING", "{s:#}");
        assert_eq!(s["pdf"]["modification"], "modified");
    }
    let (ok, text) = ph.validate(&pdfs.modified_after_signing, pki.trust_anchor());
    assert!(!ok, "pyHanko accepted a modified PDF: {text}");

    // Signed with a certificate that had already expired, and nothing proves an earlier time.
    let (code, r) = run(&pdfs.expired);
    assert_eq!(code, 1);
    let s = sig(&r, "Sig1");
    assert_eq!(verdict(s), "INDETERMINATE/OUT_OF_BOUNDS_NO_POE", "{s:#}");
    assert!(
        s["explanation"].as_str().unwrap().contains("expired"),
        "{s:#}"
    );
    assert!(!ph.validate(&pdfs.expired, pki.trust_anchor()).0);

    // Signed with a revoked certificate: revoked before now, no proof of an earlier signature.
    let (code, r) = run(&pdfs.revoked);
    assert_eq!(code, 1);
    let s = sig(&r, "Sig1");
    assert_eq!(verdict(s), "INDETERMINATE/REVOKED_NO_POE", "{s:#}");
    assert!(
        s["explanation"].as_str().unwrap().contains("revoked"),
        "{s:#}"
    );
    assert!(!ph.validate(&pdfs.revoked, pki.trust_anchor()).0);

    // One byte of the signed revision changed: the digest no longer matches.
    let mut bytes = std::fs::read(&pdfs.leader).unwrap();
    let at = find(&bytes, b"/Producer").unwrap_or(20);
    bytes[at + 2] ^= 0x01;
    let tampered = cache.path().join("tampered.pdf");
    std::fs::write(&tampered, &bytes).unwrap();
    let (code, r) = run(&tampered);
    assert_eq!(code, 1);
    assert_eq!(verdict(sig(&r, "Sig1")), "FAILED/HASH_FAILURE", "{r:#}");
}

#[test]
fn pyhanko_pdfs_with_signature_timestamps() {
    let Some(ph) = pyhanko() else { return };
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let tsa = pki.start_tsa();
    let dir = tempfile::tempdir().expect("tempdir");
    let pdfs = ph.signed_pdfs(pki, &dir.path().join("ts"), Some(tsa.url()));
    let cache = dir.path().join("cache");
    let run = |pdf: &Path, extra: &[&OsStr]| {
        let mut args = trusted(pki, &cache, extra);
        args.push(pdf.into());
        check(&args)
    };

    let (code, r) = run(&pdfs.leader_agency, &[]);
    assert_eq!(code, 0, "{r:#}");
    for id in ["Sig1", "Sig2"] {
        let s = sig(&r, id);
        assert!(s["proven_time"].is_string(), "{s:#}");
        assert_eq!(s["best_signature_time"], s["proven_time"]);
        let ts = &s["timestamps"][0];
        assert_eq!(ts["intact"], true, "{s:#}");
        assert_eq!(ts["trusted"], true, "{s:#}");
    }
    assert!(tsa.requests() >= 2);

    // Revoked a day before the (proven) signing time: a definite failure.
    let (_, r) = run(&pdfs.revoked, &[]);
    assert_eq!(verdict(sig(&r, "Sig1")), "FAILED/REVOKED", "{r:#}");
    // Expired before the proven signing time.
    let (_, r) = run(&pdfs.expired, &[]);
    assert_eq!(verdict(sig(&r, "Sig1")), "FAILED/EXPIRED", "{r:#}");

    // Judged as of a time before the timestamp exists, the timestamp cannot be trusted yet
    // ("not yet valid" is decided on the signer's certificate at that time).
    let (code, r) = run(
        &pdfs.leader_agency,
        &["--at".as_ref(), "2001-01-01T00:00:00Z".as_ref()],
    );
    assert_eq!(code, 1, "{r:#}");
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn openssl_cms_verify(pki: &TestPki, dir: &Path, cms: &[u8], content: Option<&[u8]>) -> bool {
    let sig = dir.join("sig.cms");
    std::fs::write(&sig, cms).unwrap();
    let mut cmd = Command::new("openssl");
    cmd.args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(&sig)
        .arg("-CAfile")
        .arg(pki.trust_anchor())
        .args(["-purpose", "any", "-out"])
        .arg(dir.join("out.bin"));
    if let Some(c) = content {
        let f = dir.join("content.bin");
        std::fs::write(&f, c).unwrap();
        cmd.arg("-content").arg(f);
    }
    cmd.output().expect("openssl").status.success()
}

#[test]
fn openssl_cms_detached_and_enveloping_der_and_ber() {
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let content = "Công văn số 123/UBND-VP: chữ ký số có giá trị pháp lý.\n".repeat(50);
    let content = content.as_bytes();
    let content_file = dir.path().join("cong-van.txt");
    std::fs::write(&content_file, content).unwrap();
    let signers: [&Cert; 5] = [
        &pki.leader,
        &pki.agency,
        &pki.ecdsa_p256,
        &pki.ecdsa_p384,
        &pki.rsa_pss,
    ];
    for signer in signers {
        for ber in [false, true] {
            if ber && signer.key == stele_tests::pki::KeyKind::Rsa2048Pss {
                continue; // OpenSSL 3.0 cannot stream RSASSA-PSS.
            }
            let what = format!("{} ({})", signer.name, if ber { "BER" } else { "DER" });
            // Detached: with its content it passes; with other content it fails, as in OpenSSL.
            let p7s = pki.sign_cms_detached(content, signer, ber);
            let p7s_file = dir.path().join("sig.p7s");
            std::fs::write(&p7s_file, &p7s).unwrap();
            let mut args = trusted(
                pki,
                &cache,
                &["--detached".as_ref(), content_file.as_os_str()],
            );
            args.push(p7s_file.clone().into());
            let (code, r) = check(&args);
            assert_eq!(code, 0, "{what}: {r:#}");
            assert_eq!(r["format"], "cms_detached");
            assert_eq!(verdict(sig(&r, "signer 1")), "PASSED", "{what}");
            assert!(
                openssl_cms_verify(pki, dir.path(), &p7s, Some(content)),
                "{what}"
            );

            let other = dir.path().join("other.txt");
            std::fs::write(&other, b"Cong van da bi sua").unwrap();
            let mut args = trusted(pki, &cache, &["--detached".as_ref(), other.as_os_str()]);
            args.push(p7s_file.clone().into());
            let (code, r) = check(&args);
            assert_eq!(code, 1);
            assert_eq!(
                verdict(sig(&r, "signer 1")),
                "FAILED/HASH_FAILURE",
                "{what}"
            );
            assert!(!openssl_cms_verify(
                pki,
                dir.path(),
                &p7s,
                Some(b"Cong van da bi sua")
            ));

            // Without its content a detached signature cannot be judged.
            let (code, r) = check(trusted(pki, &cache, &[p7s_file.as_os_str()]));
            assert_eq!(code, 1);
            assert_eq!(
                verdict(sig(&r, "signer 1")),
                "INDETERMINATE/SIGNED_DATA_NOT_FOUND",
                "{what}"
            );

            // Enveloping.
            let p7m = pki.sign_cms_enveloping(content, signer, ber);
            let p7m_file = dir.path().join("sig.p7m");
            std::fs::write(&p7m_file, &p7m).unwrap();
            let (code, r) = check(trusted(pki, &cache, &[p7m_file.as_os_str()]));
            assert_eq!(code, 0, "{what}: {r:#}");
            assert_eq!(r["format"], "cms_enveloping");
            assert!(openssl_cms_verify(pki, dir.path(), &p7m, None), "{what}");
        }
    }

    // A signature value with one bit flipped: OpenSSL and Stele both refuse it.
    let mut p7m = pki.sign_cms_enveloping(content, &pki.leader, false);
    let n = p7m.len();
    p7m[n - 10] ^= 0x01;
    let f = dir.path().join("broken.p7m");
    std::fs::write(&f, &p7m).unwrap();
    let (code, r) = check(trusted(pki, &cache, &[f.as_os_str()]));
    assert_eq!(code, 1);
    assert_eq!(
        verdict(sig(&r, "signer 1")),
        "FAILED/SIG_CRYPTO_FAILURE",
        "{r:#}"
    );
    assert!(!openssl_cms_verify(pki, dir.path(), &p7m, None));
}

#[test]
fn revoked_and_expired_cms_signers() {
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    let content = b"Quyet dinh so 45/QD-UBND";
    for (signer, expected) in [
        (&pki.revoked, "INDETERMINATE/REVOKED_NO_POE"),
        (&pki.expired, "INDETERMINATE/OUT_OF_BOUNDS_NO_POE"),
    ] {
        let p7m = pki.sign_cms_enveloping(content, signer, false);
        let f = dir.path().join(format!("{}.p7m", signer.name));
        std::fs::write(&f, &p7m).unwrap();
        let (code, r) = check(trusted(pki, &cache, &[f.as_os_str()]));
        assert_eq!(code, 1);
        assert_eq!(verdict(sig(&r, "signer 1")), expected, "{r:#}");
    }
    // Judged as of a day before the revocation, the revoked signer's certificate was good:
    // the OCSP response (issued now, after that time) says it was revoked only later.
    let at = (pki.revoked_at - time::Duration::days(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let p7m = pki.sign_cms_enveloping(content, &pki.revoked, false);
    let f = dir.path().join("revoked-early.p7m");
    std::fs::write(&f, &p7m).unwrap();
    let (code, r) = check(trusted(
        pki,
        &cache,
        &["--at".as_ref(), at.as_ref(), f.as_os_str()],
    ));
    let s = sig(&r, "signer 1");
    assert_eq!(code, 0, "{s:#}");
    assert!(
        s["revocation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["status"] == "revoked_after_signing"),
        "{s:#}"
    );
}

/// Runs pyHanko with `args` (the venv's command), asserting success.
fn pyhanko_run(args: &[&OsStr]) {
    let ph = pyhanko().expect("pyhanko");
    let out = Command::new(&ph.pyhanko)
        .args(args)
        .output()
        .expect("run pyhanko");
    assert!(out.status.success(), "pyhanko {args:?}: {}", describe(&out));
}

#[test]
fn embedded_validation_data_is_enough_offline_and_years_later_the_proof_runs_out() {
    let Some(ph) = pyhanko() else { return };
    // A PKI of its own: its services are stopped halfway.
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = TestPki::create(&dir.path().join("pki"));
    let services = pki.start_services();
    let tsa = pki.start_tsa();
    let unsigned = dir.path().join("unsigned.pdf");
    ph.vietnamese_pdf(&unsigned);
    // Signed with revocation data embedded (adbe-revocationInfoArchival) and a signature
    // timestamp, then the DSS filled by `pyhanko sign ltvfix`.
    let signed = dir.path().join("ltv.pdf");
    let root = pki.trust_anchor().as_os_str();
    pyhanko_run(&[
        "sign".as_ref(),
        "addsig".as_ref(),
        "--field".as_ref(),
        "Sig1".as_ref(),
        "--use-pades".as_ref(),
        "--with-validation-info".as_ref(),
        "--trust".as_ref(),
        root,
        "--trust-replace".as_ref(),
        "--timestamp-url".as_ref(),
        tsa.url().as_ref(),
        "pemder".as_ref(),
        "--key".as_ref(),
        pki.leader.key_pem.as_os_str(),
        "--cert".as_ref(),
        pki.leader.cert_pem.as_os_str(),
        "--chain".as_ref(),
        pki.intermediate.cert_pem.as_os_str(),
        "--no-pass".as_ref(),
        unsigned.as_os_str(),
        signed.as_os_str(),
    ]);
    pyhanko_run(&[
        "sign".as_ref(),
        "ltvfix".as_ref(),
        "--field".as_ref(),
        "Sig1".as_ref(),
        "--trust".as_ref(),
        root,
        "--trust-replace".as_ref(),
        signed.as_os_str(),
    ]);
    drop(services);

    // Offline, empty cache, services down: the document carries what is needed.
    let cache = dir.path().join("empty-cache");
    let mut args = trusted(&pki, &cache, &["--offline".as_ref()]);
    args.push(signed.clone().into());
    let (code, r) = check(&args);
    let s = sig(&r, "Sig1");
    assert_eq!(code, 0, "{s:#}");
    let origins: Vec<&str> = s["revocation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["origin"].as_str().unwrap())
        .collect();
    assert!(
        origins.iter().all(|o| *o == "signature" || *o == "dss"),
        "{origins:?}"
    );
    assert_eq!(s["pdf"]["modification"], "allowed", "{s:#}");
    assert!(
        s["pdf"]["later_changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("DSS")),
        "{s:#}"
    );

    // Thirty years on, the signer's and the TSA's certificates have long expired and nothing
    // newer proves the timestamp: without an archive's evidence record the proof runs out, and
    // the report says so instead of passing or failing.
    let mut args = trusted(
        &pki,
        &cache,
        &[
            "--offline".as_ref(),
            "--at".as_ref(),
            "2056-11-23T00:00:00Z".as_ref(),
        ],
    );
    args.push(signed.into());
    let (code, r) = check(&args);
    let s = sig(&r, "Sig1");
    assert_eq!(code, 1);
    assert_eq!(s["indication"], "INDETERMINATE", "{s:#}");
    assert_eq!(s["timestamps"][0]["trusted"], false, "{s:#}");
}

#[test]
fn one_cms_signed_by_leader_and_agency() {
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let dir = tempfile::tempdir().expect("tempdir");
    let content = dir.path().join("to-trinh.txt");
    std::fs::write(
        &content,
        "Tờ trình số 7/TTr-UBND về việc phê duyệt dự án.\n",
    )
    .unwrap();
    let p7m = dir.path().join("two.p7m");
    // Two SignerInfos in one SignedData, as `openssl cms -sign` makes with two -signer.
    let out = Command::new("openssl")
        .args([
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-cades",
            "-md",
            "sha256",
            "-outform",
            "DER",
        ])
        .arg("-in")
        .arg(&content)
        .arg("-signer")
        .arg(&pki.leader.cert_pem)
        .arg("-inkey")
        .arg(&pki.leader.key_pem)
        .arg("-signer")
        .arg(&pki.agency.cert_pem)
        .arg("-inkey")
        .arg(&pki.agency.key_pem)
        .arg("-certfile")
        .arg(pki.chain_pem())
        .arg("-out")
        .arg(&p7m)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{}", describe(&out));
    let cache = dir.path().join("cache");
    let (code, r) = check(trusted(pki, &cache, &[p7m.as_os_str()]));
    assert_eq!(code, 0, "{r:#}");
    // SignerInfos is a SET OF: its DER order need not be the order of -signer.
    let mut holders: Vec<&str> = ["signer 1", "signer 2"]
        .iter()
        .map(|id| sig(&r, id)["signer"]["holder"].as_str().unwrap())
        .collect();
    holders.sort();
    assert_eq!(holders, ["organisation", "personal"], "{r:#}");
    assert_eq!(r["personal_and_organisation_signed"], true);
    // OpenSSL verifies both signers of the same file.
    let verify = Command::new("openssl")
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
        ])
        .arg("-in")
        .arg(&p7m)
        .arg("-CAfile")
        .arg(pki.trust_anchor())
        .arg("-out")
        .arg(dir.path().join("out.txt"))
        .output()
        .expect("openssl");
    assert!(verify.status.success(), "{}", describe(&verify));
}
