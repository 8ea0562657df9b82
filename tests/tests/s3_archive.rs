//! The archive's whole life on a real S3 service, through the `stele` command line only:
//! SeaweedFS (`weed server -s3`, started on loopback ports by this test and killed when it ends)
//! holds the store (`s3://stele/archive`); documents signed with the test PKI (pyHanko PDFs and
//! CMS) are ingested, sealed under TSA A, renewed two years on under TSA B, verified years later,
//! exported and audited. Nothing of the archive is kept on the local disk.
//!
//! Without `weed` (`$STELE_WEED`, the PATH, or `.ci/run`'s virtual environment) the test says it
//! skipped, unless `CI` is set, where it fails; likewise without pyHanko.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::Value;
use stele_asn1::DigestAlgorithm;
use stele_tests::archive::{
    edit_config, init_with, json, json_lines, ok, rfc, section, signed_cong_van, switch_tsa,
    tsa_init_with, with_config,
};
use stele_tests::pki::{pyhanko, TestPki};
use stele_tests::weed::{self, Weed};
use stele_tests::{describe, stele_bin};
use time::{Duration, OffsetDateTime};

const METADATA: &str = r#"{
    "CodeNumber": "12", "CodeNotation": "CV-UBND", "TypeName": "Công văn",
    "IssuedDate": "2026-03-15", "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
    "Subject": "Về việc lưu trữ hồ sơ điện tử trên kho S3",
    "Confidentiality": "none", "Retention": "01", "AccessMode": "01"
}"#;

