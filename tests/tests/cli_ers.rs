//! `stele tsa` and `stele ers` end to end, as a user runs them: a built-in TSA served over HTTP on
//! loopback by a separate `stele tsa serve` process, an evidence record built through it, then
//! verified now, with the wrong data, and thirty years later.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use stele_tests::{describe, stele, stele_bin};

/// A `stele tsa serve` process, killed on drop.
struct TsaServer {
    child: Child,
    url: String,
}

impl Drop for TsaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_tsa(dir: &Path) -> TsaServer {
    let mut child = Command::new(stele_bin())
        .args(["tsa", "serve", "--addr", "127.0.0.1:0", "--dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn stele tsa serve");
    // The server prints its URL once it listens.
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the listening line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in `{line}`"))
        .to_string();
    TsaServer { child, url }
}

fn schema_validator() -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/ers-verification.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("schema JSON");
    jsonschema::validator_for(&schema).expect("valid schema")
}

fn json_report(out: &std::process::Output) -> serde_json::Value {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("--json output is not JSON ({e}):\n{}", describe(out)));
    let validator = schema_validator();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report breaks the schema: {errors:?}\n{report:#}"
    );
    report
}

#[test]
fn build_then_verify_now_with_wrong_data_and_thirty_years_later() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tsa_dir = tmp.path().join("tsa");
    let out = stele([
        "tsa",
        "init",
        "--dir",
        tsa_dir.to_str().unwrap(),
        "--not-before",
        "2025-01-01T00:00:00Z",
        "--not-after",
        "2035-01-01T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("not an accredited"),
        "{}",
        describe(&out)
    );
    let server = start_tsa(&tsa_dir);

    let doc_a = tmp.path().join("quyet-dinh.txt");
    let doc_b = tmp.path().join("phu-luc.txt");
    std::fs::write(&doc_a, "Quyết định số 1500/QĐ-UBND về chữ ký số").unwrap();
    std::fs::write(&doc_b, "Phụ lục kèm theo").unwrap();
    let er = tmp.path().join("evidence.ers");
    let out = stele([
        "ers",
        "build",
        "--data",
        doc_a.to_str().unwrap(),
        "--data",
        doc_b.to_str().unwrap(),
        "--tsa",
        &server.url,
        "--out",
        er.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));

    let root = tsa_dir.join("root.pem");
    let verify = |data: &[&Path], extra: &[&str]| {
        let mut args: Vec<String> = vec![
            "ers".into(),
            "verify".into(),
            "--er".into(),
            er.display().to_string(),
            "--json".into(),
        ];
        for d in data {
            args.push("--data".into());
            args.push(d.display().to_string());
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        stele(args)
    };

    // Valid now, trusted through the built-in root.
    let out = verify(
        &[&doc_a, &doc_b],
        &["--trust-anchor", root.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let report = json_report(&out);
    assert_eq!(report["verdict"], "VALID");
    assert_eq!(report["tsa_trust_evaluated"], true);
    assert_eq!(
        report["chains"][0]["archive_timestamps"][0]["trust"],
        "TRUSTED"
    );

    // One document of the group alone is still covered.
    let out = verify(&[&doc_b], &["--trust-anchor", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));

    // Another document is not.
    let other = tmp.path().join("other.txt");
    std::fs::write(&other, "Quyết định số 1501/QĐ-UBND").unwrap();
    let out = verify(&[&other], &["--trust-anchor", root.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let report = json_report(&out);
    assert_eq!(report["verdict"], "INVALID");
    assert_eq!(report["failure"]["code"], "DATA_NOT_COVERED");

    // No anchor given: indeterminate, not valid.
    let out = verify(&[&doc_a], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(json_report(&out)["verdict"], "INDETERMINATE");

    // Without TSA trust everything else holds, and the report says trust was not evaluated.
    let out = verify(&[&doc_a], &["--no-tsa-trust"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let report = json_report(&out);
    assert_eq!(report["verdict"], "VALID");
    assert_eq!(report["tsa_trust_evaluated"], false);

    // Thirty years on, never renewed: the TSA certificate expired in 2035, so not provable.
    let out = verify(
        &[&doc_a],
        &[
            "--trust-anchor",
            root.to_str().unwrap(),
            "--at",
            "2056-01-01T00:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let report = json_report(&out);
    assert_eq!(report["verdict"], "INDETERMINATE");
    let msg = report["failure"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(msg.contains("2035"), "the reason names the expiry: {msg}");

    // Human output reads as a sentence, not a dump.
    let out = stele([
        "ers",
        "verify",
        "--er",
        er.to_str().unwrap(),
        "--data",
        doc_a.to_str().unwrap(),
        "--trust-anchor",
        root.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("VALID"),
        "{}",
        describe(&out)
    );
}

#[test]
fn bad_input_is_exit_2_with_a_message_naming_the_problem() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("nope.ers");
    let out = stele([
        "ers",
        "verify",
        "--er",
        missing.to_str().unwrap(),
        "--digest",
        &format!("sha256:{}", "00".repeat(32)),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nope.ers"),
        "{}",
        describe(&out)
    );

    let er = tmp.path().join("x.ers");
    std::fs::write(&er, b"\x30\x03\x02\x01\x01").unwrap();
    for bad in ["sha256", "md5:00", "sha256:zz", "sha256:00"] {
        let out = stele([
            "ers",
            "verify",
            "--er",
            er.to_str().unwrap(),
            "--digest",
            bad,
        ]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "--digest {bad}: {}",
            describe(&out)
        );
        assert!(!out.stderr.is_empty());
    }
    let out = stele([
        "ers",
        "verify",
        "--er",
        er.to_str().unwrap(),
        "--no-tsa-trust",
        "--at",
        "yesterday",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("RFC 3339"),
        "{}",
        describe(&out)
    );

    // A file that is not an evidence record is a verdict on that file: INVALID, exit 1.
    std::fs::write(&er, b"%PDF-1.7 not an evidence record").unwrap();
    let out = stele([
        "ers",
        "verify",
        "--er",
        er.to_str().unwrap(),
        "--no-tsa-trust",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
}

#[test]
fn demo_runs_on_embedded_defaults() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("demo");
    let out = stele(["demo", "--dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // Running it again reuses the TSA and verifies again.
    let out = stele(["demo", "--dir", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}
