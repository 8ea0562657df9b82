//! The operation suite on a local file-system store in a temporary directory.

mod common;

use common::Tamper;
use stele_store::{LeaseOutcome, Store, StoreConfig, StoreError};
use time::{Duration, OffsetDateTime};

fn open(dir: &tempfile::TempDir) -> Store {
    let url = format!("file://{}", dir.path().join("archive").display());
    Store::open(&url, &StoreConfig::default()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs() {
    let dir = tempfile::tempdir().unwrap();
    common::blobs(&open(&dir), dir.path()).await;
    // Nothing half-written is left beside the objects (staging files are `<key>#<n>`).
    for entry in walk(&dir.path().join("archive")) {
        assert!(!entry.contains('#'), "staging file left behind: {entry}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifests() {
    let dir = tempfile::tempdir().unwrap();
    common::manifests(&open(&dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifest_race() {
    let dir = tempfile::tempdir().unwrap();
    common::manifest_race(&open(&dir), 16).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seals_and_epochs() {
    let dir = tempfile::tempdir().unwrap();
    common::seals_and_epochs(&open(&dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases() {
    let dir = tempfile::tempdir().unwrap();
    common::leases(&open(&dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_race() {
    let dir = tempfile::tempdir().unwrap();
    common::lease_race(&open(&dir), 16).await;
}

/// Renewing for a long job keeps only the newest generations on disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_history_is_collected() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let t = OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap();
    let LeaseOutcome::Acquired(mut lease) = store
        .acquire_lease("renewal", "a", Duration::minutes(1), t)
        .await
        .unwrap()
    else {
        panic!("not acquired")
    };
    for i in 1..=20 {
        match store
            .renew_lease(&lease, Duration::minutes(1), t + Duration::seconds(30 * i))
            .await
            .unwrap()
        {
            LeaseOutcome::Acquired(next) => lease = next,
            held => panic!("renewal {i} refused: {held:?}"),
        }
    }
    assert_eq!(lease.generation, 21);
    let files = walk(&dir.path().join("archive/leases/renewal"));
    assert!(files.len() <= 2, "{files:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit() {
    let dir = tempfile::tempdir().unwrap();
    let tamper = Tamper::Dir(dir.path().join("archive"));
    common::audit(&open(&dir), &tamper).await;
}

#[test]
fn urls() {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig::default();
    // A plain path is created if missing.
    let plain = dir.path().join("a/b");
    Store::open(plain.to_str().unwrap(), &config).unwrap();
    assert!(plain.is_dir());
    for bad in [
        "",
        "file://relative/path",
        "gs://bucket",
        "s3://",
        "s3:///prefix",
    ] {
        match Store::open(bad, &config) {
            Err(StoreError::InvalidUrl { url, .. }) => assert_eq!(url, bad),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    let half = StoreConfig {
        s3_access_key_id: Some("id".into()),
        ..StoreConfig::default()
    };
    assert!(Store::open("s3://bucket/prefix", &half).is_err());
    Store::open("s3://bucket/some/prefix", &config).unwrap();
}

fn walk(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path.display().to_string());
            }
        }
    }
    out
}

#[test]
fn debug_hides_secrets() {
    let config = StoreConfig {
        s3_access_key_id: Some("key-id".into()),
        s3_secret_access_key: Some("very-secret".into()),
        ..StoreConfig::default()
    };
    let store = Store::open("s3://bucket/prefix", &config).unwrap();
    for shown in [format!("{config:?}"), format!("{store:?}")] {
        assert!(!shown.contains("very-secret"), "{shown}");
    }
}
