//! Content-addressed blobs: the key is the SHA-256 of the bytes, so writing is idempotent and
//! every read can be verified.

use std::fmt;

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutMode, PutOptions, WriteMultipart};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::{Result, Store, StoreError};

/// Blobs up to this size are read into memory and written with one conditional PUT; larger
/// files are streamed in parts of this size (S3 needs parts of at least 5 MiB).
const PART: usize = 8 << 20;
/// Parts in flight at once during a streamed upload (memory: PART times this).
const PARTS_IN_FLIGHT: usize = 2;
/// Read buffer for hashing files.
const READ_BUF: usize = 1 << 20;

/// A stored blob: its SHA-256 and length. Serialized as `{"sha256": "<hex>", "len": n}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlobRef {
    #[serde(with = "hex")]
    pub sha256: [u8; 32],
    pub len: u64,
}

impl BlobRef {
    /// The reference of these bytes (nothing is stored).
    pub fn of(bytes: &[u8]) -> BlobRef {
        BlobRef {
            sha256: Sha256::digest(bytes).into(),
            len: bytes.len() as u64,
        }
    }

    pub fn hex(&self) -> String {
        hex::encode(self.sha256)
    }

    /// `blobs/sha256/<2 hex>/<2 hex>/<64 hex>`: two fan-out levels keep directories small.
    pub fn key(&self) -> String {
        let h = self.hex();
        format!("blobs/sha256/{}/{}/{h}", &h[..2], &h[2..4])
    }

    pub(crate) fn path(&self) -> Path {
        Path::from(self.key())
    }

    /// The hash named by a blob key, if `key` is a well-formed one.
    pub(crate) fn sha256_of_key(key: &str) -> Option<[u8; 32]> {
        let rest = key.strip_prefix("blobs/sha256/")?;
        let mut parts = rest.split('/');
        let (a, b, h) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || h.len() != 64 || a != &h[..2] || b != &h[2..4] {
            return None;
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(h, &mut out).ok()?;
        // Only the lowercase spelling is the key; anything else is a stray object.
        (hex::encode(out) == h).then_some(out)
    }
}

impl fmt::Display for BlobRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{} ({} bytes)", self.hex(), self.len)
    }
}

/// A blob's bytes as they arrive. The stream ends with an error instead of its last `None` when
/// the bytes do not match the reference, so a consumer may trust what it received only once the
/// stream has ended cleanly.
pub type BlobStream = BoxStream<'static, Result<Bytes>>;

/// Hashes and counts bytes as they pass; `finish` checks them against the reference.
struct Verifier {
    expected: BlobRef,
    key: String,
    hasher: Sha256,
    len: u64,
}

impl Verifier {
    fn new(expected: BlobRef) -> Verifier {
        Verifier {
            expected,
            key: expected.key(),
            hasher: Sha256::new(),
            len: 0,
        }
    }

    fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        self.len += chunk.len() as u64;
    }

    fn finish(self) -> Result<()> {
        let actual: [u8; 32] = self.hasher.finalize().into();
        if actual == self.expected.sha256 && self.len == self.expected.len {
            return Ok(());
        }
        Err(StoreError::Corrupt {
            key: self.key,
            expected: self.expected.hex(),
            expected_len: self.expected.len,
            actual: hex::encode(actual),
            actual_len: self.len,
        })
    }
}

impl Store {
    /// Stores bytes held in memory. Idempotent: if the blob is already there (same key, same
    /// length) nothing is written and the existing object is left untouched.
    pub async fn put_blob(&self, bytes: Bytes) -> Result<BlobRef> {
        let blob = BlobRef::of(&bytes);
        let path = blob.path();
        // Certificates, CRLs and metadata repeat across records: a cheap existence check spares
        // the local backend writing and syncing a temporary copy only to find the blob there.
        if self.has_blob(&blob).await? {
            return Ok(blob);
        }
        let opts = PutOptions::from(PutMode::Create);
        match self.inner.put_opts(&path, bytes.into(), opts).await {
            Ok(_) => Ok(blob),
            Err(object_store::Error::AlreadyExists { .. }) => {
                self.check_existing(&blob).await?;
                Ok(blob)
            }
            Err(e) => Err(StoreError::backend("write", &path, e)),
        }
    }

