//! `stele search QUERY` and `stele reindex`: full-text and metadata search over the archive
//! (DESIGN.md §5). The local command line runs with full clearance: whoever can read the store
//! can read every record anyway.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Args;
use futures::StreamExt;
use serde_json::json;
use stele_archive::{IndexedOutcome, IndexingReport, ReindexMode, ReindexSettings};
use stele_index::{Clearance, Confidentiality, Filters, SearchRequest, SearchResults, Snippet};
use time::Date;

use crate::context::{jobs_or_cpus, Context, GlobalArgs};
use crate::UsageError;

#[derive(Args)]
pub struct SearchArgs {
    /// Words (all must match; accents optional: `chu ky so` finds `chữ ký số`), "quoted
    /// phrases", numbers and notations (`1500/UBND-CNTT`). Empty with filters: list the
    /// records that match them, newest first.
    #[arg(value_name = "QUERY", default_value = "")]
    query: String,
    /// Agency code (OrganId), e.g. H12.01.
    #[arg(long, value_name = "CODE")]
    agency: Option<String>,
    /// Document type (TypeName), e.g. "Quyết định" (accents optional).
    #[arg(long = "type", value_name = "TYPE")]
    type_name: Option<String>,
    /// Issued on or after this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    from: Option<Date>,
    /// Issued on or before this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    to: Option<Date>,
    /// Issued in this year.
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(i32).range(1..=9999))]
    year: Option<i32>,
    /// A signer's full name (accents optional).
    #[arg(long, value_name = "NAME")]
    signer: Option<String>,
    /// Confidentiality: none, "Mật", "Tối mật" or "Tuyệt mật" (accents optional).
    #[arg(long, value_name = "LEVEL", value_parser = parse_confidentiality)]
    confidentiality: Option<Confidentiality>,
    /// Retention code 01 (permanent) … 07 (other).
    #[arg(long, value_name = "CODE", value_parser = parse_retention)]
    retention: Option<String>,
    /// File (hồ sơ) code.
    #[arg(long = "file", value_name = "CODE")]
    file_notation: Option<String>,
    /// Hits to show.
    #[arg(long, short = 'n', default_value_t = 10, value_name = "N",
          value_parser = clap::value_parser!(u64).range(0..=stele_index::MAX_LIMIT as u64))]
    limit: u64,
    /// Hits to skip (for the next page).
    #[arg(long, default_value_t = 0, value_name = "N",
          value_parser = clap::value_parser!(u64).range(0..=stele_index::MAX_OFFSET as u64))]
    offset: u64,
    /// Also count the matches per agency, type, year, signer, confidentiality and retention.
    #[arg(long)]
    facets: bool,
    /// One JSON object (schemas/search.schema.json).
    #[arg(long)]
    json: bool,
}

pub(crate) fn parse_date(s: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &format)
        .map_err(|e| format!("`{}` is not a date YYYY-MM-DD: {e}", crate::clip(s, 80)))
}

pub(crate) fn parse_confidentiality(s: &str) -> Result<Confidentiality, String> {
    s.parse::<Confidentiality>().map_err(|e| e.to_string())
}

pub(crate) fn parse_retention(s: &str) -> Result<String, String> {
    let s = s.trim();
    if matches!(s, "01" | "02" | "03" | "04" | "05" | "06" | "07") {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a retention code: 01 permanent, 02 70 years, 03 50, 04 30, 05 20, 06 10, 07 other"
        ))
    }
}

