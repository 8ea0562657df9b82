//! Search (issue 4): Stele's index against SQLite FTS5 on the same generated Vietnamese corpus,
//! in the same run.
//!
//! `cargo run --release -p stele-benches --bin search_bench [-- --docs N (100000) --bytes B
//! (3000) --queries Q (200) --reps R (3) --threads T (2) --slowest S (0: list the S slowest Stele
//! queries) --check (compare each query's top 10 with the exhaustive ranking)]`; `STELE_BENCH_DOCS=N` also sets N.
//!
//! Corpus (not timed): N documents of about B bytes of body text each, drawn with a Zipf-like law
//! from Vietnamese administrative words and phrases with their tone marks
//! (`stele_benches::vi_corpus`), with agency, type, number/notation, date and signer.
//!
//! Build. Stele: `SearchIndex` on disk in a temporary folder, records added from rayon threads
//! into tantivy's writer with T indexing threads, then committed (searchable); the background
//! merges that follow are waited for and reported apart. FTS5: `CREATE VIRTUAL TABLE docs USING
//! fts5(subject, body, tokenize = "unicode61 remove_diacritics 2")` in a file database (WAL,
//! synchronous=NORMAL), all inserts in one transaction, committed; then `optimize`, reported
//! apart. Stele indexes more per record (exact, folded and pair forms of subject, body, agency,
//! signers, number/notation, plus metadata fields); FTS5 indexes subject and body once.
//!
//! Queries: Q mixed queries (common and rare words, accented and unaccented, quoted phrases, two
//! terms), each run R times after one untimed pass, the engines alternating per query. Stele:
//! top 10 by relevance with snippets, total count, full clearance. FTS5: `snippet()`, `bm25()`,
//! `ORDER BY rank LIMIT 10` (no total count). Latency is wall time per query.

use std::time::{Duration, Instant};

use rayon::prelude::*;
use rusqlite::{params, Connection};
use stele_benches::process_cpu;
use stele_benches::vi_corpus::{self, Doc, Zipf};
use stele_index::{Clearance, IndexedRecord, SearchIndex, SearchRequest};

struct Args {
    docs: usize,
    bytes: usize,
    queries: usize,
    reps: usize,
    threads: usize,
    slowest: usize,
    check: bool,
}

