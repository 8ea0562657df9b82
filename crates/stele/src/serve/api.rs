//! The JSON API under `/api/v1/` (`schemas/openapi.yaml`). Every error is
//! `{"error": {"code", "message"}}` with a stable code.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Multipart, Path, Query, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use stele_archive::audit_log::{AuditAction, AuditEvent};
use stele_archive::{IngestError, IngestOutcome, RecordMetadata, Submission};
use stele_index::{Filters, SearchRequest};
use stele_sig::TextLimits;

use super::auth::{Permission, Principal};
use super::{at_or_now, ApiError, AppState};
use crate::clip;
use crate::export_cmd::ExportRefused;

type St = State<Arc<AppState>>;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/whoami", get(whoami))
        .route("/api/v1/search", get(search))
        // Uploads are capped by `read_upload` ([server] max_upload_mib) as they stream; every
        // other body (sign-in form, …) keeps axum's 2 MiB default.
        .route(
            "/api/v1/records",
            post(upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/v1/records/{id}", get(record))
        .route("/api/v1/records/{id}/files/{n}", get(file))
        .route("/api/v1/records/{id}/verification", get(verification))
        .route("/api/v1/records/{id}/export", get(export))
        .route("/api/v1/records/{id}/qr.svg", get(qr))
        .route("/api/v1/audit-log", get(audit_log))
        .route("/api/v1/renewal", get(renewal))
}

/// The caller, from `Authorization: Bearer TOKEN` or the web UI's session cookie. A token
/// that is given but unknown is refused outright rather than treated as anonymous.
pub(crate) struct Caller(pub Option<Principal>);

/// Under `/api/` every error is JSON, also axum's own refusals, which are plain text: a query
/// string or form that does not parse, a body that is not multipart, a method a path does not
/// take. Pages keep their HTML.
pub(super) async fn json_errors(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let upload = req.method() == axum::http::Method::POST;
    let response = next.run(req).await;
    if !api {
        return response;
    }
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || json {
        return response;
    }
    let (parts, body) = response.into_parts();
    // Axum's refusals are one short line; anything longer is not quoted.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .filter(|t| !t.is_empty());
    let (code, otherwise) = match status {
        StatusCode::NOT_FOUND => ("no_such_route", "nothing answers at this path"),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", "this path does not take that method")
        }
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "the request is too large"),
        s if s.is_client_error() && upload => ("bad_upload", "the upload cannot be read"),
        s if s.is_client_error() => ("bad_parameter", "the request cannot be read"),
        _ => ("internal", "the server failed"),
    };
    let message = text.map_or_else(|| otherwise.to_string(), |t| clip(&t, 300));
    let mut answer = ApiError::new(status, code, message).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        answer.headers_mut().insert(header::ALLOW, allow.clone());
    }
    answer
}

/// A yes/no parameter as forms and scripts write it; `None` for anything else.
pub(crate) fn flag(value: &str) -> Option<bool> {
    match value.trim() {
        "1" | "true" | "on" | "yes" => Some(true),
        "" | "0" | "false" | "off" | "no" => Some(false),
        _ => None,
    }
}

/// Refuses a caller without clearance: `why` says what in the answer needs it.
fn require_clearance(p: &Principal, why: &str) -> Result<(), ApiError> {
    if p.clearance {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!(
            "{why}; token {} has no clearance (stele token add --clearance)",
            p.name
        ),
    ))
}

/// The web UI keeps the token in this HttpOnly cookie.
pub(crate) const SESSION_COOKIE: &str = "stele_session";

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::to_string);
        let secret = bearer.or_else(|| cookie(&parts.headers, SESSION_COOKIE));
        match secret {
            None => Ok(Caller(None)),
            Some(s) => match state.tokens.authenticate(&s) {
                Some(p) => Ok(Caller(Some(p))),
                None => Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "the token is not valid (unknown or revoked)",
                )),
            },
        }
    }
}

/// A cookie's value from the request headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl Caller {
    /// The principal if it holds `p`: 401 without a token, 403 with one that lacks it.
    pub fn require(&self, p: Permission) -> Result<&Principal, ApiError> {
        match &self.0 {
            None => Err(ApiError::unauthenticated()),
            Some(pr) if pr.can(p) => Ok(pr),
            Some(pr) => Err(ApiError::forbidden(pr, p)),
        }
    }
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}

