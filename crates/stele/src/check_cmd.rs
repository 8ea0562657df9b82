//! `stele check FILE`: the verdict on every signature of a PDF or CMS document.

use crate::context::{certificates, crl_files, read_capped, trust_store};
use crate::{fmt_time, parse_time, UsageError};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use stele_pki::fetch::{FetchConfig, RevocationFetcher};
use stele_pki::AlgorithmPolicy;
use stele_sig::{DocumentReport, HolderKind, Indication, SignatureReport, SignatureValidator};
use time::OffsetDateTime;

#[derive(Args)]
pub struct CheckArgs {
    /// The signed document: a PDF, or a CMS signature (.p7m enveloping, .p7s detached; DER, BER
    /// or PEM); or an X.509 certificate, whose path and revocation are checked.
    file: PathBuf,
    /// The signed content of a detached CMS signature (.p7s).
    #[arg(long, value_name = "CONTENT")]
    detached: Option<PathBuf>,
    /// Trust anchors: a folder of root certificates (PEM or DER), or one certificate file
    /// (repeatable). Without one no path can be trusted, and verdicts are INDETERMINATE.
    #[arg(long = "trust", value_name = "DIR|CERT")]
    trust: Vec<PathBuf>,
    /// Intermediate CA certificates: a folder or a file (repeatable).
    #[arg(long = "certs", value_name = "DIR|CERT")]
    certs: Vec<PathBuf>,
    /// CRLs (DER or PEM) to use besides the embedded ones: a folder or a file (repeatable).
    #[arg(long = "crls", value_name = "DIR|CRL")]
    crls: Vec<PathBuf>,
    /// Validate as of this time (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    at: Option<OffsetDateTime>,
    /// Use only revocation data embedded in the document (and cached); fetch nothing.
    #[arg(long)]
    offline: bool,
    /// Folder caching fetched CRLs and OCSP responses (what --offline may use). Default:
    /// $XDG_CACHE_HOME/stele/revocation, else ~/.cache/stele/revocation.
    #[arg(long = "cache", value_name = "DIR")]
    cache: Option<PathBuf>,
    /// An algorithm policy (TOML) replacing dates of the default table.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Print the report as JSON (schemas/signature-report.schema.json).
    #[arg(long)]
    json: bool,
}

pub fn run(args: CheckArgs) -> Result<ExitCode, UsageError> {
    let bytes = read_capped(&args.file, "document")?;
    let detached = args
        .detached
        .as_deref()
        .map(|p| read_capped(p, "detached content"))
        .transpose()?;
    let policy = match &args.policy {
        Some(p) => {
            let src = std::fs::read_to_string(p)
                .map_err(|e| UsageError(format!("cannot read policy {}: {e}", p.display())))?;
            AlgorithmPolicy::from_toml(&src)
                .map_err(|e| UsageError(format!("{}: {e}", p.display())))?
        }
        None => AlgorithmPolicy::default(),
    };
    let validator = SignatureValidator::new(trust_store(&args.trust)?)
        .with_intermediates(certificates(&args.certs)?)
        .with_crls(crl_files(&args.crls)?)
        .with_policy(policy);
    let cache_dir = args.cache.clone().or_else(default_cache_dir);
    if let Some(d) = &cache_dir {
        // A cache that cannot be created only costs refetching; say so and go on.
        if let Err(e) = std::fs::create_dir_all(d) {
            eprintln!("warning: revocation cache {}: {e}", d.display());
        }
    }
    let fetcher = RevocationFetcher::new(FetchConfig {
        offline: args.offline,
        cache_dir,
        ..FetchConfig::default()
    })
    .map_err(|e| UsageError(format!("cannot set up revocation fetching: {e}")))?;
    let validator = validator.with_fetcher(Arc::new(fetcher));
    let now = args.at.unwrap_or_else(OffsetDateTime::now_utc);
    let report = validator
        .check(&bytes, detached.as_deref(), now)
        .map_err(|e| UsageError(format!("{}: {e}", args.file.display())))?;
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| UsageError(format!("cannot encode the report: {e}")))?;
        println!("{text}");
    } else {
        print_report(&args.file, &report, args.trust.is_empty());
    }
    Ok(if report.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("stele").join("revocation"))
}

fn verdict_label(s: &SignatureReport) -> String {
    match (s.indication, s.sub_indication) {
        (Indication::Passed, _) => "PASSED".into(),
        (i, Some(sub)) => format!("{}: {}", i.as_str(), json_name(&sub)),
        (i, None) => i.as_str().into(),
    }
}

fn json_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn print_report(file: &Path, r: &DocumentReport, no_trust: bool) {
    let what = match r.format {
        stele_sig::DocumentFormat::Certificate => "certificate".to_string(),
        f => format!(
            "{}, {} signature(s)",
            json_name(&f).replace('_', " "),
            r.signatures.len()
        ),
    };
    println!(
        "{}: {what}, checked as of {}",
        file.display(),
        fmt_time(r.validation_time)
    );
    for w in &r.warnings {
        println!("  warning: {w}");
    }
    for s in &r.signatures {
        let who = s
            .signer
            .as_ref()
            .map(|i| {
                let kind = match i.holder {
                    HolderKind::Personal => "personal certificate",
                    HolderKind::Organisation => "organisation certificate",
                    HolderKind::Undetermined => "certificate holder undetermined",
                };
                format!(
                    " — {} ({kind})",
                    i.name
                        .clone()
                        .unwrap_or_else(|| i.certificate.subject.clone())
                )
            })
            .unwrap_or_default();
        println!("  [{}] {}{who}", verdict_label(s), s.id);
        println!("      {}", s.explanation);
        if let Some(t) = s.claimed_signing_time {
            println!("      claimed signing time: {}", fmt_time(t));
        }
        if let Some(t) = s.proven_time {
            println!("      proven to exist at:   {}", fmt_time(t));
        }
        if !s.chain.is_empty() {
            let chain: Vec<&str> = s.chain.iter().map(|c| c.subject.as_str()).collect();
            println!("      chain: {}", chain.join("  →  "));
        }
        for rv in &s.revocation {
            println!(
                "      revocation: {} {} ({}) for serial {}",
                rv.source, rv.status, rv.origin, rv.certificate_serial
            );
        }
        for w in &s.warnings {
            println!("      warning: {w}");
        }
    }
    println!("{}", r.summary);
    if r.signatures.len() > 1 && !r.personal_and_organisation_signed {
        println!("Note: the document does not carry both a passed personal and a passed organisation signature (NĐ 30/2020 Điều 5).");
    }
    if no_trust && !r.all_passed() {
        println!("Hint: no trust anchors were given (--trust DIR), so no certificate path can be trusted.");
    }
}
