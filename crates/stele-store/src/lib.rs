//! The archive on object storage (DESIGN.md §4): the single source of truth.
//!
//! Built on [`object_store`]: `file://` (or a plain path) for the embedded default and
//! `s3://bucket/prefix` for any S3-compatible service. The archive decides what records, seals
//! and epochs contain; this crate decides where they live and that they are written safely.
//!
//! # Layout (keys under the store root)
//!
//! ```text
//! blobs/sha256/<2 hex>/<2 hex>/<64 hex>          content-addressed bytes, never overwritten
//! records/<id>/references/<manifest sha256>.json  blobs the manifest refers to (store-level)
//! records/<id>/manifest.json                      the record's manifest; its presence commits it
//! seals/<batch id>                                seal batch files, create-only
//! epochs/<epoch id>                               renewal epoch files, create-only
//! leases/<name>/<generation, 20 digits>           lease history for run-once jobs
//! ```
//!
//! # Crash safety
//!
//! Every object becomes visible whole or not at all: the local store writes a staging file
//! (`<key>#<n>`, which listings and reads ignore) and publishes it by `link`/`rename`; an S3 PUT
//! is atomic and an unfinished multipart upload is invisible. Writes are ordered so a visible
//! object only refers to objects already written: blobs first, then the manifest's references
//! file, then the manifest, create-only ([`Store::create_manifest`] refuses a manifest whose
//! blobs are absent). A record exists exactly when its manifest does. Every write is idempotent,
//! so rerunning an interrupted ingest completes it without duplicates: a blob's key is its hash,
//! and create-only objects report what is already there. What a crash can leave behind is
//! invisible (staging files, unfinished multipart uploads) or inert (blobs and a references
//! file that no manifest names yet); [`Store::audit`] does not count those as damage.
//!
//! Seals and epochs are create-only too; the archive writes one before any state that refers
//! to it. Leases are create-only generations (see [`lease`]), so they need no compare-and-swap
//! update, which object_store's local file system does not offer.

mod audit;
pub mod audit_log;
mod blob;
mod error;
pub mod lease;
mod record;
pub mod secret;
mod work;

use std::sync::Arc;

use bytes::Bytes;
use object_store::aws::{AmazonS3Builder, S3ConditionalPut};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions};

pub use audit::{AuditReport, Finding, Problem};
pub use blob::{BlobRef, BlobStream};
pub use error::StoreError;
pub use lease::{Lease, LeaseOutcome};
pub use record::RecordId;

/// Result of the crate's operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How to reach the store. Explicit values only: the library never reads the environment (the
/// CLI may fill these from it). S3 settings are ignored for `file://` stores and vice versa.
/// `Debug` leaves the secrets out.
#[derive(Clone)]
pub struct StoreConfig {
    /// S3 endpoint, e.g. `http://127.0.0.1:8333`; `None` means AWS itself.
    pub s3_endpoint: Option<String>,
    /// S3 region; `us-east-1` when not given (what most S3-compatible services expect).
    pub s3_region: Option<String>,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    pub s3_session_token: Option<String>,
    /// Allow plain `http://` endpoints (loopback test services, private networks).
    pub s3_allow_http: bool,
    /// Local stores: fsync every written file and its directory before a write returns, so an
    /// acknowledged write survives power loss (S3 promises this itself). On by default.
    pub fsync: bool,
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "<hidden>");
        f.debug_struct("StoreConfig")
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_region", &self.s3_region)
            .field("s3_access_key_id", &self.s3_access_key_id)
            .field("s3_secret_access_key", &hidden(&self.s3_secret_access_key))
            .field("s3_session_token", &hidden(&self.s3_session_token))
            .field("s3_allow_http", &self.s3_allow_http)
            .field("fsync", &self.fsync)
            .finish()
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            s3_endpoint: None,
            s3_region: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_session_token: None,
            s3_allow_http: false,
            fsync: true,
        }
    }
}

/// What a create-only write found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Creation {
    /// This call created the object.
    Created,
    /// The object was already there (an earlier run, or a concurrent writer won); its bytes.
    AlreadyExists(Bytes),
}

/// A handle on one archive store. Cheap to clone; safe to share between tasks.
#[derive(Clone)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    url: String,
}

// By hand: the backend's own Debug may include credentials.
impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("url", &self.url).finish()
    }
}

