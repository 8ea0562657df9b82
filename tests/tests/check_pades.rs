//! `stele check` on the real PAdES files of the interop corpus (EU DSS, ETSI plugtests).
//!
//! The files carry no trust anchor we could honestly install, so the manifest's verdict is
//! about cryptographic integrity: a file the manifest calls valid must have no FAILED
//! signature, one it calls invalid must have one (or be refused as a broken PDF). Every
//! report must follow `schemas/signature-report.schema.json`.

use std::path::Path;

use stele_tests::{describe, interop_dir, manifest, stele};

fn schema_validator() -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/signature-report.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("schema JSON");
    jsonschema::validator_for(&schema).expect("valid schema")
}

/// Where Stele and the manifest are known to differ, and why (each checked by hand).
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "pades-pades-5-signatures-and-1-document-timestamp",
        "DSS rejects all five signatures without a visible reason (manifest: \"signing-certificate reference not unique\"); OpenSSL verifies all five CMS signatures and their messageDigest, and so does Stele",
    ),
];

/// The PAdES cases with a verdict (valid/invalid) in the manifest.
fn cases(dir: &Path) -> Vec<(String, String, String)> {
    let m = manifest(dir);
    m["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["kind"] == "pades")
        .filter_map(|c| {
            let verdict = c["expected"]["verdict"].as_str()?.to_string();
            if verdict != "valid" && verdict != "invalid" {
                return None;
            }
            Some((
                c["id"].as_str()?.to_string(),
                c["files"][0].as_str()?.to_string(),
                verdict,
            ))
        })
        .collect()
}

#[test]
fn pades_corpus_verdicts_agree_with_the_manifest() {
    let Some(dir) = interop_dir() else { return };
    let cache = tempfile::tempdir().expect("tempdir");
    let validator = schema_validator();
    let cases = cases(&dir);
    assert!(cases.len() >= 25, "only {} PAdES cases", cases.len());
    let mut disagreements = Vec::new();
    for (id, file, verdict) in &cases {
        let path = dir.join(file);
        let out = stele([
            "check".as_ref(),
            "--json".as_ref(),
            "--offline".as_ref(),
            "--cache".as_ref(),
            cache.path().as_os_str(),
            path.as_os_str(),
        ]);
        let code = out.status.code();
        assert!(
            code == Some(0) || code == Some(1),
            "{id}: stele check must give a verdict: {}",
            describe(&out)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{id}: not JSON ({e}): {}", describe(&out)));
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{id}: schema: {errors:?}");
        // No trust anchors: nothing can pass.
        assert_eq!(code, Some(1), "{id}: passed without trust anchors");
        let sigs = report["signatures"].as_array().expect("signatures");
        let failed: Vec<String> = sigs
            .iter()
            .filter(|s| s["indication"] == "FAILED")
            .map(|s| format!("{} {}", s["id"], s["sub_indication"]))
            .collect();
        let document_failed = report["indication"] == "FAILED";
        let ours = if document_failed || !failed.is_empty() {
            "invalid"
        } else {
            "valid"
        };
        if ours != verdict {
            disagreements.push(format!(
                "{id}: manifest {verdict}, stele {ours} ({failed:?}; {})",
                report["summary"]
            ));
        }
        if verdict == "valid" {
            for s in sigs {
                // Without anchors the honest verdict is "no chain", never a broken signature.
                let sub = s["sub_indication"].as_str().unwrap_or("");
                assert!(
                    !matches!(
                        sub,
                        "HASH_FAILURE" | "SIG_CRYPTO_FAILURE" | "FORMAT_FAILURE"
                    ),
                    "{id}: {} {sub}: {}",
                    s["id"],
                    s["explanation"]
                );
                assert!(!s["explanation"].as_str().unwrap_or("").is_empty());
            }
        }
    }
    let unexpected: Vec<&String> = disagreements
        .iter()
        .filter(|d| {
            !KNOWN_DIFFERENCES
                .iter()
                .any(|(id, _)| d.starts_with(&format!("{id}:")))
        })
        .collect();
    eprintln!(
        "{} PAdES cases, {} known differences: {:#?}",
        cases.len(),
        KNOWN_DIFFERENCES.len(),
        KNOWN_DIFFERENCES
    );
    assert!(unexpected.is_empty(), "disagreements: {unexpected:#?}");
    // A known difference that disappeared should be removed from the list.
    for (id, _) in KNOWN_DIFFERENCES {
        assert!(
            disagreements
                .iter()
                .any(|d| d.starts_with(&format!("{id}:"))),
            "{id} now agrees with the manifest: remove it from KNOWN_DIFFERENCES"
        );
    }
}

#[test]
fn a_file_that_is_neither_pdf_nor_cms_is_a_usage_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = tmp.path().join("note.txt");
    std::fs::write(&f, "không phải chữ ký").unwrap();
    let out = stele(["check".as_ref(), f.as_os_str()]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("neither a PDF"), "{err}");
    let missing = stele(["check", "/nonexistent/đơn.pdf"]);
    assert_eq!(missing.status.code(), Some(2), "{}", describe(&missing));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("đơn.pdf"));
}
