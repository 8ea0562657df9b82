//! The nightly renewal job (DESIGN §2): find the chains that are due, renew their timestamps in
//! one epoch with one TSA request, and carry every record of a chain whose hash algorithm is
//! retiring into a new chain (hash-tree renewal).
//!
//! Crash safety: an epoch or a hash-tree-renewal batch is one create-only write, made after its
//! token. Until it lands nothing has changed; after it the chains it renewed are no longer due,
//! so a rerun neither loses nor doubles work. Hash-tree renewal keeps the leaves it has
//! computed, per batch, under `work/`, so a rerun after a crash resumes where it stopped.

use crate::batch::{record_id_bytes, BatchKind, SealBatch, RECORD_ID_LEN};
use crate::epoch::{EpochEntry, RenewalEpoch};
use crate::evidence::{EvidenceError, EvidenceIndex, IndexedBatch, RecordDigests};
use crate::lease::{acquire_job_lease, JobHolder};
use crate::sealing::{read_manifest, write_batch, SealJobError};
use crate::timestamper::TimeStamper;
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use std::sync::Arc;
use stele_asn1::DigestAlgorithm;
use stele_ers::{DataObject, HashTreeBuilder};
use stele_pki::{Acceptability, Algorithm, AlgorithmPolicy, AlgorithmUse};
use stele_store::{LeaseOutcome, RecordId, Store, StoreError};
use stele_tsp::TimeStampToken;
use time::{Duration, OffsetDateTime};

/// What makes a chain due, and where renewal goes.
#[derive(Clone, Debug)]
pub struct RenewalSettings {
    /// Renew before the newest token's TSA certificate expires by this much.
    pub tsa_margin: Duration,
    /// Renew before an algorithm the chain relies on retires (in `policy`) by this much.
    pub algorithm_margin: Duration,
    /// Renew every chain at least this often, whatever else holds.
    pub max_age: Option<Duration>,
    /// The hash algorithm a hash-tree renewal moves chains to.
    pub rehash_algorithm: DigestAlgorithm,
    /// Retirement dates of hash functions (hash trees) and signature algorithms (tokens).
    pub policy: AlgorithmPolicy,
    /// How long the renewal lease lasts before it must be extended.
    pub lease_ttl: Duration,
    /// Records hashed at once during hash-tree renewal.
    pub jobs: usize,
}

impl Default for RenewalSettings {
    fn default() -> Self {
        RenewalSettings {
            tsa_margin: Duration::days(180),
            algorithm_margin: Duration::days(365),
            max_age: None,
            rehash_algorithm: DigestAlgorithm::Sha512,
            policy: AlgorithmPolicy::default(),
            lease_ttl: Duration::minutes(10),
            jobs: 8,
        }
    }
}

/// Why a chain is due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DueReason {
    /// The newest token's TSA certificate expires within the margin (or has expired).
    TsaCertificateExpiring {
        tsa: String,
        #[serde(with = "time::serde::rfc3339")]
        not_after: OffsetDateTime,
    },
    /// The newest token's signature algorithm retires within the margin.
    TokenAlgorithmRetiring {
        algorithm: String,
        #[serde(with = "time::serde::rfc3339")]
        since: OffsetDateTime,
    },
    /// The chain's hash algorithm retires for hash trees within the margin.
    HashAlgorithmRetiring {
        algorithm: String,
        #[serde(with = "time::serde::rfc3339")]
        since: OffsetDateTime,
    },
    /// The newest token is older than the configured maximum age.
    MaxAgeReached {
        #[serde(with = "time::serde::rfc3339")]
        last: OffsetDateTime,
    },
    /// The newest token cannot be read: renew so the chain does not rest on it.
    TokenUnreadable { error: String },
}

