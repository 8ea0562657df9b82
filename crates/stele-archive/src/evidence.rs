//! The archive's evidence as a whole: every seal batch and renewal epoch on the store, and the
//! RFC 4998 evidence record of any record assembled from them on demand (DESIGN §2).
//!
//! A record's chains: its seal batch starts chain 0; each hash-tree-renewal batch that carries
//! the record on (it lists the previous chain's batch in `supersedes`) starts the next chain.
//! Every epoch that renews a chain's batch adds one archive timestamp to that chain.

use crate::batch::{record_id_bytes, BatchError, BatchKind, SealBatch, RECORD_ID_LEN};
use crate::epoch::{EpochError, RenewalEpoch};
use futures::{StreamExt, TryStreamExt};
use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;
use stele_asn1::DigestAlgorithm;
use stele_ers::{ArchiveTimeStamp, DataObject, ErsError, EvidenceRecord, HashTree, Leaf};
use stele_store::{BlobRef, Store, StoreError};

/// Why evidence could not be loaded or assembled.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Batch(#[from] BatchError),
    #[error("{0}")]
    Epoch(#[from] EpochError),
    #[error("record {0} is not sealed yet (run `stele seal`)")]
    NotSealed(String),
    #[error("record {record}: its data objects do not hash to its leaf in batch {batch} (a stored file was altered or lost)")]
    LeafMismatch { record: String, batch: String },
    #[error("record {record}: no {algorithm} digest of its data objects was supplied")]
    DigestMissing {
        record: String,
        algorithm: DigestAlgorithm,
    },
    #[error("batch {batch}: {reason}")]
    Tree { batch: String, reason: String },
    #[error("evidence record of {record}: {source}")]
    Ers {
        record: String,
        #[source]
        source: ErsError,
    },
}

/// A batch with its tree, built the first time it is needed.
pub struct IndexedBatch {
    pub id: String,
    pub batch: SealBatch,
    tree: OnceLock<Result<HashTree, String>>,
}

impl IndexedBatch {
    pub fn tree(&self) -> Result<&HashTree, EvidenceError> {
        self.tree
            .get_or_init(|| self.batch.tree().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|reason| EvidenceError::Tree {
                batch: self.id.clone(),
                reason: reason.clone(),
            })
    }
}

/// An epoch with its tree.
pub struct IndexedEpoch {
    pub id: String,
    pub epoch: RenewalEpoch,
    tree: OnceLock<Result<HashTree, String>>,
}

impl IndexedEpoch {
    pub fn tree(&self) -> Result<&HashTree, EvidenceError> {
        self.tree
            .get_or_init(|| self.epoch.tree().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|reason| EvidenceError::Tree {
                batch: self.id.clone(),
                reason: reason.clone(),
            })
    }
}

/// Every batch and epoch of the store, read once.
pub struct EvidenceIndex {
    /// By id, which sorts by genTime.
    pub batches: BTreeMap<String, IndexedBatch>,
    /// By id (genTime order).
    pub epochs: Vec<IndexedEpoch>,
}

/// The data objects of one record: their digests under each algorithm its chains need, in
/// the manifest's order.
#[derive(Clone, Debug, Default)]
pub struct RecordDigests {
    pub by_algorithm: BTreeMap<DigestAlgorithm, Vec<Vec<u8>>>,
}

impl RecordDigests {
    /// What the manifest already says: the SHA-256 of every data object.
    pub fn from_refs(refs: &[BlobRef]) -> Self {
        let sha256 = refs
            .iter()
            .filter_map(|b| hex::decode(b.hex()).ok())
            .collect();
        let mut by_algorithm = BTreeMap::new();
        by_algorithm.insert(DigestAlgorithm::Sha256, sha256);
        RecordDigests { by_algorithm }
    }

    /// Streams every blob once and adds its digest under each of `algorithms` (SHA-256 is
    /// checked by the store as the bytes pass).
    pub async fn compute(
        store: &Store,
        refs: &[BlobRef],
        algorithms: &[DigestAlgorithm],
    ) -> Result<Self, StoreError> {
        let mut out = Self::from_refs(refs);
        let wanted: Vec<DigestAlgorithm> = algorithms
            .iter()
            .copied()
            .filter(|a| *a != DigestAlgorithm::Sha256)
            .collect();
        if wanted.is_empty() {
            return Ok(out);
        }
        for blob in refs {
            let mut hashers: Vec<_> = wanted.iter().map(|a| a.hasher()).collect();
            let mut s = store.open_blob(blob).await?;
            while let Some(chunk) = s.next().await {
                let chunk = chunk?;
                for h in &mut hashers {
                    h.update(&chunk);
                }
            }
            for (a, h) in wanted.iter().zip(hashers) {
                out.by_algorithm.entry(*a).or_default().push(h.finalize());
            }
        }
        Ok(out)
    }