pub fn search(global: &GlobalArgs, args: SearchArgs) -> Result<ExitCode, UsageError> {
    let ctx = Context::open(global)?;
    let index = ctx.search_index()?;
    let request = SearchRequest {
        query: args.query.clone(),
        filters: Filters {
            agency: args.agency,
            type_name: args.type_name,
            from: args.from,
            to: args.to,
            year: args.year,
            signer: args.signer,
            confidentiality: args.confidentiality,
            retention: args.retention,
            file_notation: args.file_notation,
        },
        limit: args.limit as usize,
        offset: args.offset as usize,
        clearance: Clearance::FULL,
        facets: args.facets,
    };
    let results = index
        .search(&request)
        .map_err(|e| UsageError(e.to_string()))?;
    // An empty index over a store with records was never built (or was lost): say how to fix
    // it rather than report "nothing found".
    let unbuilt = index
        .num_records(Clearance::FULL)
        .map_err(|e| UsageError(e.to_string()))?
        == 0
        && ctx
            .block_on(ctx.store().list_records().next())
            .is_some_and(|r| r.is_ok());
    if unbuilt {
        return Err(UsageError(format!(
            "the search index {} is empty but the archive holds records: run `stele reindex`",
            ctx.config.index.dir.display()
        )));
    }
    if args.json {
        println!(
            "{}",
            results_json(&args.query, args.offset as usize, &results, args.facets)
        );
    } else {
        print_results(&args.query, args.offset as usize, &results, args.facets);
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON answer of a search (`schemas/search.schema.json`), shared by the CLI and the API.
pub(crate) fn results_json(
    query: &str,
    offset: usize,
    results: &SearchResults,
    facets: bool,
) -> serde_json::Value {
    let mut out = serde_json::to_value(results).unwrap_or_else(|_| json!({}));
    out["query"] = json!(query);
    out["offset"] = json!(offset);
    if !facets {
        if let Some(o) = out.as_object_mut() {
            o.remove("facets");
        }
    }
    out
}

fn print_results(query: &str, offset: usize, results: &SearchResults, facets: bool) {
    let bold = std::io::stdout().is_terminal();
    let (open, close) = if bold {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("[", "]")
    };
    let what = if query.trim().is_empty() {
        String::new()
    } else {
        format!(" for \"{query}\"")
    };
    match (results.total, results.hits.len()) {
        (0, _) => println!("no records{what}"),
        (total, 0) => println!("{total} record(s){what}; none from {}", offset + 1),
        (total, n) => println!("{total} record(s){what}; {}–{}:", offset + 1, offset + n),
    }
    for (i, hit) in results.hits.iter().enumerate() {
        let heading = [hit.type_name.as_deref(), hit.number_notation.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let organ = match &hit.organ_id {
            Some(code) => format!("{} ({code})", hit.organ_name),
            None => hit.organ_name.clone(),
        };
        let secret = if hit.confidentiality == Confidentiality::None {
            String::new()
        } else {
            format!(" [{}]", hit.confidentiality.label())
        };
        println!();
        println!(
            "{:>3}. {heading}{}{} — {organ}{secret}",
            offset + i + 1,
            if heading.is_empty() { "" } else { ", " },
            hit.issued_date,
        );
        println!("     {}", hit.subject);
        if !hit.snippet.text.is_empty() {
            let shown = one_line(&joined_highlights(&hit.snippet).marked(open, close));
            println!("     {shown}");
        }
        println!("     id {}", hit.id);
    }
    if facets {
        let f = &results.facets;
        for (name, counts) in [
            ("agency", &f.agency),
            ("type", &f.type_name),
            ("year", &f.year),
            ("signer", &f.signer),
            ("confidentiality", &f.confidentiality),
            ("retention", &f.retention),
        ] {
            if counts.is_empty() {
                continue;
            }
            let list: Vec<String> = counts
                .iter()
                .map(|c| format!("{} ({})", c.value, c.count))
                .collect();
            println!("\n{name}: {}", list.join(", "));
        }
    }
}

/// The snippet with highlights that only whitespace separates merged, so a matched phrase
/// reads `[chữ ký số]` rather than `[chữ] [ký] [số]`.
fn joined_highlights(snippet: &Snippet) -> Snippet {
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for &(start, end) in &snippet.highlights {
        match merged.last_mut() {
            Some(last)
                if snippet
                    .text
                    .get(last.1..start)
                    .is_some_and(|gap| gap.chars().all(char::is_whitespace)) =>
            {
                last.1 = end
            }
            _ => merged.push((start, end)),
        }
    }
    Snippet {
        text: snippet.text.clone(),
        highlights: merged,
    }
}

/// Line and page breaks of the document text as single spaces: one hit, one snippet line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Args)]
pub struct ReindexArgs {
    /// Records read and extracted at once [default: the number of CPUs].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Only add the records the index lacks (ingested by another node, or while the index
    /// was busy), keeping the rest: quick on a large archive.
    #[arg(long)]
    missing: bool,
    /// One JSON object at the end: indexed, without_text, failed, and the records with notes.
    #[arg(long)]
    json: bool,
}

/// Rebuilds the search index from the store. Exit 1 when a record could not be indexed.
pub fn reindex(global: &GlobalArgs, args: ReindexArgs) -> Result<ExitCode, UsageError> {
    let ctx = Context::open(global)?;
    let jobs = jobs_or_cpus(args.jobs);
    let bar = (!args.json && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} records {elapsed} (eta {eta})",
        ) {
            bar.set_style(style);
        }
        bar
    });
    let notes = std::sync::Mutex::new(Vec::new());
    let on_record = |o: &IndexedOutcome| {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
        let note = match o {
            IndexedOutcome::Indexed { note: Some(n), .. } => {
                json!({"id": o.id().as_str(), "status": "indexed", "note": n})
            }
            IndexedOutcome::Failed { reason, .. } => {
                json!({"id": o.id().as_str(), "status": "failed", "note": reason})
            }
            IndexedOutcome::Indexed { note: None, .. } => return,
        };
        if let Ok(mut notes) = notes.lock() {
            notes.push(note);
        }
    };
    let on_total = |n: usize| {
        if let Some(bar) = &bar {
            bar.set_length(n as u64);
        }
    };
    let started = std::time::Instant::now();
    let report = stele_archive::reindex(
        ctx.runtime(),
        ctx.store(),
        &ctx.config.index.dir,
        ReindexSettings {
            mode: if args.missing {
                ReindexMode::Missing
            } else {
                ReindexMode::Rebuild
            },
            writer_bytes: ctx.config.index_writer_bytes(),
            jobs,
        },
        &on_total,
        &on_record,
    )
    .map_err(|e| UsageError(format!("{}: {e}", ctx.config.index.dir.display())))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut notes = notes.into_inner().unwrap_or_default();
    notes.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let seconds = started.elapsed().as_secs_f64();
    let IndexingReport {
        indexed,
        without_text,
        failed,
    } = report;
    if args.json {
        println!(
            "{}",
            json!({
                "index": ctx.config.index.dir.display().to_string(),
                "indexed": indexed,
                "without_text": without_text,
                "failed": failed,
                "seconds": (seconds * 1000.0).round() / 1000.0,
                "notes": notes,
            })
        );
    } else {
        for n in &notes {
            let status = n["status"].as_str().unwrap_or("");
            let label = if status == "failed" { "failed" } else { "note" };
            println!(
                "{label} {}: {}",
                n["id"].as_str().unwrap_or(""),
                n["note"].as_str().unwrap_or("")
            );
        }
        let rate = if seconds > 0.0 {
            indexed as f64 / seconds
        } else {
            0.0
        };
        eprintln!(
            "indexed {indexed} record(s) in {seconds:.1} s ({rate:.0}/s) into {}; {without_text} without text, {failed} failed",
            ctx.config.index.dir.display()
        );
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
