//! The web UI's page frame and words: server-rendered HTML, Vietnamese by default, English on
//! request (`/lang/en`), one stylesheet inline, no script. Every string from data goes through
//! [`esc`] (the report's own escape: one escape for the whole UI).

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::auth::Principal;
use super::ApiError;

pub(crate) use stele_archive::report_html::escape as esc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn of(headers: &HeaderMap) -> Lang {
        match super::api::cookie(headers, "lang").as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Vi,
        }
    }

    /// The Vietnamese or the English text.
    pub fn t<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

const STYLE: &str = "
body{font-family:'DejaVu Sans','Noto Sans',Arial,sans-serif;margin:0;color:#1b1b1b;background:#fafaf7}
header{background:#7a1f1f;color:#fff;padding:.6em 1.2em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header .brand{font-weight:bold;font-size:1.2em;margin-right:1em}
header .who{margin-left:auto;font-size:.9em}
main{max-width:1100px;margin:1em auto;padding:0 1em}
.search{display:flex;gap:.5em;margin:.5em 0}.search input[type=search]{flex:1;font-size:1.1em;padding:.4em}
.filters{display:flex;gap:.6em;flex-wrap:wrap;font-size:.9em;margin-bottom:.8em}
.cols{display:flex;gap:1.5em}.facets{min-width:220px;font-size:.9em}.facets h3{font-size:1em;margin:.8em 0 .2em}
.facets ul{list-style:none;padding:0;margin:0}.results{flex:1}
.hit{margin:0 0 1.1em}.hit .meta{color:#555;font-size:.9em}.hit .snippet{margin:.2em 0}
mark{background:#ffe58a;padding:0 .1em}
.secret{background:#b00020;color:#fff;padding:0 .4em;border-radius:3px;font-size:.85em}
table.kv{border-collapse:collapse;margin:.5em 0}table.kv th{text-align:left;padding:.2em 1em .2em 0;color:#444;vertical-align:top}
table.kv td{padding:.2em 0}
table.grid{border-collapse:collapse;margin:.5em 0}table.grid th,table.grid td{border:1px solid #ccc;padding:.3em .6em;text-align:left}
.verdict{font-size:1.5em;font-weight:bold;padding:.3em .6em;display:inline-block;border-radius:4px}
.PASSED{background:#d7f0d7;color:#14531a}.FAILED{background:#f8d4d4;color:#8a1010}.INDETERMINATE{background:#fbeccb;color:#6b4a00}
.err{background:#f8d4d4;padding:.6em;border-radius:4px}
.muted{color:#666}.actions a,.actions button{margin-right:1em}
footer{color:#777;font-size:.8em;text-align:center;margin:2em 0}
";

/// A whole page: header with navigation for the signed-in caller, the body, a footer.
pub(crate) fn frame(lang: Lang, title: &str, who: Option<&Principal>, body: &str) -> String {
    let nav = match who {
        Some(p) => format!(
            "<a href=\"/search\">{search}</a><a href=\"/dashboard\">{dash}</a>{upload}\
             <span class=\"who\">{name} ({role}{clear}) · <form method=\"post\" action=\"/logout\" style=\"display:inline\">\
             <button type=\"submit\">{out}</button></form></span>",
            search = lang.t("Tìm kiếm", "Search"),
            dash = lang.t("Tỷ lệ ký số", "Signing rates"),
            upload = if p.can(super::auth::Permission::Ingest) {
                format!("<a href=\"/upload\">{}</a>", lang.t("Nộp lưu", "Upload"))
            } else {
                String::new()
            },
            name = esc(&p.name),
            role = p.role.as_str(),
            clear = if p.clearance { lang.t(", được xem tài liệu mật", ", cleared for secret records") } else { "" },
            out = lang.t("Đăng xuất", "Sign out"),
        ),
        None => format!(
            "<span class=\"who\"><a href=\"/login\">{}</a></span>",
            lang.t("Đăng nhập", "Sign in")
        ),
    };
    let switch = match lang {
        Lang::Vi => "<a href=\"/lang/en\">English</a>",
        Lang::En => "<a href=\"/lang/vi\">Tiếng Việt</a>",
    };
    format!(
        "<!DOCTYPE html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Stele</title><style>{STYLE}</style></head><body>\
         <header><a class=\"brand\" href=\"/\">Stele</a>{nav}{switch}</header>\
         <main>{body}</main><footer>Stele — {foot}</footer></body></html>",
        code = lang.code(),
        title = esc(title),
        foot = lang.t(
            "lưu trữ văn bản điện tử có chữ ký số, chứng minh được lâu dài",
            "an archive that keeps signed documents provably valid for decades"
        ),
    )
}

/// An HTML response with headers that keep pages out of shared caches and frames.
pub(crate) fn html(status: StatusCode, page: String) -> Response {
    let mut r = (status, Html(page)).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// An error as a page in the caller's language; a missing sign-in sends to the login page.
pub(crate) fn error_page(lang: Lang, who: Option<&Principal>, e: ApiError) -> Response {
    if e.status == StatusCode::UNAUTHORIZED {
        return axum::response::Redirect::to("/login").into_response();
    }
    let title = match e.status {
        StatusCode::NOT_FOUND => lang.t("Không tìm thấy", "Not found"),
        StatusCode::FORBIDDEN => lang.t("Không có quyền", "Not allowed"),
        StatusCode::BAD_REQUEST => lang.t("Yêu cầu không hợp lệ", "Bad request"),
        _ => lang.t("Lỗi", "Error"),
    };
    let body = format!(
        "<h1>{}</h1><p class=\"err\" id=\"error\" data-code=\"{}\">{}</p>",
        esc(title),
        e.code,
        esc(&e.message)
    );
    html(e.status, frame(lang, title, who, &body))
}

/// A verdict in plain words.
pub(crate) fn verdict_words(lang: Lang, v: &str) -> &'static str {
    match (v, lang) {
        ("PASSED", Lang::Vi) => "HỢP LỆ",
        ("PASSED", Lang::En) => "VALID",
        ("FAILED", Lang::Vi) => "KHÔNG HỢP LỆ",
        ("FAILED", Lang::En) => "NOT VALID",
        (_, Lang::Vi) => "CHƯA XÁC ĐỊNH ĐƯỢC",
        (_, Lang::En) => "CANNOT BE DETERMINED",
    }
}

/// The verification's one sentence in the page's language. The report's own sentence is
/// English (it is the sentence of the JSON and the court report); in Vietnamese the sentence is
/// made from the same facts, and a check the page cannot put in words keeps its English detail,
/// marked as technical.
pub(crate) fn verification_sentence(lang: Lang, r: &stele_archive::RecordVerification) -> String {
    use stele_archive::RecordVerdict;
    if lang == Lang::En {
        return r.summary.clone();
    }
    if r.verdict == RecordVerdict::Passed {
        let signatures = match r.signatures.as_ref().map(|s| s.signatures.len()) {
            Some(n) if n > 0 => format!("{n} chữ ký số của văn bản hợp lệ tại thời điểm đó"),
            _ => "văn bản không mang chữ ký số".to_string(),
        };
        return format!(
            "Các tệp của văn bản còn nguyên vẹn, đã tồn tại vào {} theo {} dấu thời gian lưu trữ, và {signatures}.",
            r.proof_of_existence
                .map(stele_archive::rfc3339)
                .unwrap_or_default(),
            r.timestamps.len(),
        );
    }
    let decisive = r.steps.iter().find(|s| {
        s.status
            == if r.verdict == RecordVerdict::Failed {
                "failed"
            } else {
                "indeterminate"
            }
    });
    let known = match r.failed_check.as_deref() {
        Some("FILE_CORRUPT") => {
            Some("một tệp được lưu không còn khớp với giá trị băm ghi lại khi lưu trữ")
        }
        Some(stele_archive::NOT_SEALED) => Some("văn bản chưa được niêm phong bằng dấu thời gian"),
        Some("EVIDENCE_MISMATCH") => Some("chứng cứ lưu trữ không khớp với các tệp của văn bản"),
        Some("HASH_ALGORITHM_RETIRED") => {
            Some("thuật toán băm của chứng cứ đã hết hiệu lực trước khi chứng cứ được gia hạn")
        }
        Some("DOCUMENT_UNREADABLE") => Some("không đọc được văn bản để kiểm tra chữ ký số"),
        Some("NO_SIGNATURE") => Some("văn bản không mang chữ ký số nào"),
        _ => None,
    };
    let step = decisive.map(|s| match s.name {
        "files" => "tính toàn vẹn của tệp",
        "evidence_record" => "chứng cứ lưu trữ",
        "archive_timestamps" => "dấu thời gian lưu trữ",
        "hash_algorithms" => "thuật toán băm",
        "signatures" => "chữ ký số",
        _ => "kiểm tra",
    });
    let verdict = verdict_words(lang, r.verdict.as_str());
    match (step, known, decisive) {
        (Some(step), Some(why), _) => format!("{verdict} ở bước {step}: {why}."),
        (Some(step), None, Some(s)) => {
            format!("{verdict} ở bước {step}. Chi tiết kỹ thuật: {}", s.detail)
        }
        _ => format!("{verdict}. Chi tiết kỹ thuật: {}", r.summary),
    }
}

/// Percent-encodes a query-string value.
pub(crate) fn qs(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use stele_archive::longterm::Step;
    use stele_archive::{RecordVerdict, RecordVerification};

    fn failed(code: &str, step: &'static str, detail: &str) -> RecordVerification {
        RecordVerification {
            report: RecordVerification::FORMAT,
            record: "ab".repeat(32),
            verification_time: time::macros::datetime!(2056-01-01 0:00 UTC),
            verdict: RecordVerdict::Failed,
            failed_check: Some(code.into()),
            summary: format!("FAILED: {step} check — {detail}"),
            proof_of_existence: None,
            steps: vec![Step {
                name: step,
                status: "failed",
                code: Some(code.into()),
                detail: detail.into(),
            }],
            files: Vec::new(),
            timestamps: Vec::new(),
            signatures: None,
        }
    }

    #[test]
    fn the_verdict_sentence_is_vietnamese_on_the_vietnamese_page() {
        let r = failed("FILE_CORRUPT", "files", "1 of 4 stored objects differ");
        assert_eq!(verification_sentence(Lang::En, &r), r.summary);
        let vi = verification_sentence(Lang::Vi, &r);
        assert!(
            vi.starts_with("KHÔNG HỢP LỆ ở bước tính toàn vẹn của tệp:"),
            "{vi}"
        );
        assert!(!vi.contains("stored objects"), "{vi}");
        // A check without Vietnamese words keeps its detail, marked as technical.
        let r = failed(
            "TOKEN_UNTRUSTED",
            "archive_timestamps",
            "the TSA is not trusted",
        );
        let vi = verification_sentence(Lang::Vi, &r);
        assert_eq!(
            vi,
            "KHÔNG HỢP LỆ ở bước dấu thời gian lưu trữ. Chi tiết kỹ thuật: the TSA is not trusted"
        );
    }
}