impl Store {
    /// Opens `file:///abs/path`, a plain path (created if missing) or `s3://bucket[/prefix]`.
    /// Nothing is contacted yet; the first operation reports an unreachable service.
    pub fn open(url: &str, config: &StoreConfig) -> Result<Store> {
        let bad = |reason: &str| StoreError::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(bad("it names no bucket (expected s3://bucket/prefix)"));
            }
            let mut builder = AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_region(config.s3_region.as_deref().unwrap_or("us-east-1"))
                .with_allow_http(config.s3_allow_http)
                // If-None-Match / If-Match: the create-only writes depend on it.
                .with_conditional_put(S3ConditionalPut::ETagMatch);
            if let Some(endpoint) = &config.s3_endpoint {
                builder = builder.with_endpoint(endpoint);
            }
            match (&config.s3_access_key_id, &config.s3_secret_access_key) {
                (Some(id), Some(secret)) => {
                    builder = builder
                        .with_access_key_id(id)
                        .with_secret_access_key(secret);
                    if let Some(token) = &config.s3_session_token {
                        builder = builder.with_token(token);
                    }
                }
                // Unsigned requests rather than object_store's fallback to the instance
                // metadata service: credentials come from the caller or not at all.
                (None, None) => builder = builder.with_skip_signature(true),
                _ => return Err(bad("an S3 access key id needs its secret, and vice versa")),
            }
            let s3 = builder.build().map_err(|e| bad(&e.to_string()))?;
            let prefix = prefix.trim_matches('/');
            let inner: Arc<dyn ObjectStore> = if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(PrefixStore::new(
                    s3,
                    Path::parse(prefix).map_err(|e| bad(&e.to_string()))?,
                ))
            };
            return Ok(Store {
                inner,
                url: url.to_string(),
            });
        }
        let path = match url.strip_prefix("file://") {
            Some(p) if p.starts_with('/') => p,
            Some(_) => return Err(bad("a file:// URL needs an absolute path (file:///path)")),
            None if url.contains("://") => {
                return Err(bad("only file:// and s3:// stores are supported"))
            }
            None if url.is_empty() => return Err(bad("it is empty")),
            None => url,
        };
        std::fs::create_dir_all(path).map_err(|source| StoreError::Io {
            path: path.into(),
            source,
        })?;
        let local = LocalFileSystem::new_with_prefix(path)
            .map_err(|e| bad(&e.to_string()))?
            .with_fsync(config.fsync);
        Ok(Store {
            inner: Arc::new(local),
            url: url.to_string(),
        })
    }

    /// Wraps any object_store (e.g. in-memory for unit tests of the archive).
    pub fn from_object_store(inner: Arc<dyn ObjectStore>, description: &str) -> Store {
        Store {
            inner,
            url: description.to_string(),
        }
    }

    /// The URL or description this store was opened with (for messages).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Create-only write: exactly one of any number of concurrent writers gets `Created`.
    async fn create_only(&self, key: &Path, bytes: Bytes) -> Result<Creation> {
        self.create_only_bounded(key, bytes, u64::MAX).await
    }

    /// [`Store::create_only`] of an object that may hold at most `max` bytes: a larger one, ours
    /// or the one already there, is refused (and the existing one not read).
    pub(crate) async fn create_only_bounded(
        &self,
        key: &Path,
        bytes: Bytes,
        max: u64,
    ) -> Result<Creation> {
        if bytes.len() as u64 > max {
            return Err(too_large(key.as_ref(), bytes.len() as u64, max));
        }
        let opts = PutOptions::from(PutMode::Create);
        match self.inner.put_opts(key, bytes.into(), opts).await {
            Ok(_) => Ok(Creation::Created),
            Err(object_store::Error::AlreadyExists { .. }) => {
                Ok(Creation::AlreadyExists(self.get_bounded(key, max).await?))
            }
            Err(e) => Err(StoreError::backend("create", key, e)),
        }
    }

    async fn get_bytes(&self, key: &Path) -> Result<Bytes> {
        self.get_bounded(key, u64::MAX).await
    }

    /// Reads an object of at most `max` bytes; a larger one is refused before its body is read.
    pub(crate) async fn get_bounded(&self, key: &Path, max: u64) -> Result<Bytes> {
        let got = self
            .inner
            .get(key)
            .await
            .map_err(|e| StoreError::backend("read", key, e))?;
        if got.meta.size > max {
            return Err(too_large(key.as_ref(), got.meta.size, max));
        }
        let bytes = got
            .bytes()
            .await
            .map_err(|e| StoreError::backend("read", key, e))?;
        // The size may have changed between the metadata and the body.
        if bytes.len() as u64 > max {
            return Err(too_large(key.as_ref(), bytes.len() as u64, max));
        }
        Ok(bytes)
    }
}

fn too_large(key: &str, len: u64, max: u64) -> StoreError {
    StoreError::Malformed {
        key: key.to_string(),
        reason: format!("it is {len} bytes, more than the {max} allowed"),
    }
}
