//! `stele tsa init` and `stele tsa serve`: the built-in, not accredited, time-stamp authority.

use crate::{fmt_time, parse_time, UsageError};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use stele_archive::TimeStamper;
use stele_tsp::{tsa_init, ClientOptions, LocalTsa, SystemClock, TsaClient, TsaInitOptions};
use time::OffsetDateTime;

#[derive(Subcommand)]
pub enum TsaCommand {
    /// Create the built-in TSA: a P-256 root and a TSA certificate (critical timeStamping EKU).
    Init(InitArgs),
    /// Serve the built-in TSA over HTTP (RFC 3161, application/timestamp-query).
    Serve(ServeArgs),
}

#[derive(Args)]
pub struct InitArgs {
    /// Folder for root.pem, tsa.pem and tsa.key (created; must not hold a TSA already).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Common name of the TSA certificate.
    #[arg(long, default_value = "Stele built-in TSA")]
    cn: String,
    /// Start of the TSA certificate's validity (default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    not_before: Option<OffsetDateTime>,
    /// End of the TSA certificate's validity (default: 3 years after --not-before).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    not_after: Option<OffsetDateTime>,
    /// End of the root certificate's validity (default: as the TSA certificate).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    root_not_after: Option<OffsetDateTime>,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Folder made by `stele tsa init`.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Address to listen on (port 0 picks a free port; the URL is printed).
    #[arg(long, default_value = "127.0.0.1:3180")]
    addr: String,
}

/// `--now` (the global flag) dates the TSA: the default start of its certificate, and the time
/// `serve` signs with, so a test can run a TSA in 2032 over real HTTP.
pub fn run(global: &crate::context::GlobalArgs, cmd: TsaCommand) -> Result<ExitCode, UsageError> {
    let clock = global.clock();
    match cmd {
        TsaCommand::Init(args) => {
            let now = clock.now();
            let not_before = args.not_before.unwrap_or(now);
            let not_after = args
                .not_after
                .unwrap_or(not_before + time::Duration::days(3 * 365));
            init(
                &args.dir,
                &args.cn,
                not_before,
                not_after,
                args.root_not_after,
                now,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        TsaCommand::Serve(args) => serve(&args.dir, &args.addr, clock),
    }
}

/// Creates a built-in TSA in `dir` and says what it is.
pub fn init(
    dir: &Path,
    cn: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    root_not_after: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<(), UsageError> {
    let opts = TsaInitOptions {
        common_name: cn.to_string(),
        not_before,
        not_after,
        root_not_after,
    };
    tsa_init(dir, &opts, &stele_tsp::FixedClock::new(now))
        .map_err(|e| UsageError(format!("cannot create the TSA in {}: {e}", dir.display())))?;
    println!(
        "created the built-in TSA in {} (root.pem, tsa.pem, tsa.key)\n\
         TSA certificate \"{cn}\" valid {} to {}\n\
         This is not an accredited TSA: use it for tests and demonstrations, and a qualified TSA in production.",
        dir.display(),
        fmt_time(not_before),
        fmt_time(not_after)
    );
    Ok(())
}

fn open(dir: &Path) -> Result<LocalTsa, UsageError> {
    open_with(dir, Arc::new(SystemClock))
}

fn open_with(dir: &Path, clock: Arc<dyn stele_tsp::Clock>) -> Result<LocalTsa, UsageError> {
    LocalTsa::open(dir, clock).map_err(|e| {
        UsageError(format!(
            "cannot open the built-in TSA in {} ({e}); create one with `stele tsa init --dir {}`",
            dir.display(),
            dir.display()
        ))
    })
}

fn serve(dir: &Path, addr: &str, clock: Arc<dyn stele_tsp::Clock>) -> Result<ExitCode, UsageError> {
    let tsa = Arc::new(open_with(dir, clock)?);
    let rt =
        tokio::runtime::Runtime::new().map_err(|e| UsageError(format!("cannot start: {e}")))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| UsageError(format!("cannot listen on {addr}: {e}")))?;
        let local = listener.local_addr()?;
        println!("Stele built-in TSA (not accredited) listening on http://{local}/");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        stele_tsp::serve(listener, tsa, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| UsageError(format!("TSA server failed: {e}")))?;
        Ok(ExitCode::SUCCESS)
    })
}

/// The time-stamper behind `--tsa` arguments: `builtin:DIR` in-process, or HTTP URLs tried in
/// order.
pub fn stamper(args: &[String]) -> Result<Box<dyn TimeStamper>, UsageError> {
    if let Some(dir) = args.iter().find_map(|a| a.strip_prefix("builtin:")) {
        if args.len() > 1 {
            return Err(UsageError(
                "--tsa builtin:DIR cannot be combined with other TSAs".into(),
            ));
        }
        return Ok(Box::new(open(Path::new(dir))?));
    }
    for url in args {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(UsageError(format!(
                "--tsa `{url}` is neither an http(s) URL nor builtin:DIR"
            )));
        }
    }
    Ok(Box::new(
        TsaClient::new(args, ClientOptions::default()).map_err(|e| UsageError(e.to_string()))?,
    ))
}
