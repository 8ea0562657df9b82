//! NIST PKITS through `stele check CERT`, as an operator would run it: the end-entity
//! certificate, `--trust` the PKITS trust anchor, `--certs` the intermediates, `--crls` the
//! CRLs, `--at` the manifest's validation time, `--offline`. Sections 4.1–4.7 and 4.14 (all with
//! RFC 5280's default inputs) must match the manifest, except the features documented as
//! unsupported. The library-level run of all sections is crates/stele-pki/tests/pkits.rs.

use std::ffi::OsString;

use stele_tests::{describe, interop_dir, manifest, stele};

/// Cases Stele refuses on purpose, with the reason (same list as the stele-pki test).
const UNSUPPORTED: &[(&str, &str)] = &[
    ("pkits-4.1.4", "DSA signatures are not supported"),
    (
        "pkits-4.1.5",
        "DSA signatures with parameter inheritance are not supported",
    ),
    (
        "pkits-4.1.6",
        "DSA signatures with parameter inheritance are not supported",
    ),
    (
        "pkits-4.2.3",
        "a UTCTime before 1970 cannot be represented by the der crate",
    ),
];

const SECTIONS: [&str; 8] = [
    "4.1.", "4.2.", "4.3.", "4.4.", "4.5.", "4.6.", "4.7.", "4.14.",
];

#[test]
fn pkits_sections_4_1_to_4_7_and_4_14_through_the_cli() {
    let Some(dir) = interop_dir() else { return };
    let cache = tempfile::tempdir().expect("tempdir");
    let m = manifest(&dir);
    let mut total = 0;
    let mut agreed = 0;
    let mut mismatches = Vec::new();
    for case in m["cases"].as_array().expect("cases") {
        let id = case["id"].as_str().unwrap_or("");
        if case["kind"] != "pkits"
            || !SECTIONS
                .iter()
                .any(|s| id.strip_prefix("pkits-").is_some_and(|x| x.starts_with(s)))
        {
            continue;
        }
        let d = &case["expected"]["details"];
        assert!(
            d["non_default_settings"].is_null(),
            "{id}: sections 4.1–4.7 and 4.14 use the default inputs"
        );
        let expected_valid = case["expected"]["verdict"] == "valid";
        let mut args: Vec<OsString> = vec![
            "check".into(),
            "--offline".into(),
            "--cache".into(),
            cache.path().into(),
            "--at".into(),
            "2010-02-01T00:00:00Z".into(),
            "--trust".into(),
            dir.join(d["trust_anchor"].as_str().expect("anchor")).into(),
        ];
        for c in d["intermediate_certs"].as_array().into_iter().flatten() {
            args.push("--certs".into());
            args.push(dir.join(c.as_str().expect("cert")).into());
        }
        for c in d["crls"].as_array().into_iter().flatten() {
            args.push("--crls".into());
            args.push(dir.join(c.as_str().expect("crl")).into());
        }
        args.push(dir.join(d["end_entity"].as_str().expect("ee")).into());
        let out = stele(&args);
        let code = out.status.code();
        let unsupported = UNSUPPORTED.iter().any(|(u, _)| *u == id);
        assert!(
            code == Some(0) || code == Some(1) || (unsupported && code == Some(2)),
            "{id}: {}",
            describe(&out)
        );
        total += 1;
        let text = String::from_utf8_lossy(&out.stdout);
        if (code == Some(0)) == expected_valid {
            agreed += 1;
            // A refusal always says why, in a sentence.
            if !expected_valid {
                assert!(
                    text.contains("[INDETERMINATE") || text.contains("[FAILED"),
                    "{id}: {text}"
                );
            }
        } else if !unsupported {
            mismatches.push(format!(
                "{id} (expected {}): {text}",
                case["expected"]["verdict"]
            ));
        }
    }
    eprintln!(
        "PKITS 4.1–4.7, 4.14 through `stele check`: {agreed}/{total} agree; unsupported: {UNSUPPORTED:?}"
    );
    assert!(total >= 100, "only {total} cases");
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    assert!(agreed + UNSUPPORTED.len() >= total);
}
