//! Ingest throughput (DESIGN §2, §4): documents/s of `stele_archive::Archive::ingest` for signed
//! CMS documents into a local store, validation offline (the CA's CRLs supplied, no fetcher),
//! against `openssl cms -verify` of the same documents with the same CRLs, measured in this run.
//!
//! `cargo run --release -p stele-benches --bin ingest_bench [-- --docs N (500) --size BYTES
//! (50000) --jobs J (4) --no-fsync]`
//!
//! Setup (not timed): a throwaway CA (`stele_tests::pki::TestPki`, made with `openssl ca` in a
//! temporary folder; its OCSP responder and CRL server are never started), then N distinct
//! documents of about BYTES each, CAdES-signed with `openssl cms -sign -nodetach` (DER) by three
//! signers in turn (RSA-2048 leader, RSA-2048 agency, ECDSA P-256).
//!
//! Stele: N `Archive::ingest` calls, J at a time, on a two-worker runtime; each validates the
//! signature at the current time (path to the root, both CRLs), stores the original, the
//! material, the report and the metadata as blobs and commits the manifest, with fsync as
//! `StoreConfig::default()` has it unless `--no-fsync`.
//!
//! Peer: `openssl cms -verify -binary -inform DER -in DOC -CAfile ROOT+CRLS -crl_check_all
//! -purpose any -out /dev/null` per document (the two CRLs in the CA file, as `openssl cms` takes
//! them), two processes at a time (one per core), each
//! required to print "Verification successful". OpenSSL verifies and stores nothing; Stele
//! also writes the record.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use rayon::prelude::*;
use stele_archive::{Archive, IngestOutcome, IngestPolicy, RecordMetadata, Submission};
use stele_benches::{process_cpu, run_measured};
use stele_pki::TrustStore;
use stele_sig::{Indication, SignatureValidator};
use stele_store::{Store, StoreConfig};
use stele_tests::pki::TestPki;
use stele_tsp::SystemClock;

const METADATA: &str = r#"{
    "CodeNumber": "45", "CodeNotation": "QĐ-UBND", "TypeName": "Quyết định",
    "IssuedDate": "2026-03-15", "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
    "Subject": "Về việc phê duyệt kế hoạch chuyển đổi số",
    "Confidentiality": "none", "Retention": "01", "AccessMode": "01"
}"#;