    /// Stores a file without holding it in memory: one pass hashes it (and skips the upload when
    /// the blob exists), a second streams it up and is abandoned if the file changed meanwhile.
    pub async fn put_blob_file(&self, file: &std::path::Path) -> Result<BlobRef> {
        let io = |source| StoreError::Io {
            path: file.into(),
            source,
        };
        let blob = hash_file(file).await?;
        if self.has_blob(&blob).await? {
            return Ok(blob);
        }
        if blob.len <= PART as u64 {
            let bytes = Bytes::from(tokio::fs::read(file).await.map_err(io)?);
            if BlobRef::of(&bytes) != blob {
                return Err(StoreError::FileChanged { path: file.into() });
            }
            return self.put_blob(bytes).await;
        }
        // Multipart uploads cannot be create-only; a concurrent writer of the same key writes
        // the same bytes, so the later publish replaces the object with an identical one.
        let path = blob.path();
        let upload = self
            .inner
            .put_multipart(&path)
            .await
            .map_err(|e| StoreError::backend("start writing", &path, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut reader = tokio::fs::File::open(file).await.map_err(io)?;
        let mut hasher = Sha256::new();
        let mut len = 0u64;
        let mut buf = vec![0u8; READ_BUF];
        let outcome = loop {
            let n = match reader.read(&mut buf).await {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) => break Err(io(e)),
            };
            hasher.update(&buf[..n]);
            len += n as u64;
            if let Err(e) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                break Err(StoreError::backend("write", &path, e));
            }
            writer.write(&buf[..n]);
        };
        let again = BlobRef {
            sha256: hasher.finalize().into(),
            len,
        };
        let outcome = outcome.and_then(|()| {
            if again == blob {
                Ok(())
            } else {
                Err(StoreError::FileChanged { path: file.into() })
            }
        });
        match outcome {
            Ok(()) => {
                writer
                    .finish()
                    .await
                    .map_err(|e| StoreError::backend("write", &path, e))?;
                Ok(blob)
            }
            Err(e) => {
                let _ = writer.abort().await; // best effort: unfinished uploads are invisible
                Err(e)
            }
        }
    }

    /// True if the blob is stored with the right length. A wrong length is an error: the stored
    /// copy is damaged (and is left alone for the audit to report and an operator to repair).
    pub async fn has_blob(&self, blob: &BlobRef) -> Result<bool> {
        match self.check_existing(blob).await {
            Ok(()) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn check_existing(&self, blob: &BlobRef) -> Result<()> {
        let path = blob.path();
        let meta = self
            .inner
            .head(&path)
            .await
            .map_err(|e| StoreError::backend("look up", &path, e))?;
        if meta.size != blob.len {
            return Err(StoreError::WrongLength {
                key: blob.key(),
                expected: blob.len,
                actual: meta.size,
            });
        }
        Ok(())
    }

    /// Reads a whole blob into memory and verifies it. Use [`Store::open_blob`] for large ones.
    pub async fn get_blob(&self, blob: &BlobRef) -> Result<Bytes> {
        let bytes = self.get_bytes(&blob.path()).await?;
        let mut v = Verifier::new(*blob);
        v.update(&bytes);
        v.finish()?;
        Ok(bytes)
    }

    /// Streams a blob, verifying it as it goes (see [`BlobStream`]).
    pub async fn open_blob(&self, blob: &BlobRef) -> Result<BlobStream> {
        let path = blob.path();
        let got = self
            .inner
            .get(&path)
            .await
            .map_err(|e| StoreError::backend("read", &path, e))?;
        let inner = got.into_stream();
        let state = (inner, Some(Verifier::new(*blob)), path);
        let stream = futures::stream::unfold(state, |(mut inner, verifier, path)| async move {
            let mut v = verifier?; // None: the stream has ended
            match inner.next().await {
                Some(Ok(chunk)) => {
                    v.update(&chunk);
                    // Stop early on a blob longer than its reference.
                    if v.len > v.expected.len {
                        return Some((v.finish().map(|()| chunk), (inner, None, path)));
                    }
                    Some((Ok(chunk), (inner, Some(v), path)))
                }
                Some(Err(e)) => Some((
                    Err(StoreError::backend("read", &path, e)),
                    (inner, None, path),
                )),
                None => match v.finish() {
                    Ok(()) => None,
                    Err(e) => Some((Err(e), (inner, None, path))),
                },
            }
        });
        Ok(stream.boxed())
    }

    /// Copies a verified blob into `out`. On error `out` may hold part of the bytes: discard it.
    pub async fn get_blob_into<W: AsyncWrite + Unpin>(
        &self,
        blob: &BlobRef,
        out: &mut W,
    ) -> Result<()> {
        let mut stream = self.open_blob(blob).await?;
        while let Some(chunk) = stream.next().await {
            out.write_all(&chunk?)
                .await
                .map_err(|source| StoreError::Io {
                    path: "<output>".into(),
                    source,
                })?;
        }
        out.flush().await.map_err(|source| StoreError::Io {
            path: "<output>".into(),
            source,
        })
    }

    /// Rehashes the stored object at `path` (a blob key) without keeping it in memory; returns
    /// what it actually holds.
    pub(crate) async fn rehash(&self, path: &Path) -> Result<BlobRef> {
        let got = self
            .inner
            .get(path)
            .await
            .map_err(|e| StoreError::backend("read", path, e))?;
        let mut stream = got.into_stream();
        let mut hasher = Sha256::new();
        let mut len = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| StoreError::backend("read", path, e))?;
            hasher.update(&chunk);
            len += chunk.len() as u64;
        }
        Ok(BlobRef {
            sha256: hasher.finalize().into(),
            len,
        })
    }
}

async fn hash_file(file: &std::path::Path) -> Result<BlobRef> {
    let io = |source| StoreError::Io {
        path: file.into(),
        source,
    };
    let mut reader = tokio::fs::File::open(file).await.map_err(io)?;
    let mut hasher = Sha256::new();
    let mut len = 0u64;
    let mut buf = vec![0u8; READ_BUF];
    loop {
        let n = reader.read(&mut buf).await.map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    Ok(BlobRef {
        sha256: hasher.finalize().into(),
        len,
    })
}
