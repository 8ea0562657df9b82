//! `stele audit-log verify` and `stele audit-log show`: the hash-chained audit log (DESIGN §7),
//! and the helpers the other commands use to append to it.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::json;
use stele_archive::{AuditAction, AuditEvent, TokenChecker};

use crate::context::{Context, GlobalArgs};
use crate::{fmt_time, UsageError};

/// The `report` of `stele audit-log show --json`.
const ENTRIES_FORMAT: &str = "stele.audit-log-entries.v1";

#[derive(Subcommand)]
pub enum AuditLogCommand {
    /// Check the whole chain, every sealed segment against the entries, and every seal's
    /// evidence (exit 0 intact, 1 findings, 2 usage).
    Verify(VerifyArgs),
    /// List the newest entries (oldest first).
    Show(ShowArgs),
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The report as JSON (schemas/audit-log.schema.json).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ShowArgs {
    /// Only entries about this record (its id, or a prefix of at least 8 hex digits).
    #[arg(long, value_name = "ID")]
    record: Option<String>,
    /// At most this many entries: the newest.
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    limit: u64,
    /// The entries as JSON (schemas/audit-log.schema.json).
    #[arg(long)]
    json: bool,
}

pub fn run(global: &GlobalArgs, cmd: AuditLogCommand) -> Result<ExitCode, UsageError> {
    match cmd {
        AuditLogCommand::Verify(args) => verify(global, args),
        AuditLogCommand::Show(args) => show(global, args),
    }
}

/// Who the command line acts for: `cli:<login>`. Cron jobs and containers often set no `USER`:
/// then the process's own user, by name from `/etc/passwd` or else as `uid<N>`.
pub fn actor() -> String {
    let login = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .or_else(process_user);
    match login {
        Some(u) => format!("cli:{u}"),
        None => "cli".into(),
    }
}

fn process_user() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let named = passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_string())
    });
    Some(named.unwrap_or_else(|| format!("uid{uid}")))
}

/// Logs an access that must be logged before content is given out: an error (exit 2) when it
/// cannot be, so nothing leaves unrecorded.
pub fn record_access(
    ctx: &Context,
    action: AuditAction,
    record: Option<&str>,
    detail: impl Into<String>,
) -> Result<u64, UsageError> {
    ctx.block_on(
        ctx.audit_log()
            .append(AuditEvent::new(actor(), action, record, detail)),
    )
    .map_err(|e| {
        UsageError(format!(
            "the access cannot be recorded in the audit log, so nothing is given out: {e}"
        ))
    })
}

/// Logs what already happened (a record archived, a job run): a failure is a warning, as
/// undoing the work would not help.
pub fn record_event(
    ctx: &Context,
    action: AuditAction,
    record: Option<&str>,
    detail: impl Into<String>,
) {
    if let Err(e) =
        ctx.block_on(
            ctx.audit_log()
                .append(AuditEvent::new(actor(), action, record, detail)),
        )
    {
        eprintln!("warning: not recorded in the audit log: {e}");
    }
}

fn verify(global: &GlobalArgs, args: VerifyArgs) -> Result<ExitCode, UsageError> {
    let ctx = Context::open(global)?;
    let tokens = TokenChecker::trusting(ctx.tsa_anchors()?);
    let policy = ctx.config.algorithm_policy()?;
    let report = ctx
        .block_on(ctx.audit_log().verify(&tokens, &policy))
        .map_err(|e| UsageError(format!("the audit log cannot be checked: {e}")))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "audit log of {} at {}: {} entr{}{}",
            ctx.store().url(),
            fmt_time(report.verification_time),
            report.entries,
            if report.entries == 1 { "y" } else { "ies" },
            report
                .head
                .map(|h| format!(", newest {h}"))
                .unwrap_or_default()
        );
        if !report.actions.is_empty() {
            let counts: Vec<String> = report
                .actions
                .iter()
                .map(|(a, n)| format!("{a} {n}"))
                .collect();
            println!("  actions: {}", counts.join(", "));
        }
        for s in &report.segments {
            println!(
                "  segment {}–{}: {}{} — {}",
                s.first,
                s.last,
                s.verdict,
                s.proof_of_existence
                    .map(|t| format!(", proven to exist at {}", fmt_time(t)))
                    .unwrap_or_default(),
                s.summary
            );
        }
        match report.sealed_through {
            Some(seq) => println!("  sealed through entry {seq}"),
            None => println!("  no entry is sealed yet (`stele seal` seals the log)"),
        }
        if report.unsealed_entries > 0 {
            println!(
                "  {} entr{} after the newest segment (the next `stele seal` seals them)",
                report.unsealed_entries,
                if report.unsealed_entries == 1 {
                    "y"
                } else {
                    "ies"
                }
            );
        }
        for f in &report.findings {
            println!("{}: {}: {}", f.kind.replace('_', " "), f.key, f.message);
        }
        if report.intact {
            println!("intact: the chain holds from the first entry to the newest, and every seal verifies");
        } else {
            println!("{} problem(s) found", report.findings.len());
        }
    }
    // Checking the log reads it: that is recorded too (after the report, which it does not
    // change).
    record_event(
        &ctx,
        AuditAction::Verify,
        None,
        format!(
            "audit log: {} entries, {}",
            report.entries,
            if report.intact {
                "intact".to_string()
            } else {
                format!("{} finding(s)", report.findings.len())
            }
        ),
    );
    Ok(if report.intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn show(global: &GlobalArgs, args: ShowArgs) -> Result<ExitCode, UsageError> {
    let ctx = Context::open(global)?;
    let wanted = match &args.record {
        Some(text) => {
            let t = text.trim().to_ascii_lowercase();
            if t.len() < 8 || t.len() > 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(UsageError(format!(
                    "`{text}` is not a record id: give the 64 hex digits, or at least the first 8"
                )));
            }
            Some(t)
        }
        None => None,
    };
    let limit = usize::try_from(args.limit).unwrap_or(usize::MAX);
    let newest = ctx
        .block_on(ctx.audit_log().newest(limit, wanted.as_deref()))
        .map_err(|e| UsageError(format!("the audit log cannot be read: {e}")))?;
    if args.json {
        let out = json!({
            "report": ENTRIES_FORMAT,
            "entries": newest,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for e in &newest {
            println!(
                "{:>6} {} {:<7} {} {}{}",
                e.seq,
                fmt_time(e.time),
                e.action.as_str(),
                e.actor,
                e.record
                    .as_deref()
                    .map(|r| format!("{} ", r.chars().take(16).collect::<String>()))
                    .unwrap_or_default(),
                e.detail
            );
        }
        if newest.is_empty() {
            println!("no entries");
        }
    }
    record_event(
        &ctx,
        AuditAction::Read,
        wanted.as_deref(),
        format!("audit log: {} entries shown", newest.len()),
    );
    Ok(ExitCode::SUCCESS)
}