impl DueReason {
    pub fn describe(&self) -> String {
        match self {
            DueReason::TsaCertificateExpiring { tsa, not_after } => {
                format!(
                    "the TSA certificate of {tsa} expires {}",
                    crate::rfc3339(*not_after)
                )
            }
            DueReason::TokenAlgorithmRetiring { algorithm, since } => {
                format!("the token's {algorithm} retires {}", crate::rfc3339(*since))
            }
            DueReason::HashAlgorithmRetiring { algorithm, since } => {
                format!(
                    "{algorithm} retires for hash trees {}",
                    crate::rfc3339(*since)
                )
            }
            DueReason::MaxAgeReached { last } => {
                format!(
                    "last renewed {}, past the maximum age",
                    crate::rfc3339(*last)
                )
            }
            DueReason::TokenUnreadable { error } => {
                format!("the newest token is unreadable: {error}")
            }
        }
    }
}

/// What renewal will do to a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewalAction {
    TimestampRenewal,
    HashTreeRenewal,
}

/// One chain (one seal or hash-tree-renewal batch and its epochs) and whether it is due.
#[derive(Clone, Debug, Serialize)]
pub struct ChainPlan {
    pub batch: String,
    pub kind: BatchKind,
    pub records: usize,
    pub algorithm: String,
    /// Archive timestamps in the chain so far.
    pub timestamps: usize,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_gen_time: Option<OffsetDateTime>,
    pub tsa: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub tsa_not_after: Option<OffsetDateTime>,
    pub due: Vec<DueReason>,
    pub action: Option<RenewalAction>,
    /// When it next becomes due (for chains not due now), as far as dates can tell.
    #[serde(with = "time::serde::rfc3339::option")]
    pub due_from: Option<OffsetDateTime>,
}

/// What is due at `now`: every active chain with its state.
#[derive(Clone, Debug, Serialize)]
pub struct RenewalPlan {
    #[serde(with = "time::serde::rfc3339")]
    pub now: OffsetDateTime,
    pub chains: Vec<ChainPlan>,
    pub rehash_algorithm: String,
}

impl RenewalPlan {
    pub fn due(&self, action: RenewalAction) -> impl Iterator<Item = &ChainPlan> + '_ {
        self.chains.iter().filter(move |c| c.action == Some(action))
    }

    pub fn is_due(&self) -> bool {
        self.chains.iter().any(|c| c.action.is_some())
    }
}

/// Works out what is due at `now`, changing nothing.
pub fn plan(index: &EvidenceIndex, s: &RenewalSettings, now: OffsetDateTime) -> RenewalPlan {
    let chains = index
        .active_batches()
        .into_iter()
        .map(|b| chain_plan(index, b, s, now))
        .collect();
    RenewalPlan {
        now,
        chains,
        rehash_algorithm: s.rehash_algorithm.to_string(),
    }
}

