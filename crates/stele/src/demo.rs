//! `stele demo`: Stele's main job on embedded defaults, through the very functions the archive
//! commands run — `stele init`, `ingest`, `seal` and `verify` on a local archive with a built-in
//! TSA; then, in a copy of that archive, ten years of time travel: a second TSA, `renew` when
//! the first TSA's certificate is due, `verify` ten years on, `export` and `ers verify` on the
//! exported package alone. Nothing goes over the network: the built-in TSA signs in-process.
//!
//! The time travel happens in a copy (`DIR/future`) because it writes evidence dated in the
//! future: the archive in `DIR` keeps only today's evidence, so it verifies today on every run.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::json;
use stele_archive::config::{Config, CONFIG_FILE_NAME};
use stele_archive::write_atomically;
use stele_asn1::DigestAlgorithm;
use time::{Duration, OffsetDateTime};

use crate::context::{absolute, GlobalArgs};
use crate::UsageError;
use crate::{
    ers_cmd, evidence_cmd, export_cmd, fmt_time, ingest_cmd, init_cmd, search_cmd, tsa_cmd,
};

#[derive(Args)]
pub struct DemoArgs {
    /// Working folder (created; reused on later runs).
    #[arg(long, default_value = "stele-demo")]
    dir: PathBuf,
}

/// Marks a folder whose archive the demo made (it adds sample records to it).
const MARKER: &str = ".stele-demo";

/// One sample document: file name, its text (Vietnamese), and its metadata.
struct Sample {
    file: &'static str,
    lines: &'static [&'static str],
    metadata: fn() -> serde_json::Value,
}

const SAMPLES: [Sample; 3] = [
    Sample {
        file: "quyet-dinh-1500-QD-UBND.pdf",
        lines: &[
            "ỦY BAN NHÂN DÂN TỈNH",
            "Quyết định số 1500/QĐ-UBND",
            "Về việc áp dụng chữ ký số trong văn bản điện tử.",
        ],
        metadata: || {
            json!({
                "OrganId": "000.00.00.H12",
                "FileCatalog": 2026,
                "FileNotation": "01.TH",
                "DocOrdinal": 1,
                "TypeName": "Quyết định",
                "CodeNumber": "1500",
                "CodeNotation": "QĐ-UBND",
                "IssuedDate": "2026-03-15",
                "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
                "Subject": "Về việc áp dụng chữ ký số trong văn bản điện tử",
                "Language": "vi",
                "PageAmount": 1,
                "SignerInfo": [{"Position": "Chủ tịch", "FullName": "Nguyễn Văn Bình"}],
                "Confidentiality": "none",
                "Retention": "01",
                "AccessMode": "01"
            })
        },
    },
    Sample {
        file: "cong-van-625-UBND.pdf",
        lines: &[
            "Công văn số 625/UBND-CNTT",
            "V/v lưu trữ hồ sơ điện tử có chữ ký số của lãnh đạo và cơ quan.",
        ],
        metadata: || {
            json!({
                "OrganId": "000.00.00.H12",
                "FileCatalog": 2026,
                "FileNotation": "02.CNTT",
                "DocOrdinal": 4,
                "TypeName": "Công văn",
                "CodeNumber": "625",
                "CodeNotation": "UBND-CNTT",
                "IssuedDate": "2026-05-08",
                "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
                "Subject": "V/v lưu trữ hồ sơ điện tử có chữ ký số của lãnh đạo và cơ quan",
                "Language": "vi",
                "PageAmount": 1,
                "SignerInfo": [{"Position": "Phó Chủ tịch", "FullName": "Trần Thị Lan"}],
                "To": [{"OrganName": "Sở Nội vụ tỉnh Hà Giang"}],
                "Confidentiality": "none",
                "Retention": "04",
                "AccessMode": "02"
            })
        },
    },
    Sample {
        file: "giay-phep-xay-dung-42.pdf",
        lines: &[
            "Giấy phép xây dựng số 42/GPXD",
            "Cấp cho: Nguyễn Văn A. Tra cứu bằng mã QR.",
        ],
        metadata: || {
            json!({
                "OrganId": "000.00.15.H12",
                "TypeName": "Giấy phép",
                "CodeNumber": "42",
                "CodeNotation": "GPXD",
                "IssuedDate": "2026-09-10",
                "OrganName": "Sở Xây dựng tỉnh Hà Giang",
                "Subject": "Cấp giấy phép xây dựng nhà ở riêng lẻ cho ông Nguyễn Văn A",
                "Language": "vi",
                "PageAmount": 1,
                "SignerInfo": [{"Position": "Giám đốc", "FullName": "Lê Minh Tuấn"}],
                "Confidentiality": "none",
                "Retention": "02",
                "AccessMode": "01"
            })
        },
    },
];

