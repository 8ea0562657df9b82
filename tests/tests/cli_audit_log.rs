//! The audit log through the command line, as an operator meets it: every ingest, read, export,
//! verification, seal and renewal is logged; `stele seal` seals the log; `stele audit-log
//! verify` checks the chain and the seals (still proven ten years on, after a renewal under a
//! new TSA) and names an entry altered on disk; a read that cannot be logged gives nothing out.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use stele_tests::archive::{
    fresh_archive, init_with, json, json_lines, ok, signed_cong_van, stele_at, switch_tsa, tsa_init,
};
use stele_tests::pki::TestPki;
use stele_tests::schemas::{assert_valid, validator};
use stele_tests::{describe, stele_bin};
use time::{Duration, OffsetDateTime};

const METADATA: &str = r#"{
    "OrganId": "H25", "CodeNumber": "7", "CodeNotation": "UBND-VP", "TypeName": "Công văn",
    "IssuedDate": "2026-11-20", "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
    "Subject": "V/v nhật ký truy cập", "Confidentiality": "none", "Retention": "01",
    "AccessMode": "01"
}"#;

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// `stele audit-log verify --json` at `at`: exit code and report (checked against the schema).
fn log_verify(home: &Path, at: OffsetDateTime, schema: &jsonschema::Validator) -> (i32, Value) {
    let out = stele_at(home, at, &["audit-log", "verify", "--json"]);
    let report = json(&out);
    assert_valid(schema, "audit-log verify --json", &report);
    (code(&out), report)
}

fn entry_path(home: &Path, seq: u64) -> std::path::PathBuf {
    home.join("archive/audit-log/entries")
        .join(format!("{seq:020}.json"))
}

