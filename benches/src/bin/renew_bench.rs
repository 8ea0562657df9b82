//! Timestamp renewal at a million records (DESIGN §2): 1,000,000 records in 1,000 seal batches
//! on a local store, every chain due (the seal tokens' TSA certificate ends within the renewal
//! margin), then `renew(...)` with a second built-in TSA. Renewal should write one epoch of
//! 1,000 entries with one TSA request, and its cost should grow with the number of batches.
//!
//! Setup (not timed): the batch files are made directly (`SealBatch::new` over sorted
//! (record id, leaf value) pairs, one token per batch from the first built-in TSA, its clock a
//! minute further for each batch) and written through a store opened without fsync, then
//! `sync(2)`. The timed part opens the store again with `StoreConfig::default()` (`fsync =
//! true`, unless `--no-fsync`).
//!
//! Timed: `EvidenceIndex::load` + `plan` (and `plan` alone), then `renew` (which loads the index
//! and plans again itself). Peer, same run: `std::fs::read` of every seal file (the bytes the
//! index must read) plus one token from the second TSA — the floor of what renewal has to do as
//! the store is laid out.
//!
//! Usage: `renew_bench [batches] [records-per-batch] [--no-fsync]`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use stele_archive::batch::BatchKind;
use stele_archive::sealing::write_batch;
use stele_archive::{
    plan, renew, EvidenceIndex, JobHolder, RenewalEpoch, RenewalRun, RenewalSettings, SealBatch,
    TimeStamper, TimeStamperError,
};
use stele_asn1::DigestAlgorithm;
use stele_benches::{reset_peak_rss, rss_mib};
use stele_ers::HashTreeBuilder;
use stele_store::{Store, StoreConfig};
use stele_tsp::{tsa_init, FixedClock, LocalTsa, TimeStampToken, TsaInitOptions};
use time::macros::datetime;
use time::OffsetDateTime;

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// The built-in TSA, counting the requests it answers.
struct Counting {
    tsa: LocalTsa,
    requests: AtomicUsize,
}

impl TimeStamper for Counting {
    fn timestamp(
        &self,
        algorithm: DigestAlgorithm,
        digest: &[u8],
    ) -> Result<TimeStampToken, TimeStamperError> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        TimeStamper::timestamp(&self.tsa, algorithm, digest)
    }
}

