//! LibreOffice-made Vietnamese PDFs (issue 4): flat ODT written here, converted by
//! `soffice --headless` in one run per batch, and `pdftotext` as the reference extractor.
//! [`soffice`] and [`pdftotext`] return `None` after printing why, so a test can skip; when `CI`
//! is set a missing tool is a failure (the policy of [`crate::pki::pyhanko`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::describe;
use crate::pki::in_ci;

/// The fonts of the sample set (Debian fonts-dejavu, fonts-dejavu-extra, fonts-liberation).
pub const FONTS: [&str; 6] = [
    "DejaVu Sans",
    "DejaVu Serif",
    "DejaVu Sans Mono",
    "Liberation Sans",
    "Liberation Serif",
    "Liberation Mono",
];

/// Phrases every sample document contains verbatim.
pub const KNOWN_PHRASES: [&str; 5] = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "ỦY BAN NHÂN DÂN",
    "chữ ký số",
    "Căn cứ Luật Giao dịch điện tử",
    "1500/UBND-CNTT",
];

fn find_tool(name: &str, arg: &str) -> Option<PathBuf> {
    match Command::new(name).arg(arg).output() {
        Ok(out) if out.status.success() || !out.stderr.is_empty() || !out.stdout.is_empty() => {
            Some(PathBuf::from(name))
        }
        _ => None,
    }
}

fn required(name: &str, found: &Option<PathBuf>, package: &str) -> Option<PathBuf> {
    if found.is_none() {
        assert!(
            !in_ci(),
            "{name} is required here (CI is set) but was not found (.ci/run installs {package})"
        );
        eprintln!("skipped: {name} not found (install {package})");
    }
    found.clone()
}

/// LibreOffice's `soffice`, if installed.
pub fn soffice() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    let found = FOUND.get_or_init(|| find_tool("soffice", "--version"));
    required("soffice", found, "libreoffice-writer-nogui")
}

/// Poppler's `pdftotext`, if installed.
pub fn pdftotext() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    let found = FOUND.get_or_init(|| find_tool("pdftotext", "-v"));
    required("pdftotext", found, "poppler-utils")
}

