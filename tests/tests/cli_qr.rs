//! `stele qr` as an archivist uses it (issue 5): an archive made with `stele init`, one document
//! ingested, and its public verification QR code written as PNG and SVG. The images are read
//! back by an independent decoder (`zbarimg` from zbar-tools; the SVG rasterised by
//! `rsvg-convert` from librsvg2-bin) and must carry exactly the URL the command printed,
//! `{public_url}/v/{64-hex id}/{code}`. The code is the same on every run and from every
//! configuration of the same store, differs between archives, and mistakes exit 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use stele_tests::archive::{edit_config, json, ok, section, stele_at, with_config};
use stele_tests::pki::in_ci;
use stele_tests::{describe, stele_bin};
use time::OffsetDateTime;

const PUBLIC_URL: &str = "https://luutru.example.gov.vn";

const METADATA: &str = r#"{
    "CodeNumber": "45", "CodeNotation": "QĐ-UBND", "TypeName": "Quyết định",
    "IssuedDate": "2026-03-15", "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
    "Subject": "Về việc phê duyệt kế hoạch chuyển đổi số",
    "Confidentiality": "none", "Retention": "01", "AccessMode": "01"
}"#;

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap()
}

/// A one-page PDF without a signature or text, with a correct cross-reference table: the
/// smallest document `stele ingest --allow-unsigned` archives. `tag` makes its bytes (its id)
/// distinct.
fn minimal_pdf(tag: &str) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /StructParents 0 /Tag ({tag}) >>"
        ),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// `stele init --dir <home>` with `[server] public_url` set; must succeed.
fn init(home: &Path) {
    ok(Command::new(stele_bin())
        .env_remove("STELE_CONFIG")
        .args(["init", "--dir"])
        .arg(home)
        .output()
        .unwrap());
    edit_config(home, |cfg| {
        section(cfg, "server").insert("public_url".into(), format!("{PUBLIC_URL}/").into());
    });
}

/// Ingests `pdf` (unsigned, with the metadata above) into the archive at `home`; its record id.
fn ingest(home: &Path, pdf: &Path) -> String {
    let meta = home.join("meta.json");
    std::fs::write(&meta, METADATA).unwrap();
    let out = ok(stele_at(
        home,
        now(),
        &[
            "ingest",
            "--json",
            "--allow-unsigned",
            "--meta",
            meta.to_str().unwrap(),
            pdf.to_str().unwrap(),
        ],
    ));
    let line = json(&out);
    assert_eq!(line["status"], "archived", "{}", describe(&out));
    line["id"].as_str().unwrap().to_string()
}

/// `stele qr ID --out FILE extra…` run in the archive at `home`.
fn qr(home: &Path, id: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["qr", id, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    stele_at(home, now(), &args)
}

/// The URL `stele qr` printed, checked to be `{PUBLIC_URL}/v/{id}/{code}`; its code.
fn printed_url(out: &Output, id: &str) -> (String, String) {
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let rest = url
        .strip_prefix(&format!("{PUBLIC_URL}/v/{id}/"))
        .unwrap_or_else(|| panic!("not {PUBLIC_URL}/v/{id}/CODE: {}", describe(out)));
    assert_eq!(rest.len(), 26, "{url}");
    assert!(
        rest.bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)),
        "not lowercase base32: {url}"
    );
    (url.clone(), rest.to_string())
}

/// A command-line tool, or `None` after saying the test part is skipped; when `CI` is set a
/// missing tool is a failure (CI must run these checks).
fn tool(name: &str, version_arg: &str, package: &str) -> Option<PathBuf> {
    let found = Command::new(name)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(PathBuf::from(name));
    }
    assert!(
        !in_ci(),
        "{name} is required here (CI is set) but was not found (install the Debian package {package})"
    );
    eprintln!("skipped: {name} not found (install the Debian package {package})");
    None
}

/// The text of the one QR code in a raster image, read by zbar.
fn zbar_decode(zbarimg: &Path, image: &Path) -> String {
    let out = Command::new(zbarimg)
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(image)
        .output()
        .expect("run zbarimg");
    assert!(
        out.status.success(),
        "zbarimg found no QR code in {}: {}",
        image.display(),
        describe(&out)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let text = text.strip_suffix('\n').unwrap_or(&text);
    assert!(!text.contains('\n'), "more than one symbol: {text}");
    text.to_string()
}

fn fails_with(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", describe(out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(needle),
        "stderr lacks {needle:?}: {}",
        describe(out)
    );
}

