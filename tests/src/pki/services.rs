//! The test PKI's services on loopback: CRLs and CA certificates over HTTP, the OCSP responder and
//! a TSA. The OCSP and TSA answers are made by OpenSSL itself (`openssl ocsp -index … -reqin`,
//! `openssl ts -reply`), one process per request, behind a small HTTP server that listens on
//! 127.0.0.1 only: `openssl ocsp -port` in OpenSSL 3.0 takes no address and would listen on every
//! interface.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::http::{Handler, HttpServer, Request, Response};
use super::TestPki;

/// The running OCSP and CRL servers of one PKI, shared by every [`Services`] handle alive.
#[derive(Default)]
pub(crate) struct Slots {
    ocsp: Mutex<Weak<HttpServer>>,
    http: Mutex<Weak<HttpServer>>,
}

/// A handle on the services of a [`TestPki`] at the loopback ports named in its certificates.
/// Handles share one server per port: the server stops when the last handle naming it is dropped.
pub struct Services {
    slots: Arc<Slots>,
    ocsp: Option<Arc<HttpServer>>,
    http: Option<Arc<HttpServer>>,
    ocsp_url: String,
    crl_url: String,
}

impl Services {
    /// The OCSP responder's URL, if this handle keeps it up.
    pub fn ocsp_url(&self) -> Option<&str> {
        self.ocsp.as_ref().map(|_| self.ocsp_url.as_str())
    }

    /// The intermediate's CRL URL, if this handle keeps the CRL server up.
    pub fn crl_url(&self) -> Option<&str> {
        self.http.as_ref().map(|_| self.crl_url.as_str())
    }

    /// OCSP requests answered since the responder started (0 if this handle does not hold it).
    pub fn ocsp_requests(&self) -> usize {
        self.ocsp.as_ref().map_or(0, |s| s.requests())
    }

    /// HTTP requests (CRLs and certificates) answered since the server started.
    pub fn crl_requests(&self) -> usize {
        self.http.as_ref().map_or(0, |s| s.requests())
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        // Stop under the slot's lock, so a handle being made meanwhile waits for the port.
        let _ocsp = self.slots.ocsp.lock().unwrap_or_else(|e| e.into_inner());
        drop(self.ocsp.take());
        drop(_ocsp);
        let _http = self.slots.http.lock().unwrap_or_else(|e| e.into_inner());
        drop(self.http.take());
    }
}

/// An RFC 3161 TSA on a loopback port of its own (`openssl ts -reply` with the PKI's `tsa`
/// certificate, policy 1.3.6.1.4.1.99999.2025.1, SHA-256/384/512 imprints, ESSCertIDv2). Stops
/// when dropped.
pub struct Tsa {
    server: HttpServer,
    url: String,
}

impl Tsa {
    /// `http://127.0.0.1:<port>/`, to give pyHanko's `--timestamp-url` or `stele`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Timestamp requests answered so far.
    pub fn requests(&self) -> usize {
        self.server.requests()
    }
}

impl TestPki {
    /// Starts (or joins, if another handle runs them) the OCSP responder and the CRL server.
    pub fn start_services(&self) -> Services {
        self.services(true, true)
    }

    /// Only the OCSP responder: CRL fetches are refused.
    pub fn start_ocsp(&self) -> Services {
        self.services(true, false)
    }

    /// Only the CRL (and CA certificate) server: OCSP requests are refused.
    pub fn start_crl_server(&self) -> Services {
        self.services(false, true)
    }

    /// Starts a TSA of its own on a free loopback port.
    pub fn start_tsa(&self) -> Tsa {
        let dir = self.dir().to_path_buf();
        let scratch = self.dir().join("scratch");
        let handler: Handler = Box::new(move |req: &Request| {
            if req.method != "POST" {
                return Response::error(405, "POST a TimeStampReq");
            }
            // One `openssl ts -reply` at a time: it reads and writes the serial file.
            static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
            let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
            let query = scratch.join("tsa-query.tsq");
            let reply = scratch.join("tsa-reply.tsr");
            let _ = std::fs::remove_file(&reply);
            if std::fs::write(&query, &req.body).is_err() {
                return Response::error(500, "cannot write the query");
            }
            let out = Command::new("openssl")
                .current_dir(&dir)
                .args([
                    "ts",
                    "-reply",
                    "-config",
                    "openssl.cnf",
                    "-section",
                    "tsa_config",
                ])
                .arg("-queryfile")
                .arg(&query)
                .arg("-out")
                .arg(&reply)
                .output();
            match (out, std::fs::read(&reply)) {
                (Ok(o), Ok(body)) if o.status.success() => {
                    Response::ok("application/timestamp-reply", body)
                }
                (Ok(o), _) => Response::error(500, crate::describe(&o)),
                (Err(e), _) => Response::error(500, format!("run openssl ts: {e}")),
            }
        });
        let server = HttpServer::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), "tsa", handler)
            .expect("start the test TSA");
        let url = format!("http://{}/", server.addr());
        Tsa { server, url }
    }

    fn services(&self, ocsp: bool, http: bool) -> Services {
        let slots = self.services.clone();
        let ocsp = ocsp.then(|| {
            let mut slot = slots.ocsp.lock().unwrap_or_else(|e| e.into_inner());
            slot.upgrade().unwrap_or_else(|| {
                let server = Arc::new(bind_with_retry(self.ocsp_port, "ocsp", || {
                    ocsp_handler(self.dir())
                }));
                *slot = Arc::downgrade(&server);
                server
            })
        });
        let http = http.then(|| {
            let mut slot = slots.http.lock().unwrap_or_else(|e| e.into_inner());
            slot.upgrade().unwrap_or_else(|| {
                let server = Arc::new(bind_with_retry(self.http_port, "crl", || {
                    files_handler(self.dir())
                }));
                *slot = Arc::downgrade(&server);
                server
            })
        });
        Services {
            slots,
            ocsp,
            http,
            ocsp_url: self.ocsp_url(),
            crl_url: self.crl_url(),
        }
    }
}

