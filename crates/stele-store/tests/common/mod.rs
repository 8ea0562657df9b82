//! The operation suite, run against every backend (local files, SeaweedFS over S3).
#![allow(dead_code)] // each test binary uses its own subset

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use stele_store::{BlobRef, Creation, LeaseOutcome, Problem, RecordId, Store, StoreError};
use time::{Duration, OffsetDateTime};

/// Raw access behind the store's back, to damage it the way disks and operators do.
pub enum Tamper {
    /// A local store's root directory: bytes are flipped in the files themselves.
    Dir(PathBuf),
    /// The same objects through object_store, bypassing Stele (for S3).
    Raw(Arc<dyn ObjectStore>),
}

impl Tamper {
    pub async fn flip_byte(&self, key: &str, at: usize) {
        match self {
            Tamper::Dir(root) => {
                let path = root.join(key);
                let mut bytes = std::fs::read(&path).unwrap();
                bytes[at] ^= 0x01;
                std::fs::write(&path, bytes).unwrap();
            }
            Tamper::Raw(raw) => {
                let path = Path::from(key);
                let mut bytes = raw
                    .get(&path)
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap()
                    .to_vec();
                bytes[at] ^= 0x01;
                raw.put(&path, bytes.into()).await.unwrap();
            }
        }
    }

    pub async fn write(&self, key: &str, bytes: &[u8]) {
        match self {
            Tamper::Dir(root) => {
                let path = root.join(key);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, bytes).unwrap();
            }
            Tamper::Raw(raw) => {
                raw.put(&Path::from(key), Bytes::copy_from_slice(bytes).into())
                    .await
                    .unwrap();
            }
        }
    }

    pub async fn delete(&self, key: &str) {
        match self {
            Tamper::Dir(root) => std::fs::remove_file(root.join(key)).unwrap(),
            Tamper::Raw(raw) => raw.delete(&Path::from(key)).await.unwrap(),
        }
    }
}

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap() // 2026-05-28
}

/// Deterministic, incompressible-looking test bytes.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

pub async fn blobs(store: &Store, scratch: &std::path::Path) {
    let bytes = Bytes::from_static(b"%PDF-1.7 signed original");
    let blob = store.put_blob(bytes.clone()).await.unwrap();
    assert_eq!(blob, BlobRef::of(&bytes));
    assert!(blob.key().starts_with(&format!(
        "blobs/sha256/{}/{}/{}",
        &blob.hex()[..2],
        &blob.hex()[2..4],
        blob.hex()
    )));
    // Idempotent: the same bytes again change nothing.
    assert_eq!(store.put_blob(bytes.clone()).await.unwrap(), blob);
    assert!(store.has_blob(&blob).await.unwrap());
    assert_eq!(store.get_blob(&blob).await.unwrap(), bytes);
    let streamed: Vec<Bytes> = store
        .open_blob(&blob)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.concat(), bytes.to_vec());
    let mut out = Vec::new();
    store.get_blob_into(&blob, &mut out).await.unwrap();
    assert_eq!(out, bytes.to_vec());

    let absent = BlobRef::of(b"never stored");
    assert!(!store.has_blob(&absent).await.unwrap());
    match store.get_blob(&absent).await {
        Err(StoreError::NotFound { key }) => assert_eq!(key, absent.key()),
        other => panic!("expected NotFound, got {other:?}"),
    }

    // Files: a small one, and one big enough to go up in several parts.
    for (len, seed) in [(1000usize, 1u64), (20 << 20, 2)] {
        let data = pseudo_random(len, seed);
        let file = scratch.join(format!("file-{len}"));
        std::fs::write(&file, &data).unwrap();
        let blob = store.put_blob_file(&file).await.unwrap();
        assert_eq!(blob, BlobRef::of(&data));
        assert_eq!(store.put_blob_file(&file).await.unwrap(), blob);
        let mut out = Vec::new();
        store.get_blob_into(&blob, &mut out).await.unwrap();
        assert!(out == data, "{len}-byte file read back differently");
    }
    let missing = scratch.join("no-such-file");
    assert!(matches!(
        store.put_blob_file(&missing).await,
        Err(StoreError::Io { .. })
    ));
}

