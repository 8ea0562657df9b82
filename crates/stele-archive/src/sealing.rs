//! Sealing pending records: one hash tree over their data-object groups, one TSA request, one
//! batch file (DESIGN §2). A record is pending while no seal batch lists it.
//!
//! Crash safety: the batch file is the only write and it is create-only. A crash before it
//! leaves the records pending (a rerun seals them under a new token); after it, they are
//! sealed. A lease keeps two nodes from sealing the same records twice at once.

use crate::batch::{record_id_bytes, BatchKind, SealBatch, RECORD_ID_LEN};
use crate::evidence::{EvidenceError, EvidenceIndex, RecordDigests};
use crate::lease::{acquire_job_lease, JobHolder};
use crate::timestamper::TimeStamper;
use crate::RecordManifest;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use std::sync::Arc;
use stele_asn1::DigestAlgorithm;
use stele_ers::HashTreeBuilder;
use stele_store::{LeaseOutcome, RecordId, Store, StoreError};
use time::OffsetDateTime;

/// When pending records are sealed.
#[derive(Clone, Debug)]
pub struct SealSettings {
    pub algorithm: DigestAlgorithm,
    /// Seal as soon as this many records are pending.
    pub batch_size: usize,
    /// ... or as soon as the oldest pending record has waited this long.
    pub max_age: time::Duration,
}

impl Default for SealSettings {
    fn default() -> Self {
        SealSettings {
            algorithm: DigestAlgorithm::Sha256,
            batch_size: 10_000,
            max_age: time::Duration::hours(1),
        }
    }
}

/// A record waiting for its seal.
#[derive(Clone, Debug)]
pub struct PendingRecord {
    pub id: [u8; RECORD_ID_LEN],
    pub ingested_at: OffsetDateTime,
    /// Its data-object group under the seal algorithm.
    pub group: Vec<Vec<u8>>,
}

