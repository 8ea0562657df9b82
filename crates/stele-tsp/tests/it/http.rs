//! The HTTP server and client over loopback, including hostile and broken servers.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stele_tsp::{
    verify_token, AttemptError, ClientOptions, DigestAlgorithm, LocalTsa, TimeStampRequest,
    TokenVerifyOptions, TsaClient, TsaError,
};
use time::macros::datetime;

use crate::common::local_tsa;

/// The built-in TSA served by `stele_tsp::serve` on a background runtime; dropped = shut down.
struct Server {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(tsa: Arc<LocalTsa>) -> Server {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                stele_tsp::serve(listener, tsa, async move {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = addr_rx.recv().unwrap();
        Server {
            url: format!("http://{addr}/tsa"),
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What a tiny test server does with one request body.
enum Action {
    Reply {
        status: u16,
        ctype: &'static str,
        body: Vec<u8>,
        content_length: bool,
    },
    Hang,
}

/// A minimal HTTP/1.1 server on loopback running `handler` for every request.
fn tiny_server(
    handler: impl Fn(&[u8]) -> Action + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            h.fetch_add(1, Ordering::SeqCst);
            let handler = handler.clone();
            std::thread::spawn(move || serve_one(&mut conn, handler.as_ref()));
        }
    });
    (url, hits)
}

fn serve_one(conn: &mut TcpStream, handler: &(dyn Fn(&[u8]) -> Action + Send + Sync)) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let Ok(n) = conn.read(&mut chunk) else { return };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let Ok(n) = conn.read(&mut chunk) else { return };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    match handler(&buf[header_end..header_end + len]) {
        Action::Hang => std::thread::sleep(Duration::from_secs(30)),
        Action::Reply {
            status,
            ctype,
            body,
            content_length,
        } => {
            let mut head =
                format!("HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nConnection: close\r\n");
            if content_length {
                head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
                let _ = conn.write_all(head.as_bytes());
                let _ = conn.write_all(&body);
            } else {
                head.push_str("Transfer-Encoding: chunked\r\n\r\n");
                let _ = conn.write_all(head.as_bytes());
                for c in body.chunks(16 * 1024) {
                    if conn
                        .write_all(format!("{:x}\r\n", c.len()).as_bytes())
                        .is_err()
                        || conn.write_all(c).is_err()
                        || conn.write_all(b"\r\n").is_err()
                    {
                        return;
                    }
                }
                let _ = conn.write_all(b"0\r\n\r\n");
            }
        }
    }
}

/// A port nothing listens on.
fn dead_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}/")
}

fn fast() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        retries: 1,
        backoff: Duration::from_millis(10),
        ..ClientOptions::default()
    }
}

fn digest() -> Vec<u8> {
    DigestAlgorithm::Sha256.digest(b"batch root")
}

fn all_failed(e: TsaError) -> Vec<stele_tsp::Attempt> {
    match e {
        TsaError::AllFailed(a) => a,
        other => panic!("{other}"),
    }
}

#[test]
fn client_and_server_round_trip_with_failover() {
    let (_dir, _clock, tsa) = local_tsa(datetime!(2026-01-01 0:00 UTC), 2);
    let server = Server::start(tsa.clone());
    let dead = dead_url();
    let client = TsaClient::new([dead.as_str(), server.url.as_str()], fast()).unwrap();
    let token = client
        .timestamp(DigestAlgorithm::Sha256, &digest())
        .unwrap();
    assert_eq!(token.message_imprint().digest, digest());
    let v = verify_token(
        &token,
        &TokenVerifyOptions::with_anchors(vec![tsa.root_certificate().clone()], token.gen_time()),
    );
    assert!(v.is_intact() && v.is_trusted(), "{v:?}");

    // All dead: every attempt is reported, with the URL, and retries are bounded.
    let dead2 = dead_url();
    let client = TsaClient::new([dead.as_str(), dead2.as_str()], fast()).unwrap();
    let err = client
        .timestamp(DigestAlgorithm::Sha256, &digest())
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains(&dead) && text.contains(&dead2), "{text}");
    let attempts = all_failed(err);
    assert_eq!(attempts.len(), 4, "{attempts:?}");
    assert!(
        attempts
            .iter()
            .all(|a| matches!(a.error, AttemptError::Connect(_))),
        "{attempts:?}"
    );

    // The server speaks HTTP properly to odd clients.
    let http = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap();
    let r = http.get(&server.url).send().unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let req = TimeStampRequest::new(DigestAlgorithm::Sha256, &digest()).unwrap();
    let r = http
        .post(&server.url)
        .header("content-type", "text/plain")
        .body(req.to_der())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    assert!(r.text().unwrap().contains("application/timestamp-query"));
    let r = http
        .post(&server.url)
        .header("content-type", "application/timestamp-query")
        .body(b"garbage".to_vec())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/timestamp-reply");
    let resp = stele_tsp::TimeStampResponse::from_ber(&r.bytes().unwrap()).unwrap();
    assert_eq!(
        resp.failure_info,
        vec![stele_tsp::FailureInfo::BadDataFormat]
    );
    let r = http
        .post(&server.url)
        .header("content-type", "application/timestamp-query")
        .body(vec![0u8; stele_tsp::MAX_REQUEST_BYTES + 1])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
}