async fn whoami(caller: Caller) -> Result<Json<serde_json::Value>, ApiError> {
    let p = caller.require(Permission::Read)?;
    Ok(Json(json!({
        "name": p.name, "role": p.role.as_str(), "clearance": p.clearance
    })))
}

/// Search parameters, as the API and the web UI take them.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchParams {
    #[serde(default)]
    pub q: String,
    pub agency: Option<String>,
    #[serde(rename = "type")]
    pub type_name: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub year: Option<String>,
    pub signer: Option<String>,
    pub confidentiality: Option<String>,
    pub retention: Option<String>,
    pub file: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
    pub facets: Option<String>,
    pub facet_limit: Option<String>,
}

/// A query parameter that was given and is not blank.
pub(crate) fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A count parameter from 0 to `max`, `default` when not given.
fn count_param(
    name: &str,
    v: &Option<String>,
    max: usize,
    default: usize,
) -> Result<usize, ApiError> {
    given(v).map_or(Ok(default), |s| {
        s.parse::<usize>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "bad_parameter",
                    format!("{name}: `{s}` is not a number from 0 to {max}"),
                )
            })
    })
}

impl SearchParams {
    /// The index request for a caller; every bad parameter is named.
    pub fn request(&self, p: &Principal, facets: bool) -> Result<SearchRequest, ApiError> {
        let bad =
            |name: &str, e: String| ApiError::bad_request("bad_parameter", format!("{name}: {e}"));
        let date = |name: &str, v: &Option<String>| {
            given(v)
                .map(|s| crate::search_cmd::parse_date(s).map_err(|e| bad(name, e)))
                .transpose()
        };
        Ok(SearchRequest {
            query: self.q.clone(),
            filters: Filters {
                agency: given(&self.agency).map(str::to_string),
                type_name: given(&self.type_name).map(str::to_string),
                from: date("from", &self.from)?,
                to: date("to", &self.to)?,
                year: given(&self.year)
                    .map(|s| {
                        s.parse::<i32>()
                            .ok()
                            .filter(|y| (1..=9999).contains(y))
                            .ok_or_else(|| bad("year", format!("`{s}` is not a year")))
                    })
                    .transpose()?,
                signer: given(&self.signer).map(str::to_string),
                confidentiality: given(&self.confidentiality)
                    .map(|s| {
                        crate::search_cmd::parse_confidentiality(s)
                            .map_err(|e| bad("confidentiality", e))
                    })
                    .transpose()?,
                retention: given(&self.retention)
                    .map(|s| crate::search_cmd::parse_retention(s).map_err(|e| bad("retention", e)))
                    .transpose()?,
                file_notation: given(&self.file).map(str::to_string),
            },
            limit: count_param("limit", &self.limit, stele_index::MAX_LIMIT, 10)?,
            offset: count_param("offset", &self.offset, stele_index::MAX_OFFSET, 0)?,
            clearance: p.search_clearance(),
            facets,
        })
    }

    pub fn wants_facets(&self) -> Result<bool, ApiError> {
        given(&self.facets).map_or(Ok(false), |v| {
            flag(v).ok_or_else(|| {
                ApiError::bad_request(
                    "bad_parameter",
                    format!("facets is {:?}: expected true or false", clip(v, 40)),
                )
            })
        })
    }

    /// How many values of each facet the answer lists: the most frequent 20 unless asked.
    pub fn facet_limit(&self) -> Result<usize, ApiError> {
        count_param("facet_limit", &self.facet_limit, 10_000, 20)
    }
}

/// Runs a search off the async threads.
pub(crate) async fn run_search(
    state: &Arc<AppState>,
    request: SearchRequest,
) -> Result<stele_index::SearchResults, ApiError> {
    let _turn = state
        .searches
        .acquire()
        .await
        .map_err(|_| ApiError::internal("the server is shutting down"))?;
    let st = Arc::clone(state);
    tokio::task::spawn_blocking(move || {
        st.search_index()?.search(&request).map_err(|e| match e {
            stele_index::IndexError::Query(m) => ApiError::bad_request("bad_query", m),
            e => ApiError::internal(e.to_string()),
        })
    })
    .await
    .map_err(|_| ApiError::internal("search failed inside the server"))?
}

