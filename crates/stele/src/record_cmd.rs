//! `stele show`, `stele get` and `stele audit`: reading records back, and checking the store.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;
use stele_archive::ingest::RecordFile;
use stele_archive::RecordManifest;
use stele_store::{Problem, RecordId};

use crate::context::{Context, GlobalArgs};
use crate::{fmt_time, UsageError};

#[derive(Args)]
pub struct ShowArgs {
    /// The record id (64 hex digits) or a unique prefix of at least 8.
    id: String,
    /// Print the record manifest as stored (JSON, schemas/record.schema.json).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct GetArgs {
    /// The record id (64 hex digits) or a unique prefix of at least 8.
    id: String,
    /// Which file of the record, by name [default: the original].
    file: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
}

#[derive(Args)]
pub struct AuditArgs {
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
    /// Blobs rehashed at once [default: the number of CPUs].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

/// The manifest of a record and its raw bytes.
fn load_manifest(ctx: &Context, id: &RecordId) -> Result<(RecordManifest, Vec<u8>), UsageError> {
    let bytes = ctx.block_on(ctx.store().get_manifest(id))?;
    let manifest = serde_json::from_slice(&bytes).map_err(|e| {
        UsageError(format!(
            "records/{id}/manifest.json is not a record manifest: {e}"
        ))
    })?;
    Ok((manifest, bytes.to_vec()))
}

pub fn show(global: &GlobalArgs, args: ShowArgs) -> Result<ExitCode, UsageError> {
    let ctx = Context::open(global)?;
    let id = ctx.record_id(&args.id)?;
    let (m, raw) = load_manifest(&ctx, &id)?;
    // The metadata is content too: recorded before it is shown, or not shown.
    crate::audit_log_cmd::record_access(
        &ctx,
        stele_archive::AuditAction::Read,
        Some(id.as_str()),
        "metadata (stele show)",
    )?;
    if args.json {
        let mut out = std::io::stdout().lock();
        out.write_all(&raw)?;
        if !raw.ends_with(b"\n") {
            out.write_all(b"\n")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!("record {}", m.id);
    println!("  ingested: {}", fmt_time(m.ingested_at));
    println!("files:");
    for f in &m.files {
        println!(
            "  {} ({}, {} bytes)",
            f.name,
            f.role.replace('_', " "),
            f.blob.len
        );
    }
    let md = &m.metadata;
    println!("metadata:");
    let number = match (&md.code_number, &md.code_notation) {
        (Some(n), Some(k)) => format!("{n}/{k}"),
        (Some(n), None) => n.clone(),
        (None, Some(k)) => k.clone(),
        (None, None) => String::new(),
    };
    let kind = md.type_name.clone().unwrap_or_default();
    if !number.is_empty() || !kind.is_empty() {
        println!("  document: {}", [kind, number].join(" ").trim());
    }
    println!("  issued:   {} by {}", md.issued_date, md.organ_name);
    println!("  subject:  {}", md.subject);
    for s in &md.signer_info {
        match &s.position {
            Some(p) => println!("  signer:   {} ({p})", s.full_name),
            None => println!("  signer:   {}", s.full_name),
        }
    }
    println!(
        "  confidentiality: {}, retention: {}, access: {}",
        name_of(&md.confidentiality),
        name_of(&md.retention),
        name_of(&md.access_mode)
    );
    let v = &m.validation;
    println!(
        "validation at {}: {} ({})",
        fmt_time(v.validation_time),
        v.indication,
        v.summary
    );
    for s in &v.signatures {
        let verdict = match &s.sub_indication {
            Some(sub) if !sub.is_empty() => format!("{}: {sub}", s.indication),
            _ => s.indication.clone(),
        };
        let who = match (&s.signer, &s.holder) {
            (Some(n), Some(h)) => format!(" — {n} ({h})"),
            (Some(n), None) => format!(" — {n}"),
            _ => String::new(),
        };
        println!("  [{verdict}] {}{who}", s.id);
        if let Some(t) = s.proven_time {
            println!("      proven to exist at: {}", fmt_time(t));
        }
    }
    let count = |kind: &str| m.material.iter().filter(|x| x.kind == kind).count();
    println!(
        "validation material: {} certificate(s), {} CRL(s), {} OCSP response(s)",
        count("certificate"),
        count("crl"),
        count("ocsp_response")
    );
    println!("data objects: {}", m.data_objects.len());
    Ok(ExitCode::SUCCESS)
}

/// The JSON name of a serde enum value (`"01"`, `"Mật"`).
fn name_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub fn get(global: &GlobalArgs, args: GetArgs) -> Result<ExitCode, UsageError> {
    let ctx = Context::open(global)?;
    let id = ctx.record_id(&args.id)?;
    let (m, _) = load_manifest(&ctx, &id)?;
    let file: &RecordFile = match &args.file {
        Some(name) => m.files.iter().find(|f| &f.name == name).ok_or_else(|| {
            UsageError(format!(
                "record {id} has no file `{name}`; its files: {}",
                m.files
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?,
        None => m
            .files
            .iter()
            .find(|f| f.role == "original")
            .or(m.files.first())
            .ok_or_else(|| UsageError(format!("record {id} lists no files")))?,
    };
    let to_terminal = args.out.is_none() && std::io::stdout().is_terminal();
    // Verified against its hash as it is read: damaged bytes are an error, never output.
    let bytes = ctx
        .block_on(ctx.store().get_blob(&file.blob))
        .map_err(|e| UsageError(format!("{} of record {id}: {e}", file.name)))?;
    // Recorded before a byte is given out; unrecorded, nothing is.
    crate::audit_log_cmd::record_access(
        &ctx,
        stele_archive::AuditAction::Read,
        Some(id.as_str()),
        format!("{} ({}, {} bytes)", file.name, file.role, file.blob.len),
    )?;
    match &args.out {
        Some(path) => {
            stele_archive::write_atomically(path, &bytes)
                .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
            eprintln!(
                "wrote {} ({} bytes, sha256 {})",
                path.display(),
                bytes.len(),
                file.blob.hex()
            );
        }
        None => {
            if to_terminal && looks_binary(&bytes) {
                return Err(UsageError(format!(
                    "{} is binary: refusing to write it to a terminal; use --out PATH or redirect the output",
                    file.name
                )));
            }
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn looks_binary(bytes: &[u8]) -> bool {
    bytes.contains(&0) || std::str::from_utf8(bytes).is_err()
}

fn problem_kind(p: &Problem) -> &'static str {
    match p {
        Problem::CorruptBlob { .. } => "corrupt_blob",
        Problem::StrayObject => "stray_object",
        Problem::MissingBlob { .. } => "missing_blob",
        Problem::DamagedBlob { .. } => "damaged_blob",
        Problem::UnmatchedManifest => "unmatched_manifest",
        Problem::Unreadable { .. } => "unreadable",
    }
}

/// The fixity audit of one archive (the records', or the audit log's own): every blob, record,
/// seal and epoch, then the evidence (every batch and epoch readable, its token intact and over
/// its root, everything it names present). Finding keys are named from the store's root: the
/// archive lives under `prefix` there.
fn audit_archive(
    ctx: &Context,
    store: &stele_store::Store,
    prefix: &str,
    jobs: usize,
) -> Result<(stele_store::AuditReport, stele_archive::EvidenceAudit), UsageError> {
    let mut report = ctx
        .block_on(store.audit(jobs))
        .map_err(|e| UsageError(format!("the audit could not run: {e}")))?;
    report.findings.sort_by(|a, b| a.key.cmp(&b.key));
    let mut evidence = match ctx.block_on(stele_archive::EvidenceIndex::load(store)) {
        Ok(index) => ctx
            .block_on(stele_archive::audit_evidence(store, &index, ctx.now()))
            .map_err(|e| UsageError(format!("the audit could not run: {e}")))?,
        Err(e) => stele_archive::EvidenceAudit {
            findings: vec![stele_archive::EvidenceFinding {
                key: "seals/, epochs/".into(),
                problem: format!("the evidence cannot be read: {e}"),
            }],
            ..Default::default()
        },
    };
    for key in report
        .findings
        .iter_mut()
        .map(|f| &mut f.key)
        .chain(evidence.findings.iter_mut().map(|f| &mut f.key))
    {
        key.insert_str(0, prefix);
    }
    Ok((report, evidence))
}

pub fn audit(global: &GlobalArgs, args: AuditArgs) -> Result<ExitCode, UsageError> {
    let ctx = Context::open(global)?;
    let jobs = crate::context::jobs_or_cpus(args.jobs);
    let (report, evidence) = audit_archive(&ctx, ctx.store(), "", jobs)?;
    // The audit log: its chain and segment files, and its own archive, where the segments are
    // records with seals of their own, audited as the records' is (keys named in full).
    let log = ctx
        .block_on(ctx.audit_log().check_fixity())
        .map_err(|e| UsageError(format!("the audit of the audit log could not run: {e}")))?;
    let log_prefix = format!("{}/", stele_store::audit_log::ARCHIVE);
    let (log_store, log_evidence) =
        audit_archive(&ctx, &ctx.store().audit_log_archive(), &log_prefix, jobs)?;
    let interrupted = log
        .segments
        .iter()
        .filter(|s| s.verdict == stele_archive::audit_log::SEGMENT_PENDING)
        .count();
    let found = report.findings.len()
        + evidence.findings.len()
        + log.findings.len()
        + log_store.findings.len()
        + log_evidence.findings.len();
    let clean = found == 0;
    crate::audit_log_cmd::record_event(
        &ctx,
        stele_archive::AuditAction::Audit,
        None,
        format!(
            "fixity audit: {} record(s), {found} finding(s)",
            report.records
        ),
    );

    let store_findings = |r: &stele_store::AuditReport| -> Vec<serde_json::Value> {
        r.findings
            .iter()
            .map(|f| {
                json!({
                    "key": f.key,
                    "kind": problem_kind(&f.problem),
                    "message": f.to_string(),
                })
            })
            .collect()
    };
    let evidence_findings = |e: &stele_archive::EvidenceAudit| -> Vec<serde_json::Value> {
        e.findings
            .iter()
            .map(|f| json!({"key": f.key, "kind": "evidence", "message": f.problem}))
            .collect()
    };
    if args.json {
        let mut findings = store_findings(&report);
        findings.extend(evidence_findings(&evidence));
        findings.extend(
            log.findings
                .iter()
                .map(|f| json!({"key": f.key, "kind": format!("audit_log_{}", f.kind), "message": f.message})),
        );
        findings.extend(store_findings(&log_store));
        findings.extend(evidence_findings(&log_evidence));
        let out = json!({
            "store": ctx.store().url(),
            "clean": clean,
            "pending_records": evidence.pending_records,
            "blobs": report.blobs,
            "blob_bytes": report.blob_bytes,
            "records": report.records,
            "seals": report.seals,
            "epochs": report.epochs,
            "audit_log": {
                "entries": log.entries,
                "segments": log.segments.len(),
                "unsealed_entries": log.unsealed_entries,
                "segments_not_archived": interrupted,
                "segments_not_sealed": log_evidence.pending_records,
                "blobs": log_store.blobs,
                "records": log_store.records,
                "seals": log_store.seals,
                "epochs": log_store.epochs,
            },
            "findings": findings,
        });
        println!("{out}");
    } else {
        println!(
            "audited {}: {} blob(s) ({} bytes), {} record(s), {} seal(s), {} epoch(s)",
            ctx.store().url(),
            report.blobs,
            report.blob_bytes,
            report.records,
            report.seals,
            report.epochs
        );
        println!(
            "audit log: {} entr{}, {} segment(s); its archive: {} record(s), {} seal(s), {} epoch(s)",
            log.entries,
            if log.entries == 1 { "y" } else { "ies" },
            log.segments.len(),
            log_store.records,
            log_store.seals,
            log_store.epochs
        );
        for f in report.findings.iter().chain(&log_store.findings) {
            println!("{}: {f}", problem_kind(&f.problem).replace('_', " "));
        }
        for f in evidence.findings.iter().chain(&log_evidence.findings) {
            println!("evidence: {}: {}", f.key, f.problem);
        }
        for f in &log.findings {
            println!(
                "audit log ({}): {}: {}",
                f.kind.replace('_', " "),
                f.key,
                f.message
            );
        }
        if evidence.pending_records > 0 {
            println!(
                "{} record(s) not sealed yet (`stele seal` seals them)",
                evidence.pending_records
            );
        }
        if interrupted + log_evidence.pending_records > 0 {
            println!(
                "{} audit-log segment(s) not archived or sealed yet (`stele seal` does it)",
                interrupted + log_evidence.pending_records
            );
        }
        if clean {
            println!("clean: every blob matches its hash, every record is whole, every seal and renewal holds, the audit log's chain is unbroken");
        } else {
            println!("{found} problem(s) found");
        }
    }
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
