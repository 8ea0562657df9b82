//! Signing-rate statistics (DESIGN.md §6; issue 5 item 5): per agency and month, how many
//! documents were issued, and how many of them carry a personal signature, an organisation
//! signature, both, or neither — the monthly indicator agencies are scored on (NĐ 30/2020 Điều 5
//! gives an official electronic document legal value with the signature of the competent person
//! *and* that of the agency).
//!
//! # What is counted
//!
//! - **Issued**: every archived record, in the month of its metadata `IssuedDate`, under its
//!   agency. The agency is the metadata `OrganId` when present (the identifier is what an agency
//!   is scored under; the name shown is the one its records use most, ties to the smallest), else
//!   the `OrganName` (NFC, trimmed). Records archived unsigned (`--allow-unsigned`) are issued
//!   documents without a signature.
//! - **Secret documents** (`Confidentiality` Mật, Tối mật, Tuyệt mật) are left out entirely, as
//!   the agencies report it: they are in no row, no total and no drill-down, and how many were
//!   left out is not shown either (a count per agency and month already tells something).
//! - **A signature counts** for its holder when, in the record's manifest, its ingest indication
//!   is PASSED or INDETERMINATE and its holder is `personal` or `organisation`
//!   ([`stele_sig::HolderKind`], decided from the certificate by
//!   [`stele_sig::certificate_holder`]); a holder `undetermined` counts for neither. FAILED never
//!   occurs in an archived record (ingest refuses any failed signature), and INDETERMINATE is
//!   counted because ingest accepted it (its reason is in the record's report). A PDF document
//!   timestamp is a time-stamp authority's token, not a signature of the document, and is not
//!   counted; neither is a certificate archived on its own. The kind of each signature is read
//!   from the record's stored signature report (the manifest's summary does not carry it) —
//!   only for records that have a signature that could count. Counter-signatures count.
//! - **Personal** / **organisation**: records with at least one counted signature of that holder;
//!   **both**: with at least one of each; **none**: with neither. So personal + organisation −
//!   both + none = issued.
//! - **Rates** are fractions of issued, rounded to 4 decimals; `null` when nothing was issued.
//! - The verdicts are those of ingest, as the manifest records them; `stele verify` judges a
//!   record again at any date.
//!
//! A manifest or signature report that cannot be read is an error naming the record, not a
//! record quietly left out: a published rate must cover every record or not be published.
//! (`stele audit` finds what is damaged.)

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fmt::Write as _;
use std::str::FromStr;

use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use stele_store::{RecordId, Store, StoreError};
use time::Date;
use unicode_normalization::UnicodeNormalization;

use crate::report_html::escape;
use crate::RecordManifest;

/// The counting rule in one paragraph, as `--json` and the dashboard state it.
pub const RULE: &str = "Issued: archived records by the month of their IssuedDate, under their \
OrganId (else OrganName). Secret records (Confidentiality Mật, Tối mật, Tuyệt mật) are excluded \
entirely and not counted anywhere. A signature counts when its ingest indication is PASSED or \
INDETERMINATE and its certificate holder is personal or organisation; PDF document timestamps \
do not count. personal/organisation: records with at least one such signature; both: with one of \
each; none: with neither (including unsigned records). Rates are fractions of issued, 4 decimals.";

/// Why statistics could not be computed, or a request for them is wrong.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    // Boxed: a store error is large, and every Result of this module carries the enum.
    #[error("listing the records: {0}")]
    List(#[source] Box<StoreError>),
    #[error("record {id}: {source}")]
    Store {
        id: String,
        #[source]
        source: Box<StoreError>,
    },
    #[error("record {id}: the manifest cannot be read: {reason}")]
    Manifest { id: String, reason: String },
    #[error("record {id}: the signature report cannot be read: {reason}")]
    Report { id: String, reason: String },
    #[error("`{0}` is not a dimension: use agency, month or year (e.g. agency,month)")]
    UnknownDimension(String),
    #[error("`{0}` is given twice")]
    RepeatedDimension(String),
    #[error("no dimension given: use agency, month or year (e.g. agency,month)")]
    NoDimension,
    #[error("`{0}` is not a month YYYY-MM")]
    BadMonth(String),
    #[error("the range is empty: from {from} is after to {to}")]
    EmptyRange { from: YearMonth, to: YearMonth },
}

/// A calendar month, written `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    pub year: i32,
    /// 1–12.
    pub month: u8,
}

impl YearMonth {
    pub fn of(date: Date) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: u8::from(date.month()),
        }
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for YearMonth {
    type Err = StatsError;

    /// Exactly `YYYY-MM`, year 0001–9999 (as `IssuedDate` can hold), month 01–12.
    fn from_str(s: &str) -> Result<Self, StatsError> {
        let bad = || StatsError::BadMonth(s.to_string());
        let b = s.as_bytes();
        if b.len() != 7
            || b[4] != b'-'
            || !b
                .iter()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit())
        {
            return Err(bad());
        }
        let year: i32 = s[..4].parse().map_err(|_| bad())?;
        let month: u8 = s[5..].parse().map_err(|_| bad())?;
        if year == 0 || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(YearMonth { year, month })
    }
}

impl Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What grouping a row stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Agency,
    Month,
    Year,
}

impl Dimension {
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Agency => "agency",
            Dimension::Month => "month",
            Dimension::Year => "year",
        }
    }

    /// A comma-separated list such as `agency,month` (the CLI's `--by`, the API's `by=`):
    /// at least one, each once.
    pub fn parse_list(text: &str) -> Result<Vec<Dimension>, StatsError> {
        let mut out = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let d = match part.to_ascii_lowercase().as_str() {
                "agency" => Dimension::Agency,
                "month" => Dimension::Month,
                "year" => Dimension::Year,
                _ => return Err(StatsError::UnknownDimension(part.to_string())),
            };
            if out.contains(&d) {
                return Err(StatsError::RepeatedDimension(part.to_string()));
            }
            out.push(d);
        }
        if out.is_empty() {
            return Err(StatsError::NoDimension);
        }
        Ok(out)
    }
}

/// The default grouping: per agency and month.
pub const DEFAULT_DIMENSIONS: [Dimension; 2] = [Dimension::Agency, Dimension::Month];