    fn get(&self, record: &str, alg: DigestAlgorithm) -> Result<&[Vec<u8>], EvidenceError> {
        self.by_algorithm
            .get(&alg)
            .map(Vec::as_slice)
            .ok_or_else(|| EvidenceError::DigestMissing {
                record: record.to_string(),
                algorithm: alg,
            })
    }
}

/// Where a record sits: the batches starting its chains, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordChains {
    pub batches: Vec<String>,
}

impl EvidenceIndex {
    /// Reads every seal batch and epoch (in parallel, bounded).
    pub async fn load(store: &Store) -> Result<Self, EvidenceError> {
        let seal_ids = store.list_seals().await?;
        let batches: Vec<IndexedBatch> = futures::stream::iter(seal_ids)
            .map(|id| async move {
                let bytes = store.get_seal(&id).await?;
                let batch = SealBatch::from_bytes(&id, &bytes)?;
                Ok::<_, EvidenceError>(IndexedBatch {
                    id,
                    batch,
                    tree: OnceLock::new(),
                })
            })
            .buffered(8)
            .try_collect()
            .await?;
        let epoch_ids = store.list_epochs().await?;
        let epochs: Vec<IndexedEpoch> = futures::stream::iter(epoch_ids)
            .map(|id| async move {
                let bytes = store.get_epoch(&id).await?;
                let epoch = RenewalEpoch::from_bytes(&id, &bytes)?;
                Ok::<_, EvidenceError>(IndexedEpoch {
                    id,
                    epoch,
                    tree: OnceLock::new(),
                })
            })
            .buffered(8)
            .try_collect()
            .await?;
        Ok(EvidenceIndex {
            batches: batches.into_iter().map(|b| (b.id.clone(), b)).collect(),
            epochs,
        })
    }

    /// Every record id in any seal batch.
    pub fn sealed_records(&self) -> HashSet<[u8; RECORD_ID_LEN]> {
        let mut out = HashSet::new();
        for b in self
            .batches
            .values()
            .filter(|b| b.batch.kind == BatchKind::Seal)
        {
            for id in b.batch.record_ids() {
                if let Ok(id) = <[u8; RECORD_ID_LEN]>::try_from(id) {
                    out.insert(id);
                }
            }
        }
        out
    }

    /// Batches no hash-tree renewal has carried on: the chains renewal must keep alive.
    pub fn active_batches(&self) -> Vec<&IndexedBatch> {
        let superseded: HashSet<&str> = self
            .batches
            .values()
            .flat_map(|b| b.batch.supersedes.iter().map(String::as_str))
            .collect();
        self.batches
            .values()
            .filter(|b| !superseded.contains(b.id.as_str()))
            .collect()
    }