async fn search(
    State(state): St,
    caller: Caller,
    Query(params): Query<SearchParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = caller.require(Permission::Read)?;
    let facets = params.wants_facets()?;
    let request = params.request(p, facets)?;
    let facet_limit = params.facet_limit()?;
    let offset = request.offset;
    let mut results = run_search(&state, request).await?;
    results.facets.keep_top(facet_limit);
    Ok(Json(crate::search_cmd::results_json(
        &params.q, offset, &results, facets,
    )))
}

async fn record(
    State(state): St,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = caller.require(Permission::Read)?;
    let (rid, manifest) = state.visible_record(Some(p), &id).await?;
    state
        .audit(p, AuditAction::Read, Some(&rid), "record metadata (API)")
        .await?;
    Ok(Json(
        serde_json::to_value(&manifest).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

/// A file of a record by its position in the manifest (0 is the original).
async fn file(
    State(state): St,
    caller: Caller,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let p = caller.require(Permission::Read)?;
    file_response(&state, p, &id, &n, "API").await
}

pub(crate) async fn file_response(
    state: &Arc<AppState>,
    p: &Principal,
    id: &str,
    n: &str,
    via: &str,
) -> Result<Response, ApiError> {
    let (rid, manifest) = state.visible_record(Some(p), id).await?;
    let f = n
        .parse::<usize>()
        .ok()
        .and_then(|i| manifest.files.get(i))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_such_file",
                format!(
                    "record {id} has no file {} (it has {})",
                    clip(n, 40),
                    manifest.files.len()
                ),
            )
        })?;
    // Logged before any byte leaves: an access that cannot be logged does not happen.
    state
        .audit(
            p,
            AuditAction::Read,
            Some(&rid),
            &format!("file {} ({via})", f.name),
        )
        .await?;
    let bytes = state
        .ctx
        .store()
        .get_blob(&f.blob)
        .await
        .map_err(|e| ApiError::internal(format!("cannot read {}: {e}", f.name)))?;
    let content_type = content_type(&f.name);
    let disposition = if content_type == "application/pdf" {
        "inline"
    } else {
        "attachment"
    };
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(disposition, &f.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

fn content_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    match lower.rsplit_once('.').map(|(_, e)| e) {
        Some("pdf") => "application/pdf",
        Some("p7s") => "application/pkcs7-signature",
        Some("p7m") => "application/pkcs7-mime",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// RFC 6266 with an ASCII fallback and the UTF-8 name (Vietnamese file names).
pub(crate) fn content_disposition(kind: &str, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = super::page::qs(name);
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[derive(Deserialize)]
pub(crate) struct AtParam {
    pub at: Option<String>,
}

async fn verification(
    State(state): St,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<AtParam>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = caller.require(Permission::Verify)?;
    let v = state.verify_for(p, &id, q.at.as_deref(), "API").await?;
    Ok(Json(
        serde_json::to_value(&v.verification).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

/// The QR code of the record's public verification URL (which header X-Verification-URL
/// carries).
async fn qr(
    State(state): St,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let p = caller.require(Permission::Read)?;
    let (rid, _) = state.visible_record(Some(p), &id).await?;
    let url = state.codes.url(&state.public_base, &rid);
    let svg = crate::qr_cmd::qr_svg(&url).map_err(|e| ApiError::internal(e.0))?;
    let mut r = svg.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    if let Ok(v) = HeaderValue::from_str(&url) {
        h.insert("x-verification-url", v);
    }
    Ok(r)
}

async fn export(
    State(state): St,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<AtParam>,
) -> Result<Response, ApiError> {
    let p = caller.require(Permission::Export)?;
    export_response(&state, p, &id, q.at.as_deref(), "API").await
}

/// The export package (`stele export`'s ZIP) of a record the caller may see, as a download.
/// Built in a private temporary folder, logged before it is written, then sent and removed.
pub(crate) async fn export_response(
    state: &Arc<AppState>,
    p: &Principal,
    id: &str,
    at: Option<&str>,
    via: &str,
) -> Result<Response, ApiError> {
    let (rid, manifest) = state.visible_record(Some(p), id).await?;
    let at = at_or_now(state, at)?;
    let verified = state.verify(&rid, manifest, at).await?;
    let actor = p.actor();
    let via = via.to_string();
    let rid2 = rid.clone();
    let zip = state
        .on_thread(move |s| -> Result<Vec<u8>, ApiError> {
            let dir = std::env::temp_dir().join(format!(
                "stele-export-{}-{}",
                std::process::id(),
                random_hex()
            ));
            std::fs::create_dir(&dir)
                .map_err(|e| ApiError::internal(format!("cannot make a temporary folder: {e}")))?;
            let out = dir.join("package.zip");
            let made = crate::export_cmd::export_package(&s.ctx, verified, &out, true, |v| {
                let event = AuditEvent::new(
                    actor,
                    AuditAction::Export,
                    Some(rid2.as_str()),
                    format!(
                        "ZIP download ({via}), verified as of {}: {}",
                        crate::fmt_time(at),
                        v.verdict.as_str()
                    ),
                );
                s.ctx
                    .block_on(s.audit_log.append(event))
                    .map(|_| ())
                    .map_err(|e| {
                        crate::UsageError(format!(
                            "refused: the export could not be written to the audit log: {e}"
                        ))
                    })
            });
            let bytes = made.map(|_| std::fs::read(&out));
            let _ = std::fs::remove_dir_all(&dir);
            match bytes {
                Ok(Ok(b)) => Ok(b),
                Ok(Err(e)) => Err(ApiError::internal(format!(
                    "cannot read the package back: {e}"
                ))),
                Err(ExportRefused::NotSealed(e)) => {
                    Err(ApiError::new(StatusCode::CONFLICT, "not_sealed", e.0))
                }
                // Sealed, but its evidence does not hold together: not a wait, a damage.
                Err(ExportRefused::NoEvidence { summary, reason }) => Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "no_evidence",
                    format!("the evidence record cannot be assembled ({reason}): {summary}"),
                )),
                Err(ExportRefused::Failed(e)) => Err(ApiError::internal(e.0)),
            }
        })
        .await??;
    let mut response = zip.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    let name = format!("stele-export-{}.zip", &rid.as_str()[..16]);
    if let Ok(v) = HeaderValue::from_str(&content_disposition("attachment", &name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// 128 random bits, hex: unguessable temporary names.
fn random_hex() -> String {
    use rand_core::RngCore;
    let mut b = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

#[derive(Deserialize)]
struct AuditLogParams {
    record: Option<String>,
    limit: Option<String>,
}

/// The newest audit-log entries (`stele audit-log show --json`'s shape), oldest first.
async fn audit_log(
    State(state): St,
    caller: Caller,
    Query(q): Query<AuditLogParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = caller.require(Permission::AuditLog)?;
    // Entries name records, secret ones too, and the files they hold.
    require_clearance(p, "the audit log names secret records")?;
    let limit = match given(&q.limit) {
        None => 100,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "bad_parameter",
                    format!("limit: `{s}` is not a number from 1 to 1000"),
                )
            })?,
    };
    let entries = state
        .audit_log
        .newest(limit, given(&q.record))
        .await
        .map_err(|e| ApiError::internal(format!("the audit log cannot be read: {e}")))?;
    // Reading the log is an access like any other, as `stele audit-log show` records it.
    state
        .audit(
            p,
            AuditAction::Read,
            None,
            &format!("audit log: {} entries", entries.len()),
        )
        .await?;
    Ok(Json(
        json!({"report": "stele.audit-log-entries.v1", "entries": entries}),
    ))
}

async fn renewal(State(state): St, caller: Caller) -> Result<Json<serde_json::Value>, ApiError> {
    let p = caller.require(Permission::Read)?;
    // Each chain counts its records, secret ones too: without clearance, the difference from a
    // search's total would count the secret records.
    require_clearance(p, "the renewal plan counts secret records")?;
    // The evidence the verifications use (at most `EVIDENCE_TTL` old), not a fresh load.
    let parts = state.verifier_parts().await?;
    let now = state.now();
    let settings = state
        .on_thread(|s| crate::evidence_cmd::renewal_settings(&s.ctx))
        .await?
        .map_err(|e| ApiError::internal(e.0))?;
    let plan =
        crate::evidence_cmd::RenewalPlans::make(state.ctx.store(), &parts.index, &settings, now)
            .await
            .map_err(|e| ApiError::internal(e.0))?;
    Ok(Json(
        serde_json::to_value(&plan).map_err(|e| ApiError::internal(e.to_string()))?,
    ))
}

/// What an upload carried.
pub(crate) struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
    pub meta: Option<String>,
    pub detached: Option<(String, Vec<u8>)>,
    pub allow_unsigned: bool,
}

/// Reads a multipart upload (`file`, `meta`, optional `detached`, `allow_unsigned`), chunk by
/// chunk, refusing it as soon as it passes the size cap.
pub(crate) async fn read_upload(mut form: Multipart, cap: usize) -> Result<Upload, ApiError> {
    let too_big = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the upload is larger than the {} MiB accepted", cap >> 20),
        )
    };
    let bad = |m: String| ApiError::bad_request("bad_upload", m);
    let mut total = 0usize;
    let mut up = Upload {
        name: String::new(),
        bytes: Vec::new(),
        meta: None,
        detached: None,
        allow_unsigned: false,
    };
    let mut have_file = false;
    let mut seen: Vec<String> = Vec::new();
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| bad(format!("not a readable multipart form: {e}")))?
    {
        let field_name = field.name().unwrap_or("").to_string();
        // A field given twice would leave one of the two silently unused (which metadata?).
        if seen.contains(&field_name) {
            return Err(bad(format!(
                "the form field `{field_name}` is given twice: send each field once"
            )));
        }
        seen.push(field_name.clone());
        let file_name = field.file_name().map(str::to_string);
        let mut data = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| bad(format!("the upload broke off in `{field_name}`: {e}")))?
        {
            total += chunk.len();
            if total > cap {
                return Err(too_big());
            }
            data.extend_from_slice(&chunk);
        }
        match field_name.as_str() {
            "file" => {
                if data.is_empty() {
                    return Err(bad("the field `file` is empty: choose a document".into()));
                }
                up.name = sanitize_name(file_name.as_deref().unwrap_or("document"));
                up.bytes = data;
                have_file = true;
            }
            "meta" => {
                if !data.is_empty() {
                    up.meta = Some(
                        String::from_utf8(data)
                            .map_err(|_| bad("the field `meta` is not UTF-8 JSON".into()))?,
                    );
                }
            }
            "detached" => {
                if !data.is_empty() {
                    up.detached = Some((
                        sanitize_name(file_name.as_deref().unwrap_or("content")),
                        data,
                    ));
                }
            }
            "allow_unsigned" => {
                let value = String::from_utf8_lossy(&data);
                up.allow_unsigned = flag(&value).ok_or_else(|| {
                    bad(format!(
                        "the field `allow_unsigned` is {:?}: expected true or false",
                        clip(&value, 40)
                    ))
                })?;
            }
            other => {
                return Err(bad(format!(
                    "unknown form field `{other}`: expected file, meta, detached, allow_unsigned"
                )))
            }
        }
    }
    if !have_file {
        return Err(bad(
            "no field `file`: send the document as multipart field `file`".into(),
        ));
    }
    Ok(up)
}

/// A received file name: its last path component, without control characters, bounded.
fn sanitize_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() || clean == "." || clean == ".." {
        "document".into()
    } else {
        clean
    }
}