/// The port is fixed by the certificates; if something else holds it for a moment, wait a little.
fn bind_with_retry(port: u16, name: &str, handler: impl Fn() -> Handler) -> HttpServer {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match HttpServer::start(addr, name, handler()) {
            Ok(server) => return server,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!(
                "cannot listen on {addr} for the test {name} server ({e}); the port is named in \
                 the test certificates, so something else took it after the PKI was made"
            ),
        }
    }
}

/// Serves `/intermediate.crl`, `/root.crl` (application/pkix-crl) and `/intermediate.cer`,
/// `/root.cer` (application/pkix-cert), read when the server starts.
fn files_handler(dir: &Path) -> Handler {
    let read = |p: &str| std::fs::read(dir.join(p)).unwrap_or_else(|e| panic!("read {p}: {e}"));
    let files: Vec<(&'static str, &'static str, Vec<u8>)> = vec![
        (
            "/intermediate.crl",
            "application/pkix-crl",
            read("intermediate/crl.der"),
        ),
        ("/root.crl", "application/pkix-crl", read("root/crl.der")),
        (
            "/intermediate.cer",
            "application/pkix-cert",
            read("intermediate/cert.der"),
        ),
        ("/root.cer", "application/pkix-cert", read("root/cert.der")),
    ];
    Box::new(move |req: &Request| {
        if req.method != "GET" && req.method != "HEAD" {
            return Response::error(405, "GET only");
        }
        match files.iter().find(|(path, _, _)| *path == req.path) {
            Some((_, content_type, body)) => Response::ok(content_type, body.clone()),
            None => Response::error(404, format!("no {}", req.path)),
        }
    })
}

/// RFC 6960 over HTTP: POST with the DER request as the body, or GET with it base64 in the path.
fn ocsp_handler(dir: &Path) -> Handler {
    let dir: PathBuf = dir.to_path_buf();
    Box::new(move |req: &Request| {
        let der = match req.method.as_str() {
            "POST" => req.body.clone(),
            "GET" => {
                use base64::Engine as _;
                let encoded = percent_decode(req.path.trim_start_matches('/'));
                match base64::engine::general_purpose::STANDARD.decode(encoded) {
                    Ok(der) => der,
                    Err(e) => return Response::error(400, format!("GET path is not base64: {e}")),
                }
            }
            _ => return Response::error(405, "GET or POST an OCSPRequest"),
        };
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let request = dir.join(format!("scratch/ocsp-{n}.req"));
        let response = dir.join(format!("scratch/ocsp-{n}.resp"));
        if std::fs::write(&request, &der).is_err() {
            return Response::error(500, "cannot write the request");
        }
        let out = Command::new("openssl")
            .current_dir(&dir)
            .args([
                "ocsp",
                "-index",
                "intermediate/index.txt",
                "-CA",
                "intermediate/cert.pem",
                "-rsigner",
                "ocsp_responder/cert.pem",
                "-rkey",
                "ocsp_responder/key.pem",
                "-ndays",
                "1",
            ])
            .arg("-reqin")
            .arg(&request)
            .arg("-respout")
            .arg(&response)
            .output();
        let body = std::fs::read(&response);
        let _ = std::fs::remove_file(&request);
        let _ = std::fs::remove_file(&response);
        match (out, body) {
            // OpenSSL writes malformedRequest and the like as responses too.
            (Ok(_), Ok(body)) if !body.is_empty() => {
                Response::ok("application/ocsp-response", body)
            }
            (Ok(o), _) => Response::error(500, crate::describe(&o)),
            (Err(e), _) => Response::error(500, format!("run openssl ocsp: {e}")),
        }
    })
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) =
                u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""), 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}