    /// The epochs that renewed `batch`, oldest first, with the batch's place in each.
    pub fn epochs_of<'a>(
        &'a self,
        batch: &'a str,
    ) -> impl Iterator<Item = (&'a IndexedEpoch, usize)> + 'a {
        self.epochs
            .iter()
            .filter_map(move |e| e.epoch.position(batch).map(|i| (e, i)))
    }

    /// The tokens of `batch`'s chain so far: the batch's, then each epoch's.
    pub fn chain_tokens<'a>(&'a self, batch: &'a IndexedBatch) -> Vec<&'a [u8]> {
        let mut out = vec![batch.batch.token_der.as_slice()];
        out.extend(
            self.epochs_of(&batch.id)
                .map(|(e, _)| e.epoch.token_der.as_slice()),
        );
        out
    }

    /// The batches that start `record`'s chains: its earliest seal batch, then each hash-tree
    /// renewal that carries the previous one on.
    pub fn chains_of(&self, record: &str) -> Result<RecordChains, EvidenceError> {
        let rid = record_id_bytes(record).ok_or_else(|| EvidenceError::NotSealed(record.into()))?;
        let first = self
            .batches
            .values()
            .find(|b| b.batch.kind == BatchKind::Seal && b.batch.position(&rid).is_some())
            .ok_or_else(|| EvidenceError::NotSealed(record.to_string()))?;
        let mut out = vec![first.id.clone()];
        loop {
            let last = out.last().map(String::as_str).unwrap_or_default();
            let next = self.batches.values().find(|b| {
                b.batch.kind == BatchKind::HashTreeRenewal
                    && b.batch.supersedes.iter().any(|s| s == last)
                    && b.batch.position(&rid).is_some()
            });
            match next {
                Some(b) if !out.contains(&b.id) => out.push(b.id.clone()),
                _ => break,
            }
        }
        Ok(RecordChains { batches: out })
    }

    /// The algorithms `record`'s chains use (which digests [`Self::evidence_record`] needs).
    pub fn algorithms_of(&self, record: &str) -> Result<Vec<DigestAlgorithm>, EvidenceError> {
        let chains = self.chains_of(record)?;
        let mut out: Vec<DigestAlgorithm> = Vec::new();
        for id in &chains.batches {
            if let Some(b) = self.batches.get(id) {
                if !out.contains(&b.batch.algorithm) {
                    out.push(b.batch.algorithm);
                }
            }
        }
        Ok(out)
    }

    /// Assembles `record`'s RFC 4998 evidence record from its batches and their epochs.
    pub fn evidence_record(
        &self,
        record: &str,
        digests: &RecordDigests,
    ) -> Result<EvidenceRecord, EvidenceError> {
        let chains = self.chains_of(record)?;
        self.evidence_record_through(record, digests, &chains.batches)
    }

    /// The evidence record made of the chains started by `batches` (a prefix of the record's
    /// chains): what a hash-tree renewal covers.
    pub fn evidence_record_through(
        &self,
        record: &str,
        digests: &RecordDigests,
        batches: &[String],
    ) -> Result<EvidenceRecord, EvidenceError> {
        let rid = record_id_bytes(record).ok_or_else(|| EvidenceError::NotSealed(record.into()))?;
        let ers = |source: ErsError| EvidenceError::Ers {
            record: record.to_string(),
            source,
        };
        let mut er: Option<EvidenceRecord> = None;
        for id in batches {
            let b = self
                .batches
                .get(id)
                .ok_or_else(|| EvidenceError::NotSealed(record.to_string()))?;
            let alg = b.batch.algorithm;
            let values = digests.get(record, alg)?;
            let leaf = match (&er, b.batch.kind) {
                (None, _) => Leaf::Group(values.to_vec()),
                (Some(prev), _) => {
                    let objects: Vec<DataObject<'_>> = values
                        .iter()
                        .map(|v| DataObject::from_digest(alg, v.clone()))
                        .collect();
                    prev.hash_tree_renewal_leaf(alg, &objects).map_err(ers)?
                }
            };
            let pos = b
                .batch
                .position(&rid)
                .ok_or_else(|| EvidenceError::NotSealed(record.to_string()))?;
            let reduced =
                b.tree()?
                    .reduced_for(pos, &leaf)
                    .ok_or_else(|| EvidenceError::LeafMismatch {
                        record: record.to_string(),
                        batch: id.clone(),
                    })?;
            let ats = ArchiveTimeStamp::new(alg, &reduced, &b.batch.token_der).map_err(ers)?;
            match &mut er {
                None => er = Some(EvidenceRecord::new(ats).map_err(ers)?),
                Some(e) => e.append_hash_tree_renewal(ats).map_err(ers)?,
            }
            for (epoch, i) in self.epochs_of(id) {
                let reduced = epoch
                    .tree()?
                    .reduced(i)
                    .ok_or_else(|| EvidenceError::Tree {
                        batch: epoch.id.clone(),
                        reason: format!("no leaf {i}"),
                    })?;
                let ats =
                    ArchiveTimeStamp::new(epoch.epoch.algorithm, &reduced, &epoch.epoch.token_der)
                        .map_err(ers)?;
                if let Some(e) = &mut er {
                    e.append_timestamp_renewal(ats).map_err(ers)?;
                }
            }
        }
        er.ok_or_else(|| EvidenceError::NotSealed(record.to_string()))
    }
}

/// Number of records in the batch: a convenience for reports.
pub fn batch_size(b: &IndexedBatch) -> usize {
    b.batch.len()
}
