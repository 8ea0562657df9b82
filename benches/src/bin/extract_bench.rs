//! Text extraction (issue 4): Stele's `extract_text` against `pdftotext` on the same
//! LibreOffice-made Vietnamese PDFs, in the same run.
//!
//! `cargo run --release -p stele-benches --bin extract_bench [-- --docs N (200) --paragraphs P (30)]`
//!
//! The PDFs come from `stele_tests::office` (six fonts, bold/italic, three pages each).
//! pdftotext runs one process per document, as a user or a reindex script would.

use std::time::{Duration, Instant};

use rayon::prelude::*;
use stele_benches::{children_cpu, peak_rss_mib, process_cpu, run_measured};
use stele_sig::{extract_text, TextLimits};
use stele_tests::office;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

fn main() {
    let docs_n = arg("--docs", 200);
    let paragraphs = arg("--paragraphs", 30);
    let (Some(_), Some(pdftotext)) = (office::soffice(), office::pdftotext()) else {
        eprintln!("extract_bench: needs soffice and pdftotext");
        std::process::exit(2);
    };
    let tmp = tempfile::Builder::new()
        .prefix("stele-bench-extract-")
        .tempdir()
        .expect("temporary folder");
    let setup = Instant::now();
    let per_font = docs_n.div_ceil(office::FONTS.len());
    let mut docs = office::sample_docs(per_font, paragraphs);
    docs.truncate(docs_n);
    let pdfs = office::vietnamese_pdfs(tmp.path(), &docs);
    let bytes: Vec<Vec<u8>> = pdfs
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    let total: usize = bytes.iter().map(Vec::len).sum();
    let mb = total as f64 / 1e6;
    println!(
        "Text extraction (issue 4): {} LibreOffice PDFs, {:.2} MB, setup {:.1?}; {} cores",
        bytes.len(),
        mb,
        setup.elapsed(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let limits = TextLimits::default();

    // Stele, one thread, with the slowest document.
    let cpu0 = process_cpu();
    let start = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut chars = 0usize;
    for b in &bytes {
        let t = Instant::now();
        let text = extract_text(b, &limits).expect("extract");
        slowest = slowest.max(t.elapsed());
        chars += text.text.chars().count();
    }
    let single = start.elapsed();
    let single_cpu = process_cpu() - cpu0;

    // Stele, rayon across documents.
    let start = Instant::now();
    let ok = bytes
        .par_iter()
        .filter(|b| extract_text(b, &limits).is_ok())
        .count();
    let parallel = start.elapsed();
    assert_eq!(ok, bytes.len());

    // pdftotext, one process per document.
    let children0 = children_cpu();
    let start = Instant::now();
    let mut slowest_peer = Duration::ZERO;
    for p in &pdfs {
        let m = run_measured(
            std::process::Command::new(&pdftotext)
                .args(["-enc", "UTF-8"])
                .arg(p)
                .arg("-"),
        );
        assert!(m.success, "pdftotext: {}", m.output);
        slowest_peer = slowest_peer.max(m.wall);
    }
    let peer = start.elapsed();
    let peer_cpu = children_cpu() - children0;

    let n = bytes.len() as f64;
    let row = |what: &str, wall: Duration| {
        println!(
            "{what:<34} {:>9.1} docs/s {:>8.2} MB/s  wall {:>8.2?}",
            n / wall.as_secs_f64(),
            mb / wall.as_secs_f64(),
            wall
        );
    };
    row("stele extract_text, 1 thread", single);
    row("stele extract_text, rayon", parallel);
    row("pdftotext, 1 process per doc", peer);
    println!(
        "CPU: stele {:.2?} (1 thread), pdftotext {:.2?}; slowest document: stele {:.2?}, pdftotext {:.2?}",
        single_cpu, peer_cpu, slowest, slowest_peer
    );
    println!(
        "ratio stele/pdftotext throughput: {:.1}x (1 thread, wall), {:.1}x (CPU); {} chars extracted; peak RSS {:.1} MiB",
        peer.as_secs_f64() / single.as_secs_f64(),
        peer_cpu.as_secs_f64() / single_cpu.as_secs_f64().max(1e-9),
        chars,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
}
