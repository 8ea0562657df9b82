//! Sealing a million records (DESIGN §2): `make_batch` (sort, hash tree over the records'
//! data-object groups, one token from the built-in TSA) and `write_batch` (the batch file,
//! create-only, to a local store in a temporary directory) on 1,000,000 pending records, each
//! with a group of four SHA-256 digests (original, report, metadata, one signer certificate).
//!
//! Peers, measured in the same run on the same machine:
//! - hashing: `openssl dgst -sha256` over a file holding exactly the bytes the tree's leaves
//!   hash (each record's four digests, sorted and concatenated: 128 bytes a record), so one
//!   streaming pass over the leaf input, with no per-hash overhead and no inner nodes;
//! - writing: `std::fs::write` of as many bytes as the batch file, then `fsync` of the file and
//!   its directory (what the store does with `fsync` on), into the same temporary directory.
//!
//! Usage: `seal_bench [records] [--no-fsync]`. The store is opened with
//! `StoreConfig::default()` (`fsync = true`) unless `--no-fsync` is given; the output says
//! which.

use rayon::prelude::*;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use stele_archive::sealing::{make_batch, write_batch, PendingRecord};
use stele_archive::SealBatch;
use stele_asn1::DigestAlgorithm;
use stele_benches::{reset_peak_rss, rss_mib};
use stele_store::{Store, StoreConfig};
use stele_tsp::{tsa_init, FixedClock, LocalTsa, TsaInitOptions};
use time::macros::datetime;

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The pending record `i`: a stable pseudo-random id and a group of four digests. A thousand
/// signers share their certificates, as in an agency's archive.
fn pending(i: u64, t0: time::OffsetDateTime) -> PendingRecord {
    let alg = DigestAlgorithm::Sha256;
    let d = |kind: &str, n: u64| alg.digest(format!("{kind} {n}").as_bytes());
    let id: [u8; 32] = d("record", i).try_into().expect("32 bytes");
    PendingRecord {
        id,
        ingested_at: t0 + time::Duration::milliseconds(i as i64),
        group: vec![
            d("original", i),
            d("report", i),
            d("metadata", i),
            d("certificate", i % 1000),
        ],
    }
}

/// Wall time of `openssl dgst -sha256 <file>` (best of three, the file in the page cache).
fn openssl_dgst(file: &Path) -> Option<Duration> {
    let mut best: Option<Duration> = None;
    for _ in 0..3 {
        let t = Instant::now();
        let out = Command::new("openssl")
            .args(["dgst", "-sha256"])
            .arg(file)
            .output()
            .ok()?;
        let d = t.elapsed();
        if !out.status.success() {
            return None;
        }
        best = Some(best.map_or(d, |b| b.min(d)));
    }
    best
}

/// `std::fs::write` of `len` bytes and, when `fsync`, fsync of the file and its directory (best
/// of three).
fn write_peer(dir: &Path, len: usize, fsync: bool) -> Duration {
    let data = vec![0x5au8; len];
    let mut best = Duration::MAX;
    for k in 0..3 {
        let path = dir.join(format!("peer-{k}.bin"));
        let t = Instant::now();
        std::fs::write(&path, &data).expect("peer write");
        if fsync {
            std::fs::File::open(&path)
                .and_then(|f| f.sync_all())
                .expect("peer fsync");
            std::fs::File::open(dir)
                .and_then(|f| f.sync_all())
                .expect("peer dir fsync");
        }
        best = best.min(t.elapsed());
        std::fs::remove_file(&path).ok();
    }
    best
}

