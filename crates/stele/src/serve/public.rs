//! The public verification page a QR code leads to (`/v/{id}/{code}`), and its JSON
//! (`/api/v1/public/{id}/{code}`): no sign-in; the current verdict, and the document's identity
//! (agency, number and notation, date, subject) unless the record is secret. A wrong code
//! answers exactly like an unknown record, so ids cannot be probed.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use stele_archive::audit_log::{AuditAction, AuditEvent};

use super::page::{esc, frame, html, verdict_words};
use super::ui::Visitor;
use super::{ApiError, AppState};

type St = State<Arc<AppState>>;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v/{id}/{code}", get(page))
        .route("/api/v1/public/{id}/{code}", get(json))
}

/// What the public may know of a record.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PublicVerification {
    record: String,
    verdict: &'static str,
    summary: String,
    checked_at: String,
    proof_of_existence: Option<String>,
    /// The check that decided a verdict other than PASSED (as in the verification report).
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_check: Option<String>,
    secret: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    agency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    number_notation: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
}

/// Verdicts of the last minute: a QR code scanned by many is verified once a minute, not once
/// a scan. Bounded: cleared when full.
pub(crate) struct PublicCache {
    entries: Mutex<HashMap<String, (Instant, PublicVerification)>>,
}

const PUBLIC_TTL: Duration = Duration::from_secs(60);
const PUBLIC_CACHE_MAX: usize = 10_000;

impl PublicCache {
    pub fn new() -> PublicCache {
        PublicCache {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, id: &str) -> Option<PublicVerification> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(id)
            .filter(|(at, _)| at.elapsed() < PUBLIC_TTL)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, id: &str, v: &PublicVerification) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= PUBLIC_CACHE_MAX {
                entries.clear();
            }
            entries.insert(id.to_string(), (Instant::now(), v.clone()));
        }
    }
}

async fn lookup(
    state: &Arc<AppState>,
    id: &str,
    code: &str,
) -> Result<PublicVerification, ApiError> {
    let not_found =
        || ApiError::not_found("no record answers to this verification address".to_string());
    let rid = super::record_id(id).ok_or_else(not_found)?;
    if !state.codes.check(&rid, code) {
        return Err(not_found());
    }
    // Each look-up is recorded (the public learns a verdict), cached or not.
    let event = AuditEvent::new(
        "public",
        AuditAction::Verify,
        Some(id),
        "public verification page",
    );
    state.audit_log.append(event).await.map_err(|e| {
        ApiError::internal(format!(
            "refused: the look-up could not be written to the audit log: {e}"
        ))
    })?;
    if let Some(v) = state.public.get(id) {
        return Ok(v);
    }
    let manifest = match state.archive.manifest(&rid).await {
        Ok(m) => m,
        Err(e) if e.is_not_found() => return Err(not_found()),
        Err(e) => return Err(ApiError::internal(format!("cannot read the record: {e}"))),
    };
    let now = state.now();
    let verified = state.verify(&rid, manifest, now).await?;
    let r = &verified.verification;
    let md = &verified.manifest.metadata;
    let secret = md.confidentiality.is_secret();
    let verdict = r.verdict.as_str();
    let v = PublicVerification {
        record: id.to_string(),
        verdict,
        // The report's sentence may quote file names (a secret record gets a fixed one), and
        // for a record not sealed yet it speaks to the operator.
        summary: if r.failed_check.as_deref() == Some(stele_archive::NOT_SEALED) {
            format!("{verdict}: the record is archived but not sealed with a timestamp yet")
        } else if secret {
            format!(
                "{verdict}: the verification of this record as of {}",
                stele_archive::rfc3339(now)
            )
        } else {
            r.summary.clone()
        },
        checked_at: stele_archive::rfc3339(now),
        proof_of_existence: r.proof_of_existence.map(stele_archive::rfc3339),
        failed_check: r.failed_check.clone(),
        secret,
        agency: (!secret).then(|| md.organ_name.clone()),
        number_notation: (!secret).then(|| md.number_notation()),
        issued_date: (!secret).then(|| md.issued_date.to_string()),
        subject: (!secret).then(|| md.subject.clone()),
    };
    state.public.put(id, &v);
    Ok(v)
}

async fn json(
    State(state): St,
    Path((id, code)): Path<(String, String)>,
) -> Result<Json<PublicVerification>, ApiError> {
    lookup(&state, &id, &code).await.map(Json)
}

