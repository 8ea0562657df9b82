//! Helpers shared by the tests that build a real PKI with the `openssl` CLI: running openssl,
//! `openssl ocsp` as a responder on loopback, and a tiny HTTP server for CRLs.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use der::DecodePem;
use time::OffsetDateTime;
use x509_cert::Certificate;

pub const OPENSSL: &str = "/usr/bin/openssl";

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Runs openssl in `dir` with `dir/ca.cnf` as its configuration; panics with stderr on failure.
pub fn run(dir: &Path, args: &[&str]) {
    let out = Command::new(OPENSSL)
        .args(args)
        .current_dir(dir)
        .env("OPENSSL_CONF", dir.join("ca.cnf"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn cert(dir: &Path, name: &str) -> Certificate {
    Certificate::from_pem(std::fs::read(dir.join(name)).unwrap()).unwrap()
}

/// `t` as the UTCTime text openssl takes for dates (YYMMDDHHMMSSZ).
pub fn utc(t: OffsetDateTime) -> String {
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Whether some socket listens on `port`, read from /proc so that no probe connection
/// disturbs `openssl ocsp` (a connection closed without a request breaks the next exchange).
pub fn listening(port: u16) -> bool {
    let needle = format!(":{port:04X} ");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|f| {
        std::fs::read_to_string(f).is_ok_and(|t| {
            t.lines().any(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                cols.get(1)
                    .is_some_and(|a| format!("{a} ").ends_with(&needle))
                    && cols.get(3) == Some(&"0A")
            })
        })
    })
}

/// `openssl ocsp` answering from `index` for certificates of `ca`, signing with
/// `signer`/`key`, on loopback; killed on drop.
pub struct Responder {
    child: Child,
    pub port: u16,
}

impl Responder {
    pub fn start(dir: &Path, port: u16, index: &str, ca: &str, signer: &str, key: &str) -> Self {
        let child = Command::new(OPENSSL)
            .args([
                "ocsp",
                "-index",
                index,
                "-port",
                &port.to_string(),
                "-CA",
                ca,
                "-rsigner",
                signer,
                "-rkey",
                key,
                "-ndays",
                "1",
            ])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let r = Responder { child, port };
        for _ in 0..100 {
            if listening(port) {
                return r;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("openssl ocsp did not start on port {port}");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tiny HTTP/1.0 server: each path in `files` serves its bytes; `/big` an endless-looking
/// body without Content-Length, `/slow` answers after 3 s, anything else 404. The thread ends
/// with the test process.
pub fn serve_http(listener: TcpListener, files: HashMap<String, Vec<u8>>) {
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { continue };
            let files = files.clone();
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let _ = match (files.get(&path), path.as_str()) {
                    (Some(body), _) => s
                        .write_all(
                            format!(
                                "HTTP/1.0 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\n\r\n",
                                body.len()
                            )
                            .as_bytes(),
                        )
                        .and_then(|()| s.write_all(body)),
                    (None, "/big") => s
                        .write_all(b"HTTP/1.0 200 OK\r\n\r\n")
                        .and_then(|()| s.write_all(&vec![0x30u8; 64 * 1024])),
                    (None, "/slow") => {
                        std::thread::sleep(Duration::from_secs(3));
                        s.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
                    }
                    _ => s.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
                };
            });
        }
    });
}

/// A temporary directory that stays while the value lives.
pub struct TempDir {
    _tmp: tempfile::TempDir,
    pub path: PathBuf,
}

impl TempDir {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().to_path_buf();
        TempDir { _tmp: tmp, path }
    }
}