fn args() -> Args {
    let mut a = Args {
        docs: std::env::var("STELE_BENCH_DOCS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(100_000),
        bytes: 3000,
        queries: 200,
        reps: 3,
        threads: 2,
        slowest: 0,
        check: false,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let value = || -> usize {
            argv.get(i + 1)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("{} needs a number", argv[i]))
        };
        if argv[i] == "--check" {
            a.check = true;
            i += 1;
            continue;
        }
        match argv[i].as_str() {
            "--docs" => a.docs = value(),
            "--bytes" => a.bytes = value(),
            "--queries" => a.queries = value(),
            "--reps" => a.reps = value(),
            "--threads" => a.threads = value(),
            "--slowest" => a.slowest = value(),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    a
}

fn record(d: &Doc) -> IndexedRecord {
    IndexedRecord {
        id: d.id.clone(),
        text: d.body.clone(),
        subject: d.subject.clone(),
        organ_id: Some(d.organ_id.clone()),
        organ_name: d.organ_name.clone(),
        type_name: Some(d.type_name.clone()),
        code_number: Some(d.number.clone()),
        code_notation: Some(d.notation.clone()),
        issued_date: time::Date::from_calendar_date(
            d.year,
            time::Month::try_from(d.month).expect("month"),
            d.day,
        )
        .expect("date"),
        signers: vec![d.signer.clone()],
        confidentiality: stele_index::Confidentiality::None,
        retention: "05".into(),
        file_notation: None,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn main() {
    let a = args();
    println!(
        "search_bench: {} documents of ~{} bytes, {} queries × {} repetitions, {} indexing threads",
        a.docs, a.bytes, a.queries, a.reps, a.threads
    );

    // Corpus.
    let t = Instant::now();
    let vocab = vi_corpus::vocabulary();
    let zipf = Zipf::new(vocab.len());
    let docs: Vec<Doc> = (0..a.docs)
        .into_par_iter()
        .map(|i| vi_corpus::document(i, a.bytes, &vocab, &zipf))
        .collect();
    let text_bytes: usize = docs.iter().map(|d| d.body.len() + d.subject.len()).sum();
    println!(
        "corpus: {:.1} MB of text generated in {:.1} s",
        text_bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let records: Vec<IndexedRecord> = docs.par_iter().map(record).collect();

    // Stele build.
    let tmp = tempfile::tempdir().expect("tempdir");
    let stele_dir = tmp.path().join("stele-index");
    let index = SearchIndex::open_or_create(&stele_dir).expect("open index");
    let cpu = process_cpu();
    let t = Instant::now();
    let mut writer = index
        .writer(a.threads, a.threads * 256_000_000)
        .expect("writer");
    records.par_iter().for_each(|r| writer.add(r).expect("add"));
    writer.commit().expect("commit");
    let stele_build = t.elapsed();
    let stele_cpu = process_cpu() - cpu;
    let t = Instant::now();
    writer.finish().expect("merge");
    let stele_merge = t.elapsed();
    drop(records);
    let stele_rate = a.docs as f64 / stele_build.as_secs_f64();
    assert_eq!(
        index.num_records(Clearance::FULL).expect("count") as usize,
        a.docs
    );

    // FTS5 build.
    let db_path = tmp.path().join("fts5.db");
    let conn = Connection::open(&db_path).expect("sqlite");
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE VIRTUAL TABLE docs USING fts5(subject, body, tokenize = \"unicode61 remove_diacritics 2\");",
    )
    .expect("create fts5");
    let cpu = process_cpu();
    let t = Instant::now();
    {
        let tx = conn.unchecked_transaction().expect("begin");
        {
            let mut insert = tx
                .prepare("INSERT INTO docs(rowid, subject, body) VALUES (?1, ?2, ?3)")
                .expect("prepare");
            for (i, d) in docs.iter().enumerate() {
                insert
                    .execute(params![i as i64, d.subject, d.body])
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    let fts_build = t.elapsed();
    let fts_cpu = process_cpu() - cpu;
    let t = Instant::now();
    conn.execute_batch("INSERT INTO docs(docs) VALUES('optimize');")
        .expect("optimize");
    let fts_optimize = t.elapsed();
    let fts_rate = a.docs as f64 / fts_build.as_secs_f64();
    drop(docs);

    println!();
    println!("index build (documents/s, to committed and searchable):");
    println!(
        "  stele  {:>9.0} docs/s  ({:.1} s, {:.1} s CPU; background merges waited after: {:.1} s; {:.0} MB on disk)",
        stele_rate,
        stele_build.as_secs_f64(),
        stele_cpu.as_secs_f64(),
        stele_merge.as_secs_f64(),
        dir_size(&stele_dir) as f64 / 1e6
    );
    println!(
        "  fts5   {:>9.0} docs/s  ({:.1} s, {:.1} s CPU; optimize after: {:.1} s; {:.0} MB on disk)",
        fts_rate,
        fts_build.as_secs_f64(),
        fts_cpu.as_secs_f64(),
        fts_optimize.as_secs_f64(),
        (std::fs::metadata(&db_path).map(|m| m.len()).unwrap_or(0)
            + std::fs::metadata(tmp.path().join("fts5.db-wal"))
                .map(|m| m.len())
                .unwrap_or(0)) as f64
            / 1e6
    );
    println!(
        "  ratio stele/fts5: {:.2}× (target ≥ 1)",
        stele_rate / fts_rate
    );

    // Queries.
    let queries = vi_corpus::queries(a.queries, &vocab);
    let mut fts_stmt = conn
        .prepare(
            "SELECT rowid, snippet(docs, 1, '[', ']', '…', 20), bm25(docs) FROM docs \
             WHERE docs MATCH ?1 ORDER BY rank LIMIT 10",
        )
        .expect("prepare query");
    let mut run_fts = |q: &str| -> usize {
        let mut rows = fts_stmt.query(params![q]).expect("fts query");
        let mut n = 0;
        while let Some(row) = rows.next().expect("row") {
            let _: String = row.get(1).expect("snippet");
            n += 1;
        }
        n
    };
    let run_stele = |q: &str| -> usize {
        let req = SearchRequest {
            limit: 10,
            clearance: Clearance::FULL,
            ..SearchRequest::new(q)
        };
        let res = index.search(&req).expect("stele query");
        res.hits.iter().map(|h| h.snippet.text.len().min(1)).sum()
    };
    let mut stele_lat = Vec::new();
    let mut fts_lat = Vec::new();
    let mut by_kind: std::collections::BTreeMap<&str, (Vec<Duration>, Vec<Duration>)> =
        Default::default();
    let mut by_query: Vec<Vec<Duration>> = vec![Vec::new(); queries.len()];
    let (mut stele_hits, mut fts_hits) = (0usize, 0usize);
    for rep in 0..=a.reps {
        for (qi, q) in queries.iter().enumerate() {
            let t = Instant::now();
            let s = run_stele(&q.stele);
            let ds = t.elapsed();
            let t = Instant::now();
            let f = run_fts(&q.fts5);
            let df = t.elapsed();
            if rep == 0 {
                // Untimed warm-up pass; count the hits once.
                stele_hits += s;
                fts_hits += f;
                continue;
            }
            stele_lat.push(ds);
            fts_lat.push(df);
            by_query[qi].push(ds);
            let e = by_kind.entry(q.kind).or_default();
            e.0.push(ds);
            e.1.push(df);
        }
    }
    stele_lat.sort();
    fts_lat.sort();
    let (s50, s95) = (percentile(&stele_lat, 0.5), percentile(&stele_lat, 0.95));
    let (f50, f95) = (percentile(&fts_lat, 0.5), percentile(&fts_lat, 0.95));
    println!();
    println!(
        "query latency over {} queries ({} timed runs each engine; top 10 with snippets):",
        queries.len(),
        stele_lat.len()
    );
    println!(
        "  stele  p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms  ({} hits with snippets in the warm-up pass)",
        ms(s50),
        ms(s95),
        ms(*stele_lat.last().unwrap_or(&Duration::ZERO)),
        stele_hits
    );
    println!(
        "  fts5   p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms  ({} hits)",
        ms(f50),
        ms(f95),
        ms(*fts_lat.last().unwrap_or(&Duration::ZERO)),
        fts_hits
    );
    println!(
        "  ratio stele/fts5: p50 {:.2}×, p95 {:.2}× (target p95 ≤ 1× and < 20 ms)",
        s50.as_secs_f64() / f50.as_secs_f64(),
        s95.as_secs_f64() / f95.as_secs_f64()
    );
    println!("  by kind (p95 ms, stele / fts5):");
    for (kind, (mut s, mut f)) in by_kind {
        s.sort();
        f.sort();
        println!(
            "    {kind:<20} {:>7.2} / {:>7.2}",
            ms(percentile(&s, 0.95)),
            ms(percentile(&f, 0.95))
        );
    }
    if a.slowest > 0 {
        // Slowest queries by their median Stele latency.
        let mut medians: Vec<(Duration, usize)> = by_query
            .iter_mut()
            .enumerate()
            .map(|(i, v)| {
                v.sort();
                (percentile(v, 0.5), i)
            })
            .collect();
        medians.sort_by(|a, b| b.cmp(a));
        println!("  slowest stele queries (median ms):");
        for (d, i) in medians.into_iter().take(a.slowest) {
            println!(
                "    {:>7.2}  {:<18} {}",
                ms(d),
                queries[i].kind,
                queries[i].stele
            );
        }
    }
    if a.check {
        // Ranking agreement: the top 10 of the pruned search (candidate passes re-scored) against
        // the exhaustive one (every match scored by the full query).
        let (mut same, mut overlap, mut totals_equal) = (0usize, 0usize, 0usize);
        for q in &queries {
            let req = SearchRequest {
                limit: 10,
                clearance: Clearance::FULL,
                ..SearchRequest::new(q.stele.clone())
            };
            let fast = index.search(&req).expect("stele query");
            let full = index.search_exhaustive(&req).expect("stele query");
            let ids = |r: &stele_index::SearchResults| -> Vec<String> {
                r.hits.iter().map(|h| h.id.clone()).collect()
            };
            let (f, e) = (ids(&fast), ids(&full));
            if f == e {
                same += 1;
            } else if a.slowest > 0 {
                println!("  ranking differs: {:<18} {}", q.kind, q.stele);
            }
            overlap += f.iter().filter(|id| e.contains(id)).count();
            totals_equal += usize::from(fast.total == full.total);
        }
        println!(
            "  ranking check: {same}/{} queries with the exhaustive top 10 in the same order; \
             {:.1}% of the exhaustive top-10 hits found; totals equal in {totals_equal}/{}",
            queries.len(),
            100.0 * overlap as f64 / (10 * queries.len()).max(1) as f64,
            queries.len()
        );
    }
    let build_ok = stele_rate >= fts_rate;
    let query_ok = s95 <= f95 && s95 < Duration::from_millis(20);
    println!();
    println!(
        "targets: build {}; query p95 {}",
        if build_ok { "met" } else { "MISSED" },
        if query_ok { "met" } else { "MISSED" }
    );
}
