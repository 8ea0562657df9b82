//! `stele seal`, `stele renew` and `stele verify`: the evidence life of archived records.

use crate::context::{Context, GlobalArgs};
use crate::{fmt_time, parse_time, UsageError};
use clap::Args;
use std::process::ExitCode;
use std::sync::Arc;
use stele_archive::renewal::RenewalAction;
use stele_archive::{
    plan, renew, renewal::RenewalPlan, report_html, seal_pending, AuditAction, AuditEvent,
    EvidenceIndex, JobHolder, LongTermVerifier, RecordVerdict, RenewalRun, RenewalSettings,
    SealOutcome, SealSettings, TimeStamper, TokenChecker, VerifiedRecord,
};
use time::OffsetDateTime;

#[derive(Args)]
pub struct SealArgs {
    /// Seal only if a threshold of `[seal]` is reached (batch size or age); without it, every
    /// pending record is sealed now.
    #[arg(long)]
    if_due: bool,
    /// One JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct RenewArgs {
    /// Show what is due and when, changing nothing.
    #[arg(long)]
    plan: bool,
    /// One JSON object on stdout (for cron and systemd).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Record id (64 hex digits, or a unique prefix of at least 8).
    id: String,
    /// Verify as of this time (default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    at: Option<OffsetDateTime>,
    /// The report as JSON (schemas/record-verification.schema.json).
    #[arg(long, conflicts_with = "html")]
    json: bool,
    /// The report as a self-contained HTML page.
    #[arg(long)]
    html: bool,
}

pub(crate) fn seal_settings(ctx: &Context) -> Result<SealSettings, UsageError> {
    Ok(SealSettings {
        algorithm: ctx.config.seal_hash()?,
        batch_size: ctx.config.seal_batch_size(),
        max_age: ctx.config.seal_max_age(),
    })
}

fn stamper(ctx: &Context) -> Result<Arc<dyn TimeStamper + Send + Sync>, UsageError> {
    Ok(Arc::from(ctx.time_stamper()?))
}

