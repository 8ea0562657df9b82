//! The web UI as a new user meets it (issue 5), in headless Chromium driven over WebDriver: an
//! archive made with `stele init`, signed Vietnamese letters ingested with their metadata
//! sidecars (one of them secret, độ mật "Mật"), sealed, tokens made with `stele token add`, then
//! `stele serve` on loopback. In the browser: sign in; search without accents and find the
//! accented words highlighted with facets beside them; open the record (metadata, signatures,
//! today's verdict, the evidence timeline); switch to English; as legal, the verification report
//! at a date and the evidence package; as a reader without clearance, the secret record is
//! nowhere (search, facets, its address); as an archivist, upload a signed letter with the form
//! and find it at once (a reader gets no form); the public verification page behind the QR code.
//!
//! Every step leaves a screenshot in `target/web-ui-screenshots/` (kept by CI as artifacts), and
//! a failing test leaves one more with the page's HTML beside it. Chromium and chromedriver are
//! Debian's `chromium` and `chromium-driver`; without them the tests say SKIPPED, unless `CI`
//! is set.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use stele_tests::archive::{
    archived_ids, fresh_archive, json, json_lines, ok, signed_cong_van, stele_at,
};
use stele_tests::describe;
use stele_tests::pki::{Services, TestPki};
use stele_tests::serve::{add_token, Server};
use stele_tests::webdriver::Browser;
use time::OffsetDateTime;

/// A signed letter: file stem, number, the letter's last line, its sidecar's fields.
struct Letter {
    stem: &'static str,
    number: usize,
    line: &'static str,
    /// `[OrganId, OrganName, CodeNotation, TypeName, IssuedDate, Subject, signer, Confidentiality]`
    meta: [&'static str; 8],
}

const LETTERS: &[Letter] = &[
    Letter {
        stem: "qd-1500",
        number: 1500,
        line: "Về việc triển khai chữ ký số trong các cơ quan nhà nước của tỉnh.",
        meta: [
            "000.00.00.H12",
            "Ủy ban nhân dân tỉnh Hà Giang",
            "UBND-CNTT",
            "Quyết định",
            "2026-03-15",
            "Triển khai chữ ký số trong cơ quan nhà nước",
            "Nguyễn Văn An",
            "none",
        ],
    },
    Letter {
        stem: "cv-625",
        number: 625,
        line: "Về việc hỗ trợ giống đậu tương cho nông dân vụ đông năm 2025.",
        meta: [
            "000.00.00.H13",
            "Ủy ban nhân dân tỉnh Cao Bằng",
            "UBND",
            "Công văn",
            "2025-10-02",
            "Hỗ trợ giống đậu tương vụ đông",
            "Trần Thị Bình",
            "none",
        ],
    },
    Letter {
        stem: "cv-210",
        number: 210,
        line: "V/v lưu trữ hồ sơ điện tử của các xã biên giới.",
        meta: [
            "000.00.00.H12",
            "Ủy ban nhân dân tỉnh Hà Giang",
            "UBND-VP",
            "Công văn",
            "2026-04-01",
            "Lưu trữ hồ sơ điện tử",
            "Nguyễn Văn An",
            "none",
        ],
    },
    // The secret plan also speaks of chữ ký số: who may see it changes what that search finds.
    Letter {
        stem: "kh-7",
        number: 7,
        line: "Kế hoạch bảo vệ hệ thống chứng thư số và chữ ký số của lực lượng công an trong đợt cao điểm.",
        meta: [
            "000.00.00.H12",
            "Công an tỉnh Hà Giang",
            "KH-CAT",
            "Kế hoạch",
            "2026-02-01",
            "Kế hoạch bảo vệ hệ thống chứng thư số",
            "Phạm Văn Dũng",
            "Mật",
        ],
    },
];

/// What of the secret plan must never show to a reader without clearance.
const SECRET_WORDS: &[&str] = &[
    "Mật",
    "Công an tỉnh Hà Giang",
    "Kế hoạch",
    "Phạm Văn Dũng",
    "chứng thư",
    "KH-CAT",
];

/// The metadata sidecar (NĐ 30/2020 Phụ lục VI) of a letter.
fn sidecar(l: &Letter) -> String {
    let [organ_id, organ, notation, type_name, date, subject, signer, confidentiality] = l.meta;
    serde_json::json!({
        "OrganId": organ_id, "OrganName": organ, "CodeNumber": l.number.to_string(),
        "CodeNotation": notation, "TypeName": type_name, "IssuedDate": date, "Subject": subject,
        "SignerInfo": [{"Position": "Chủ tịch", "FullName": signer}],
        "Confidentiality": confidentiality, "Retention": "01",
        "AccessMode": if confidentiality == "none" { "01" } else { "03" },
    })
    .to_string()
}

/// An archive with the letters ingested and sealed, three tokens and the server over it.
struct Site {
    server: Server,
    home: PathBuf,
    /// The server's clock: two days after the letters were archived and sealed.
    now: OffsetDateTime,
    /// Record id by letter stem.
    ids: HashMap<String, String>,
    /// Admin with clearance, legal, reader without clearance: their tokens.
    admin: String,
    legal: String,
    reader: String,
    // Last: dropped after the server.
    _services: Services,
    _tmp: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        let pki = TestPki::shared();
        let services = pki.start_services();
        let archived = pki.created_at + time::Duration::days(1);
        let (tmp, home) = fresh_archive(pki, archived);

