//! `stele stats`: the signing rates per agency and month (issue 5 item 5), secret documents
//! excluded; the rule is in `stele_archive::stats`. A table by default, `--json`
//! (schemas/stats.schema.json) or `--csv`, and `--svg FILE` writes the chart the dashboard shows.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use stele_archive::stats::{Counts, Lang};
use stele_archive::{collect_facts, Dimension, SigningRates, StatsFilter, YearMonth};

use crate::context::{jobs_or_cpus, Context, GlobalArgs};
use crate::UsageError;

#[derive(Args)]
pub struct StatsArgs {
    /// Group by these, comma-separated: agency, month, year (`--by month`: the whole archive
    /// per month).
    #[arg(long, value_name = "DIMS", default_value = "agency,month")]
    by: String,
    /// Documents issued in this month or later (YYYY-MM).
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    from: Option<YearMonth>,
    /// Documents issued in this month or earlier (YYYY-MM).
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    to: Option<YearMonth>,
    /// Only this agency: its code (OrganId) or its name (OrganName), ignoring case.
    #[arg(long, value_name = "NAME")]
    agency: Option<String>,
    /// One JSON object (schemas/stats.schema.json).
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// CSV (RFC 4180, UTF-8): one line per row, header in English.
    #[arg(long)]
    csv: bool,
    /// Also write the chart (SVG) to this file.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// The chart's language: vi or en.
    #[arg(long, value_name = "LANG", default_value = "vi", value_parser = parse_lang)]
    lang: Lang,
    /// Records read at once [default: the number of CPUs].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

fn parse_month(s: &str) -> Result<YearMonth, String> {
    s.trim()
        .parse()
        .map_err(|e: stele_archive::StatsError| e.to_string())
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "vi" => Ok(Lang::Vi),
        "en" => Ok(Lang::En),
        _ => Err(format!("`{s}` is not a chart language: vi or en")),
    }
}

pub fn run(global: &GlobalArgs, args: StatsArgs) -> Result<ExitCode, UsageError> {
    let by = Dimension::parse_list(&args.by).map_err(|e| UsageError(format!("--by: {e}")))?;
    let filter = StatsFilter {
        from: args.from,
        to: args.to,
        agency: args.agency.clone(),
    };
    filter
        .check()
        .map_err(|e| UsageError(format!("--from/--to: {e}")))?;
    let ctx = Context::open(global)?;
    let facts = ctx
        .block_on(collect_facts(ctx.store(), jobs_or_cpus(args.jobs)))
        .map_err(|e| UsageError(format!("cannot compute the statistics: {e}")))?;
    let rates = SigningRates::compute(&facts, &by, &filter);
    drop(facts);

    if let Some(path) = &args.svg {
        let svg = rates.render_svg(args.lang.chart_title(), args.lang);
        stele_archive::write_atomically(path, svg.as_bytes())
            .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&rates)?);
    } else if args.csv {
        print!("{}", rates.to_csv());
    } else {
        print_table(&rates);
    }
    Ok(ExitCode::SUCCESS)
}

/// Columns as wide as the text looks: Vietnamese written decomposed (a base letter and
/// combining accents) takes one column per base letter.
fn width(s: &str) -> usize {
    s.chars()
        .filter(|c| {
            !matches!(*c as u32,
                0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
                | 0xFE20..=0xFE2F | 0x200B..=0x200F)
        })
        .count()
}

/// `s` cut to `max` columns with an ellipsis.
fn fit(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if width(&out) + width(&c.to_string()) > max.saturating_sub(1) {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn pad(s: &str, w: usize, right: bool) -> String {
    let fill = " ".repeat(w.saturating_sub(width(s)));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// A share as the table and the dashboard print it: `42.9%`, or a dash when nothing was issued.
pub(crate) fn percent(r: Option<f64>) -> String {
    r.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn print_table(rates: &SigningRates) {
    const AGENCY_MAX: usize = 48;
    let with = |d: Dimension| rates.by.contains(&d);
    let mut header: Vec<&str> = Vec::new();
    if with(Dimension::Agency) {
        header.push("agency");
    }
    if with(Dimension::Year) {
        header.push("year");
    }
    if with(Dimension::Month) {
        header.push("month");
    }
    let keys = header.len();
    header.extend([
        "issued",
        "personal",
        "organisation",
        "both",
        "none",
        "personal %",
        "organisation %",
        "both %",
    ]);
    let counts = |c: &Counts| -> Vec<String> {
        vec![
            c.issued.to_string(),
            c.personal.to_string(),
            c.organisation.to_string(),
            c.both.to_string(),
            c.none.to_string(),
            percent(c.personal_rate),
            percent(c.organisation_rate),
            percent(c.both_rate),
        ]
    };
    let mut lines: Vec<Vec<String>> = Vec::new();
    for r in &rates.rows {
        let mut line = Vec::new();
        if with(Dimension::Agency) {
            let name = r.agency.as_deref().unwrap_or("");
            line.push(fit(
                &match &r.agency_id {
                    Some(id) => format!("{name} ({id})"),
                    None => name.to_string(),
                },
                AGENCY_MAX,
            ));
        }
        if with(Dimension::Year) {
            line.push(r.year.map(|y| y.to_string()).unwrap_or_default());
        }
        if with(Dimension::Month) {
            line.push(r.month.map(|m| m.to_string()).unwrap_or_default());
        }
        line.extend(counts(&r.counts));
        lines.push(line);
    }
    if lines.is_empty() {
        println!("no documents issued (secret documents are not counted)");
        return;
    }
    let mut total = vec![String::new(); keys];
    total[0] = "total".into();
    total.extend(counts(&rates.total));
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            lines
                .iter()
                .chain([&total])
                .map(|l| width(&l[i]))
                .chain([width(header[i])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let show = |cells: &[String]| {
        let text: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| pad(c, widths[i], i >= keys))
            .collect();
        println!("{}", text.join("  ").trim_end());
    };
    show(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    show(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>());
    for l in &lines {
        show(l);
    }
    show(&total);
    println!(
        "\nSecret documents are not counted. A signature counts when it PASSED or was \
         INDETERMINATE at ingest and its certificate is a person's or an organisation's \
         (document timestamps excluded); --json states the whole rule."
    );
}
