//! `stele export ID --out DIR|FILE.zip [--at RFC3339]`: everything needed to prove a record
//! without Stele, in one folder or zip (DESIGN §2, §6).
//!
//! ```text
//! README.txt                  what each file is and how to verify it with OpenSSL, Bouncy Castle, EU DSS
//! SHA256SUMS                  `sha256sum -c SHA256SUMS` checks every other file of the package
//! original/<name>             the file(s) exactly as archived
//! data-objects/<sha256>       every data object of the record's RFC 4998 group (the sealed bytes)
//! evidence.ers                the RFC 4998 evidence record (DER)
//! tokens/chain<k>-ats<i>.tst  each archive timestamp's RFC 3161 token (DER ContentInfo)
//! tokens/tsa-anchors.pem      the TSA roots this archive trusts
//! tokens/untrusted.pem        the certificates carried in the tokens (TSA certificates)
//! validation/…                certificates (.cer), CRLs (.crl), OCSP responses (.ocsp) sealed at ingest
//! metadata.json               the record's metadata as sealed
//! validation-report.json      the signature report made at ingest, as sealed
//! verification.json           this export's verification (stele.record-verification.v1)
//! verification.html           the same, for people
//! ```
//!
//! The package is written to a hidden sibling of `--out` and renamed into place at the end, so
//! an interrupted export never leaves a half package under the requested name.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use der::Encode;
use stele_archive::ingest::RecordFile;
use stele_archive::{
    report_html, RecordManifest, RecordVerdict, RecordVerification, VerifiedRecord,
};
use stele_asn1::DigestAlgorithm;
use stele_ers::EvidenceRecord;
use stele_store::BlobRef;
use stele_tsp::TimeStampToken;
use time::OffsetDateTime;
use x509_cert::Certificate;

use crate::context::{Context, GlobalArgs};
use crate::{fmt_time, parse_time, UsageError};

#[derive(Args)]
pub struct ExportArgs {
    /// The record id (64 hex digits) or a unique prefix of at least 8.
    id: String,
    /// Where to write the package: a new folder, or a file ending in .zip. Never overwritten.
    #[arg(long, value_name = "DIR|FILE.zip")]
    out: PathBuf,
    /// Verify as of this time (RFC 3339) [default: now].
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    at: Option<OffsetDateTime>,
}

