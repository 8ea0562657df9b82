//! API load (issue 5, Performance): `stele serve` under `wrk` from a second process on loopback,
//! with N archived records, against nginx serving a static file of the same size measured in the
//! same run with the same `wrk` settings.
//!
//! `cargo build --release -p stele && cargo run --release -p stele-benches --bin serve_bench
//! [-- --records N (100000) --dir DIR (target/serve-bench) --bytes B (3000) --jobs J (4)
//! --chunk C (5000) --duration S (20) --connections C (32) --threads T (2)]`
//!
//! Needs `wrk` and `nginx` (Debian: `apt-get install -y wrk nginx-light`) and the release
//! `stele` beside this binary (target/release/stele; `STELE_BIN` overrides).
//!
//! Archive (built once and reused, keyed by N and B, in DIR/nN-bB): `stele init`, then N
//! generated Vietnamese administrative documents (`stele_benches::vi_corpus`, about B bytes of
//! text each) as unsigned records: a small text PDF each (`stele ingest` takes PDF and CMS
//! only; the PDF's text is extracted and indexed at ingest), with a Phụ lục VI metadata sidecar (OrganId,
//! OrganName, Subject, IssuedDate, TypeName, CodeNumber/CodeNotation, SignerInfo; 2% "Mật" with
//! AccessMode 03, the rest "none" with 01; Retention 01; six agencies, eleven years, every
//! month), archived with `stele ingest --recursive --allow-unsigned --json --jobs J` over
//! folders of C files (timed), then `stele seal` (timed); the search index must then hold all N
//! (`stele search --json ""`, else `stele reindex --missing`).
//!
//! Load: a reader token (`stele token add`), `stele serve --listen 127.0.0.1:0`, nginx with its
//! own configuration in a temporary folder (`daemon off`, `worker_processes auto`, access log
//! off) on another loopback port. Every run is `wrk -tT -cC -dSs --latency` with the bearer
//! token header and a Lua script rotating through its paths (each wrk thread from a different
//! place):
//! - Stele search: 200 queries at `/api/v1/search?q=…&limit=10` (common and rare words with and
//!   without accents, quoted phrases, two terms, number/notation, agency/type/year/date
//!   filters, filter-only listings), then the same with `&facets=true`;
//! - Stele's public verification page `/v/{id}/{code}` of 200 random non-secret records (URLs
//!   from `stele qr`), target p99 < 100 ms;
//! - nginx: a real search answer of the median size as a static file; and a real verification
//!   page of the median size.
//!
//! Each phase gets a short unreported warm-up run first. `wrk` runs on the same machine and
//! shares its cores with the server: the figures are only meaningful as ratios against the
//! nginx run of the same moment. The load average before and after is printed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use stele_benches::run_measured;
use stele_benches::vi_corpus::{self, Doc, Rng, Zipf};

struct Args {
    records: usize,
    dir: PathBuf,
    bytes: usize,
    jobs: usize,
    chunk: usize,
    duration: u32,
    connections: u32,
    threads: u32,
}

fn usage(why: &str) -> ! {
    if !why.is_empty() {
        eprintln!("serve_bench: {why}");
    }
    eprintln!(
        "usage: serve_bench [--records N (100000)] [--dir DIR (target/serve-bench)] [--bytes B (3000)] \
         [--jobs J (4)] [--chunk C (5000)] [--duration SECONDS (20)] [--connections C (32)] [--threads T (2)]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        records: 100_000,
        dir: PathBuf::from("target/serve-bench"),
        bytes: 3000,
        jobs: 4,
        chunk: 5000,
        duration: 20,
        connections: 32,
        threads: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            usage("");
        }
        let value = it
            .next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let number = || -> usize {
            value
                .parse()
                .ok()
                .filter(|&v: &usize| v > 0)
                .unwrap_or_else(|| usage(&format!("{flag} needs a positive number")))
        };
        match flag.as_str() {
            "--records" => a.records = number(),
            "--dir" => a.dir = PathBuf::from(&value),
            "--bytes" => a.bytes = number(),
            "--jobs" => a.jobs = number(),
            "--chunk" => a.chunk = number(),
            "--duration" => a.duration = number() as u32,
            "--connections" => a.connections = number() as u32,
            "--threads" => a.threads = number() as u32,
            other => usage(&format!("unknown argument {other}")),
        }
    }
    a
}

