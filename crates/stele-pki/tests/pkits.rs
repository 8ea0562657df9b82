//! NIST PKITS (from the shared interop corpus) against the path validator.

use std::collections::BTreeMap;
use std::path::PathBuf;

use der::Decode;
use stele_pki::{PathError, PathValidator, RevocationInput, TrustStore, ValidationOptions};
use x509_cert::crl::CertificateList;
use x509_cert::Certificate;

/// Sections whose every case must match (apart from `UNSUPPORTED`).
const ASSERTED: &[&str] = &[
    "4.1", "4.2", "4.3", "4.4", "4.5", "4.6", "4.7", "4.8", "4.9", "4.10", "4.11", "4.12", "4.13",
    "4.14", "4.15", "4.16",
];

/// Cases not expected to match, with the reason. They must fail with `Unsupported`.
const UNSUPPORTED: &[(&str, &str)] = &[
    // DSA signatures are not implemented (no DSA in the RustCrypto set we pin).
    ("pkits-4.1.4", "DSA signature"),
    ("pkits-4.1.5", "DSA signature with parameter inheritance"),
    (
        "pkits-4.1.6",
        "DSA signature (expected to fail; we fail as Unsupported)",
    ),
    // The EE's notBefore is UTCTime 1950: der 0.7 cannot represent times before 1970, so the
    // certificate does not even decode (a limitation of the pinned `der`, not of the validator).
    (
        "pkits-4.2.3",
        "UTCTime before 1970 does not decode with der 0.7",
    ),
];

fn corpus() -> Option<PathBuf> {
    stele_tests::interop_dir()
}

/// Parse failures are reported as `Unsupported`: der 0.7 cannot represent times before 1970.
fn cert(dir: &std::path::Path, p: &str) -> Result<Certificate, PathError> {
    Certificate::from_der(&std::fs::read(dir.join(p)).unwrap())
        .map_err(|e| PathError::Unsupported(format!("{p} does not parse: {e}")))
}

fn crl(dir: &std::path::Path, p: &str) -> CertificateList {
    CertificateList::from_der(&std::fs::read(dir.join(p)).unwrap()).unwrap()
}

fn section(id: &str) -> String {
    let t = id.trim_start_matches("pkits-");
    let mut parts = t.split('.');
    format!("{}.{}", parts.next().unwrap(), parts.next().unwrap())
}

#[test]
fn pkits() {
    let Some(dir) = corpus() else { return };
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("MANIFEST.json")).unwrap()).unwrap();
    let at = time::macros::datetime!(2010-02-01 00:00 UTC);
    let mut per: BTreeMap<(u32, u32), (usize, usize)> = BTreeMap::new();
    let mut mismatches = Vec::new();
    let mut all = (0usize, 0usize);
    for case in manifest["cases"].as_array().unwrap() {
        if case["kind"] != "pkits" {
            continue;
        }
        let id = case["id"].as_str().unwrap();
        let d = &case["expected"]["details"];
        let expect_valid = match case["expected"]["verdict"].as_str() {
            Some("valid") => true,
            Some("invalid") => false,
            _ => continue,
        };
        let certs = std::iter::once(&d["end_entity"])
            .chain(d["intermediate_certs"].as_array().unwrap())
            .map(|p| cert(&dir, p.as_str().unwrap()))
            .collect::<Result<Vec<_>, _>>();
        let crls: Vec<CertificateList> = d["crls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| crl(&dir, p.as_str().unwrap()))
            .collect();
        let store = TrustStore::from_bytes(
            &std::fs::read(dir.join(d["trust_anchor"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        let s = &d["initial_settings"];
        let mut opts = ValidationOptions::at(at);
        opts.initial_policy_set = s["initial_policy_set"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                p.as_str()
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        opts.initial_explicit_policy = s["initial_explicit_policy"].as_bool().unwrap();
        opts.initial_policy_mapping_inhibit =
            s["initial_policy_mapping_inhibit"].as_bool().unwrap();
        opts.initial_any_policy_inhibit = s["initial_any_policy_inhibit"].as_bool().unwrap();
        opts.use_delta_crls = s["delta_crls_enabled"].as_bool().unwrap();
        let validator = PathValidator::new(store);
        let r = certs
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|c| validator.validate(&c[0], &c[1..], &crls, &opts));
        // The detailed validation (CRLs as embedded material, no fetcher, no algorithm policy)
        // must decide every case exactly as the plain one.
        if let Ok(c) = &certs {
            let mut input = RevocationInput::new();
            for x in &crls {
                input.add_crl(x.clone()).unwrap();
            }
            let report = validator.validate_detailed(&c[0], &c[1..], &input, &opts, None);
            assert_eq!(
                report.outcome, r,
                "{id}: detailed and plain validation differ"
            );
            if let Ok(p) = &r {
                assert_eq!(report.chain.len(), p.chain.len(), "{id}");
                let below_anchor = p.chain.len() - 1;
                assert_eq!(report.revocation.len(), below_anchor, "{id}");
                assert!(!report.used.crls.is_empty() || below_anchor == 0, "{id}");
                assert!(report.used.ocsp_responses.is_empty(), "{id}");
            }
        }
        let ok = r.is_ok() == expect_valid;
        let sec = section(id);
        let key: Vec<u32> = sec.split('.').map(|x| x.parse().unwrap()).collect();
        let e = per.entry((key[0], key[1])).or_default();
        e.1 += 1;
        all.1 += 1;
        if ok {
            e.0 += 1;
            all.0 += 1;
        }
        if !expect_valid {
            println!(
                "{id}: {}",
                r.as_ref()
                    .err()
                    .map(|e| format!("{e:?}"))
                    .unwrap_or_default()
            );
        }
        let unsupported = UNSUPPORTED.iter().find(|(u, _)| *u == id);
        if let Some((_, why)) = unsupported {
            assert!(
                matches!(r, Err(PathError::Unsupported(_))),
                "{id} is listed as unsupported ({why}) but gave {r:?}"
            );
            continue;
        }
        if !ok {
            println!(
                "MISMATCH {id} expected {} got {:?} — {}",
                if expect_valid { "valid" } else { "invalid" },
                r.as_ref().map(|_| "valid").map_err(|e| e.to_string()),
                d["pkits_test"].as_str().unwrap_or("")
            );
            if ASSERTED.contains(&sec.as_str()) {
                mismatches.push(id.to_string());
            }
        }
    }
    for ((a, b), (ok, n)) in &per {
        println!(
            "PKITS {a}.{b}: {ok}/{n} ({:.0}%)",
            100.0 * *ok as f64 / *n as f64
        );
    }
    println!(
        "PKITS overall: {}/{} ({:.1}%)",
        all.0,
        all.1,
        100.0 * all.0 as f64 / all.1 as f64
    );
    assert!(
        mismatches.is_empty(),
        "mismatches in asserted sections: {mismatches:?}"
    );
}