pub async fn manifests(store: &Store) {
    let id = RecordId::new("rec-0001").unwrap();
    let original = store
        .put_blob(Bytes::from_static(b"original"))
        .await
        .unwrap();
    let ocsp = BlobRef::of(b"ocsp response, not stored yet");
    let manifest = Bytes::from_static(br#"{"id":"rec-0001"}"#);

    // Blobs first: a manifest naming a missing blob is refused, and nothing is committed.
    match store
        .create_manifest(&id, manifest.clone(), &[original, ocsp])
        .await
    {
        Err(StoreError::MissingBlob { record, key }) => {
            assert_eq!(record, "rec-0001");
            assert_eq!(key, ocsp.key());
        }
        other => panic!("expected MissingBlob, got {other:?}"),
    }
    assert!(store.get_manifest(&id).await.unwrap_err().is_not_found());

    let ocsp = store
        .put_blob(Bytes::from_static(b"ocsp response, not stored yet"))
        .await
        .unwrap();
    let refs = [ocsp, original, ocsp];
    assert_eq!(
        store
            .create_manifest(&id, manifest.clone(), &refs)
            .await
            .unwrap(),
        Creation::Created
    );
    // Retried (after a crash, or as a duplicate ingest): the stored manifest comes back.
    assert_eq!(
        store
            .create_manifest(&id, manifest.clone(), &refs)
            .await
            .unwrap(),
        Creation::AlreadyExists(manifest.clone())
    );
    // A different manifest for the same id never replaces the first.
    assert_eq!(
        store
            .create_manifest(&id, Bytes::from_static(b"{}"), &[original])
            .await
            .unwrap(),
        Creation::AlreadyExists(manifest.clone())
    );
    assert_eq!(store.get_manifest(&id).await.unwrap(), manifest);
    let mut expected = vec![original, ocsp];
    expected.sort();
    assert_eq!(store.record_references(&id).await.unwrap(), expected);

    let second = RecordId::new("rec-0002").unwrap();
    store
        .create_manifest(&second, Bytes::from_static(b"{}"), &[])
        .await
        .unwrap();
    let mut ids: Vec<String> = store
        .list_records()
        .map_ok(|id| id.to_string())
        .try_collect()
        .await
        .unwrap();
    ids.sort();
    assert_eq!(ids, ["rec-0001", "rec-0002"]);

    for bad in ["", "../x", "a/b", ".hidden", "x#1", &"x".repeat(129), "é"] {
        assert!(
            matches!(RecordId::new(bad), Err(StoreError::InvalidName { .. })),
            "{bad:?} accepted"
        );
    }
}

/// Many writers create the same manifest at once: exactly one wins, all see the winner's bytes.
pub async fn manifest_race(store: &Store, writers: usize) {
    let blob = store.put_blob(Bytes::from_static(b"shared")).await.unwrap();
    for round in 0..3 {
        let id = RecordId::new(format!("race-{round}")).unwrap();
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let (store, id) = (store.clone(), id.clone());
                tokio::spawn(async move {
                    let manifest = Bytes::from(format!("writer {w}"));
                    let outcome = store.create_manifest(&id, manifest.clone(), &[blob]).await;
                    (manifest, outcome.unwrap())
                })
            })
            .collect();
        let mut winners = Vec::new();
        let mut seen = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                (mine, Creation::Created) => winners.push(mine),
                (_, Creation::AlreadyExists(theirs)) => seen.push(theirs),
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "round {round}: {} writers created",
            winners.len()
        );
        assert!(seen.iter().all(|s| *s == winners[0]));
        assert_eq!(store.get_manifest(&id).await.unwrap(), winners[0]);
    }
}