/// What the server did with an upload.
pub(crate) enum Ingested {
    Archived {
        id: String,
        indication: &'static str,
        summary: String,
    },
    /// Already archived: its id, unless it is a record the uploader may not see (a secret one
    /// without clearance), which is not named.
    Duplicate { id: Option<String> },
}

impl Ingested {
    pub fn json(&self) -> serde_json::Value {
        match self {
            Ingested::Archived {
                id,
                indication,
                summary,
            } => json!({
                "status": "archived", "id": id, "indication": indication, "summary": summary
            }),
            Ingested::Duplicate { id: Some(id) } => json!({"status": "duplicate", "id": id}),
            Ingested::Duplicate { id: None } => json!({"status": "duplicate"}),
        }
    }
}

/// Validates and archives an upload, then indexes it. The record is durable before the index
/// is touched: an index failure is reported but loses nothing (`stele reindex` catches up).
/// Archives an upload for `p` and logs it as `stele ingest` does; `via` names the channel in
/// the audit log ("web upload", "API upload").
pub(crate) async fn ingest(
    state: &Arc<AppState>,
    p: &Principal,
    up: Upload,
    via: &str,
) -> Result<Ingested, ApiError> {
    let meta_text = up.meta.ok_or_else(|| {
        ApiError::bad_request(
            "bad_metadata",
            "no metadata: send the record's metadata JSON (schemas/record.schema.json) as field `meta`",
        )
    })?;
    let metadata = RecordMetadata::from_json(&meta_text)
        .map_err(|e| ApiError::bad_request("bad_metadata", e.to_string()))?;
    let files: Vec<Vec<u8>> = std::iter::once(up.bytes.clone())
        .chain(up.detached.as_ref().map(|(_, d)| d.clone()))
        .collect();
    let submission = Submission {
        name: up.name.clone(),
        bytes: up.bytes,
        detached_content: up.detached,
        metadata,
    };
    let archive = if up.allow_unsigned {
        &state.archive_unsigned
    } else {
        &state.archive
    };
    match archive.ingest(submission).await {
        Ok(IngestOutcome::Archived {
            id,
            indication,
            summary,
            manifest,
        }) => {
            // The record is archived whatever happens here; a failed log write is said, as
            // `stele ingest` says it, not hidden.
            let detail = format!("archived {} ({}) by {via}", up.name, indication.as_str());
            if let Err(e) = state
                .audit(p, AuditAction::Ingest, Some(&id), &detail)
                .await
            {
                eprintln!("warning: record {id}: {}", e.message);
            }
            state.facts.add(state, &manifest).await;
            if let Err(e) = index_new(state, *manifest, files).await {
                eprintln!(
                    "warning: record {id} archived but not indexed: {}",
                    e.message
                );
            }
            Ok(Ingested::Archived {
                id: id.to_string(),
                indication: indication.as_str(),
                summary,
            })
        }
        Ok(IngestOutcome::Duplicate { id }) => {
            let detail = format!("duplicate {} by {via}", up.name);
            if let Err(e) = state
                .audit(p, AuditAction::Ingest, Some(&id), &detail)
                .await
            {
                eprintln!("warning: record {id}: {}", e.message);
            }
            let visible = state.visible_record(Some(p), id.as_str()).await.is_ok();
            Ok(Ingested::Duplicate {
                id: visible.then(|| id.to_string()),
            })
        }
        Err(IngestError::Rejected { reason, .. }) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "rejected",
            format!("{}: rejected: {reason}", up.name),
        )),
        Err(IngestError::Unreadable { source, .. }) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unreadable",
            format!("{}: {source}", up.name),
        )),
        Err(e @ IngestError::Store(_)) => Err(ApiError::internal(e.to_string())),
    }
}

