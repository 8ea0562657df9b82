//! Fixity audit: rehash every blob, check every record's references, read every seal and
//! epoch. Memory grows with the damage found, not with the archive; hashing runs on up to
//! `concurrency` spawned tasks, so a multi-threaded runtime hashes on every core.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use object_store::path::Path;
use object_store::ObjectMeta;

use crate::record::RecordId;
use crate::{BlobRef, Result, Store, StoreError};

/// What the audit found. Clean when `findings` is empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditReport {
    pub blobs: u64,
    pub blob_bytes: u64,
    pub records: u64,
    pub seals: u64,
    pub epochs: u64,
    /// Problems, each naming the key concerned, in no particular order.
    pub findings: Vec<Finding>,
}

impl AuditReport {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// One problem at one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub key: String,
    pub problem: Problem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The blob's content does not hash to its key.
    CorruptBlob {
        actual_sha256: String,
        actual_len: u64,
    },
    /// An object under `blobs/` whose key is not a blob key.
    StrayObject,
    /// The record (key: its manifest) refers to a blob that is not stored.
    MissingBlob { blob: String },
    /// The record (key: its manifest) refers to a blob that is corrupt or has the wrong length.
    DamagedBlob { blob: String },
    /// No references file matches the manifest's hash: the manifest was altered, or its
    /// references were lost.
    UnmatchedManifest,
    /// The object could not be read or parsed.
    Unreadable { reason: String },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = &self.key;
        match &self.problem {
            Problem::CorruptBlob {
                actual_sha256,
                actual_len,
            } => write!(
                f,
                "{key}: corrupt, its {actual_len} bytes hash to {actual_sha256}"
            ),
            Problem::StrayObject => write!(f, "{key}: not a blob key (stray object)"),
            Problem::MissingBlob { blob } => write!(f, "{key}: refers to missing blob {blob}"),
            Problem::DamagedBlob { blob } => write!(f, "{key}: refers to damaged blob {blob}"),
            Problem::UnmatchedManifest => write!(
                f,
                "{key}: matches no references file (the manifest was altered or its references lost)"
            ),
            Problem::Unreadable { reason } => write!(f, "{key}: unreadable: {reason}"),
        }
    }
}

fn finding(key: impl Into<String>, problem: Problem) -> Finding {
    Finding {
        key: key.into(),
        problem,
    }
}

fn unreadable(key: impl Into<String>, e: &StoreError) -> Finding {
    finding(
        key,
        Problem::Unreadable {
            reason: e.to_string(),
        },
    )
}

/// Runs `check` on every item on its own task, at most `concurrency` at once, in any order.
fn spawn_each<I, T, F, Fut>(
    items: impl Stream<Item = Result<I>> + Send + 'static,
    concurrency: usize,
    check: F,
) -> impl Stream<Item = Result<T>>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    items
        .map(move |item| {
            let task = item.map(|item| tokio::spawn(check(item)));
            async move {
                match task?.await {
                    Ok(t) => Ok(t),
                    Err(e) => std::panic::resume_unwind(e.into_panic()),
                }
            }
        })
        .buffer_unordered(concurrency.max(1))
}

impl Store {
    /// Audits the whole store with `concurrency` blobs (or records) checked at once.
    /// Errors only when a listing fails; damage is reported in the report.
    pub async fn audit(&self, concurrency: usize) -> Result<AuditReport> {
        let mut report = AuditReport::default();

        // 1. Every blob rehashed against its key.
        let mut corrupt = HashSet::new();
        let blobs = Path::from("blobs");
        let listing = self
            .inner
            .list(Some(&blobs))
            .map(move |m| m.map_err(|e| StoreError::backend("list", &blobs, e)));
        let store = self.clone();
        let mut checks = spawn_each(listing, concurrency, move |meta: ObjectMeta| {
            let store = store.clone();
            async move { store.audit_blob(meta).await }
        });
        while let Some(checked) = checks.next().await {
            let (len, found) = checked?;
            report.blobs += 1;
            report.blob_bytes += len;
            if let Some((sha256, f)) = found {
                corrupt.extend(sha256);
                report.findings.push(f);
            }
        }

        // 2. Every record: manifest matches its references; each referenced blob is sound.
        let corrupt = Arc::new(corrupt);
        let store = self.clone();
        let mut checks = spawn_each(self.list_records(), concurrency, move |id: RecordId| {
            let (store, corrupt) = (store.clone(), corrupt.clone());
            async move { store.audit_record(id, &corrupt).await }
        });
        while let Some(found) = checks.next().await {
            report.records += 1;
            report.findings.extend(found?);
        }

        // 3. Seal and epoch files read through.
        for (dir, count) in [("seals", &mut report.seals), ("epochs", &mut report.epochs)] {
            let prefix = Path::from(dir);
            let mut listing = self.inner.list(Some(&prefix));
            while let Some(meta) = listing.next().await {
                let meta = meta.map_err(|e| StoreError::backend("list", &prefix, e))?;
                *count += 1;
                if let Err(e) = self.rehash(&meta.location).await {
                    report.findings.push(unreadable(meta.location.as_ref(), &e));
                }
            }
        }
        Ok(report)
    }

    /// Bytes read and, when damaged, the finding (with the hash named by the key, if any).
    async fn audit_blob(&self, meta: ObjectMeta) -> (u64, Option<(Option<[u8; 32]>, Finding)>) {
        let key = meta.location.as_ref();
        let Some(expected) = BlobRef::sha256_of_key(key) else {
            return (0, Some((None, finding(key, Problem::StrayObject))));
        };
        match self.rehash(&meta.location).await {
            Ok(actual) if actual.sha256 == expected => (actual.len, None),
            Ok(actual) => {
                let problem = Problem::CorruptBlob {
                    actual_sha256: actual.hex(),
                    actual_len: actual.len,
                };
                (actual.len, Some((Some(expected), finding(key, problem))))
            }
            Err(e) => (0, Some((Some(expected), unreadable(key, &e)))),
        }
    }

    async fn audit_record(&self, id: RecordId, corrupt: &HashSet<[u8; 32]>) -> Vec<Finding> {
        let key = format!("records/{id}/manifest.json");
        let manifest = match self.get_manifest(&id).await {
            Ok(m) => m,
            Err(e) => return vec![unreadable(key, &e)],
        };
        let references = match self.references_of(&id, &manifest).await {
            Ok(r) => r,
            Err(e) if e.is_not_found() => return vec![finding(key, Problem::UnmatchedManifest)],
            Err(e) => return vec![unreadable(key, &e)],
        };
        let mut found = Vec::new();
        for blob in references {
            let problem = match self.has_blob(&blob).await {
                Ok(true) if corrupt.contains(&blob.sha256) => {
                    Problem::DamagedBlob { blob: blob.key() }
                }
                Ok(true) => continue,
                Ok(false) => Problem::MissingBlob { blob: blob.key() },
                Err(StoreError::WrongLength { .. }) => Problem::DamagedBlob { blob: blob.key() },
                Err(e) => Problem::Unreadable {
                    reason: e.to_string(),
                },
            };
            found.push(finding(key.clone(), problem));
        }
        found
    }
}