/// An executable on `PATH` (or in the sbin folders, where Debian puts nginx).
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The release `stele` beside this binary (target/release/), or `STELE_BIN`.
fn stele_binary() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("STELE_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let dir = exe.parent().ok_or("no folder for this binary")?;
    // `cargo run` puts bins in target/release/; a `deps/` copy has its parent one level up.
    for d in [dir, dir.parent().unwrap_or(dir)] {
        let p = d.join("stele");
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(format!(
        "no stele binary in {}: build it first with `cargo build --release -p stele` (or set STELE_BIN)",
        dir.display()
    ))
}

/// A child process ended when dropped: `signal` first (a graceful stop), then SIGKILL after 10 s.
struct ChildGuard {
    name: &'static str,
    child: Child,
    signal: libc::c_int,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SAFETY: kill(2) on the pid of our own child, which has not been reaped yet.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, self.signal);
        }
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} did not stop within 10 s: killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `stele --config ARCHIVE/stele.toml ARGS…`.
fn stele(bin: &Path, root: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin);
    c.arg("--config").arg(root.join("stele.toml")).args(args);
    c
}

/// Runs `stele …` to completion; its output, or an error naming the command.
fn stele_ok(bin: &Path, root: &Path, args: &[&str]) -> Result<(String, Duration), String> {
    let m = run_measured(&mut stele(bin, root, args));
    if !m.success {
        return Err(format!("stele {} failed:\n{}", args.join(" "), m.output));
    }
    Ok((m.output, m.wall))
}

fn is_secret(i: usize) -> bool {
    // 2% of the records, spread through the corpus.
    i % 50 == 17
}

fn date(d: &Doc) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

/// The text file of document `i`: a heading as on paper, then the body.
fn document_text(d: &Doc, i: usize) -> String {
    format!(
        "{}\nSố: {}/{}\nNgày {} tháng {} năm {}\n{}\n{}\n\n{}\n\n(Bản lưu số {i})\n",
        d.organ_name.to_uppercase(),
        d.number,
        d.notation,
        d.day,
        d.month,
        d.year,
        d.type_name.to_uppercase(),
        d.subject,
        d.body
    )
}

/// A one-font PDF of `text` without a signature, as an office suite would export a letter: a
/// Type0 font with Identity-H encoding whose CIDs are the characters' code points, a ToUnicode
/// CMap saying so (a range per high byte the text uses), the font not embedded, lines of about
/// 90 characters, 60 lines a page, uncompressed.
fn text_pdf(text: &str) -> Vec<u8> {
    // Lines wrapped on spaces; an empty source line is kept as an empty line.
    let mut lines: Vec<String> = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > 90 {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    let mut high: Vec<u32> = text.chars().map(|c| (c as u32).min(0xFFFF) >> 8).collect();
    high.sort_unstable();
    high.dedup();
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def /CMapType 2 def\n\
         1 begincodespacerange <0000> <FFFF> endcodespacerange\n",
    );
    cmap.push_str(&format!("{} beginbfrange\n", high.len()));
    for h in &high {
        cmap.push_str(&format!("<{h:02X}00> <{h:02X}FF> <{h:02X}00>\n"));
    }
    cmap.push_str("endbfrange\nendcmap CMapName currentdict /CMap defineresource pop end end");
    let pages: Vec<String> = lines
        .chunks(60)
        .map(|page| {
            let mut c = String::from("BT /F1 10 Tf 12 TL 50 800 Td\n");
            for line in page {
                c.push('<');
                for ch in line.chars() {
                    c.push_str(&format!("{:04X}", (ch as u32).min(0xFFFF)));
                }
                c.push_str("> Tj T*\n");
            }
            c.push_str("ET");
            c
        })
        .collect();
    let stream = |content: &str| {
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        )
    };
    // 1 catalog, 2 pages, 3 Type0 font, 4 CID font, 5 descriptor, 6 ToUnicode, then page and
    // content pairs from 7.
    let kids: String = (0..pages.len())
        .map(|k| format!("{} 0 R ", 7 + 2 * k))
        .collect();
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!(
            "<< /Type /Pages /Count {} /Kids [{kids}] /Resources << /Font << /F1 3 0 R >> >> >>",
            pages.len()
        ),
        "<< /Type /Font /Subtype /Type0 /BaseFont /DejaVuSans /Encoding /Identity-H \
         /DescendantFonts [4 0 R] /ToUnicode 6 0 R >>"
            .to_string(),
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /DejaVuSans /CIDSystemInfo << \
         /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 5 0 R /DW 550 >>"
            .to_string(),
        "<< /Type /FontDescriptor /FontName /DejaVuSans /Flags 32 /FontBBox [-1021 -463 1793 1232] \
         /ItalicAngle 0 /Ascent 928 /Descent -236 /CapHeight 729 /StemV 80 >>"
            .to_string(),
        stream(&cmap),
    ];
    for (k, content) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {} 0 R >>",
            8 + 2 * k
        ));
        objects.push(stream(content));
    }
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (k, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", k + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The Phụ lục VI metadata sidecar of document `i`.
fn document_metadata(d: &Doc, i: usize) -> String {
    let secret = is_secret(i);
    serde_json::json!({
        "OrganId": d.organ_id,
        "OrganName": d.organ_name,
        "Subject": d.subject,
        "IssuedDate": date(d),
        "TypeName": d.type_name,
        "CodeNumber": d.number,
        "CodeNotation": d.notation,
        "Language": "vi",
        "SignerInfo": [{"Position": "Giám đốc", "FullName": d.signer}],
        "Confidentiality": if secret { "Mật" } else { "none" },
        "Retention": "01",
        "AccessMode": if secret { "03" } else { "01" },
    })
    .to_string()
}

/// What the archive build took, kept in `built.txt` so a reused archive still reports it.
struct Build {
    generate: f64,
    ingest: f64,
    ingest_cpu: f64,
    seal: f64,
    reindex: f64,
    reused: bool,
}

fn read_marker(path: &Path, a: &Args) -> Option<Build> {
    let text = std::fs::read_to_string(path).ok()?;
    let get = |k: &str| -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.trim().parse().ok())
    };
    if get("records")? as usize != a.records || get("bytes")? as usize != a.bytes {
        return None;
    }
    Some(Build {
        generate: get("generate_s")?,
        ingest: get("ingest_s")?,
        ingest_cpu: get("ingest_cpu_s")?,
        seal: get("seal_s")?,
        reindex: get("reindex_s")?,
        reused: true,
    })
}