/// Exit 0 when written and PASSED, 1 when written but not PASSED (or the evidence cannot be
/// assembled), 2 on usage errors (unknown or unsealed record, existing --out).
pub fn run(global: &GlobalArgs, args: ExportArgs) -> Result<ExitCode, UsageError> {
    let zip = args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    refuse_existing(&args.out)?;
    let ctx = Context::open(global)?;
    let id = ctx.record_id(&args.id)?;
    let at = args.at.unwrap_or_else(|| ctx.now());

    let logged_to = args.out.display().to_string();
    let verified = crate::evidence_cmd::verify_record(&ctx, &id, at)?;
    let v = match export_package(&ctx, verified, &args.out, zip, |v| {
        crate::audit_log_cmd::record_access(
            &ctx,
            stele_archive::AuditAction::Export,
            Some(id.as_str()),
            format!("to {logged_to} ({})", v.verdict.as_str()),
        )
        .map(|_| ())
    }) {
        Ok(v) => v,
        Err(ExportRefused::NotSealed(e) | ExportRefused::Failed(e)) => return Err(e),
        Err(ExportRefused::NoEvidence { summary, reason }) => {
            println!("{summary}");
            eprintln!("error: nothing exported: the evidence record of {id} cannot be assembled ({reason})");
            return Ok(ExitCode::from(1));
        }
    };

    println!("{}", v.summary);
    println!(
        "exported record {} ({} verified as of {}) to {}",
        v.record,
        v.verdict.as_str(),
        fmt_time(at),
        args.out.display()
    );
    Ok(if v.verdict == RecordVerdict::Passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Why no package was written.
pub(crate) enum ExportRefused {
    /// The record waits for its seal.
    NotSealed(UsageError),
    /// The evidence record cannot be assembled: the verification's summary and failed check.
    NoEvidence { summary: String, reason: String },
    /// Anything else (the store, the output path, the audit log).
    Failed(UsageError),
}

impl From<UsageError> for ExportRefused {
    fn from(e: UsageError) -> Self {
        ExportRefused::Failed(e)
    }
}

/// Writes the export package of a record, as `verified` (at the time the caller chose), to `out`
/// (a new folder, or a ZIP file when `zip`; never overwritten), after `log` has recorded the
/// export: an export that cannot be logged does not happen. The CLI and the server share it;
/// each verifies with its own verifier (the server's is cached).
pub(crate) fn export_package(
    ctx: &Context,
    verified: VerifiedRecord,
    out: &Path,
    zip: bool,
    log: impl FnOnce(&RecordVerification) -> Result<(), UsageError>,
) -> Result<RecordVerification, ExportRefused> {
    refuse_existing(out)?;
    let anchors = ctx.tsa_anchors()?;
    let v = &verified.verification;
    let m = &verified.manifest;
    let Some(er) = &verified.evidence_record else {
        if v.failed_check.as_deref() == Some(stele_archive::NOT_SEALED) {
            return Err(ExportRefused::NotSealed(UsageError(format!(
                "record {} is not sealed yet: run `stele seal`",
                v.record
            ))));
        }
        return Err(ExportRefused::NoEvidence {
            summary: v.summary.clone(),
            reason: v
                .failed_check
                .clone()
                .unwrap_or_else(|| "unknown reason".into()),
        });
    };
    log(v)?;
    let tmp = temporary_sibling(out)?;
    let mut guard = Cleanup {
        path: tmp.clone(),
        armed: true,
    };
    let exported_at = ctx.now();
    let mut sink: Box<dyn Sink> = if zip {
        Box::new(ZipSink::create(&tmp, exported_at)?)
    } else {
        Box::new(DirSink::create(&tmp)?)
    };
    let facts = write_package(ctx, sink.as_mut(), m, v, er, &anchors, exported_at)?;
    let sums = facts.sha256sums();
    sink.add("SHA256SUMS", sums.as_bytes())?;
    sink.finish()?;
    drop(sink);
    refuse_existing(out)?;
    std::fs::rename(&tmp, out).map_err(|e| {
        UsageError(format!(
            "cannot move the package into place at {}: {e}",
            out.display()
        ))
    })?;
    guard.armed = false;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(verified.verification)
}

fn refuse_existing(out: &Path) -> Result<(), UsageError> {
    if out.exists() || out.is_symlink() {
        return Err(UsageError(format!(
            "{} already exists: export never overwrites; choose another --out",
            out.display()
        )));
    }
    Ok(())
}

/// `.<name>.partial-<pid>` next to `out`, its parent folder created.
fn temporary_sibling(out: &Path) -> Result<PathBuf, UsageError> {
    let name = out
        .file_name()
        .ok_or_else(|| UsageError(format!("--out {} names no file or folder", out.display())))?;
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| UsageError(format!("cannot create {}: {e}", dir.display())))?;
    let tmp = dir.join(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    // A leftover of an earlier run of a process with the same id.
    let _ = std::fs::remove_dir_all(&tmp);
    let _ = std::fs::remove_file(&tmp);
    Ok(tmp)
}

/// Removes the temporary package unless the export completed.
struct Cleanup {
    path: PathBuf,
    armed: bool,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_dir_all(&self.path);
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Where package files go: a folder or a zip. Paths are relative, `/`-separated, made here.
trait Sink {
    fn add(&mut self, path: &str, bytes: &[u8]) -> Result<(), UsageError>;
    fn finish(&mut self) -> Result<(), UsageError>;
}

struct DirSink {
    root: PathBuf,
}

impl DirSink {
    fn create(root: &Path) -> Result<Self, UsageError> {
        std::fs::create_dir(root)
            .map_err(|e| UsageError(format!("cannot create {}: {e}", root.display())))?;
        Ok(DirSink {
            root: root.to_path_buf(),
        })
    }
}

impl Sink for DirSink {
    fn add(&mut self, path: &str, bytes: &[u8]) -> Result<(), UsageError> {
        let target = path
            .split('/')
            .fold(self.root.clone(), |p, part| p.join(part));
        let io = |e: std::io::Error| UsageError(format!("cannot write {}: {e}", target.display()));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)
    }

    fn finish(&mut self) -> Result<(), UsageError> {
        Ok(())
    }
}

struct ZipSink {
    path: PathBuf,
    zip: Option<zip::ZipWriter<std::fs::File>>,
    /// Entries are dated with the export time (UTC); zip cannot date before 1980.
    modified: zip::DateTime,
}

impl ZipSink {
    fn create(path: &Path, at: OffsetDateTime) -> Result<Self, UsageError> {
        let at = at.to_offset(time::UtcOffset::UTC);
        let modified = u16::try_from(at.year())
            .ok()
            .and_then(|y| {
                zip::DateTime::from_date_and_time(
                    y,
                    u8::from(at.month()),
                    at.day(),
                    at.hour(),
                    at.minute(),
                    at.second(),
                )
                .ok()
            })
            .unwrap_or_default();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| UsageError(format!("cannot create {}: {e}", path.display())))?;
        Ok(ZipSink {
            path: path.to_path_buf(),
            zip: Some(zip::ZipWriter::new(f)),
            modified,
        })
    }
}

impl Sink for ZipSink {
    fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), UsageError> {
        let err = |e: &dyn std::fmt::Display| {
            UsageError(format!(
                "cannot write {name} into {}: {e}",
                self.path.display()
            ))
        };
        let zip = self.zip.as_mut().ok_or_else(|| err(&"already finished"))?;
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(bytes.len() as u64 >= u32::MAX as u64)
            .last_modified_time(self.modified)
            .unix_permissions(0o644);
        zip.start_file(name, options).map_err(|e| err(&e))?;
        zip.write_all(bytes).map_err(|e| err(&e))
    }

    fn finish(&mut self) -> Result<(), UsageError> {
        let err = |e: &dyn std::fmt::Display| {
            UsageError(format!("cannot finish {}: {e}", self.path.display()))
        };
        if let Some(zip) = self.zip.take() {
            let f = zip.finish().map_err(|e| err(&e))?;
            f.sync_all().map_err(|e| err(&e))?;
        }
        Ok(())
    }
}