async fn index_new(
    state: &Arc<AppState>,
    manifest: stele_archive::RecordManifest,
    files: Vec<Vec<u8>>,
) -> Result<(), ApiError> {
    let _one_writer = state.index_writer.lock().await;
    let st = Arc::clone(state);
    tokio::task::spawn_blocking(move || {
        let index = st.search_index()?;
        let (text, _) = stele_archive::record_text(&manifest, &files, &TextLimits::default());
        let entry = stele_archive::indexed_record(&manifest, text);
        let fail = |e: stele_index::IndexError| ApiError::internal(e.to_string());
        let mut writer = index
            .writer(1, st.ctx.config.index_writer_bytes())
            .map_err(fail)?;
        writer.add(&entry).map_err(fail)?;
        writer.commit().map_err(fail)?;
        writer.finish().map_err(fail)?;
        index.reload().map_err(fail)
    })
    .await
    .map_err(|_| ApiError::internal("indexing failed inside the server"))?
}

async fn upload(State(state): St, caller: Caller, form: Multipart) -> Result<Response, ApiError> {
    let p = caller.require(Permission::Ingest)?;
    let up = read_upload(form, state.max_upload).await?;
    let done = ingest(&state, p, up, "API upload").await?;
    let status = match done {
        Ingested::Archived { .. } => StatusCode::CREATED,
        Ingested::Duplicate { .. } => StatusCode::OK,
    };
    Ok((status, Json(done.json())).into_response())
}
