//! The signing-rate dashboard (the monthly indicator agencies are scored on): per agency and
//! month, documents issued and the shares signed with a personal, an organisation, and both
//! signatures — secret documents excluded, as the agencies report it (`stele_archive::stats`);
//! a chart drawn here (SVG), CSV/JSON downloads (`/api/v1/stats`), and a drill-down to the
//! records of a row.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use stele_archive::stats::{
    Dimension, Lang as ChartLang, RateRow, RecordFacts, SigningRates, StatsFilter, YearMonth,
    DEFAULT_DIMENSIONS,
};

use super::api::{given, Caller};
use super::auth::Permission;
use super::page::{esc, qs, Lang};
use super::ui::{Page, Visitor};
use super::{ApiError, AppState};
use crate::stats_cmd::percent;

type St = State<Arc<AppState>>;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/stats", get(api_stats))
        .route("/dashboard", get(dashboard))
        .route("/dashboard/records", get(drill_down))
}

/// The facts of every record, kept for a few minutes: reading every manifest is the slow part.
pub(crate) struct FactsCache {
    cached: tokio::sync::Mutex<Option<(Instant, Arc<Vec<RecordFacts>>)>>,
}

const FACTS_TTL: Duration = Duration::from_secs(300);

impl FactsCache {
    pub fn new() -> FactsCache {
        FactsCache {
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// Counts a record just archived here: its facts join those held (one record read, not the
    /// whole store again); when they cannot be read, the held facts are dropped instead.
    pub async fn add(&self, state: &AppState, manifest: &stele_archive::RecordManifest) {
        let mut guard = self.cached.lock().await;
        let Some((_, facts)) = guard.as_mut() else {
            return;
        };
        match stele_archive::stats::manifest_facts(state.ctx.store(), manifest).await {
            Ok(f) => Arc::make_mut(facts).push(f),
            Err(_) => *guard = None,
        }
    }

    async fn get(&self, state: &AppState) -> Result<Arc<Vec<RecordFacts>>, ApiError> {
        // One reader at a time: concurrent first views wait for one collection, not start many.
        let mut guard = self.cached.lock().await;
        if let Some((at, facts)) = guard.as_ref() {
            if at.elapsed() < FACTS_TTL {
                return Ok(Arc::clone(facts));
            }
        }
        let facts = stele_archive::stats::collect_facts(state.ctx.store(), 16)
            .await
            .map_err(|e| ApiError::internal(format!("cannot compute the statistics: {e}")))?;
        let facts = Arc::new(facts);
        *guard = Some((Instant::now(), Arc::clone(&facts)));
        Ok(facts)
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct StatsParams {
    by: Option<String>,
    from: Option<String>,
    to: Option<String>,
    agency: Option<String>,
    format: Option<String>,
    month: Option<String>,
    lang: Option<String>,
}

fn month(name: &str, v: &Option<String>) -> Result<Option<YearMonth>, ApiError> {
    given(v)
        .map(|s| {
            s.parse::<YearMonth>()
                .map_err(|e| ApiError::bad_request("bad_parameter", format!("{name}: {e}")))
        })
        .transpose()
}

impl StatsParams {
    fn dimensions(&self) -> Result<Vec<Dimension>, ApiError> {
        given(&self.by)
            .map_or(Ok(Vec::new()), Dimension::parse_list)
            .map_err(|e| ApiError::bad_request("bad_parameter", format!("by: {e}")))
    }

    fn filter(&self) -> Result<StatsFilter, ApiError> {
        let filter = StatsFilter {
            from: month("from", &self.from)?,
            to: month("to", &self.to)?,
            agency: given(&self.agency).map(str::to_string),
        };
        filter
            .check()
            .map_err(|e| ApiError::bad_request("bad_parameter", format!("from/to: {e}")))?;
        Ok(filter)
    }
}

async fn api_stats(
    State(state): St,
    caller: Caller,
    Query(q): Query<StatsParams>,
) -> Result<Response, ApiError> {
    caller.require(Permission::Read)?;
    let by = q.dimensions()?;
    let filter = q.filter()?;
    let facts = state.facts.get(&state).await?;
    let rates = SigningRates::compute(&facts, &by, &filter);
    let (body, content_type, file) = match given(&q.format).unwrap_or("json") {
        "json" => (
            serde_json::to_string(&rates).map_err(|e| ApiError::internal(e.to_string()))?,
            "application/json",
            None,
        ),
        "csv" => (
            rates.to_csv(),
            "text/csv; charset=utf-8",
            Some("stele-signing-rates.csv"),
        ),
        "svg" => {
            let lang = match given(&q.lang) {
                None | Some("vi") => ChartLang::Vi,
                Some("en") => ChartLang::En,
                Some(other) => {
                    return Err(ApiError::bad_request(
                        "bad_parameter",
                        format!("lang is {:?}: expected vi or en", crate::clip(other, 40)),
                    ))
                }
            };
            (
                rates.render_svg(lang.chart_title(), lang),
                "image/svg+xml",
                None,
            )
        }
        other => {
            return Err(ApiError::bad_request(
                "bad_parameter",
                format!("format: `{other}` is not json, csv or svg"),
            ))
        }
    };
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(name) = file {
        if let Ok(v) = HeaderValue::from_str(&super::api::content_disposition("attachment", name)) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(r)
}

/// The query string that keeps the dashboard's filter.
fn filter_qs(q: &StatsParams) -> String {
    let mut s = String::new();
    for (k, v) in [("from", &q.from), ("to", &q.to), ("agency", &q.agency)] {
        if let Some(v) = given(v) {
            let _ = write!(s, "&amp;{k}={}", qs(v));
        }
    }
    s
}

async fn dashboard(State(state): St, v: Visitor, Query(q): Query<StatsParams>) -> Page {
    v.require(Permission::Read)?;
    let l = v.lang;
    let run = async {
        let filter = q.filter()?;
        let facts = state.facts.get(&state).await?;
        Ok::<_, ApiError>(SigningRates::compute(&facts, &DEFAULT_DIMENSIONS, &filter))
    };
    let rates = run.await.map_err(|e| v.fail(e))?;
    let keep = filter_qs(&q);
    let lang_param = if l == Lang::En { "&amp;lang=en" } else { "" };
    let mut body = format!(
        "<h1>{h}</h1><p class=\"muted\">{rule}</p>\
         <form method=\"get\" action=\"/dashboard\" class=\"filters\">\
         <label>{from} <input type=\"month\" name=\"from\" value=\"{fv}\"></label>\
         <label>{to} <input type=\"month\" name=\"to\" value=\"{tv}\"></label>\
         <label>{ag} <input name=\"agency\" value=\"{av}\"></label><button type=\"submit\">{apply}</button></form>\
         <p><img id=\"chart\" alt=\"{h}\" src=\"/api/v1/stats?format=svg{keep}{lang_param}\" style=\"max-width:100%\"></p>\
         <p class=\"actions\"><a id=\"csv\" href=\"/api/v1/stats?format=csv{keep}\">CSV</a><a id=\"json\" href=\"/api/v1/stats?format=json{keep}\">JSON</a></p>",
        h = l.t("Tỷ lệ văn bản ký số theo cơ quan và tháng", "Signing rates per agency and month"),
        rule = l.t(
            "Không tính văn bản mật. Một văn bản được tính là có chữ ký cá nhân (hoặc tổ chức) khi mang ít nhất một chữ ký số bằng chứng thư cá nhân (hoặc của cơ quan, tổ chức) được lưu trữ.",
            "Secret documents are excluded. A document counts as personally (or organisation-) signed when it carries at least one archived signature made with a personal (or organisation) certificate."
        ),
        from = l.t("Từ tháng", "From month"),
        to = l.t("Đến tháng", "To month"),
        ag = l.t("Cơ quan", "Agency"),
        apply = l.t("Xem", "Show"),
        fv = esc(given(&q.from).unwrap_or("")),
        tv = esc(given(&q.to).unwrap_or("")),
        av = esc(given(&q.agency).unwrap_or("")),
    );
    let _ = write!(
        body,
        "<table class=\"grid\" id=\"rates\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        l.t("Cơ quan", "Agency"),
        l.t("Tháng", "Month"),
        l.t("Văn bản ban hành", "Issued"),
        l.t("Có chữ ký cá nhân", "Personal signature"),
        l.t("Có chữ ký cơ quan", "Organisation signature"),
        l.t("Có cả hai", "Both"),
    );
    for row in &rates.rows {
        let c = &row.counts;
        let agency = row.agency.as_deref().unwrap_or("");
        let month = row.month.map(|m| m.to_string()).unwrap_or_default();
        let _ = write!(
            body,
            "<tr class=\"rate\"><td>{}{}</td><td>{}</td><td><a href=\"/dashboard/records?agency={}&amp;month={}\">{}</a></td><td>{} ({})</td><td>{} ({})</td><td>{} ({})</td></tr>",
            esc(agency),
            row.agency_id.as_deref().map(|i| format!(" <span class=\"muted\">{}</span>", esc(i))).unwrap_or_default(),
            esc(&month),
            qs(row.agency_id.as_deref().unwrap_or(agency)),
            qs(&month),
            c.issued,
            percent(c.personal_rate),
            c.personal,
            percent(c.organisation_rate),
            c.organisation,
            percent(c.both_rate),
            c.both,
        );
    }
    let t = &rates.total;
    let _ = write!(
        body,
        "<tr id=\"total\" data-issued=\"{}\"><th colspan=\"2\">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></table>",
        t.issued,
        l.t("Tổng", "Total"),
        t.issued,
        percent(t.personal_rate),
        percent(t.organisation_rate),
        percent(t.both_rate),
    );
    Ok(v.page(l.t("Tỷ lệ ký số", "Signing rates"), &body))
}

/// The records behind one row of the dashboard (never a secret one).
async fn drill_down(State(state): St, v: Visitor, Query(q): Query<StatsParams>) -> Page {
    v.require(Permission::Read)?;
    let l = v.lang;
    let run = async {
        let m = month("month", &q.month)?;
        let filter = StatsFilter {
            from: m,
            to: m,
            agency: given(&q.agency).map(str::to_string),
        };
        let facts = state.facts.get(&state).await?;
        let rates = SigningRates::compute(&facts, &DEFAULT_DIMENSIONS, &filter);
        let rows: Vec<(RateRow, Vec<RecordFacts>)> = rates
            .rows
            .iter()
            .map(|r| {
                (
                    r.clone(),
                    rates.records(&facts, r).into_iter().cloned().collect(),
                )
            })
            .collect();
        Ok::<_, ApiError>(rows)
    };
    let rows = run.await.map_err(|e| v.fail(e))?;
    let mut body = format!(
        "<h1>{}</h1>",
        l.t("Văn bản trong chỉ tiêu", "Records behind the figures")
    );
    for (row, records) in &rows {
        let _ = write!(
            body,
            "<h2>{} · {}</h2><table class=\"grid drill\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            esc(row.agency.as_deref().unwrap_or("")),
            row.month.map(|m| m.to_string()).unwrap_or_default(),
            l.t("Ngày ban hành", "Issued"),
            l.t("Số, ký hiệu", "Number"),
            l.t("Trích yếu", "Subject"),
            l.t("Chữ ký cá nhân", "Personal"),
            l.t("Chữ ký cơ quan", "Organisation"),
        );
        // Counted records only: secret ones are in no row, so no subject shown here is secret.
        for f in records {
            let yes = |b: bool| if b { l.t("có", "yes") } else { "—" };
            let _ = write!(
                body,
                "<tr class=\"record\" data-id=\"{id}\"><td>{}</td><td>{}</td><td><a href=\"/records/{id}\">{}</a></td><td>{}</td><td>{}</td></tr>",
                f.issued_date,
                esc(f.number_notation.as_deref().unwrap_or("")),
                esc(if f.subject.trim().is_empty() { &f.id } else { &f.subject }),
                yes(f.personal),
                yes(f.organisation),
                id = esc(&f.id),
            );
        }
        body.push_str("</table>");
    }
    if rows.is_empty() {
        let _ = write!(
            body,
            "<p>{}</p>",
            l.t("Không có văn bản nào.", "No records.")
        );
    }
    Ok(v.page(l.t("Tỷ lệ ký số", "Signing rates"), &body))
}