/// What the statistics need of one record, and what a drill-down row shows of it: a few dozen
/// bytes besides the agency's name, the number and the subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordFacts {
    pub id: String,
    /// Số, ký hiệu (`1500/QĐ-UBND`), when given.
    pub number_notation: Option<String>,
    /// Trích yếu. Secret records' facts are read too (to be left out), so this is only shown
    /// for records that are counted.
    pub subject: String,
    /// `OrganName`, NFC, trimmed.
    pub agency: String,
    /// `OrganId`, trimmed, when present.
    pub agency_id: Option<String>,
    #[serde(with = "iso_date")]
    pub issued_date: Date,
    pub secret: bool,
    /// At least one counted personal signature (see the module documentation).
    pub personal: bool,
    /// At least one counted organisation signature.
    pub organisation: bool,
}

mod iso_date {
    pub fn serialize<S: serde::Serializer>(d: &time::Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!(
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        ))
    }
}

impl RecordFacts {
    pub fn issued(&self) -> YearMonth {
        YearMonth::of(self.issued_date)
    }

    /// The facts of a record from its manifest; `kinds` are the signature kinds of its stored
    /// report in the manifest's order (`None`: not read, because no signature could count).
    pub fn from_manifest(m: &RecordManifest, kinds: Option<&[String]>) -> RecordFacts {
        let (mut personal, mut organisation) = (false, false);
        for (i, s) in m.validation.signatures.iter().enumerate() {
            if !signature_may_count(&s.indication) {
                continue;
            }
            let kind = kinds.and_then(|k| k.get(i)).map(String::as_str);
            if matches!(kind, Some(NOT_A_SIGNATURE_0 | NOT_A_SIGNATURE_1)) {
                continue;
            }
            match s.holder.as_deref() {
                Some("personal") => personal = true,
                Some("organisation") => organisation = true,
                _ => {}
            }
        }
        let meta = &m.metadata;
        RecordFacts {
            id: m.id.clone(),
            number_notation: meta.number_notation(),
            subject: meta.subject.clone(),
            agency: normalise(&meta.organ_name),
            agency_id: meta
                .organ_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            issued_date: meta.issued_date,
            secret: meta.confidentiality.is_secret(),
            personal,
            organisation,
        }
    }
}

/// Signature kinds (as the report serializes [`stele_sig::SignatureKind`]) that are not a
/// signature of the document.
const NOT_A_SIGNATURE_0: &str = "pdf_document_timestamp";
const NOT_A_SIGNATURE_1: &str = "certificate";

fn signature_may_count(indication: &str) -> bool {
    matches!(indication, "PASSED" | "INDETERMINATE")
}

/// Whether any signature of `m` could count, so that its report must be read for the kinds.
fn needs_kinds(m: &RecordManifest) -> bool {
    m.validation.signatures.iter().any(|s| {
        signature_may_count(&s.indication)
            && matches!(s.holder.as_deref(), Some("personal" | "organisation"))
    })
}

fn normalise(s: &str) -> String {
    s.trim().nfc().collect()
}

/// The report fields the statistics read; serde skips the rest.
#[derive(Deserialize)]
struct ReportKinds {
    signatures: Vec<KindOnly>,
}

#[derive(Deserialize)]
struct KindOnly {
    id: String,
    kind: String,
}

/// The facts of one stored record.
pub async fn record_facts(store: &Store, id: &RecordId) -> Result<RecordFacts, StatsError> {
    let bytes = store
        .get_manifest(id)
        .await
        .map_err(|source| StatsError::Store {
            id: id.to_string(),
            source: Box::new(source),
        })?;
    let manifest: RecordManifest =
        serde_json::from_slice(&bytes).map_err(|e| StatsError::Manifest {
            id: id.to_string(),
            reason: e.to_string(),
        })?;
    drop(bytes);
    manifest_facts(store, &manifest).await
}

/// The facts of a record whose manifest is in hand (one just ingested): only its signature
/// report is read, and only when a signature could count.
pub async fn manifest_facts(
    store: &Store,
    manifest: &RecordManifest,
) -> Result<RecordFacts, StatsError> {
    let id = &manifest.id;
    // A secret record is left out anyway: its report is not read.
    if manifest.metadata.confidentiality.is_secret() || !needs_kinds(manifest) {
        return Ok(RecordFacts::from_manifest(manifest, None));
    }
    let report = store
        .get_blob(&manifest.validation.report)
        .await
        .map_err(|source| StatsError::Store {
            id: id.to_string(),
            source: Box::new(source),
        })?;
    let report_err = |reason: String| StatsError::Report {
        id: id.to_string(),
        reason,
    };
    let kinds: ReportKinds =
        serde_json::from_slice(&report).map_err(|e| report_err(e.to_string()))?;
    // The manifest's summaries are the report's signatures in order: a mismatch is damage.
    let ids_agree = kinds.signatures.len() == manifest.validation.signatures.len()
        && kinds
            .signatures
            .iter()
            .zip(&manifest.validation.signatures)
            .all(|(k, s)| k.id == s.id);
    if !ids_agree {
        return Err(report_err(
            "its signatures do not match the manifest's".into(),
        ));
    }
    let kinds: Vec<String> = kinds.signatures.into_iter().map(|k| k.kind).collect();
    Ok(RecordFacts::from_manifest(manifest, Some(&kinds)))
}

/// The facts of every record in the store, reading `concurrency` records at once. Holds only
/// the facts, not the manifests. Any record that cannot be read is an error naming it.
pub async fn collect_facts(
    store: &Store,
    concurrency: usize,
) -> Result<Vec<RecordFacts>, StatsError> {
    store
        .list_records()
        .map_err(|e| StatsError::List(Box::new(e)))
        .map_ok(|id| async move { record_facts(store, &id).await })
        .try_buffer_unordered(concurrency.max(1))
        .try_collect()
        .await
}

/// Which records to count besides the secret exclusion: a month range and one agency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StatsFilter {
    pub from: Option<YearMonth>,
    pub to: Option<YearMonth>,
    /// An `OrganId` (exact, ignoring case) or an `OrganName` (ignoring case, NFC).
    pub agency: Option<String>,
}

impl StatsFilter {
    /// Checks the range is not empty.
    pub fn check(&self) -> Result<(), StatsError> {
        match (self.from, self.to) {
            (Some(from), Some(to)) if from > to => Err(StatsError::EmptyRange { from, to }),
            _ => Ok(()),
        }
    }

