//! Evidence-record verification: verify 10,000 evidence records (one TSA token shared, distinct
//! reduced hash trees) and report records/s. Each record is parsed from its stored DER and
//! verified against its data object with a full token check every time (CMS signature,
//! messageDigest, signer binding, and the TSA certificate path to the root), single-threaded and
//! with rayon on 2 threads.
//!
//! Setup, untimed: the built-in TSA in a temp dir, 10,000 random 1 KiB data objects each sealed
//! as its own group (one leaf) with SHA-256 under one token, and the 10,000 records DER-encoded.
//!
//! The peer, measured in the same run on the same records and data: Bouncy Castle's RFC 4998
//! verifier (`peers/BcErsBench.java`: `new ERSEvidenceRecord`, `validate`, `validatePresent`
//! per record after a JVM warm-up pass). Bouncy Castle checks the token signature but builds no
//! certificate path, so it does less work per record than Stele here.
//!
//! Usage: `ers_verify [N]` (default 10,000).

use rand_core::{OsRng, RngCore};
use rayon::prelude::*;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use stele_archive::{seal_groups, TokenChecker};
use stele_asn1::DigestAlgorithm;
use stele_ers::{verify, DataObject, EvidenceRecord, TimeStampVerifier, Verdict};
use stele_tsp::{tsa_init, LocalTsa, SystemClock, TsaInitOptions};
use time::OffsetDateTime;

const BC_CLASSPATH: [&str; 3] = [
    "/usr/share/java/bcprov.jar",
    "/usr/share/java/bcpkix.jar",
    "/usr/share/java/bcutil.jar",
];

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    assert!(n > 0, "need at least one record");
    let alg = DigestAlgorithm::Sha256;
    let tmp = tempfile::tempdir().expect("temp dir");

    // The built-in TSA.
    let tsa_dir = tmp.path().join("tsa");
    let now = OffsetDateTime::now_utc();
    let certs = tsa_init(
        &tsa_dir,
        &TsaInitOptions {
            common_name: "Stele Bench TSA".into(),
            not_before: now - time::Duration::hours(1),
            not_after: now + time::Duration::days(365),
            root_not_after: None,
        },
        &SystemClock,
    )
    .expect("tsa_init");
    let tsa = LocalTsa::open(&tsa_dir, Arc::new(SystemClock)).expect("open TSA");

    // N random data objects, each its own group of one digest, sealed under one token.
    let data: Vec<Vec<u8>> = (0..n)
        .map(|_| {
            let mut d = vec![0u8; 1024];
            OsRng.fill_bytes(&mut d);
            d
        })
        .collect();
    let groups: Vec<Vec<Vec<u8>>> = data.iter().map(|d| vec![alg.digest(d)]).collect();
    let t_seal = Instant::now();
    let batch = seal_groups(alg, &groups, &tsa).expect("seal");
    let seal = t_seal.elapsed();
    let ers: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            batch
                .evidence_record(i)
                .and_then(|er| Ok(er.to_der()?))
                .expect("evidence record")
        })
        .collect();
    let er_bytes: usize = ers.iter().map(Vec::len).sum();

    // One checker for the whole run remembers the shared token's result (how a batch is
    // verified); a fresh checker per record pays the full token check every time.
    let checker = TokenChecker::trusting(vec![certs.root.clone()]);
    let at = OffsetDateTime::now_utc();
    let verify_with = |i: usize, checker: &TokenChecker| {
        let er = EvidenceRecord::from_ber(&ers[i]).expect("parse ER");
        let report = verify(&er, &[DataObject::from_bytes(&data[i])], checker, at);
        assert_eq!(
            report.verdict,
            Verdict::Valid,
            "record {i}: {}",
            report.summary()
        );
    };
    let verify_one = |i: usize| verify_with(i, &checker);
    let verify_cold = |i: usize| verify_with(i, &TokenChecker::trusting(vec![certs.root.clone()]));

    // Warm-up, then one timed pass single-threaded and one on 2 rayon threads.
    (0..n.min(200)).for_each(verify_one);
    let cpu0 = thread_cpu_time();
    let t = Instant::now();
    (0..n).for_each(verify_one);
    let single = t.elapsed();
    let single_cpu = thread_cpu_time()
        .zip(cpu0)
        .map(|(b, a)| b.saturating_sub(a));
    let cpu0 = thread_cpu_time();
    let t = Instant::now();
    (0..n).for_each(verify_cold);
    let cold = t.elapsed();
    let cold_cpu = thread_cpu_time()
        .zip(cpu0)
        .map(|(b, a)| b.saturating_sub(a));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("thread pool");
    let t = Instant::now();
    pool.install(|| (0..n).into_par_iter().for_each(verify_one));
    let dual = t.elapsed();
    // Parsing alone, to show where the time goes.
    let t = Instant::now();
    for er in &ers {
        std::hint::black_box(EvidenceRecord::from_ber(er).expect("parse ER"));
    }
    let parse = t.elapsed();
    // The token check alone (the same token every time): signature, messageDigest, binding, path.
    let token_checks = stele_benches::ops_per_sec(Duration::from_secs(2), || {
        let fresh = TokenChecker::trusting(vec![certs.root.clone()]);
        let c = fresh.check(batch.token_der(), at).expect("token");
        std::hint::black_box(c);
    });

    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let ns = |d: Duration| d.as_nanos() as f64 / n as f64;
    println!(
        "records: {n}  (1 KiB data objects, SHA-256, one shared token; ER DER {} bytes on average)",
        er_bytes / n
    );
    println!(
        "seal (tree + 1 token):           {:>9.3} s",
        seal.as_secs_f64()
    );
    println!(
        "stele parse only:                {:>9.0} records/s  ({:>7.0} ns/record)",
        rate(parse),
        ns(parse)
    );
    println!(
        "stele token check only:          {token_checks:>9.0} checks/s   ({:>7.0} ns/check)",
        1e9 / token_checks
    );
    println!(
        "stele parse+verify, 1 thread:    {:>9.0} records/s  ({:>7.0} ns/record)",
        rate(single),
        ns(single)
    );
    if let Some(cpu) = single_cpu {
        println!(
            "  by thread CPU time:            {:>9.0} records/s  ({:>7.0} ns/record)",
            rate(cpu),
            ns(cpu)
        );
    }
    println!(
        "stele, token check per record:   {:>9.0} records/s  ({:>7.0} ns/record)",
        rate(cold),
        ns(cold)
    );
    if let Some(cpu) = cold_cpu {
        println!(
            "  by thread CPU time:            {:>9.0} records/s  ({:>7.0} ns/record)",
            rate(cpu),
            ns(cpu)
        );
    }
    println!(
        "stele parse+verify, 2 threads:   {:>9.0} records/s  ({:>7.0} ns/record)",
        rate(dual),
        ns(dual)
    );
    if let Some(mb) = stele_benches::peak_rss_mib() {
        println!("stele peak memory:               {mb:>9.0} MiB");
    }

    match bc_records_per_sec(tmp.path(), &ers, &data) {
        Ok((bc, bc_cpu)) => {
            println!(
                "bouncy castle, 1 thread:         {bc:>9.0} records/s  ({:>7.0} ns/record)",
                1e9 / bc
            );
            println!(
                "  by thread CPU time:            {bc_cpu:>9.0} records/s  ({:>7.0} ns/record)",
                1e9 / bc_cpu
            );
            println!(
                "ratio stele/bc records/s, 1 thread: {:.2} wall, {} thread CPU",
                rate(single) / bc,
                single_cpu.map_or("-".into(), |c| format!("{:.2}", rate(c) / bc_cpu))
            );
            println!(
                "ratio stele/bc with a token check per record: {:.2} wall, {} thread CPU",
                rate(cold) / bc,
                cold_cpu.map_or("-".into(), |c| format!("{:.2}", rate(c) / bc_cpu))
            );
        }
        Err(why) => println!("bouncy castle peer skipped: {why}"),
    }
}