#[test]
fn retries_are_bounded() {
    let (url, hits) = tiny_server(|_| Action::Reply {
        status: 503,
        ctype: "text/plain",
        body: b"busy".to_vec(),
        content_length: true,
    });
    let opts = ClientOptions {
        retries: 2,
        ..fast()
    };
    let client = TsaClient::new([&url], opts).unwrap();
    let attempts = all_failed(
        client
            .timestamp(DigestAlgorithm::Sha256, &digest())
            .unwrap_err(),
    );
    assert_eq!(attempts.len(), 3);
    assert!(attempts
        .iter()
        .all(|a| a.error == AttemptError::HttpStatus(503) && a.url == url));
    assert_eq!(hits.load(Ordering::SeqCst), 3);

    // A definitive failure (wrong content type) is not retried.
    let (url, hits) = tiny_server(|_| Action::Reply {
        status: 200,
        ctype: "text/html",
        body: b"<html>".to_vec(),
        content_length: true,
    });
    let client = TsaClient::new(
        [&url],
        ClientOptions {
            retries: 5,
            ..fast()
        },
    )
    .unwrap();
    let attempts = all_failed(
        client
            .timestamp(DigestAlgorithm::Sha256, &digest())
            .unwrap_err(),
    );
    assert_eq!(attempts.len(), 1);
    assert!(matches!(&attempts[0].error, AttemptError::ContentType(c) if c == "text/html"));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn oversized_responses_are_cut_off() {
    for content_length in [true, false] {
        let (url, _) = tiny_server(move |_| Action::Reply {
            status: 200,
            ctype: "application/timestamp-reply",
            body: vec![0x30; 4 * 1024 * 1024],
            content_length,
        });
        let opts = ClientOptions {
            max_response_bytes: 64 * 1024,
            retries: 0,
            ..fast()
        };
        let client = TsaClient::new([&url], opts).unwrap();
        let attempts = all_failed(
            client
                .timestamp(DigestAlgorithm::Sha256, &digest())
                .unwrap_err(),
        );
        assert_eq!(
            attempts[0].error,
            AttemptError::TooLarge(64 * 1024),
            "content-length {content_length}"
        );
    }
}

#[test]
fn hanging_servers_time_out() {
    let (url, _) = tiny_server(|_| Action::Hang);
    let opts = ClientOptions {
        total_timeout: Duration::from_millis(400),
        retries: 1,
        ..fast()
    };
    let client = TsaClient::new([&url], opts).unwrap();
    let t0 = Instant::now();
    let attempts = all_failed(
        client
            .timestamp(DigestAlgorithm::Sha256, &digest())
            .unwrap_err(),
    );
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert_eq!(attempts.len(), 2);
    assert!(
        attempts.iter().all(|a| a.error == AttemptError::Timeout),
        "{attempts:?}"
    );
}

#[test]
fn tokens_for_other_requests_are_rejected() {
    let (_dir, _clock, tsa) = local_tsa(datetime!(2026-01-01 0:00 UTC), 2);
    // A server that answers with a valid token for another nonce (a replay)...
    let t = tsa.clone();
    let (replay, _) = tiny_server(move |body| {
        let mut req = TimeStampRequest::from_der(body).unwrap();
        req.nonce = Some(vec![0x42; 8]);
        Action::Reply {
            status: 200,
            ctype: "application/timestamp-reply",
            body: t.respond(&req.to_der()).unwrap(),
            content_length: true,
        }
    });
    // ...and one that time-stamps something else.
    let t = tsa.clone();
    let (swap, _) = tiny_server(move |body| {
        let mut req = TimeStampRequest::from_der(body).unwrap();
        req.message_imprint.digest = DigestAlgorithm::Sha256.digest(b"something else");
        Action::Reply {
            status: 200,
            ctype: "application/timestamp-reply",
            body: t.respond(&req.to_der()).unwrap(),
            content_length: true,
        }
    });
    // ...and one whose token carries no certificate although certReq was set.
    let t = tsa.clone();
    let (bare, _) = tiny_server(move |body| {
        let mut req = TimeStampRequest::from_der(body).unwrap();
        req.cert_req = false;
        Action::Reply {
            status: 200,
            ctype: "application/timestamp-reply",
            body: t.respond(&req.to_der()).unwrap(),
            content_length: true,
        }
    });
    let server = Server::start(tsa.clone());
    let client = TsaClient::new([&replay, &swap, &bare, &server.url], fast()).unwrap();
    // Falls through to the honest server.
    let token = client
        .timestamp(DigestAlgorithm::Sha256, &digest())
        .unwrap();
    assert_eq!(token.message_imprint().digest, digest());

    let client = TsaClient::new([&replay, &swap, &bare], fast()).unwrap();
    let attempts = all_failed(
        client
            .timestamp(DigestAlgorithm::Sha256, &digest())
            .unwrap_err(),
    );
    assert_eq!(
        attempts.len(),
        3,
        "verification failures are not retried: {attempts:?}"
    );
    let msg: Vec<String> = attempts.iter().map(|a| a.error.to_string()).collect();
    assert!(msg[0].contains("nonce"), "{msg:?}");
    assert!(msg[1].contains("time-stamps"), "{msg:?}");
    assert!(msg[2].contains("certificate"), "{msg:?}");
}
