//! `stele serve` for the server's tests: started on a free loopback port over an archive
//! installation, killed when dropped; and access tokens made with `stele token add`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use time::OffsetDateTime;

use crate::archive::{ok, rfc, stele_at};
use crate::webdriver::watchdog;
use crate::{describe, stele_bin};

/// `stele serve --listen 127.0.0.1:0`, killed when dropped; its stderr goes to `serve.log`.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    log: PathBuf,
}

impl Server {
    /// Starts the server of `<home>/stele.toml` with its clock at `now`.
    pub fn start(home: &Path, now: OffsetDateTime) -> Server {
        let log = home.join("serve.log");
        let mut child = Command::new(stele_bin())
            .arg("--config")
            .arg(home.join("stele.toml"))
            .args(["--now", &rfc(now), "serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start stele serve");
        watchdog(child.id());
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        // Whatever else it prints is read, so it never blocks on a full pipe.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        // "stele serving http://127.0.0.1:PORT/ (API http://127.0.0.1:PORT/api/v1/)"
        let base = line
            .strip_prefix("stele serving ")
            .and_then(|rest| rest.split_whitespace().next())
            .map(|url| url.trim_end_matches('/').to_string());
        let server = Server {
            base: base.clone().unwrap_or_default(),
            child,
            log,
        };
        assert!(
            base.is_some(),
            "stele serve printed {line:?}, not its address:\n{}",
            server.log_text()
        );
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// What the server wrote to stderr so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `stele token add NAME --role ROLE [--clearance]` on `<home>`: the token it prints once.
pub fn add_token(
    home: &Path,
    now: OffsetDateTime,
    name: &str,
    role: &str,
    clearance: bool,
) -> String {
    let mut args = vec!["token", "add", name, "--role", role];
    if clearance {
        args.push("--clearance");
    }
    let out = ok(stele_at(home, now, &args));
    let secret = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        secret.starts_with("stl_") && !secret.contains('\n'),
        "{}",
        describe(&out)
    );
    secret
}