/// What a seal run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SealOutcome {
    Sealed {
        batch: String,
        records: usize,
        gen_time: OffsetDateTime,
    },
    /// Nothing pending.
    NothingPending,
    /// Records are pending but neither threshold is reached (and sealing was not forced).
    NotDue {
        pending: usize,
        oldest: OffsetDateTime,
    },
    /// Another node is sealing.
    LeaseHeld {
        holder: String,
        until: OffsetDateTime,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SealJobError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Evidence(#[from] EvidenceError),
    #[error("record {id}: manifest unreadable: {reason}")]
    Manifest { id: String, reason: String },
    #[error("hash tree: {0}")]
    HashTree(#[from] stele_ers::HashTreeError),
    #[error("time-stamp authority: {0}")]
    TimeStamp(String),
    #[error("the TSA's token does not cover the batch root (imprint {got}, expected {want})")]
    WrongImprint { got: String, want: String },
}

/// Reads a record's manifest.
pub async fn read_manifest(store: &Store, id: &RecordId) -> Result<RecordManifest, SealJobError> {
    let bytes = store.get_manifest(id).await?;
    serde_json::from_slice(&bytes).map_err(|e| SealJobError::Manifest {
        id: id.to_string(),
        reason: e.to_string(),
    })
}

/// Every record no seal batch lists, with its data-object group under `alg`.
pub async fn pending_records(
    store: &Store,
    index: &EvidenceIndex,
    alg: DigestAlgorithm,
) -> Result<Vec<PendingRecord>, SealJobError> {
    let sealed = index.sealed_records();
    let ids: Vec<RecordId> = store
        .list_records()
        .try_filter(|id| {
            let keep = record_id_bytes(id.as_str()).is_some_and(|b| !sealed.contains(&b));
            async move { keep }
        })
        .try_collect()
        .await?;
    futures::stream::iter(ids)
        .map(|id| async move {
            let m = read_manifest(store, &id).await?;
            let raw = record_id_bytes(id.as_str()).ok_or_else(|| SealJobError::Manifest {
                id: id.to_string(),
                reason: "the id is not a SHA-256".into(),
            })?;
            let digests = RecordDigests::compute(store, &m.data_objects, &[alg]).await?;
            let group = digests.by_algorithm.get(&alg).cloned().unwrap_or_default();
            Ok::<_, SealJobError>(PendingRecord {
                id: raw,
                ingested_at: m.ingested_at,
                group,
            })
        })
        .buffer_unordered(32)
        .try_collect()
        .await
}

/// Builds the batch over `pending` (tree, one token) without writing it: the part of sealing
/// that does not touch the store, measured by the benchmark.
pub fn make_batch(
    pending: Vec<PendingRecord>,
    alg: DigestAlgorithm,
    stamper: &dyn TimeStamper,
) -> Result<SealBatch, SealJobError> {
    // Sort an index, not the records: the records are then freed in the order they were
    // allocated, which costs a tenth of freeing a million shuffled groups.
    let mut order: Vec<usize> = (0..pending.len()).collect();
    order.sort_unstable_by_key(|&i| pending[i].id);
    order.dedup_by_key(|i| pending[*i].id);
    let mut b = HashTreeBuilder::with_capacity(alg, order.len());
    for &i in &order {
        b.push_group(&pending[i].group)?;
    }
    let tree = b.build()?;
    let imprint = tree.imprint();
    let token = stamper
        .timestamp(imprint.algorithm, &imprint.digest)
        .map_err(|e| SealJobError::TimeStamp(e.0))?;
    let got = token.message_imprint();
    if got.algorithm != imprint.algorithm || got.digest != imprint.digest {
        return Err(SealJobError::WrongImprint {
            got: format!("{}:{}", got.algorithm, hex::encode(&got.digest)),
            want: format!("{}:{}", imprint.algorithm, hex::encode(&imprint.digest)),
        });
    }
    let entries = order
        .iter()
        .enumerate()
        .map(|(leaf, &i)| {
            (
                pending[i].id,
                tree.leaf_value(leaf).unwrap_or_default().to_vec(),
            )
        })
        .collect();
    Ok(SealBatch::new(
        BatchKind::Seal,
        alg,
        token.gen_time(),
        token.to_der().to_vec(),
        Vec::new(),
        entries,
    ))
}

/// Writes a batch (create-only) and returns its id. The id is derived from the token's genTime
/// and the root, so a retry of the same write finds its own file.
pub async fn write_batch(store: &Store, batch: &SealBatch) -> Result<String, SealJobError> {
    // The token's imprint is the tree root (checked when the token was obtained); reading it
    // from the token spares rebuilding the tree just to name the file.
    let root = match stele_tsp::TimeStampToken::from_ber(&batch.token_der) {
        Ok(t) => t.message_imprint().digest.clone(),
        Err(_) => batch.tree()?.root().to_vec(),
    };
    let id = SealBatch::id_for(batch.gen_time, &root);
    store
        .create_seal(&id, Bytes::from(batch.to_bytes()))
        .await?;
    Ok(id)
}

/// Seals what is pending if a threshold is reached, or whenever `force` is set.
pub async fn seal_pending(
    store: &Store,
    stamper: Arc<dyn TimeStamper + Send + Sync>,
    settings: &SealSettings,
    now: OffsetDateTime,
    holder: &JobHolder,
    force: bool,
) -> Result<SealOutcome, SealJobError> {
    let lease =
        match acquire_job_lease(store, "seal", holder, time::Duration::minutes(10), now).await? {
            LeaseOutcome::Acquired(l) => l,
            LeaseOutcome::Held { holder, until } => {
                return Ok(SealOutcome::LeaseHeld { holder, until })
            }
        };
    let result = seal_under_lease(store, stamper, settings, now, force).await;
    let _ = store.release_lease(&lease).await;
    result
}

async fn seal_under_lease(
    store: &Store,
    stamper: Arc<dyn TimeStamper + Send + Sync>,
    settings: &SealSettings,
    now: OffsetDateTime,
    force: bool,
) -> Result<SealOutcome, SealJobError> {
    // Read after taking the lease: a batch another node wrote just before is seen.
    let index = EvidenceIndex::load(store).await?;
    let pending = pending_records(store, &index, settings.algorithm).await?;
    let Some(oldest) = pending.iter().map(|p| p.ingested_at).min() else {
        return Ok(SealOutcome::NothingPending);
    };
    let due =
        force || pending.len() >= settings.batch_size.max(1) || now - oldest >= settings.max_age;
    if !due {
        return Ok(SealOutcome::NotDue {
            pending: pending.len(),
            oldest,
        });
    }
    let alg = settings.algorithm;
    let batch = tokio::task::spawn_blocking(move || make_batch(pending, alg, stamper.as_ref()))
        .await
        .map_err(|e| SealJobError::TimeStamp(format!("sealing did not complete: {e}")))??;
    let id = write_batch(store, &batch).await?;
    Ok(SealOutcome::Sealed {
        batch: id,
        records: batch.len(),
        gen_time: batch.gen_time,
    })
}