/// `pdftotext -enc UTF-8 pdf -` output.
pub fn pdftotext_text(pdf: &Path) -> String {
    let tool = pdftotext().expect("pdftotext");
    let out = Command::new(tool)
        .args(["-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(
        out.status.success(),
        "pdftotext {}: {}",
        pdf.display(),
        describe(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A flat ODT document: paragraphs separated by blank lines in `text`; `**…**` runs are bold,
/// `__…__` italic, a line `---` a page break.
pub fn fodt(text: &str, font: &str) -> String {
    let mut body = String::new();
    for para in text.split("\n\n") {
        let para = para.trim();
        if para == "---" {
            body.push_str("<text:p text:style-name=\"Break\"/>\n");
            continue;
        }
        let mut p = String::new();
        for (i, part) in para.split("**").enumerate() {
            let inner: String = part
                .split("__")
                .enumerate()
                .map(|(j, s)| {
                    if j % 2 == 1 {
                        format!(
                            "<text:span text:style-name=\"I\">{}</text:span>",
                            xml_escape(s)
                        )
                    } else {
                        xml_escape(s)
                    }
                })
                .collect();
            if i % 2 == 1 {
                p.push_str(&format!(
                    "<text:span text:style-name=\"B\">{inner}</text:span>"
                ));
            } else {
                p.push_str(&inner);
            }
        }
        body.push_str(&format!("<text:p text:style-name=\"P\">{p}</text:p>\n"));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:font-face-decls><style:font-face style:name="F" svg:font-family="'{font}'"/></office:font-face-decls>
<office:styles><style:default-style style:family="paragraph"><style:text-properties style:font-name="F" fo:font-size="12pt" fo:language="vi" fo:country="VN"/></style:default-style></office:styles>
<office:automatic-styles>
<style:style style:name="P" style:family="paragraph"><style:paragraph-properties fo:margin-bottom="0.2cm"/></style:style>
<style:style style:name="Break" style:family="paragraph"><style:paragraph-properties fo:break-before="page"/></style:style>
<style:style style:name="B" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>
<style:style style:name="I" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>
</office:automatic-styles>
<office:body><office:text>
{body}</office:text></office:body></office:document>
"#
    )
}

/// Writes `docs` (name, text in the [`fodt`] markup, font) as PDFs in `dir` with one
/// LibreOffice run, and returns their paths in order. Panics if soffice fails.
pub fn vietnamese_pdfs(dir: &Path, docs: &[(String, String, String)]) -> Vec<PathBuf> {
    let soffice = soffice().expect("soffice");
    let src = dir.join("fodt");
    std::fs::create_dir_all(&src).expect("create fodt dir");
    let mut inputs = Vec::new();
    for (name, text, font) in docs {
        let path = src.join(format!("{name}.fodt"));
        std::fs::write(&path, fodt(text, font)).expect("write fodt");
        inputs.push(path);
    }
    // A private profile, so parallel tests and a running LibreOffice do not collide.
    let profile = dir.join("lo-profile");
    let mut outs = Vec::new();
    for chunk in inputs.chunks(200) {
        let out = Command::new(&soffice)
            .arg(format!(
                "-env:UserInstallation=file://{}",
                profile.display()
            ))
            .args(["--headless", "--convert-to", "pdf", "--outdir"])
            .arg(dir)
            .args(chunk)
            .output()
            .expect("run soffice");
        assert!(out.status.success(), "soffice: {}", describe(&out));
        outs.push(out);
    }
    docs.iter()
        .map(|(name, _, _)| {
            let pdf = dir.join(format!("{name}.pdf"));
            assert!(pdf.is_file(), "soffice made no {}: {outs:?}", pdf.display());
            pdf
        })
        .collect()
}

const SYLLABLES: &[&str] = &[
    "quản lý",
    "văn bản",
    "điện tử",
    "hồ sơ",
    "lưu trữ",
    "thủ tục",
    "hành chính",
    "người dân",
    "doanh nghiệp",
    "cơ quan",
    "trách nhiệm",
    "thực hiện",
    "kiểm tra",
    "giám sát",
    "nghiệp vụ",
    "ứng dụng",
    "công nghệ",
    "thông tin",
    "chuyển đổi số",
    "đề nghị",
    "phối hợp",
    "báo cáo",
    "kết quả",
    "tổng hợp",
    "đảm bảo",
    "an toàn",
    "bảo mật",
    "dữ liệu",
    "tài liệu",
    "ngân sách",
    "Sở Tài chính",
    "Sở Nội vụ",
    "Chủ tịch",
    "Phó Giám đốc",
    "quyết định",
    "hướng dẫn",
    "tiếp nhận",
    "giải quyết",
    "khẩn trương",
    "nghiêm túc",
    "đúng hạn",
    "Ỷ lại",
    "ngữ cảnh",
    "mười lăm",
    "ưu tiên",
    "ổn định",
    "Đà Nẵng",
    "Hà Giang",
    "Thừa Thiên Huế",
    "Bình Dương",
    "Cần Thơ",
    "Quảng Ngãi",
];

/// A Vietnamese administrative text (công văn / quyết định style) of about `paragraphs`
/// paragraphs over `pages` pages, varied by `seed`, containing every [`KNOWN_PHRASES`] entry.
pub fn sample_text(seed: u64, paragraphs: usize, pages: usize) -> String {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let mut t = format!(
        "**ỦY BAN NHÂN DÂN** TỈNH HÀ GIANG\n\n**CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM**\n\n\
         __Độc lập - Tự do - Hạnh phúc__\n\nSố: {}/UBND-CNTT ngày 15 tháng 3 năm 2024\n\n\
         QUYẾT ĐỊNH về việc áp dụng chữ ký số trong cơ quan nhà nước\n\n\
         Căn cứ Luật Giao dịch điện tử ngày 22 tháng 6 năm 2023; căn cứ Nghị định số 30/2020/NĐ-CP \
         về công tác văn thư; xét đề nghị của Giám đốc Sở Thông tin và Truyền thông tại văn bản \
         1500/UBND-CNTT.",
        1000 + seed % 9000
    );
    for p in 0..paragraphs {
        if pages > 1 && p > 0 && p % (paragraphs / pages).max(1) == 0 {
            t.push_str("\n\n---");
        }
        t.push_str(&format!("\n\nĐiều {}. ", p + 1));
        let words = 25 + next() % 30;
        for w in 0..words {
            let s = SYLLABLES[next() % SYLLABLES.len()];
            match next() % 17 {
                0 => t.push_str(&format!("**{s}**")),
                1 => t.push_str(&format!("__{s}__")),
                _ => t.push_str(s),
            }
            t.push_str(if w + 1 == words {
                "."
            } else if next() % 9 == 0 {
                ", "
            } else {
                " "
            });
        }
        if p % 3 == 0 {
            t.push_str(&format!(
                " Kinh phí {} đồng theo văn bản số {}/QĐ-UBND.",
                12_500_000 + p * 1000,
                625 + p
            ));
        }
    }
    t.push_str("\n\nNơi nhận: như trên; lưu VT, chữ ký số.\n\nKT. CHỦ TỊCH\n\nNguyễn Văn Ẩn");
    t
}

/// The built-in sample set: `per_font` documents in each of [`FONTS`], several pages each.
pub fn sample_docs(per_font: usize, paragraphs: usize) -> Vec<(String, String, String)> {
    let mut docs = Vec::new();
    for (f, font) in FONTS.iter().enumerate() {
        for i in 0..per_font {
            let seed = (f * 1000 + i) as u64;
            let name = format!("{}-{i:04}", font.replace(' ', "_"));
            docs.push((name, sample_text(seed, paragraphs, 3), font.to_string()));
        }
    }
    docs
}
