//! The audit log's objects (DESIGN §7). The archive (`stele_archive::audit_log`) decides what an
//! entry says and how the chain is checked; this module only stores and lists the objects.
//!
//! ```text
//! audit-log/entries/<seq, 20 digits>.json   one entry each, create-only
//! audit-log/sealed/<first seq, 20 digits>   segment markers: which entries a sealed segment holds
//! audit-log/archive/…                       the log's own archive (blobs/, records/, seals/, …)
//! ```
//!
//! Entries are written create-only, so of any number of nodes appending at the same seq on one
//! bucket exactly one succeeds and the others see the winner's bytes and move on to seq+1: the
//! chain can never fork. Segment markers are create-only for the same reason: one node claims
//! each range of entries to seal. The log's sealed segments are records of a nested archive
//! under `audit-log/archive/`, so the archive's own record listings, seals and renewals never
//! see them, while the same sealing and renewal code works on them unchanged.

use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::ObjectStore;

use crate::{Creation, Result, Store, StoreError};

/// Largest entry stored or read: an entry is a few hundred bytes; anything larger is refused
/// rather than read into memory.
pub const MAX_ENTRY_LEN: u64 = 64 * 1024;
/// Largest segment marker read.
const MAX_MARKER_LEN: u64 = 4 * 1024;

const ENTRIES: &str = "audit-log/entries";
const SEALED: &str = "audit-log/sealed";
/// Where [`Store::audit_log_archive`] is rooted: its keys are the archive's, under this prefix.
pub const ARCHIVE: &str = "audit-log/archive";

/// The key of entry `seq`.
pub fn entry_key(seq: u64) -> String {
    format!("{ENTRIES}/{seq:020}.json")
}

fn marker_key(first: u64) -> String {
    format!("{SEALED}/{first:020}")
}

/// The sequence number a key names, if it is a well-formed entry key (exactly 20 digits). Seqs
/// start at 1, and the largest u64 is refused too, so that `seq + 1` never overflows on a
/// planted key.
fn seq_of(name: &str, suffix: &str) -> Option<u64> {
    let digits = name.strip_suffix(suffix)?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
        .filter(|seq| (1..u64::MAX).contains(seq))
}

/// Sorts listed keys into the seqs of well-named objects directly under `prefix` (after
/// `after`, if given) and strays: anything else, a nested key included.
fn classify(keys: Vec<Path>, prefix: &Path, suffix: &str, after: Option<u64>) -> EntryListing {
    let mut out = EntryListing::default();
    for key in keys {
        let seq = key.filename().and_then(|f| seq_of(f, suffix));
        let direct = key.prefix_match(prefix).map(|p| p.count()) == Some(1);
        match seq {
            Some(seq) if direct && after.is_none_or(|a| seq > a) => out.seqs.push(seq),
            Some(_) if direct => {}
            _ => out.strays.push(key.to_string()),
        }
    }
    out.seqs.sort_unstable();
    out.strays.sort();
    out
}

/// What is under `audit-log/entries/`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntryListing {
    /// The seqs of well-named entries, ascending.
    pub seqs: Vec<u64>,
    /// Keys there that are not entry keys (a renamed or planted object).
    pub strays: Vec<String>,
}

impl Store {
    /// Writes entry `seq`, create-only. `AlreadyExists` carries the bytes already there (another
    /// writer took this seq), which may be anything if the store was tampered with.
    pub async fn create_audit_entry(&self, seq: u64, bytes: Bytes) -> Result<Creation> {
        let key = entry_key(seq);
        self.create_only_bounded(&Path::from(key), bytes, MAX_ENTRY_LEN)
            .await
    }

    /// Entry `seq` as stored, refusing one over [`MAX_ENTRY_LEN`].
    pub async fn get_audit_entry(&self, seq: u64) -> Result<Bytes> {
        self.get_bounded(&Path::from(entry_key(seq)), MAX_ENTRY_LEN)
            .await
    }

    /// Every entry key, and whatever else lies beside them. Seqs after `after` only, when given
    /// (S3 lists from there; local stores still walk the folder).
    pub async fn list_audit_entries(&self, after: Option<u64>) -> Result<EntryListing> {
        let prefix = Path::from(ENTRIES);
        let keys: Vec<Path> = match after {
            Some(seq) => {
                self.inner
                    .list_with_offset(Some(&prefix), &Path::from(entry_key(seq)))
                    .map_ok(|m| m.location)
                    .try_collect()
                    .await
            }
            None => {
                self.inner
                    .list(Some(&prefix))
                    .map_ok(|m| m.location)
                    .try_collect()
                    .await
            }
        }
        .map_err(|e| StoreError::backend("list", &prefix, e))?;
        Ok(classify(keys, &prefix, ".json", after))
    }

    /// Writes the marker of the sealed segment starting at `first`, create-only: the node that
    /// creates it is the one that seals that segment.
    pub async fn create_audit_marker(&self, first: u64, bytes: Bytes) -> Result<Creation> {
        let key = marker_key(first);
        self.create_only_bounded(&Path::from(key), bytes, MAX_MARKER_LEN)
            .await
    }