/// One archive timestamp as exported.
struct TokenFile {
    path: String,
    chain: usize,
    index: usize,
    gen_time: Option<OffsetDateTime>,
    tsa: Option<String>,
    /// The messageImprint: algorithm and hex digest (what `openssl ts -verify -digest` takes).
    imprint: Option<(DigestAlgorithm, String)>,
    /// When the TSA had to be trustworthy: the next timestamp's genTime, or the verification
    /// time for the newest.
    valid_at: OffsetDateTime,
    newest: bool,
    /// The TSA certificate's notAfter, when the token carries it.
    tsa_not_after: Option<OffsetDateTime>,
    problem: Option<String>,
}

/// What was written, for SHA256SUMS and README.
struct Written {
    files: Vec<(String, String)>,
}

impl Written {
    fn sha256sums(&self) -> String {
        let mut out = String::new();
        for (path, hex) in &self.files {
            let _ = writeln!(out, "{hex}  {path}");
        }
        out
    }
}

/// Adds a file to the package and remembers its SHA-256.
fn put(
    sink: &mut dyn Sink,
    written: &mut Written,
    path: &str,
    bytes: &[u8],
) -> Result<(), UsageError> {
    sink.add(path, bytes)?;
    written.files.push((
        path.to_string(),
        hex::encode(DigestAlgorithm::Sha256.digest(bytes)),
    ));
    Ok(())
}