        let incoming = tmp.path().join("incoming");
        std::fs::create_dir_all(&incoming).unwrap();
        for l in LETTERS {
            let p7m = signed_cong_van(pki, l.number, l.line);
            std::fs::write(incoming.join(format!("{}.p7m", l.stem)), p7m).unwrap();
            std::fs::write(
                incoming.join(format!("{}.p7m.meta.json", l.stem)),
                sidecar(l),
            )
            .unwrap();
        }
        let out = ok(stele_at(
            &home,
            archived,
            &[
                "ingest",
                "--json",
                "--recursive",
                incoming.to_str().unwrap(),
            ],
        ));
        let ids = archived_ids(&out);
        for line in json_lines(&out) {
            assert_eq!(line["indication"], "PASSED", "{}", describe(&out));
        }
        assert_eq!(ids.len(), LETTERS.len(), "{}", describe(&out));
        let sealed = json(&ok(stele_at(
            &home,
            archived + time::Duration::minutes(1),
            &["seal", "--json"],
        )));
        assert!(!sealed.is_null(), "{sealed}");

        let now = archived + time::Duration::days(2);
        let token = |name, role, clearance| add_token(&home, now, name, role, clearance);
        let admin = token("quan.tri", "admin", true);
        let legal = token("phap.che", "legal", false);
        let reader = token("nguoi.doc", "reader", false);

        let server = Server::start(&home, now);
        Site {
            server,
            home,
            now,
            ids,
            admin,
            legal,
            reader,
            _services: services,
            _tmp: tmp,
        }
    }

    fn id(&self, stem: &str) -> &str {
        &self.ids[stem]
    }

    /// GET `path` with the session cookie of `token` (or none): status, content type, body.
    fn fetch(&self, path: &str, token: Option<&str>) -> (u16, String, Vec<u8>) {
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let mut req = client.get(self.server.url(path));
        if let Some(t) = token {
            req = req.header("Cookie", format!("stele_session={t}"));
        }
        let r = req.send().unwrap();
        let status = r.status().as_u16();
        let ty = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (status, ty, r.bytes().unwrap().to_vec())
    }

    /// `GET /api/v1/search` with a bearer token: the JSON answer.
    fn api_search(&self, token: &str, q: &str) -> Value {
        let r = reqwest::blocking::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(self.server.url("/api/v1/search"))
            .query(&[("q", q)])
            .bearer_auth(token)
            .send()
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        serde_json::from_str(&r.text().unwrap()).unwrap()
    }
}

/// Where the screenshots go: `target/web-ui-screenshots/` beside this test's executable
/// (`target/<profile>/deps/web_ui-…`).
fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let target = exe
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .expect("target dir");
    target.join("web-ui-screenshots")
}

/// One test's walk through the UI: the browser, a numbered screenshot after each step, and on
/// failure one more screenshot with the page's HTML and the server's log.
struct Walk<'a> {
    b: &'a Browser,
    site: &'a Site,
    test: &'static str,
    step: usize,
}

