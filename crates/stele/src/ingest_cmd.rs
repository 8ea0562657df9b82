//! `stele ingest PATH…`: validate signed files and archive them as records.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use futures::StreamExt;
use serde_json::json;
use stele_archive::{
    IndexedOutcome, IngestError, IngestOutcome, IngestPolicy, RecordMetadata, Submission,
};
use stele_index::IndexedRecord;
use stele_sig::TextLimits;
use stele_store::RecordId;

use crate::context::{read_capped, Context, GlobalArgs};
use crate::UsageError;

/// Largest metadata file read.
const MAX_METADATA: u64 = 1024 * 1024;
/// The suffix of a metadata sidecar: `letter.pdf` → `letter.pdf.meta.json`.
const SIDECAR: &str = ".meta.json";

#[derive(Args)]
pub struct IngestArgs {
    /// Signed files (PDF, CMS .p7m/.p7s) and, with --recursive, folders of them. Hidden files
    /// and metadata sidecars (NAME.meta.json) in folders are skipped.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Metadata (JSON, schemas/record.schema.json) for every file. A sidecar NAME.meta.json
    /// beside a file is used for that file instead.
    #[arg(long, value_name = "FILE.json")]
    meta: Option<PathBuf>,
    /// Ingest the files in folders, and in their subfolders, in sorted order.
    #[arg(long, short = 'r')]
    recursive: bool,
    /// Archive documents that carry no signature (as [signatures] allow_unsigned).
    #[arg(long)]
    allow_unsigned: bool,
    /// The signed content of a detached CMS signature (only with a single .p7s file).
    #[arg(long, value_name = "CONTENT")]
    detached: Option<PathBuf>,
    /// One JSON object per file and line: file, status, id, indication, summary, reason.
    #[arg(long)]
    json: bool,
    /// Files ingested at once [default: the number of CPUs].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Status {
    Archived,
    Duplicate,
    Rejected,
    Error,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Archived => "archived",
            Status::Duplicate => "duplicate",
            Status::Rejected => "rejected",
            Status::Error => "error",
        }
    }
}

/// What happened to one file.
struct Outcome {
    file: String,
    status: Status,
    id: Option<String>,
    indication: Option<&'static str>,
    summary: Option<String>,
    reason: Option<String>,
    /// A new record's index entry, made from the bytes in hand (no second read from the store),
    /// and why it lacks text if it does.
    entry: Option<(IndexedRecord, Option<String>)>,
}

impl Outcome {
    fn failed(file: &str, status: Status, reason: String) -> Outcome {
        Outcome {
            file: file.to_string(),
            status,
            id: None,
            indication: None,
            summary: None,
            reason: Some(reason),
            entry: None,
        }
    }

    fn line(&self, as_json: bool) -> String {
        if as_json {
            return json!({
                "file": self.file,
                "status": self.status.label(),
                "id": self.id,
                "indication": self.indication,
                "summary": self.summary,
                "reason": self.reason,
            })
            .to_string();
        }
        let id = self.id.as_deref().unwrap_or("");
        let reason = self.reason.as_deref().unwrap_or("");
        match self.status {
            Status::Archived => format!(
                "archived {id} {} {} ({})",
                self.file,
                self.indication.unwrap_or(""),
                self.summary.as_deref().unwrap_or("")
            ),
            Status::Duplicate => format!("duplicate {id} {}", self.file),
            Status::Rejected => format!("rejected {}: {reason}", self.file),
            Status::Error => format!("error {}: {reason}", self.file),
        }
    }
}

