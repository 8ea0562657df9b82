//! Crash safety through the `stele` command line (DESIGN §4): `stele ingest`, `stele seal` and
//! `stele renew` are SIGKILLed at random instants and rerun, and the archive must come out as if
//! nothing had happened — audit clean, every document archived once, every record PASSED, and
//! exactly as many seal batches and renewal epochs as uninterrupted runs would have written.
//!
//! Kill instants come from a small PRNG (SplitMix64) seeded per run from a base seed printed at
//! the start; set `STELE_CRASH_SEED` to replay a run. They are spread over the real duration of
//! the job, measured first on this machine with an uninterrupted run.
//!
//! Ingest: each of 21 runs archives the same 30 signed documents into a store of its own, killed
//! once or twice, then completed. Then, in the last of those stores (t0 is the test PKI's
//! creation): sealed under TSA A (valid until t0+365 days), killed three times; six more
//! documents sealed in a second batch, so renewal has two chains; 21 timestamp renewals 30 days
//! apart from t0+200, each under a new TSA valid 200 days (so each is due when the next comes:
//! its certificate then expires within the 180-day margin), the first uninterrupted, the other
//! 20 killed and rerun; then a hash-tree renewal to SHA-512 when the policy retires SHA-256 for
//! hash trees, killed several times, also on copies of the archive, and raced by two processes.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration as Wall, Instant};

use serde_json::Value;
use stele_asn1::DigestAlgorithm;
use stele_tests::archive::{
    clone_installation, init_with, json, json_lines, ok, read_config, retire_sha256_for_hash_trees,
    rfc, section, signed_cong_van, switch_tsa, tsa_init, with_config,
};
use stele_tests::pki::TestPki;
use stele_tests::{describe, stele_bin};
use time::{Duration, OffsetDateTime};

/// Signed documents in the folder.
const DOCUMENTS: usize = 30;
/// Ingest runs killed (each into a fresh store, one or two kills, then completed).
const INGEST_RUNS: usize = 20;
/// Timestamp-renewal due points killed (after one uninterrupted).
const RENEWAL_POINTS: usize = 20;
/// Kills of the hash-tree renewal in the archive before it is completed.
const HASH_TREE_KILLS: usize = 3;
/// Copies of the archive in which the hash-tree renewal is killed once and completed.
const HASH_TREE_CLONES: usize = 3;
/// Kills of `stele seal` before it is completed.
const SEAL_KILLS: usize = 3;
/// Documents ingested after the first seal, sealed in a second batch: two chains to renew.
const LATER: usize = 6;

const METADATA: &str = r#"{
    "CodeNumber": "7", "CodeNotation": "CV-UBND", "TypeName": "Công văn",
    "IssuedDate": "2026-03-15", "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
    "Subject": "Về việc lưu trữ hồ sơ điện tử có chữ ký số",
    "Confidentiality": "none", "Retention": "01", "AccessMode": "01"
}"#;

/// SplitMix64: small, deterministic, good enough to spread kill instants.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A delay uniformly spread over `[0, max]`.
    fn delay(&mut self, max: Wall) -> Wall {
        Wall::from_micros(self.below(max.as_micros() as u64 + 1))
    }
}

/// The base seed: `STELE_CRASH_SEED` (decimal or 0x-hex), else fixed.
fn base_seed() -> u64 {
    match std::env::var("STELE_CRASH_SEED") {
        Ok(s) if !s.trim().is_empty() => {
            let s = s.trim();
            match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            }
            .unwrap_or_else(|e| panic!("STELE_CRASH_SEED={s}: {e}"))
        }
        _ => 0x57e1_e0c4_a5e5_2026,
    }
}

/// The seed of run `n` of `phase`.
fn run_rng(base: u64, phase: u64, n: usize) -> Rng {
    let mut mix = Rng::new(base ^ phase.rotate_left(32) ^ n as u64);
    Rng::new(mix.next())
}

fn stele_cmd(config: &Path, now: OffsetDateTime, args: &[&str]) -> Command {
    let mut c = Command::new(stele_bin());
    c.env_remove("STELE_CONFIG");
    with_config(c, config, now, args)
}

/// `stele --config <config> --now <now> args…`, run to its end.
fn stele(config: &Path, now: OffsetDateTime, args: &[&str]) -> Output {
    stele_cmd(config, now, args).output().expect("run stele")
}