    /// Whether `f` is counted: never when secret.
    pub fn admits(&self, f: &RecordFacts) -> bool {
        if f.secret {
            return false;
        }
        let month = f.issued();
        if self.from.is_some_and(|from| month < from) || self.to.is_some_and(|to| month > to) {
            return false;
        }
        match self.agency.as_deref().map(str::trim) {
            None | Some("") => true,
            Some(a) => {
                f.agency_id
                    .as_deref()
                    .is_some_and(|id| id.eq_ignore_ascii_case(a))
                    || normalise(a).to_lowercase() == f.agency.to_lowercase()
            }
        }
    }
}

/// Counts and rates of one row (or of the total).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Counts {
    pub issued: u64,
    pub personal: u64,
    pub organisation: u64,
    pub both: u64,
    pub none: u64,
    pub personal_rate: Option<f64>,
    pub organisation_rate: Option<f64>,
    pub both_rate: Option<f64>,
}

impl Counts {
    fn add(&mut self, f: &RecordFacts) {
        self.issued += 1;
        self.personal += u64::from(f.personal);
        self.organisation += u64::from(f.organisation);
        self.both += u64::from(f.personal && f.organisation);
        self.none += u64::from(!f.personal && !f.organisation);
    }

    fn finish(&mut self) {
        let rate = |n: u64| {
            (self.issued > 0)
                .then(|| ((n as f64 / self.issued as f64) * 10_000.0).round() / 10_000.0)
        };
        self.personal_rate = rate(self.personal);
        self.organisation_rate = rate(self.organisation);
        self.both_rate = rate(self.both);
    }
}

/// One row: the group it stands for (fields of dimensions not asked for are `None`) and its
/// counts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RateRow {
    pub agency: Option<String>,
    pub agency_id: Option<String>,
    pub month: Option<YearMonth>,
    pub year: Option<i32>,
    #[serde(flatten)]
    pub counts: Counts,
}

impl RateRow {
    /// Whether `f` belongs to this row (the drill-down); the filter is applied separately.
    pub fn contains(&self, f: &RecordFacts) -> bool {
        let agency_ok = match (&self.agency, &self.agency_id) {
            (None, _) => true,
            (Some(_), Some(id)) => f.agency_id.as_deref() == Some(id.as_str()),
            (Some(name), None) => f.agency_id.is_none() && f.agency == *name,
        };
        agency_ok
            && self.month.is_none_or(|m| f.issued() == m)
            && self.year.is_none_or(|y| f.issued_date.year() == y)
    }
}

/// The signing rates: one row per group, sorted by agency, then period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SigningRates {
    pub by: Vec<Dimension>,
    pub filter: StatsFilter,
    /// How records and signatures are counted ([`RULE`]).
    pub rule: &'static str,
    pub rows: Vec<RateRow>,
    /// Over every counted record.
    pub total: Counts,
}

/// Agency grouping key: the OrganId when present, else the name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum AgencyKey {
    Id(String),
    Name(String),
}

fn agency_key(f: &RecordFacts) -> AgencyKey {
    match &f.agency_id {
        Some(id) => AgencyKey::Id(id.clone()),
        None => AgencyKey::Name(f.agency.clone()),
    }
}

impl SigningRates {
    /// Counts the records `filter` admits (never a secret one), grouped by `by` (empty: the
    /// default, agency and month).
    pub fn compute(facts: &[RecordFacts], by: &[Dimension], filter: &StatsFilter) -> SigningRates {
        let by: Vec<Dimension> = if by.is_empty() {
            DEFAULT_DIMENSIONS.to_vec()
        } else {
            by.to_vec()
        };
        let with = |d: Dimension| by.contains(&d);
        let admitted = || facts.iter().filter(|f| filter.admits(f));

        // The name shown for an OrganId: the one its records use most, ties to the smallest.
        let mut names: HashMap<&str, BTreeMap<&str, u64>> = HashMap::new();
        for f in admitted() {
            if let Some(id) = &f.agency_id {
                *names.entry(id).or_default().entry(&f.agency).or_default() += 1;
            }
        }
        let shown_name = |key: &AgencyKey| -> String {
            match key {
                AgencyKey::Name(n) => n.clone(),
                AgencyKey::Id(id) => names
                    .get(id.as_str())
                    .and_then(|m| {
                        // max_by_key keeps the last maximum; iterate reversed for the smallest.
                        m.iter()
                            .rev()
                            .max_by_key(|(_, c)| **c)
                            .map(|(n, _)| n.to_string())
                    })
                    .unwrap_or_default(),
            }
        };

        type Key = (Option<AgencyKey>, Option<YearMonth>, Option<i32>);
        let mut groups: HashMap<Key, Counts> = HashMap::new();
        let mut total = Counts::default();
        for f in admitted() {
            let key = (
                with(Dimension::Agency).then(|| agency_key(f)),
                with(Dimension::Month).then(|| f.issued()),
                with(Dimension::Year).then(|| f.issued_date.year()),
            );
            groups.entry(key).or_default().add(f);
            total.add(f);
        }
        total.finish();
        let mut rows: Vec<RateRow> = groups
            .into_iter()
            .map(|((agency, month, year), mut counts)| {
                counts.finish();
                RateRow {
                    agency: agency.as_ref().map(shown_name),
                    agency_id: match agency {
                        Some(AgencyKey::Id(id)) => Some(id),
                        _ => None,
                    },
                    month,
                    year,
                    counts,
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            (&a.agency, &a.agency_id, a.year, a.month).cmp(&(
                &b.agency,
                &b.agency_id,
                b.year,
                b.month,
            ))
        });
        SigningRates {
            by,
            filter: filter.clone(),
            rule: RULE,
            rows,
            total,
        }
    }

    /// The records behind `row` (the drill-down), in issue-date order then id; never a secret
    /// one.
    pub fn records<'a>(&self, facts: &'a [RecordFacts], row: &RateRow) -> Vec<&'a RecordFacts> {
        let mut out: Vec<&RecordFacts> = facts
            .iter()
            .filter(|f| self.filter.admits(f) && row.contains(f))
            .collect();
        out.sort_by(|a, b| (a.issued_date, &a.id).cmp(&(b.issued_date, &b.id)));
        out
    }

    /// The rows as CSV (RFC 4180: CRLF, fields quoted when they hold a comma, quote or line
    /// break; UTF-8 without BOM). Every column always, empty where a dimension was not asked
    /// for, and an empty rate where nothing was issued.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "agency,agency_id,month,year,issued,personal,organisation,both,none,\
             personal_rate,organisation_rate,both_rate\r\n",
        );
        for r in &self.rows {
            let c = &r.counts;
            let rate = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_default();
            let fields = [
                csv_text(r.agency.as_deref().unwrap_or("")),
                csv_text(r.agency_id.as_deref().unwrap_or("")),
                r.month.map(|m| m.to_string()).unwrap_or_default(),
                r.year.map(|y| y.to_string()).unwrap_or_default(),
                c.issued.to_string(),
                c.personal.to_string(),
                c.organisation.to_string(),
                c.both.to_string(),
                c.none.to_string(),
                rate(c.personal_rate),
                rate(c.organisation_rate),
                rate(c.both_rate),
            ];
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        }
        out
    }

    /// A self-contained SVG chart (no script, no external resource): for each agency shown, a
    /// panel with, per period, three bars — the shares with a personal signature, with an
    /// organisation signature, with both — labelled in percent, and the number issued under
    /// each period. At most [`CHART_PERIODS`] most recent periods and the [`CHART_AGENCIES`]
    /// agencies with most documents in them; the chart says when it shows less. All text is
    /// escaped (agency names are the archive's input, not Stele's).
    pub fn render_svg(&self, title: &str, lang: Lang) -> String {
        svg::render(self, title, lang)
    }
}

