//! Thirty years in one test, through the `stele` command line only: documents signed and
//! archived today under TSA A, renewed with TSA B before A's certificate expires, carried to
//! SHA-512 by hash-tree renewal under TSA C when the policy retires SHA-256 for hash trees, and
//! verified thirteen years from now. The same archive without the first renewal must not pass,
//! one flipped byte must be found, and an exported record must verify without Stele.
//!
//! Dates are relative to the test PKI's creation (today): the signer certificates end after two
//! years, TSA A after two years and forty days.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use stele_tests::archive::{
    clone_installation, init_with, json, ok, retire_sha256_for_hash_trees, rfc, signed_cong_van,
    stele_at, switch_tsa, tsa_init,
};
use stele_tests::pki::{pyhanko, TestPki};
use stele_tests::{describe, stele_bin};
use time::{Duration, OffsetDateTime};

const METADATA: &str = r#"{
    "OrganId": "H25", "CodeNumber": "100", "CodeNotation": "UBND-VP", "TypeName": "Công văn",
    "IssuedDate": "2026-11-20", "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
    "Subject": "V/v lưu trữ hồ sơ điện tử có chữ ký số",
    "Confidentiality": "none", "Retention": "01", "AccessMode": "01"
}"#;

fn verify(dir: &Path, at: OffsetDateTime, id: &str) -> (Output, Value) {
    let out = stele_at(dir, at, &["verify", id, "--at", &rfc(at), "--json"]);
    let v = json(&out);
    (out, v)
}

/// The 50 documents: the pyHanko PDFs signed by the leader (and the agency), and CMS
/// enveloping signatures by either.
fn documents(pki: &TestPki, folder: &Path) -> usize {
    std::fs::create_dir_all(folder).unwrap();
    let pdfs = pyhanko().expect("checked").shared_pdfs();
    std::fs::copy(
        &pdfs.leader_agency,
        folder.join("quyet-dinh-lanh-dao-va-co-quan.pdf"),
    )
    .unwrap();
    std::fs::copy(&pdfs.leader, folder.join("quyet-dinh-lanh-dao.pdf")).unwrap();
    for i in 0..48 {
        let p7m = signed_cong_van(
            pki,
            100 + i,
            &format!("V/v lưu trữ hồ sơ điện tử có chữ ký số (bản {i})."),
        );
        std::fs::write(folder.join(format!("cong-van-{:03}.p7m", 100 + i)), p7m).unwrap();
    }
    50
}