pub async fn seals_and_epochs(store: &Store) {
    for id in ["000003", "000001", "000002"] {
        let bytes = Bytes::from(format!("seal {id}"));
        assert_eq!(
            store.create_seal(id, bytes.clone()).await.unwrap(),
            Creation::Created
        );
        assert_eq!(
            store
                .create_seal(id, Bytes::from_static(b"other"))
                .await
                .unwrap(),
            Creation::AlreadyExists(bytes.clone())
        );
        assert_eq!(store.get_seal(id).await.unwrap(), bytes);
    }
    assert_eq!(
        store.list_seals().await.unwrap(),
        ["000001", "000002", "000003"]
    );
    store
        .create_epoch("2029-01-01T000000Z", Bytes::from_static(b"e2"))
        .await
        .unwrap();
    store
        .create_epoch("2028-06-01T000000Z", Bytes::from_static(b"e1"))
        .await
        .unwrap();
    assert_eq!(
        store.list_epochs().await.unwrap(),
        ["2028-06-01T000000Z", "2029-01-01T000000Z"]
    );
    assert_eq!(
        store.get_epoch("2028-06-01T000000Z").await.unwrap(),
        Bytes::from_static(b"e1")
    );
    assert!(store.get_seal("000009").await.unwrap_err().is_not_found());
    assert!(store.create_seal("../x", Bytes::new()).await.is_err());
}

pub async fn leases(store: &Store) {
    let ttl = Duration::minutes(10);
    let t = t0();
    let a = match store
        .acquire_lease("renewal", "node-a", ttl, t)
        .await
        .unwrap()
    {
        LeaseOutcome::Acquired(lease) => lease,
        held => panic!("fresh lease not acquired: {held:?}"),
    };
    assert_eq!(a.until, t + ttl);
    // Live: B is told who holds it and until when; so is A itself asking again.
    for who in ["node-b", "node-a"] {
        assert_eq!(
            store
                .acquire_lease("renewal", who, ttl, t + Duration::minutes(5))
                .await
                .unwrap(),
            LeaseOutcome::Held {
                holder: "node-a".into(),
                until: t + ttl
            }
        );
    }
    // A renews while live.
    let a = match store
        .renew_lease(&a, ttl, t + Duration::minutes(8))
        .await
        .unwrap()
    {
        LeaseOutcome::Acquired(lease) => lease,
        held => panic!("renewal refused: {held:?}"),
    };
    assert_eq!(a.until, t + Duration::minutes(18));
    // Expired: B takes it over, and A's late renewal learns it lost.
    let later = t + Duration::minutes(19);
    let b = match store
        .acquire_lease("renewal", "node-b", ttl, later)
        .await
        .unwrap()
    {
        LeaseOutcome::Acquired(lease) => lease,
        held => panic!("expired lease not taken over: {held:?}"),
    };
    assert_eq!(
        store.renew_lease(&a, ttl, later).await.unwrap(),
        LeaseOutcome::Held {
            holder: "node-b".into(),
            until: later + ttl
        }
    );
    assert!(!store.release_lease(&a).await.unwrap());
    // Released: free at once, long before it would expire.
    assert!(store.release_lease(&b).await.unwrap());
    assert!(matches!(
        store
            .acquire_lease("renewal", "node-c", ttl, later + Duration::seconds(1))
            .await
            .unwrap(),
        LeaseOutcome::Acquired(_)
    ));
    // Other lease names are independent.
    assert!(matches!(
        store
            .acquire_lease("reindex", "node-a", ttl, t)
            .await
            .unwrap(),
        LeaseOutcome::Acquired(_)
    ));
}