pub fn seal(global: &GlobalArgs, args: SealArgs) -> Result<ExitCode, UsageError> {
    let ctx = Context::open(global)?;
    let settings = seal_settings(&ctx)?;
    let stamper = stamper(&ctx)?;
    let holder = JobHolder::this_process();
    let outcome = ctx
        .block_on(seal_pending(
            ctx.store(),
            stamper.clone(),
            &settings,
            ctx.now(),
            &holder,
            !args.if_due,
        ))
        .map_err(|e| UsageError(format!("sealing failed: {e}")))?;
    // The run is logged first, so the log's own seal just below covers it too.
    let log = ctx.audit_log();
    if let Err(e) = ctx.block_on(log.append(AuditEvent::new(
        crate::audit_log_cmd::actor(),
        AuditAction::Seal,
        None,
        seal_detail(&outcome),
    ))) {
        eprintln!("warning: not recorded in the audit log: {e}");
    }
    // The audit log is sealed with the records, and like them: with --if-due, when due.
    let log_seal = ctx.block_on(log.seal(stamper, &settings, &holder, !args.if_due));
    let (mut json, text, code) = match &outcome {
        SealOutcome::Sealed {
            batch,
            records,
            gen_time,
        } => (
            serde_json::json!({"status": "sealed", "batch": batch, "records": records, "gen_time": fmt_time(*gen_time)}),
            format!(
                "sealed {records} record(s) in batch {batch} under one timestamp ({})",
                fmt_time(*gen_time)
            ),
            0,
        ),
        SealOutcome::NothingPending => (
            serde_json::json!({"status": "nothing_pending"}),
            "nothing to seal: every record is sealed".into(),
            0,
        ),
        SealOutcome::NotDue { pending, oldest } => (
            serde_json::json!({"status": "not_due", "pending": pending, "oldest": fmt_time(*oldest)}),
            format!(
                "{pending} record(s) pending since {}; no threshold reached (run `stele seal` to seal now)",
                fmt_time(*oldest)
            ),
            0,
        ),
        SealOutcome::LeaseHeld { holder, until } => (
            serde_json::json!({"status": "lease_held", "holder": holder, "until": fmt_time(*until)}),
            format!("another node is sealing ({holder}, lease until {})", fmt_time(*until)),
            3,
        ),
    };
    let (log_json, log_text, code) = match &log_seal {
        Ok(l) => (
            serde_json::json!({
                "status": "ok",
                "segments": l.segments.iter().map(|(first, last, record)| serde_json::json!({"first": first, "last": last, "record": record})).collect::<Vec<_>>(),
                "segmented_through": l.segmented_through,
                "seal": match &l.seal {
                    SealOutcome::Sealed { batch, .. } => serde_json::json!({"status": "sealed", "batch": batch}),
                    SealOutcome::LeaseHeld { holder, .. } => serde_json::json!({"status": "lease_held", "holder": holder}),
                    SealOutcome::NotDue { pending, .. } => serde_json::json!({"status": "not_due", "pending": pending}),
                    SealOutcome::NothingPending => serde_json::json!({"status": "nothing_pending"}),
                },
            }),
            match (&l.seal, l.segmented_through) {
                (SealOutcome::Sealed { batch, .. }, Some(seq)) => {
                    format!("audit log: entries through {seq} sealed (batch {batch})")
                }
                (SealOutcome::LeaseHeld { holder, .. }, _) => {
                    format!("audit log: another node is sealing it ({holder})")
                }
                (SealOutcome::NotDue { pending, .. }, _) => {
                    format!("audit log: {pending} segment(s) wait until the seal is due")
                }
                (_, Some(seq)) => format!("audit log: sealed through entry {seq}"),
                (_, None) => "audit log: empty".to_string(),
            },
            code,
        ),
        // The records' seal stands; the log's failure must not pass unnoticed by cron.
        Err(e) => (
            serde_json::json!({"status": "failed", "error": e.to_string()}),
            format!("audit log: sealing failed: {e}"),
            if code == 0 { 1 } else { code },
        ),
    };
    json["audit_log"] = log_json;
    if args.json {
        println!("{json}");
    } else {
        println!("{text}");
        println!("{log_text}");
    }
    Ok(ExitCode::from(code))
}

/// What a seal run did, for the audit log.
fn seal_detail(outcome: &SealOutcome) -> String {
    match outcome {
        SealOutcome::Sealed { batch, records, .. } => {
            format!("sealed {records} record(s) in batch {batch}")
        }
        SealOutcome::NothingPending => "nothing pending".into(),
        SealOutcome::NotDue { pending, .. } => format!("{pending} record(s) pending, not due"),
        SealOutcome::LeaseHeld { holder, .. } => format!("lease held by {holder}"),
    }
}

/// `stele renew --plan` and `/api/v1/renewal`: the archive's plan, and beside it the plan of the
/// audit log's own archive, which the same nightly run renews.
#[derive(serde::Serialize)]
pub(crate) struct RenewalPlans {
    #[serde(flatten)]
    pub records: RenewalPlan,
    pub audit_log: RenewalPlan,
}

impl RenewalPlans {
    /// The plans at `now`, the archive's from `index` (the caller may hold one already).
    pub(crate) async fn make(
        store: &stele_store::Store,
        index: &EvidenceIndex,
        settings: &RenewalSettings,
        now: OffsetDateTime,
    ) -> Result<RenewalPlans, UsageError> {
        let log_index = EvidenceIndex::load(&store.audit_log_archive())
            .await
            .map_err(|e| UsageError(format!("cannot read the audit log's evidence: {e}")))?;
        Ok(RenewalPlans {
            records: plan(index, settings, now),
            audit_log: plan(&log_index, settings, now),
        })
    }
}