/// The steps of `make_batch`, replayed one at a time on a fresh set of pending records and timed
/// each (the same calls in the same order as `stele_archive::sealing::make_batch`), to show
/// where its time goes.
fn make_batch_steps(
    n: u64,
    t0: time::OffsetDateTime,
    tsa: &LocalTsa,
) -> Vec<(&'static str, Duration, Duration)> {
    let alg = DigestAlgorithm::Sha256;
    let mut out = Vec::new();
    let mut pending: Vec<PendingRecord> = (0..n).into_par_iter().map(|i| pending(i, t0)).collect();
    let (t, c) = (Instant::now(), stele_benches::process_cpu());
    pending.sort_by_key(|p| p.id);
    pending.dedup_by(|a, b| a.id == b.id);
    out.push((
        "sort_by_key + dedup of the pending records",
        t.elapsed(),
        stele_benches::process_cpu() - c,
    ));
    let (t, c) = (Instant::now(), stele_benches::process_cpu());
    let mut b = stele_ers::HashTreeBuilder::with_capacity(alg, pending.len());
    for p in &pending {
        b.push_group(&p.group).expect("group");
    }
    out.push((
        "HashTreeBuilder::push_group x n",
        t.elapsed(),
        stele_benches::process_cpu() - c,
    ));
    let (t, c) = (Instant::now(), stele_benches::process_cpu());
    let tree = b.build().expect("tree");
    out.push((
        "HashTreeBuilder::build (group values + levels)",
        t.elapsed(),
        stele_benches::process_cpu() - c,
    ));
    let (t, c) = (Instant::now(), stele_benches::process_cpu());
    let imprint = tree.imprint();
    let token = tsa
        .timestamp(imprint.algorithm, &imprint.digest)
        .expect("token");
    out.push((
        "one token from the built-in TSA",
        t.elapsed(),
        stele_benches::process_cpu() - c,
    ));
    let (t, c) = (Instant::now(), stele_benches::process_cpu());
    let entries: Vec<([u8; 32], Vec<u8>)> = pending
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id, tree.leaf_value(i).unwrap_or_default().to_vec()))
        .collect();
    out.push((
        "(id, leaf_value.to_vec()) entries",
        t.elapsed(),
        stele_benches::process_cpu() - c,
    ));
    let (t, c) = (Instant::now(), stele_benches::process_cpu());
    let batch = SealBatch::new(
        stele_archive::BatchKind::Seal,
        alg,
        token.gen_time(),
        token.to_der().to_vec(),
        Vec::new(),
        entries,
    );
    out.push((
        "SealBatch::new (sort again, copy)",
        t.elapsed(),
        stele_benches::process_cpu() - c,
    ));
    let (t, c) = (Instant::now(), stele_benches::process_cpu());
    drop(pending);
    out.push((
        "drop of the pending records",
        t.elapsed(),
        stele_benches::process_cpu() - c,
    ));
    let (t, c) = (Instant::now(), stele_benches::process_cpu());
    drop(tree);
    out.push((
        "drop of the tree",
        t.elapsed(),
        stele_benches::process_cpu() - c,
    ));
    drop(batch);
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: u64 = args
        .iter()
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let fsync = !args.iter().any(|a| a == "--no-fsync");
    let alg = DigestAlgorithm::Sha256;
    let now = datetime!(2026-03-02 09:00:00 UTC);

    let tmp = tempfile::Builder::new()
        .prefix("stele-seal-bench-")
        .tempdir()
        .expect("temp dir");
    let tsa_dir = tmp.path().join("tsa");
    let clock = FixedClock::new(now);
    tsa_init(
        &tsa_dir,
        &TsaInitOptions {
            common_name: "Stele Bench TSA".into(),
            not_before: now - time::Duration::days(1),
            not_after: now + time::Duration::days(5 * 365),
            root_not_after: None,
        },
        &clock,
    )
    .expect("tsa init");
    let tsa = LocalTsa::open(&tsa_dir, Arc::new(FixedClock::new(now))).expect("tsa open");
    let store_dir = tmp.path().join("store");
    let config = StoreConfig {
        fsync,
        ..StoreConfig::default()
    };
    let store = Store::open(&format!("file://{}", store_dir.display()), &config).expect("store");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");

    // Untimed: the pending records, and the peer's file of the leaves' bytes.
    let t0 = now - time::Duration::hours(1);
    let records: Vec<PendingRecord> = (0..n).into_par_iter().map(|i| pending(i, t0)).collect();
    let leaf_bytes_path = tmp.path().join("leaves.bin");
    {
        let mut bytes = Vec::with_capacity(records.len() * 128);
        for r in &records {
            let mut g: Vec<&[u8]> = r.group.iter().map(Vec::as_slice).collect();
            g.sort();
            for h in g {
                bytes.extend_from_slice(h);
            }
        }
        std::fs::write(&leaf_bytes_path, &bytes).expect("leaf bytes");
    }
    let leaf_bytes = std::fs::metadata(&leaf_bytes_path).map_or(0, |m| m.len());
    let (setup_peak, _) = rss_mib();

    let reset = reset_peak_rss();
    let (_, held) = rss_mib();
    let cpu0 = stele_benches::process_cpu();
    let t = Instant::now();
    let batch = make_batch(records, alg, &tsa).expect("make_batch");
    let made = t.elapsed();
    let cpu1 = stele_benches::process_cpu();
    let t = Instant::now();
    let id = rt
        .block_on(write_batch(&store, &batch))
        .expect("write_batch");
    let written = t.elapsed();
    let cpu2 = stele_benches::process_cpu();
    let total = made + written;
    let (peak, _) = rss_mib();

    // Untimed: what the batch is, and two steps inside the timed ones measured on their own.
    let file = store_dir.join("seals").join(&id);
    let file_size = std::fs::metadata(&file).expect("batch file").len();
    let back = SealBatch::from_bytes(&id, &std::fs::read(&file).expect("read batch"))
        .expect("batch reads back");
    assert_eq!(back.len() as u64, n, "every record is in the batch");
    let t = Instant::now();
    let tree = batch.tree().expect("tree");
    let rebuild = t.elapsed();
    let token = stele_tsp::TimeStampToken::from_ber(&batch.token_der).expect("token");
    assert_eq!(
        token.message_imprint().digest,
        tree.root(),
        "token covers root"
    );
    let t = Instant::now();
    let encoded = batch.to_bytes();
    let encode = t.elapsed();
    assert_eq!(encoded.len() as u64, file_size);
    drop((tree, encoded, back, batch));
    let steps = make_batch_steps(n, t0, &tsa);

    let dgst = openssl_dgst(&leaf_bytes_path);
    let peer_write = write_peer(tmp.path(), file_size as usize, fsync);

    println!(
        "records: {n}  group: 4 x SHA-256  threads: {}  store: {} (fsync = {fsync})",
        rayon::current_num_threads(),
        store.url()
    );
    println!(
        "make_batch (sort, tree, 1 token):  {:>8.3} s  (CPU {:.3} s)",
        secs(made),
        secs(cpu1 - cpu0)
    );
    println!(
        "write_batch (create-only, {}):  {:>8.3} s  (CPU {:.3} s)",
        if fsync { "fsync" } else { "no fsync" },
        secs(written),
        secs(cpu2 - cpu1)
    );
    println!(
        "total:                             {:>8.3} s  ({:.0} ns/record; target < 5 s)",
        secs(total),
        total.as_nanos() as f64 / n as f64
    );
    println!(
        "batch file:                        {file_size:>8} bytes ({:.1} MiB)",
        mib(file_size)
    );
    if reset {
        println!(
            "peak RSS of the timed part:        {peak:>8.0} MiB (VmHWM, reset before; {held:.0} MiB of it was resident when the timer started, mostly the pending records)"
        );
    } else {
        println!("peak RSS (whole process):          {peak:>8.0} MiB (VmHWM; could not reset it)");
    }
    println!("peak RSS of the setup:             {setup_peak:>8.0} MiB");
    println!("inside the timed steps, measured alone:");
    println!(
        "  SealBatch::tree() (write_batch rebuilds the tree for the id):  {:.3} s",
        secs(rebuild)
    );
    println!(
        "  SealBatch::to_bytes():                                         {:.3} s",
        secs(encode)
    );
    println!("make_batch's steps, replayed one by one on a fresh set of records:");
    for (name, d, cpu) in &steps {
        println!("  {name:<62} {:.3} s  (CPU {:.3} s)", secs(*d), secs(*cpu));
    }
    println!("peers (same run):");
    match dgst {
        Some(d) => {
            println!(
                "  openssl dgst -sha256 over the leaves' bytes ({:.0} MiB): {:.3} s -> make_batch / peer = {:.2}",
                mib(leaf_bytes),
                secs(d),
                secs(made) / secs(d)
            );
        }
        None => println!("  openssl dgst: not available"),
    }
    println!(
        "  std::fs::write{} of {file_size} bytes: {:.3} s -> write_batch / peer = {:.2}",
        if fsync { " + fsync (file and dir)" } else { "" },
        secs(peer_write),
        secs(written) / secs(peer_write)
    );
    if let Some(d) = dgst {
        println!(
            "  sum of both peers: {:.3} s -> total / peers = {:.2}",
            secs(d + peer_write),
            secs(total) / secs(d + peer_write)
        );
    }
}