pub fn run(global: &GlobalArgs, args: IngestArgs) -> Result<ExitCode, UsageError> {
    let ctx = Context::open(global)?;
    let files = collect(&args.paths, args.recursive)?;
    let meta = args
        .meta
        .as_deref()
        .map(|p| read_metadata(p).map_err(UsageError))
        .transpose()?;
    let detached = match &args.detached {
        Some(_) if files.len() != 1 => {
            return Err(UsageError(
                "--detached needs exactly one signature file to go with it".into(),
            ))
        }
        Some(p) => Some((file_name(p), read_capped(p, "detached content")?)),
        None => None,
    };
    if files.is_empty() {
        eprintln!("nothing to ingest: no files found");
        return Ok(ExitCode::SUCCESS);
    }
    let archive = ctx.archive_with(IngestPolicy {
        allow_unsigned: args.allow_unsigned || ctx.config.signatures.allow_unsigned,
    })?;
    let jobs = crate::context::jobs_or_cpus(args.jobs);
    // One log for the run: its cached head spares a lookup per record.
    let log = ctx.audit_log();
    let actor = crate::audit_log_cmd::actor();
    let bar = (!args.json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(files.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {wide_msg}")
        {
            bar.set_style(style);
        }
        bar
    });

    let mut worst = Status::Archived;
    let mut counts = [0usize; 4];
    let mut indexer = SearchFeed::open(&ctx, jobs);
    let index_text = indexer.is_some();
    // Ingest indexes as it goes: each chunk of files is archived, then indexed and committed,
    // so an interrupted run leaves what it archived searchable.
    for chunk in files.chunks(INDEX_CHUNK) {
        let mut landed = Vec::new();
        ctx.block_on(
            futures::stream::iter(chunk.iter())
                .map(|path| async {
                    let outcome =
                        ingest_one(&archive, path, meta.as_ref(), detached.as_ref(), index_text)
                            .await;
                    log_ingest(&log, &actor, &outcome).await;
                    outcome
                })
                .buffered(jobs)
                .for_each(|mut outcome| {
                    worst = worst.max(outcome.status);
                    counts[outcome.status as usize] += 1;
                    match (outcome.entry.take(), outcome.status, &outcome.id) {
                        (Some(entry), _, _) => landed.push(Landed::New(Box::new(entry))),
                        (None, Status::Archived | Status::Duplicate, Some(id)) => {
                            landed.push(Landed::Known(id.clone()))
                        }
                        _ => {}
                    }
                    let line = outcome.line(args.json);
                    match &bar {
                        Some(bar) => {
                            bar.suspend(|| println!("{line}"));
                            bar.set_message(outcome.file.clone());
                            bar.inc(1);
                        }
                        None => println!("{line}"),
                    }
                    futures::future::ready(())
                }),
        );
        if let Some(feed) = &mut indexer {
            if let Err(e) = feed.add(&ctx, landed) {
                let msg = format!(
                    "warning: the search index was not updated ({e}); the records are archived: run `stele reindex`"
                );
                match &bar {
                    Some(bar) => bar.suspend(|| eprintln!("{msg}")),
                    None => eprintln!("{msg}"),
                }
                indexer = None;
            }
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    drop(indexer);
    drop(archive);
    if !args.json {
        eprintln!(
            "{} archived, {} duplicate, {} rejected, {} error(s)",
            counts[0], counts[1], counts[2], counts[3]
        );
    }
    if counts[0] > 0 {
        seal_if_due(&ctx);
    }
    Ok(match worst {
        Status::Archived | Status::Duplicate => ExitCode::SUCCESS,
        Status::Rejected => ExitCode::from(1),
        Status::Error => ExitCode::from(2),
    })
}

async fn ingest_one(
    archive: &stele_archive::Archive,
    path: &Path,
    meta: Option<&RecordMetadata>,
    detached: Option<&(String, Vec<u8>)>,
    index_text: bool,
) -> Outcome {
    let file = path.display().to_string();
    let sidecar = sidecar_of(path);
    let metadata = if sidecar.is_file() {
        match read_metadata(&sidecar) {
            Ok(m) => m,
            Err(e) => return Outcome::failed(&file, Status::Error, e),
        }
    } else if let Some(m) = meta {
        m.clone()
    } else {
        return Outcome::failed(
            &file,
            Status::Error,
            format!(
                "no metadata: pass --meta FILE.json, or put a sidecar {} beside it",
                file_name(&sidecar)
            ),
        );
    };
    let owned = path.to_path_buf();
    let bytes = match tokio::task::spawn_blocking(move || read_capped(&owned, "document")).await {
        Ok(Ok(b)) => b,
        Ok(Err(UsageError(e))) => return Outcome::failed(&file, Status::Error, e),
        Err(e) => return Outcome::failed(&file, Status::Error, e.to_string()),
    };
    // The files as the manifest lists them (original, then detached content), kept for the index.
    let files: Vec<Vec<u8>> = if index_text {
        std::iter::once(bytes.clone())
            .chain(detached.map(|(_, d)| d.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let submission = Submission {
        name: file_name(path),
        bytes,
        detached_content: detached.cloned(),
        metadata,
    };
    match archive.ingest(submission).await {
        Ok(IngestOutcome::Archived {
            id,
            indication,
            summary,
            manifest,
        }) => Outcome {
            entry: if index_text {
                tokio::task::spawn_blocking(move || {
                    let (text, note) =
                        stele_archive::record_text(&manifest, &files, &TextLimits::default());
                    (stele_archive::indexed_record(&manifest, text), note)
                })
                .await
                .ok()
            } else {
                None
            },
            file,
            status: Status::Archived,
            id: Some(id.to_string()),
            indication: Some(indication.as_str()),
            summary: Some(summary),
            reason: None,
        },
        Ok(IngestOutcome::Duplicate { id }) => Outcome {
            file,
            status: Status::Duplicate,
            id: Some(id.to_string()),
            indication: None,
            summary: None,
            reason: None,
            entry: None,
        },
        Err(IngestError::Rejected { reason, .. }) => {
            Outcome::failed(&file, Status::Rejected, reason)
        }
        Err(IngestError::Unreadable { source, .. }) => {
            Outcome::failed(&file, Status::Rejected, source.to_string())
        }
        Err(e @ IngestError::Store(_)) => Outcome::failed(&file, Status::Error, e.to_string()),
    }
}

/// Records an archived (or duplicate) record in the audit log. The record is durable already,
/// so a failure is a warning, not a reason to report the ingest as failed.
async fn log_ingest(log: &stele_archive::AuditLog, actor: &str, outcome: &Outcome) {
    let Some(id) = &outcome.id else { return };
    let detail = match outcome.status {
        Status::Archived => format!(
            "archived {} ({})",
            outcome.file,
            outcome.indication.unwrap_or("?")
        ),
        Status::Duplicate => format!("duplicate {}", outcome.file),
        _ => return,
    };
    let event =
        stele_archive::AuditEvent::new(actor, stele_archive::AuditAction::Ingest, Some(id), detail);
    if let Err(e) = log.append(event).await {
        eprintln!("warning: record {id} is archived but not recorded in the audit log: {e}");
    }
}

/// Files archived between two index commits.
const INDEX_CHUNK: usize = 256;

/// The search index as ingest feeds it. The index is derived: when it cannot be opened or
/// written, ingest warns and archives anyway; `stele reindex` catches up.
struct SearchFeed {
    index: stele_index::SearchIndex,
    writer: stele_index::RecordWriter,
    jobs: usize,
}

impl SearchFeed {
    fn open(ctx: &Context, jobs: usize) -> Option<SearchFeed> {
        let opened = ctx.search_index().and_then(|index| {
            let writer = index
                .writer(jobs, ctx.config.index_writer_bytes())
                .map_err(|e| UsageError(e.to_string()))?;
            Ok(SearchFeed {
                index,
                writer,
                jobs,
            })
        });
        match opened {
            Ok(feed) => Some(feed),
            Err(e) => {
                eprintln!(
                    "warning: records will not be searchable until `stele reindex`: {}",
                    e.0
                );
                None
            }
        }
    }

    /// Indexes the new records, and the duplicates the index lacks, then commits.
    fn add(&mut self, ctx: &Context, landed: Vec<Landed>) -> Result<(), String> {
        let mut known = Vec::new();
        for item in landed {
            match item {
                Landed::New(entry) => {
                    let (record, note) = *entry;
                    if let Some(n) = note {
                        eprintln!("note: search index: {}: {n}", record.id);
                    }
                    self.writer.add(&record).map_err(|e| e.to_string())?;
                }
                Landed::Known(id) => {
                    if !self.index.contains(&id).map_err(|e| e.to_string())? {
                        known.push(RecordId::new(id).map_err(|e| e.to_string())?);
                    }
                }
            }
        }
        // Records archived before (or whose entry could not be made here) are read back.
        let report = stele_archive::index_records(
            ctx.runtime(),
            ctx.store(),
            &self.writer,
            known,
            self.jobs,
            &TextLimits::default(),
            &|o| {
                if let IndexedOutcome::Indexed {
                    id, note: Some(n), ..
                } = o
                {
                    eprintln!("note: search index: {id}: {n}");
                }
            },
        )
        .map_err(|e| e.to_string())?;
        self.writer.commit().map_err(|e| e.to_string())?;
        if report.failed > 0 {
            return Err(format!(
                "{} record(s) could not be read back",
                report.failed
            ));
        }
        Ok(())
    }
}

/// What ingest hands the index: a new record's entry, or the id of a record already archived.
enum Landed {
    New(Box<(IndexedRecord, Option<String>)>),
    Known(String),
}

/// Reads and checks a metadata file; the message names the file and the field.
fn read_metadata(path: &Path) -> Result<RecordMetadata, String> {
    let len = std::fs::metadata(path)
        .map_err(|e| format!("cannot read metadata {}: {e}", path.display()))?
        .len();
    if len > MAX_METADATA {
        return Err(format!(
            "metadata {} is {len} bytes, more than the {MAX_METADATA} accepted",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read metadata {}: {e}", path.display()))?;
    RecordMetadata::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn sidecar_of(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(SIDECAR);
    path.with_file_name(name)
}

fn is_sidecar(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().ends_with(SIDECAR))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The files to ingest: named files as given, folders (with --recursive) walked in sorted
/// order without hidden entries or sidecars. Each file once.
fn collect(paths: &[PathBuf], recursive: bool) -> Result<Vec<PathBuf>, UsageError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", p.display())))?;
        if meta.is_dir() {
            if !recursive {
                return Err(UsageError(format!(
                    "{} is a folder: pass --recursive to ingest the files in it",
                    p.display()
                )));
            }
            walk(p, &mut out, 0)?;
        } else if !is_sidecar(p) {
            out.push(p.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    Ok(out)
}

/// Deepest folder nesting walked.
const MAX_DEPTH: usize = 64;

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), UsageError> {
    if depth > MAX_DEPTH {
        return Err(UsageError(format!(
            "{} is nested more than {MAX_DEPTH} folders deep",
            dir.display()
        )));
    }
    let mut entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)
        .map_err(|e| UsageError(format!("cannot read folder {}: {e}", dir.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| UsageError(format!("cannot read folder {}: {e}", dir.display())))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') || is_sidecar(&path) {
            continue;
        }
        let kind = entry
            .file_type()
            .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
        if kind.is_dir() {
            walk(&path, out, depth + 1)?;
        } else if kind.is_file() {
            out.push(path);
        } else if kind.is_symlink() {
            // Linked files are followed; linked folders are not (no cycles, no escapes).
            match std::fs::metadata(&path) {
                Ok(m) if m.is_file() => out.push(path),
                _ => eprintln!(
                    "note: skipped {}: a link to a folder or to nothing",
                    path.display()
                ),
            }
        }
    }
    Ok(())
}

/// Seals the pending records when a `[seal]` threshold is reached. The records are safe either
/// way: a failure here only leaves them pending for `stele seal`, so it is a warning.
fn seal_if_due(ctx: &Context) {
    let stamper = match ctx.time_stamper() {
        Ok(s) => std::sync::Arc::from(s),
        Err(e) => {
            eprintln!("warning: not sealed now: {}", e.0);
            return;
        }
    };
    let settings = match crate::evidence_cmd::seal_settings(ctx) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("warning: not sealed now: {}", e.0);
            return;
        }
    };
    let outcome = ctx.block_on(stele_archive::seal_pending(
        ctx.store(),
        stamper,
        &settings,
        ctx.now(),
        &stele_archive::JobHolder::this_process(),
        false,
    ));
    match outcome {
        Ok(stele_archive::SealOutcome::Sealed { batch, records, .. }) => {
            eprintln!("sealed {records} record(s) in batch {batch}")
        }
        Ok(stele_archive::SealOutcome::NotDue { pending, .. }) => {
            eprintln!("{pending} record(s) wait for their seal (`stele seal` seals them now)")
        }
        Ok(_) => {}
        Err(e) => eprintln!("warning: sealing failed, the records stay pending: {e}"),
    }
}