fn write_package(
    ctx: &Context,
    sink: &mut dyn Sink,
    m: &RecordManifest,
    v: &RecordVerification,
    er: &EvidenceRecord,
    anchors: &[Certificate],
    exported_at: OffsetDateTime,
) -> Result<Written, UsageError> {
    let mut w = Written { files: Vec::new() };

    // Every data object, read once (each read is checked against its SHA-256 by the store);
    // the originals, material, report and metadata are copies of the same bytes.
    let original_names = original_names(&m.files);
    let mut material_names = Vec::new();
    for blob in &m.data_objects {
        let bytes = ctx
            .block_on(ctx.store().get_blob(blob))
            .map_err(|e| UsageError(format!("data object {}: {e}", blob.hex())))?;
        put(
            sink,
            &mut w,
            &format!("data-objects/{}", blob.hex()),
            &bytes,
        )?;
        for (f, name) in m.files.iter().zip(&original_names) {
            if f.blob == *blob {
                put(sink, &mut w, &format!("original/{name}"), &bytes)?;
            }
        }
        for mat in m.material.iter().filter(|x| x.blob == *blob) {
            let name = material_name(&mat.kind, blob);
            if !material_names.contains(&name) {
                put(sink, &mut w, &format!("validation/{name}"), &bytes)?;
                material_names.push(name);
            }
        }
        if *blob == m.metadata_blob {
            put(sink, &mut w, "metadata.json", &bytes)?;
        }
        if *blob == m.validation.report {
            put(sink, &mut w, "validation-report.json", &bytes)?;
        }
    }

    let der = er
        .to_der()
        .map_err(|e| UsageError(format!("cannot encode the evidence record: {e}")))?;
    put(sink, &mut w, "evidence.ers", &der)?;

    // The tokens, with the certificates OpenSSL needs to check them.
    let mut tokens = Vec::new();
    let mut untrusted: Vec<Vec<u8>> = Vec::new();
    let total: usize = er.chains().iter().map(Vec::len).sum();
    let mut seen = 0;
    for (k, chain) in er.chains().iter().enumerate() {
        for (i, ats) in chain.iter().enumerate() {
            seen += 1;
            let path = format!("tokens/chain{k}-ats{i}.tst");
            let entry = v.timestamps.iter().find(|t| t.chain == k && t.index == i);
            let mut t = TokenFile {
                path: path.clone(),
                chain: k,
                index: i,
                gen_time: entry.and_then(|e| e.gen_time),
                tsa: entry.and_then(|e| e.tsa.clone()),
                imprint: None,
                valid_at: entry.map(|e| e.valid_at).unwrap_or(v.verification_time),
                newest: seen == total,
                tsa_not_after: None,
                problem: None,
            };
            match ats.time_stamp_der() {
                Err(e) => t.problem = Some(format!("the token cannot be encoded: {e}")),
                Ok(tst) => {
                    put(sink, &mut w, &path, &tst)?;
                    match TimeStampToken::from_ber(&tst) {
                        Err(e) => t.problem = Some(format!("the token cannot be read: {e}")),
                        Ok(token) => {
                            let imprint = token.message_imprint();
                            t.imprint = Some((imprint.algorithm, hex::encode(&imprint.digest)));
                            t.gen_time = Some(token.gen_time());
                            t.tsa_not_after = token
                                .signer_certificate()
                                .map(|c| stele_tsp::certificate_validity(c).1);
                            for c in token.certificates() {
                                if let Ok(d) = c.to_der() {
                                    if !untrusted.contains(&d) {
                                        untrusted.push(d);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            tokens.push(t);
        }
    }
    // A pinned TSA certificate (not self-signed) may be missing from its tokens: OpenSSL looks
    // for the signer among the untrusted certificates, so it goes there too.
    let mut partial_chain = false;
    let mut anchors_pem = String::new();
    for a in anchors {
        let Ok(d) = a.to_der() else { continue };
        anchors_pem.push_str(&pem("CERTIFICATE", &d));
        if a.tbs_certificate.subject != a.tbs_certificate.issuer {
            partial_chain = true;
            if !untrusted.contains(&d) {
                untrusted.push(d);
            }
        }
    }
    put(
        sink,
        &mut w,
        "tokens/tsa-anchors.pem",
        anchors_pem.as_bytes(),
    )?;
    let untrusted_pem: String = untrusted.iter().map(|d| pem("CERTIFICATE", d)).collect();
    let have_untrusted = !untrusted.is_empty();
    if have_untrusted {
        put(
            sink,
            &mut w,
            "tokens/untrusted.pem",
            untrusted_pem.as_bytes(),
        )?;
    }

    let json = serde_json::to_vec_pretty(v)
        .map_err(|e| UsageError(format!("cannot encode the verification: {e}")))?;
    put(sink, &mut w, "verification.json", &json)?;
    put(
        sink,
        &mut w,
        "verification.html",
        report_html::render(v, m).as_bytes(),
    )?;

    let readme = readme(&ReadmeFacts {
        manifest: m,
        verification: v,
        original_names: &original_names,
        material_names: &material_names,
        tokens: &tokens,
        anchors: anchors.len(),
        have_untrusted,
        partial_chain,
        exported_at,
    });
    put(sink, &mut w, "README.txt", readme.as_bytes())?;
    Ok(w)
}

/// PEM of one DER object (64-character lines).
fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    let _ = writeln!(out, "-----END {label}-----");
    out
}

/// `certificate-<16 hex>.cer`, `crl-<16 hex>.crl`, `ocsp-<16 hex>.ocsp`.
fn material_name(kind: &str, blob: &BlobRef) -> String {
    let short = &blob.hex()[..16];
    match kind {
        "certificate" => format!("certificate-{short}.cer"),
        "crl" => format!("crl-{short}.crl"),
        "ocsp_response" => format!("ocsp-{short}.ocsp"),
        other => format!("{}-{short}.der", safe_file_name(other, "material")),
    }
}

/// The record's file names made safe as one path component each, and distinct.
fn original_names(files: &[RecordFile]) -> Vec<String> {
    let mut used = BTreeSet::new();
    files
        .iter()
        .map(|f| {
            let base = safe_file_name(&f.name, "original");
            let mut name = base.clone();
            let mut n = 2;
            while !used.insert(name.to_lowercase()) {
                name = match base.rsplit_once('.') {
                    Some((stem, ext)) if !stem.is_empty() => format!("{stem}-{n}.{ext}"),
                    _ => format!("{base}-{n}"),
                };
                n += 1;
            }
            name
        })
        .collect()
}

/// A name as received (untrusted) made into one harmless path component: no separators, no
/// control or Windows-reserved characters, no leading dots (so never `.` or `..`, never
/// hidden), at most 200 bytes, never a Windows device name; `fallback` when nothing is left.
fn safe_file_name(name: &str, fallback: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    let mut out = String::new();
    for c in trimmed.chars() {
        if out.len() + c.len_utf8() > 200 {
            break;
        }
        out.push(c);
    }
    if out.is_empty() {
        return fallback.to_string();
    }
    let stem = out.split('.').next().unwrap_or("").to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if reserved {
        out.insert(0, '_');
    }
    out
}

/// Text from data for the README: one line, no control characters.
fn plain(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

struct ReadmeFacts<'a> {
    manifest: &'a RecordManifest,
    verification: &'a RecordVerification,
    original_names: &'a [String],
    material_names: &'a [String],
    tokens: &'a [TokenFile],
    anchors: usize,
    have_untrusted: bool,
    partial_chain: bool,
    exported_at: OffsetDateTime,
}

/// The `openssl ts -verify` command for one token, run from the package folder.
fn openssl_command(t: &TokenFile, imprint_hex: &str, f: &ReadmeFacts<'_>) -> String {
    let mut cmd = format!(
        "openssl ts -verify -in {} -token_in -digest {imprint_hex} -CAfile tokens/tsa-anchors.pem",
        t.path
    );
    if f.have_untrusted {
        cmd.push_str(" -untrusted tokens/untrusted.pem");
    }
    if f.partial_chain {
        cmd.push_str(" -partial_chain");
    }
    let _ = write!(cmd, " -attime {}", t.valid_at.unix_timestamp());
    cmd
}

fn readme(f: &ReadmeFacts<'_>) -> String {
    let m = f.manifest;
    let v = f.verification;
    let md = &m.metadata;
    let mut r = String::new();
    let rule = "=".repeat(78);
    let _ = writeln!(
        r,
        "STELE — GÓI XUẤT HỒ SƠ LƯU TRỮ / ARCHIVED RECORD EXPORT PACKAGE\n{rule}\n"
    );
    let number = match (&md.code_number, &md.code_notation) {
        (Some(n), Some(k)) => format!("{n}/{k}"),
        (Some(n), None) => n.clone(),
        (None, Some(k)) => k.clone(),
        (None, None) => String::new(),
    };
    let doc = [md.type_name.clone().unwrap_or_default(), number]
        .join(" ")
        .trim()
        .to_string();
    let _ = writeln!(r, "Hồ sơ / Record:              {}", v.record);
    if !doc.is_empty() {
        let _ = writeln!(r, "Văn bản / Document:          {}", plain(&doc));
    }
    let _ = writeln!(r, "Cơ quan / Issued by:         {}", plain(&md.organ_name));
    let _ = writeln!(r, "Ngày / Date issued:          {}", md.issued_date);
    let _ = writeln!(r, "Trích yếu / Subject:         {}", plain(&md.subject));
    let _ = writeln!(
        r,
        "Lưu trữ / Archived on:       {}",
        fmt_time(m.ingested_at)
    );
    let _ = writeln!(
        r,
        "Kết quả / Verdict:           {} (xác minh lúc / verified as of {})",
        v.verdict.as_str(),
        fmt_time(v.verification_time)
    );
    let _ = writeln!(r, "                             {}", plain(&v.summary));
    let _ = writeln!(
        r,
        "Xuất lúc / Exported at:      {}\n",
        fmt_time(f.exported_at)
    );

    let _ = writeln!(
        r,
        "Gói này chứa mọi thứ cần thiết để chứng minh hồ sơ trên mà KHÔNG cần Stele: các tệp gốc, \
         hồ sơ bằng chứng RFC 4998, các dấu thời gian RFC 3161 và chứng thư của tổ chức cấp dấu \
         thời gian (TSA). Mở verification.html để đọc kết quả.\n\
         This package holds everything needed to prove the record above WITHOUT Stele: the original \
         files, the RFC 4998 evidence record, the RFC 3161 timestamps and the certificates of the \
         time-stamping authorities (TSA). Open verification.html to read the result.\n"
    );

    let _ = writeln!(r, "1. NỘI DUNG / CONTENTS\n{}\n", "-".repeat(78));
    let mut item = |path: &str, vi: &str, en: &str| {
        let _ = writeln!(r, "{path}\n    {vi}\n    {en}");
    };
    for (file, name) in m.files.iter().zip(f.original_names) {
        let (vi, en) = if file.role == "detached_content" {
            (
                "nội dung được chữ ký tách rời ký",
                "the content the detached signature signs",
            )
        } else {
            (
                "tệp gốc, đúng từng byte như khi lưu trữ",
                "the original file, byte for byte as archived",
            )
        };
        item(
            &format!("original/{name}"),
            &format!("{vi} (SHA-256 {})", file.blob.hex()),
            &format!("{en} (received as \"{}\")", plain(&file.name)),
        );
    }
    item(
        "data-objects/<sha256>",
        &format!(
            "{} đối tượng dữ liệu của hồ sơ (nhóm dữ liệu RFC 4998 được niêm phong): tệp gốc, tài liệu \
             xác minh, báo cáo kiểm tra chữ ký và siêu dữ liệu; tên tệp là SHA-256 của nội dung.",
            m.data_objects.len()
        ),
        "the record's data objects (the sealed RFC 4998 data object group): the originals, the \
         validation material, the signature report and the metadata; each named by its SHA-256.",
    );
    item(
        "evidence.ers",
        "hồ sơ bằng chứng (Evidence Record, RFC 4998, mã hóa DER) liên kết các đối tượng dữ liệu với các dấu thời gian.",
        "the evidence record (RFC 4998, DER) linking the data objects to the timestamps.",
    );
    item(
        "tokens/chain<k>-ats<i>.tst",
        "từng dấu thời gian lưu trữ (token RFC 3161, DER ContentInfo), chuỗi k, thứ tự i, trích từ evidence.ers.",
        "each archive timestamp (RFC 3161 token, DER ContentInfo), chain k, number i, taken from evidence.ers.",
    );
    item(
        "tokens/tsa-anchors.pem",
        &format!(
            "{} chứng thư gốc TSA mà kho lưu trữ tin cậy ([tsa] trust).",
            f.anchors
        ),
        "the TSA root certificates this archive trusts ([tsa] trust).",
    );
    if f.have_untrusted {
        item(
            "tokens/untrusted.pem",
            "các chứng thư nằm trong các dấu thời gian (chứng thư TSA); không được tin cậy tự thân.",
            "the certificates carried in the tokens (TSA certificates); not trusted by themselves.",
        );
    }
    if !f.material_names.is_empty() {
        item(
            "validation/",
            &format!(
                "{} tài liệu xác minh chữ ký được niêm phong khi tiếp nhận: chứng thư (.cer), CRL (.crl), phản hồi OCSP (.ocsp), DER.",
                f.material_names.len()
            ),
            "the signature validation material sealed at ingest: certificates (.cer), CRLs (.crl), OCSP responses (.ocsp), DER.",
        );
    }
    item(
        "metadata.json",
        "siêu dữ liệu của văn bản (NĐ 30/2020 Phụ lục VI), đúng như được niêm phong.",
        "the document's metadata (NĐ 30/2020 Annex VI), exactly as sealed.",
    );
    item(
        "validation-report.json",
        "báo cáo kiểm tra chữ ký khi tiếp nhận (stele.signature-report.v1), đúng như được niêm phong.",
        "the signature report made at ingest (stele.signature-report.v1), exactly as sealed.",
    );
    item(
        "verification.json, verification.html",
        "kết quả xác minh của lần xuất này (máy đọc / người đọc).",
        "this export's verification result (for machines / for people).",
    );
    item(
        "SHA256SUMS",
        "SHA-256 của mọi tệp khác trong gói: sha256sum -c SHA256SUMS",
        "the SHA-256 of every other file of the package: sha256sum -c SHA256SUMS",
    );

    let _ = writeln!(
        r,
        "\n2. KIỂM TRA KHÔNG CẦN STELE / CHECKING WITHOUT STELE\n{}\n",
        "-".repeat(78)
    );
    let _ = writeln!(
        r,
        "Chạy các lệnh dưới đây trong thư mục của gói (giải nén tệp .zip trước).\n\
         Run the commands below in the package folder (unzip a .zip first).\n"
    );
    let _ = writeln!(
        r,
        "2.1 Tính toàn vẹn của các tệp / Integrity of the files\n\n    sha256sum -c SHA256SUMS\n\n\
         Mỗi tệp trong data-objects/ phải có SHA-256 bằng đúng tên của nó.\n\
         Each file in data-objects/ must have the SHA-256 its name says.\n"
    );

    let _ = writeln!(
        r,
        "2.2 Các dấu thời gian với OpenSSL / The timestamps with OpenSSL\n"
    );
    let _ = writeln!(
        r,
        "Mỗi lệnh kiểm tra chữ ký của TSA trên dấu thời gian, chuỗi chứng thư của TSA đến \
         tokens/tsa-anchors.pem, và giá trị được đóng dấu (messageImprint, tham số -digest ở dạng hex). \
         Kết quả mong đợi: \"Verification: OK\".\n\
         Each command checks the TSA's signature on the token, the TSA certificate path up to \
         tokens/tsa-anchors.pem, and the value stamped (the messageImprint, given to -digest in hex). \
         Expected output: \"Verification: OK\".\n"
    );
    let _ = writeln!(
        r,
        "Vì sao có -attime: một dấu thời gian chỉ cần đáng tin cậy cho đến khi dấu thời gian kế tiếp \
         (gia hạn) được tạo, vì dấu kế tiếp đã bao trùm nó (RFC 4998 §5.2). Chứng thư TSA hết hạn sau \
         thời điểm đó không làm mất hiệu lực bằng chứng. Vì vậy mỗi lệnh kiểm tra dấu thời gian tại \
         thời điểm nó phải đáng tin cậy: thời điểm tạo dấu kế tiếp; với dấu mới nhất, thời điểm xác \
         minh của lần xuất này ({at}). Bỏ -attime để kiểm tra dấu mới nhất tại ngày hôm nay.\n\
         Why -attime: a timestamp needs to be trustworthy only until the next (renewal) timestamp \
         was made, because the next one covers it (RFC 4998 §5.2). A TSA certificate that expired \
         after that does not void the evidence. So each command judges its token at the time it \
         had to be trustworthy: the next timestamp's genTime; for the newest token, this export's \
         verification time ({at}). Drop -attime to judge the newest token as of today.\n",
        at = fmt_time(v.verification_time)
    );
    for t in f.tokens {
        let _ = writeln!(
            r,
            "{} — chuỗi / chain {}, dấu / timestamp {}{}",
            t.path,
            t.chain,
            t.index,
            if t.newest {
                " (mới nhất / newest)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            r,
            "    genTime {}; TSA {}",
            t.gen_time.map(fmt_time).unwrap_or_else(|| "?".into()),
            t.tsa.as_deref().map(plain).unwrap_or_else(|| "?".into())
        );
        if let Some(p) = &t.problem {
            let _ = writeln!(
                r,
                "    KHÔNG KIỂM TRA ĐƯỢC / CANNOT BE CHECKED: {}\n",
                plain(p)
            );
            continue;
        }
        let Some((alg, imprint_hex)) = &t.imprint else {
            continue;
        };
        let _ = writeln!(
            r,
            "    phải tin cậy lúc / had to be trusted at {} (-attime {}); imprint {alg}",
            fmt_time(t.valid_at),
            t.valid_at.unix_timestamp()
        );
        if let Some(na) = t.tsa_not_after {
            let expired = na < v.verification_time.max(f.exported_at);
            let _ = writeln!(
                r,
                "    chứng thư TSA có hiệu lực đến / TSA certificate valid until {}{}",
                fmt_time(na),
                if expired {
                    " — đã hết hạn, cần -attime / since expired: -attime is required"
                } else {
                    ""
                }
            );
        }
        let _ = writeln!(r, "\n    {}\n", openssl_command(t, imprint_hex, f));
    }
    let _ = writeln!(
        r,
        "OpenSSL chỉ kiểm tra từng dấu thời gian. Việc các tệp nằm trong cây băm của dấu thời gian \
         đầu tiên, và mỗi dấu gia hạn bao trùm các dấu trước đó, do một trình kiểm tra RFC 4998 \
         kiểm tra (mục 2.3).\n\
         OpenSSL checks each timestamp on its own. That the files are in the first timestamp's \
         hash tree, and that each renewal covers the timestamps before it, is checked by an \
         RFC 4998 verifier (section 2.3).\n\n\
         OpenSSL có thể cảnh báo một chứng thư trong tokens/untrusted.pem \"is not a CA cert\": \
         đó là chứng thư của chính TSA, cảnh báo vô hại.\n\
         OpenSSL may warn that a certificate from tokens/untrusted.pem \"is not a CA cert\": it is \
         the TSA's own certificate; the warning is harmless.\n"
    );

    let _ = writeln!(
        r,
        "2.3 Hồ sơ bằng chứng / The evidence record (RFC 4998)\n\n\
         evidence.ers là một EvidenceRecord RFC 4998 mã hóa DER; nhóm dữ liệu của nó là mọi tệp trong \
         data-objects/. Các công cụ độc lập kiểm tra được nó:\n\
         evidence.ers is an RFC 4998 EvidenceRecord in DER; its data object group is every file in \
         data-objects/. Independent tools verify it:\n\n\
         - Bouncy Castle (Java, bcpkix 1.72 or later): org.bouncycastle.tsp.ers.ERSEvidenceRecord —\n\
         \x20   ERSEvidenceRecord er = new ERSEvidenceRecord(Files.readAllBytes(Paths.get(\"evidence.ers\")),\n\
         \x20       new JcaDigestCalculatorProviderBuilder().build());\n\
         \x20   er.validatePresent(new ERSByteData(Files.readAllBytes(file)), date);  // each file in data-objects/\n\
         \x20   er.validate(new JcaSimpleSignerInfoVerifierBuilder().build(er.getSigningCertificate()));\n\
         \x20 (validate checks that every archive timestamp covers the previous ones and the token\n\
         \x20 signatures; check the TSA certificates with OpenSSL as in 2.2.)\n\
         - EU DSS (Digital Signature Service, 6.1 or later, also its online demo): validate\n\
         \x20 evidence.ers as an evidence record with every file in data-objects/ as detached\n\
         \x20 contents, and tokens/tsa-anchors.pem as trusted certificates.\n"
    );
    let data_args: String = m
        .data_objects
        .iter()
        .map(|b| format!(" \\\n      --data data-objects/{}", b.hex()))
        .collect();
    let _ = writeln!(
        r,
        "2.4 Với Stele / With Stele\n\n    stele ers verify --er evidence.ers{data_args} \\\n      \
         --trust-anchor tokens/tsa-anchors.pem{} --at {}\n\n\
         (--at: như -attime ở trên; bỏ đi để kiểm tra tại ngày hôm nay / as -attime above; drop it to verify as of today.)\n",
        if f.have_untrusted {
            " --cert tokens/untrusted.pem"
        } else {
            ""
        },
        fmt_time(v.verification_time)
    );
    let _ = writeln!(
        r,
        "2.5 Chữ ký số trên văn bản / The document's signatures\n\n\
         Chữ ký được đánh giá tại thời điểm bằng chứng chứng minh văn bản đã tồn tại (genTime của dấu \
         thời gian đầu tiên), chỉ dùng tài liệu xác minh trong validation/ (được niêm phong cùng văn \
         bản), theo ETSI EN 319 102-1. Kết quả: verification.json (\"signatures\"), báo cáo lúc \
         tiếp nhận: validation-report.json. Có thể kiểm tra lại bằng EU DSS hoặc Adobe Acrobat với \
         các chứng thư, CRL và phản hồi OCSP trong validation/.\n\
         The signatures are judged at the time the evidence proves the document existed (the first \
         timestamp's genTime), with only the validation material in validation/ (sealed with the \
         document), per ETSI EN 319 102-1. Result: verification.json (\"signatures\"); the report \
         made at ingest: validation-report.json. They can be re-checked with EU DSS or Adobe \
         Acrobat using the certificates, CRLs and OCSP responses in validation/."
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_escape_the_package() {
        assert_eq!(safe_file_name("../../etc/passwd", "x"), "_.._etc_passwd");
        assert_eq!(safe_file_name("..", "x"), "x");
        assert_eq!(safe_file_name(".", "x"), "x");
        assert_eq!(safe_file_name("", "x"), "x");
        assert_eq!(safe_file_name(".hidden", "x"), "hidden");
        assert_eq!(safe_file_name("a\\b/c", "x"), "a_b_c");
        assert_eq!(safe_file_name("C:\\x.pdf", "x"), "C__x.pdf");
        assert_eq!(safe_file_name("a\u{0}b\nc.pdf", "x"), "a_b_c.pdf");
        assert_eq!(safe_file_name("NUL.pdf", "x"), "_NUL.pdf");
        assert_eq!(safe_file_name("com1", "x"), "_com1");
        assert_eq!(
            safe_file_name("Quyết định số 123.pdf", "x"),
            "Quyết định số 123.pdf"
        );
        let long = "đ".repeat(300);
        let s = safe_file_name(&long, "x");
        assert!(s.len() <= 200 && s.chars().all(|c| c == 'đ'));
        for name in ["../a", "a/../../b", "/abs", "..\\..\\w"] {
            let s = safe_file_name(name, "x");
            assert!(!s.contains('/') && !s.contains('\\') && !s.starts_with('.'));
        }
    }

    #[test]
    fn original_names_are_distinct() {
        let blob = BlobRef::of(b"x");
        let f = |name: &str| RecordFile {
            name: name.into(),
            role: "original".into(),
            blob,
        };
        assert_eq!(
            original_names(&[f("a/b.p7s"), f("a\\b.p7s"), f("")]),
            vec!["a_b.p7s", "a_b-2.p7s", "original"]
        );
    }

    #[test]
    fn pem_wraps_at_64() {
        let p = pem("CERTIFICATE", &[0u8; 100]);
        let lines: Vec<&str> = p.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last(), Some(&"-----END CERTIFICATE-----"));
    }
}