#[test]
fn qr_codes_carry_the_public_verification_url() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("arch");
    init(&home);
    let pdf = tmp.path().join("quyet-dinh.pdf");
    std::fs::write(&pdf, minimal_pdf("a")).unwrap();
    let id = ingest(&home, &pdf);
    assert_eq!(id.len(), 64);
    let prefix = &id[..10];

    // PNG, by an id prefix: the printed URL has the public form.
    let png = tmp.path().join("q.png");
    let out = ok(qr(&home, prefix, &png, &[]));
    let (url, code) = printed_url(&out, &id);
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");

    // SVG: well-formed XML whose root is an <svg> element.
    let svg = tmp.path().join("q.svg");
    let out = ok(qr(&home, &id, &svg, &[]));
    assert_eq!(printed_url(&out, &id).0, url);
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("the SVG is XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert_eq!(
        doc.root_element().tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );

    // An independent decoder reads back exactly the printed URL.
    if let Some(zbarimg) = tool("zbarimg", "--version", "zbar-tools") {
        assert_eq!(zbar_decode(&zbarimg, &png), url);
        if let Some(rsvg) = tool("rsvg-convert", "--version", "librsvg2-bin") {
            let raster = tmp.path().join("q-svg.png");
            let out = Command::new(rsvg)
                .arg(&svg)
                .arg("-o")
                .arg(&raster)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", describe(&out));
            assert_eq!(zbar_decode(&zbarimg, &raster), url);
        }
        // --size: the image is at most that wide and still reads.
        let small = tmp.path().join("small.png");
        let out = ok(qr(&home, prefix, &small, &["--size", "200", "--json"]));
        let report = json(&out);
        assert_eq!(report["url"], url.as_str(), "{report}");
        assert_eq!(report["code"], code.as_str(), "{report}");
        assert_eq!(report["id"], id.as_str(), "{report}");
        assert_eq!(report["format"], "png", "{report}");
        assert!(report["pixels"].as_u64().unwrap() <= 200, "{report}");
        assert_eq!(zbar_decode(&zbarimg, &small), url);
    }

    // Stable: the same code on a second run, and from a second configuration of the same
    // store (another node): the key is in the store, not in stele.toml.
    let again = ok(qr(&home, prefix, &tmp.path().join("again.png"), &[]));
    assert_eq!(printed_url(&again, &id).0, url);
    let node = tmp.path().join("node2");
    std::fs::create_dir_all(&node).unwrap();
    let config = node.join("stele.toml");
    std::fs::copy(home.join("stele.toml"), &config).unwrap();
    let out = ok(with_config(
        Command::new(stele_bin()),
        &config,
        now(),
        &[
            "qr",
            prefix,
            "--out",
            node.join("q.svg").to_str().unwrap(),
            "--base-url",
            "https://other.example.vn/luu-tru/",
        ],
    )
    .output()
    .unwrap());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("https://other.example.vn/luu-tru/v/{id}/{code}"),
        "{}",
        describe(&out)
    );

    // Another archive holding the same document (same id) gives it another code.
    let other = tmp.path().join("other");
    init(&other);
    assert_eq!(ingest(&other, &pdf), id);
    let out = ok(qr(&other, prefix, &tmp.path().join("other.png"), &[]));
    let (_, other_code) = printed_url(&out, &id);
    assert_ne!(other_code, code);

    // Another record of the same archive: another code.
    let second = tmp.path().join("cong-van.pdf");
    std::fs::write(&second, minimal_pdf("b")).unwrap();
    let second_id = ingest(&home, &second);
    assert_ne!(second_id, id);
    let out = ok(qr(&home, &second_id, &tmp.path().join("second.png"), &[]));
    assert_ne!(printed_url(&out, &second_id).1, code);

    // Mistakes exit 2 and say what is wrong; nothing is written or overwritten.
    let before = std::fs::read(&png).unwrap();
    fails_with(&qr(&home, prefix, &png, &[]), "already exists");
    assert_eq!(std::fs::read(&png).unwrap(), before);
    let jpg = tmp.path().join("q.jpg");
    fails_with(&qr(&home, prefix, &jpg, &[]), ".jpg");
    assert!(!jpg.exists());
    fails_with(
        &qr(&home, prefix, &tmp.path().join("q"), &[]),
        "FILE.svg or FILE.png",
    );
    let nowhere = tmp.path().join("nowhere.png");
    fails_with(&qr(&home, "00000000", &nowhere, &[]), "00000000");
    fails_with(&qr(&home, "xyz", &nowhere, &[]), "xyz");
    fails_with(
        &qr(
            &home,
            prefix,
            &nowhere,
            &["--base-url", "luutru.example.gov.vn"],
        ),
        "https://",
    );
    fails_with(&qr(&home, prefix, &nowhere, &["--size", "10"]), "too small");
    assert!(!nowhere.exists());
}
