//! A small W3C WebDriver client for the web UI's end-to-end tests: `chromedriver` on a free
//! loopback port driving headless Chromium, over blocking HTTP. Enough to sign in, type, click,
//! read the page and take screenshots; dropping the [`Browser`] ends the session and kills
//! `chromedriver` (a watchdog kills it, should the test process die without dropping it).
//!
//! Chromium and chromedriver come from `$STELE_CHROMIUM` and `$STELE_CHROMEDRIVER`, else the
//! PATH (Debian packages `chromium` and `chromium-driver`).

use std::fmt;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use crate::pki::in_ci;

/// What the WebDriver server answered instead of a value (its `error` code and `message`), or
/// why it could not be asked.
#[derive(Debug, Clone)]
pub struct WebDriverError {
    /// The command, e.g. `POST /session/…/element`.
    pub command: String,
    /// The W3C error code (`no such element`, `timeout`, …), or `transport` / `protocol`.
    pub error: String,
    pub message: String,
}

impl fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.command, self.error, self.message)
    }
}

impl std::error::Error for WebDriverError {}

pub type Result<T> = std::result::Result<T, WebDriverError>;

/// The key W3C WebDriver names element references with.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How Chromium must be started on a machine without a network: headless, no sandbox (root in
/// a container), and none of its background connections (refused here, and slow to give up).
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1024",
];

/// A program named by the environment variable `var` (which must then be a file), else the
/// first of `names` on the PATH.
fn program(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "{var}={} is not a file", path.display());
        return Some(path);
    }
    let paths = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Chromium and chromedriver, or `None` after printing why, so a test can skip. When `CI` is
/// set a missing one is a failure instead: CI must run these tests.
pub fn chromium_and_driver() -> Option<(PathBuf, PathBuf)> {
    let chromium = program(
        "STELE_CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let driver = program("STELE_CHROMEDRIVER", &["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        (c, d) => {
            let missing = match (c, d) {
                (None, None) => "chromium and chromedriver",
                (None, _) => "chromium",
                _ => "chromedriver",
            };
            assert!(
                !in_ci(),
                "CI is set but {missing} was not found: apt-get install chromium chromium-driver \
                 (or set STELE_CHROMIUM and STELE_CHROMEDRIVER)"
            );
            eprintln!(
                "SKIPPED: no {missing} (apt-get install chromium chromium-driver, or set STELE_CHROMIUM and STELE_CHROMEDRIVER)"
            );
            None
        }
    }
}