/// `stele` with the S3 credentials in its environment (and nothing else that could point it
/// elsewhere).
fn stele_cmd() -> Command {
    let mut c = Command::new(stele_bin());
    c.env("AWS_ACCESS_KEY_ID", weed::KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", weed::SECRET)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("STELE_CONFIG");
    c
}

/// `stele --config <home>/stele.toml --now <now> args…`
fn stele_at(home: &Path, now: OffsetDateTime, args: &[&str]) -> Output {
    with_config(stele_cmd(), &home.join("stele.toml"), now, args)
        .output()
        .expect("run stele")
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(DigestAlgorithm::Sha256.digest(&std::fs::read(path).unwrap()))
}

#[test]
fn archive_on_seaweedfs_sealed_renewed_verified_exported_audited() {
    let Some(weed_bin) = weed::weed_binary() else {
        return;
    };
    let Some(hanko) = pyhanko() else { return };
    let started = Instant::now();
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let pdfs = hanko.shared_pdfs();
    let step = Instant::now();
    let server = Weed::start(&weed_bin);
    eprintln!(
        "SeaweedFS up at {} in {:.1?}",
        server.endpoint(),
        step.elapsed()
    );

    let t0 = pki.created_at;
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("stele");
    std::fs::create_dir_all(&home).unwrap();

    // TSA A, valid two years and forty days; the archive in s3://stele/archive.
    tsa_init_with(
        stele_cmd(),
        &home,
        "tsa",
        "Stele TSA A",
        t0 - Duration::days(1),
        t0 + Duration::days(770),
    );
    let store_url = format!("s3://{}/archive", weed::BUCKET);
    init_with(
        stele_cmd(),
        &home,
        t0,
        &["--store", &store_url],
        pki.trust_anchor(),
    );
    let endpoint = server.endpoint();
    edit_config(&home, |cfg| {
        let store = section(cfg, "store");
        assert_eq!(store["url"].as_str(), Some(store_url.as_str()), "{store:?}");
        store.insert("s3_endpoint".into(), endpoint.into());
        store.insert("s3_allow_http".into(), true.into());
        store.insert("s3_region".into(), "us-east-1".into());
    });

    // Six documents: two pyHanko PDFs (one signed by the leader and the agency) and four CMS.
    let docs = tmp.path().join("documents");
    std::fs::create_dir_all(docs.join("cms")).unwrap();
    let mut files: Vec<PathBuf> = vec![
        docs.join("quyet-dinh-lanh-dao.pdf"),
        docs.join("quyet-dinh-lanh-dao-va-co-quan.pdf"),
    ];
    std::fs::copy(&pdfs.leader, &files[0]).unwrap();
    std::fs::copy(&pdfs.leader_agency, &files[1]).unwrap();
    for i in 0..4 {
        let path = docs.join("cms").join(format!("cong-van-{}.p7m", 200 + i));
        std::fs::write(
            &path,
            signed_cong_van(pki, 200 + i, &format!("V/v lưu trữ trên kho S3 (bản {i}).")),
        )
        .unwrap();
        files.push(path);
    }
    let meta = tmp.path().join("meta.json");
    std::fs::write(&meta, METADATA).unwrap();
    let ingest = |now: OffsetDateTime| {
        stele_at(
            &home,
            now,
            &[
                "ingest",
                "--recursive",
                "--json",
                "--meta",
                meta.to_str().unwrap(),
                docs.to_str().unwrap(),
            ],
        )
    };

    let step = Instant::now();
    let out = ok(ingest(t0 + Duration::minutes(1)));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), files.len(), "{}", describe(&out));
    let mut ids = Vec::new();
    // In the walk's sorted order: cms/ first.
    for line in &lines {
        assert_eq!(line["status"], "archived", "{line}");
        assert_eq!(line["indication"], "PASSED", "{line}");
        let file = Path::new(line["file"].as_str().unwrap());
        assert_eq!(line["id"], sha256_hex(file), "{line}");
        ids.push(line["id"].as_str().unwrap().to_string());
    }
    let out = ok(ingest(t0 + Duration::minutes(1)));
    assert!(
        json_lines(&out).iter().all(|l| l["status"] == "duplicate"),
        "{}",
        describe(&out)
    );
    eprintln!(
        "ingested {} documents into S3 in {:.1?}",
        files.len(),
        step.elapsed()
    );

    // Sealed under A; PASSED at once.
    let sealed = json(&ok(stele_at(
        &home,
        t0 + Duration::minutes(2),
        &["seal", "--json"],
    )));
    assert_eq!(sealed["status"], "sealed", "{sealed}");
    assert_eq!(sealed["records"], files.len(), "{sealed}");
    let out = stele_at(
        &home,
        t0 + Duration::minutes(3),
        &["verify", &ids[0], "--json"],
    );
    let v = json(&out);
    assert!(out.status.success(), "{v:#}");
    assert_eq!(v["verdict"], "PASSED", "{v:#}");

    // Two years on, A expires within the margin: renewed under TSA B, once.
    let t2 = t0 + Duration::days(730);
    tsa_init_with(
        stele_cmd(),
        &home,
        "tsa-b",
        "Stele TSA B",
        t2 - Duration::days(10),
        t2 + Duration::days(5 * 365),
    );
    switch_tsa(&home, "tsa-b");
    let plan = json(&ok(stele_at(&home, t2, &["renew", "--plan", "--json"])));
    assert_eq!(plan["chains"][0]["action"], "timestamp_renewal", "{plan:#}");
    let step = Instant::now();
    let run = json(&ok(stele_at(&home, t2, &["renew", "--json"])));
    assert_eq!(run["status"], "done", "{run:#}");
    assert_eq!(run["epochs"].as_array().unwrap().len(), 1, "{run:#}");
    eprintln!("renewed on S3 in {:.1?}", step.elapsed());
    let run = json(&ok(stele_at(
        &home,
        t2 + Duration::hours(1),
        &["renew", "--json"],
    )));
    assert!(
        run["epochs"].as_array().unwrap().is_empty(),
        "renewed twice: {run:#}"
    );
    let plan = json(&ok(stele_at(
        &home,
        t2 + Duration::hours(1),
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

    // Six years on (A long expired): every record PASSED on the evidence of A then B.
    let t6 = t0 + Duration::days(6 * 365);
    for id in &ids {
        let out = stele_at(&home, t6, &["verify", id, "--at", &rfc(t6), "--json"]);
        let v = json(&out);
        assert!(out.status.success(), "{id}: {v:#}");
        assert_eq!(v["verdict"], "PASSED", "{v:#}");
        let ts = v["timestamps"].as_array().unwrap();
        assert_eq!(ts.len(), 2, "{v:#}");
        for (t, name) in ts.iter().zip(["Stele TSA A", "Stele TSA B"]) {
            assert!(t["tsa"].as_str().unwrap().contains(name), "{v:#}");
        }
    }

    // The PDF signed twice exported from S3; the package verifies without the store.
    check_export(&home, t6, &sha256_hex(&files[1]), &files[1]);

    // The audit reads everything back from S3: clean, every record, one seal, one epoch.
    let out = stele_at(&home, t6, &["audit", "--json"]);
    let audit = json(&out);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(audit["clean"], true, "{audit:#}");
    assert_eq!(audit["records"], files.len(), "{audit:#}");
    assert_eq!(audit["pending_records"], 0, "{audit:#}");
    assert_eq!(audit["seals"], 1, "{audit:#}");
    assert_eq!(audit["epochs"], 1, "{audit:#}");
    assert_eq!(audit["store"], store_url.as_str(), "{audit:#}");

    // Nothing of the archive went to the local disk.
    assert!(
        !home.join("archive").exists(),
        "a local store was made beside S3"
    );
    drop(server);
    eprintln!("S3 archive flow done in {:.1?}", started.elapsed());
}

fn check_export(home: &Path, at: OffsetDateTime, id: &str, original: &Path) {
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
    let name = original.file_name().unwrap();
    assert_eq!(
        std::fs::read(out_dir.join("original").join(name)).unwrap(),
        std::fs::read(original).unwrap(),
        "the exported original differs from the ingested file"
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("verification.json")).unwrap()).unwrap();
    assert_eq!(report["verdict"], "PASSED", "{report:#}");

    // `stele ers verify` with the evidence record, the data objects and the TSA roots only.
    let mut args: Vec<String> = vec![
        "ers".into(),
        "verify".into(),
        "--er".into(),
        out_dir.join("evidence.ers").display().to_string(),
    ];
    let data: Vec<PathBuf> = std::fs::read_dir(out_dir.join("data-objects"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(data.len() >= 3, "{data:?}");
    for d in &data {
        args.push("--data".into());
        args.push(d.display().to_string());
    }
    for anchor in ["tsa", "tsa-b"] {
        args.push("--trust-anchor".into());
        args.push(home.join(anchor).join("root.pem").display().to_string());
    }
    args.push("--at".into());
    args.push(rfc(at));
    let out = Command::new(stele_bin()).args(&args).output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));

    // `sha256sum -c SHA256SUMS` holds for the whole package.
    let out = Command::new("sha256sum")
        .args(["-c", "--quiet", "SHA256SUMS"])
        .current_dir(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
}