async fn page(State(state): St, v: Visitor, Path((id, code)): Path<(String, String)>) -> Response {
    let l = v.lang;
    let pv = match lookup(&state, &id, &code).await {
        Ok(pv) => pv,
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            let body = format!(
                "<h1>{}</h1><p class=\"err\" id=\"error\" data-code=\"no_such_record\">{}</p>",
                l.t("Không tìm thấy văn bản", "No such document"),
                l.t(
                    "Địa chỉ kiểm tra này không ứng với văn bản nào trong kho. Hãy kiểm tra lại mã QR hoặc đường dẫn.",
                    "This verification address matches no document in the archive. Check the QR code or the link."
                )
            );
            return html(
                StatusCode::NOT_FOUND,
                frame(l, l.t("Không tìm thấy", "Not found"), None, &body),
            );
        }
        Err(e) => return super::page::error_page(l, None, e),
    };
    let mut body = format!(
        "<h1>{}</h1><p><span class=\"verdict {verdict}\" id=\"verdict\" data-verdict=\"{verdict}\">{}</span></p>",
        l.t("Kiểm tra văn bản lưu trữ", "Archived document check"),
        verdict_words(l, pv.verdict),
        verdict = pv.verdict,
    );
    let _ = write!(
        body,
        "<p id=\"meaning\">{}</p>",
        match pv.verdict {
            "PASSED" => l.t(
                "Văn bản được lưu trữ nguyên vẹn; chữ ký số và chứng cứ thời gian của nó hợp lệ tại thời điểm kiểm tra.",
                "The document is archived intact; its signatures and time evidence are valid as of this check."
            ),
            "FAILED" => l.t(
                "Văn bản hoặc chứng cứ của nó không vượt qua kiểm tra.",
                "The document or its evidence failed the check."
            ),
            _ if pv.failed_check.as_deref() == Some(stele_archive::NOT_SEALED) => l.t(
                "Văn bản đã được lưu trữ nhưng chưa được niêm phong bằng dấu thời gian; hãy kiểm tra lại sau.",
                "The document is archived but not sealed with a timestamp yet; check again later."
            ),
            _ => l.t(
                "Chưa đủ căn cứ để khẳng định văn bản và chữ ký số của nó hợp lệ tại thời điểm kiểm tra.",
                "There is not enough to confirm the document and its signatures as of this check."
            ),
        }
    );
    if let (Some(check), false) = (&pv.failed_check, pv.verdict == "PASSED") {
        let _ = write!(
            body,
            "<p class=\"muted\" id=\"failed-check\">{} <code>{}</code></p>",
            l.t("Bước kiểm tra quyết định:", "Deciding check:"),
            esc(check)
        );
    }
    body.push_str("<table class=\"kv\" id=\"identity\">");
    if pv.secret {
        let _ = write!(
            body,
            "<tr><td colspan=\"2\" id=\"secret\">{}</td></tr>",
            l.t(
                "Đây là tài liệu mật: thông tin về văn bản không được hiển thị công khai.",
                "This is a classified document: its details are not shown publicly."
            )
        );
    } else {
        for (k, val) in [
            (l.t("Cơ quan ban hành", "Issuing agency"), pv.agency.clone()),
            (
                l.t("Số, ký hiệu", "Number and notation"),
                pv.number_notation.clone().flatten(),
            ),
            (l.t("Ngày ban hành", "Issued"), pv.issued_date.clone()),
            (l.t("Trích yếu", "Subject"), pv.subject.clone()),
        ] {
            if let Some(val) = val {
                let _ = write!(body, "<tr><th>{k}</th><td>{}</td></tr>", esc(&val));
            }
        }
    }
    let _ = write!(
        body,
        "<tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td><code>{}</code></td></tr></table>",
        l.t("Kiểm tra lúc", "Checked at"),
        esc(&pv.checked_at),
        l.t("Tồn tại từ (theo dấu thời gian)", "Exists since (timestamped)"),
        esc(pv.proof_of_existence.as_deref().unwrap_or("—")),
        l.t("Mã văn bản lưu trữ", "Record id"),
        esc(&pv.record),
    );
    let mut r = html(
        StatusCode::OK,
        frame(
            l,
            l.t("Kiểm tra văn bản", "Document check"),
            v.who.as_ref(),
            &body,
        ),
    );
    // Public and identical for everyone: may be cached briefly by the browser only.
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=60"),
    );
    r.into_response()
}