pub(crate) fn renewal_settings(ctx: &Context) -> Result<RenewalSettings, UsageError> {
    Ok(RenewalSettings {
        tsa_margin: ctx.config.tsa_margin(),
        algorithm_margin: ctx.config.algorithm_margin(),
        max_age: ctx.config.renewal_max_age(),
        rehash_algorithm: ctx.config.renewal_hash()?,
        policy: ctx.config.algorithm_policy()?,
        lease_ttl: ctx.config.lease_duration(),
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get() * 4),
    })
}

/// Exit codes for cron/systemd: 0 done (or nothing due), 1 renewal failed, 2 usage,
/// 3 another node holds the lease.
pub fn renew_cmd(global: &GlobalArgs, args: RenewArgs) -> Result<ExitCode, UsageError> {
    let ctx = Context::open(global)?;
    let settings = renewal_settings(&ctx)?;
    let now = ctx.now();
    if args.plan {
        let index = ctx
            .block_on(EvidenceIndex::load(ctx.store()))
            .map_err(|e| UsageError(format!("cannot read the evidence: {e}")))?;
        let p = ctx.block_on(RenewalPlans::make(ctx.store(), &index, &settings, now))?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&p)?);
        } else {
            print_plan(&p.records);
            print!("audit log: ");
            print_plan(&p.audit_log);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let stamper = stamper(&ctx)?;
    let holder = JobHolder::this_process();
    let run = ctx.block_on(renew(ctx.store(), stamper.clone(), &settings, now, &holder));
    crate::audit_log_cmd::record_event(
        &ctx,
        AuditAction::Renew,
        None,
        match &run {
            Ok(RenewalRun::Done(r)) => format!(
                "{} epoch(s), {} hash-tree renewal(s)",
                r.epochs.len(),
                r.hash_tree_batches.len()
            ),
            Ok(RenewalRun::LeaseHeld { holder, .. }) => format!("lease held by {holder}"),
            Err(e) => format!("failed: {e}"),
        },
    );
    // The log's sealed segments live in an archive of their own: renewed in the same run.
    // Its report goes to stderr so `--json` stays one renewal object.
    let log_failed = match ctx.block_on(ctx.audit_log().renew(stamper, &settings, &holder)) {
        Ok(RenewalRun::Done(r)) => {
            if !r.epochs.is_empty() || !r.hash_tree_batches.is_empty() {
                eprintln!(
                    "audit log: {} epoch(s), {} hash-tree renewal(s)",
                    r.epochs.len(),
                    r.hash_tree_batches.len()
                );
            }
            false
        }
        Ok(RenewalRun::LeaseHeld { .. }) => false,
        Err(e) => {
            eprintln!("audit log: renewal failed: {e}");
            true
        }
    };
    let run = match run {
        Ok(r) => r,
        Err(e) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"status": "failed", "error": e.to_string()})
                );
            } else {
                eprintln!("renewal failed: {e}");
            }
            return Ok(ExitCode::from(1));
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&run)?);
    }
    match run {
        RenewalRun::LeaseHeld { holder, until } => {
            if !args.json {
                println!(
                    "another node is renewing ({holder}, lease until {}); nothing done",
                    fmt_time(until)
                );
            }
            Ok(ExitCode::from(3))
        }
        RenewalRun::Done(r) => {
            if !args.json {
                print_plan(&r.plan);
                for (id, n) in &r.hash_tree_batches {
                    println!(
                        "hash-tree renewal: {n} record(s) carried into a new chain, batch {id}"
                    );
                }
                if r.resumed_batches > 0 {
                    println!(
                        "  ({} batch(es) resumed from an interrupted run)",
                        r.resumed_batches
                    );
                }
                for (id, n) in &r.epochs {
                    println!(
                        "timestamp renewal: {n} chain(s) renewed in epoch {id} (one TSA request)"
                    );
                }
                if r.epochs.is_empty() && r.hash_tree_batches.is_empty() {
                    println!("nothing due");
                }
            }
            Ok(if log_failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

fn print_plan(p: &stele_archive::RenewalPlan) {
    println!(
        "{} chain(s) at {}; hash-tree renewal goes to {}",
        p.chains.len(),
        fmt_time(p.now),
        p.rehash_algorithm
    );
    for c in &p.chains {
        let state = match c.action {
            Some(RenewalAction::HashTreeRenewal) => "DUE: hash-tree renewal".to_string(),
            Some(RenewalAction::TimestampRenewal) => "DUE: timestamp renewal".to_string(),
            None => match c.due_from {
                Some(d) => format!("ok, due from {}", fmt_time(d)),
                None => "ok".into(),
            },
        };
        println!(
            "  {} ({} records, {}, {} timestamp(s), last {} by {}): {state}",
            c.batch,
            c.records,
            c.algorithm,
            c.timestamps,
            c.last_gen_time.map(fmt_time).unwrap_or_else(|| "?".into()),
            c.tsa.as_deref().unwrap_or("unknown TSA"),
        );
        for d in &c.due {
            println!("      because {}", d.describe());
        }
    }
}

/// Long-term verification of record `id` at `at` with the configuration's TSA anchors, trust
/// store and policy (what `verify` and `export` both report).
pub(crate) fn verify_record(
    ctx: &Context,
    id: &stele_store::RecordId,
    at: OffsetDateTime,
) -> Result<VerifiedRecord, UsageError> {
    let index = ctx
        .block_on(EvidenceIndex::load(ctx.store()))
        .map_err(|e| UsageError(format!("cannot read the evidence: {e}")))?;
    let tokens = TokenChecker::trusting(ctx.tsa_anchors()?);
    // Judged offline: only the material sealed with the record counts, years later. Built and
    // dropped here, outside the runtime: a validator may own a blocking HTTP client.
    let validator = ctx.signature_validator()?.offline();
    let policy = ctx.config.algorithm_policy()?;
    let verifier = LongTermVerifier {
        index: &index,
        tokens: &tokens,
        signatures: &validator,
        policy: &policy,
    };
    ctx.block_on(verifier.verify(ctx.store(), id, at))
        .map_err(|e| UsageError(e.to_string()))
}

/// Exit 0 PASSED, 1 FAILED or INDETERMINATE, 2 usage (unknown record, bad flags).
pub fn verify_cmd(global: &GlobalArgs, args: VerifyArgs) -> Result<ExitCode, UsageError> {
    let ctx = Context::open(global)?;
    let id = ctx.record_id(&args.id)?;
    let at = args.at.unwrap_or_else(|| ctx.now());
    let v = verify_record(&ctx, &id, at)?;
    let r = &v.verification;
    crate::audit_log_cmd::record_event(
        &ctx,
        AuditAction::Verify,
        Some(id.as_str()),
        format!("at {}: {}", fmt_time(at), r.verdict.as_str()),
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(r)?);
    } else if args.html {
        println!("{}", report_html::render(r, &v.manifest));
    } else {
        println!("record {} at {}", r.record, fmt_time(at));
        for s in &r.steps {
            println!(
                "  {:<20} {:<13} {}{}",
                s.name.replace('_', " "),
                s.status.to_uppercase(),
                s.code
                    .as_deref()
                    .map(|c| format!("[{c}] "))
                    .unwrap_or_default(),
                s.detail
            );
        }
        for t in &r.timestamps {
            println!(
                "  timestamp chain {} #{}: {} by {} ({}){}",
                t.chain,
                t.index,
                t.gen_time.map(fmt_time).unwrap_or_else(|| "?".into()),
                t.tsa.as_deref().unwrap_or("unknown TSA"),
                t.covers,
                t.trust_problem
                    .as_deref()
                    .map(|p| format!(" — not trusted: {p}"))
                    .unwrap_or_default()
            );
        }
        println!("{}", r.summary);
    }
    Ok(if r.verdict == RecordVerdict::Passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
