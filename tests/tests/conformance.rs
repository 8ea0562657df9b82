//! Conformance against evidence records and tokens made by other implementations (BSI TR-ESOR
//! test data, Bouncy Castle, EU DSS), through the `stele` command as a user would run it.
//!
//! Every `kind: ers` case of MANIFEST.json with a known verdict runs `stele ers verify
//! --no-tsa-trust` (the corpus TSAs are not ours to trust) and must give the expected exit code
//! and JSON verdict.

use stele_tests::{describe, interop_dir, manifest, stele};

/// `stele ers verify` arguments for one manifest case.
fn ers_args(dir: &std::path::Path, case: &serde_json::Value) -> Vec<String> {
    let files = case["files"].as_array().expect("files");
    let er = dir.join(files[0].as_str().expect("file path"));
    let mut args = vec![
        "ers".to_string(),
        "verify".into(),
        "--er".into(),
        er.display().to_string(),
        "--no-tsa-trust".into(),
        "--json".into(),
    ];
    // Digest-only covers of one document in several algorithms ("LKSG_4.pdf (sha256)",
    // "LKSG_4.pdf (sha384)") are one data object: `--digest sha256:…,sha384:…`.
    let mut digests: Vec<(String, Vec<String>)> = Vec::new();
    for cover in case["covers"].as_array().expect("covers") {
        if let Some(file) = cover["file"].as_str() {
            args.push("--data".into());
            args.push(dir.join(file).display().to_string());
        } else if let Some(hex) = cover["value_hex"].as_str() {
            let name = cover["digest_only"].as_str().unwrap_or_default();
            let object = name.split(" (").next().unwrap_or(name).to_string();
            let digest = format!("{}:{}", cover["alg"].as_str().expect("alg"), hex);
            match digests.iter_mut().find(|(n, _)| *n == object) {
                Some((_, v)) => v.push(digest),
                None => digests.push((object, vec![digest])),
            }
        }
    }
    for (_, d) in digests {
        args.push("--digest".into());
        args.push(d.join(","));
    }
    args
}

#[test]
fn every_ers_case_with_a_known_verdict_matches() {
    let Some(dir) = interop_dir() else { return };
    let manifest = manifest(&dir);
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in manifest["cases"].as_array().expect("cases") {
        if case["kind"] != "ers" {
            continue;
        }
        let id = case["id"].as_str().expect("id");
        let expected = case["expected"]["verdict"].as_str().expect("verdict");
        let want_exit = match expected {
            "valid" => 0,
            "invalid" => 1,
            _ => continue,
        };
        ran += 1;
        let out = stele(ers_args(&dir, case));
        let code = out.status.code();
        let report: Option<serde_json::Value> = serde_json::from_slice(&out.stdout).ok();
        let verdict = report
            .as_ref()
            .and_then(|r| r["verdict"].as_str().map(str::to_owned));
        let want_verdict = if expected == "valid" {
            "VALID"
        } else {
            "INVALID"
        };
        if code != Some(want_exit) || verdict.as_deref() != Some(want_verdict) {
            failures.push(format!("{id}: expected {expected}\n{}", describe(&out)));
        }
    }
    assert!(ran >= 40, "only {ran} ers cases ran");
    assert!(
        failures.is_empty(),
        "{} of {ran} ers cases disagree with the manifest:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    eprintln!("{ran} ers interop cases match the manifest");
}

/// Every `kind: tsp` case with a known verdict, through the library: the token parses (BER and
/// all), its signature is intact, and its imprint covers the data the manifest names.
#[test]
fn every_tsp_case_with_a_known_verdict_matches() {
    use stele_tsp::{verify_token, Integrity, TimeStampToken, TimeStampedData, TokenVerifyOptions};
    let Some(dir) = interop_dir() else { return };
    let manifest = manifest(&dir);
    let mut failures = Vec::new();
    let mut ran = 0;
    let now = time::OffsetDateTime::now_utc();
    for case in manifest["cases"].as_array().expect("cases") {
        if case["kind"] != "tsp" {
            continue;
        }
        let id = case["id"].as_str().expect("id");
        let valid = match case["expected"]["verdict"].as_str() {
            Some("valid") => true,
            Some("invalid") => false,
            _ => continue,
        };
        ran += 1;
        let file = dir.join(case["files"][0].as_str().expect("file"));
        let bytes = std::fs::read(&file).expect("read token");
        let outcome: Result<(), String> = if let Ok(tsd) = TimeStampedData::from_ber(&bytes) {
            tsd.check_imprints(None)
                .map_err(|e| e.to_string())
                .and_then(|_| {
                    tsd.tokens().try_for_each(|t| {
                        match verify_token(t, &TokenVerifyOptions::integrity_only(now)).integrity {
                            Integrity::Intact => Ok(()),
                            other => Err(format!("{other:?}")),
                        }
                    })
                })
        } else {
            match TimeStampToken::from_ber(&bytes) {
                Err(e) => Err(e.to_string()),
                Ok(token) => {
                    let v = verify_token(&token, &TokenVerifyOptions::integrity_only(now));
                    let covers_ok =
                        case["covers"].as_array().into_iter().flatten().all(|c| {
                            match (c["file"].as_str(), c["imprint_matches"].as_bool()) {
                                (Some(f), Some(want)) => {
                                    let data = std::fs::read(dir.join(f)).expect("covered file");
                                    token.message_imprint().covers(&data) == want
                                }
                                _ => true,
                            }
                        });
                    match (v.integrity, covers_ok) {
                        (Integrity::Intact, true) => Ok(()),
                        (Integrity::Intact, false) => Err("imprint does not cover the data".into()),
                        (other, _) => Err(format!("{other:?}")),
                    }
                }
            }
        };
        if outcome.is_ok() != valid {
            failures.push(format!(
                "{id}: expected {}, got {outcome:?}",
                if valid { "valid" } else { "invalid" }
            ));
        }
    }
    assert!(ran >= 7, "only {ran} tsp cases ran");
    assert!(
        failures.is_empty(),
        "tsp cases disagree with the manifest:\n{}",
        failures.join("\n")
    );
    eprintln!("{ran} tsp interop cases match the manifest");
}