    /// The marker of the segment starting at `first`.
    pub async fn get_audit_marker(&self, first: u64) -> Result<Bytes> {
        self.get_bounded(&Path::from(marker_key(first)), MAX_MARKER_LEN)
            .await
    }

    /// The first seqs of every segment marker, ascending, and stray keys beside them.
    pub async fn list_audit_markers(&self) -> Result<EntryListing> {
        let prefix = Path::from(SEALED);
        let keys: Vec<Path> = self
            .inner
            .list(Some(&prefix))
            .map_ok(|m| m.location)
            .try_collect()
            .await
            .map_err(|e| StoreError::backend("list", &prefix, e))?;
        Ok(classify(keys, &prefix, "", None))
    }

    /// The audit log's own archive: a store rooted at `audit-log/archive/`, where the sealed
    /// segments are records with their own seals and renewals.
    pub fn audit_log_archive(&self) -> Store {
        let inner: Arc<dyn ObjectStore> =
            Arc::new(PrefixStore::new(self.inner.clone(), Path::from(ARCHIVE)));
        Store {
            inner,
            url: format!("{} ({ARCHIVE})", self.url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;
    use object_store::ObjectStoreExt;

    fn store() -> Store {
        Store::from_object_store(Arc::new(InMemory::new()), "memory")
    }

    #[tokio::test]
    async fn create_only_list_and_bounds() {
        let s = store();
        let c = s
            .create_audit_entry(1, Bytes::from_static(b"one"))
            .await
            .unwrap();
        assert_eq!(c, Creation::Created);
        let again = s
            .create_audit_entry(1, Bytes::from_static(b"other"))
            .await
            .unwrap();
        assert_eq!(again, Creation::AlreadyExists(Bytes::from_static(b"one")));
        s.create_audit_entry(2, Bytes::from_static(b"two"))
            .await
            .unwrap();
        s.create_audit_entry(10, Bytes::from_static(b"ten"))
            .await
            .unwrap();
        // A planted object beside the entries is reported, not taken for an entry.
        s.inner
            .put(
                &Path::from("audit-log/entries/7.json"),
                Bytes::from_static(b"x").into(),
            )
            .await
            .unwrap();
        let l = s.list_audit_entries(None).await.unwrap();
        assert_eq!(l.seqs, vec![1, 2, 10]);
        assert_eq!(l.strays, vec!["audit-log/entries/7.json".to_string()]);
        assert_eq!(
            s.list_audit_entries(Some(1)).await.unwrap().seqs,
            vec![2, 10]
        );
        assert_eq!(&s.get_audit_entry(2).await.unwrap()[..], b"two");
        assert!(s.get_audit_entry(3).await.unwrap_err().is_not_found());

        // Oversized entries are neither written nor read.
        let big = Bytes::from(vec![b'x'; MAX_ENTRY_LEN as usize + 1]);
        assert!(s.create_audit_entry(3, big.clone()).await.is_err());
        s.inner
            .put(&Path::from(entry_key(3)), big.into())
            .await
            .unwrap();
        let e = s.get_audit_entry(3).await.unwrap_err();
        assert!(e.to_string().contains("more than"), "{e}");
    }

    #[tokio::test]
    async fn markers_and_nested_archive() {
        let s = store();
        s.create_audit_marker(1, Bytes::from_static(b"{}"))
            .await
            .unwrap();
        assert!(matches!(
            s.create_audit_marker(1, Bytes::from_static(b"[]"))
                .await
                .unwrap(),
            Creation::AlreadyExists(_)
        ));
        s.create_audit_marker(5, Bytes::from_static(b"{}"))
            .await
            .unwrap();
        assert_eq!(s.list_audit_markers().await.unwrap().seqs, vec![1, 5]);
        // Planted keys are strays, never markers or entries: nested under the folder, seq 0,
        // or the largest u64 (whose successor would overflow).
        for key in [
            "audit-log/sealed/x/00000000000000000009",
            "audit-log/sealed/00000000000000000000",
            "audit-log/sealed/18446744073709551615",
            "audit-log/entries/x/00000000000000000009.json",
            "audit-log/entries/18446744073709551615.json",
        ] {
            s.inner
                .put(&Path::from(key), Bytes::from_static(b"{}").into())
                .await
                .unwrap();
        }
        let markers = s.list_audit_markers().await.unwrap();
        assert_eq!(markers.seqs, vec![1, 5]);
        assert_eq!(markers.strays.len(), 3, "{:?}", markers.strays);
        let entries = s.list_audit_entries(None).await.unwrap();
        assert!(entries.seqs.is_empty(), "{:?}", entries.seqs);
        assert_eq!(entries.strays.len(), 2, "{:?}", entries.strays);
        // The nested archive's objects stay out of the archive's own listings.
        let nested = s.audit_log_archive();
        let blob = nested
            .put_blob(Bytes::from_static(b"segment"))
            .await
            .unwrap();
        assert!(nested.has_blob(&blob).await.unwrap());
        assert!(!s.has_blob(&blob).await.unwrap());
    }
}