/// The total of `stele search --json ""` (full clearance: every record).
fn index_total(bin: &Path, root: &Path) -> Result<u64, String> {
    let (out, _) = stele_ok(bin, root, &["search", "--json", "-n", "1", ""])?;
    let v: serde_json::Value = out
        .lines()
        .find(|l| l.starts_with('{'))
        .and_then(|l| serde_json::from_str(l).ok())
        .or_else(|| serde_json::from_str(&out).ok())
        .ok_or_else(|| format!("stele search --json: no JSON in:\n{out}"))?;
    v["total"]
        .as_u64()
        .ok_or_else(|| format!("stele search --json: no total in {v}"))
}

/// Builds the archive of `a.records` documents in `root` (or reuses a complete one); returns
/// the timings and the record ids by document number.
fn build_archive(a: &Args, bin: &Path, root: &Path) -> Result<(Build, Vec<String>), String> {
    let marker = root.join("built.txt");
    let ids_path = root.join("ids.txt");
    if let Some(b) = read_marker(&marker, a) {
        let ids: Vec<String> = std::fs::read_to_string(&ids_path)
            .map_err(|e| format!("{}: {e}", ids_path.display()))?
            .lines()
            .map(str::to_string)
            .collect();
        if ids.len() == a.records {
            println!(
                "archive: reusing {} ({} records, built earlier)",
                root.display(),
                a.records
            );
            return Ok((b, ids));
        }
    }
    if root.exists() {
        println!("archive: removing the incomplete {}", root.display());
        std::fs::remove_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
    }
    std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let root_s = root.to_string_lossy().into_owned();
    let m = run_measured(Command::new(bin).args(["init", "--dir", &root_s]));
    if !m.success {
        return Err(format!("stele init --dir {root_s} failed:\n{}", m.output));
    }

    // Corpus files (not timed as ingest).
    let t = Instant::now();
    let corpus = root.join("corpus");
    let vocab = vi_corpus::vocabulary();
    let zipf = Zipf::new(vocab.len());
    let chunks = a.records.div_ceil(a.chunk);
    (0..a.records)
        .into_par_iter()
        .try_for_each(|i| -> Result<(), String> {
            let d = vi_corpus::document(i, a.bytes, &vocab, &zipf);
            let folder = corpus.join(format!("c{:04}", i / a.chunk));
            std::fs::create_dir_all(&folder).map_err(|e| e.to_string())?;
            let file = folder.join(format!("d{i:07}.pdf"));
            std::fs::write(&file, text_pdf(&document_text(&d, i))).map_err(|e| e.to_string())?;
            std::fs::write(
                folder.join(format!("d{i:07}.pdf.meta.json")),
                document_metadata(&d, i),
            )
            .map_err(|e| e.to_string())
        })?;
    let generate = t.elapsed().as_secs_f64();
    println!(
        "archive: {} documents and sidecars written in {generate:.1} s; ingesting {chunks} folders of ≤ {} with --jobs {}",
        a.records, a.chunk, a.jobs
    );

    // Ingest, timed.
    let mut ids = vec![String::new(); a.records];
    let (mut ingest, mut ingest_cpu) = (Duration::ZERO, Duration::ZERO);
    let jobs = a.jobs.to_string();
    for c in 0..chunks {
        let folder = corpus.join(format!("c{c:04}"));
        let folder_s = folder.to_string_lossy().into_owned();
        let m = run_measured(&mut stele(
            bin,
            root,
            &[
                "ingest",
                "--recursive",
                "--allow-unsigned",
                "--json",
                "--jobs",
                &jobs,
                &folder_s,
            ],
        ));
        ingest += m.wall;
        ingest_cpu += m.cpu;
        let mut archived = 0;
        for line in m.output.lines().filter(|l| l.starts_with('{')) {
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("stele ingest --json line {line}: {e}"))?;
            let status = v["status"].as_str().unwrap_or("");
            let file = v["file"].as_str().unwrap_or("");
            if status != "archived" && status != "duplicate" {
                return Err(format!("stele ingest: {line}"));
            }
            let i: usize = Path::new(file)
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.strip_prefix('d'))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("stele ingest: unexpected file in {line}"))?;
            ids[i] = v["id"].as_str().unwrap_or("").to_string();
            archived += 1;
        }
        if !m.success {
            return Err(format!(
                "stele ingest {folder_s} failed:\n{}",
                m.output
                    .lines()
                    .rev()
                    .take(20)
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
        let done = ((c + 1) * a.chunk).min(a.records);
        println!(
            "  folder {}/{chunks}: {archived} files in {:.1} s; {done} records in {:.0} s ({:.0} records/s)",
            c + 1,
            m.wall.as_secs_f64(),
            ingest.as_secs_f64(),
            done as f64 / ingest.as_secs_f64()
        );
    }
    if let Some(i) = ids.iter().position(String::is_empty) {
        return Err(format!("stele ingest did not report document {i}"));
    }

    let (_, seal) = stele_ok(bin, root, &["seal"])?;
    println!("archive: sealed in {:.1} s", seal.as_secs_f64());

    let mut reindex = Duration::ZERO;
    let mut total = index_total(bin, root)?;
    if total != a.records as u64 {
        println!(
            "archive: the index holds {total} of {} records: stele reindex --missing",
            a.records
        );
        let (_, took) = stele_ok(bin, root, &["reindex", "--missing"])?;
        reindex = took;
        total = index_total(bin, root)?;
    }
    if total != a.records as u64 {
        return Err(format!(
            "the search index holds {total} records, not {}",
            a.records
        ));
    }

    std::fs::write(&ids_path, ids.join("\n") + "\n").map_err(|e| e.to_string())?;
    let b = Build {
        generate,
        ingest: ingest.as_secs_f64(),
        ingest_cpu: ingest_cpu.as_secs_f64(),
        seal: seal.as_secs_f64(),
        reindex: reindex.as_secs_f64(),
        reused: false,
    };
    std::fs::write(
        &marker,
        format!(
            "records={}\nbytes={}\njobs={}\ngenerate_s={}\ningest_s={}\ningest_cpu_s={}\nseal_s={}\nreindex_s={}\n",
            a.records, a.bytes, a.jobs, b.generate, b.ingest, b.ingest_cpu, b.seal, b.reindex
        ),
    )
    .map_err(|e| e.to_string())?;
    // The store holds the originals; the generated files are not needed again.
    let _ = std::fs::remove_dir_all(&corpus);
    Ok((b, ids))
}

/// Percent-encodes a query-string value (UTF-8 bytes; unreserved characters kept).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// About `n` search paths: the vi_corpus query mix, number/notation of real documents, and
/// words with agency, type, year or date filters, and a few filter-only listings.
fn search_paths(n: usize, records: usize, bytes: usize) -> Vec<String> {
    let vocab = vi_corpus::vocabulary();
    let zipf = Zipf::new(vocab.len());
    let mut rng = Rng::new(0x5E_4BE);
    let path = |q: &str, filters: &str| format!("/api/v1/search?q={}&limit=10{filters}", encode(q));
    let mixed = n * 3 / 4;
    let mut out: Vec<String> = vi_corpus::queries(mixed, &vocab)
        .iter()
        .map(|q| path(&q.stele, ""))
        .collect();
    // Agencies and types as the corpus has them.
    let sample: Vec<Doc> = (0..200)
        .map(|i| vi_corpus::document(i, 10, &vocab, &zipf))
        .collect();
    let mut organs: Vec<&str> = sample.iter().map(|d| d.organ_id.as_str()).collect();
    organs.sort();
    organs.dedup();
    let mut types: Vec<&str> = sample.iter().map(|d| d.type_name.as_str()).collect();
    types.sort();
    types.dedup();
    let rest = n - mixed;
    for k in 0..rest {
        let d = vi_corpus::document(rng.below(records), bytes, &vocab, &zipf);
        let word = vocab[zipf.sample(&mut rng)];
        let p = match k % 8 {
            // Number/notation as printed on the document.
            0..=2 => path(&format!("{}/{}", d.number, d.notation), ""),
            3 => path(
                word,
                &format!("&agency={}", encode(rng.pick::<&str>(&organs))),
            ),
            4 => path(word, &format!("&type={}", encode(rng.pick::<&str>(&types)))),
            5 => path(word, &format!("&year={}", 2015 + rng.below(11))),
            6 => {
                let y = 2015 + rng.below(11);
                let m = 1 + rng.below(12);
                path(
                    &vi_corpus::unaccent(word),
                    &format!("&from={y}-{m:02}-01&to={y}-{m:02}-28"),
                )
            }
            _ => path(
                "",
                &format!(
                    "&agency={}&year={}",
                    encode(rng.pick::<&str>(&organs)),
                    2015 + rng.below(11)
                ),
            ),
        };
        out.push(p);
    }
    out
}

/// An HTTP answer: status, headers (lowercase names), body.
type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// One HTTP/1.1 GET on loopback.
fn http_get(port: u16, path: &str, token: Option<&str>) -> Result<Answer, String> {
    let fail = |e: std::io::Error| format!("GET {path}: {e}");
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(fail)?;
    s.set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(fail)?;
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).map_err(fail)?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).map_err(fail)?;
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("GET {path}: no end of headers"))?;
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("GET {path}: no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
    {
        body = dechunk(&body).ok_or_else(|| format!("GET {path}: bad chunked body"))?;
    }
    Ok((status, headers, body))
}

fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&b[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = &b[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

/// The Lua script that rotates wrk's requests through `paths`, each thread from its own place.
fn lua_script(paths: &[String]) -> String {
    let mut s = String::from("local paths = {\n");
    for p in paths {
        s.push_str(&format!(
            "  \"{}\",\n",
            p.replace('\\', "\\\\").replace('"', "\\\"")
        ));
    }
    s.push_str(
        "}\n\
         local counter = 0\n\
         function setup(thread)\n\
         \x20 thread:set(\"offset\", counter * 67)\n\
         \x20 counter = counter + 1\n\
         end\n\
         local i = nil\n\
         function request()\n\
         \x20 if i == nil then i = (offset or 0) % #paths end\n\
         \x20 i = i % #paths + 1\n\
         \x20 return wrk.format(nil, paths[i])\n\
         end\n",
    );
    s
}

/// What one wrk run measured.
#[derive(Clone, Debug, Default)]
struct Wrk {
    rps: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    requests: u64,
    non_2xx: u64,
    socket_errors: String,
}

/// A wrk duration (`812.00us`, `1.20ms`, `2.01s`, `1.00m`) in milliseconds.
fn wrk_ms(s: &str) -> Option<f64> {
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = s.split_at(split);
    let n: f64 = n.parse().ok()?;
    Some(match unit {
        "us" => n / 1e3,
        "ms" => n,
        "s" => n * 1e3,
        "m" => n * 60e3,
        "h" => n * 3600e3,
        _ => return None,
    })
}

fn parse_wrk(out: &str) -> Option<Wrk> {
    let mut w = Wrk::default();
    let mut latency_section = false;
    for line in out.lines() {
        let t = line.trim();
        let words: Vec<&str> = t.split_whitespace().collect();
        if t.starts_with("Latency Distribution") {
            latency_section = true;
        } else if latency_section && words.len() == 2 && words[0].ends_with('%') {
            let v = wrk_ms(words[1])?;
            match words[0] {
                "50%" => w.p50 = v,
                "90%" => w.p90 = v,
                "99%" => w.p99 = v,
                _ => {}
            }
        } else if t.starts_with("Requests/sec:") {
            w.rps = words.get(1)?.parse().ok()?;
        } else if words.get(1) == Some(&"requests") && words.get(2) == Some(&"in") {
            w.requests = words[0].parse().ok()?;
        } else if t.starts_with("Non-2xx or 3xx responses:") {
            w.non_2xx = words.last()?.parse().ok()?;
        } else if t.starts_with("Socket errors:") {
            w.socket_errors = t.trim_start_matches("Socket errors:").trim().to_string();
        }
    }
    (w.rps > 0.0 && w.p99 > 0.0).then_some(w)
}

struct Load<'a> {
    wrk: &'a Path,
    work: &'a Path,
    token: &'a str,
    threads: u32,
    connections: u32,
}

impl Load<'_> {
    /// One wrk run of `seconds` against `port`, rotating through `paths`.
    fn run(&self, name: &str, port: u16, paths: &[String], seconds: u32) -> Result<Wrk, String> {
        let script = self.work.join(format!("{name}.lua"));
        std::fs::write(&script, lua_script(paths)).map_err(|e| e.to_string())?;
        let out = Command::new(self.wrk)
            .arg(format!("-t{}", self.threads))
            .arg(format!("-c{}", self.connections))
            .arg(format!("-d{seconds}s"))
            .arg("--latency")
            .arg("-H")
            .arg(format!("Authorization: Bearer {}", self.token))
            .arg("-s")
            .arg(&script)
            .arg(format!("http://127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("wrk: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(format!("wrk ({name}) failed:\n{text}"));
        }
        parse_wrk(&text).ok_or_else(|| format!("wrk ({name}): cannot read its output:\n{text}"))
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// Starts nginx on `port` serving the files of `work/www`, with everything it writes in `work`.
fn start_nginx(nginx: &Path, work: &Path, port: u16) -> Result<ChildGuard, String> {
    let conf = work.join("nginx.conf");
    let w = work.display();
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nworker_processes auto;\npid {w}/nginx.pid;\nerror_log {w}/nginx-error.log;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 1000000;\n\
             \x20 client_body_temp_path {w}/tmp-body;\n  proxy_temp_path {w}/tmp-proxy;\n  fastcgi_temp_path {w}/tmp-fastcgi;\n\
             \x20 types {{ application/json json; text/html html; }}\n\
             \x20 server {{\n    listen 127.0.0.1:{port};\n    root {w}/www;\n    location / {{ }}\n  }}\n}}\n"
        ),
    )
    .map_err(|e| e.to_string())?;
    let child = Command::new(nginx)
        .arg("-p")
        .arg(work)
        .arg("-e")
        .arg(work.join("nginx-error.log"))
        .arg("-c")
        .arg(&conf)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("nginx: {e}"))?;
    // SIGTERM: the master stops its workers and exits (SIGKILL would orphan the workers).
    let mut guard = ChildGuard {
        name: "nginx",
        child,
        signal: libc::SIGTERM,
    };
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = guard.child.try_wait() {
            let log = std::fs::read_to_string(work.join("nginx-error.log")).unwrap_or_default();
            return Err(format!("nginx exited ({status}):\n{log}"));
        }
        if t.elapsed() > Duration::from_secs(10) {
            return Err("nginx did not listen within 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(guard)
}

/// Starts `stele serve --listen 127.0.0.1:0`; the guard and the port it printed.
fn start_serve(bin: &Path, root: &Path) -> Result<(ChildGuard, u16), String> {
    let log = std::fs::File::create(root.join("serve.log")).map_err(|e| e.to_string())?;
    let child = stele(bin, root, &["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("stele serve: {e}"))?;
    // SIGINT: stele serve shuts down gracefully on Ctrl-C.
    let mut guard = ChildGuard {
        name: "stele serve",
        child,
        signal: libc::SIGINT,
    };
    let stdout = guard.child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Read every line, so the pipe never fills; the first one names the address.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = Instant::now();
    let line = rx.recv_timeout(Duration::from_secs(300)).map_err(|_| {
        let log = std::fs::read_to_string(root.join("serve.log")).unwrap_or_default();
        format!("stele serve printed no address:\n{log}")
    })?;
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("stele serve: unexpected first line `{line}`"))?;
    println!(
        "stele serve: listening on 127.0.0.1:{port} after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok((guard, port))
}

fn median(mut v: Vec<usize>) -> usize {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// The body of median size among `bodies`.
fn median_body(bodies: &[Vec<u8>]) -> Vec<u8> {
    let m = median(bodies.iter().map(Vec::len).collect());
    bodies
        .iter()
        .find(|b| b.len() == m)
        .cloned()
        .unwrap_or_default()
}

/// Fetches each path once (warming the server and checking every answer is 200); the bodies.
fn fetch_all(port: u16, paths: &[String], token: Option<&str>) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        let (status, _, body) = http_get(port, p, token)?;
        if status != 200 {
            return Err(format!(
                "GET {p} answered {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            ));
        }
        out.push(body);
    }
    Ok(out)
}

fn uptime() -> String {
    Command::new("uptime")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/loadavg")
                .ok()
                .map(|s| format!("loadavg {}", s.trim()))
        })
        .unwrap_or_default()
}

/// Public verification paths (`/v/{id}/{code}`) of `n` random non-secret records, from
/// `stele qr ID --out FILE.svg --json`.
fn verification_paths(
    bin: &Path,
    root: &Path,
    work: &Path,
    ids: &[String],
    n: usize,
) -> Result<Vec<String>, String> {
    let mut rng = Rng::new(0xC0DE);
    let mut picked: Vec<usize> = Vec::new();
    while picked.len() < n.min(ids.len()) {
        let i = rng.below(ids.len());
        if !is_secret(i) && !picked.contains(&i) {
            picked.push(i);
        }
    }
    let t = Instant::now();
    let mut paths = Vec::with_capacity(picked.len());
    for (k, &i) in picked.iter().enumerate() {
        let out = work.join(format!("qr-{k}.svg"));
        let out_s = out.to_string_lossy().into_owned();
        let (text, _) = stele_ok(bin, root, &["qr", &ids[i], "--out", &out_s, "--json"])?;
        let v: serde_json::Value = text
            .lines()
            .find(|l| l.starts_with('{'))
            .and_then(|l| serde_json::from_str(l).ok())
            .ok_or_else(|| format!("stele qr --json: no JSON in:\n{text}"))?;
        let url = v["url"]
            .as_str()
            .ok_or_else(|| format!("stele qr --json: no url in {v}"))?;
        // Keep the path: the server under test listens on its own port.
        let path = url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|s| rest[s..].to_string()))
            .ok_or_else(|| format!("stele qr: URL without a path: {url}"))?;
        paths.push(path);
    }
    println!(
        "verification URLs: {} from `stele qr` in {:.1} s ({:.0} ms each)",
        paths.len(),
        t.elapsed().as_secs_f64(),
        t.elapsed().as_secs_f64() * 1e3 / paths.len().max(1) as f64
    );
    Ok(paths)
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("serve_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let a = parse_args();
    let Some(wrk) = find_program("wrk") else {
        return Err("wrk is not installed (Debian: apt-get install -y wrk)".into());
    };
    let Some(nginx) = find_program("nginx") else {
        return Err("nginx is not installed (Debian: apt-get install -y nginx-light)".into());
    };
    let bin = stele_binary()?;
    let dir = std::path::absolute(&a.dir).map_err(|e| format!("{}: {e}", a.dir.display()))?;
    let root = dir.join(format!("n{}-b{}", a.records, a.bytes));
    println!(
        "serve_bench: {} records of ~{} bytes in {}; wrk -t{} -c{} -d{}s --latency; stele {}",
        a.records,
        a.bytes,
        root.display(),
        a.threads,
        a.connections,
        a.duration,
        bin.display()
    );
    println!("load before: {}", uptime());

    let (build, ids) = build_archive(&a, &bin, &root)?;

    let work = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(&dir)
        .map_err(|e| e.to_string())?;
    let (token_out, _) = stele_ok(
        &bin,
        &root,
        &[
            "token",
            "add",
            &format!("bench-{}", std::process::id()),
            "--role",
            "reader",
        ],
    )?;
    let token = token_out
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.contains(' '))
        .ok_or_else(|| format!("stele token add printed no token:\n{token_out}"))?
        .to_string();

    // Verification URLs before the server starts: `stele qr` opens the archive itself.
    let verify_paths = verification_paths(&bin, &root, work.path(), &ids, 200)
        .map_err(|e| format!("no verification URLs: {e}"));

    let (serve, port) = start_serve(&bin, &root)?;
    let (status, _, _) = http_get(port, "/api/v1/health", None)?;
    if status != 200 {
        return Err(format!("GET /api/v1/health answered {status}"));
    }

    // Search paths, each fetched once: every answer must be 200; sizes for the static peer.
    let search = search_paths(200, a.records, a.bytes);
    let facets: Vec<String> = search.iter().map(|p| format!("{p}&facets=true")).collect();
    let t = Instant::now();
    let search_bodies = fetch_all(port, &search, Some(&token))?;
    let first_pass = t.elapsed();
    let facet_bodies = fetch_all(port, &facets, Some(&token))?;
    let answer = median_body(&search_bodies);
    let facet_size = median(facet_bodies.iter().map(Vec::len).collect());
    println!(
        "search: {} queries answered 200 (first pass, one at a time: {:.1} ms mean); median answer {} bytes, {} with facets",
        search.len(),
        first_pass.as_secs_f64() * 1e3 / search.len() as f64,
        answer.len(),
        facet_size
    );

    // The public page: served by this build?
    let verify = verify_paths.and_then(|paths| {
        let (status, _, body) = http_get(port, &paths[0], None)?;
        if status != 200 {
            return Err(format!(
                "GET {} answered {status} ({} bytes): the public verification page is not served by this build",
                paths[0],
                body.len()
            ));
        }
        let bodies = fetch_all(port, &paths, None)?;
        Ok((paths, median_body(&bodies)))
    });
    if let Err(e) = &verify {
        println!("verification page: NOT MEASURED: {e}");
    }

    let www = work.path().join("www");
    std::fs::create_dir_all(&www).map_err(|e| e.to_string())?;
    std::fs::write(www.join("answer.json"), &answer).map_err(|e| e.to_string())?;
    if let Ok((_, page)) = &verify {
        std::fs::write(www.join("page.html"), page).map_err(|e| e.to_string())?;
    }
    let nginx_port = free_port()?;
    let nginx_guard = start_nginx(&nginx, work.path(), nginx_port)?;
    let (status, _, body) = http_get(nginx_port, "/answer.json", None)?;
    if status != 200 || body != answer {
        return Err(format!(
            "nginx answered {status} with {} bytes for /answer.json",
            body.len()
        ));
    }

    let load = Load {
        wrk: &wrk,
        work: work.path(),
        token: &token,
        threads: a.threads,
        connections: a.connections,
    };
    let d = a.duration;
    let warm = 5.min(d);
    let static_paths = vec!["/answer.json".to_string()];
    let page_paths = vec!["/page.html".to_string()];
    println!("load at start of the runs: {}", uptime());
    println!("runs of {d} s each (after a {warm} s warm-up):");
    let mut rows: Vec<(String, Wrk)> = Vec::new();
    let mut measure = |name: &str, label: String, port: u16, paths: &[String]| {
        load.run(&format!("{name}-warmup"), port, paths, warm)?;
        let w = load.run(name, port, paths, d)?;
        println!(
            "  {label:<34} {:>9.0} req/s  p50 {:>7.2} ms  p90 {:>7.2} ms  p99 {:>7.2} ms",
            w.rps, w.p50, w.p90, w.p99
        );
        rows.push((label, w.clone()));
        Ok::<Wrk, String>(w)
    };
    let ngx = measure(
        "nginx-answer",
        format!("nginx static ({} B)", answer.len()),
        nginx_port,
        &static_paths,
    )?;
    let s = measure(
        "stele-search",
        format!("stele search ({} queries)", search.len()),
        port,
        &search,
    )?;
    let f = measure(
        "stele-facets",
        "stele search, facets=true".into(),
        port,
        &facets,
    )?;
    let v = match &verify {
        Ok((paths, page)) => {
            let v = measure(
                "stele-verify",
                format!("stele /v/ page ({} URLs)", paths.len()),
                port,
                paths,
            )?;
            let n = measure(
                "nginx-page",
                format!("nginx static ({} B)", page.len()),
                nginx_port,
                &page_paths,
            )?;
            Some((v, n))
        }
        Err(_) => None,
    };
    let after = uptime();
    drop(nginx_guard);
    drop(serve);

    println!();
    println!(
        "API load, {} records (~{} B of text each), wrk -t{} -c{} -d{}s on loopback, 2 processes sharing {} cores:",
        a.records,
        a.bytes,
        a.threads,
        a.connections,
        d,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if build.reused {
        println!("  archive reused; when it was built:");
    }
    println!(
        "  archive build: ingest {:.0} s ({:.0} records/s, {:.0} s CPU in stele), seal {:.1} s{}; corpus files {:.0} s",
        build.ingest,
        a.records as f64 / build.ingest,
        build.ingest_cpu,
        build.seal,
        if build.reindex > 0.0 {
            format!(", reindex --missing {:.1} s", build.reindex)
        } else {
            String::new()
        },
        build.generate
    );
    println!(
        "  {:<34} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}  socket errors",
        "", "req/s", "p50 ms", "p90 ms", "p99 ms", "requests", "non-2xx"
    );
    for (label, w) in &rows {
        println!(
            "  {label:<34} {:>9.0} {:>9.2} {:>9.2} {:>9.2} {:>9} {:>8}  {}",
            w.rps,
            w.p50,
            w.p90,
            w.p99,
            w.requests,
            w.non_2xx,
            if w.socket_errors.is_empty() {
                "none"
            } else {
                &w.socket_errors
            }
        );
    }
    println!(
        "  ratio stele search / nginx static: req/s {:.3}×, p99 {:.1}×",
        s.rps / ngx.rps,
        s.p99 / ngx.p99
    );
    println!(
        "  ratio stele search with facets / nginx static: req/s {:.3}×, p99 {:.1}×",
        f.rps / ngx.rps,
        f.p99 / ngx.p99
    );
    match (&v, &verify) {
        (Some((v, n)), _) => {
            println!(
                "  ratio stele /v/ page / nginx static page: req/s {:.3}×, p99 {:.1}×",
                v.rps / n.rps,
                v.p99 / n.p99
            );
            println!(
                "  public verification page p99 {:.2} ms: {} (target < 100 ms)",
                v.p99,
                if v.p99 < 100.0 { "PASS" } else { "FAIL" }
            );
        }
        (None, Err(e)) => println!("  public verification page: NOT MEASURED ({e})"),
        (None, Ok(_)) => {}
    }
    let bad: u64 = rows.iter().map(|(_, w)| w.non_2xx).sum();
    if bad > 0 {
        println!("  WARNING: {bad} answers were not 2xx/3xx");
    }
    println!("  load after: {after}");
    println!();
    println!(
        "reproduce: cargo build --release -p stele && cargo run --release -p stele-benches --bin serve_bench -- --records {} --dir {}",
        a.records,
        a.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
