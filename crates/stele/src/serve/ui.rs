//! The web UI: search with facets and highlighted snippets, the record page (metadata, each
//! signature in plain words, the evidence timeline), the verification report for any date,
//! export, upload, and the sign-in that keeps the token in an HttpOnly cookie.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Form, FromRequestParts, Multipart, Path, Query, State};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use stele_archive::RecordManifest;

use stele_archive::audit_log::AuditAction;

use super::api::{self, AtParam, Ingested, SearchParams, SESSION_COOKIE};
use super::auth::{Permission, Principal};
use super::page::{error_page, esc, frame, html, qs, verdict_words, verification_sentence, Lang};
use super::{ApiError, AppState};

type St = State<Arc<AppState>>;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/search") }))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_lang))
        .route("/search", get(search))
        .route("/records/{id}", get(record))
        .route("/records/{id}/files/{n}", get(file))
        .route("/records/{id}/report", get(report))
        .route("/records/{id}/export", get(export))
        // Capped by `read_upload` as it streams, like the API's upload.
        .route(
            "/upload",
            get(upload_form)
                .post(upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

/// The caller of a page and the page's language. Never rejects: an unknown or revoked
/// session is just signed out.
pub(crate) struct Visitor {
    pub who: Option<Principal>,
    pub lang: Lang,
}

impl FromRequestParts<Arc<AppState>> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let who =
            api::cookie(&parts.headers, SESSION_COOKIE).and_then(|t| state.tokens.authenticate(&t));
        Ok(Visitor {
            who,
            lang: Lang::of(&parts.headers),
        })
    }
}

impl Visitor {
    /// The caller when they may `p`; else the sign-in page (nobody signed in) or a 403 page.
    pub(crate) fn require(&self, p: Permission) -> Result<Principal, PageError> {
        match &self.who {
            None => Err(PageError(Box::new(Redirect::to("/login").into_response()))),
            Some(pr) if pr.can(p) => Ok(pr.clone()),
            Some(pr) => Err(self.fail(ApiError::forbidden(pr, p))),
        }
    }

    /// The error page for `e`, in the visitor's language.
    pub(crate) fn fail(&self, e: ApiError) -> PageError {
        PageError(Box::new(error_page(self.lang, self.who.as_ref(), e)))
    }

    pub(crate) fn page(&self, title: &str, body: &str) -> Response {
        html(
            StatusCode::OK,
            frame(self.lang, title, self.who.as_ref(), body),
        )
    }
}