fn chain_plan(
    index: &EvidenceIndex,
    b: &IndexedBatch,
    s: &RenewalSettings,
    now: OffsetDateTime,
) -> ChainPlan {
    let tokens = index.chain_tokens(b);
    let mut due = Vec::new();
    let mut due_from: Vec<OffsetDateTime> = Vec::new();
    let (mut last_gen_time, mut tsa, mut tsa_not_after) = (None, None, None);
    match tokens.last().map(|t| TimeStampToken::from_ber(t)) {
        Some(Ok(token)) => {
            let gen = token.gen_time();
            last_gen_time = Some(gen);
            if let Some(cert) = token.signer_certificate() {
                let name = cert.tbs_certificate.subject.to_string();
                let not_after = cert.tbs_certificate.validity.not_after.to_system_time();
                let not_after = OffsetDateTime::from(not_after);
                due_from.push(not_after - s.tsa_margin);
                if now + s.tsa_margin >= not_after {
                    due.push(DueReason::TsaCertificateExpiring {
                        tsa: name.clone(),
                        not_after,
                    });
                }
                let digest = DigestAlgorithm::from_oid(&token.signer_digest_algorithm().oid).ok();
                let verdict = s.policy.judge_signature(
                    token.signature_algorithm(),
                    &cert.tbs_certificate.subject_public_key_info,
                    digest,
                    now + s.algorithm_margin,
                );
                if let Acceptability::Expired { since } = verdict.acceptability {
                    due.push(DueReason::TokenAlgorithmRetiring {
                        algorithm: verdict.algorithm,
                        since,
                    });
                }
                tsa = Some(name);
                tsa_not_after = Some(not_after);
            }
            if let Some(max) = s.max_age {
                due_from.push(gen + max);
                if now >= gen + max {
                    due.push(DueReason::MaxAgeReached { last: gen });
                }
            }
        }
        Some(Err(e)) => due.push(DueReason::TokenUnreadable {
            error: e.to_string(),
        }),
        None => {}
    }
    let alg = b.batch.algorithm;
    let mut rehash = false;
    if let Some(Some(since)) = s
        .policy
        .retirement_date(AlgorithmUse::HashTree, Algorithm::Hash(alg))
    {
        due_from.push(since - s.algorithm_margin);
        if now + s.algorithm_margin >= since && alg != s.rehash_algorithm {
            rehash = true;
            due.push(DueReason::HashAlgorithmRetiring {
                algorithm: alg.to_string(),
                since,
            });
        }
    }
    let action = if rehash {
        Some(RenewalAction::HashTreeRenewal)
    } else if !due.is_empty() {
        Some(RenewalAction::TimestampRenewal)
    } else {
        None
    };
    ChainPlan {
        batch: b.id.clone(),
        kind: b.batch.kind,
        records: b.batch.len(),
        algorithm: alg.to_string(),
        timestamps: tokens.len(),
        last_gen_time,
        tsa,
        tsa_not_after,
        due_from: if action.is_some() {
            None
        } else {
            due_from.into_iter().filter(|d| *d > now).min()
        },
        due,
        action,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenewalError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Evidence(#[from] EvidenceError),
    #[error("{0}")]
    Seal(#[from] SealJobError),
    #[error("hash tree: {0}")]
    HashTree(#[from] stele_ers::HashTreeError),
    #[error("time-stamp authority: {0}")]
    TimeStamp(String),
    #[error("the renewal lease was lost to {holder}; stopped without writing")]
    LeaseLost { holder: String },
    #[error("hash-tree renewal to {0}: that algorithm is itself retiring under the policy; configure a stronger [renewal] hash")]
    WeakRehashAlgorithm(DigestAlgorithm),
    #[error("work file {part}: {reason}")]
    Work { part: String, reason: String },
}

/// What a renewal run did.
#[derive(Clone, Debug, Serialize)]
pub struct RenewalReport {
    pub plan: RenewalPlan,
    /// Epochs written (timestamp renewal), with the number of chains each renewed.
    pub epochs: Vec<(String, usize)>,
    /// Hash-tree-renewal batches written, with their record counts.
    pub hash_tree_batches: Vec<(String, usize)>,
    /// Batches whose hash-tree renewal leaves came from an interrupted earlier run.
    pub resumed_batches: usize,
}

/// The outcome of asking to renew.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RenewalRun {
    Done(RenewalReport),
    LeaseHeld {
        holder: String,
        #[serde(with = "time::serde::rfc3339")]
        until: OffsetDateTime,
    },
}

/// Runs renewal at `now` under the `renewal` lease.
pub async fn renew(
    store: &Store,
    stamper: Arc<dyn TimeStamper + Send + Sync>,
    settings: &RenewalSettings,
    now: OffsetDateTime,
    holder: &JobHolder,
) -> Result<RenewalRun, RenewalError> {
    let lease = match acquire_job_lease(store, "renewal", holder, settings.lease_ttl, now).await? {
        LeaseOutcome::Acquired(l) => l,
        LeaseOutcome::Held { holder, until } => return Ok(RenewalRun::LeaseHeld { holder, until }),
    };
    let mut lease_state = lease.clone();
    let result = run(store, stamper, settings, now, &mut lease_state).await;
    let _ = store.release_lease(&lease_state).await;
    result.map(RenewalRun::Done)
}

async fn keep_lease(
    store: &Store,
    lease: &mut stele_store::Lease,
    ttl: time::Duration,
    now: OffsetDateTime,
) -> Result<(), RenewalError> {
    match store.renew_lease(lease, ttl, now).await? {
        LeaseOutcome::Acquired(l) => {
            *lease = l;
            Ok(())
        }
        LeaseOutcome::Held { holder, .. } => Err(RenewalError::LeaseLost { holder }),
    }
}

async fn run(
    store: &Store,
    stamper: Arc<dyn TimeStamper + Send + Sync>,
    s: &RenewalSettings,
    now: OffsetDateTime,
    lease: &mut stele_store::Lease,
) -> Result<RenewalReport, RenewalError> {
    let index = EvidenceIndex::load(store).await?;
    let the_plan = plan(&index, s, now);
    let mut report = RenewalReport {
        plan: the_plan.clone(),
        epochs: Vec::new(),
        hash_tree_batches: Vec::new(),
        resumed_batches: 0,
    };

    let rehash: Vec<String> = the_plan
        .due(RenewalAction::HashTreeRenewal)
        .map(|c| c.batch.clone())
        .collect();
    if !rehash.is_empty() {
        if let Some(Some(since)) = s
            .policy
            .retirement_date(AlgorithmUse::HashTree, Algorithm::Hash(s.rehash_algorithm))
        {
            if now + s.algorithm_margin >= since {
                return Err(RenewalError::WeakRehashAlgorithm(s.rehash_algorithm));
            }
        }
        let (id, n, resumed) =
            hash_tree_renewal(store, &index, &rehash, stamper.clone(), s, now, lease).await?;
        report.hash_tree_batches.push((id, n));
        report.resumed_batches = resumed;
    }

    let due: Vec<&IndexedBatch> = the_plan
        .due(RenewalAction::TimestampRenewal)
        .filter_map(|c| index.batches.get(&c.batch))
        .collect();
    let mut by_alg: std::collections::BTreeMap<DigestAlgorithm, Vec<&IndexedBatch>> =
        Default::default();
    for b in due {
        by_alg.entry(b.batch.algorithm).or_default().push(b);
    }
    for (alg, batches) in by_alg {
        keep_lease(store, lease, s.lease_ttl, now).await?;
        let entries = batches
            .iter()
            .map(|b| {
                let leaf = index
                    .chain_tokens(b)
                    .into_iter()
                    .map(|t| {
                        stele_asn1::strip_padding(t)
                            .ok()
                            .and_then(|t| stele_asn1::to_der(t).ok())
                            .map(|der| alg.digest(&der))
                            .unwrap_or_else(|| alg.digest(t))
                    })
                    .collect();
                EpochEntry {
                    batch: b.id.clone(),
                    leaf,
                }
            })
            .collect::<Vec<_>>();
        let mut epoch = RenewalEpoch {
            algorithm: alg,
            gen_time: now,
            token_der: Vec::new(),
            entries,
        };
        epoch.entries.sort_by(|a, b| a.batch.cmp(&b.batch));
        let tree = epoch.tree()?;
        let imprint = tree.imprint();
        let st = stamper.clone();
        let token =
            tokio::task::spawn_blocking(move || st.timestamp(imprint.algorithm, &imprint.digest))
                .await
                .map_err(|e| RenewalError::TimeStamp(e.to_string()))?
                .map_err(|e| RenewalError::TimeStamp(e.0))?;
        if token.message_imprint().digest != tree.root() {
            return Err(RenewalError::TimeStamp(
                "the TSA's token does not cover the epoch's root".into(),
            ));
        }
        epoch.gen_time = token.gen_time();
        epoch.token_der = token.to_der().to_vec();
        let id = SealBatch::id_for(epoch.gen_time, tree.root());
        store
            .create_epoch(&id, Bytes::from(epoch.to_bytes()))
            .await?;
        report.epochs.push((id, epoch.entries.len()));
    }
    Ok(report)
}

/// Carries every record of `batches` into one new chain under the rehash algorithm.
async fn hash_tree_renewal(
    store: &Store,
    index: &EvidenceIndex,
    batches: &[String],
    stamper: Arc<dyn TimeStamper + Send + Sync>,
    s: &RenewalSettings,
    now: OffsetDateTime,
    lease: &mut stele_store::Lease,
) -> Result<(String, usize, usize), RenewalError> {
    let alg = s.rehash_algorithm;
    let w = alg.output_len();
    let mut ids = batches.to_vec();
    ids.sort();
    let job = format!(
        "htr-{}-{}",
        alg.to_string().to_ascii_lowercase().replace('-', ""),
        hex::encode(&DigestAlgorithm::Sha256.digest(ids.join("\n").as_bytes())[..8])
    );
    let mut entries: Vec<([u8; RECORD_ID_LEN], Vec<u8>)> = Vec::new();
    let mut resumed = 0;
    for id in &ids {
        keep_lease(store, lease, s.lease_ttl, now).await?;
        let Some(b) = index.batches.get(id) else {
            continue;
        };
        if let Some(part) = store.get_work(&job, id).await? {
            if part.len() == b.batch.len() * (RECORD_ID_LEN + w) {
                for e in part.chunks_exact(RECORD_ID_LEN + w) {
                    let mut rid = [0u8; RECORD_ID_LEN];
                    rid.copy_from_slice(&e[..RECORD_ID_LEN]);
                    entries.push((rid, e[RECORD_ID_LEN..].to_vec()));
                }
                resumed += 1;
                continue;
            }
        }
        let records: Vec<String> = (0..b.batch.len())
            .filter_map(|i| b.batch.record_id(i))
            .collect();
        let computed: Vec<([u8; RECORD_ID_LEN], Vec<u8>)> = futures::stream::iter(records)
            .map(|rid| rehash_leaf(store, index, rid, alg))
            .buffer_unordered(s.jobs.max(1))
            .try_collect()
            .await?;
        let mut part = Vec::with_capacity(computed.len() * (RECORD_ID_LEN + w));
        for (rid, leaf) in &computed {
            part.extend_from_slice(rid);
            part.extend_from_slice(leaf);
        }
        store.put_work(&job, id, Bytes::from(part)).await?;
        entries.extend(computed);
    }
    SealBatch::sort_entries(&mut entries);
    let mut b = HashTreeBuilder::with_capacity(alg, entries.len());
    for (_, leaf) in &entries {
        b.push_hash(leaf)?;
    }
    let tree = b.build()?;
    let imprint = tree.imprint();
    keep_lease(store, lease, s.lease_ttl, now).await?;
    let token =
        tokio::task::spawn_blocking(move || stamper.timestamp(imprint.algorithm, &imprint.digest))
            .await
            .map_err(|e| RenewalError::TimeStamp(e.to_string()))?
            .map_err(|e| RenewalError::TimeStamp(e.0))?;
    if token.message_imprint().digest != tree.root() {
        return Err(RenewalError::TimeStamp(
            "the TSA's token does not cover the hash-tree renewal root".into(),
        ));
    }
    let n = entries.len();
    let batch = SealBatch::new(
        BatchKind::HashTreeRenewal,
        alg,
        token.gen_time(),
        token.to_der().to_vec(),
        ids,
        entries,
    );
    let id = write_batch(store, &batch).await?;
    let _ = store.delete_work(&job).await;
    Ok((id, n, resumed))
}

/// One record's hash-tree-renewal leaf value: its data objects streamed and hashed under the
/// new algorithm, each combined with the hash of its evidence so far.
async fn rehash_leaf(
    store: &Store,
    index: &EvidenceIndex,
    rid: String,
    alg: DigestAlgorithm,
) -> Result<([u8; RECORD_ID_LEN], Vec<u8>), RenewalError> {
    let raw = record_id_bytes(&rid).ok_or_else(|| RenewalError::Work {
        part: rid.clone(),
        reason: "not a record id".into(),
    })?;
    let m = read_manifest(store, &RecordId::new(rid.clone())?).await?;
    let mut algs = index.algorithms_of(&rid)?;
    algs.push(alg);
    let digests = RecordDigests::compute(store, &m.data_objects, &algs).await?;
    let er = index.evidence_record(&rid, &digests)?;
    let objects: Vec<DataObject<'_>> = digests
        .by_algorithm
        .get(&alg)
        .map(|v| {
            v.iter()
                .map(|d| DataObject::from_digest(alg, d.clone()))
                .collect()
        })
        .unwrap_or_default();
    let leaf = er
        .hash_tree_renewal_leaf(alg, &objects)
        .map_err(|source| EvidenceError::Ers {
            record: rid.clone(),
            source,
        })?;
    Ok((raw, leaf.value(alg)))
}