#[test]
fn every_access_is_logged_sealed_and_checked() {
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let t0 = pki.created_at;
    let schema = validator("audit-log.schema.json");
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("stele");
    std::fs::create_dir_all(&home).unwrap();
    tsa_init(
        &home,
        "tsa",
        "Stele TSA A",
        t0 - Duration::days(1),
        t0 + Duration::days(1095),
    );
    init_with(
        Command::new(stele_bin()),
        &home,
        t0,
        &[],
        pki.trust_anchor(),
    );
    assert!(
        home.join("archive").is_dir(),
        "the test expects the local store in <home>/archive"
    );

    // Ingest two letters, then one again (a duplicate is logged too).
    let docs = tmp.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    for i in 0..2 {
        let p7m = signed_cong_van(pki, 700 + i, &format!("V/v nhật ký truy cập (bản {i})."));
        std::fs::write(docs.join(format!("cong-van-{i}.p7m")), p7m).unwrap();
    }
    let meta = tmp.path().join("meta.json");
    std::fs::write(&meta, METADATA).unwrap();
    let ingest = |at: OffsetDateTime, path: &Path| {
        ok(stele_at(
            &home,
            at,
            &[
                "ingest",
                "--json",
                "--recursive",
                "--meta",
                meta.to_str().unwrap(),
                path.to_str().unwrap(),
            ],
        ))
    };
    let out = ingest(t0 + Duration::minutes(1), &docs);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("audit log"),
        "{}",
        describe(&out)
    );
    let ids: Vec<String> = json_lines(&out)
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{}", describe(&out));
    let id = ids[0].clone();
    let again = ingest(t0 + Duration::minutes(1), &docs.join("cong-van-0.p7m"));
    assert_eq!(json_lines(&again)[0]["status"], "duplicate");

    // Read, show, seal (which seals the log too), verify, export, seal again.
    let at = |m: i64| t0 + Duration::minutes(m);
    let got = tmp.path().join("got.p7m");
    ok(stele_at(
        &home,
        at(2),
        &["get", &id, "--out", got.to_str().unwrap()],
    ));
    ok(stele_at(&home, at(2), &["show", &id]));
    let sealed = json(&ok(stele_at(&home, at(3), &["seal", "--json"])));
    assert_eq!(sealed["status"], "sealed", "{sealed}");
    assert_eq!(sealed["audit_log"]["status"], "ok", "{sealed}");
    assert_eq!(sealed["audit_log"]["seal"]["status"], "sealed", "{sealed}");
    ok(stele_at(&home, at(4), &["verify", &id]));
    let export = tmp.path().join("export");
    ok(stele_at(
        &home,
        at(5),
        &["export", &id, "--out", export.to_str().unwrap()],
    ));
    let sealed = json(&ok(stele_at(&home, at(6), &["seal", "--json"])));
    assert_eq!(sealed["status"], "nothing_pending", "{sealed}");
    assert_eq!(sealed["audit_log"]["seal"]["status"], "sealed", "{sealed}");
    let through = sealed["audit_log"]["segmented_through"].as_u64().unwrap();

    // The log verifies, lists those actions, and its newest seal covers the second seal run.
    let (c, r) = log_verify(&home, at(7), &schema);
    assert_eq!(c, 0, "{r:#}");
    assert_eq!(r["intact"], true, "{r:#}");
    assert_eq!(r["sealed_through"], through, "{r:#}");
    let actions = &r["actions"];
    assert_eq!(actions["ingest"], 3, "{r:#}");
    assert_eq!(actions["read"], 2, "{r:#}");
    assert_eq!(actions["export"], 1, "{r:#}");
    assert_eq!(actions["verify"], 1, "{r:#}");
    assert_eq!(actions["seal"], 2, "{r:#}");
    let segments = r["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 2, "{r:#}");
    assert!(segments.iter().all(|s| s["verdict"] == "PASSED"), "{r:#}");

    // `show --record`: that record's story, in order.
    let out = ok(stele_at(
        &home,
        at(8),
        &["audit-log", "show", "--json", "--record", &id[..12]],
    ));
    let shown = json(&out);
    assert_valid(&schema, "audit-log show --json", &shown);
    let story: Vec<&str> = shown["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        story,
        ["ingest", "ingest", "read", "read", "verify", "export"],
        "{shown:#}"
    );
    let read_seq = shown["entries"][2]["seq"].as_u64().unwrap();
    assert!(shown["entries"][2]["actor"]
        .as_str()
        .unwrap()
        .starts_with("cli"));
    let text = ok(stele_at(
        &home,
        at(8),
        &["audit-log", "show", "--limit", "3"],
    ));
    assert_eq!(
        String::from_utf8_lossy(&text.stdout).lines().count(),
        3,
        "{}",
        describe(&text)
    );

    // Without renewal, TSA A's tokens alone prove nothing ten years on.
    let ten_years = t0 + Duration::days(3653);
    let (c, r) = log_verify(&home, ten_years, &schema);
    assert_eq!(c, 1, "{r:#}");
    assert!(r["sealed_through"].is_null(), "{r:#}");

    // Two and a half years on, TSA A nears its end: the renewal under TSA B renews the log's
    // seals too, so they are still proven ten years on.
    tsa_init(
        &home,
        "tsa-b",
        "Stele TSA B",
        t0 + Duration::days(365),
        t0 + Duration::days(15 * 365),
    );
    switch_tsa(&home, "tsa-b");
    let renewed = ok(stele_at(&home, t0 + Duration::days(930), &["renew"]));
    assert!(
        String::from_utf8_lossy(&renewed.stderr).contains("audit log: 1 epoch(s)"),
        "{}",
        describe(&renewed)
    );
    let (c, r) = log_verify(&home, ten_years, &schema);
    assert_eq!(c, 0, "{r:#}");
    for s in r["segments"].as_array().unwrap() {
        assert_eq!(s["verdict"], "PASSED", "{r:#}");
        let poe = OffsetDateTime::parse(
            s["proof_of_existence"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert!(poe < t0 + Duration::minutes(10), "{r:#}");
    }
    assert_eq!(r["sealed_through"], through, "{r:#}");
    // `stele audit` checks the log too: its chain and its own archive of segments and seals.
    let audit = json(&ok(stele_at(&home, ten_years, &["audit", "--json"])));
    assert_eq!(audit["clean"], true, "{audit:#}");
    assert_eq!(audit["audit_log"]["segments"], 2, "{audit:#}");
    assert_eq!(audit["audit_log"]["records"], 2, "{audit:#}");
    assert!(
        audit["audit_log"]["entries"].as_u64().unwrap() > 10,
        "{audit:#}"
    );

    // One entry altered on disk: named, exit 1, even in the text report.
    let path = entry_path(&home, read_seq);
    let original = std::fs::read(&path).unwrap();
    let altered = String::from_utf8(original.clone())
        .unwrap()
        .replace("cli", "clj");
    assert_ne!(altered.as_bytes(), original.as_slice());
    std::fs::write(&path, &altered).unwrap();
    let (c, r) = log_verify(&home, ten_years, &schema);
    assert_eq!(c, 1, "{r:#}");
    let named: Vec<(&str, u64)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["seq"].as_u64().unwrap_or(0)))
        .collect();
    assert!(named.contains(&("sealed_copy_differs", read_seq)), "{r:#}");
    assert!(named.contains(&("broken_chain", read_seq)), "{r:#}");
    let out = stele_at(&home, ten_years, &["audit-log", "verify"]);
    assert_eq!(code(&out), 1, "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("{read_seq:020}.json")),
        "{}",
        describe(&out)
    );
    for args in [&["audit"][..], &["audit", "--json"]] {
        let out = stele_at(&home, ten_years, args);
        assert_eq!(code(&out), 1, "{}", describe(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&format!("{read_seq:020}.json")),
            "{}",
            describe(&out)
        );
    }
    // Garbage in an entry file is a finding, never a crash.
    std::fs::write(&path, b"\x00\xff{{{").unwrap();
    let (c, _) = log_verify(&home, ten_years, &schema);
    assert_eq!(c, 1);
    std::fs::write(&path, &original).unwrap();

    // A read that cannot be logged gives nothing out (exit 2): the entries folder is replaced
    // by a file, so no entry can be written.
    let entries = home.join("archive/audit-log/entries");
    let aside = home.join("archive/audit-log/entries-aside");
    std::fs::rename(&entries, &aside).unwrap();
    std::fs::write(&entries, b"not a folder").unwrap();
    let out_file = tmp.path().join("unlogged.p7m");
    let out = stele_at(
        &home,
        ten_years,
        &["get", &id, "--out", out_file.to_str().unwrap()],
    );
    assert_eq!(code(&out), 2, "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("audit log"),
        "{}",
        describe(&out)
    );
    assert!(!out_file.exists(), "content was given out unlogged");
    let out = stele_at(
        &home,
        ten_years,
        &[
            "export",
            &id,
            "--out",
            tmp.path().join("unlogged-export").to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 2, "{}", describe(&out));
    assert!(!tmp.path().join("unlogged-export").exists());
    std::fs::remove_file(&entries).unwrap();
    std::fs::rename(&aside, &entries).unwrap();
    let (c, r) = log_verify(&home, ten_years, &schema);
    assert_eq!(c, 0, "{r:#}");
}

/// `stele seal --if-due`, run often from a timer, seals the audit log as it seals records: when
/// due by `[seal]` (here the oldest segment waiting an hour), not with a timestamp every run.
#[test]
fn with_if_due_the_log_is_sealed_when_due_like_the_records() {
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let t0 = pki.created_at + Duration::days(1);
    let (_tmp, home) = fresh_archive(pki, t0);
    let seal_if_due =
        |at: OffsetDateTime| json(&ok(stele_at(&home, at, &["seal", "--if-due", "--json"])));
    let first = seal_if_due(t0);
    assert_eq!(first["status"], "nothing_pending", "{first}");
    assert_eq!(first["audit_log"]["seal"]["status"], "not_due", "{first}");
    let later = seal_if_due(t0 + Duration::minutes(30));
    assert_eq!(later["audit_log"]["seal"]["status"], "not_due", "{later}");
    assert_eq!(later["audit_log"]["seal"]["pending"], 2, "{later}");
    let due = seal_if_due(t0 + Duration::minutes(61));
    assert_eq!(due["audit_log"]["seal"]["status"], "sealed", "{due}");
    // Without --if-due the log is sealed at once, as the records are.
    let now = json(&ok(stele_at(
        &home,
        t0 + Duration::minutes(62),
        &["seal", "--json"],
    )));
    assert_eq!(now["audit_log"]["seal"]["status"], "sealed", "{now}");
}