/// The language of the chart's labels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// The chart's title, as `stele stats --svg` and the dashboard draw it.
    pub fn chart_title(self) -> &'static str {
        match self {
            Lang::Vi => "Tỷ lệ văn bản ký số",
            Lang::En => "Digital signing rates",
        }
    }
}

/// Most periods a chart shows (the most recent).
pub const CHART_PERIODS: usize = 12;
/// Most agency panels a chart shows (those with most documents in the periods shown).
pub const CHART_AGENCIES: usize = 6;

/// RFC 4180 quoting, and a leading `'` before `= + - @` (and tab, CR) so that a spreadsheet does
/// not run an agency name as a formula (CSV injection): the names are the archive's input.
fn csv_text(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

mod svg {
    use super::*;

    const WIDTH: f64 = 960.0;
    const LEFT: f64 = 60.0;
    const RIGHT: f64 = 20.0;
    const HEADER: f64 = 96.0;
    const PANEL: f64 = 220.0;
    const FOOTER: f64 = 44.0;
    const PLOT_TOP: f64 = 30.0;
    const PLOT_HEIGHT: f64 = 140.0;
    const NAME_CHARS: usize = 100;
    const COLORS: [&str; 3] = ["#4e79a7", "#f28e2b", "#59a14f"];

    struct Words {
        series: [&'static str; 3],
        whole_archive: &'static str,
        all_periods: &'static str,
        no_data: &'static str,
        subtitle: &'static str,
        issued: &'static str,
        periods_cut: fn(usize, usize) -> String,
        agencies_cut: fn(usize, usize) -> String,
        lang: &'static str,
    }

    const VI: Words = Words {
        series: ["Chữ ký cá nhân", "Chữ ký cơ quan, tổ chức", "Cả hai"],
        whole_archive: "Toàn bộ kho lưu trữ",
        all_periods: "Tất cả",
        no_data: "Không có số liệu.",
        subtitle: "Tỷ lệ văn bản có chữ ký số theo số văn bản ban hành; không tính văn bản mật.",
        issued: "VB",
        periods_cut: |shown, all| format!("Chỉ hiển thị {shown}/{all} kỳ gần nhất."),
        agencies_cut: |shown, all| {
            format!("Chỉ hiển thị {shown}/{all} cơ quan có nhiều văn bản nhất.")
        },
        lang: "vi",
    };

    const EN: Words = Words {
        series: ["Personal signature", "Organisation signature", "Both"],
        whole_archive: "Whole archive",
        all_periods: "All",
        no_data: "No data.",
        subtitle: "Share of issued documents with a digital signature; secret documents excluded.",
        issued: "docs",
        periods_cut: |shown, all| format!("Showing the {shown} most recent of {all} periods."),
        agencies_cut: |shown, all| {
            format!("Showing the {shown} of {all} agencies with most documents.")
        },
        lang: "en",
    };

    /// A period on the x axis: a month, a year, or all.
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    enum Period {
        All,
        Year(i32),
        Month(YearMonth),
    }

    fn period(r: &RateRow) -> Period {
        match (r.month, r.year) {
            (Some(m), _) => Period::Month(m),
            (None, Some(y)) => Period::Year(y),
            (None, None) => Period::All,
        }
    }

    fn label(p: Period, w: &Words) -> String {
        match p {
            Period::All => w.all_periods.to_string(),
            Period::Year(y) => y.to_string(),
            Period::Month(m) => format!("{:02}/{:04}", m.month, m.year),
        }
    }

    fn truncate(s: &str, max: usize) -> String {
        if s.chars().count() <= max {
            s.to_string()
        } else {
            let mut t: String = s.chars().take(max - 1).collect();
            t.push('…');
            t
        }
    }

    fn pct(x: Option<f64>) -> String {
        x.map(|v| format!("{:.0}%", v * 100.0)).unwrap_or_default()
    }

    pub(super) fn render(rates: &SigningRates, title: &str, lang: Lang) -> String {
        let w = match lang {
            Lang::Vi => &VI,
            Lang::En => &EN,
        };
        // Periods: the most recent CHART_PERIODS.
        let mut periods: Vec<Period> = rates.rows.iter().map(period).collect();
        periods.sort();
        periods.dedup();
        let all_periods = periods.len();
        let periods: Vec<Period> = periods.split_off(all_periods.saturating_sub(CHART_PERIODS));

        // Panels: per agency (None: the rows are archive-wide), keyed by (name, id).
        // Per (agency name, agency id): documents in the periods shown, and the cells.
        type Panel = (Option<String>, Option<String>);
        type Cells<'a> = (u64, BTreeMap<Period, &'a Counts>);
        let mut panels: BTreeMap<Panel, Cells<'_>> = BTreeMap::new();
        for r in &rates.rows {
            let p = period(r);
            if !periods.contains(&p) {
                continue;
            }
            let e = panels
                .entry((r.agency.clone(), r.agency_id.clone()))
                .or_default();
            e.0 += r.counts.issued;
            e.1.insert(p, &r.counts);
        }
        let all_panels = panels.len();
        let mut panels: Vec<(Panel, Cells<'_>)> = panels.into_iter().collect();
        // Most documents first; stable, so equal ones stay by name.
        panels.sort_by_key(|p| std::cmp::Reverse(p.1 .0));
        panels.truncate(CHART_AGENCIES);

        let mut notes = Vec::new();
        if all_periods > periods.len() {
            notes.push((w.periods_cut)(periods.len(), all_periods));
        }
        if all_panels > panels.len() {
            notes.push((w.agencies_cut)(panels.len(), all_panels));
        }
        let body_height = if panels.is_empty() {
            60.0
        } else {
            PANEL * panels.len() as f64
        };
        let height = HEADER + body_height + FOOTER;

        let mut s = String::new();
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" \
             width=\"{WIDTH}\" height=\"{height}\" role=\"img\" aria-labelledby=\"title\" \
             xml:lang=\"{}\" font-family=\"'Noto Sans','DejaVu Sans',Arial,sans-serif\" \
             font-size=\"12\" fill=\"#1b1b1b\">",
            w.lang
        );
        let _ = write!(
            s,
            "<title id=\"title\">{}</title>\
             <rect x=\"0\" y=\"0\" width=\"{WIDTH}\" height=\"{height}\" fill=\"#ffffff\"/>\
             <text x=\"{LEFT}\" y=\"28\" font-size=\"18\" font-weight=\"bold\">{}</text>\
             <text x=\"{LEFT}\" y=\"48\" fill=\"#555555\">{}</text>",
            escape(title),
            escape(&truncate(title, NAME_CHARS)),
            escape(w.subtitle)
        );
        // Legend.
        let mut x = LEFT;
        for (name, color) in w.series.iter().zip(COLORS) {
            let _ = write!(
                s,
                "<rect x=\"{x}\" y=\"62\" width=\"14\" height=\"14\" fill=\"{color}\"/>\
                 <text x=\"{}\" y=\"74\">{}</text>",
                x + 20.0,
                escape(name)
            );
            x += 40.0 + 8.0 * name.chars().count() as f64;
        }
        if panels.is_empty() {
            let _ = write!(
                s,
                "<text x=\"{LEFT}\" y=\"{}\" font-size=\"14\">{}</text>",
                HEADER + 30.0,
                escape(w.no_data)
            );
        }
        let plot_width = WIDTH - LEFT - RIGHT;
        let group = plot_width / periods.len().max(1) as f64;
        let bar = (group * 0.8 / 3.0).min(40.0);
        for (i, ((name, id), (_, cells))) in panels.iter().enumerate() {
            let top = HEADER + PANEL * i as f64;
            let heading = match (name, id) {
                (None, _) => w.whole_archive.to_string(),
                (Some(n), Some(id)) => format!("{} ({id})", truncate(n, NAME_CHARS)),
                (Some(n), None) => truncate(n, NAME_CHARS),
            };
            let _ = write!(
                s,
                "<text x=\"{LEFT}\" y=\"{}\" font-size=\"14\" font-weight=\"bold\">{}</text>",
                top + 16.0,
                escape(&truncate(&heading, NAME_CHARS + 20))
            );
            let plot_top = top + PLOT_TOP;
            let base = plot_top + PLOT_HEIGHT;
            // Grid and y axis labels every 25 %.
            for step in 0..=4 {
                let y = base - PLOT_HEIGHT * step as f64 / 4.0;
                let _ = write!(
                    s,
                    "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{}\" stroke-width=\"1\"/>\
                     <text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"10\" fill=\"#555555\">{}%</text>",
                    WIDTH - RIGHT,
                    if step == 0 { "#888888" } else { "#e3e3e3" },
                    LEFT - 6.0,
                    y + 3.5,
                    step * 25
                );
            }
            for (j, p) in periods.iter().enumerate() {
                let gx = LEFT + group * j as f64;
                let center = gx + group / 2.0;
                let _ = write!(
                    s,
                    "<text x=\"{center}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
                    base + 15.0,
                    escape(&label(*p, w))
                );
                let Some(c) = cells.get(p) else { continue };
                let _ = write!(
                    s,
                    "<text x=\"{center}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555555\">{} {}</text>",
                    base + 28.0,
                    c.issued,
                    w.issued
                );
                let first = center - bar * 1.5;
                for (k, (rate, color)) in [c.personal_rate, c.organisation_rate, c.both_rate]
                    .into_iter()
                    .zip(COLORS)
                    .enumerate()
                {
                    let v = rate.unwrap_or(0.0).clamp(0.0, 1.0);
                    let h = PLOT_HEIGHT * v;
                    let bx = first + bar * k as f64;
                    let _ = write!(
                        s,
                        "<rect x=\"{bx:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{color}\">\
                         <title>{}: {}</title></rect>\
                         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"8\">{}</text>",
                        base - h,
                        bar - 1.0,
                        escape(w.series[k]),
                        pct(rate),
                        bx + bar / 2.0,
                        base - h - 3.0,
                        pct(rate)
                    );
                }
            }
        }
        let foot = HEADER + body_height + 24.0;
        let _ = write!(
            s,
            "<text x=\"{LEFT}\" y=\"{foot}\" font-size=\"11\" fill=\"#555555\">{}</text></svg>",
            escape(&notes.join(" "))
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestValidation, RecordFile, SignatureSummary};
    use crate::{AccessMode, Confidentiality, RecordMetadata, Retention};
    use bytes::Bytes;
    use stele_store::BlobRef;
    use time::macros::{date, datetime};

    fn facts(
        id: &str,
        agency: &str,
        agency_id: Option<&str>,
        issued_date: Date,
        signed: (bool, bool),
        secret: bool,
    ) -> RecordFacts {
        RecordFacts {
            id: id.into(),
            number_notation: None,
            subject: String::new(),
            agency: agency.into(),
            agency_id: agency_id.map(str::to_string),
            issued_date,
            secret,
            personal: signed.0,
            organisation: signed.1,
        }
    }

    const HG: &str = "Ủy ban nhân dân tỉnh Hà Giang";
    const TP: &str = "Sở Tư pháp, \"tỉnh\" Cao Bằng";

    /// Hà Giang (H12): March personal, organisation, both, none; April both ×2, personal.
    /// Cao Bằng justice (no id): March organisation. Secret: Hà Giang March (both) and a
    /// May record of an agency that has nothing else.
    fn sample() -> Vec<RecordFacts> {
        vec![
            facts(
                "a1",
                HG,
                Some("H12"),
                date!(2026 - 03 - 02),
                (true, false),
                false,
            ),
            facts(
                "a2",
                HG,
                Some("H12"),
                date!(2026 - 03 - 10),
                (false, true),
                false,
            ),
            facts(
                "a3",
                HG,
                Some("H12"),
                date!(2026 - 03 - 31),
                (true, true),
                false,
            ),
            facts(
                "a4",
                HG,
                Some("H12"),
                date!(2026 - 03 - 15),
                (false, false),
                false,
            ),
            facts(
                "a5",
                HG,
                Some("H12"),
                date!(2026 - 04 - 01),
                (true, true),
                false,
            ),
            facts(
                "a6",
                HG,
                Some("H12"),
                date!(2026 - 04 - 02),
                (true, true),
                false,
            ),
            facts(
                "a7",
                HG,
                Some("H12"),
                date!(2026 - 04 - 30),
                (true, false),
                false,
            ),
            facts("b1", TP, None, date!(2026 - 03 - 05), (false, true), false),
            facts(
                "s1",
                HG,
                Some("H12"),
                date!(2026 - 03 - 20),
                (true, true),
                true,
            ),
            facts(
                "s2",
                "Công an tỉnh",
                Some("CA"),
                date!(2026 - 05 - 01),
                (true, true),
                true,
            ),
        ]
    }

    #[test]
    fn counts_and_rates_per_agency_and_month() {
        let r = SigningRates::compute(&sample(), &[], &StatsFilter::default());
        assert_eq!(r.by, DEFAULT_DIMENSIONS.to_vec());
        let keys: Vec<(Option<&str>, Option<String>)> = r
            .rows
            .iter()
            .map(|row| (row.agency.as_deref(), row.month.map(|m| m.to_string())))
            .collect();
        assert_eq!(
            keys,
            [
                (Some(TP), Some("2026-03".to_string())),
                (Some(HG), Some("2026-03".to_string())),
                (Some(HG), Some("2026-04".to_string())),
            ]
        );
        let march = &r.rows[1].counts;
        assert_eq!(
            (
                march.issued,
                march.personal,
                march.organisation,
                march.both,
                march.none
            ),
            (4, 2, 2, 1, 1)
        );
        assert_eq!(march.personal_rate, Some(0.5));
        assert_eq!(march.both_rate, Some(0.25));
        let april = &r.rows[2].counts;
        assert_eq!((april.issued, april.personal, april.both), (3, 3, 2));
        // 2/3, rounded to 4 decimals.
        assert_eq!(april.both_rate, Some(0.6667));
        assert_eq!(april.organisation_rate, Some(0.6667));
        assert_eq!(r.rows[2].agency_id.as_deref(), Some("H12"));
        assert_eq!(r.total.issued, 8);
        assert_eq!(r.total.both, 3);
    }

    #[test]
    fn secret_records_are_nowhere() {
        let all = sample();
        let r = SigningRates::compute(&all, &[Dimension::Agency], &StatsFilter::default());
        // The May secret record's agency has no row, and no count of excluded records exists.
        assert!(r
            .rows
            .iter()
            .all(|row| row.agency_id.as_deref() != Some("CA")));
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("Công an"), "{json}");
        assert!(!json.contains("secret"), "{json}");
        let hg = r
            .rows
            .iter()
            .find(|row| row.agency_id.as_deref() == Some("H12"))
            .unwrap();
        assert_eq!(hg.counts.issued, 7);
        // The drill-down lists the counted records only.
        let ids: Vec<&str> = r.records(&all, hg).iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["a1", "a2", "a4", "a3", "a5", "a6", "a7"]);
        // Even when asked for by name or by month.
        let only = StatsFilter {
            agency: Some("ca".into()),
            ..StatsFilter::default()
        };
        let r = SigningRates::compute(&all, &[Dimension::Month], &only);
        assert!(r.rows.is_empty());
        assert_eq!(r.total.issued, 0);
        assert_eq!(r.total.both_rate, None);
    }

    #[test]
    fn by_month_sums_the_agencies_and_filters_apply() {
        let all = sample();
        let by_month = SigningRates::compute(&all, &[Dimension::Month], &StatsFilter::default());
        let march = &by_month.rows[0];
        assert_eq!(
            (march.agency.as_deref(), march.month.unwrap().to_string()),
            (None, "2026-03".into())
        );
        assert_eq!((march.counts.issued, march.counts.organisation), (5, 3));
        let by_year = SigningRates::compute(&all, &[Dimension::Year], &StatsFilter::default());
        assert_eq!(by_year.rows.len(), 1);
        assert_eq!(
            (by_year.rows[0].year, by_year.rows[0].counts.issued),
            (Some(2026), 8)
        );

        let april_on = StatsFilter {
            from: Some("2026-04".parse().unwrap()),
            ..StatsFilter::default()
        };
        let r = SigningRates::compute(&all, &[], &april_on);
        assert_eq!(r.rows.len(), 1);
        assert_eq!(r.total.issued, 3);
        let by_name = StatsFilter {
            agency: Some("sở tư pháp, \"TỈNH\" cao bằng".into()),
            to: Some("2026-03".parse().unwrap()),
            ..StatsFilter::default()
        };
        assert_eq!(SigningRates::compute(&all, &[], &by_name).total.issued, 1);
        let by_id = StatsFilter {
            agency: Some("h12".into()),
            ..StatsFilter::default()
        };
        assert_eq!(SigningRates::compute(&all, &[], &by_id).total.issued, 7);
        let backwards = StatsFilter {
            from: Some("2026-05".parse().unwrap()),
            to: Some("2026-04".parse().unwrap()),
            agency: None,
        };
        assert!(matches!(
            backwards.check(),
            Err(StatsError::EmptyRange { .. })
        ));
    }

    #[test]
    fn an_organ_id_groups_under_its_most_used_name() {
        let mut all = sample();
        all.push(facts(
            "a8",
            "UBND tỉnh Hà Giang",
            Some("H12"),
            date!(2026 - 03 - 03),
            (true, true),
            false,
        ));
        let r = SigningRates::compute(&all, &[Dimension::Agency], &StatsFilter::default());
        assert_eq!(r.rows.len(), 2);
        let hg = r.rows.iter().find(|row| row.agency_id.is_some()).unwrap();
        assert_eq!((hg.agency.as_deref(), hg.counts.issued), (Some(HG), 8));
    }

    #[test]
    fn dimensions_and_months_parse_strictly() {
        assert_eq!(
            Dimension::parse_list(" agency , Month").unwrap(),
            [Dimension::Agency, Dimension::Month]
        );
        assert!(
            matches!(Dimension::parse_list("agency,week"), Err(StatsError::UnknownDimension(d)) if d == "week")
        );
        assert!(matches!(
            Dimension::parse_list("month,month"),
            Err(StatsError::RepeatedDimension(_))
        ));
        assert!(matches!(
            Dimension::parse_list(" , "),
            Err(StatsError::NoDimension)
        ));
        assert_eq!(
            "2026-03".parse::<YearMonth>().unwrap(),
            YearMonth {
                year: 2026,
                month: 3
            }
        );
        for bad in [
            "2026-13",
            "2026-3",
            "26-03",
            "2026/03",
            "0000-01",
            "+026-03",
            "2026-03-01",
            "",
        ] {
            assert!(bad.parse::<YearMonth>().is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_quotes_names_and_stops_formulas() {
        let mut all = sample();
        all.push(facts(
            "c1",
            "=HYPERLINK(\"x\")",
            None,
            date!(2026 - 03 - 01),
            (false, false),
            false,
        ));
        let r = SigningRates::compute(&all, &[], &StatsFilter::default());
        let csv = r.to_csv();
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "agency,agency_id,month,year,issued,personal,organisation,both,none,personal_rate,organisation_rate,both_rate"
        );
        assert!(
            lines.contains(
                &"\"Sở Tư pháp, \"\"tỉnh\"\" Cao Bằng\",,2026-03,,1,0,1,0,0,0.0000,1.0000,0.0000"
            ),
            "{csv}"
        );
        assert!(
            lines.contains(
                &"Ủy ban nhân dân tỉnh Hà Giang,H12,2026-04,,3,3,2,2,0,1.0000,0.6667,0.6667"
            ),
            "{csv}"
        );
        assert!(
            lines.contains(&"\"'=HYPERLINK(\"\"x\"\")\",,2026-03,,1,0,0,0,1,0.0000,0.0000,0.0000"),
            "{csv}"
        );
        assert_eq!(lines.last(), Some(&""));
        assert_eq!(lines.len(), r.rows.len() + 2);
    }

    #[test]
    fn svg_escapes_names_and_is_xml() {
        let mut all = sample();
        let evil = "<script>alert(1)</script> & \"Sở\"";
        all.push(facts(
            "e1",
            evil,
            None,
            date!(2026 - 02 - 01),
            (true, false),
            false,
        ));
        let r = SigningRates::compute(&all, &[], &StatsFilter::default());
        for lang in [Lang::Vi, Lang::En] {
            let svg = r.render_svg("Tỷ lệ ký số <2026>", lang);
            assert!(!svg.contains("<script"), "{svg}");
            assert!(!svg.to_lowercase().contains("<style"), "{svg}");
            let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
            let root = doc.root_element();
            assert_eq!(root.tag_name().name(), "svg");
            assert!(root.attribute("viewBox").is_some());
            let text: String = doc.descendants().filter_map(|n| n.text()).collect();
            assert!(text.contains(evil), "{text}");
            assert!(text.contains("Tỷ lệ ký số <2026>"));
            assert!(text.contains(if lang == Lang::Vi { "Cả hai" } else { "Both" }));
            assert!(text.contains("67%"), "{text}");
            assert!(text.contains(HG));
        }
    }

    #[test]
    fn svg_shows_at_most_twelve_months_and_six_agencies_and_says_so() {
        let mut all = Vec::new();
        for a in 0..8 {
            for m in 1..=12u8 {
                for y in [2025, 2026] {
                    let d =
                        Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), 1).unwrap();
                    // Agency 7 issues most, agency 0 least.
                    for n in 0..=a {
                        all.push(facts(
                            &format!("{a}-{y}-{m}-{n}"),
                            &format!("Cơ quan {a}"),
                            None,
                            d,
                            (n % 2 == 0, true),
                            false,
                        ));
                    }
                }
            }
        }
        let r = SigningRates::compute(&all, &[], &StatsFilter::default());
        assert_eq!(r.rows.len(), 8 * 24);
        let svg = r.render_svg("x", Lang::Vi);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let text: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
        let all_text = text.concat();
        assert!(
            all_text.contains("Chỉ hiển thị 12/24 kỳ gần nhất."),
            "{all_text}"
        );
        assert!(all_text.contains("Chỉ hiển thị 6/8 cơ quan"), "{all_text}");
        assert!(all_text.contains("Cơ quan 7") && all_text.contains("Cơ quan 2"));
        assert!(!all_text.contains("Cơ quan 1") && !all_text.contains("Cơ quan 0"));
        assert!(all_text.contains("01/2026") && !all_text.contains("12/2025"));
        let bars = doc.descendants().filter(|n| n.has_tag_name("rect")).count();
        // Background, three legend swatches, 6 panels × 12 months × 3 bars.
        assert_eq!(bars, 1 + 3 + 6 * 12 * 3);
        // Empty: still a chart, saying there is nothing.
        let empty =
            SigningRates::compute(&[], &[], &StatsFilter::default()).render_svg("x", Lang::En);
        assert!(roxmltree::Document::parse(&empty).is_ok());
        assert!(empty.contains("No data."));
    }

    fn signature(id: &str, indication: &str, holder: Option<&str>) -> SignatureSummary {
        SignatureSummary {
            id: id.into(),
            indication: indication.into(),
            sub_indication: None,
            signer: None,
            holder: holder.map(str::to_string),
            proven_time: None,
        }
    }

    fn manifest(
        signatures: Vec<SignatureSummary>,
        report: BlobRef,
        secret: bool,
    ) -> RecordManifest {
        let blob = BlobRef::of(format!("{signatures:?}{secret}").as_bytes());
        RecordManifest {
            record: RecordManifest::FORMAT.into(),
            id: blob.hex(),
            ingested_at: datetime!(2026-03-02 09:00 UTC),
            files: vec![RecordFile {
                name: "qd.pdf".into(),
                role: "original".into(),
                blob,
            }],
            validation: IngestValidation {
                indication: "PASSED".into(),
                summary: String::new(),
                validation_time: datetime!(2026-03-02 09:00 UTC),
                signatures,
                report,
            },
            material: Vec::new(),
            metadata: RecordMetadata {
                organ_id: Some(" H12 ".into()),
                file_catalog: None,
                file_notation: None,
                doc_ordinal: None,
                type_name: None,
                code_number: None,
                code_notation: None,
                issued_date: date!(2026 - 03 - 01),
                // Decomposed: the facts hold NFC.
                organ_name: " Ủy ban nhân dân tỉnh Hà Giang".nfd().collect(),
                subject: "Về việc".into(),
                language: None,
                page_amount: None,
                description: None,
                signer_info: Vec::new(),
                to: Vec::new(),
                priority: None,
                issued_amount: None,
                due_date: None,
                confidentiality: if secret {
                    Confidentiality::Mat
                } else {
                    Confidentiality::None
                },
                retention: Retention::Permanent,
                access_mode: if secret {
                    AccessMode::Secret
                } else {
                    AccessMode::Public
                },
            },
            metadata_blob: blob,
            data_objects: vec![blob],
        }
    }

    #[test]
    fn which_signatures_count() {
        let kinds = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let report = BlobRef::of(b"r");
        // INDETERMINATE personal counts; undetermined does not; a document timestamp by an
        // organisation-looking TSA does not.
        let m = manifest(
            vec![
                signature("Sig1", "INDETERMINATE", Some("personal")),
                signature("Sig2", "PASSED", Some("undetermined")),
                signature("TS", "PASSED", Some("organisation")),
            ],
            report,
            false,
        );
        let f = RecordFacts::from_manifest(
            &m,
            Some(&kinds(&[
                "pdf_signature",
                "pdf_signature",
                "pdf_document_timestamp",
            ])),
        );
        assert_eq!((f.personal, f.organisation), (true, false));
        assert_eq!(f.agency, "Ủy ban nhân dân tỉnh Hà Giang");
        assert_eq!(f.agency_id.as_deref(), Some("H12"));
        // A counter-signature by the organisation counts; FAILED (never archived) does not.
        let m = manifest(
            vec![
                signature("signer 1", "FAILED", Some("personal")),
                signature(
                    "signer 1 / counter-signature 1",
                    "PASSED",
                    Some("organisation"),
                ),
            ],
            report,
            false,
        );
        let f =
            RecordFacts::from_manifest(&m, Some(&kinds(&["cms_enveloping", "counter_signature"])));
        assert_eq!((f.personal, f.organisation), (false, true));
        // Unsigned.
        let f = RecordFacts::from_manifest(&manifest(Vec::new(), report, false), None);
        assert_eq!(
            (f.personal, f.organisation, f.secret),
            (false, false, false)
        );
    }

    #[tokio::test]
    async fn facts_are_read_from_the_store() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path().to_str().unwrap(), &Default::default()).unwrap();
        let put = |bytes: Vec<u8>| {
            let store = store.clone();
            async move { store.put_blob(Bytes::from(bytes)).await.unwrap() }
        };
        let report = put(serde_json::json!({"signatures": [
            {"id": "Sig1", "kind": "pdf_signature", "indication": "PASSED"},
            {"id": "TS", "kind": "pdf_document_timestamp", "indication": "PASSED"}
        ]})
        .to_string()
        .into_bytes())
        .await;
        let mut ids = Vec::new();
        for (sigs, secret) in [
            (
                vec![
                    signature("Sig1", "PASSED", Some("personal")),
                    signature("TS", "PASSED", Some("organisation")),
                ],
                false,
            ),
            (vec![signature("Sig1", "PASSED", Some("personal"))], true),
            (Vec::new(), false),
        ] {
            let mut m = manifest(sigs, report, secret);
            for b in [&m.files[0].blob] {
                assert_eq!(
                    put(format!("{:?}{secret}", m.validation.signatures).into_bytes()).await,
                    *b
                );
            }
            m.data_objects = vec![m.files[0].blob, report];
            let id = RecordId::new(m.id.clone()).unwrap();
            store
                .create_manifest(
                    &id,
                    Bytes::from(serde_json::to_vec(&m).unwrap()),
                    &m.data_objects,
                )
                .await
                .unwrap();
            ids.push(id);
        }
        let mut facts = collect_facts(&store, 4).await.unwrap();
        facts.sort_by_key(|f| ids.iter().position(|i| i.as_str() == f.id));
        let got: Vec<(bool, bool, bool)> = facts
            .iter()
            .map(|f| (f.personal, f.organisation, f.secret))
            .collect();
        assert_eq!(
            got,
            [
                (true, false, false),
                (true, false, true),
                (false, false, false)
            ]
        );

        // A report that disagrees with its manifest is an error naming the record.
        let other =
            put(br#"{"signatures": [{"id": "Other", "kind": "pdf_signature"}]}"#.to_vec()).await;
        let mut m = manifest(
            vec![signature("Sig1", "PASSED", Some("organisation"))],
            other,
            false,
        );
        m.id = "ab".repeat(32);
        m.data_objects = vec![m.files[0].blob, other];
        put(format!("{:?}false", m.validation.signatures).into_bytes()).await;
        let id = RecordId::new(m.id.clone()).unwrap();
        store
            .create_manifest(
                &id,
                Bytes::from(serde_json::to_vec(&m).unwrap()),
                &m.data_objects,
            )
            .await
            .unwrap();
        let err = collect_facts(&store, 2).await.unwrap_err();
        assert!(
            matches!(&err, StatsError::Report { id, .. } if id == &"ab".repeat(32)),
            "{err}"
        );
        assert!(err.to_string().contains(&"ab".repeat(32)));
    }
}
