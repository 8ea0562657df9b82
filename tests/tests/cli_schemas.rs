//! The JSON the archive commands print follows its schema: `stele renew --plan --json` and
//! `stele renew --json` (done with and without work, failed, lease held by another node) against
//! `schemas/renewal.schema.json`, and `stele verify --json` (PASSED before and after a renewal,
//! INDETERMINATE when the renewal was missed; the signature report embedded, which must follow
//! `schemas/signature-report.schema.json`) against `schemas/record-verification.schema.json`.
//! The archive is small and real: `stele init`, two CMS documents signed with the test PKI,
//! `stele seal`, and a second TSA for the renewal, all through the command line.

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use stele_tests::archive::{fresh_archive, rfc, signed_cong_van, stele_at, tsa_init};
use stele_tests::describe;
use stele_tests::pki::TestPki;
use stele_tests::schemas::{assert_valid, validator};
use time::Duration;

const METADATA: &str = r#"{
    "OrganId": "000.00.00.H12", "CodeNumber": "210", "CodeNotation": "UBND-VP", "TypeName": "Công văn",
    "IssuedDate": "2026-11-20", "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
    "Subject": "V/v lưu trữ hồ sơ điện tử có chữ ký số",
    "SignerInfo": [{"Position": "Chủ tịch", "FullName": "Nguyễn Văn An"}],
    "Confidentiality": "none", "Retention": "01", "AccessMode": "01"
}"#;

/// Runs a command and returns its JSON, asserting the exit code.
fn json_of(out: Output, code: i32) -> Value {
    assert_eq!(out.status.code(), Some(code), "{}", describe(&out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}): {}", describe(&out)))
}

/// Sets `key = value` (TOML text) in `[section]` of a configuration `stele init` wrote.
fn set_key(home: &Path, section: &str, key: &str, value: &str) {
    let path = home.join("stele.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut current = String::new();
    let mut done = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                current = name.to_string();
            }
            let commented = line.trim_start_matches("# ");
            if current == section && !done && commented.starts_with(&format!("{key} = ")) {
                done = true;
                format!("{key} = {value}")
            } else {
                line.to_string()
            }
        })
        .collect();
    assert!(done, "no {key} in [{section}] of {}", path.display());
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

