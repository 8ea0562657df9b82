//! `stele`: the command line. Thin: it parses arguments, calls the libraries, prints.

mod audit_log_cmd;
mod check_cmd;
mod context;
mod demo;
mod ers_cmd;
mod evidence_cmd;
mod export_cmd;
mod ingest_cmd;
mod init_cmd;
mod qr_cmd;
mod record_cmd;
mod search_cmd;
mod serve;
mod stats_cmd;
mod token_cmd;
mod tsa_cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "stele",
    version,
    about = "Stele keeps signed documents provably valid for decades (RFC 3161 timestamps, RFC 4998 evidence records).",
    after_help = "Exit codes: 0 valid/ok, 1 invalid or indeterminate, 2 bad input or usage."
)]
struct Cli {
    #[command(flatten)]
    global: context::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create an archive here (or in --dir): stele.toml, the store, and a built-in TSA unless
    /// --tsa URLs are given.
    Init(init_cmd::InitArgs),
    /// Validate signed files and archive them (exit 0 all archived or duplicate, 1 any rejected).
    Ingest(ingest_cmd::IngestArgs),
    /// Seal pending records: one hash tree, one TSA request (all pending now, or --if-due).
    Seal(evidence_cmd::SealArgs),
    /// The nightly job: renew the evidence chains that are due (exit 0 done, 1 failed, 3 lease
    /// held by another node); --plan shows what is due, changing nothing.
    Renew(evidence_cmd::RenewArgs),
    /// Long-term verification of a record at a date (exit 0 PASSED, 1 FAILED or INDETERMINATE).
    Verify(evidence_cmd::VerifyArgs),
    /// Export a record with its RFC 4998 evidence, validation data and a verification report,
    /// verifiable without Stele.
    Export(export_cmd::ExportArgs),
    /// Search the archive: words with or without accents, "phrases", number/notation, and
    /// metadata filters; highlighted snippets (full clearance: secret records included).
    Search(search_cmd::SearchArgs),
    /// Rebuild the search index from the store, in parallel, or add only the records it lacks
    /// (--missing); exit 1 if a record could not be indexed.
    Reindex(search_cmd::ReindexArgs),
    /// Show a record: files, metadata, the validation verdict per signature.
    Show(record_cmd::ShowArgs),
    /// Write a file of a record (by default the original) to standard output or --out.
    Get(record_cmd::GetArgs),
    /// Check the whole store: rehash every blob, check every record and the audit log's chain
    /// (exit 1 on any finding).
    Audit(record_cmd::AuditArgs),
    /// Signing rates per agency and month (documents issued; with a personal, an organisation,
    /// both signatures), secret documents excluded.
    Stats(stats_cmd::StatsArgs),
    /// The hash-chained audit log of every ingest, read, export, verification, seal and renewal.
    #[command(subcommand, name = "audit-log")]
    AuditLog(audit_log_cmd::AuditLogCommand),
    /// Write the QR code of a record's public verification page (SVG or PNG).
    Qr(qr_cmd::QrArgs),
    /// Serve the HTTP API (/api/v1/) and the web UI.
    Serve(serve::ServeArgs),
    /// Access tokens of the HTTP API and web UI: add one (printed once), list, revoke.
    #[command(subcommand)]
    Token(token_cmd::TokenCommand),
    /// Run Stele's main job on embedded defaults: built-in TSA, seal sample documents, verify.
    Demo(demo::DemoArgs),
    /// Validate every signature of a PDF or CMS document (exit 0 only if all PASSED).
    Check(check_cmd::CheckArgs),
    /// RFC 4998 evidence records: verify or build.
    #[command(subcommand)]
    Ers(ers_cmd::ErsCommand),
    /// The built-in time-stamp authority (for tests and demos; not accredited).
    #[command(subcommand)]
    Tsa(tsa_cmd::TsaCommand),
}

/// A failure that is the caller's input or environment, not a verdict: exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl<E: std::fmt::Display> From<E> for UsageError {
    fn from(e: E) -> Self {
        UsageError(e.to_string())
    }
}

/// Reads an RFC 3339 date-time argument (`2039-06-01T00:00:00Z`).
pub fn parse_time(s: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|e| {
        format!(
            "`{}` is not an RFC 3339 date-time such as 2039-06-01T00:00:00Z: {e}",
            clip(s, 80)
        )
    })
}

/// At most `max` characters of `s`, marked when cut: what an error message quotes of its input.
pub(crate) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Formats a time as RFC 3339 in UTC.
pub fn fmt_time(t: time::OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// Rust starts with SIGPIPE ignored, so `stele search … | head` panics in `println!` once
/// `head` has read enough. One-shot commands end quietly instead, as grep does: killed by
/// SIGPIPE. Only a failed print does that. Taking SIGPIPE's default back for the whole process
/// would also let a socket kill Stele: a vectored write (writev, as rustls and hyper use) to a
/// peer that has closed raises SIGPIPE, where a TSA, OCSP or S3 request must get an error to
/// retry. The servers keep the ordinary panic, which their log shows.
fn end_quietly_on_closed_stdout(command: &Command) {
    if matches!(
        command,
        Command::Serve(_) | Command::Tsa(tsa_cmd::TsaCommand::Serve(_))
    ) {
        return;
    }
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.payload_as_str().unwrap_or_default();
        // std's print macros panic with "failed printing to stdout: <error>"; EPIPE is 32.
        if message.starts_with("failed printing to std") && message.ends_with("(os error 32)") {
            // SAFETY: restoring SIGPIPE's default disposition and raising it ends the process
            // as the shell expects of a writer whose reader has gone; nothing runs after.
            unsafe {
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                libc::raise(libc::SIGPIPE);
            }
        }
        default(info)
    }));
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    end_quietly_on_closed_stdout(&cli.command);
    let global = cli.global;
    let result = match cli.command {
        Command::Init(args) => init_cmd::run(&global, args),
        Command::Ingest(args) => ingest_cmd::run(&global, args),
        Command::Seal(args) => evidence_cmd::seal(&global, args),
        Command::Renew(args) => evidence_cmd::renew_cmd(&global, args),
        Command::Verify(args) => evidence_cmd::verify_cmd(&global, args),
        Command::Export(args) => export_cmd::run(&global, args),
        Command::Search(args) => search_cmd::search(&global, args),
        Command::Reindex(args) => search_cmd::reindex(&global, args),
        Command::Show(args) => record_cmd::show(&global, args),
        Command::Get(args) => record_cmd::get(&global, args),
        Command::Audit(args) => record_cmd::audit(&global, args),
        Command::Stats(args) => stats_cmd::run(&global, args),
        Command::AuditLog(cmd) => audit_log_cmd::run(&global, cmd),
        Command::Qr(args) => qr_cmd::run(&global, args),
        Command::Serve(args) => serve::run(&global, args),
        Command::Token(cmd) => token_cmd::run(&global, cmd),
        Command::Demo(args) => demo::run(args),
        Command::Check(args) => check_cmd::run(args),
        Command::Ers(cmd) => ers_cmd::run(cmd),
        Command::Tsa(cmd) => tsa_cmd::run(&global, cmd),
    };
    match result {
        Ok(code) => code,
        Err(UsageError(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