/// The same day `n` calendar years after `t` (28 February for a 29th).
fn years_after(t: OffsetDateTime, n: i32) -> OffsetDateTime {
    t.replace_year(t.year() + n)
        .or_else(|_| (t - Duration::days(1)).replace_year(t.year() + n))
        .unwrap_or(t + Duration::days(365 * i64::from(n)))
}

/// Why the demo stopped: the step and what did not hold.
struct Failed(String);

/// Numbered steps, and a check that each command did what it should.
struct Steps {
    n: u32,
}

impl Steps {
    fn next(&mut self, title: &str) {
        self.n += 1;
        println!("\n{}. {title}", self.n);
    }

    /// A command's exit code; anything but 0 stops the demo.
    fn expect(&self, code: ExitCode, what: &str) -> Result<(), Failed> {
        if code == ExitCode::SUCCESS {
            Ok(())
        } else {
            Err(Failed(format!("step {}: {what}", self.n)))
        }
    }
}

pub fn run(args: DemoArgs) -> Result<ExitCode, UsageError> {
    let shown = args.dir.clone();
    let dir = absolute(&args.dir)?;
    if dir.join(CONFIG_FILE_NAME).is_file() && !dir.join(MARKER).is_file() {
        return Err(UsageError(format!(
            "{} holds an archive the demo did not make; the demo adds sample records to the \
             archive it uses, so give it a folder of its own with --dir",
            dir.display()
        )));
    }
    match demo(&dir, &shown) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(Failed(msg)) => {
            println!("\ndemo: FAILED — {msg}");
            Ok(ExitCode::from(1))
        }
    }
}