/// The page a handler answers with instead of the one asked for: the sign-in page, a 403 or an
/// error page. Boxed because a response is large, and it travels on every handler's error path.
pub(crate) struct PageError(Box<Response>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// What a page handler answers.
pub(crate) type Page = Result<Response, PageError>;

async fn login_form(v: Visitor) -> Response {
    login_page(&v, None, StatusCode::OK)
}

fn login_page(v: &Visitor, problem: Option<&str>, status: StatusCode) -> Response {
    let l = v.lang;
    let body = format!(
        "<h1>{h}</h1>{err}<form method=\"post\" action=\"/login\">\
         <p><label for=\"token\">{lbl}</label><br><input id=\"token\" name=\"token\" type=\"password\" size=\"70\" autocomplete=\"off\" required></p>\
         <p><button id=\"signin\" type=\"submit\">{btn}</button></p></form><p class=\"muted\">{hint}</p>",
        h = l.t("Đăng nhập", "Sign in"),
        err = problem.map(|p| format!("<p class=\"err\" id=\"error\">{}</p>", esc(p))).unwrap_or_default(),
        lbl = l.t("Mã truy cập", "Access token"),
        btn = l.t("Đăng nhập", "Sign in"),
        hint = l.t(
            "Mã truy cập do quản trị viên cấp bằng lệnh stele token add.",
            "Tokens are issued by the administrator with stele token add."
        ),
    );
    html(status, frame(l, l.t("Đăng nhập", "Sign in"), None, &body))
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(
    State(state): St,
    v: Visitor,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let f = match form {
        Ok(Form(f)) => f,
        // Not a form, or too large (the status says which).
        Err(rejection) => {
            let msg = v.lang.t(
                "Biểu mẫu đăng nhập không đọc được: hãy nhập mã truy cập vào ô bên dưới.",
                "The sign-in form cannot be read: enter the token in the field below.",
            );
            return login_page(&v, Some(msg), rejection.status());
        }
    };
    let token = f.token.trim();
    if state.tokens.authenticate(token).is_none() {
        let msg = v.lang.t(
            "Mã truy cập không đúng hoặc đã bị thu hồi.",
            "The token is not valid (unknown or revoked).",
        );
        return login_page(&v, Some(msg), StatusCode::UNAUTHORIZED);
    }
    let mut r = Redirect::to("/search").into_response();
    // The token itself is the session: HttpOnly keeps it from scripts, Strict from other sites.
    if let Ok(c) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
    )) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

async fn logout() -> Response {
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("stele_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    r
}

async fn set_lang(Path(code): Path<String>, headers: axum::http::HeaderMap) -> Response {
    let code = if code == "en" { "en" } else { "vi" };
    // Back to the page the link was on, if it is one of ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
        .and_then(|r| r.find('/').map(|i| r[i..].to_string()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/lang/"))
        .unwrap_or_else(|| "/".to_string());
    let mut r = Redirect::to(&back).into_response();
    if let Ok(c) = HeaderValue::from_str(&format!(
        "lang={code}; SameSite=Lax; Path=/; Max-Age=31536000"
    )) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

/// A snippet with its highlights as `<mark>`, everything else escaped.
fn snippet_html(s: &stele_index::Snippet) -> String {
    s.marked_with("<mark>", "</mark>", |text, out| {
        // A page break (`\f`) or other control character reads as a space, not as U+FFFD.
        let spaced: String = text
            .chars()
            .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
            .collect();
        out.push_str(&esc(&spaced));
    })
}

/// A facet or metadata value in words: confidentiality `none` and the retention codes.
fn value_words(lang: Lang, facet: &str, value: &str) -> String {
    let words = match (facet, value) {
        ("confidentiality", "none") => lang.t("Thường", "None"),
        ("retention", "01") => lang.t("Vĩnh viễn", "Permanent"),
        ("retention", "02") => lang.t("70 năm", "70 years"),
        ("retention", "03") => lang.t("50 năm", "50 years"),
        ("retention", "04") => lang.t("30 năm", "30 years"),
        ("retention", "05") => lang.t("20 năm", "20 years"),
        ("retention", "06") => lang.t("10 năm", "10 years"),
        ("retention", "07") => lang.t("Khác", "Other"),
        _ => value,
    };
    esc(words)
}

fn confidentiality_label(lang: Lang, c: stele_index::Confidentiality) -> Option<String> {
    let label = c.to_string();
    (label != "none").then(|| {
        format!(
            "<span class=\"secret\">{} {}</span>",
            lang.t("Độ mật:", "Secret:"),
            esc(&label)
        )
    })
}

async fn search(State(state): St, v: Visitor, Query(params): Query<SearchParams>) -> Page {
    let p = v.require(Permission::Read)?;
    let l = v.lang;
    let request = params.request(&p, true).map_err(|e| v.fail(e))?;
    let (offset, limit) = (request.offset, request.limit);
    let searched = !params.q.trim().is_empty() || request.filters != Default::default();
    let results = api::run_search(&state, request)
        .await
        .map_err(|e| v.fail(e))?;
    let field = |name: &str, value: &Option<String>, label: &str, kind: &str| {
        format!(
            "<label>{label} <input name=\"{name}\" type=\"{kind}\" value=\"{}\"></label>",
            esc(value.as_deref().unwrap_or(""))
        )
    };
    let mut body = format!(
        "<form class=\"search\" method=\"get\" action=\"/search\" role=\"search\">\
         <input id=\"q\" type=\"search\" name=\"q\" value=\"{q}\" placeholder=\"{ph}\" autofocus>\
         <button id=\"go\" type=\"submit\">{go}</button></form><form method=\"get\" action=\"/search\" class=\"filters\">\
         <input type=\"hidden\" name=\"q\" value=\"{q}\">{agency}{ty}{from}{to}{signer}<button type=\"submit\">{apply}</button></form>",
        q = esc(&params.q),
        ph = l.t("Từ khóa, có dấu hoặc không dấu: chu ky so, \"hồ sơ điện tử\", 1500/UBND-CNTT", "Words with or without accents, \"phrases\", 1500/UBND-CNTT"),
        go = l.t("Tìm", "Search"),
        agency = field("agency", &params.agency, l.t("Mã cơ quan", "Agency code"), "text"),
        ty = field("type", &params.type_name, l.t("Loại văn bản", "Type"), "text"),
        from = field("from", &params.from, l.t("Từ ngày", "From"), "date"),
        to = field("to", &params.to, l.t("Đến ngày", "To"), "date"),
        signer = field("signer", &params.signer, l.t("Người ký", "Signer"), "text"),
        apply = l.t("Lọc", "Filter"),
    );
    let _ = write!(
        body,
        "<p id=\"total\" data-total=\"{}\">{}</p><div class=\"cols\"><aside class=\"facets\">",
        results.total,
        if searched {
            format!("{} {}", results.total, l.t("văn bản", "records"))
        } else {
            format!(
                "{} {}",
                results.total,
                l.t(
                    "văn bản trong kho, mới nhất trước",
                    "records in the archive, newest first"
                )
            )
        }
    );
    let f = &results.facets;
    for (name, title, values) in [
        ("agency", l.t("Cơ quan", "Agency"), &f.agency),
        ("type", l.t("Loại văn bản", "Type"), &f.type_name),
        ("year", l.t("Năm", "Year"), &f.year),
        ("signer", l.t("Người ký", "Signer"), &f.signer),
        (
            "confidentiality",
            l.t("Độ mật", "Confidentiality"),
            &f.confidentiality,
        ),
        (
            "retention",
            l.t("Thời hạn bảo quản", "Retention"),
            &f.retention,
        ),
    ] {
        if values.is_empty() {
            continue;
        }
        let _ = write!(
            body,
            "<h3>{title}</h3><ul class=\"facet\" data-facet=\"{name}\">"
        );
        for fc in values.iter().take(12) {
            let _ = write!(
                body,
                "<li><a href=\"/search?q={}&amp;{name}={}\">{}</a> ({})</li>",
                qs(&params.q),
                qs(&fc.value),
                value_words(l, name, &fc.value),
                fc.count
            );
        }
        body.push_str("</ul>");
    }
    body.push_str("</aside><section class=\"results\">");
    for hit in &results.hits {
        let number = hit
            .number_notation
            .as_deref()
            .map(|n| format!("{} · ", esc(n)))
            .unwrap_or_default();
        let _ = write!(
            body,
            "<div class=\"hit\" data-id=\"{id}\"><a class=\"subject\" href=\"/records/{id}\">{subject}</a> {secret}\
             <div class=\"meta\">{number}{organ} · {ty}{date}</div><div class=\"snippet\">{snippet}</div></div>",
            id = esc(&hit.id),
            subject = esc(&hit.subject),
            secret = confidentiality_label(l, hit.confidentiality).unwrap_or_default(),
            organ = esc(&hit.organ_name),
            ty = hit.type_name.as_deref().map(|t| format!("{} · ", esc(t))).unwrap_or_default(),
            date = hit.issued_date,
            snippet = snippet_html(&hit.snippet),
        );
    }
    if results.hits.is_empty() {
        let _ = write!(
            body,
            "<p id=\"none\">{}</p>",
            l.t("Không tìm thấy văn bản nào.", "Nothing found.")
        );
    }
    // Paging keeps every parameter but the offset.
    let keep = |o: usize| {
        let mut s = format!("/search?q={}&amp;offset={o}", qs(&params.q));
        for (k, val) in [
            ("agency", &params.agency),
            ("type", &params.type_name),
            ("from", &params.from),
            ("to", &params.to),
            ("signer", &params.signer),
            ("year", &params.year),
            ("confidentiality", &params.confidentiality),
            ("retention", &params.retention),
            ("file", &params.file),
        ] {
            if let Some(x) = val.as_deref().filter(|x| !x.is_empty()) {
                let _ = write!(s, "&amp;{k}={}", qs(x));
            }
        }
        s
    };
    body.push_str("<p class=\"actions\">");
    if offset > 0 {
        let _ = write!(
            body,
            "<a href=\"{}\">← {}</a>",
            keep(offset.saturating_sub(limit)),
            l.t("Trước", "Previous")
        );
    }
    if ((offset + results.hits.len()) as u64) < results.total && limit > 0 {
        let _ = write!(
            body,
            "<a id=\"next\" href=\"{}\">{} →</a>",
            keep(offset + limit),
            l.t("Tiếp", "Next")
        );
    }
    body.push_str("</p></section></div>");
    Ok(v.page(l.t("Tìm kiếm", "Search"), &body))
}

fn metadata_rows(l: Lang, m: &RecordManifest) -> String {
    let md = &m.metadata;
    let mut rows = String::new();
    let mut row = |k: &str, val: String| {
        if !val.is_empty() {
            let _ = write!(rows, "<tr><th>{k}</th><td>{val}</td></tr>");
        }
    };
    row(
        l.t("Cơ quan ban hành", "Issuing agency"),
        esc(&md.organ_name),
    );
    row(
        l.t("Mã cơ quan", "Agency code"),
        esc(md.organ_id.as_deref().unwrap_or("")),
    );
    row(
        l.t("Loại văn bản", "Type"),
        esc(md.type_name.as_deref().unwrap_or("")),
    );
    let number = md.number_notation().unwrap_or_default();
    row(l.t("Số, ký hiệu", "Number and notation"), esc(&number));
    row(l.t("Ngày ban hành", "Issued"), md.issued_date.to_string());
    row(l.t("Trích yếu", "Subject"), esc(&md.subject));
    let signers: Vec<String> = md
        .signer_info
        .iter()
        .map(
            |s| match s.position.as_deref().filter(|p| !p.trim().is_empty()) {
                Some(position) => format!("{} ({})", esc(&s.full_name), esc(position)),
                None => esc(&s.full_name),
            },
        )
        .collect();
    row(l.t("Người ký", "Signed by"), signers.join("; "));
    let recipients: Vec<String> = md.to.iter().map(|r| esc(&r.organ_name)).collect();
    row(l.t("Nơi nhận", "Recipients"), recipients.join("; "));
    row(
        l.t("Độ mật", "Confidentiality"),
        if md.confidentiality.is_secret() {
            format!(
                "<span class=\"secret\">{}</span>",
                esc(md.confidentiality.label())
            )
        } else {
            l.t("Thường", "None").into()
        },
    );
    row(
        l.t("Thời hạn bảo quản", "Retention"),
        value_words(l, "retention", md.retention.code()),
    );
    row(
        l.t("Chế độ sử dụng", "Access mode"),
        esc(md.access_mode.label()),
    );
    row(
        l.t("Hồ sơ", "File"),
        esc(md.file_notation.as_deref().unwrap_or("")),
    );
    row(
        l.t("Ngày nộp lưu", "Archived"),
        esc(&stele_archive::rfc3339(m.ingested_at)),
    );
    row(
        l.t("Mã văn bản lưu trữ", "Record id"),
        format!("<code>{}</code>", esc(&m.id)),
    );
    rows
}

async fn record(State(state): St, v: Visitor, Path(id): Path<String>) -> Page {
    let p = v.require(Permission::Read)?;
    let l = v.lang;
    let (rid, m) = state
        .visible_record(Some(&p), &id)
        .await
        .map_err(|e| v.fail(e))?;
    state
        .audit(&p, AuditAction::Read, Some(&rid), "record page")
        .await
        .map_err(|e| v.fail(e))?;
    let now = state.now();
    let verified = state.verify(&rid, m.clone(), now).await;
    let mut body = format!(
        "<h1 id=\"subject\">{}</h1><table class=\"kv\" id=\"metadata\">{}</table>",
        esc(&m.metadata.subject),
        metadata_rows(l, &m)
    );
    let _ = write!(body, "<h2>{}</h2><ul id=\"files\">", l.t("Tệp", "Files"));
    for (i, f) in m.files.iter().enumerate() {
        let _ = write!(
            body,
            "<li><a href=\"/records/{id}/files/{i}\">{name}</a> <span class=\"muted\">({role}, SHA-256 {hex})</span></li>",
            id = esc(&m.id),
            name = esc(&f.name),
            role = esc(&f.role),
            hex = esc(&f.blob.hex()),
        );
    }
    body.push_str("</ul>");

    let _ = write!(body, "<h2>{}</h2>", l.t("Chữ ký số", "Signatures"));
    if m.validation.signatures.is_empty() {
        let _ = write!(
            body,
            "<p>{}</p>",
            l.t(
                "Văn bản không có chữ ký số (được lưu như văn bản không ký).",
                "The document carries no signature (archived as unsigned)."
            )
        );
    }
    body.push_str("<table class=\"grid\" id=\"signatures\">");
    let _ = write!(
        body,
        "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        l.t("Người ký", "Signer"),
        l.t("Loại chứng thư", "Certificate"),
        l.t("Kết quả khi nộp lưu", "Verdict at archiving"),
        l.t("Thời điểm ký được chứng minh", "Proven signing time")
    );
    for s in &m.validation.signatures {
        let holder = match s.holder.as_deref() {
            Some("personal") => l.t("Cá nhân", "Personal"),
            Some("organisation") => l.t("Cơ quan, tổ chức", "Organisation"),
            _ => l.t("Không rõ", "Unknown"),
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td><span class=\"{ind}\">{}</span>{}</td><td>{}</td></tr>",
            esc(s.signer.as_deref().unwrap_or("?")),
            holder,
            verdict_words(l, &s.indication),
            s.sub_indication
                .as_deref()
                .map(|x| format!(" <span class=\"muted\">({})</span>", esc(x)))
                .unwrap_or_default(),
            s.proven_time
                .map(stele_archive::rfc3339)
                .unwrap_or_default(),
            ind = esc(&s.indication),
        );
    }
    body.push_str("</table>");

    let _ = write!(
        body,
        "<h2>{}</h2>",
        l.t("Hiệu lực hôm nay", "Validity today")
    );
    match &verified {
        Ok(vr) => {
            let r = &vr.verification;
            let verdict = r.verdict.as_str();
            let _ = write!(
                body,
                "<p><span class=\"verdict {verdict}\" id=\"verdict\" data-verdict=\"{verdict}\">{}</span></p><p id=\"summary\">{}</p>",
                verdict_words(l, verdict),
                esc(&verification_sentence(l, r))
            );
            let _ = write!(
                body,
                "<h2>{}</h2>",
                l.t("Dòng thời gian chứng cứ", "Evidence timeline")
            );
            if r.timestamps.is_empty() {
                let _ = write!(
                    body,
                    "<p id=\"timeline\">{}</p>",
                    l.t(
                        "Chưa được niêm phong (đang chờ dấu thời gian).",
                        "Not sealed yet (waiting for its timestamp)."
                    )
                );
            } else {
                let _ = write!(
                    body,
                    "<table class=\"grid\" id=\"timeline\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
                    l.t("Sự kiện", "Event"),
                    l.t("Thời điểm", "Time"),
                    l.t("Đơn vị cấp dấu thời gian", "Time-stamp authority"),
                    l.t("Thuật toán", "Algorithm"),
                    l.t("Tin cậy", "Trusted")
                );
                for t in &r.timestamps {
                    let event = if t.chain == 0 && t.index == 0 {
                        l.t("Niêm phong", "Seal").to_string()
                    } else if t.index == 0 {
                        format!(
                            "{} ({} {})",
                            l.t("Gia hạn cây băm", "Hash-tree renewal"),
                            l.t("chuỗi", "chain"),
                            t.chain
                        )
                    } else {
                        l.t("Gia hạn dấu thời gian", "Timestamp renewal")
                            .to_string()
                    };
                    let _ = write!(
                        body,
                        "<tr class=\"event\"><td>{event}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        t.gen_time.map(stele_archive::rfc3339).unwrap_or_default(),
                        esc(t.tsa.as_deref().unwrap_or("?")),
                        esc(t.algorithm.as_deref().unwrap_or("")),
                        if t.trusted { l.t("có", "yes").to_string() } else { format!("{} {}", l.t("không", "no"), esc(t.trust_problem.as_deref().unwrap_or(""))) },
                    );
                }
                body.push_str("</table>");
            }
        }
        Err(e) => {
            let _ = write!(body, "<p class=\"err\">{}</p>", esc(&e.message));
        }
    }

    body.push_str("<h2 id=\"prove\">");
    body.push_str(l.t("Chứng minh", "Prove"));
    body.push_str("</h2>");
    if p.can(Permission::Verify) {
        let _ = write!(
            body,
            "<form method=\"get\" action=\"/records/{id}/report\" class=\"actions\"><label>{lbl} \
             <input type=\"date\" name=\"at\" id=\"at\"></label> <button id=\"report\" type=\"submit\">{btn}</button></form>",
            id = esc(&m.id),
            lbl = l.t("Kiểm tra hiệu lực tại ngày", "Verify as of"),
            btn = l.t("Báo cáo kiểm tra", "Verification report"),
        );
    }
    let url = state.codes.url(&state.public_base, &rid);
    let _ = write!(
        body,
        "<h2>{}</h2><p><img id=\"qr\" alt=\"QR\" width=\"160\" src=\"/api/v1/records/{id}/qr.svg\"></p>\
         <p><a id=\"public-url\" href=\"{url}\">{url}</a></p>",
        l.t("Mã QR kiểm tra công khai", "Public verification QR code"),
        id = esc(&m.id),
        url = esc(&url),
    );
    if p.can(Permission::Export) {
        let _ = write!(
            body,
            "<p class=\"actions\"><a id=\"export\" href=\"/records/{id}/export\">{}</a></p>",
            l.t("Tải gói chứng cứ (ZIP: bản gốc, hồ sơ chứng cứ RFC 4998, dữ liệu kiểm tra)", "Download the evidence package (ZIP: original, RFC 4998 evidence record, validation data)"),
            id = esc(&m.id),
        );
    }
    Ok(v.page(&m.metadata.subject, &body))
}

async fn file(State(state): St, v: Visitor, Path((id, n)): Path<(String, String)>) -> Page {
    let p = v.require(Permission::Read)?;
    api::file_response(&state, &p, &id, &n, "web")
        .await
        .map_err(|e| v.fail(e))
}

async fn report(
    State(state): St,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<AtParam>,
) -> Page {
    let p = v.require(Permission::Verify)?;
    let vr = state
        .verify_for(&p, &id, q.at.as_deref(), "report (web)")
        .await
        .map_err(|e| v.fail(e))?;
    Ok(html(
        StatusCode::OK,
        stele_archive::report_html::render(&vr.verification, &vr.manifest),
    ))
}

async fn export(
    State(state): St,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<AtParam>,
) -> Page {
    let p = v.require(Permission::Export)?;
    api::export_response(&state, &p, &id, q.at.as_deref(), "web")
        .await
        .map_err(|e| v.fail(e))
}

async fn upload_form(v: Visitor) -> Page {
    v.require(Permission::Ingest)?;
    Ok(upload_page(&v, ""))
}

fn upload_page(v: &Visitor, message: &str) -> Response {
    let l = v.lang;
    let body = format!(
        "<h1>{h}</h1>{message}<form method=\"post\" action=\"/upload\" enctype=\"multipart/form-data\">\
         <p><label>{f} <input type=\"file\" name=\"file\" id=\"file\" required></label></p>\
         <p><label>{m} <input type=\"file\" name=\"meta\" id=\"meta\" accept=\".json,application/json\" required></label></p>\
         <p><label>{d} <input type=\"file\" name=\"detached\"></label></p>\
         <p><label><input type=\"checkbox\" name=\"allow_unsigned\" value=\"on\"> {u}</label></p>\
         <p><button id=\"send\" type=\"submit\">{b}</button></p></form>",
        h = l.t("Nộp lưu văn bản", "Archive a document"),
        f = l.t("Văn bản (PDF có chữ ký số, CMS .p7m/.p7s)", "Document (signed PDF, CMS .p7m/.p7s)"),
        m = l.t("Siêu dữ liệu (JSON theo Phụ lục VI, NĐ 30/2020)", "Metadata (JSON, NĐ 30/2020 Phụ lục VI)"),
        d = l.t("Nội dung được ký (với chữ ký tách rời .p7s)", "Signed content (for a detached .p7s)"),
        u = l.t("Chấp nhận văn bản không có chữ ký", "Accept a document without signatures"),
        b = l.t("Nộp lưu", "Archive"),
    );
    v.page(l.t("Nộp lưu", "Upload"), &body)
}

async fn upload(State(state): St, v: Visitor, form: Multipart) -> Page {
    let p = v.require(Permission::Ingest)?;
    let l = v.lang;
    let done = async {
        let up = api::read_upload(form, state.max_upload).await?;
        api::ingest(&state, &p, up, "web upload").await
    }
    .await;
    // A refused upload answers with its error's status, the form shown again with the reason.
    let status = done.as_ref().map_or_else(|e| e.status, |_| StatusCode::OK);
    let message = match done {
        Ok(Ingested::Archived { id, indication, summary }) => format!(
            "<p id=\"result\" data-status=\"archived\">{} <a href=\"/records/{id}\">{id}</a>: <span class=\"{indication}\">{}</span> — {}{}</p>",
            l.t("Đã lưu", "Archived"),
            verdict_words(l, indication),
            // The validation report's sentence is English; the record page has it in words.
            l.t("chi tiết kỹ thuật: ", ""),
            esc(&summary),
            id = esc(&id),
        ),
        Ok(Ingested::Duplicate { id: Some(id) }) => format!(
            "<p id=\"result\" data-status=\"duplicate\">{} <a href=\"/records/{id}\">{id}</a></p>",
            l.t("Văn bản này đã có trong kho:", "Already archived:"),
            id = esc(&id),
        ),
        // A record this user may not see: not named.
        Ok(Ingested::Duplicate { id: None }) => format!(
            "<p id=\"result\" data-status=\"duplicate\">{}</p>",
            l.t("Văn bản này đã có trong kho.", "This document is already archived."),
        ),
        Err(e) => format!("<p id=\"result\" class=\"err\" data-status=\"{}\">{}</p>", e.code, esc(&e.message)),
    };
    let mut page = upload_page(&v, &message);
    *page.status_mut() = status;
    Ok(page)
}
