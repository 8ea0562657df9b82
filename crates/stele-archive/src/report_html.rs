//! The verification report as one self-contained HTML page a lawyer can read (DESIGN §2, §6):
//! the verdict in large words with its one-sentence summary, the document's identity from its
//! metadata, each check in plain words, the evidence timeline, each signature, and the files
//! with their SHA-256. Vietnamese with English alongside.
//!
//! The page has inline CSS only: no JavaScript, no external resources, so it shows the same
//! offline in twenty years. Every string taken from data (metadata, file names, certificate
//! names, messages that quote them) is untrusted and goes through [`escape`].

use std::fmt::Write as _;

use stele_sig::{DocumentReport, HolderKind, Indication, SignatureReport};
use time::{Date, OffsetDateTime};

use crate::longterm::{RecordVerdict, RecordVerification, Step, TimestampEntry};
use crate::RecordManifest;

/// Escapes text for HTML element content and quoted attribute values: `& < > " '`, and control
/// characters (which HTML does not allow) replaced by U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body{font-family:'Noto Sans','Segoe UI',Arial,sans-serif;color:#1b1b1b;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.2rem}
h2{font-size:1.2rem;border-bottom:2px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
.en{color:#555;font-weight:normal}
.meta{color:#555;font-size:.9rem}
.verdict{border-radius:.4rem;padding:1rem 1.2rem;margin:1rem 0}
.verdict .word{font-size:2.4rem;font-weight:bold;letter-spacing:.03em}
.verdict .word .en{font-size:1.4rem}
.passed{background:#e6f4ea;border:2px solid #1e7b34}
.passed .word{color:#1e7b34}
.failed{background:#fce8e6;border:2px solid #b3261e}
.failed .word{color:#b3261e}
.indeterminate{background:#fff4e0;border:2px solid #a85d00}
.indeterminate .word{color:#a85d00}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}
table.kv th{width:30%}
.ok{color:#1e7b34;font-weight:bold}
.bad{color:#b3261e;font-weight:bold}
.warn{color:#a85d00;font-weight:bold}
.muted{color:#666}
code,.hash{font-family:'DejaVu Sans Mono',Consolas,monospace;font-size:.85rem;word-break:break-all}
.sig{border:1px solid #ccc;border-radius:.3rem;padding:.5rem .8rem;margin:.8rem 0}
footer{margin-top:2.5rem;font-size:.85rem;color:#555}
@media print{body{margin:0;max-width:none}.verdict{break-inside:avoid}}
";

/// One self-contained HTML page (UTF-8) reporting `v` for the record `m`.
pub fn render(v: &RecordVerification, m: &RecordManifest) -> String {
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Xác minh hồ sơ / Record verification — {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        escape(&v.record)
    );
    let _ = write!(
        h,
        "<header>\n<h1>Báo cáo xác minh hồ sơ lưu trữ <span class=\"en\">/ Archived record verification report</span></h1>\n\
         <p class=\"meta\">Hồ sơ / Record: <code>{}</code><br>\
         Thời điểm xác minh / Verified as of: {}<br>\
         Tiếp nhận vào kho lưu trữ / Archived on: {}</p>\n</header>\n",
        escape(&v.record),
        when(v.verification_time),
        when(m.ingested_at)
    );
    verdict_section(&mut h, v);
    document_section(&mut h, m);
    steps_section(&mut h, &v.steps);
    timeline_section(&mut h, &v.timestamps);
    signatures_section(&mut h, v.signatures.as_ref(), m);
    files_section(&mut h, v, m);
    h.push_str(
        "<footer>\n<p>Trang này do Stele tạo ra từ bằng chứng lưu trữ của hồ sơ (dấu thời gian RFC 3161, \
         hồ sơ bằng chứng RFC 4998). Tệp <code>verification.json</code> bên cạnh chứa cùng kết quả ở dạng \
         máy đọc được; <code>README.txt</code> hướng dẫn cách tự kiểm tra lại mà không cần Stele.<br>\
         <span class=\"en\">This page was produced by Stele from the record's archival evidence (RFC 3161 \
         timestamps, an RFC 4998 evidence record). <code>verification.json</code> next to it holds the same \
         result for machines; <code>README.txt</code> explains how to check it again without Stele.</span></p>\n\
         </footer>\n</body>\n</html>\n",
    );
    h
}

/// "2026-03-02 09:00:00 UTC".
fn when(t: OffsetDateTime) -> String {
    crate::rfc3339(t).replace('T', " ").replace('Z', " UTC")
}

fn when_opt(t: Option<OffsetDateTime>) -> String {
    t.map(when).unwrap_or_else(|| "—".to_string())
}

/// "02/03/2026 (2026-03-02)": the Vietnamese day/month/year and ISO.
fn date(d: Date) -> String {
    format!(
        "{:02}/{:02}/{:04} ({:04}-{:02}-{:02})",
        d.day(),
        u8::from(d.month()),
        d.year(),
        d.year(),
        u8::from(d.month()),
        d.day()
    )
}

fn verdict_words(v: RecordVerdict) -> (&'static str, &'static str, &'static str) {
    match v {
        RecordVerdict::Passed => ("passed", "HỢP LỆ", "PASSED"),
        RecordVerdict::Failed => ("failed", "KHÔNG HỢP LỆ", "FAILED"),
        RecordVerdict::Indeterminate => ("indeterminate", "CHƯA XÁC ĐỊNH ĐƯỢC", "INDETERMINATE"),
    }
}

fn verdict_section(h: &mut String, v: &RecordVerification) {
    let (class, vi, en) = verdict_words(v.verdict);
    let meaning = match v.verdict {
        RecordVerdict::Passed => {
            "Hồ sơ nguyên vẹn và bằng chứng chứng minh được nó đã tồn tại, với chữ ký hợp lệ, tại thời điểm nêu dưới đây. \
             <span class=\"en\">The record is intact and the evidence proves it existed, with valid signatures, at the time below.</span>"
        }
        RecordVerdict::Failed => {
            "Một bước kiểm tra đã thất bại: không thể dựa vào hồ sơ này như một bằng chứng. \
             <span class=\"en\">A check failed: this record cannot be relied on as evidence.</span>"
        }
        RecordVerdict::Indeterminate => {
            "Không phát hiện sai lệch, nhưng thiếu một yếu tố để chứng minh đầy đủ (xem các bước bên dưới). \
             <span class=\"en\">Nothing was found wrong, but something needed for full proof is missing (see the checks below).</span>"
        }
    };
    let _ = write!(
        h,
        "<section>\n<h2>Kết quả xác minh <span class=\"en\">/ Verification result</span></h2>\n\
         <div class=\"verdict {class}\">\n<div class=\"word\">{vi} <span class=\"en\">/ {en}</span></div>\n\
         <p>{meaning}</p>\n<p><strong>{}</strong></p>\n",
        escape(&v.summary)
    );
    if let Some(t) = v.proof_of_existence {
        let _ = writeln!(
            h,
            "<p>Chứng minh tồn tại từ <span class=\"en\">/ Proven to exist since</span>: <strong>{}</strong></p>",
            when(t)
        );
    }
    if let Some(code) = &v.failed_check {
        let _ = writeln!(
            h,
            "<p class=\"muted\">Mã kiểm tra quyết định <span class=\"en\">/ Deciding check code</span>: <code>{}</code></p>",
            escape(code)
        );
    }
    h.push_str("</div>\n</section>\n");
}

fn kv(h: &mut String, label: &str, value: &str) {
    // `label` is a constant of this module; `value` is escaped by the caller.
    let _ = writeln!(h, "<tr><th>{label}</th><td>{value}</td></tr>");
}

fn document_section(h: &mut String, m: &RecordManifest) {
    let md = &m.metadata;
    h.push_str(
        "<section>\n<h2>Văn bản <span class=\"en\">/ Document</span></h2>\n<table class=\"kv\">\n",
    );
    let organ = match &md.organ_id {
        Some(id) => format!(
            "{} <span class=\"muted\">({})</span>",
            escape(&md.organ_name),
            escape(id)
        ),
        None => escape(&md.organ_name),
    };
    kv(
        h,
        "Cơ quan ban hành <span class=\"en\">/ Issuing body</span>",
        &organ,
    );
    if let Some(t) = &md.type_name {
        kv(
            h,
            "Tên loại văn bản <span class=\"en\">/ Document type</span>",
            &escape(t),
        );
    }
    let number = md.number_notation().unwrap_or_default();
    if !number.is_empty() {
        kv(
            h,
            "Số, ký hiệu <span class=\"en\">/ Number and notation</span>",
            &escape(&number),
        );
    }
    kv(
        h,
        "Ngày ban hành <span class=\"en\">/ Date issued</span>",
        &date(md.issued_date),
    );
    kv(
        h,
        "Trích yếu <span class=\"en\">/ Subject</span>",
        &escape(&md.subject),
    );
    if !md.signer_info.is_empty() {
        let signers: Vec<String> = md
            .signer_info
            .iter()
            .map(|s| match &s.position {
                Some(p) => format!("{} ({})", escape(&s.full_name), escape(p)),
                None => escape(&s.full_name),
            })
            .collect();
        kv(
            h,
            "Người ký <span class=\"en\">/ Signed by</span>",
            &signers.join("<br>"),
        );
    }
    if let Some(n) = md.page_amount {
        kv(
            h,
            "Số trang <span class=\"en\">/ Pages</span>",
            &n.to_string(),
        );
    }
    if let Some(d) = &md.description {
        kv(h, "Ghi chú <span class=\"en\">/ Note</span>", &escape(d));
    }
    let confidentiality = if md.confidentiality.is_secret() {
        format!(
            "<span class=\"warn\">{}</span>",
            escape(md.confidentiality.label())
        )
    } else {
        "Không mật <span class=\"en\">/ not classified</span>".to_string()
    };
    kv(
        h,
        "Độ mật <span class=\"en\">/ Classification</span>",
        &confidentiality,
    );
    let retention = match md.retention {
        crate::Retention::Permanent => {
            "Vĩnh viễn <span class=\"en\">/ permanent</span>".to_string()
        }
        crate::Retention::Other => "Khác <span class=\"en\">/ other</span>".to_string(),
        r => {
            let y = r.years().unwrap_or_default();
            format!("{y} năm <span class=\"en\">/ {y} years</span>")
        }
    };
    kv(
        h,
        "Thời hạn bảo quản <span class=\"en\">/ Retention</span>",
        &retention,
    );
    kv(
        h,
        "Chế độ sử dụng <span class=\"en\">/ Access</span>",
        &escape(md.access_mode.label()),
    );
    let v = &m.validation;
    kv(
        h,
        "Kiểm tra chữ ký khi tiếp nhận <span class=\"en\">/ Signature check at ingest</span>",
        &format!(
            "{} — {} <span class=\"muted\">({})</span>",
            escape(&v.indication),
            escape(&v.summary),
            when(v.validation_time)
        ),
    );
    h.push_str("</table>\n</section>\n");
}

fn step_name(name: &str) -> &'static str {
    match name {
        "files" => "Tệp còn nguyên vẹn <span class=\"en\">/ The files are intact</span>",
        "evidence_record" => {
            "Bằng chứng bao trùm đúng các tệp này <span class=\"en\">/ The evidence covers these files</span>"
        }
        "archive_timestamps" => {
            "Dấu thời gian lưu trữ đáng tin cậy <span class=\"en\">/ The archive timestamps are trustworthy</span>"
        }
        "hash_algorithms" => {
            "Thuật toán băm còn an toàn <span class=\"en\">/ The hash algorithms were still secure</span>"
        }
        "signatures" => {
            "Chữ ký số hợp lệ khi ký <span class=\"en\">/ The signatures were valid when made</span>"
        }
        _ => "Kiểm tra khác <span class=\"en\">/ Other check</span>",
    }
}

fn status_words(status: &str) -> &'static str {
    match status {
        "passed" => "<span class=\"ok\">Đạt <span class=\"en\">/ passed</span></span>",
        "failed" => "<span class=\"bad\">Không đạt <span class=\"en\">/ failed</span></span>",
        "indeterminate" => {
            "<span class=\"warn\">Chưa xác định <span class=\"en\">/ indeterminate</span></span>"
        }
        "not_checked" => {
            "<span class=\"muted\">Chưa kiểm tra <span class=\"en\">/ not checked</span></span>"
        }
        _ => "<span class=\"muted\">—</span>",
    }
}

fn steps_section(h: &mut String, steps: &[Step]) {
    h.push_str(
        "<section>\n<h2>Các bước kiểm tra <span class=\"en\">/ Checks</span></h2>\n<table>\n\
         <tr><th>Kiểm tra <span class=\"en\">/ Check</span></th><th>Kết quả <span class=\"en\">/ Result</span></th>\
         <th>Chi tiết <span class=\"en\">/ Detail</span></th></tr>\n",
    );
    for s in steps {
        let code = s
            .code
            .as_deref()
            .map(|c| {
                format!(
                    "<br><span class=\"muted\">mã / code <code>{}</code></span>",
                    escape(c)
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}{code}</td></tr>",
            step_name(s.name),
            status_words(s.status),
            escape(&s.detail)
        );
    }
    h.push_str("</table>\n</section>\n");
}

fn covers_words(covers: &str) -> String {
    match covers {
        "data objects" => "Các tệp của hồ sơ <span class=\"en\">/ the record's files</span>".into(),
        "previous timeStamp" => {
            "Các dấu thời gian trước đó (gia hạn) <span class=\"en\">/ the earlier timestamps (renewal)</span>"
                .into()
        }
        "data objects and previous chains" => {
            "Các tệp và toàn bộ bằng chứng trước đó (băm lại) <span class=\"en\">/ the files and all earlier evidence (rehashing)</span>"
                .into()
        }
        other => escape(other),
    }
}

fn timeline_section(h: &mut String, timestamps: &[TimestampEntry]) {
    h.push_str(
        "<section>\n<h2>Dòng thời gian bằng chứng <span class=\"en\">/ Evidence timeline</span></h2>\n",
    );
    if timestamps.is_empty() {
        h.push_str(
            "<p class=\"muted\">Chưa có dấu thời gian lưu trữ nào được kiểm tra. \
             <span class=\"en\">No archive timestamp was checked.</span></p>\n</section>\n",
        );
        return;
    }
    h.push_str(
        "<p>Mỗi dấu thời gian do một tổ chức cấp dấu thời gian (TSA) ký, chứng minh những gì nó bao trùm đã tồn tại vào ngày đó; \
         mỗi dấu thời gian phải còn đáng tin cậy cho đến khi dấu thời gian kế tiếp được tạo. \
         <span class=\"en\">Each timestamp is signed by a time-stamping authority (TSA) and proves that what it covers existed on that date; \
         each must still be trustworthy when the next one was made.</span></p>\n<table>\n\
         <tr><th>Chuỗi.số <span class=\"en\">/ Chain.no.</span></th><th>Ngày <span class=\"en\">/ Date</span></th><th>TSA</th>\
         <th>Bao trùm <span class=\"en\">/ Covers</span></th><th>Phải tin cậy lúc <span class=\"en\">/ Had to be trusted at</span></th>\
         <th>Tin cậy? <span class=\"en\">/ Trusted?</span></th></tr>\n",
    );
    for t in timestamps {
        let trusted = if t.trusted && t.integrity.eq_ignore_ascii_case("intact") {
            "<span class=\"ok\">Có <span class=\"en\">/ yes</span></span>".to_string()
        } else {
            let why = t
                .trust_problem
                .as_deref()
                .map(escape)
                .unwrap_or_else(|| format!("token {}", escape(t.integrity)));
            format!("<span class=\"bad\">Không <span class=\"en\">/ no</span></span>: {why}")
        };
        let alg = t
            .algorithm
            .as_deref()
            .map(|a| format!("<br><span class=\"muted\">{}</span>", escape(a)))
            .unwrap_or_default();
        let serial = t
            .serial
            .as_deref()
            .map(|s| {
                format!(
                    "<br><span class=\"muted\">số sê-ri / serial {}</span>",
                    escape(s)
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr><td>{}.{}</td><td>{}</td><td>{}{serial}</td><td>{}{alg}</td><td>{}</td><td>{trusted}</td></tr>",
            t.chain,
            t.index,
            when_opt(t.gen_time),
            t.tsa.as_deref().map(escape).unwrap_or_else(|| "—".into()),
            covers_words(t.covers),
            when(t.valid_at)
        );
    }
    h.push_str("</table>\n</section>\n");
}

fn indication_words(i: Indication) -> &'static str {
    match i {
        Indication::Passed => "<span class=\"ok\">HỢP LỆ / PASSED</span>",
        Indication::Failed => "<span class=\"bad\">KHÔNG HỢP LỆ / FAILED</span>",
        Indication::Indeterminate => "<span class=\"warn\">CHƯA XÁC ĐỊNH / INDETERMINATE</span>",
    }
}

fn holder_words(h: HolderKind) -> &'static str {
    match h {
        HolderKind::Personal => "Cá nhân <span class=\"en\">/ personal</span>",
        HolderKind::Organisation => "Cơ quan, tổ chức <span class=\"en\">/ organisation</span>",
        HolderKind::Undetermined => "Không xác định <span class=\"en\">/ undetermined</span>",
    }
}

/// The JSON name of a serde enum value (`SIG_CRYPTO_FAILURE`).
fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn signatures_section(h: &mut String, report: Option<&DocumentReport>, m: &RecordManifest) {
    h.push_str("<section>\n<h2>Chữ ký số <span class=\"en\">/ Signatures</span></h2>\n");
    let Some(r) = report else {
        h.push_str(
            "<p class=\"muted\">Chữ ký chưa được đánh giá lại vì bằng chứng chưa đứng vững. \
             <span class=\"en\">The signatures were not judged again because the evidence did not hold.</span></p>\n",
        );
        if !m.validation.signatures.is_empty() {
            let _ = writeln!(
                h,
                "<p>Khi tiếp nhận <span class=\"en\">/ At ingest</span> ({}): {}</p>",
                when(m.validation.validation_time),
                escape(&m.validation.summary)
            );
        }
        h.push_str("</section>\n");
        return;
    };
    if r.signatures.is_empty() {
        h.push_str(
            "<p>Văn bản không mang chữ ký số; bằng chứng chỉ chứng minh tính toàn vẹn và thời điểm tồn tại. \
             <span class=\"en\">The document carries no signature; the evidence proves only its integrity and existence.</span></p>\n</section>\n",
        );
        return;
    }
    let _ = writeln!(
        h,
        "<p>Đánh giá tại <span class=\"en\">/ Judged at</span> {}: {} — {}</p>",
        when(r.validation_time),
        indication_words(r.indication),
        escape(&r.summary)
    );
    let _ = writeln!(
        h,
        "<p>Có cả chữ ký cá nhân và chữ ký cơ quan, tổ chức hợp lệ (NĐ 30/2020 Điều 5) \
         <span class=\"en\">/ Both a personal and an organisation signature passed</span>: {}</p>",
        if r.personal_and_organisation_signed {
            "<span class=\"ok\">Có / yes</span>"
        } else {
            "<span class=\"muted\">Không / no</span>"
        }
    );
    for s in &r.signatures {
        signature(h, s);
    }
    for w in &r.warnings {
        let _ = writeln!(h, "<p class=\"warn\">{}</p>", escape(w));
    }
    h.push_str("</section>\n");
}

fn signature(h: &mut String, s: &SignatureReport) {
    let who = s
        .signer
        .as_ref()
        .map(|i| {
            i.name
                .clone()
                .unwrap_or_else(|| i.certificate.subject.clone())
        })
        .unwrap_or_else(|| "(không rõ / unknown)".into());
    let _ = writeln!(
        h,
        "<div class=\"sig\">\n<h3>{} <span class=\"muted\">({})</span></h3>\n<table class=\"kv\">",
        escape(&who),
        escape(&s.id)
    );
    let verdict = match s.sub_indication {
        Some(sub) => format!(
            "{} — <code>{}</code>",
            indication_words(s.indication),
            escape(&serde_name(&sub))
        ),
        None => indication_words(s.indication).to_string(),
    };
    kv(h, "Kết quả <span class=\"en\">/ Result</span>", &verdict);
    if !s.explanation.is_empty() {
        kv(
            h,
            "Giải thích <span class=\"en\">/ Explanation</span>",
            &escape(&s.explanation),
        );
    }
    if let Some(i) = &s.signer {
        kv(
            h,
            "Loại chữ ký <span class=\"en\">/ Signed as</span>",
            holder_words(i.holder),
        );
        kv(
            h,
            "Chứng thư số <span class=\"en\">/ Certificate</span>",
            &format!(
                "{}<br><span class=\"muted\">cấp bởi / issued by</span> {}<br>\
                 <span class=\"muted\">số sê-ri / serial</span> <code>{}</code>, \
                 <span class=\"muted\">hiệu lực / valid</span> {} → {}",
                escape(&i.certificate.subject),
                escape(&i.certificate.issuer),
                escape(&i.certificate.serial),
                when(i.certificate.not_before),
                when(i.certificate.not_after)
            ),
        );
    }
    kv(
        h,
        "Thời điểm ký (người ký khai) <span class=\"en\">/ Signing time (claimed)</span>",
        &when_opt(s.claimed_signing_time),
    );
    kv(
        h,
        "Thời điểm được chứng minh <span class=\"en\">/ Proven time</span>",
        &when_opt(s.proven_time),
    );
    kv(
        h,
        "Đánh giá tại thời điểm <span class=\"en\">/ Judged at</span>",
        &when(s.best_signature_time),
    );
    for w in &s.warnings {
        kv(h, "Lưu ý <span class=\"en\">/ Note</span>", &escape(w));
    }
    h.push_str("</table>\n</div>\n");
}

fn role_words(role: &str) -> String {
    match role {
        "original" => "Bản gốc <span class=\"en\">/ original</span>".into(),
        "detached_content" => "Nội dung được ký <span class=\"en\">/ signed content</span>".into(),
        other => escape(other),
    }
}

fn files_section(h: &mut String, v: &RecordVerification, m: &RecordManifest) {
    h.push_str(
        "<section>\n<h2>Tệp <span class=\"en\">/ Files</span></h2>\n<table>\n\
         <tr><th>Tên <span class=\"en\">/ Name</span></th><th>Vai trò <span class=\"en\">/ Role</span></th>\
         <th>Kích thước <span class=\"en\">/ Size</span></th><th>SHA-256</th>\
         <th>Nguyên vẹn <span class=\"en\">/ Intact</span></th></tr>\n",
    );
    if v.files.is_empty() {
        for f in &m.files {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{} B</td><td class=\"hash\">{}</td><td>—</td></tr>",
                escape(&f.name),
                role_words(&f.role),
                f.blob.len,
                escape(&f.blob.hex())
            );
        }
    }
    for f in &v.files {
        let intact = if f.intact {
            "<span class=\"ok\">Có / yes</span>"
        } else {
            "<span class=\"bad\">Không / no</span>"
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{} B</td><td class=\"hash\">{}</td><td>{intact}</td></tr>",
            escape(&f.name),
            role_words(&f.role),
            f.size,
            escape(&f.sha256)
        );
    }
    let _ = writeln!(
        h,
        "</table>\n<p class=\"muted\">Nhóm dữ liệu được niêm phong gồm {n} đối tượng: các tệp trên, tài liệu xác minh \
         (chứng thư, CRL, OCSP), báo cáo kiểm tra khi tiếp nhận và siêu dữ liệu. \
         <span class=\"en\">The sealed data object group holds {n} objects: the files above, the validation material \
         (certificates, CRLs, OCSP responses), the ingest report and the metadata.</span></p>\n</section>",
        n = m.data_objects.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestValidation, RecordFile};
    use crate::longterm::FileCheck;
    use crate::{AccessMode, Confidentiality, RecordMetadata, Retention};
    use stele_store::BlobRef;
    use time::macros::{date, datetime};

    fn manifest(subject: &str, organ: &str) -> RecordManifest {
        let blob = BlobRef::of(b"%PDF-1.7 test");
        RecordManifest {
            record: RecordManifest::FORMAT.into(),
            id: blob.hex(),
            ingested_at: datetime!(2026-03-02 09:00 UTC),
            files: vec![RecordFile {
                name: "quyet-dinh.pdf".into(),
                role: "original".into(),
                blob,
            }],
            validation: IngestValidation {
                indication: "PASSED".into(),
                summary: "1 signature PASSED".into(),
                validation_time: datetime!(2026-03-02 09:00 UTC),
                signatures: Vec::new(),
                report: blob,
            },
            material: Vec::new(),
            metadata: RecordMetadata {
                organ_id: Some("H12.01".into()),
                file_catalog: None,
                file_notation: None,
                doc_ordinal: None,
                type_name: Some("Quyết định".into()),
                code_number: Some("123".into()),
                code_notation: Some("QĐ-UBND".into()),
                issued_date: date!(2026 - 03 - 01),
                organ_name: organ.into(),
                subject: subject.into(),
                language: Some("vi".into()),
                page_amount: None,
                description: None,
                signer_info: vec![crate::metadata::SignerInfo {
                    position: Some("Chủ tịch".into()),
                    full_name: "Nguyễn Văn Đức".into(),
                }],
                to: Vec::new(),
                priority: None,
                issued_amount: None,
                due_date: None,
                confidentiality: Confidentiality::None,
                retention: Retention::Permanent,
                access_mode: AccessMode::Public,
            },
            metadata_blob: blob,
            data_objects: vec![blob],
        }
    }

    fn verification(verdict: RecordVerdict, summary: &str) -> RecordVerification {
        RecordVerification {
            report: RecordVerification::FORMAT,
            record: "ab".repeat(32),
            verification_time: datetime!(2039-06-01 00:00 UTC),
            verdict,
            failed_check: None,
            summary: summary.into(),
            proof_of_existence: Some(datetime!(2026-03-02 09:05 UTC)),
            steps: vec![Step {
                name: "files",
                status: "passed",
                code: None,
                detail: "All 1 stored objects match their SHA-256.".into(),
            }],
            files: vec![FileCheck {
                name: "<img src=x onerror=alert(1)>.pdf".into(),
                role: "original".into(),
                sha256: "00".repeat(32),
                size: 13,
                intact: true,
            }],
            timestamps: vec![TimestampEntry {
                chain: 0,
                index: 0,
                algorithm: Some("SHA-256".into()),
                gen_time: Some(datetime!(2026-03-02 09:05 UTC)),
                tsa: Some("CN=<b>TSA</b>".into()),
                serial: Some("42".into()),
                valid_at: datetime!(2039-06-01 00:00 UTC),
                covers: "data objects",
                integrity: "INTACT",
                trusted: true,
                trust_problem: None,
            }],
            signatures: None,
        }
    }

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c"), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(escape("Đà Nẵng"), "Đà Nẵng");
    }

    #[test]
    fn untrusted_strings_are_escaped_everywhere() {
        let m = manifest("<script>alert(1)</script>", "UBND <i>tỉnh</i>");
        let v = verification(RecordVerdict::Passed, "PASSED: <script>x</script>");
        let html = render(&v, &m);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<i>tỉnh"), "{html}");
        assert!(!html.contains("<b>TSA"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("CN=&lt;b&gt;TSA&lt;/b&gt;"));
        // Only the page's own tags: no script, no link, no external resource.
        const ALLOWED: &[&str] = &[
            "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2",
            "h3", "p", "br", "code", "section", "div", "span", "strong", "table", "tr", "th", "td",
            "footer",
        ];
        for tag in html.split('<').skip(1) {
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
                .collect();
            assert!(ALLOWED.contains(&name.as_str()), "tag <{name}> in {html}");
        }
        assert!(!html.contains("http://") && !html.contains("https://"));
    }

    #[test]
    fn verdict_is_shown_in_large_words() {
        let m = manifest("Về việc phê duyệt", "UBND tỉnh Đắk Lắk");
        for (verdict, vi, en, class) in [
            (RecordVerdict::Passed, "HỢP LỆ", "PASSED", "verdict passed"),
            (
                RecordVerdict::Failed,
                "KHÔNG HỢP LỆ",
                "FAILED",
                "verdict failed",
            ),
            (
                RecordVerdict::Indeterminate,
                "CHƯA XÁC ĐỊNH ĐƯỢC",
                "INDETERMINATE",
                "verdict indeterminate",
            ),
        ] {
            let html = render(&verification(verdict, "the one sentence"), &m);
            assert!(html.contains(class), "{html}");
            assert!(
                html.contains(&format!(
                    "<div class=\"word\">{vi} <span class=\"en\">/ {en}</span></div>"
                )),
                "{html}"
            );
            assert!(html.contains("<strong>the one sentence</strong>"));
        }
    }

    #[test]
    fn vietnamese_text_is_intact_and_declared_utf8() {
        let m = manifest(
            "Về việc phê duyệt quy hoạch sử dụng đất",
            "UBND tỉnh Đắk Lắk",
        );
        let html = render(&verification(RecordVerdict::Passed, "ok"), &m);
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"vi\">"));
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("Về việc phê duyệt quy hoạch sử dụng đất"));
        assert!(html.contains("UBND tỉnh Đắk Lắk"));
        assert!(html.contains("Nguyễn Văn Đức (Chủ tịch)"));
        assert!(html.contains("123/QĐ-UBND"));
        assert!(html.contains("01/03/2026 (2026-03-01)"));
        assert!(html.contains("Kết quả xác minh <span class=\"en\">/ Verification result</span>"));
        assert!(html.contains("2026-03-02 09:05:00 UTC"));
        // The trusted, intact timestamp reads as trusted.
        assert!(html.contains(
            "<td><span class=\"ok\">Có <span class=\"en\">/ yes</span></span></td></tr>"
        ));
    }
}