fn demo(dir: &Path, shown: &Path) -> Result<(), Failed> {
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .map_err(|e| Failed(e.to_string()))?;
    let config = dir.join(CONFIG_FILE_NAME);
    let cfg_arg = shown.join(CONFIG_FILE_NAME);
    let today = GlobalArgs {
        config: Some(config.clone()),
        now: None,
    };
    println!(
        "Stele demo in {}: a local archive with a built-in TSA (not accredited), no network needed.",
        dir.display()
    );
    let mut steps = Steps { n: 0 };

    // 1. The archive.
    if config.is_file() {
        steps.next(&format!(
            "Reusing the archive made by an earlier run: {}",
            config.display()
        ));
    } else {
        steps.next("Creating a local archive with a built-in time-stamp authority (TSA)");
        println!("   $ stele init --dir {}", shown.display());
        let init = parse::<init_cmd::InitArgs>(&["--dir".into(), dir.into()])?;
        steps.expect(
            init_cmd::run(&today, init).map_err(usage)?,
            "stele init failed",
        )?;
    }
    write(
        &dir.join(MARKER),
        b"This archive was made by `stele demo`.\n",
    )?;

    // 2. The sample documents and their metadata.
    let docs = dir.join("documents");
    steps.next(&format!(
        "Writing three sample documents (PDF) and their metadata (NAME.pdf.meta.json) to {}",
        shown.join("documents").display()
    ));
    let mut files = Vec::new();
    let mut ids = Vec::new();
    for s in &SAMPLES {
        let pdf = sample_pdf(s.lines);
        let path = docs.join(s.file);
        write(&path, &pdf)?;
        let meta =
            serde_json::to_string_pretty(&(s.metadata)()).map_err(|e| Failed(e.to_string()))?;
        write(&docs.join(format!("{}.meta.json", s.file)), meta.as_bytes())?;
        println!("   {}: {}", s.file, s.lines.join(" "));
        ids.push(hex::encode(DigestAlgorithm::Sha256.digest(&pdf)));
        files.push(path);
    }

    // 3. Ingest.
    steps.next("Archiving them (stele ingest)");
    println!(
        "   These samples carry no signature, so they are archived as unsigned: the archive will\n   \
         prove that they are intact and existed, not who signed them. To archive signed documents:\n   \
         stele --config {} ingest your.pdf --meta your.meta.json",
        cfg_arg.display()
    );
    println!(
        "   $ stele --config {} ingest --allow-unsigned {}",
        cfg_arg.display(),
        SAMPLES
            .iter()
            .map(|s| shown.join("documents").join(s.file).display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut argv: Vec<OsString> = vec!["--allow-unsigned".into()];
    argv.extend(files.iter().map(|f| f.clone().into_os_string()));
    let ingest = parse::<ingest_cmd::IngestArgs>(&argv)?;
    steps.expect(
        ingest_cmd::run(&today, ingest).map_err(usage)?,
        "stele ingest did not archive every sample",
    )?;

    // 3b. Search: ingest indexed them; accents are optional in queries.
    steps.next("Searching the archive without accents (stele search)");
    println!(
        "   $ stele --config {} search \"ho so dien tu\"",
        cfg_arg.display()
    );
    let search = parse::<search_cmd::SearchArgs>(&["ho so dien tu".into()])?;
    steps.expect(
        search_cmd::search(&today, search).map_err(usage)?,
        "stele search failed",
    )?;
    let index_dir = Config::load(&config)
        .map_err(|e| Failed(e.to_string()))?
        .index
        .dir;
    let found = stele_index::SearchIndex::open_or_create(&index_dir)
        .and_then(|index| {
            index.search(&stele_index::SearchRequest {
                clearance: stele_index::Clearance::FULL,
                ..stele_index::SearchRequest::new("ho so dien tu")
            })
        })
        .map_err(|e| Failed(format!("searching {}: {e}", index_dir.display())))?;
    if found.hits.first().map(|h| h.id.as_str()) != Some(ids[1].as_str()) {
        return Err(Failed(format!(
            "searching \"ho so dien tu\" should find {} first",
            SAMPLES[1].file
        )));
    }

    // 4. Seal.
    steps.next("Sealing the pending records: one hash tree, one timestamp (stele seal)");
    println!("   $ stele --config {} seal", cfg_arg.display());
    let seal = parse::<evidence_cmd::SealArgs>(&[])?;
    steps.expect(
        evidence_cmd::seal(&today, seal).map_err(usage)?,
        "stele seal failed",
    )?;

    // 5. Verify today.
    steps.next("Verifying every record today (stele verify)");
    for id in &ids {
        println!(
            "   $ stele --config {} verify {}",
            cfg_arg.display(),
            &id[..12]
        );
        let v = parse::<evidence_cmd::VerifyArgs>(&[id.into()])?;
        steps.expect(
            evidence_cmd::verify_cmd(&today, v).map_err(usage)?,
            &format!("record {id} is not PASSED today"),
        )?;
    }

    // 6. A copy of the archive for the time travel, and a second TSA.
    let future = dir.join("future");
    let cfg = Config::load(&config).map_err(|e| Failed(e.to_string()))?;
    let Some(store) = cfg.store.url.strip_prefix("file://").map(PathBuf::from) else {
        return Err(Failed(format!(
            "the time travel copies a local store, and {} is not one",
            cfg.store.url
        )));
    };
    let Some(tsa_a) = cfg.tsa.builtin.clone().filter(|_| cfg.tsa.urls.is_empty()) else {
        return Err(Failed(
            "the time travel needs the archive's built-in TSA ([tsa] builtin, no urls)".into(),
        ));
    };
    let a_cert = stele_archive::read_certificates(&tsa_a.join("tsa.pem"))
        .map_err(|e| Failed(format!("reading the first TSA's certificate: {e}")))?;
    let a_until = a_cert
        .first()
        .map(|c| OffsetDateTime::from(c.tbs_certificate.validity.not_after.to_system_time()))
        .ok_or_else(|| Failed("the first TSA's certificate file holds no certificate".into()))?;
    // Renewal runs every night; the first run that finds the seal due is the day the TSA
    // margin begins. The demo jumps to ten days into it.
    let renew_at = (a_until - cfg.tsa_margin() + Duration::days(10)).max(now);
    let b_from = years_after(now, 2).min(renew_at - Duration::days(1));
    let b_until = years_after(now, 12);
    let ten = years_after(now, 10);

    steps.next(&format!(
        "Travelling in time, in a copy of the archive ({}), so the archive itself keeps only\n   \
         today's evidence. First a second built-in TSA, \"B\", with a certificate valid from {}.",
        shown.join("future").display(),
        day(b_from)
    ));
    for d in [future.clone(), dir.join("export")] {
        if d.exists() {
            std::fs::remove_dir_all(&d)
                .map_err(|e| Failed(format!("cannot remove {}: {e}", d.display())))?;
        }
    }
    copy_dir(&store, &future.join("archive"))?;
    let tsa_b = future.join("tsa-b");
    tsa_cmd::init(&tsa_b, "Stele demo TSA B", b_from, b_until, None, b_from).map_err(usage)?;
    let mut fcfg = cfg.clone();
    fcfg.store.url = format!("file://{}", future.join("archive").display());
    fcfg.tsa.builtin = Some(tsa_b.clone());
    // The first TSA stays trusted: the evidence it made must stay verifiable.
    fcfg.tsa.trust.push(tsa_b.join("root.pem"));
    let future_config = future.join(CONFIG_FILE_NAME);
    write(&future_config, fcfg.to_documented_toml().as_bytes())?;
    let fcfg_arg = shown.join("future").join(CONFIG_FILE_NAME);
    println!(
        "   {} uses TSA B for new timestamps and trusts both TSAs' roots.",
        fcfg_arg.display()
    );
    let at = |t: OffsetDateTime| GlobalArgs {
        config: Some(future_config.clone()),
        now: Some(t),
    };

    // 7. Renewal.
    steps.next(&format!(
        "On {} the first TSA's certificate has less than {} days left (it expires on {};\n   \
         [renewal] tsa_margin_days): the nightly `stele renew` renews the seal's timestamp with TSA B",
        day(renew_at),
        cfg.renewal.tsa_margin_days,
        day(a_until)
    ));
    println!(
        "   $ stele --config {} --now {} renew --plan",
        fcfg_arg.display(),
        fmt_time(renew_at)
    );
    let plan = parse::<evidence_cmd::RenewArgs>(&["--plan".into()])?;
    steps.expect(
        evidence_cmd::renew_cmd(&at(renew_at), plan).map_err(usage)?,
        "stele renew --plan failed",
    )?;
    println!(
        "   $ stele --config {} --now {} renew",
        fcfg_arg.display(),
        fmt_time(renew_at)
    );
    let renew = parse::<evidence_cmd::RenewArgs>(&[])?;
    steps.expect(
        evidence_cmd::renew_cmd(&at(renew_at), renew).map_err(usage)?,
        "stele renew failed",
    )?;

    // 8. Verify ten years on.
    steps.next(&format!(
        "{}, ten years on: every record verified again (stele verify)",
        day(ten)
    ));
    for id in &ids {
        println!(
            "   $ stele --config {} --now {} verify {}",
            fcfg_arg.display(),
            fmt_time(ten),
            &id[..12]
        );
        let v = parse::<evidence_cmd::VerifyArgs>(&[id.into()])?;
        steps.expect(
            evidence_cmd::verify_cmd(&at(ten), v).map_err(usage)?,
            &format!("record {id} is not PASSED ten years on"),
        )?;
    }
    // Today, judged as of that date (`--at`): a `--now` in the future here would date the
    // archive's own audit-log entries ten years ahead, and every later one with them.
    println!(
        "   For contrast, the archive that was not renewed, judged as of the same date:\n   \
         $ stele --config {} verify --at {} {}",
        cfg_arg.display(),
        fmt_time(ten),
        &ids[0][..12]
    );
    let unrenewed = GlobalArgs {
        config: Some(config.clone()),
        now: None,
    };
    let v = parse::<evidence_cmd::VerifyArgs>(&[
        "--at".into(),
        fmt_time(ten).into(),
        ids[0].as_str().into(),
    ])?;
    if evidence_cmd::verify_cmd(&unrenewed, v).map_err(usage)? == ExitCode::SUCCESS {
        return Err(Failed(format!(
            "step {}: without renewal the record should not pass ten years on",
            steps.n
        )));
    }
    println!("   (not PASSED, as it should be: nothing vouches for the first TSA after its certificate expired)");

    // 9. Export.
    let export = dir.join("export");
    steps.next(&format!(
        "Exporting one record with its evidence to {} (stele export)",
        shown.join("export").display()
    ));
    println!(
        "   $ stele --config {} --now {} export {} --out {}",
        fcfg_arg.display(),
        fmt_time(ten),
        &ids[0][..12],
        shown.join("export").display()
    );
    let e = parse::<export_cmd::ExportArgs>(&[
        ids[0].as_str().into(),
        "--out".into(),
        export.clone().into(),
    ])?;
    steps.expect(
        export_cmd::run(&at(ten), e).map_err(usage)?,
        "stele export failed",
    )?;

    // 10. The package alone.
    steps.next(
        "Checking the exported package alone, trusting only the two TSA roots (stele ers verify)",
    );
    let mut data: Vec<PathBuf> = std::fs::read_dir(export.join("data-objects"))
        .map_err(|e| Failed(format!("cannot list the exported data objects: {e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    data.sort();
    let mut argv: Vec<OsString> = vec!["verify".into(), "--er".into()];
    argv.push(export.join("evidence.ers").into());
    for d in &data {
        argv.push("--data".into());
        argv.push(d.clone().into());
    }
    for root in [tsa_a.join("root.pem"), tsa_b.join("root.pem")] {
        argv.push("--trust-anchor".into());
        argv.push(root.into());
    }
    argv.push("--at".into());
    argv.push(fmt_time(ten).into());
    println!(
        "   $ cd {} && stele ers verify --er evidence.ers --data data-objects/… (×{}) --trust-anchor …/tsa/root.pem --trust-anchor …/tsa-b/root.pem --at {}",
        shown.join("export").display(),
        data.len(),
        fmt_time(ten)
    );
    let ers = parse_subcommand::<ers_cmd::ErsCommand>(&argv)?;
    steps.expect(
        ers_cmd::run(ers).map_err(usage)?,
        "the exported evidence record does not verify",
    )?;

    println!(
        "\ndemo: everything holds — {} records archived and sealed, PASSED today and, after one renewal,\n\
         PASSED on {}; the exported package proves its record without Stele's archive.",
        ids.len(),
        day(ten)
    );
    println!(
        "Look further:\n  \
         stele --config {c} show {id}\n  \
         stele --config {c} verify {id} --html > report.html\n  \
         stele --config {c} audit\n  \
         less {readme}",
        c = cfg_arg.display(),
        id = &ids[0][..12],
        readme = shown.join("export").join("README.txt").display()
    );
    Ok(())
}

fn usage(e: UsageError) -> Failed {
    Failed(e.0)
}

fn day(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Failed> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failed(format!("cannot create {}: {e}", parent.display())))?;
    }
    write_atomically(path, bytes)
        .map_err(|e| Failed(format!("cannot write {}: {e}", path.display())))
}

/// A command's arguments, parsed exactly as the command line would parse them.
fn parse<A: Args>(argv: &[OsString]) -> Result<A, Failed> {
    let command = A::augment_args(clap::Command::new("stele").no_binary_name(true));
    let matches = command
        .try_get_matches_from(argv)
        .map_err(|e| Failed(format!("demo arguments: {e}")))?;
    A::from_arg_matches(&matches).map_err(|e| Failed(format!("demo arguments: {e}")))
}

/// A subcommand group's arguments (`verify …` for `stele ers`).
fn parse_subcommand<S: Subcommand>(argv: &[OsString]) -> Result<S, Failed> {
    let command = S::augment_subcommands(clap::Command::new("stele").no_binary_name(true));
    let matches = command
        .try_get_matches_from(argv)
        .map_err(|e| Failed(format!("demo arguments: {e}")))?;
    S::from_arg_matches(&matches).map_err(|e| Failed(format!("demo arguments: {e}")))
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), Failed> {
    std::fs::create_dir_all(to)
        .map_err(|e| Failed(format!("cannot create {}: {e}", to.display())))?;
    let entries = std::fs::read_dir(from)
        .map_err(|e| Failed(format!("cannot read {}: {e}", from.display())))?;
    for entry in entries {
        let entry = entry.map_err(|e| Failed(format!("cannot read {}: {e}", from.display())))?;
        let target = to.join(entry.file_name());
        let kind = entry
            .file_type()
            .map_err(|e| Failed(format!("cannot read {}: {e}", entry.path().display())))?;
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)
                .map_err(|e| Failed(format!("cannot copy {}: {e}", entry.path().display())))?;
        }
    }
    Ok(())
}

/// An unsigned one-page PDF. The standard PDF fonts cannot draw Vietnamese marks, so the page
/// shows the text without them; the document's Title holds it exactly (UTF-16).
fn sample_pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT\n/F1 16 Tf\n72 770 Td\n");
    for (i, line) in lines.iter().enumerate() {
        if i == 1 {
            content.push_str("/F1 12 Tf\n");
        }
        if i > 0 {
            content.push_str("0 -22 Td\n");
        }
        content.push_str(&format!("({}) Tj\n", pdf_text(&fold(line))));
    }
    content.push_str(&format!(
        "0 -44 Td\n/F1 9 Tf\n({}) Tj\nET\n",
        pdf_text(&fold(
            "Tài liệu mẫu do stele demo tạo ra, không có chữ ký số."
        ))
    ));
    let title: String = lines
        .join(" ")
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .map(|b| format!("{b:02X}"))
        .collect();
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
         /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
        format!("<< /Title <FEFF{title}> /Producer (Stele demo) >>"),
    ];
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A PDF literal string's contents.
fn pdf_text(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '(' | ')' | '\\' => vec!['\\', c],
            c if c.is_ascii() && !c.is_ascii_control() => vec![c],
            _ => vec!['?'],
        })
        .collect()
}