/// Starts `stele args` with its output in `log`, SIGKILLs it after `delay` (`Child::kill`) and
/// reaps it, so its pid is gone as after a real crash. True when it was killed; a run that ended
/// first must have succeeded.
fn killed_after(
    config: &Path,
    now: OffsetDateTime,
    args: &[&str],
    delay: Wall,
    log: &Path,
) -> bool {
    let file = std::fs::File::create(log).unwrap();
    let mut child: Child = stele_cmd(config, now, args)
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .expect("start stele");
    std::thread::sleep(delay);
    let _ = child.kill();
    let status: ExitStatus = child.wait().unwrap();
    if status.signal() == Some(9) {
        return true;
    }
    assert!(
        status.success(),
        "stele {args:?} ended on its own ({status}) before the kill:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    false
}

/// Times an uninterrupted run (which must succeed).
fn timed(config: &Path, now: OffsetDateTime, args: &[&str]) -> (Output, Wall) {
    let start = Instant::now();
    let out = ok(stele(config, now, args));
    (out, start.elapsed())
}

/// Committed objects in `store/<dir>` (staging files `<key>#<n>` of interrupted writes are
/// invisible to the store and not counted).
fn objects(store: &Path, dir: &str) -> usize {
    match std::fs::read_dir(store.join(dir)) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().contains('#'))
            .count(),
        Err(_) => 0,
    }
}