/// CPU time of the calling thread so far (Linux `schedstat`, nanoseconds), if known. The
/// single-threaded figures are also given per CPU second so that other work on a shared
/// machine does not skew the comparison with the peer, which reports the same.
fn thread_cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

/// Writes the records and data to `dir`, compiles and runs `peers/BcErsBench.java`, and returns
/// the records/s it printed: by wall-clock time and by the CPU time of its thread.
fn bc_records_per_sec(dir: &Path, ers: &[Vec<u8>], data: &[Vec<u8>]) -> Result<(f64, f64), String> {
    if let Some(missing) = BC_CLASSPATH.iter().find(|p| !Path::new(p).exists()) {
        return Err(format!("{missing} is not installed"));
    }
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/BcErsBench.java");
    let classes = dir.join("classes");
    let records = dir.join("records");
    for d in [&classes, &records] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    for (i, (er, d)) in ers.iter().zip(data).enumerate() {
        std::fs::write(records.join(format!("{i}.ers")), er).map_err(|e| e.to_string())?;
        std::fs::write(records.join(format!("{i}.bin")), d).map_err(|e| e.to_string())?;
    }
    let cp = BC_CLASSPATH.join(":");
    let javac = Command::new("javac")
        .arg("-d")
        .arg(&classes)
        .args(["-cp", &cp])
        .arg(&source)
        .output()
        .map_err(|e| format!("javac: {e}"))?;
    if !javac.status.success() {
        return Err(format!(
            "javac failed: {}",
            String::from_utf8_lossy(&javac.stderr)
        ));
    }
    let run = Command::new("java")
        .args(["-cp", &format!("{}:{cp}", classes.display()), "BcErsBench"])
        .arg(&records)
        .arg(ers.len().to_string())
        .output()
        .map_err(|e| format!("java: {e}"))?;
    let out = String::from_utf8_lossy(&run.stdout);
    if !run.status.success() {
        return Err(format!(
            "java failed: {out}{}",
            String::from_utf8_lossy(&run.stderr)
        ));
    }
    let field = |prefix: &str| -> Result<f64, String> {
        out.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| format!("unexpected output from BcErsBench: {out}"))
    };
    Ok((field("records/s: ")?, field("records/s (thread cpu): ")?))
}