/// Vietnamese letters without their marks (đ → d).
fn fold(s: &str) -> String {
    const MARKED: [(&str, char); 14] = [
        ("àáâãăạảấầẩẫậắằẳẵặ", 'a'),
        ("ÀÁÂÃĂẠẢẤẦẨẪẬẮẰẲẴẶ", 'A'),
        ("èéêẹẻẽếềểễệ", 'e'),
        ("ÈÉÊẸẺẼẾỀỂỄỆ", 'E'),
        ("ìíĩỉị", 'i'),
        ("ÌÍĨỈỊ", 'I'),
        ("òóôõơọỏốồổỗộớờởỡợ", 'o'),
        ("ÒÓÔÕƠỌỎỐỒỔỖỘỚỜỞỠỢ", 'O'),
        ("ùúũưụủứừửữự", 'u'),
        ("ÙÚŨƯỤỦỨỪỬỮỰ", 'U'),
        ("ýỳỵỷỹ", 'y'),
        ("ÝỲỴỶỸ", 'Y'),
        ("đ", 'd'),
        ("Đ", 'D'),
    ];
    s.chars()
        .map(|c| {
            MARKED
                .iter()
                .find(|(set, _)| set.contains(c))
                .map_or(c, |(_, base)| *base)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(
            fold("Quyết định số 1500/QĐ-UBND ỦY BAN NHÂN DÂN TỈNH"),
            "Quyet dinh so 1500/QD-UBND UY BAN NHAN DAN TINH"
        );
        assert_eq!(pdf_text("a (b) \\ ü"), "a \\(b\\) \\\\ ?");
    }

    #[test]
    fn samples_are_pdfs_with_valid_metadata() {
        for s in &SAMPLES {
            let pdf = sample_pdf(s.lines);
            assert!(pdf.starts_with(b"%PDF-1.7"));
            let text = (s.metadata)().to_string();
            stele_archive::RecordMetadata::from_json(&text)
                .unwrap_or_else(|e| panic!("{}: {e}", s.file));
        }
    }
}