fn toml_string(p: &Path) -> String {
    serde_json::to_string(&p.display().to_string()).unwrap()
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn renew_and_verify_json_follow_their_schemas() {
    let renewal = validator("renewal.schema.json");
    let verification = validator("record-verification.schema.json");
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let t0 = pki.created_at;
    // An archive whose built-in TSA A is valid three years from t0, trusting the test PKI.
    let (tmp, home) = fresh_archive(pki, t0);

    // Two CMS documents, one signed by the leader, one by the agency.
    let docs = tmp.path().join("documents");
    std::fs::create_dir_all(&docs).unwrap();
    // 210 is even: the leader's; 211 the agency's.
    for i in 0..2 {
        let p7m = signed_cong_van(pki, 210 + i, "V/v lưu trữ hồ sơ điện tử có chữ ký số.");
        std::fs::write(docs.join(format!("cong-van-{}.p7m", 210 + i)), p7m).unwrap();
    }
    let meta = tmp.path().join("meta.json");
    std::fs::write(&meta, METADATA).unwrap();
    let out = stele_at(
        &home,
        t0 + Duration::minutes(1),
        &[
            "ingest",
            docs.to_str().unwrap(),
            "--recursive",
            "--json",
            "--meta",
            meta.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|l| {
            assert_eq!(l["status"], "archived", "{l}");
            l["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 2, "{}", describe(&out));
    let sealed = json_of(
        stele_at(&home, t0 + Duration::minutes(2), &["seal", "--json"]),
        0,
    );
    assert_eq!(sealed["status"], "sealed", "{sealed}");

    // Today: a plan with nothing due, and a run that does nothing.
    let t1 = t0 + Duration::minutes(3);
    let plan = json_of(stele_at(&home, t1, &["renew", "--plan", "--json"]), 0);
    assert_valid(&renewal, "renew --plan --json, nothing due", &plan);
    let chain = &plan["chains"][0];
    assert!(chain["action"].is_null(), "{plan:#}");
    assert!(chain["due_from"].is_string(), "{plan:#}");
    assert_eq!(chain["records"], 2);
    // Beside it, the chain of the audit log's own archive (the seal sealed the log too).
    let log_chain = &plan["audit_log"]["chains"][0];
    assert_eq!(log_chain["kind"], "seal", "{plan:#}");
    assert!(log_chain["action"].is_null(), "{plan:#}");
    let run = json_of(stele_at(&home, t1, &["renew", "--json"]), 0);
    assert_valid(&renewal, "renew --json, nothing due", &run);
    assert_eq!(run["status"], "done", "{run:#}");
    assert!(run["epochs"].as_array().unwrap().is_empty(), "{run:#}");

    // Verified today: PASSED, both signatures judged, one archive timestamp.
    for id in &ids {
        let v = json_of(
            stele_at(&home, t0 + Duration::minutes(4), &["verify", id, "--json"]),
            0,
        );
        assert_valid(&verification, "verify --json, PASSED", &v);
        assert_eq!(v["verdict"], "PASSED", "{v:#}");
        assert_eq!(v["signatures"]["signatures"].as_array().unwrap().len(), 1);
        assert_eq!(v["timestamps"].as_array().unwrap().len(), 1);
    }

    // Four years on without renewal: TSA A's certificate has expired; INDETERMINATE.
    let t4y = t0 + Duration::days(4 * 365);
    let v = json_of(stele_at(&home, t4y, &["verify", &ids[0], "--json"]), 1);
    assert_valid(&verification, "verify --json, INDETERMINATE", &v);
    assert_eq!(v["verdict"], "INDETERMINATE", "{v:#}");
    assert_eq!(v["failed_check"], "TOKEN_UNTRUSTED", "{v:#}");
    assert!(v.get("signatures").is_none(), "{v:#}");

    // Renewal is due when TSA A's certificate is within the 180 days' margin; TSA B takes over.
    let due = t0 + Duration::days(3 * 365 - 170);
    tsa_init(
        &home,
        "tsa-b",
        "Stele TSA B",
        due - Duration::days(30),
        t0 + Duration::days(12 * 365),
    );
    set_key(&home, "tsa", "builtin", &toml_string(&home.join("tsa-b")));
    set_key(
        &home,
        "tsa",
        "trust",
        &format!(
            "[{}, {}]",
            toml_string(&home.join("tsa/root.pem")),
            toml_string(&home.join("tsa-b/root.pem"))
        ),
    );

    // A TSA that does not answer: the run fails, saying why in one JSON line.
    set_key(
        &home,
        "tsa",
        "urls",
        &format!("[\"http://127.0.0.1:{}/\"]", closed_port()),
    );
    set_key(&home, "tsa", "timeout_seconds", "5");
    let failed = json_of(stele_at(&home, due, &["renew", "--json"]), 1);
    assert_valid(&renewal, "renew --json, failed", &failed);
    assert_eq!(failed["status"], "failed", "{failed:#}");
    set_key(&home, "tsa", "urls", "[]");

    let plan = json_of(stele_at(&home, due, &["renew", "--plan", "--json"]), 0);
    assert_valid(&renewal, "renew --plan --json, due", &plan);
    assert_eq!(plan["chains"][0]["action"], "timestamp_renewal", "{plan:#}");
    assert_eq!(
        plan["chains"][0]["due"][0]["reason"], "tsa_certificate_expiring",
        "{plan:#}"
    );
    let log_chain = &plan["audit_log"]["chains"][0];
    assert_eq!(log_chain["action"], "timestamp_renewal", "{plan:#}");
    let run = json_of(stele_at(&home, due, &["renew", "--json"]), 0);
    assert_valid(&renewal, "renew --json, one epoch", &run);
    assert_eq!(run["status"], "done", "{run:#}");
    assert_eq!(run["epochs"].as_array().unwrap().len(), 1, "{run:#}");
    assert_eq!(run["epochs"][0][1], 1, "{run:#}");

    // After the renewal, four years on: PASSED, two archive timestamps by A then B.
    for id in &ids {
        let v = json_of(stele_at(&home, t4y, &["verify", id, "--json"]), 0);
        assert_valid(&verification, "verify --json, PASSED after renewal", &v);
        assert_eq!(v["verdict"], "PASSED", "{v:#}");
        let ts = v["timestamps"].as_array().unwrap();
        assert_eq!(ts.len(), 2, "{v:#}");
        assert!(
            ts[1]["tsa"].as_str().unwrap().contains("Stele TSA B"),
            "{v:#}"
        );
    }

    // Another node holds the renewal lease: exit 3 and who holds it until when.
    let leases = home.join("archive/leases/renewal");
    let highest = std::fs::read_dir(&leases)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.parse::<u64>().ok())
        .max()
        .expect("renewal lease generations");
    let held_until = due + Duration::hours(2);
    std::fs::write(
        leases.join(format!("{:020}", highest + 1)),
        serde_json::json!({
            "holder": "node-b.example/4242/00000000000000ab",
            "until": rfc(held_until),
            "released": false
        })
        .to_string(),
    )
    .unwrap();
    let held = json_of(
        stele_at(&home, due + Duration::hours(1), &["renew", "--json"]),
        3,
    );
    assert_valid(&renewal, "renew --json, lease held", &held);
    assert_eq!(held["status"], "lease_held", "{held:#}");
    assert_eq!(held["holder"], "node-b.example/4242/00000000000000ab");

    // The schemas are not vacuous: each refuses a document its command never prints.
    let mut bad = mutated(&plan, |p| p["chains"][0]["action"] = "renew_now".into());
    assert!(!renewal.is_valid(&bad), "{bad:#}");
    bad = mutated(&held, |h| {
        h.as_object_mut().unwrap().remove("until");
    });
    assert!(!renewal.is_valid(&bad), "{bad:#}");
    let v = json_of(stele_at(&home, t4y, &["verify", &ids[0], "--json"]), 0);
    bad = mutated(&v, |v| v["failed_check"] = "TOKEN_UNTRUSTED".into());
    assert!(
        !verification.is_valid(&bad),
        "PASSED with a failed check: {bad:#}"
    );
    bad = mutated(&v, |v| {
        v["signatures"]["signatures"][0]["indication"] = "OK".into()
    });
    assert!(
        !verification.is_valid(&bad),
        "the embedded signature report is not checked: {bad:#}"
    );
}

fn mutated(v: &Value, change: impl FnOnce(&mut Value)) -> Value {
    let mut v = v.clone();
    change(&mut v);
    v
}