/// Kills process `child` within a second once this test process is gone (a timeout's SIGKILL
/// skips every `Drop`).
pub fn watchdog(child: u32) {
    let _ = Command::new("sh")
        .arg("-c")
        .arg(r#"while kill -0 "$1" && kill -0 "$2"; do sleep 1; done 2>/dev/null; kill -9 "$2" 2>/dev/null"#)
        .args(["watchdog", &std::process::id().to_string(), &child.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

/// A headless Chromium session. Dropping it closes the browser and kills chromedriver.
pub struct Browser {
    driver: Child,
    http: reqwest::blocking::Client,
    /// `http://127.0.0.1:<port>/session/<id>`
    session: String,
    dir: tempfile::TempDir,
}

/// An element of the current page.
pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Browser {
    /// A browser for one test, or `None` (after printing why) when Chromium or chromedriver is
    /// not installed and `CI` is not set. Panics if they are installed but do not start.
    pub fn start() -> Option<Browser> {
        let (chromium, driver) = chromium_and_driver()?;
        Some(Browser::launch(&chromium, &driver).unwrap_or_else(|e| panic!("{e}")))
    }

    /// Starts `driver` on a free loopback port and opens a session of `chromium` with a fresh
    /// profile.
    pub fn launch(chromium: &Path, driver: &Path) -> std::result::Result<Browser, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            l.local_addr().map_err(|e| e.to_string())?.port()
        };
        let log_path = dir.path().join("chromedriver.log");
        let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", driver.display()))?;
        watchdog(child.id());
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(90))
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?;
        let mut browser = Browser {
            driver: child,
            http,
            session: String::new(),
            dir,
        };
        let base = format!("http://127.0.0.1:{port}");
        browser.wait_ready(&base)?;
        let profile = browser.dir.path().join("profile");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {"binary": chromium.display().to_string(), "args": args},
        }}});
        let created = browser
            .request(
                reqwest::Method::POST,
                &format!("{base}/session"),
                Some(caps),
            )
            .map_err(|e| format!("{e}\nchromedriver log:\n{}", browser.log_tail()))?;
        let id = created["sessionId"]
            .as_str()
            .ok_or_else(|| format!("new session answered without a sessionId: {created}"))?;
        browser.session = format!("{base}/session/{id}");
        Ok(browser)
    }

    /// Waits until chromedriver's `/status` says ready (30 s at most).
    fn wait_ready(&mut self, base: &str) -> std::result::Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.driver.try_wait() {
                return Err(format!(
                    "chromedriver exited ({status}):\n{}",
                    self.log_tail()
                ));
            }
            match self.request(reqwest::Method::GET, &format!("{base}/status"), None) {
                Ok(v) if v["ready"] == true => return Ok(()),
                Ok(v) => last = v.to_string(),
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!(
            "chromedriver not ready after 30 s (last: {last}):\n{}",
            self.log_tail()
        ))
    }

    /// The last 30 lines of chromedriver's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let log =
            std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// One WebDriver command: its `value`, or the error the server gave.
    fn request(&self, method: reqwest::Method, url: &str, body: Option<Value>) -> Result<Value> {
        let command = format!(
            "{method} {}",
            url.split_once("/session")
                .map_or(url, |(_, rest)| rest)
                .trim_start_matches('/')
        );
        let fail = |error: &str, message: String| WebDriverError {
            command: command.clone(),
            error: error.into(),
            message,
        };
        let mut req = self.http.request(method.clone(), url);
        if let Some(body) = body {
            req = req
                .header("Content-Type", "application/json; charset=utf-8")
                .body(body.to_string());
        } else if method == reqwest::Method::POST {
            req = req
                .header("Content-Type", "application/json; charset=utf-8")
                .body("{}");
        }
        let response = req.send().map_err(|e| fail("transport", e.to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .map_err(|e| fail("transport", e.to_string()))?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| fail("protocol", format!("HTTP {status}, not JSON ({e}): {text}")))?;
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        if !status.is_success() || value.get("error").is_some_and(Value::is_string) {
            return Err(fail(
                value["error"].as_str().unwrap_or("unknown error"),
                value["message"]
                    .as_str()
                    .map_or_else(|| format!("HTTP {status}: {text}"), str::to_string),
            ));
        }
        Ok(value)
    }

    fn get(&self, path: &str) -> Result<Value> {
        self.request(
            reqwest::Method::GET,
            &format!("{}{path}", self.session),
            None,
        )
    }

    fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.request(
            reqwest::Method::POST,
            &format!("{}{path}", self.session),
            Some(body),
        )
    }

    /// Opens `url` and waits for it to load.
    pub fn goto(&self, url: &str) -> Result<()> {
        self.post("/url", json!({ "url": url })).map(drop)
    }

    /// The address of the page shown.
    pub fn current_url(&self) -> Result<String> {
        Ok(self.get("/url")?.as_str().unwrap_or_default().to_string())
    }

    /// The page's title.
    pub fn title(&self) -> Result<String> {
        Ok(self.get("/title")?.as_str().unwrap_or_default().to_string())
    }

    /// The page's HTML as the browser now holds it.
    pub fn source(&self) -> Result<String> {
        Ok(self
            .get("/source")?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// The first element matching the CSS selector `css` (`no such element` if none).
    pub fn find(&self, css: &str) -> Result<Element<'_>> {
        let v = self.post("/element", json!({"using": "css selector", "value": css}))?;
        self.element(v, css)
    }

    /// Every element matching `css` (none is no error).
    pub fn find_all(&self, css: &str) -> Result<Vec<Element<'_>>> {
        let v = self.post("/elements", json!({"using": "css selector", "value": css}))?;
        self.elements(v, css)
    }

    /// The first element matching `css`, waiting up to `timeout` for it to appear.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element<'_>> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.find(css) {
                Err(e) if e.error == "no such element" && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }

    fn element(&self, v: Value, css: &str) -> Result<Element<'_>> {
        match v[ELEMENT_KEY].as_str() {
            Some(id) => Ok(Element {
                browser: self,
                id: id.to_string(),
            }),
            None => Err(WebDriverError {
                command: format!("find {css}"),
                error: "protocol".into(),
                message: format!("no element reference in {v}"),
            }),
        }
    }

    fn elements(&self, v: Value, css: &str) -> Result<Vec<Element<'_>>> {
        v.as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|e| self.element(e, css))
            .collect()
    }

    /// Runs the JavaScript function body `script` in the page with `args` (elements as
    /// [`Element::to_arg`]); what it returns.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    /// A cookie's value (HttpOnly ones included), or `None`.
    pub fn cookie(&self, name: &str) -> Result<Option<String>> {
        let all = self.get("/cookie")?;
        Ok(all.as_array().and_then(|cs| {
            cs.iter()
                .find(|c| c["name"] == name)
                .and_then(|c| c["value"].as_str())
                .map(str::to_string)
        }))
    }

    /// Forgets every cookie of the current site (signs out).
    pub fn delete_cookies(&self) -> Result<()> {
        self.request(
            reqwest::Method::DELETE,
            &format!("{}/cookie", self.session),
            None,
        )
        .map(drop)
    }

    /// A PNG of the viewport, written to `path` (its folder made if missing); the PNG's bytes.
    pub fn screenshot(&self, path: &Path) -> Result<Vec<u8>> {
        let v = self.get("/screenshot")?;
        let fail = |message: String| WebDriverError {
            command: "GET screenshot".into(),
            error: "protocol".into(),
            message,
        };
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .map_err(|e| fail(format!("not base64: {e}")))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
        }
        std::fs::write(path, &png)
            .map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
        Ok(png)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.request(reqwest::Method::DELETE, &self.session, None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl<'a> Element<'a> {
    fn path(&self, rest: &str) -> String {
        format!("/element/{}{rest}", self.id)
    }

    /// The element as an argument of [`Browser::execute`].
    pub fn to_arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }

    /// Clicks it (scrolled into view first); a link or submit button loads the next page.
    pub fn click(&self) -> Result<()> {
        self.browser.post(&self.path("/click"), json!({})).map(drop)
    }

    /// Types `text` into it.
    pub fn send_keys(&self, text: &str) -> Result<()> {
        self.browser
            .post(&self.path("/value"), json!({ "text": text }))
            .map(drop)
    }

    /// Empties an input.
    pub fn clear(&self) -> Result<()> {
        self.browser.post(&self.path("/clear"), json!({})).map(drop)
    }

    /// Its rendered text.
    pub fn text(&self) -> Result<String> {
        Ok(self
            .browser
            .get(&self.path("/text"))?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// An attribute (or property of that name), `None` when it has none.
    pub fn attribute(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .browser
            .get(&self.path(&format!("/attribute/{name}")))?
            .as_str()
            .map(str::to_string))
    }

    /// A DOM property (`value` of an input as typed, `checked`, …), `None` when null.
    pub fn property(&self, name: &str) -> Result<Option<String>> {
        let v = self.browser.get(&self.path(&format!("/property/{name}")))?;
        Ok(match v {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        })
    }

    /// The first element inside this one matching `css`.
    pub fn find(&self, css: &str) -> Result<Element<'a>> {
        let v = self.browser.post(
            &self.path("/element"),
            json!({"using": "css selector", "value": css}),
        )?;
        self.browser.element(v, css)
    }

    /// Every element inside this one matching `css`.
    pub fn find_all(&self, css: &str) -> Result<Vec<Element<'a>>> {
        let v = self.browser.post(
            &self.path("/elements"),
            json!({"using": "css selector", "value": css}),
        )?;
        self.browser.elements(v, css)
    }
}