impl<'a> Walk<'a> {
    fn new(b: &'a Browser, site: &'a Site, test: &'static str) -> Walk<'a> {
        // This test's screenshots of an earlier run go: the folder shows the last run only.
        if let Ok(dir) = std::fs::read_dir(screenshot_dir()) {
            for e in dir.flatten() {
                if e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{test}-"))
                {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        Walk {
            b,
            site,
            test,
            step: 0,
        }
    }

    /// `target/web-ui-screenshots/<test>-<nn>-<name>.png`, checked to be a PNG.
    fn shot(&mut self, name: &str) {
        self.step += 1;
        let path = screenshot_dir().join(format!("{}-{:02}-{name}.png", self.test, self.step));
        let png = self.b.screenshot(&path).unwrap();
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!(on_disk, png, "{}", path.display());
        assert!(
            on_disk.len() > 1000 && on_disk.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG screenshot ({} bytes)",
            path.display(),
            on_disk.len()
        );
    }

    fn url(&self, path: &str) -> String {
        self.site.server.url(path)
    }

    /// Scrolls `css` into the middle of the window, for the next screenshot.
    fn show(&self, css: &str) {
        let e = self.b.find(css).unwrap();
        self.b
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![e.to_arg()],
            )
            .unwrap();
    }

    fn goto(&self, path: &str) {
        self.b.goto(&self.url(path)).unwrap();
    }

    /// The path (and query) of the page shown.
    fn path(&self) -> String {
        let url = self.b.current_url().unwrap();
        url.strip_prefix(&self.site.server.base)
            .unwrap_or(&url)
            .to_string()
    }

    fn text(&self, css: &str) -> String {
        self.b
            .find(css)
            .unwrap_or_else(|e| panic!("{e} (on {})", self.path()))
            .text()
            .unwrap()
    }

    fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.b
            .find(css)
            .unwrap_or_else(|e| panic!("{e} (on {})", self.path()))
            .attribute(name)
            .unwrap()
    }

    fn count(&self, css: &str) -> usize {
        self.b.find_all(css).unwrap().len()
    }

    /// Clicks `css` and waits until a new page at a path starting with `lands_on` has loaded.
    fn click_to(&self, css: &str, lands_on: &str) {
        // A mark on the old page: gone once the browser shows the next one.
        self.b
            .execute("window.steleOldPage = true;", vec![])
            .unwrap();
        self.b
            .find(css)
            .unwrap_or_else(|e| panic!("{e} (on {})", self.path()))
            .click()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let loaded = self
                .b
                .execute(
                    "return window.steleOldPage === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .is_ok_and(|v| v == true);
            if loaded && self.path().starts_with(lands_on) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "clicking {css} led to {}, not {lands_on}",
                self.path()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Signs in on /login with `token`; lands on /search.
    fn sign_in(&self, token: &str) {
        self.goto("/login");
        self.b.find("#token").unwrap().send_keys(token).unwrap();
        self.click_to("#signin", "/search");
        // The token is the session, kept in an HttpOnly cookie.
        assert_eq!(
            self.b.cookie("stele_session").unwrap().as_deref(),
            Some(token)
        );
    }

    /// Types `q` into the search box and searches: the total the page states.
    fn search(&self, q: &str) -> u64 {
        let box_ = self.b.find("#q").unwrap();
        box_.clear().unwrap();
        box_.send_keys(q).unwrap();
        self.click_to("#go", "/search?q=");
        let total = self
            .attr("#total", "data-total")
            .expect("#total data-total");
        total.parse().unwrap()
    }

    /// The texts of every facet value, all lists together.
    fn facet_texts(&self) -> String {
        self.b
            .find_all("ul.facet")
            .unwrap()
            .iter()
            .map(|f| f.text().unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Walk<'_> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let base = screenshot_dir().join(format!("{}-FAILED", self.test));
        let _ = self.b.screenshot(&base.with_extension("png"));
        if let Ok(html) = self.b.source() {
            let _ = std::fs::write(base.with_extension("html"), html);
        }
        eprintln!(
            "failed on {:?}; screenshot and page in {}\nstele serve's log:\n{}",
            self.b.current_url(),
            screenshot_dir().display(),
            self.site.server.log_text()
        );
    }
}

#[test]
fn admin_signs_in_searches_without_accents_opens_the_sealed_record_and_reads_english() {
    let Some(b) = Browser::start() else { return };
    let site = Site::new();
    let mut w = Walk::new(&b, &site, "admin");

    // Not signed in: the archive sends to the sign-in page; a wrong token is refused there.
    w.goto("/");
    assert_eq!(w.path(), "/login");
    assert_eq!(w.attr("html", "lang").as_deref(), Some("vi"));
    w.shot("login");
    b.find("#token")
        .unwrap()
        .send_keys("stl_not-a-token")
        .unwrap();
    w.click_to("#signin", "/login");
    assert!(
        w.text("#error").contains("không đúng"),
        "{}",
        w.text("#error")
    );
    assert_eq!(b.cookie("stele_session").unwrap(), None);
    w.shot("login-refused");

    w.sign_in(&site.admin);
    assert!(
        w.text("header").contains("quan.tri"),
        "{}",
        w.text("header")
    );
    // With nothing asked, the whole archive, the secret plan included (clearance).
    assert_eq!(w.attr("#total", "data-total").as_deref(), Some("4"));
    w.shot("search-empty");

    // Without accents: both letters with "chữ ký số", the secret one marked as such.
    let total = w.search("chu ky so");
    assert_eq!(w.attr("#q", "value").as_deref(), Some("chu ky so"));
    let api = site.api_search(&site.admin, "chu ky so");
    assert_eq!(total, api["total"].as_u64().unwrap(), "{api:#}");
    assert_eq!(total, 2, "{api:#}");
    assert_eq!(w.count("div.hit"), 2);
    let qd = site.id("qd-1500");
    let hit = format!("div.hit[data-id=\"{qd}\"]");
    let snippet = w.text(&format!("{hit} .snippet"));
    assert!(
        snippet.to_lowercase().contains("chữ ký số"),
        "snippet {snippet:?}"
    );
    let marks: Vec<String> = b
        .find_all(&format!("{hit} mark"))
        .unwrap()
        .iter()
        .map(|m| m.text().unwrap().to_lowercase())
        .collect();
    for word in ["chữ", "ký", "số"] {
        assert!(marks.iter().any(|m| m == word), "{word} not in {marks:?}");
    }
    let secret_hit = format!("div.hit[data-id=\"{}\"]", site.id("kh-7"));
    assert!(
        w.text(&format!("{secret_hit} .secret")).contains("Mật"),
        "{}",
        w.text(&secret_hit)
    );
    assert!(w.text(&format!("{hit} .meta")).contains("1500/UBND-CNTT"));
    // Facets beside the hits: agency, type, year, signer; the secret's level for this caller.
    let facets: Vec<String> = b
        .find_all("ul.facet")
        .unwrap()
        .iter()
        .map(|f| f.attribute("data-facet").unwrap().unwrap_or_default())
        .collect();
    for name in ["agency", "type", "year", "signer", "confidentiality"] {
        assert!(facets.iter().any(|f| f == name), "{name} not in {facets:?}");
    }
    assert!(w
        .text("ul.facet[data-facet=\"confidentiality\"]")
        .contains("Mật"));
    assert!(w.text("ul.facet[data-facet=\"year\"]").contains("2026"));
    w.shot("search-chu-ky-so");

    // A facet narrows the search: type Quyết định leaves the decision alone.
    w.click_to(
        "ul.facet[data-facet=\"type\"] a[href*=\"Quy\"]",
        "/search?q=",
    );
    assert_eq!(w.attr("#total", "data-total").as_deref(), Some("1"));
    assert_eq!(w.count(&hit), 1);
    w.shot("search-facet-type");

    // The record: metadata, the signature in plain words, valid today, sealed.
    w.click_to(&format!("{hit} a.subject"), &format!("/records/{qd}"));
    assert_eq!(
        w.text("#subject"),
        "Triển khai chữ ký số trong cơ quan nhà nước"
    );
    let metadata = w.text("#metadata");
    for want in [
        "Ủy ban nhân dân tỉnh Hà Giang",
        "000.00.00.H12",
        "Quyết định",
        "1500/UBND-CNTT",
        "Nguyễn Văn An (Chủ tịch)",
        "01 (Công khai)",
        qd,
    ] {
        assert!(metadata.contains(want), "{want} not in {metadata}");
    }
    let rows = b.find_all("#signatures tr").unwrap();
    assert_eq!(rows.len(), 2, "a header and one signature");
    let signature = rows[1].text().unwrap();
    assert!(signature.contains("HỢP LỆ"), "{signature}");
    assert_eq!(w.count("#signatures span.PASSED"), 1);
    assert_eq!(
        w.attr("#verdict", "data-verdict").as_deref(),
        Some("PASSED")
    );
    assert_eq!(w.text("#verdict"), "HỢP LỆ");
    let summary = w.text("#summary");
    assert!(
        summary.starts_with("Các tệp của văn bản còn nguyên vẹn")
            && summary.contains("1 chữ ký số của văn bản hợp lệ"),
        "{summary}"
    );
    let events = b.find_all("#timeline tr.event").unwrap();
    assert!(!events.is_empty(), "no evidence events");
    let seal = events[0].text().unwrap();
    assert!(seal.contains("Niêm phong"), "{seal}");
    assert!(
        seal.contains(" có") || seal.ends_with("có"),
        "trusted: {seal}"
    );
    // The admin may verify at a date and export.
    assert_eq!(w.count("#at"), 1);
    assert_eq!(w.count("#export"), 1);
    w.shot("record");

    // The file itself, as archived.
    let (status, _, body) = site.fetch(&format!("/records/{qd}/files/0"), Some(&site.admin));
    assert_eq!(status, 200);
    assert!(!body.is_empty());

    // English: back on the same page, in English.
    w.click_to("a[href=\"/lang/en\"]", &format!("/records/{qd}"));
    assert_eq!(w.attr("html", "lang").as_deref(), Some("en"));
    assert_eq!(w.text("#verdict"), "VALID");
    assert!(
        w.text("#summary")
            .starts_with("PASSED: the record's files are intact"),
        "{}",
        w.text("#summary")
    );
    assert!(w.text("#timeline tr.event").contains("Seal"));
    assert!(w.text("#metadata").contains("Issuing agency"));
    assert_eq!(w.count("a[href=\"/lang/vi\"]"), 1);
    w.shot("record-english");
    w.goto("/search");
    assert_eq!(w.text("#go"), "Search");
    let total = w.search("chu ky so");
    assert_eq!(total, 2);
    assert!(w.text("#total").contains("records"), "{}", w.text("#total"));
    assert!(w.text("aside.facets").contains("Agency"));
    w.shot("search-english");

    // The signing-rate dashboard: the month's figures without the secret plan, a chart the
    // server drew, and the records behind a row.
    w.goto("/dashboard");
    assert_eq!(w.attr("#total", "data-issued").as_deref(), Some("3"));
    assert!(!b.find_all("#rates tr.rate").unwrap().is_empty());
    let chart_drawn = b
        .execute(
            "const i = document.getElementById('chart'); return i.complete && i.naturalWidth > 0;",
            vec![],
        )
        .unwrap();
    assert_eq!(
        chart_drawn,
        serde_json::Value::Bool(true),
        "the chart did not load"
    );
    w.shot("dashboard");
    w.click_to("#rates tr.rate a", "/dashboard/records");
    let listed = b.find_all("tr.record").unwrap().len();
    assert!(
        (1..=3).contains(&listed),
        "{listed} records behind the first row"
    );
    // Each row names its document: number and subject, the subject opening the record.
    let subjects: Vec<&str> = LETTERS.iter().map(|l| l.meta[5]).collect();
    let first = w.text("tr.record td:nth-child(3) a");
    assert!(subjects.contains(&first.as_str()), "{first}");
    let source = b.source().unwrap();
    for word in SECRET_WORDS {
        assert!(
            !source.contains(word),
            "the secret plan is behind no figure: {word}"
        );
    }
    w.shot("dashboard-records");

    // Signed out: the pages send to the sign-in again.
    w.click_to("header form[action=\"/logout\"] button", "/login");
    assert_eq!(b.cookie("stele_session").unwrap(), None);
    w.goto(&format!("/records/{qd}"));
    assert_eq!(w.path(), "/login");
    w.shot("signed-out");
}

/// The letter an archivist uploads in the browser (not in the seeded archive).
const UPLOADED: Letter = Letter {
    stem: "cv-330",
    number: 330,
    line: "V/v số hóa hồ sơ địa chính của huyện Yên Minh.",
    meta: [
        "000.00.00.H12",
        "Ủy ban nhân dân tỉnh Hà Giang",
        "UBND-TNMT",
        "Công văn",
        "2026-04-10",
        "Số hóa hồ sơ địa chính huyện Yên Minh",
        "Nguyễn Văn An",
        "none",
    ],
};

#[test]
fn an_archivist_uploads_a_signed_letter_and_finds_it_at_once() {
    let Some(b) = Browser::start() else { return };
    let site = Site::new();
    let mut w = Walk::new(&b, &site, "archivist");
    // A token made while the server runs: the tokens file is read again, no restart.
    let archivist = add_token(&site.home, site.now, "van.thu", "archivist", false);

    // A reader has no upload link, and the form refuses them.
    w.sign_in(&site.reader);
    assert_eq!(w.count("a[href=\"/upload\"]"), 0);
    w.goto("/upload");
    assert_eq!(w.attr("#error", "data-code").as_deref(), Some("forbidden"));
    assert_eq!(w.count("#file"), 0);
    w.shot("reader-refused");
    w.click_to("header form[action=\"/logout\"] button", "/login");

    let files = tempfile::tempdir().unwrap();
    let p7m = files.path().join("cv-330.p7m");
    let meta = files.path().join("cv-330.p7m.meta.json");
    std::fs::write(
        &p7m,
        signed_cong_van(TestPki::shared(), UPLOADED.number, UPLOADED.line),
    )
    .unwrap();
    std::fs::write(&meta, sidecar(&UPLOADED)).unwrap();
    let fill = |w: &Walk| {
        b.find("#file")
            .unwrap()
            .send_keys(p7m.to_str().unwrap())
            .unwrap();
        b.find("#meta")
            .unwrap()
            .send_keys(meta.to_str().unwrap())
            .unwrap();
        w.click_to("#send", "/upload");
    };

    w.sign_in(&archivist);
    w.click_to("a[href=\"/upload\"]", "/upload");
    w.shot("form");
    fill(&w);
    assert_eq!(
        w.attr("#result", "data-status").as_deref(),
        Some("archived"),
        "{}",
        w.text("#result")
    );
    assert!(
        w.text("#result").contains("HỢP LỆ"),
        "{}",
        w.text("#result")
    );
    w.shot("archived");

    // The answer links to the record; without accents the search finds it at once.
    w.click_to("#result a", "/records/");
    assert_eq!(w.text("#subject"), UPLOADED.meta[5]);
    let id = w.path().trim_start_matches("/records/").to_string();
    w.goto("/search");
    assert_eq!(w.search("so hoa ho so dia chinh"), 1);
    assert_eq!(w.attr("div.hit", "data-id").as_deref(), Some(id.as_str()));
    w.shot("found");

    // The same letter again is already there: the same record, nothing new.
    w.goto("/upload");
    fill(&w);
    assert_eq!(
        w.attr("#result", "data-status").as_deref(),
        Some("duplicate"),
        "{}",
        w.text("#result")
    );
    assert_eq!(w.attr("#result a", "href"), Some(format!("/records/{id}")));
    w.shot("duplicate");
}

#[test]
fn legal_gets_the_verification_report_at_a_date_and_the_evidence_package() {
    let Some(b) = Browser::start() else { return };
    let site = Site::new();
    let mut w = Walk::new(&b, &site, "legal");
    w.sign_in(&site.legal);
    let total = w.search("ho so dien tu");
    assert_eq!(total, 1);
    let id = site.id("cv-210");
    w.click_to(
        &format!("div.hit[data-id=\"{id}\"] a.subject"),
        &format!("/records/{id}"),
    );
    assert_eq!(
        w.attr("#verdict", "data-verdict").as_deref(),
        Some("PASSED")
    );
    w.shot("record");

    // Valid as of the day after archiving (before the server's today), as the report says.
    let day = (site.now - time::Duration::days(1)).date();
    let iso = format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    );
    let at = b.find("#at").unwrap();
    assert_eq!(at.attribute("type").unwrap().as_deref(), Some("date"));
    // A date input takes typed keys in the browser's locale order; set the value as a date
    // picker would.
    b.execute(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));",
        vec![at.to_arg(), Value::String(iso.clone())],
    )
    .unwrap();
    assert_eq!(at.property("value").unwrap().as_deref(), Some(iso.as_str()));
    w.show("#at");
    w.shot("report-date");
    w.click_to("#report", &format!("/records/{id}/report?at={iso}"));
    assert_eq!(w.text("div.verdict.passed .word"), "HỢP LỆ / PASSED");
    let page = w.text("body");
    assert!(page.contains(&format!("{iso} 23:59:59 UTC")), "{page}");
    assert!(page.contains(id), "{page}");
    assert!(page.contains("Lưu trữ hồ sơ điện tử"), "{page}");
    w.shot("report");

    // The evidence package: a ZIP, to legal (with its session) and to nobody else.
    w.goto(&format!("/records/{id}"));
    let href = w.attr("#export", "href").expect("#export href");
    let path = href
        .strip_prefix(&site.server.base)
        .unwrap_or(&href)
        .to_string();
    assert_eq!(path, format!("/records/{id}/export"));
    let (status, ty, body) = site.fetch(&path, Some(&site.legal));
    {
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        assert!(ty.starts_with("application/zip"), "{ty}");
        assert!(body.starts_with(b"PK\x03\x04"), "not a ZIP");
        // Without a session: the sign-in, not the package.
        let (status, _, _) = site.fetch(&path, None);
        assert!((300..400).contains(&status), "{status}");
        // A reader may not export.
        let (status, _, _) = site.fetch(&path, Some(&site.reader));
        assert_eq!(status, 403);
    }
    w.show("#export");
    w.shot("record-export");

    // Legal has no clearance: the secret plan's report is the not-found page.
    w.goto(&format!("/records/{}/report", site.id("kh-7")));
    assert_eq!(
        w.attr("#error", "data-code").as_deref(),
        Some("no_such_record")
    );
    w.shot("secret-report-not-found");
}

#[test]
fn a_reader_without_clearance_never_meets_the_secret_record() {
    let Some(b) = Browser::start() else { return };
    let site = Site::new();
    let mut w = Walk::new(&b, &site, "reader");
    w.sign_in(&site.reader);
    // The whole archive, less the secret plan; nothing of it in the facets.
    assert_eq!(w.attr("#total", "data-total").as_deref(), Some("3"));
    let facets = w.facet_texts();
    assert!(!facets.is_empty());
    for word in SECRET_WORDS {
        assert!(!facets.contains(word), "{word} in the facets:\n{facets}");
    }
    assert!(!w.text("body").contains(site.id("kh-7")));
    w.shot("search-empty");

    // The plan's own words find nothing.
    let total = w.search("cong an cao diem");
    assert_eq!(total, 0);
    assert_eq!(w.count("div.hit"), 0);
    assert_eq!(w.count("#none"), 1);
    w.shot("search-secret-words");
    assert_eq!(w.search("chung thu so"), 0);

    // Words it shares with a public letter find only that letter.
    let total = w.search("chu ky so");
    assert_eq!(total, 1);
    assert_eq!(
        w.count(&format!("div.hit[data-id=\"{}\"]", site.id("qd-1500"))),
        1
    );
    assert_eq!(w.count(".secret"), 0);
    let facets = w.facet_texts();
    for word in SECRET_WORDS {
        assert!(!facets.contains(word), "{word} in the facets:\n{facets}");
    }
    let page = b.source().unwrap();
    for word in SECRET_WORDS {
        assert!(!page.contains(word), "{word} on the page");
    }
    w.shot("search-chu-ky-so");

    // Filtering on the secret level or agency finds nothing either.
    w.goto("/search?q=&confidentiality=M%E1%BA%ADt");
    assert_eq!(w.attr("#total", "data-total").as_deref(), Some("0"));
    w.goto("/search?q=&agency=000.00.00.H12");
    assert_eq!(w.attr("#total", "data-total").as_deref(), Some("2"));

    // Its address answers exactly like a record that does not exist.
    let secret = site.id("kh-7");
    let missing = "0".repeat(64);
    w.goto(&format!("/records/{secret}"));
    assert_eq!(
        w.attr("#error", "data-code").as_deref(),
        Some("no_such_record")
    );
    let h1 = w.text("h1");
    assert_eq!(h1, "Không tìm thấy");
    let said = w.text("#error").replace(secret, "ID");
    w.shot("secret-record-not-found");
    w.goto(&format!("/records/{missing}"));
    assert_eq!(w.text("h1"), h1);
    assert_eq!(w.text("#error").replace(&missing, "ID"), said);
    for path in [
        format!("/records/{secret}"),
        format!("/records/{secret}/files/0"),
    ] {
        let (status, _, body) = site.fetch(&path, Some(&site.reader));
        assert_eq!(status, 404, "{path}");
        let body = String::from_utf8_lossy(&body);
        for word in SECRET_WORDS {
            assert!(!body.contains(word), "{word} in {path}");
        }
    }

    // A public record: readable, but neither verification at a date nor export for a reader.
    let qd = site.id("qd-1500");
    w.goto(&format!("/records/{qd}"));
    assert_eq!(
        w.attr("#verdict", "data-verdict").as_deref(),
        Some("PASSED")
    );
    assert_eq!(w.count("#at"), 0);
    assert_eq!(w.count("#report"), 0);
    assert_eq!(w.count("#export"), 0);
    w.shot("public-record");
    let (status, _, _) = site.fetch(&format!("/records/{qd}/report"), Some(&site.reader));
    assert_eq!(status, 403);
}

#[test]
fn the_qr_code_opens_the_public_verification_page() {
    let Some(b) = Browser::start() else { return };
    let site = Site::new();
    let mut w = Walk::new(&b, &site, "qr");
    let id = site.id("qd-1500");
    let out_dir = site.home.join("qr");
    std::fs::create_dir_all(&out_dir).unwrap();
    let svg = out_dir.join("qd-1500.svg");
    let out = stele_at(
        &site.home,
        site.now,
        &[
            "qr",
            id,
            "--out",
            svg.to_str().unwrap(),
            "--base-url",
            &site.server.base,
            "--json",
        ],
    );
    let qr = json(&ok(out));
    let url = qr["url"].as_str().expect("qr --json: url").to_string();
    let prefix = site.server.url(&format!("/v/{id}/"));
    assert!(
        url.starts_with(&prefix),
        "{url} does not start with {prefix}"
    );
    let code = &url[prefix.len()..];
    assert_eq!(qr["code"].as_str(), Some(code), "{qr:#}");
    let image = std::fs::read_to_string(&svg).unwrap();
    assert!(image.contains("<svg"), "{}", svg.display());
    // The PNG form too, kept with the screenshots.
    let png = screenshot_dir().join("qr-00-code.png");
    let _ = std::fs::remove_file(&png);
    std::fs::create_dir_all(screenshot_dir()).unwrap();
    ok(stele_at(
        &site.home,
        site.now,
        &[
            "qr",
            id,
            "--out",
            png.to_str().unwrap(),
            "--base-url",
            &site.server.base,
        ],
    ));
    let mut head = [0u8; 8];
    std::fs::File::open(&png)
        .unwrap()
        .read_exact(&mut head)
        .unwrap();
    assert_eq!(&head, b"\x89PNG\r\n\x1a\n", "{}", png.display());

    let path = &url[site.server.base.len()..];
    let (status, _, body) = site.fetch(path, None);
    // Nobody signed in: the page a phone opens from the paper copy.
    b.goto(&url).unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let page = w.text("body");
    assert!(
        page.contains("HỢP LỆ") || page.contains("VALID"),
        "no verdict on the public page:\n{page}"
    );
    w.shot("public-page");

    // A wrong code opens nothing about the record.
    let mut wrong: Vec<char> = code.chars().collect();
    wrong[0] = if wrong[0] == 'a' { 'b' } else { 'a' };
    let wrong: String = wrong.into_iter().collect();
    b.goto(&site.server.url(&format!("/v/{id}/{wrong}")))
        .unwrap();
    let page = w.text("body");
    assert!(
        !page.contains("HỢP LỆ") && !page.contains("VALID"),
        "{page}"
    );
    assert!(!page.contains("Triển khai chữ ký số"), "{page}");
    w.shot("public-page-wrong-code");
    // Nor does the secret plan's id with the public record's code.
    let (status, _, _) = site.fetch(&format!("/v/{}/{code}", site.id("kh-7")), None);
    assert_ne!(status, 200);
}
