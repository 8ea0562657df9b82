//! Archive-wide secret keys kept in the store: `secrets/<name>`, 32 random bytes, create-only.
//!
//! In the store rather than the configuration so that every node of a shared bucket derives the
//! same values from them (the verification codes printed in QR codes) and a lost `stele.toml`
//! loses nothing. They keep outsiders from guessing; whoever can read the store can read them.
//!
//! A key is never replaced: the first writer's key is the key. Two nodes creating it at once
//! both end up with the one stored (the loser of the create-only put reads the winner's), and a
//! stored object of the wrong length is reported, not overwritten, since printed codes depend
//! on it.

use bytes::Bytes;
use object_store::path::Path;
use rand_core::{OsRng, RngCore};

use crate::record::check_name;
use crate::{Creation, Result, Store, StoreError};

/// Length of every secret key, in bytes.
pub const SECRET_LEN: usize = 32;

fn secret_path(name: &str) -> Result<Path> {
    check_name("secret name", name)?;
    Ok(Path::from(format!("secrets/{name}")))
}

/// The stored bytes as a key, or `Malformed` naming the key and the length found.
fn as_key(key: &Path, bytes: &[u8]) -> Result<[u8; SECRET_LEN]> {
    bytes.try_into().map_err(|_| StoreError::Malformed {
        key: key.to_string(),
        reason: format!(
            "a secret key must be {SECRET_LEN} bytes, this one is {}; it is left as it is \
             because codes already given out depend on it",
            bytes.len()
        ),
    })
}

impl Store {
    /// The secret key `name`, created from the operating system's random source on first use.
    /// Every caller, on any node of the same store, gets the same key.
    pub async fn get_or_create_secret(&self, name: &str) -> Result<[u8; SECRET_LEN]> {
        let key = secret_path(name)?;
        // Read first: the usual case, and it spares the random source and a conditional put.
        if let Some(existing) = self.get_secret(name).await? {
            return Ok(existing);
        }
        let mut fresh = [0u8; SECRET_LEN];
        OsRng
            .try_fill_bytes(&mut fresh)
            .map_err(|e| StoreError::Backend {
                op: "create",
                key: key.to_string(),
                source: object_store::Error::Generic {
                    store: "operating system random source",
                    source: Box::new(std::io::Error::other(e.to_string())),
                },
            })?;
        match self
            .create_only_bounded(&key, Bytes::copy_from_slice(&fresh), SECRET_LEN as u64)
            .await?
        {
            Creation::Created => Ok(fresh),
            // Another node created it between our read and our put: theirs is the key.
            Creation::AlreadyExists(stored) => as_key(&key, &stored),
        }
    }

    /// The secret key `name` if it exists; never creates one (for read-only callers).
    pub async fn get_secret(&self, name: &str) -> Result<Option<[u8; SECRET_LEN]>> {
        let key = secret_path(name)?;
        // A planted object of any size is refused before it is read.
        match self.get_bounded(&key, SECRET_LEN as u64).await {
            Ok(bytes) => as_key(&key, &bytes).map(Some),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use object_store::memory::InMemory;
    use object_store::{ObjectStoreExt, PutPayload};

    use super::*;

    fn memory() -> (Store, Arc<InMemory>) {
        let inner = Arc::new(InMemory::new());
        (Store::from_object_store(inner.clone(), "memory"), inner)
    }

    #[tokio::test]
    async fn created_once_then_read_back() {
        let (store, inner) = memory();
        assert_eq!(store.get_secret("verification").await.unwrap(), None);
        let a = store.get_or_create_secret("verification").await.unwrap();
        let b = store.get_or_create_secret("verification").await.unwrap();
        assert_eq!(a, b);
        assert_ne!(a, [0u8; SECRET_LEN]);
        assert_eq!(store.get_secret("verification").await.unwrap(), Some(a));
        let stored = inner
            .get(&Path::from("secrets/verification"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(stored.as_ref(), &a);
        // Another name is another key.
        let other = store.get_or_create_secret("other").await.unwrap();
        assert_ne!(a, other);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn racing_nodes_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}", dir.path().display());
        let config = crate::StoreConfig {
            fsync: false,
            ..Default::default()
        };
        // Separate handles, as separate nodes would have.
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let store = Store::open(&url, &config).unwrap();
                tokio::spawn(async move { store.get_or_create_secret("race").await.unwrap() })
            })
            .collect();
        let mut keys = Vec::new();
        for t in tasks {
            keys.push(t.await.unwrap());
        }
        assert!(keys.windows(2).all(|w| w[0] == w[1]), "nodes disagree");
    }

    #[tokio::test]
    async fn wrong_length_is_an_error_and_left_alone() {
        let (store, inner) = memory();
        let key = Path::from("secrets/verification");
        inner
            .put(&key, PutPayload::from_static(b"short"))
            .await
            .unwrap();
        let err = store
            .get_or_create_secret("verification")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Malformed { .. }), "{err}");
        assert!(err.to_string().contains("secrets/verification"), "{err}");
        let err = store.get_secret("verification").await.unwrap_err();
        assert!(matches!(err, StoreError::Malformed { .. }), "{err}");
        let still = inner.get(&key).await.unwrap().bytes().await.unwrap();
        assert_eq!(still.as_ref(), b"short");
    }

    #[tokio::test]
    async fn names_are_checked() {
        let (store, _) = memory();
        for bad in ["", "../x", "a/b", ".hidden", "é"] {
            let err = store.get_or_create_secret(bad).await.unwrap_err();
            assert!(
                matches!(err, StoreError::InvalidName { .. }),
                "{bad}: {err}"
            );
        }
    }
}