struct Args {
    docs: usize,
    size: usize,
    jobs: usize,
    fsync: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        docs: 500,
        size: 50_000,
        jobs: 4,
        fsync: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || -> usize {
            it.next()
                .and_then(|v| v.parse().ok())
                .filter(|&v| v > 0)
                .unwrap_or_else(|| usage(&format!("{flag} needs a positive number")))
        };
        match flag.as_str() {
            "--docs" => a.docs = value(),
            "--size" => a.size = value(),
            "--jobs" => a.jobs = value(),
            "--no-fsync" => a.fsync = false,
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    a
}

fn usage(why: &str) -> ! {
    if !why.is_empty() {
        eprintln!("ingest_bench: {why}");
    }
    eprintln!(
        "usage: ingest_bench [--docs N (500)] [--size BYTES (50000)] [--jobs J (4)] [--no-fsync]"
    );
    std::process::exit(2)
}

/// Document `i`: a decision's text, numbered, repeated to about `size` bytes.
fn content(i: usize, size: usize) -> Vec<u8> {
    let para = format!(
        "QUYẾT ĐỊNH số {i}/QĐ-UBND về việc phê duyệt kế hoạch chuyển đổi số của tỉnh Hà Giang \
         giai đoạn 2026-2030. Điều {i}. Giao Sở Thông tin và Truyền thông chủ trì, phối hợp với \
         các sở, ban, ngành triển khai thực hiện.\n"
    );
    let mut out = Vec::with_capacity(size + para.len());
    while out.len() < size {
        out.extend_from_slice(para.as_bytes());
    }
    out
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn main() {
    let args = parse_args();
    let tmp = tempfile::Builder::new()
        .prefix("stele-ingest-bench-")
        .tempdir()
        .expect("temp dir");
    let dir = tmp.path();

    // ---- Setup: CA, signed documents, CRLs as PEM for openssl ----------------------------------
    let t = Instant::now();
    let pki = TestPki::create(&dir.join("pki"));
    let signers = [&pki.leader, &pki.agency, &pki.ecdsa_p256];
    let docs_dir = dir.join("docs");
    std::fs::create_dir_all(&docs_dir).expect("mkdir docs");
    let docs: Vec<(PathBuf, Vec<u8>)> = (0..args.docs)
        .into_par_iter()
        .map(|i| {
            let signed =
                pki.sign_cms_enveloping(&content(i, args.size), signers[i % signers.len()], false);
            let path = docs_dir.join(format!("doc-{i:05}.p7s"));
            std::fs::write(&path, &signed).expect("write signed doc");
            (path, signed)
        })
        .collect();
    let crls = vec![pki.crl_der(), pki.root_crl_der()];
    // `openssl cms` has no -CRLfile: the CRLs go into the -CAfile with the root.
    let ca_and_crls = dir.join("root-and-crls.pem");
    {
        let mut pem = std::fs::read(pki.trust_anchor()).expect("root pem");
        for (k, der) in crls.iter().enumerate() {
            let p = dir.join(format!("crl-{k}.der"));
            std::fs::write(&p, der).expect("write crl");
            let out = Command::new("openssl")
                .args(["crl", "-inform", "DER", "-outform", "PEM", "-in"])
                .arg(&p)
                .output()
                .expect("openssl crl");
            assert!(out.status.success(), "openssl crl: {:?}", out);
            pem.extend_from_slice(&out.stdout);
        }
        std::fs::write(&ca_and_crls, pem).expect("write root-and-crls.pem");
    }
    let setup = t.elapsed();
    let mean_size = docs.iter().map(|(_, b)| b.len()).sum::<usize>() / docs.len().max(1);

    // ---- Stele ---------------------------------------------------------------------------------
    let trust = TrustStore::from_bytes(&std::fs::read(pki.trust_anchor()).expect("root pem"))
        .expect("trust store");
    let validator = SignatureValidator::new(trust).with_crls(crls).offline();

    // The validation alone (what ingest does before writing), two threads: where the time of
    // ingest is not.
    let now = time::OffsetDateTime::now_utc();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let (t, c) = (Instant::now(), process_cpu());
    pool.install(|| {
        docs.par_iter().for_each(|(p, b)| {
            let r = validator.check(b, None, now).expect("check");
            assert_eq!(
                r.indication,
                Indication::Passed,
                "{}: {}",
                p.display(),
                r.summary
            );
        })
    });
    let (check_wall, check_cpu) = (t.elapsed(), process_cpu() - c);
    let store = Store::open(
        &format!("file://{}", dir.join("store").display()),
        &StoreConfig {
            fsync: args.fsync,
            ..StoreConfig::default()
        },
    )
    .expect("store");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let metadata = RecordMetadata::from_json(METADATA).expect("metadata");
    let archived = AtomicUsize::new(0);
    let (wall, cpu) = rt.block_on(async {
        let archive = Archive::new(
            store.clone(),
            validator,
            Arc::new(SystemClock),
            IngestPolicy::default(),
        );
        let subs: Vec<Submission> = docs
            .iter()
            .map(|(p, b)| Submission {
                name: p.file_name().expect("name").to_string_lossy().into_owned(),
                bytes: b.clone(),
                detached_content: None,
                metadata: metadata.clone(),
            })
            .collect();
        let (t, c) = (Instant::now(), process_cpu());
        futures::stream::iter(subs)
            .map(|s| {
                let archive = archive.clone();
                async move { archive.ingest(s).await }
            })
            .buffer_unordered(args.jobs)
            .try_for_each(|outcome| {
                match outcome {
                    IngestOutcome::Archived {
                        indication,
                        summary,
                        ..
                    } => {
                        assert_eq!(indication, Indication::Passed, "{summary}");
                        archived.fetch_add(1, Ordering::Relaxed);
                    }
                    IngestOutcome::Duplicate { id } => panic!("duplicate {id}"),
                }
                async { Ok(()) }
            })
            .await
            .expect("ingest");
        (t.elapsed(), process_cpu() - c)
    });
    assert_eq!(
        archived.load(Ordering::Relaxed),
        args.docs,
        "every document archived"
    );
    let store_bytes = dir_size(&dir.join("store"));

    // ---- Peer: openssl cms -verify, two processes at a time ------------------------------------
    let verify = |doc: &Path| {
        let mut cmd = Command::new("openssl");
        cmd.args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
            .arg(doc)
            .arg("-CAfile")
            .arg(&ca_and_crls)
            .args(["-crl_check_all", "-purpose", "any", "-out", "/dev/null"]);
        let m = run_measured(&mut cmd);
        assert!(
            m.success && m.output.contains("Verification successful"),
            "openssl cms -verify {} failed:\n{}",
            doc.display(),
            m.output
        );
        m.cpu
    };
    verify(&docs[0].0);
    let next = AtomicUsize::new(0);
    let t = Instant::now();
    let peer_cpu: Duration = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut cpu = Duration::ZERO;
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some((p, _)) = docs.get(k) else { break };
                        cpu += verify(p);
                    }
                    cpu
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("worker")).sum()
    });
    let peer_wall = t.elapsed();

    let n = args.docs as f64;
    let stele_rate = n / secs(wall);
    let peer_rate = n / secs(peer_wall);
    println!(
        "documents: {}  signed CMS (enveloping, DER) of {mean_size} bytes on average  load average: {}  setup (untimed): {:.1} s",
        args.docs,
        load_average(),
        secs(setup)
    );
    println!(
        "Stele Archive::ingest ({} at a time, 2 runtime workers, offline with CRLs, store fsync = {}):",
        args.jobs, args.fsync
    );
    println!(
        "  {:.3} s  -> {stele_rate:.1} documents/s  (CPU {:.2} ms/document)  store: {:.1} MiB",
        secs(wall),
        secs(cpu) * 1e3 / n,
        store_bytes as f64 / 1048576.0
    );
    println!(
        "  of which validation (SignatureValidator::check alone, 2 threads): {:.3} s -> {:.1} documents/s (CPU {:.2} ms/document)",
        secs(check_wall),
        n / secs(check_wall),
        secs(check_cpu) * 1e3 / n
    );
    println!(
        "openssl cms -verify -crl_check_all (2 processes at a time), {}:",
        openssl_version()
    );
    println!(
        "  {:.3} s  -> {peer_rate:.1} documents/s  (CPU {:.2} ms/document)",
        secs(peer_wall),
        secs(peer_cpu) * 1e3 / n
    );
    println!(
        "ratio Stele ingest / openssl: {:.2} x the documents/s, {:.2} x the CPU per document",
        stele_rate / peer_rate,
        secs(cpu) / secs(peer_cpu)
    );
    println!(
        "ratio Stele validation alone / openssl: {:.2} x the documents/s, {:.2} x the CPU per document",
        (n / secs(check_wall)) / peer_rate,
        secs(check_cpu) / secs(peer_cpu)
    );
}

fn dir_size(p: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else {
        return 0;
    };
    rd.filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn openssl_version() -> String {
    Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "openssl".into())
}
