//! `stele ers verify` and `stele ers build`.

use crate::{fmt_time, parse_time, UsageError};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use stele_archive::{digest_file, read_certificates, seal_groups, write_atomically, TokenChecker};
use stele_asn1::DigestAlgorithm;
use stele_ers::{
    detect_format, verify, DataObject, ErsVerification, EvidenceRecord, TokenTrust, Verdict,
    MAX_EVIDENCE_RECORD_LEN,
};
use time::OffsetDateTime;

#[derive(Subcommand)]
pub enum ErsCommand {
    /// Verify an evidence record (RFC 4998, or RFC 6283 XML without renewals) for data objects.
    Verify(VerifyArgs),
    /// Build an evidence record over files (one data-object group) with one timestamp.
    Build(BuildArgs),
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The evidence record file (.ers DER/BER, or .xml).
    #[arg(long, value_name = "FILE")]
    er: PathBuf,
    /// A data object the record covers (repeat for a group).
    #[arg(long = "data", value_name = "FILE")]
    data: Vec<PathBuf>,
    /// A data object known only by its hash; several hashes of one object: sha256:HEX,sha384:HEX.
    #[arg(long = "digest", value_name = "ALG:HEX[,ALG:HEX]")]
    digests: Vec<String>,
    /// A root CA or pinned TSA certificate (PEM or DER) to trust (repeatable).
    #[arg(
        long = "trust-anchor",
        value_name = "CERT",
        conflicts_with = "no_tsa_trust"
    )]
    trust_anchors: Vec<PathBuf>,
    /// Intermediate certificates, or TSA certificates for tokens that carry none (repeatable).
    #[arg(long = "cert", value_name = "CERT")]
    certs: Vec<PathBuf>,
    /// Verify as of this time (RFC 3339); default now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    at: Option<OffsetDateTime>,
    /// Check everything except whether the TSAs are trusted, and say so.
    #[arg(long)]
    no_tsa_trust: bool,
    /// Print a JSON report (schemas/ers-verification.schema.json).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct BuildArgs {
    /// A file to seal (repeat: the files form one data-object group).
    #[arg(long = "data", value_name = "FILE", required = true)]
    data: Vec<PathBuf>,
    /// TSA URL (repeat for failover, tried in order), or builtin:DIR for the built-in TSA.
    #[arg(long = "tsa", value_name = "URL|builtin:DIR", required = true)]
    tsa: Vec<String>,
    /// Where to write the evidence record (DER).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Hash algorithm of the tree.
    #[arg(long, default_value = "sha256", value_parser = parse_new_tree_alg)]
    alg: DigestAlgorithm,
    /// Replace an existing output file.
    #[arg(long)]
    force: bool,
}

pub fn run(cmd: ErsCommand) -> Result<ExitCode, UsageError> {
    match cmd {
        ErsCommand::Verify(args) => run_verify(args),
        ErsCommand::Build(args) => run_build(args),
    }
}

fn parse_new_tree_alg(s: &str) -> Result<DigestAlgorithm, String> {
    let alg = DigestAlgorithm::from_name(s).map_err(|e| e.to_string())?;
    if alg == DigestAlgorithm::Sha1 {
        return Err("SHA-1 is accepted only to verify old evidence, not for new hash trees".into());
    }
    Ok(alg)
}

/// `sha256:HEX` or `sha256:HEX,sha384:HEX` (several hashes of one data object).
fn parse_digest_arg(arg: &str) -> Result<Vec<(DigestAlgorithm, Vec<u8>)>, UsageError> {
    arg.split(',')
        .map(|part| {
            let (alg, hex_value) = part.split_once(':').ok_or_else(|| {
                UsageError(format!(
                    "--digest `{part}` must be ALG:HEX, e.g. sha256:a1d4…"
                ))
            })?;
            let alg = DigestAlgorithm::from_name(alg)
                .map_err(|e| UsageError(format!("--digest `{part}`: {e}")))?;
            let value = hex::decode(hex_value.trim())
                .map_err(|e| UsageError(format!("--digest `{part}`: not hexadecimal ({e})")))?;
            if value.len() != alg.output_len() {
                return Err(UsageError(format!(
                    "--digest `{part}`: a {alg} digest has {} bytes, this has {}",
                    alg.output_len(),
                    value.len()
                )));
            }
            Ok((alg, value))
        })
        .collect()
}

fn read_bounded(path: &Path, max: usize, what: &str) -> Result<Vec<u8>, UsageError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| UsageError(format!("cannot read {what} {}: {e}", path.display())))?;
    if meta.len() > max as u64 {
        return Err(UsageError(format!(
            "{what} {} is {} bytes, more than the {max} accepted",
            path.display(),
            meta.len()
        )));
    }
    std::fs::read(path)
        .map_err(|e| UsageError(format!("cannot read {what} {}: {e}", path.display())))
}

