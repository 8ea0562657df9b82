//! Record manifests (create-only, committed last), their references, seal and epoch files.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use object_store::path::Path;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{BlobRef, Creation, Result, Store, StoreError};

/// Blob lookups in flight while checking a manifest's references.
const LOOKUPS: usize = 8;

/// Checks that `name` is one safe key segment: 1–128 of `A–Z a–z 0–9 . _ -`, not starting with
/// a dot. That keeps keys the same on every backend and out of the local store's `#n` staging
/// names.
pub(crate) fn check_name(what: &'static str, name: &str) -> Result<()> {
    let reason = if name.is_empty() || name.len() > 128 {
        Some("it must be 1 to 128 characters long")
    } else if name.starts_with('.') {
        Some("it must not start with a dot")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        Some("only ASCII letters, digits, '.', '_' and '-' are allowed")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(StoreError::InvalidName {
            what,
            name: name.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// A record's identifier, as the archive chose it (see [`check_name`] for the spelling allowed).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(String);

impl RecordId {
    pub fn new(id: impl Into<String>) -> Result<RecordId> {
        let id = id.into();
        check_name("record id", &id)?;
        Ok(RecordId(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn manifest_path(&self) -> Path {
        Path::from(format!("records/{}/manifest.json", self.0))
    }

    fn references_path(&self, manifest_sha256: &str) -> Path {
        Path::from(format!(
            "records/{}/references/{manifest_sha256}.json",
            self.0
        ))
    }

    /// The record a `records/<id>/manifest.json` key belongs to.
    fn of_manifest_key(key: &str) -> Option<RecordId> {
        let id = key
            .strip_prefix("records/")?
            .strip_suffix("/manifest.json")?;
        RecordId::new(id).ok()
    }
}

impl FromStr for RecordId {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<RecordId> {
        RecordId::new(s)
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `records/<id>/references/<sha256 of manifest>.json`: the store-level list of blobs a manifest
/// refers to. Named by the manifest's hash, so a manifest selects exactly one references file
/// and a changed manifest no longer finds its own (the audit reports that).
#[derive(Serialize, Deserialize, PartialEq, Eq)]
struct References {
    manifest_sha256: String,
    blobs: Vec<BlobRef>,
}

/// Where a create-only file family lives.
#[derive(Clone, Copy)]
enum Family {
    Seals,
    Epochs,
}

impl Family {
    fn dir(self) -> &'static str {
        match self {
            Family::Seals => "seals",
            Family::Epochs => "epochs",
        }
    }
    fn what(self) -> &'static str {
        match self {
            Family::Seals => "seal batch id",
            Family::Epochs => "epoch id",
        }
    }
    fn path(self, id: &str) -> Result<Path> {
        check_name(self.what(), id)?;
        Ok(Path::from(format!("{}/{id}", self.dir())))
    }
}

impl Store {
    /// Commits a record: its manifest, create-only, once every blob in `references` is stored.
    /// The references are kept beside the manifest for [`Store::audit`] and
    /// [`Store::record_references`]. Returns `AlreadyExists` with the stored manifest when the
    /// record exists (an earlier run, or a concurrent writer won); compare it to decide between
    /// duplicate and conflict. Safe to repeat after a crash at any point.
    pub async fn create_manifest(
        &self,
        id: &RecordId,
        manifest: Bytes,
        references: &[BlobRef],
    ) -> Result<Creation> {
        let manifest_path = id.manifest_path();
        // A committed record needs nothing more (and leaves no stray references file).
        match self.get_bytes(&manifest_path).await {
            Ok(existing) => return Ok(Creation::AlreadyExists(existing)),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
        // Blobs first: refuse to commit a manifest that names a missing blob.
        stream::iter(references.iter().copied())
            .map(|blob| self.require_blob(id, blob))
            .buffer_unordered(LOOKUPS)
            .try_collect::<()>()
            .await?;

        let manifest_sha256 = hex::encode(Sha256::digest(&manifest));
        let mut blobs = references.to_vec();
        blobs.sort();
        blobs.dedup();
        let refs = References {
            manifest_sha256: manifest_sha256.clone(),
            blobs,
        };
        let refs_path = id.references_path(&manifest_sha256);
        let refs_bytes = Bytes::from(serde_json::to_vec_pretty(&refs).expect("serializable"));
        if let Creation::AlreadyExists(existing) = self.create_only(&refs_path, refs_bytes).await? {
            if serde_json::from_slice::<References>(&existing)
                .ok()
                .as_ref()
                != Some(&refs)
            {
                return Err(StoreError::Conflict {
                    key: refs_path.to_string(),
                    reason: "the same manifest was stored before with other references".into(),
                });
            }
        }
        // Last: the manifest itself; its appearance is the commit.
        self.create_only(&manifest_path, manifest).await
    }

    async fn require_blob(&self, id: &RecordId, blob: BlobRef) -> Result<()> {
        match self.has_blob(&blob).await? {
            true => Ok(()),
            false => Err(StoreError::MissingBlob {
                record: id.to_string(),
                key: blob.key(),
            }),
        }
    }

    /// The manifest of a record, as stored.
    pub async fn get_manifest(&self, id: &RecordId) -> Result<Bytes> {
        self.get_bytes(&id.manifest_path()).await
    }

    /// The blobs a record's manifest refers to, as given to [`Store::create_manifest`].
    pub async fn record_references(&self, id: &RecordId) -> Result<Vec<BlobRef>> {
        let manifest = self.get_manifest(id).await?;
        self.references_of(id, &manifest).await
    }

    pub(crate) async fn references_of(
        &self,
        id: &RecordId,
        manifest: &[u8],
    ) -> Result<Vec<BlobRef>> {
        let manifest_sha256 = hex::encode(Sha256::digest(manifest));
        let path = id.references_path(&manifest_sha256);
        let bytes = self.get_bytes(&path).await?;
        let refs: References =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Malformed {
                key: path.to_string(),
                reason: e.to_string(),
            })?;
        if refs.manifest_sha256 != manifest_sha256 {
            return Err(StoreError::Malformed {
                key: path.to_string(),
                reason: "it names another manifest".into(),
            });
        }
        Ok(refs.blobs)
    }

    /// Every committed record (those with a manifest), streamed in no particular order: memory
    /// stays flat however many records there are.
    pub fn list_records(&self) -> BoxStream<'static, Result<RecordId>> {
        let prefix = Path::from("records");
        self.inner
            .list(Some(&prefix))
            .map_err(move |e| StoreError::backend("list", &prefix, e))
            .try_filter_map(
                |meta| async move { Ok(RecordId::of_manifest_key(meta.location.as_ref())) },
            )
            .boxed()
    }

    /// Writes a seal batch file, create-only (`seals/<batch id>`).
    pub async fn create_seal(&self, batch_id: &str, bytes: Bytes) -> Result<Creation> {
        self.create_only(&Family::Seals.path(batch_id)?, bytes)
            .await
    }

    pub async fn get_seal(&self, batch_id: &str) -> Result<Bytes> {
        self.get_bytes(&Family::Seals.path(batch_id)?).await
    }

    /// Seal batch ids in byte order: give batches ids that sort in the order they were made
    /// (a zero-padded counter or a UTC timestamp).
    pub async fn list_seals(&self) -> Result<Vec<String>> {
        self.list_family(Family::Seals).await
    }

    /// Writes a renewal epoch file, create-only (`epochs/<epoch id>`).
    pub async fn create_epoch(&self, epoch_id: &str, bytes: Bytes) -> Result<Creation> {
        self.create_only(&Family::Epochs.path(epoch_id)?, bytes)
            .await
    }

    pub async fn get_epoch(&self, epoch_id: &str) -> Result<Bytes> {
        self.get_bytes(&Family::Epochs.path(epoch_id)?).await
    }

    /// Epoch ids in byte order (see [`Store::list_seals`]).
    pub async fn list_epochs(&self) -> Result<Vec<String>> {
        self.list_family(Family::Epochs).await
    }

    async fn list_family(&self, family: Family) -> Result<Vec<String>> {
        let prefix = Path::from(family.dir());
        let mut ids: Vec<String> = self
            .inner
            .list(Some(&prefix))
            .map_err(|e| StoreError::backend("list", &prefix, e))
            .try_filter_map(|meta| async move {
                let mut parts = meta.location.parts();
                let _dir = parts.next();
                let id = parts.next().map(|p| p.as_ref().to_string());
                Ok(id.filter(|id| parts.next().is_none() && check_name("id", id).is_ok()))
            })
            .try_collect()
            .await?;
        // Local listings come in directory order; S3's are sorted already.
        ids.sort();
        Ok(ids)
    }
}