fn make_tsa(dir: &Path, name: &str, from: OffsetDateTime, to: OffsetDateTime) -> Arc<FixedClock> {
    let clock = Arc::new(FixedClock::new(from));
    tsa_init(
        dir,
        &TsaInitOptions {
            common_name: name.into(),
            not_before: from,
            not_after: to,
            root_not_after: None,
        },
        clock.as_ref(),
    )
    .expect("tsa init");
    clock
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let nums: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let batches = nums.first().copied().unwrap_or(1000);
    let per_batch = nums.get(1).copied().unwrap_or(1000);
    let fsync = !args.iter().any(|a| a == "--no-fsync");
    let alg = DigestAlgorithm::Sha256;
    // Sealed through 2026 by a TSA whose certificate ends in April 2027; renewed in January
    // 2027, inside the default 180-day margin, by a TSA valid until 2032.
    let sealed_from = datetime!(2026-03-02 09:00:00 UTC);
    let now = datetime!(2027-01-15 02:00:00 UTC);

    let tmp = tempfile::Builder::new()
        .prefix("stele-renew-bench-")
        .tempdir()
        .expect("temp dir");
    let seal_clock = make_tsa(
        &tmp.path().join("tsa-seal"),
        "Stele Bench Seal TSA",
        sealed_from - time::Duration::days(1),
        datetime!(2027-04-01 00:00:00 UTC),
    );
    seal_clock.set(sealed_from);
    let seal_tsa = LocalTsa::open(&tmp.path().join("tsa-seal"), seal_clock.clone()).expect("tsa");
    make_tsa(
        &tmp.path().join("tsa-renew"),
        "Stele Bench Renewal TSA",
        now - time::Duration::days(30),
        datetime!(2032-01-01 00:00:00 UTC),
    );
    let renew_tsa = Arc::new(Counting {
        tsa: LocalTsa::open(
            &tmp.path().join("tsa-renew"),
            Arc::new(FixedClock::new(now)),
        )
        .expect("tsa"),
        requests: AtomicUsize::new(0),
    });

    let store_dir = tmp.path().join("store");
    let url = format!("file://{}", store_dir.display());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");

    // Untimed setup: the seal batches.
    let t = Instant::now();
    {
        let setup_store = Store::open(
            &url,
            &StoreConfig {
                fsync: false,
                ..StoreConfig::default()
            },
        )
        .expect("store");
        for b in 0..batches {
            let mut entries: Vec<([u8; 32], Vec<u8>)> = (0..per_batch)
                .map(|r| {
                    let i = b * per_batch + r;
                    let id: [u8; 32] = alg
                        .digest(format!("record {i}").as_bytes())
                        .try_into()
                        .expect("32 bytes");
                    (id, alg.digest(format!("group of record {i}").as_bytes()))
                })
                .collect();
            SealBatch::sort_entries(&mut entries);
            let mut tree = HashTreeBuilder::with_capacity(alg, entries.len());
            for (_, leaf) in &entries {
                tree.push_hash(leaf).expect("leaf");
            }
            let tree = tree.build().expect("tree");
            let token = seal_tsa.timestamp(alg, tree.root()).expect("seal token");
            let batch = SealBatch::new(
                BatchKind::Seal,
                alg,
                token.gen_time(),
                token.to_der().to_vec(),
                Vec::new(),
                entries,
            );
            rt.block_on(write_batch(&setup_store, &batch))
                .expect("write batch");
            seal_clock.advance(time::Duration::minutes(1));
        }
        // SAFETY: sync(2) takes no arguments and cannot fail.
        unsafe { libc::sync() };
    }
    let setup = t.elapsed();
    let seal_files: Vec<_> = std::fs::read_dir(store_dir.join("seals"))
        .expect("seals dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    let seal_bytes: u64 = seal_files
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    assert_eq!(seal_files.len(), batches, "one file per batch");

    let config = StoreConfig {
        fsync,
        ..StoreConfig::default()
    };
    let store = Store::open(&url, &config).expect("store");
    let settings = RenewalSettings::default();

    // Timed: load + plan, and plan alone.
    let t = Instant::now();
    let index = rt.block_on(EvidenceIndex::load(&store)).expect("index");
    let loaded = t.elapsed();
    let t = Instant::now();
    let the_plan = plan(&index, &settings, now);
    let planned = t.elapsed();
    let due = the_plan
        .chains
        .iter()
        .filter(|c| c.action.is_some())
        .count();
    assert_eq!(due, batches, "every chain is due");
    drop((the_plan, index));

    // Timed: renew.
    let reset = reset_peak_rss();
    let (_, held) = rss_mib();
    let holder = JobHolder::named("renew-bench");
    let t = Instant::now();
    let run = rt
        .block_on(renew(&store, renew_tsa.clone(), &settings, now, &holder))
        .expect("renew");
    let renewed = t.elapsed();
    let (peak, _) = rss_mib();
    let requests = renew_tsa.requests.load(Ordering::SeqCst);

    let RenewalRun::Done(report) = run else {
        panic!("the renewal lease was held");
    };
    assert!(report.hash_tree_batches.is_empty(), "no hash-tree renewal");
    assert_eq!(report.epochs.len(), 1, "one epoch");
    let (epoch_id, epoch_entries) = report.epochs[0].clone();
    assert_eq!(epoch_entries, batches, "one entry per chain");
    assert_eq!(requests, 1, "one TSA request");
    let epoch_path = store_dir.join("epochs").join(&epoch_id);
    let epoch_bytes = std::fs::read(&epoch_path).expect("epoch file");
    let epoch = RenewalEpoch::from_bytes(&epoch_id, &epoch_bytes).expect("epoch reads back");
    assert_eq!(epoch.entries.len(), batches);
    let epochs_on_store = rt.block_on(store.list_epochs()).expect("epochs").len();
    assert_eq!(epochs_on_store, 1);
    // Afterwards nothing is due until the renewal TSA's certificate nears its end.
    let after = rt.block_on(EvidenceIndex::load(&store)).expect("index");
    let still_due = plan(&after, &settings, now)
        .chains
        .iter()
        .filter(|c| c.action.is_some())
        .count();
    assert_eq!(still_due, 0, "nothing due after renewal");
    drop(after);

    // Peer: read every seal file, and one token from the renewal TSA.
    let t = Instant::now();
    let mut read = 0usize;
    for p in &seal_files {
        read += std::fs::read(p).expect("read seal").len();
    }
    let peer_read = t.elapsed();
    let t = Instant::now();
    renew_tsa
        .tsa
        .timestamp(alg, &alg.digest(b"peer"))
        .expect("peer token");
    let peer_token = t.elapsed();
    let peer = peer_read + peer_token;
    assert_eq!(read as u64, seal_bytes);

    println!(
        "records: {}  batches: {batches} x {per_batch}  store: {url} (fsync = {fsync})  setup (untimed): {:.1} s",
        batches * per_batch,
        secs(setup)
    );
    println!(
        "seal files: {batches}, {seal_bytes} bytes ({:.1} MiB)",
        seal_bytes as f64 / 1048576.0
    );
    println!("EvidenceIndex::load:             {:>8.3} s", secs(loaded));
    println!(
        "plan (alone, {due} chains due):    {:>8.3} s",
        secs(planned)
    );
    println!(
        "renew (load + plan + epoch):     {:>8.3} s  (target < 2 s)",
        secs(renewed)
    );
    if reset {
        println!(
            "peak RSS of renew:               {peak:>8.0} MiB (VmHWM, reset before; {held:.0} MiB resident when it started; target < 500 MB)"
        );
    } else {
        println!("peak RSS (whole process):        {peak:>8.0} MiB (VmHWM; could not reset it)");
    }
    println!(
        "epoch {epoch_id}: {} entries, {} bytes; TSA requests during renew: {requests}; epochs on the store: {epochs_on_store}",
        epoch.entries.len(),
        epoch_bytes.len()
    );
    println!(
        "peer (same run): std::fs::read of the {batches} seal files {:.3} s + one token from the built-in TSA {:.4} s = {:.3} s",
        secs(peer_read),
        secs(peer_token),
        secs(peer)
    );
    println!(
        "ratio renew / peer: {:.2}   ratio (load + plan) / peer: {:.2}",
        secs(renewed) / secs(peer),
        secs(loaded + planned) / secs(peer)
    );
}