fn load_certs(paths: &[PathBuf]) -> Result<Vec<x509_cert::Certificate>, UsageError> {
    let mut all = Vec::new();
    for p in paths {
        all.extend(read_certificates(p)?);
    }
    Ok(all)
}

/// The algorithms a record's chains hash data with, so each data file is read once.
fn algorithms_of(er: &EvidenceRecord) -> Vec<DigestAlgorithm> {
    let mut algs = er.algorithms();
    for i in 0..er.chains().len() {
        if let Some(a) = er.chain_algorithm(i) {
            algs.push(a);
        }
    }
    algs.sort();
    algs.dedup();
    algs
}

fn run_verify(args: VerifyArgs) -> Result<ExitCode, UsageError> {
    // Every usage error before any work.
    let digest_objects: Vec<_> = args
        .digests
        .iter()
        .map(|d| parse_digest_arg(d))
        .collect::<Result<_, _>>()?;
    let bytes = read_bounded(&args.er, MAX_EVIDENCE_RECORD_LEN, "evidence record")?;
    for d in &args.data {
        if !d.is_file() {
            return Err(UsageError(format!(
                "data file {} does not exist or is not a file",
                d.display()
            )));
        }
    }
    let mut trust_hint = None;
    let checker = if args.no_tsa_trust {
        TokenChecker::without_trust()
    } else {
        TokenChecker::trusting(load_certs(&args.trust_anchors)?)
    }
    .with_extra_certs(load_certs(&args.certs)?);
    let at = args.at.unwrap_or_else(|| {
        let now = OffsetDateTime::now_utc();
        now.replace_nanosecond(0).unwrap_or(now)
    });
    if !args.no_tsa_trust && args.trust_anchors.is_empty() {
        trust_hint = Some(
            "No --trust-anchor was given, so no TSA can be trusted: pass the TSA's root or its \
             certificate with --trust-anchor, or --no-tsa-trust to check everything else."
                .to_string(),
        );
    }

    let format = detect_format(&bytes).name();
    let (parsed, mut leading_notes) = load_evidence_record(&bytes);
    leading_notes.extend(trust_hint);
    let mut names: Vec<String> = args.data.iter().map(|p| p.display().to_string()).collect();
    names.extend(args.digests.iter().map(|d| format!("digest {d}")));

    let mut report = match parsed {
        Err(e) => malformed_report(
            format,
            &e.to_string(),
            at,
            checker.evaluates_trust(),
            &names,
        ),
        Ok(er) => {
            let algs = algorithms_of(&er);
            let mut data: Vec<DataObject<'_>> = Vec::new();
            for path in &args.data {
                let digests = digest_file(path, &algs).map_err(|e| {
                    UsageError(format!("cannot read data file {}: {e}", path.display()))
                })?;
                data.push(DataObject::Digests(digests));
            }
            data.extend(digest_objects.into_iter().map(DataObject::Digests));
            let result = verify(&er, &data, &checker, at);
            report_json(&er, format, &result, checker.evaluates_trust(), &names)
        }
    };
    if let Some(notes) = report["notes"].as_array_mut() {
        for n in leading_notes.drain(..).rev() {
            notes.insert(0, Value::from(n));
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print_human(&report);
    }
    Ok(if report["verdict"] == "VALID" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The evidence record in `bytes`: an RFC 4998 or RFC 6283 file, or one embedded in a CMS
/// signature (ETSI TS 119 122-3 unsigned attribute), on its own or inside a PDF. Notes say where
/// an embedded record was found.
fn load_evidence_record(bytes: &[u8]) -> (Result<EvidenceRecord, String>, Vec<String>) {
    use stele_sig::{embedded_evidence_records, PdfSignatures, SignedDataParts};
    let mut found: Vec<(String, EvidenceRecord)> = Vec::new();
    let mut consider = |cms: &[u8], place: &str| {
        if let Ok(parts) = SignedDataParts::from_ber(cms) {
            for e in embedded_evidence_records(&parts) {
                if let Ok(er) = e.record {
                    found.push((
                        format!(
                            "{place}, signer {}, attribute {:?}",
                            e.signer_index, e.attribute
                        ),
                        er,
                    ));
                }
            }
        }
    };
    if bytes.starts_with(b"%PDF-") {
        match PdfSignatures::extract(bytes) {
            Err(e) => {
                return (
                    Err(format!("a PDF, but its signatures cannot be read: {e}")),
                    Vec::new(),
                )
            }
            Ok(sigs) => {
                for sig in &sigs {
                    if let Some(cms) = sig.cms_bytes() {
                        let field = sig.field_name.as_deref().unwrap_or("(unnamed)");
                        consider(cms, &format!("PDF signature field '{field}'"));
                    }
                }
            }
        }
    } else {
        match EvidenceRecord::from_bytes(bytes) {
            Ok(er) => return (Ok(er), Vec::new()),
            Err(e) => {
                consider(bytes, "CMS signature");
                if found.is_empty() {
                    return (Err(e.to_string()), Vec::new());
                }
            }
        }
    }
    let mut notes = Vec::new();
    let total = found.len();
    let Some((place, er)) = found.into_iter().next() else {
        return (
            Err("a PDF with no evidence record embedded in its signatures".into()),
            notes,
        );
    };
    notes.push(format!("The evidence record is embedded in {place}."));
    if total > 1 {
        notes.push(format!(
            "{total} evidence records are embedded; this report covers the first."
        ));
    }
    (Ok(er), notes)
}

fn hexs(b: &[u8]) -> String {
    hex::encode(b)
}

fn trust_note(evaluated: bool) -> Option<String> {
    (!evaluated).then(|| {
        "TSA trust was NOT evaluated (--no-tsa-trust): the tokens' signatures were checked where \
         their certificates are present, but not whether their TSAs are trustworthy."
            .to_string()
    })
}

fn malformed_report(
    format: &str,
    reason: &str,
    at: OffsetDateTime,
    trust: bool,
    names: &[String],
) -> Value {
    json!({
        "report": "stele.ers-verification.v1",
        "verdict": "INVALID",
        "summary": format!("Invalid: this is not a readable evidence record ({reason})."),
        "failure": { "code": "MALFORMED", "message": format!("The file is not a readable {format} evidence record: {reason}."), "chain": null, "archive_timestamp": null },
        "verification_time": fmt_time(at),
        "tsa_trust_evaluated": trust,
        "notes": trust_note(trust).into_iter().collect::<Vec<_>>(),
        "evidence_record": { "format": format, "digest_algorithms": [], "chains": 0, "archive_timestamps": 0 },
        "data_objects": names.iter().map(|n| json!({"name": n, "digests": {}, "covered": false})).collect::<Vec<_>>(),
        "chains": [],
    })
}

fn report_json(
    er: &EvidenceRecord,
    format: &str,
    r: &ErsVerification,
    trust: bool,
    names: &[String],
) -> Value {
    let mut summary = r.summary();
    if r.verdict == Verdict::Valid && !trust {
        summary.push_str(" TSA trust was not evaluated.");
    }
    let mut notes = r.notes.clone();
    notes.extend(trust_note(trust));
    let failure = r.failure().map(|f| {
        json!({
            "code": f.code.as_str(),
            "message": f.message,
            "chain": f.chain,
            "archive_timestamp": f.archive_timestamp,
        })
    });
    let data_objects: Vec<Value> = r
        .data_objects
        .iter()
        .map(|d| {
            let digests: serde_json::Map<String, Value> = d
                .digests
                .iter()
                .map(|(a, v)| (a.name().to_string(), Value::from(hexs(v))))
                .collect();
            json!({
                "name": names.get(d.index).cloned().unwrap_or_else(|| format!("data object {}", d.index)),
                "digests": digests,
                "covered": d.covered,
            })
        })
        .collect();
    let chains: Vec<Value> = r
        .chains
        .iter()
        .map(|c| {
            let ats: Vec<Value> = c
                .archive_timestamps
                .iter()
                .map(|a| {
                    let (trust_s, detail) = match &a.trust {
                        Some(TokenTrust::Trusted { anchor }) => {
                            ("TRUSTED", Some(format!("trusted through {anchor}")))
                        }
                        Some(TokenTrust::Untrusted { reason }) => {
                            ("UNTRUSTED", Some(reason.clone()))
                        }
                        Some(TokenTrust::NotEvaluated) | None => ("NOT_EVALUATED", None),
                    };
                    let detail = match &a.token_integrity {
                        stele_ers::TokenIntegrity::Intact => detail,
                        stele_ers::TokenIntegrity::Broken(s)
                        | stele_ers::TokenIntegrity::Unchecked(s)
                        | stele_ers::TokenIntegrity::Unreadable(s) => Some(s.clone()),
                    };
                    json!({
                        "index": a.index,
                        "gen_time": a.gen_time.map(fmt_time),
                        "digest_algorithm": a.digest_algorithm.map(|x| x.name()),
                        "imprint": a.imprint.as_deref().map(hexs),
                        "tsa": a.tsa,
                        "serial": a.serial,
                        "valid_at": fmt_time(a.valid_at),
                        "token_integrity": a.token_integrity.as_str(),
                        "trust": trust_s,
                        "detail": detail,
                    })
                })
                .collect();
            json!({
                "index": c.index,
                "digest_algorithm": c.digest_algorithm.map(|x| x.name()),
                "archive_timestamps": ats,
            })
        })
        .collect();
    let mut report = json!({
        "report": "stele.ers-verification.v1",
        "verdict": r.verdict.as_str(),
        "summary": summary,
        "verification_time": fmt_time(r.verification_time),
        "tsa_trust_evaluated": trust,
        "notes": notes,
        "evidence_record": {
            "format": format,
            "digest_algorithms": algorithms_of(er).iter().map(|a| a.name()).collect::<Vec<_>>(),
            "chains": er.chains().len(),
            "archive_timestamps": er.archive_time_stamp_count(),
        },
        "data_objects": data_objects,
        "chains": chains,
    });
    if let Some(f) = failure {
        report["failure"] = f;
    }
    report
}

fn print_human(report: &Value) {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    println!("{}  {}", s(&report["verdict"]), s(&report["summary"]));
    if let Some(f) = report.get("failure") {
        let place = match (f["chain"].as_u64(), f["archive_timestamp"].as_u64()) {
            (Some(c), Some(a)) => format!(" at archive timestamp {a} of chain {c}"),
            (Some(c), None) => format!(" in chain {c}"),
            _ => String::new(),
        };
        println!("  failed check: {}{place}", s(&f["code"]));
    }
    for d in report["data_objects"].as_array().into_iter().flatten() {
        let mark = if d["covered"] == true {
            "covered"
        } else {
            "NOT covered"
        };
        println!("  data object {}: {mark}", s(&d["name"]));
    }
    for c in report["chains"].as_array().into_iter().flatten() {
        println!("  chain {} ({})", c["index"], s(&c["digest_algorithm"]));
        for a in c["archive_timestamps"].as_array().into_iter().flatten() {
            println!(
                "    archive timestamp {}: {} by {}; token {}, TSA {}{}",
                a["index"],
                s(&a["gen_time"]),
                a["tsa"].as_str().unwrap_or("an unnamed TSA"),
                s(&a["token_integrity"]),
                s(&a["trust"]),
                a["detail"]
                    .as_str()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            );
        }
    }
    for n in report["notes"].as_array().into_iter().flatten() {
        println!("  note: {}", s(n));
    }
    println!("  verified as of {}", s(&report["verification_time"]));
}

fn run_build(args: BuildArgs) -> Result<ExitCode, UsageError> {
    if args.out.exists() && !args.force {
        return Err(UsageError(format!(
            "{} already exists; choose another --out or pass --force to replace it",
            args.out.display()
        )));
    }
    let mut group = Vec::new();
    for path in &args.data {
        let d = digest_file(path, &[args.alg])
            .map_err(|e| UsageError(format!("cannot read data file {}: {e}", path.display())))?;
        group.extend(d.into_iter().map(|(_, v)| v));
    }
    let stamper = crate::tsa_cmd::stamper(&args.tsa)?;
    let batch = match seal_groups(args.alg, &[group.clone()], stamper.as_ref()) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: could not seal: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let er = batch
        .evidence_record(0)
        .map_err(|e| UsageError(e.to_string()))?;
    let der = er.to_der().map_err(|e| UsageError(e.to_string()))?;
    // Check what we are about to hand out, as any verifier will.
    let data: Vec<DataObject<'_>> = group
        .iter()
        .map(|d| DataObject::from_digest(args.alg, d.clone()))
        .collect();
    let check = verify(
        &er,
        &data,
        &TokenChecker::without_trust(),
        OffsetDateTime::now_utc(),
    );
    if check.verdict != Verdict::Valid {
        eprintln!(
            "error: the new evidence record does not verify: {}",
            check.summary()
        );
        return Ok(ExitCode::from(1));
    }
    write_atomically(&args.out, &der)
        .map_err(|e| UsageError(format!("cannot write {}: {e}", args.out.display())))?;
    let gen = check
        .chains
        .first()
        .and_then(|c| c.archive_timestamps.first())
        .and_then(|a| a.gen_time)
        .map(fmt_time)
        .unwrap_or_default();
    println!(
        "wrote {}: evidence record over {} file(s), {} hash tree, timestamped {gen}",
        args.out.display(),
        args.data.len(),
        args.alg
    );
    Ok(ExitCode::SUCCESS)
}