/// The records of a local store: every folder under `records/`, which must hold its manifest.
fn record_ids(store: &Path) -> Vec<String> {
    let mut ids: Vec<String> = match std::fs::read_dir(store.join("records")) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| {
                let id = e.file_name().to_string_lossy().into_owned();
                assert!(
                    e.path().join("manifest.json").is_file(),
                    "records/{id} has no manifest: a half record is visible"
                );
                id
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    ids.sort();
    ids
}

fn store_dir(config: &Path) -> PathBuf {
    let cfg = read_config(config);
    let url = cfg["store"]["url"].as_str().unwrap();
    PathBuf::from(url.strip_prefix("file://").expect("a local store"))
}

/// The renewal plan's chains that are due.
fn due_chains(config: &Path, now: OffsetDateTime) -> Vec<Value> {
    let plan = json(&ok(stele(config, now, &["renew", "--plan", "--json"])));
    plan["chains"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["action"].is_null())
        .cloned()
        .collect()
}

/// `stele audit --json`, which must be clean.
fn audit_clean(config: &Path, now: OffsetDateTime) -> Value {
    let out = stele(config, now, &["audit", "--json"]);
    let audit = json(&out);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(audit["clean"], true, "{audit:#}");
    audit
}

/// Signed documents numbered `numbers` in `folder`; their record ids, sorted.
fn documents(pki: &TestPki, folder: &Path, numbers: std::ops::Range<usize>) -> Vec<String> {
    std::fs::create_dir_all(folder).unwrap();
    let mut ids: Vec<String> = numbers
        .map(|n| {
            let p7m = signed_cong_van(pki, n, "V/v lưu trữ hồ sơ điện tử có chữ ký số.");
            std::fs::write(folder.join(format!("cong-van-{n:03}.p7m")), &p7m).unwrap();
            hex::encode(DigestAlgorithm::Sha256.digest(&p7m))
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn killed_ingest_seal_and_renew_leave_a_sound_archive() {
    let started = Instant::now();
    let base = base_seed();
    eprintln!("crash-safety base seed {base:#x} (replay with STELE_CRASH_SEED={base:#x})");
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let t0 = pki.created_at;
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("stele");
    std::fs::create_dir_all(&home).unwrap();
    let config = home.join("stele.toml");

    tsa_init(
        &home,
        "tsa",
        "Stele TSA A",
        t0 - Duration::days(1),
        t0 + Duration::days(365),
    );
    let mut init = Command::new(stele_bin());
    init.env_remove("STELE_CONFIG");
    init_with(init, &home, t0, &[], pki.trust_anchor());

    // The documents: CMS enveloping signatures by the leader and the agency in turn.
    let docs = tmp.path().join("documents");
    let expected = documents(pki, &docs, 300..300 + DOCUMENTS);
    let meta = tmp.path().join("meta.json");
    std::fs::write(&meta, METADATA).unwrap();
    let ingest_args: &[&str] = &[
        "ingest",
        docs.to_str().unwrap(),
        "--recursive",
        "--json",
        "--meta",
        meta.to_str().unwrap(),
    ];
    let t_ingest = t0 + Duration::minutes(1);

    // (a) Ingest. Each run gets a store of its own (a copy of stele.toml naming another
    // folder, removed once checked), so every kill interrupts real archiving; the last run is
    // the archive itself.
    let stores = tmp.path().join("stores");
    let run_config = |name: &str| {
        let mut cfg = read_config(&config);
        let url = format!("file://{}", stores.join(name).display());
        section(&mut cfg, "store").insert("url".into(), url.into());
        let path = stores.join(format!("{name}.toml"));
        std::fs::create_dir_all(&stores).unwrap();
        std::fs::write(&path, toml::to_string(&cfg).unwrap()).unwrap();
        path
    };
    // Twice uninterrupted: the first fills the revocation cache, the second is the measure.
    timed(&run_config("warm-up"), t_ingest, ingest_args);
    let (_, ingest_time) = timed(&run_config("measure"), t_ingest, ingest_args);
    std::fs::remove_dir_all(&stores).unwrap();
    eprintln!("one uninterrupted ingest of {DOCUMENTS} documents: {ingest_time:.1?}");
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut kills = (0, 0);
    let step = Instant::now();
    for run in 0..=INGEST_RUNS {
        let cfg = if run == INGEST_RUNS {
            config.clone()
        } else {
            run_config(&format!("run-{run:02}"))
        };
        let mut rng = run_rng(base, 1, run);
        let attempts = 1 + rng.below(2) as usize;
        let mut said = Vec::new();
        for k in 0..attempts {
            let delay = rng.delay(ingest_time);
            let log = logs.join(format!("ingest-{run:02}-{k}.log"));
            let killed = killed_after(&cfg, t_ingest, ingest_args, delay, &log);
            kills.0 += 1;
            kills.1 += usize::from(killed);
            said.push(format!(
                "{} at {delay:.0?}",
                if killed { "killed" } else { "finished" }
            ));
        }
        // Rerun to completion: every document archived now or before, none rejected.
        let out = ok(stele(&cfg, t_ingest, ingest_args));
        let lines = json_lines(&out);
        assert_eq!(lines.len(), DOCUMENTS, "{}", describe(&out));
        let fresh = lines.iter().filter(|l| l["status"] == "archived").count();
        assert!(
            lines
                .iter()
                .all(|l| l["status"] == "archived" || l["status"] == "duplicate"),
            "run {run}: {}",
            describe(&out)
        );
        let store = store_dir(&cfg);
        assert_eq!(
            record_ids(&store),
            expected,
            "run {run}: records in {}",
            store.display()
        );
        let audit = audit_clean(&cfg, t_ingest);
        assert_eq!(audit["records"], DOCUMENTS, "{audit:#}");
        assert_eq!(audit["pending_records"], DOCUMENTS, "{audit:#}");
        let again = json_lines(&ok(stele(&cfg, t_ingest, ingest_args)));
        assert!(
            again.iter().all(|l| l["status"] == "duplicate") && again.len() == DOCUMENTS,
            "run {run}: {again:?}"
        );
        eprintln!(
            "ingest run {run:2}: {}; the rerun archived {fresh}",
            said.join(", ")
        );
        if cfg != config {
            std::fs::remove_dir_all(&store).unwrap();
        }
    }
    eprintln!(
        "ingest: {} of {} runs killed mid-way, every store whole ({:.1?})",
        kills.1,
        kills.0,
        step.elapsed()
    );
    assert!(
        kills.1 * 4 >= kills.0,
        "only {} of {} ingest runs were killed before they ended: the kill instants do not cover the ingest",
        kills.1,
        kills.0
    );
    let store = store_dir(&config);

    // (b) Seal, killed and rerun: one batch of every record, whatever the kills did.
    let t_seal = t0 + Duration::minutes(2);
    let measure = tmp.path().join("measure-seal");
    clone_installation(&home, &measure);
    let (_, seal_time) = timed(&measure.join("stele.toml"), t_seal, &["seal", "--json"]);
    let mut rng = run_rng(base, 2, 0);
    for k in 0..SEAL_KILLS {
        let delay = rng.delay(seal_time);
        let killed = killed_after(
            &config,
            t_seal,
            &["seal", "--json"],
            delay,
            &logs.join(format!("seal-{k}.log")),
        );
        eprintln!(
            "seal {k}: {} at {delay:.0?}",
            if killed { "killed" } else { "finished" }
        );
    }
    let sealed = json(&ok(stele(&config, t_seal, &["seal", "--json"])));
    assert!(
        sealed["status"] == "sealed" && sealed["records"] == DOCUMENTS
            || sealed["status"] == "nothing_pending",
        "{sealed}"
    );
    let again = json(&ok(stele(&config, t_seal, &["seal", "--json"])));
    assert_eq!(again["status"], "nothing_pending", "{again}");
    assert_eq!(objects(&store, "seals"), 1, "sealed twice");

    // A second batch, so renewal has two chains: one epoch renews both, and hash-tree renewal
    // has a part per chain to resume from.
    let later = tmp.path().join("later");
    let later_ids = documents(pki, &later, 400..400 + LATER);
    let out = ok(stele(
        &config,
        t_seal + Duration::minutes(1),
        &[
            "ingest",
            later.to_str().unwrap(),
            "--recursive",
            "--json",
            "--meta",
            meta.to_str().unwrap(),
        ],
    ));
    let lines = json_lines(&out);
    assert!(
        lines.len() == LATER && lines.iter().all(|l| l["status"] == "archived"),
        "{}",
        describe(&out)
    );
    let sealed = json(&ok(stele(
        &config,
        t_seal + Duration::minutes(2),
        &["seal", "--json"],
    )));
    assert_eq!(sealed["records"], LATER, "{sealed}");
    assert_eq!(objects(&store, "seals"), 2);
    let mut all_ids = expected.clone();
    all_ids.extend(later_ids);
    let batches = 2;

    // Timestamp renewal at 21 due points, each under a new TSA. The first runs uninterrupted
    // and is timed; the other 20 are killed at a random instant and rerun.
    let t_first = t0 + Duration::days(200);
    let point = |k: usize| t_first + Duration::days(30 * k as i64);
    let mut renew_time = Wall::ZERO;
    let mut renew_kills = 0;
    let step = Instant::now();
    for k in 0..=RENEWAL_POINTS {
        let now = point(k);
        let name = format!("tsa-{k:02}");
        tsa_init(
            &home,
            &name,
            &format!("Stele TSA {k:02}"),
            now - Duration::days(1),
            now + Duration::days(200),
        );
        switch_tsa(&home, &name);
        let due = due_chains(&config, now);
        assert_eq!(due.len(), batches, "{due:#?}");
        for chain in &due {
            assert_eq!(chain["action"], "timestamp_renewal", "{due:#?}");
            assert_eq!(
                chain["due"][0]["reason"], "tsa_certificate_expiring",
                "{due:#?}"
            );
        }
        let said = if k == 0 {
            let (out, took) = timed(&config, now, &["renew", "--json"]);
            let run = json(&out);
            assert_eq!(run["epochs"].as_array().unwrap().len(), 1, "{run:#}");
            assert_eq!(
                run["epochs"][0][1], batches,
                "one epoch renews both chains: {run:#}"
            );
            renew_time = took;
            eprintln!("one uninterrupted timestamp renewal: {took:.1?}");
            "uninterrupted".to_string()
        } else {
            let delay = run_rng(base, 3, k).delay(renew_time);
            let killed = killed_after(
                &config,
                now,
                &["renew", "--json"],
                delay,
                &logs.join(format!("renew-{k:02}.log")),
            );
            renew_kills += usize::from(killed);
            // The rerun takes over the lease the killed process left (its pid is gone).
            let out = stele(&config, now, &["renew", "--json"]);
            let run = json(&out);
            assert!(out.status.success(), "point {k}: {}", describe(&out));
            assert_eq!(run["status"], "done", "point {k}: {run:#}");
            assert!(run["epochs"].as_array().unwrap().len() <= 1, "{run:#}");
            format!(
                "{} at {delay:.0?}, the rerun wrote {} epoch(s)",
                if killed { "killed" } else { "finished" },
                run["epochs"].as_array().unwrap().len()
            )
        };
        // One epoch per due point, never two; nothing due afterwards.
        assert_eq!(objects(&store, "epochs"), k + 1, "point {k}: epochs");
        assert_eq!(objects(&store, "seals"), batches, "point {k}: seals");
        let due = due_chains(&config, now + Duration::hours(1));
        assert!(due.is_empty(), "point {k}: still due: {due:#?}");
        eprintln!("renewal point {k:2} ({}): {said}", rfc(now));
    }
    eprintln!(
        "timestamp renewal: {renew_kills} of {RENEWAL_POINTS} runs killed mid-way ({:.1?})",
        step.elapsed()
    );
    let epochs = RENEWAL_POINTS + 1;

    // Hash-tree renewal: SHA-256 retires for hash trees 100 days after t_h; TSA H.
    let t_h = point(RENEWAL_POINTS) + Duration::days(10);
    tsa_init(
        &home,
        "tsa-h",
        "Stele TSA H",
        t_h - Duration::days(1),
        t_h + Duration::days(9 * 365),
    );
    switch_tsa(&home, "tsa-h");
    retire_sha256_for_hash_trees(&home, t_h + Duration::days(100));
    let due = due_chains(&config, t_h);
    assert_eq!(due.len(), batches, "{due:#?}");
    assert!(
        due.iter().all(|c| c["action"] == "hash_tree_renewal"),
        "{due:#?}"
    );
    let records = DOCUMENTS + LATER;

    // Measured on a copy: one uninterrupted hash-tree renewal writes one batch.
    let measure = tmp.path().join("measure-htr");
    clone_installation(&home, &measure);
    let (out, htr_time) = timed(&measure.join("stele.toml"), t_h, &["renew", "--json"]);
    let run = json(&out);
    assert_eq!(
        run["hash_tree_batches"].as_array().unwrap().len(),
        1,
        "{run:#}"
    );
    assert_eq!(run["hash_tree_batches"][0][1], records, "{run:#}");
    assert_eq!(objects(&measure.join("archive"), "seals"), batches + 1);
    eprintln!("one uninterrupted hash-tree renewal: {htr_time:.1?}");

    // Two renewals started at once on another copy: one renews, the other finds the lease held
    // by it (or, had the first finished before the second began, finds nothing due).
    let race = tmp.path().join("race-htr");
    clone_installation(&home, &race);
    let both: Vec<Child> = (0..2)
        .map(|_| {
            stele_cmd(&race.join("stele.toml"), t_h, &["renew", "--json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let pids: Vec<u32> = both.iter().map(Child::id).collect();
    let outs: Vec<Output> = both
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let codes: Vec<Option<i32>> = outs.iter().map(|o| o.status.code()).collect();
    let runs: Vec<Value> = outs.iter().map(json).collect();
    let renewed: Vec<usize> = (0..2)
        .filter(|&i| {
            runs[i]["hash_tree_batches"]
                .as_array()
                .is_some_and(|b| !b.is_empty())
        })
        .collect();
    assert_eq!(renewed.len(), 1, "{runs:#?}");
    let (winner, other) = (renewed[0], 1 - renewed[0]);
    assert_eq!(codes[winner], Some(0), "{}", describe(&outs[winner]));
    match codes[other] {
        Some(3) => {
            assert_eq!(runs[other]["status"], "lease_held", "{:#}", runs[other]);
            let holder = runs[other]["holder"].as_str().unwrap();
            assert!(
                holder.contains(&format!("/{}/", pids[winner])),
                "the lease is held by {holder}, not by the renewing process {}",
                pids[winner]
            );
            eprintln!("two renewals at once: one renewed, the other exited 3 (lease held by {holder})");
        }
        Some(0) => eprintln!(
            "two renewals at once: the first finished before the second took the lease; it found nothing due"
        ),
        _ => panic!("{}", describe(&outs[other])),
    }
    assert_eq!(
        objects(&race.join("archive"), "seals"),
        batches + 1,
        "renewed twice"
    );
    assert!(due_chains(&race.join("stele.toml"), t_h).is_empty());

    // Killed once on copies, each completed.
    for c in 0..HASH_TREE_CLONES {
        let copy = tmp.path().join(format!("htr-{c}"));
        clone_installation(&home, &copy);
        let cfg = copy.join("stele.toml");
        let delay = run_rng(base, 4, c).delay(htr_time);
        let killed = killed_after(
            &cfg,
            t_h,
            &["renew", "--json"],
            delay,
            &logs.join(format!("htr-copy-{c}.log")),
        );
        let run = json(&ok(stele(&cfg, t_h, &["renew", "--json"])));
        assert_eq!(run["status"], "done", "{run:#}");
        let written = run["hash_tree_batches"].as_array().unwrap();
        assert!(written.len() <= 1, "{run:#}");
        if let Some(batch) = written.first() {
            assert_eq!(batch[1], records, "{run:#}");
        }
        assert_eq!(
            objects(&copy.join("archive"), "seals"),
            batches + 1,
            "copy {c}: seals"
        );
        assert_eq!(
            objects(&copy.join("archive"), "epochs"),
            epochs,
            "copy {c}: epochs"
        );
        assert!(due_chains(&cfg, t_h).is_empty(), "copy {c}: still due");
        audit_clean(&cfg, t_h);
        eprintln!(
            "hash-tree renewal on copy {c}: {} at {delay:.0?}; the rerun wrote {} batch(es), resumed {}",
            if killed { "killed" } else { "finished" },
            run["hash_tree_batches"].as_array().unwrap().len(),
            run["resumed_batches"]
        );
    }

    // In the archive itself: killed several times in a row, then completed.
    let mut rng = run_rng(base, 5, 0);
    for k in 0..HASH_TREE_KILLS {
        let delay = rng.delay(htr_time);
        let killed = killed_after(
            &config,
            t_h,
            &["renew", "--json"],
            delay,
            &logs.join(format!("htr-{k}.log")),
        );
        eprintln!(
            "hash-tree renewal {k}: {} at {delay:.0?}",
            if killed { "killed" } else { "finished" }
        );
    }
    let run = json(&ok(stele(&config, t_h, &["renew", "--json"])));
    assert_eq!(run["status"], "done", "{run:#}");
    eprintln!(
        "hash-tree renewal completed: the rerun wrote {} batch(es), resumed {}",
        run["hash_tree_batches"].as_array().unwrap().len(),
        run["resumed_batches"]
    );
    assert_eq!(
        objects(&store, "seals"),
        batches + 1,
        "hash-tree renewal doubled"
    );
    assert_eq!(objects(&store, "epochs"), epochs, "epochs");
    let leftover = objects(&store, "work");
    if leftover > 0 {
        eprintln!("note: {leftover} hash-tree work folder(s) left under work/ by a kill after the batch was written (inert)");
    }

    // Years later: nothing due, the audit clean, every record PASSED on 23 archive
    // timestamps (the seal, 21 renewals, the hash-tree renewal) from TSA A to TSA H.
    let t_v = t_h + Duration::days(3 * 365);
    assert!(due_chains(&config, t_v).is_empty());
    let audit = audit_clean(&config, t_v);
    assert_eq!(audit["records"], records, "{audit:#}");
    assert_eq!(audit["pending_records"], 0, "{audit:#}");
    assert_eq!(audit["seals"], batches + 1, "{audit:#}");
    assert_eq!(audit["epochs"], epochs, "{audit:#}");
    let step = Instant::now();
    for id in &all_ids {
        let out = stele(&config, t_v, &["verify", id, "--at", &rfc(t_v), "--json"]);
        let v = json(&out);
        assert!(out.status.success(), "{id}: {v:#}");
        assert_eq!(v["verdict"], "PASSED", "{v:#}");
        let ts = v["timestamps"].as_array().unwrap();
        assert_eq!(ts.len(), epochs + 2, "{v:#}");
        assert!(
            ts[0]["tsa"].as_str().unwrap().contains("Stele TSA A"),
            "{v:#}"
        );
        assert!(
            ts[epochs + 1]["tsa"]
                .as_str()
                .unwrap()
                .contains("Stele TSA H"),
            "{v:#}"
        );
        let alg = ts[epochs + 1]["algorithm"].as_str().unwrap();
        assert_eq!(alg.to_ascii_lowercase().replace('-', ""), "sha512", "{v:#}");
    }
    eprintln!(
        "{records} records PASSED at {} ({:.1?}); crash-safety test done in {:.1?}",
        rfc(t_v),
        step.elapsed(),
        started.elapsed()
    );
}