/// Many nodes ask for the same free lease at once: exactly one gets it.
pub async fn lease_race(store: &Store, nodes: usize) {
    for round in 0..3 {
        let name = format!("race-{round}");
        let tasks: Vec<_> = (0..nodes)
            .map(|n| {
                let (store, name) = (store.clone(), name.clone());
                tokio::spawn(async move {
                    store
                        .acquire_lease(&name, &format!("node-{n}"), Duration::minutes(5), t0())
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut acquired = Vec::new();
        let mut held = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                LeaseOutcome::Acquired(lease) => acquired.push(lease.holder),
                LeaseOutcome::Held { holder, .. } => held.push(holder),
            }
        }
        assert_eq!(
            acquired.len(),
            1,
            "round {round}: {acquired:?} all acquired"
        );
        assert!(
            held.iter().all(|h| *h == acquired[0]),
            "{held:?} vs {acquired:?}"
        );
    }
}

/// A small archive, audited clean; then damaged four ways, each reported by key.
pub async fn audit(store: &Store, tamper: &Tamper) {
    let doc = Bytes::from(pseudo_random(300_000, 7));
    let doc_ref = store.put_blob(doc.clone()).await.unwrap();
    let cert = store
        .put_blob(Bytes::from_static(b"certificate DER"))
        .await
        .unwrap();
    let lonely = store
        .put_blob(Bytes::from_static(b"unreferenced"))
        .await
        .unwrap();
    let id1 = RecordId::new("r1").unwrap();
    let id2 = RecordId::new("r2").unwrap();
    store
        .create_manifest(&id1, Bytes::from_static(b"{\"r\":1}"), &[doc_ref, cert])
        .await
        .unwrap();
    store
        .create_manifest(&id2, Bytes::from_static(b"{\"r\":2}"), &[cert])
        .await
        .unwrap();
    store
        .create_seal("000001", Bytes::from_static(b"seal"))
        .await
        .unwrap();
    store
        .create_epoch("000001", Bytes::from_static(b"epoch"))
        .await
        .unwrap();

    let report = store.audit(4).await.unwrap();
    assert!(report.is_clean(), "{:?}", report.findings);
    assert_eq!(
        (report.blobs, report.records, report.seals, report.epochs),
        (3, 2, 1, 1)
    );
    assert_eq!(report.blob_bytes, doc_ref.len + cert.len + lonely.len);

    // One flipped bit in the document.
    tamper.flip_byte(&doc_ref.key(), 150_000).await;
    match store.get_blob(&doc_ref).await {
        Err(e @ StoreError::Corrupt { .. }) => {
            assert!(e.to_string().contains(&doc_ref.key()), "{e}");
        }
        other => panic!("corruption not detected: {other:?}"),
    }
    let streamed: Vec<_> = store.open_blob(&doc_ref).await.unwrap().collect().await;
    assert!(
        matches!(streamed.last(), Some(Err(StoreError::Corrupt { .. }))),
        "stream did not end in an error"
    );
    // A missing blob, an altered manifest, a stray object.
    tamper.delete(&cert.key()).await;
    tamper
        .write("records/r2/manifest.json", b"{\"r\":22}")
        .await;
    tamper.write("blobs/sha256/zz/zz/not-a-hash", b"?").await;

    let report = store.audit(4).await.unwrap();
    let mut found: Vec<(String, Problem)> = report
        .findings
        .iter()
        .map(|f| (f.key.clone(), f.problem.clone()))
        .collect();
    found.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(format!("{:?}", a.1).cmp(&format!("{:?}", b.1)))
    });
    let corrupt_sha = match &found.iter().find(|(k, _)| *k == doc_ref.key()).unwrap().1 {
        Problem::CorruptBlob {
            actual_sha256,
            actual_len,
        } => {
            assert_eq!(*actual_len, doc_ref.len);
            actual_sha256.clone()
        }
        other => panic!("{other:?}"),
    };
    let mut expected = vec![
        (
            doc_ref.key(),
            Problem::CorruptBlob {
                actual_sha256: corrupt_sha,
                actual_len: doc_ref.len,
            },
        ),
        (
            "blobs/sha256/zz/zz/not-a-hash".to_string(),
            Problem::StrayObject,
        ),
        (
            "records/r1/manifest.json".to_string(),
            Problem::DamagedBlob {
                blob: doc_ref.key(),
            },
        ),
        (
            "records/r1/manifest.json".to_string(),
            Problem::MissingBlob { blob: cert.key() },
        ),
        (
            "records/r2/manifest.json".to_string(),
            Problem::UnmatchedManifest,
        ),
    ];
    expected.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(format!("{:?}", a.1).cmp(&format!("{:?}", b.1)))
    });
    assert_eq!(found, expected);
    for f in &report.findings {
        assert!(f.to_string().starts_with(&f.key), "{f}");
    }
}