#[test]
fn thirty_years_sealed_renewed_rehashed_and_verified() {
    let Some(_) = pyhanko() else { return };
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let t0 = pki.created_at;
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("stele");
    std::fs::create_dir_all(&home).unwrap();

    // 2026: TSA A, valid two years and forty days; the archive; 50 signed documents.
    tsa_init(
        &home,
        "tsa",
        "Stele TSA A",
        t0 - Duration::days(1),
        t0 + Duration::days(770),
    );
    let init = init_with(
        Command::new(stele_bin()),
        &home,
        t0,
        &[],
        pki.trust_anchor(),
    );
    let said =
        String::from_utf8_lossy(&init.stdout).to_string() + &String::from_utf8_lossy(&init.stderr);
    assert!(said.contains("built-in"), "{said}");
    let docs = tmp.path().join("documents");
    let n = documents(pki, &docs);
    let meta = tmp.path().join("meta.json");
    std::fs::write(&meta, METADATA).unwrap();
    let out = ok(stele_at(
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
    ));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), n, "{}", describe(&out));
    assert!(
        lines.iter().all(|l| l["status"] == "archived"),
        "{}",
        describe(&out)
    );
    let ids: Vec<String> = lines
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect();

    let sealed = json(&ok(stele_at(
        &home,
        t0 + Duration::minutes(2),
        &["seal", "--json"],
    )));
    assert_eq!(sealed["status"], "sealed", "{sealed}");
    assert_eq!(sealed["records"], n);
    let again = json(&ok(stele_at(
        &home,
        t0 + Duration::minutes(3),
        &["seal", "--json"],
    )));
    assert_eq!(again["status"], "nothing_pending");
    let plan = json(&ok(stele_at(
        &home,
        t0 + Duration::minutes(3),
        &["renew", "--plan", "--json"],
    )));
    assert!(
        plan["chains"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["action"].is_null()),
        "{plan:#}"
    );

    // Verified today: PASSED, one archive timestamp.
    let (out, v) = verify(&home, t0 + Duration::minutes(4), &ids[0]);
    assert!(out.status.success(), "{v:#}");
    assert_eq!(v["verdict"], "PASSED");

    // The same installation, which will skip the 2028 renewal.
    let skipped = tmp.path().join("skipped");
    clone_installation(&home, &skipped);

    // 2028: A expires within the margin; renew with TSA B.
    let t2028 = t0 + Duration::days(730);
    tsa_init(
        &home,
        "tsa-b",
        "Stele TSA B",
        t2028 - Duration::days(10),
        t2028 + Duration::days(5 * 365),
    );
    switch_tsa(&home, "tsa-b");
    let plan = json(&ok(stele_at(&home, t2028, &["renew", "--plan", "--json"])));
    let chain = &plan["chains"][0];
    assert_eq!(chain["action"], "timestamp_renewal", "{plan:#}");
    assert_eq!(
        chain["due"][0]["reason"], "tsa_certificate_expiring",
        "{plan:#}"
    );
    let run = json(&ok(stele_at(&home, t2028, &["renew", "--json"])));
    assert_eq!(run["status"], "done", "{run:#}");
    assert_eq!(run["epochs"].as_array().unwrap().len(), 1, "{run:#}");
    let run = json(&ok(stele_at(
        &home,
        t2028 + Duration::hours(1),
        &["renew", "--json"],
    )));
    assert!(
        run["epochs"].as_array().unwrap().is_empty(),
        "renewed twice: {run:#}"
    );

    // 2031: SHA-256 retires for hash trees in 100 days; hash-tree renewal with TSA C.
    let t2031 = t0 + Duration::days(5 * 365);
    for h in [&home, &skipped] {
        tsa_init(
            h,
            "tsa-c",
            "Stele TSA C",
            t2031 - Duration::days(10),
            t2031 + Duration::days(9 * 365),
        );
        switch_tsa(h, "tsa-c");
        retire_sha256_for_hash_trees(h, t2031 + Duration::days(100));
    }
    let plan = json(&ok(stele_at(&home, t2031, &["renew", "--plan", "--json"])));
    assert_eq!(plan["chains"][0]["action"], "hash_tree_renewal", "{plan:#}");
    let run = json(&ok(stele_at(&home, t2031, &["renew", "--json"])));
    assert_eq!(run["hash_tree_batches"][0][1], n, "{run:#}");
    let plan = json(&ok(stele_at(
        &home,
        t2031 + Duration::hours(1),
        &["renew", "--plan", "--json"],
    )));
    let chains = plan["chains"].as_array().unwrap();
    assert_eq!(chains.len(), 1, "{plan:#}");
    assert_eq!(chains[0]["algorithm"], "sha512");
    assert!(chains[0]["action"].is_null(), "{plan:#}");

    // 2039: every record PASSED, its evidence three archive timestamps by A, B and C.
    let t2039 = t0 + Duration::days(13 * 365);
    for id in &ids {
        let (out, v) = verify(&home, t2039, id);
        assert!(out.status.success(), "{id}: {v:#}");
        assert_eq!(v["verdict"], "PASSED");
        let ts = v["timestamps"].as_array().unwrap();
        assert_eq!(ts.len(), 3, "{v:#}");
        for (t, name) in ts.iter().zip(["Stele TSA A", "Stele TSA B", "Stele TSA C"]) {
            assert!(t["tsa"].as_str().unwrap().contains(name), "{v:#}");
        }
        assert_eq!(ts[2]["algorithm"], "sha512");
    }

    // Without the 2028 renewal: A's certificate had expired before C's timestamp.
    let run = json(&ok(stele_at(&skipped, t2031, &["renew", "--json"])));
    assert_eq!(run["hash_tree_batches"][0][1], n, "{run:#}");
    let (out, v) = verify(&skipped, t2039, &ids[0]);
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    assert_ne!(v["verdict"], "PASSED");
    assert_eq!(v["failed_check"], "TOKEN_UNTRUSTED", "{v:#}");
    let summary = v["summary"].as_str().unwrap();
    assert!(
        summary.contains("expired") && summary.contains("Stele TSA A"),
        "{summary}"
    );

    // An exported record verifies with `stele ers verify` alone and its tokens with OpenSSL.
    check_export(&home, t2039, &ids[0]);

    // One flipped byte in a stored blob: FAILED naming the record; the audit finds it.
    let victim = &ids[1];
    let blob = home
        .join("archive/blobs/sha256")
        .join(&victim[..2])
        .join(&victim[2..4])
        .join(victim);
    let mut bytes = std::fs::read(&blob).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&blob, bytes).unwrap();
    let (out, v) = verify(&home, t2039, victim);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(v["verdict"], "FAILED");
    assert_eq!(v["failed_check"], "FILE_CORRUPT");
    assert!(
        v["summary"].as_str().unwrap().contains(victim.as_str()),
        "{v:#}"
    );
    let audit = stele_at(&home, t2039, &["audit"]);
    assert_eq!(audit.status.code(), Some(1), "{}", describe(&audit));
    assert!(
        String::from_utf8_lossy(&audit.stdout).contains(victim.as_str()),
        "{}",
        describe(&audit)
    );
}

fn check_export(home: &Path, at: OffsetDateTime, id: &str) {
    let out_dir = home.parent().unwrap().join("export");
    ok(stele_at(
        home,
        at,
        &[
            "export",
            id,
            "--out",
            out_dir.to_str().unwrap(),
            "--at",
            &rfc(at),
        ],
    ));
    let data: Vec<PathBuf> = std::fs::read_dir(out_dir.join("data-objects"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(data.len() >= 3, "{data:?}");
    let mut args: Vec<String> = vec![
        "ers".into(),
        "verify".into(),
        "--er".into(),
        out_dir.join("evidence.ers").display().to_string(),
    ];
    for d in &data {
        args.push("--data".into());
        args.push(d.display().to_string());
    }
    for anchor in ["tsa", "tsa-b", "tsa-c"] {
        args.push("--trust-anchor".into());
        args.push(home.join(anchor).join("root.pem").display().to_string());
    }
    args.push("--at".into());
    args.push(rfc(at));
    let out = Command::new(stele_bin()).args(&args).output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));

    // Each token through `openssl ts -verify`, at the time it had to be valid.
    let readme = std::fs::read_to_string(out_dir.join("README.txt")).unwrap();
    let commands: Vec<&str> = readme
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("openssl ts -verify"))
        .collect();
    assert_eq!(commands.len(), 3, "{readme}");
    for c in commands {
        let out = Command::new("sh")
            .arg("-c")
            .arg(c)
            .current_dir(&out_dir)
            .output()
            .unwrap();
        assert!(
            out.status.success()
                && String::from_utf8_lossy(&out.stdout).contains("Verification: OK"),
            "{c}\n{}",
            describe(&out)
        );
    }
}
