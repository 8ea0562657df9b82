//! The audit log (DESIGN §7): every ingest, content read, export, verification, renewal and seal
//! is appended to an append-only, hash-chained log, and the log itself is sealed like a record.
//!
//! # Entries
//!
//! Entry `seq` is the object `audit-log/entries/<seq>.json` (see `stele_store::audit_log`):
//!
//! ```json
//! {"log":"stele.audit.v1","seq":7,"time":"2026-05-01T10:00:00Z","actor":"cli:an",
//!  "action":"read","record":"9f2c…","detail":"original quyet-dinh.pdf","prev":"<hex>"}
//! ```
//!
//! `prev` is the SHA-256 of the exact stored bytes of entry `seq-1` (64 zeros for entry 1), so
//! altering, removing or reordering any entry breaks the chain at that point. Entries are
//! created create-only at `head+1`: when another node took that seq first, the appender chains
//! onto the winner's bytes and tries the next one, so nodes sharing one bucket can never fork
//! the chain. Times never go backwards along the chain: a node whose clock lags writes its
//! predecessor's time, so a reversed time is a sign of tampering, not of clock skew.
//!
//! # Sealing
//!
//! The log is sealed by the same code as the archive's records, in an archive of its own
//! (`audit-log/archive/`, [`Store::audit_log_archive`]). Each `stele seal` cuts the entries
//! written since the last segment into a new **segment**: a file holding those entries' exact
//! bytes, one per line, archived as a record of the nested archive (its only file has the role
//! `audit_log_segment`, so there is no signature to judge). Then the nested archive's pending
//! records are sealed with [`seal_pending`] and renewed by [`renew`]: one hash tree, one TSA
//! token, RFC 4998 evidence records, timestamp and hash-tree renewal, exactly as for documents.
//! A separate archive keeps segments out of the archive's record listings, search and
//! statistics, and keeps their manifests where hash-tree renewal expects them.
//!
//! Which entries a segment holds is fixed by a create-only marker (`audit-log/sealed/<first>`,
//! naming `first`, `last` and the segment's record id), written before the segment: two nodes
//! sealing at once cannot cut overlapping segments, and a crash after the marker is completed
//! by the next run (the segment's bytes, hence its id, follow from the entries alone).
//!
//! Since each entry hashes its predecessor, sealing a segment also fixes every entry before it;
//! the sealed copy additionally names exactly which entry was altered or lost. Only entries
//! after the newest seal can be altered without a trace other than a broken link to a later
//! entry — the newest entry until its successor or the next nightly seal.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use stele_pki::{AlgorithmPolicy, TrustStore};
use stele_sig::SignatureValidator;
use stele_store::audit_log::entry_key;
use stele_store::{BlobRef, Creation, RecordId, Store, StoreError};
use stele_tsp::Clock;
use time::OffsetDateTime;

use crate::evidence::{EvidenceError, EvidenceIndex};
use crate::ingest::{IngestValidation, RecordFile, RecordManifest};
use crate::lease::JobHolder;
use crate::longterm::{LongTermVerifier, RecordVerdict, VerifyError};
use crate::metadata::{MetadataError, RecordMetadata};
use crate::renewal::{RenewalError, RenewalRun, RenewalSettings};
use crate::sealing::{read_manifest, SealJobError};
use crate::{rfc3339, SealOutcome, SealSettings, TimeStamper, TokenChecker};

/// The `log` field of every entry.
pub const LOG_FORMAT: &str = "stele.audit.v1";
/// The `report` field of [`AuditLogReport`].
pub const REPORT_FORMAT: &str = "stele.audit-log-verification.v1";
/// The role of a segment's file in its record.
pub const SEGMENT_ROLE: &str = "audit_log_segment";
/// Appends tried before giving up when other nodes keep taking the next seq first.
const ATTEMPTS: usize = 256;
/// A segment is cut before it grows past this many bytes (entries are at most 64 KiB each).
const MAX_SEGMENT_BYTES: usize = 64 << 20;

/// A segment's verdict when it is not sealed yet, or not archived yet after a stopped seal.
pub const SEGMENT_PENDING: &str = "PENDING";
/// A segment's verdict in [`AuditLog::check_fixity`], which judges no evidence.
pub const SEGMENT_NOT_JUDGED: &str = "NOT_JUDGED";
/// Bounds on what an event may carry; longer values are cut (an access is still logged).
const MAX_ACTOR: usize = 256;
const MAX_RECORD: usize = 128;
const MAX_DETAIL: usize = 8192;
/// `prev` of entry 1.
const GENESIS: [u8; 32] = [0; 32];

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditAction {
    /// A record archived (or found to be a duplicate).
    Ingest,
    /// Content or metadata given out (`stele get`, `stele show`, a download).
    Read,
    /// A record exported with its evidence.
    Export,
    /// A long-term verification, or a check of the audit log itself.
    Verify,
    /// A renewal run.
    Renew,
    /// A seal run.
    Seal,
    /// A fixity audit of the store.
    Audit,
    /// A search (its hits reveal snippets of content).
    Search,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Ingest => "ingest",
            AuditAction::Read => "read",
            AuditAction::Export => "export",
            AuditAction::Verify => "verify",
            AuditAction::Renew => "renew",
            AuditAction::Seal => "seal",
            AuditAction::Audit => "audit",
            AuditAction::Search => "search",
        }
    }
}

/// One thing to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Who: `cli:<user>`, `api:<token name>`, `job:<holder>`.
    pub actor: String,
    pub action: AuditAction,
    /// The record concerned, if one.
    pub record: Option<String>,
    /// What exactly, for a reader (file name, verdict, batch id).
    pub detail: String,
}

impl AuditEvent {
    pub fn new(
        actor: impl Into<String>,
        action: AuditAction,
        record: Option<&str>,
        detail: impl Into<String>,
    ) -> Self {
        AuditEvent {
            actor: actor.into(),
            action,
            record: record.map(str::to_string),
            detail: detail.into(),
        }
    }
}

/// One entry as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    pub log: String,
    pub seq: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    pub actor: String,
    pub action: AuditAction,
    pub record: Option<String>,
    pub detail: String,
    /// Hex SHA-256 of entry `seq-1`'s stored bytes.
    pub prev: String,
}

impl AuditEntry {
    /// Parses stored bytes (already bounded by the store).
    pub fn parse(bytes: &[u8]) -> Result<AuditEntry, String> {
        let e: AuditEntry = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if e.log != LOG_FORMAT {
            return Err(format!("log format {:?} is not {LOG_FORMAT}", e.log));
        }
        Ok(e)
    }
}

/// Why the log could not be written, read or sealed. Damage found by [`AuditLog::verify`] is
/// reported as findings, not as these.
#[derive(Debug, thiserror::Error)]
pub enum AuditLogError {
    #[error("audit log: {0}")]
    Store(#[from] StoreError),
    #[error("audit log: no free seq after {attempts} attempts (other nodes kept appending first)")]
    Contention { attempts: usize },
    #[error("audit log: entry {seq} cannot be encoded: {reason}")]
    Encode { seq: u64, reason: String },
    #[error("audit log: segment marker {key}: {reason}")]
    Marker { key: String, reason: String },
    #[error("audit log: entries {first}–{last} no longer make the segment their marker names (record {record}); run `stele audit-log verify`")]
    SegmentChanged {
        first: u64,
        last: u64,
        record: String,
    },
    #[error("audit log: entry {seq} is missing, so entries from it on cannot be sealed; run `stele audit-log verify`")]
    Gap { seq: u64 },
    #[error("audit log segment metadata: {0}")]
    Metadata(#[from] MetadataError),
    #[error("audit log seal: {0}")]
    Seal(#[from] SealJobError),
    #[error("audit log renewal: {0}")]
    Renewal(#[from] RenewalError),
    #[error("audit log evidence: {0}")]
    Evidence(#[from] EvidenceError),
    #[error("audit log segment verification: {0}")]
    Verify(#[from] VerifyError),
}

/// The newest entry as this node knows it.
#[derive(Clone, Copy, Debug)]
struct Head {
    seq: u64,
    hash: [u8; 32],
    time: OffsetDateTime,
}

/// The marker of a segment (`audit-log/sealed/<first>`): which entries it holds and the record
/// that holds them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marker {
    pub log: String,
    pub first: u64,
    pub last: u64,
    /// The segment's record id in the log's archive (SHA-256 of the segment file).
    pub record: String,
}

/// The log of one archive. Cheap to clone (clones share the cached head); `Send + Sync`.
#[derive(Clone)]
pub struct AuditLog {
    store: Store,
    clock: Arc<dyn Clock>,
    /// Held across the create so this process's appends go one at a time (no self-contention).
    head: Arc<tokio::sync::Mutex<Option<Head>>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("store", &self.store)
            .finish()
    }
}

/// One problem found by [`AuditLog::verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditLogFinding {
    /// The entry concerned (for a missing run: its first seq), if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The object concerned.
    pub key: String,
    /// `missing`, `unreadable`, `malformed`, `wrong_seq`, `broken_chain`, `time_reversed`,
    /// `stray`, `sealed_copy_differs`, `marker`, `segment`.
    pub kind: &'static str,
    pub message: String,
}

/// A sealed segment as checked.
#[derive(Clone, Debug, Serialize)]
pub struct SegmentCheck {
    pub first: u64,
    pub last: u64,
    pub record: String,
    /// `PASSED`, `FAILED`, `INDETERMINATE` (its record verified at the verification time), or
    /// `PENDING` (not archived or sealed yet: the next `stele seal` does it); `NOT_JUDGED` in
    /// [`AuditLog::check_fixity`].
    pub verdict: String,
    /// The first archive timestamp's time: when the evidence proves these entries existed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub proof_of_existence: Option<OffsetDateTime>,
    pub summary: String,
}

/// What [`AuditLog::verify`] found (`schemas/audit-log.schema.json`).
#[derive(Clone, Debug, Serialize)]
pub struct AuditLogReport {
    pub report: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    pub verification_time: OffsetDateTime,
    /// True when nothing was found.
    pub intact: bool,
    /// Entries read.
    pub entries: u64,
    /// The newest seq present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<u64>,
    /// Hex SHA-256 of the newest entry (what the next entry's `prev` will be).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_hash: Option<String>,
    /// The newest seq a seal covers whose evidence verifies (PASSED).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sealed_through: Option<u64>,
    /// Entries after the newest segment (sealed by the next `stele seal`).
    pub unsealed_entries: u64,
    /// Entries per action.
    pub actions: BTreeMap<String, u64>,
    pub segments: Vec<SegmentCheck>,
    pub findings: Vec<AuditLogFinding>,
}

/// What sealing the log did.
#[derive(Clone, Debug)]
pub struct LogSealOutcome {
    /// Segments cut by this run: (first, last, record id).
    pub segments: Vec<(u64, u64, String)>,
    /// The seal of the log's archive.
    pub seal: SealOutcome,
    /// The newest seq in any segment (sealed now or before).
    pub segmented_through: Option<u64>,
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    BlobRef::of(bytes).sha256
}

/// Cuts `s` to at most `max` bytes at a character boundary.
fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max.saturating_sub(3);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// Whole seconds in UTC: how entries write times, so a re-read compares equal.
fn second(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t)
}

impl AuditLog {
    /// The log of the archive in `store`; times come from `clock`.
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> AuditLog {
        AuditLog {
            store,
            clock,
            head: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    /// Appends one event and returns its seq. The entry is durable when this returns.
    pub async fn append(&self, event: AuditEvent) -> Result<u64, AuditLogError> {
        let actor = cut(event.actor, MAX_ACTOR);
        let record = event.record.map(|r| cut(r, MAX_RECORD));
        let detail = cut(event.detail, MAX_DETAIL);
        let mut cached = self.head.lock().await;
        let mut head = match *cached {
            Some(h) => h,
            None => self.find_head().await?,
        };
        for _ in 0..ATTEMPTS {
            let seq = head.seq + 1;
            let entry = AuditEntry {
                log: LOG_FORMAT.into(),
                seq,
                time: second(self.clock.now()).max(head.time),
                actor: actor.clone(),
                action: event.action,
                record: record.clone(),
                detail: detail.clone(),
                prev: hex::encode(head.hash),
            };
            let bytes = serde_json::to_vec(&entry).map_err(|e| AuditLogError::Encode {
                seq,
                reason: e.to_string(),
            })?;
            let hash = sha256(&bytes);
            match self
                .store
                .create_audit_entry(seq, Bytes::from(bytes))
                .await?
            {
                Creation::Created => {
                    *cached = Some(Head {
                        seq,
                        hash,
                        time: entry.time,
                    });
                    return Ok(seq);
                }
                // Another node wrote `seq`: chain onto its bytes, whatever they are (damage
                // is verify's to report; refusing to log would hide the access instead).
                Creation::AlreadyExists(theirs) => {
                    head = Head {
                        seq,
                        hash: sha256(&theirs),
                        time: AuditEntry::parse(&theirs)
                            .map(|e| e.time.max(head.time))
                            .unwrap_or(head.time),
                    };
                    // A head cached long ago may be many entries behind (other nodes kept
                    // appending): jump to the newest rather than fail one write per entry.
                    let after = self.store.list_audit_entries(Some(seq)).await?;
                    if let Some(&newest) = after.seqs.last() {
                        let bytes = self.store.get_audit_entry(newest).await?;
                        head = Head {
                            seq: newest,
                            hash: sha256(&bytes),
                            time: AuditEntry::parse(&bytes)
                                .map(|e| e.time.max(head.time))
                                .unwrap_or(head.time),
                        };
                    }
                }
            }
        }
        // The cache is left empty so the next append looks the head up afresh.
        *cached = None;
        Err(AuditLogError::Contention { attempts: ATTEMPTS })
    }

    /// The newest entry: listed from the newest segment on (S3 lists only what follows).
    async fn find_head(&self) -> Result<Head, AuditLogError> {
        let after = self.newest_marker().await?.map(|m| m.last);
        let listing = self.store.list_audit_entries(after).await?;
        let Some(seq) = listing.seqs.last().copied().or(after) else {
            return Ok(Head {
                seq: 0,
                hash: GENESIS,
                time: OffsetDateTime::UNIX_EPOCH,
            });
        };
        let bytes = self.store.get_audit_entry(seq).await?;
        Ok(Head {
            seq,
            hash: sha256(&bytes),
            time: AuditEntry::parse(&bytes)
                .map(|e| e.time)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        })
    }

    async fn read_marker(&self, first: u64) -> Result<Marker, AuditLogError> {
        let bytes = self.store.get_audit_marker(first).await?;
        parse_marker(first, &bytes)
    }

    async fn newest_marker(&self) -> Result<Option<Marker>, AuditLogError> {
        match self.store.list_audit_markers().await?.seqs.last() {
            Some(&first) => Ok(Some(self.read_marker(first).await?)),
            None => Ok(None),
        }
    }

    /// The newest `limit` entries, oldest first; with `record`, only those whose record id
    /// starts with it (`stele audit-log show`, the API).
    pub async fn newest(
        &self,
        limit: usize,
        record: Option<&str>,
    ) -> Result<Vec<AuditEntry>, AuditLogError> {
        let Some(wanted) = record.map(str::to_ascii_lowercase) else {
            // No filter: one listing, and only the newest `limit` entries are read.
            let seqs = self.store.list_audit_entries(None).await?.seqs;
            let mut out = Vec::new();
            for &seq in &seqs[seqs.len().saturating_sub(limit)..] {
                if let Ok(bytes) = self.store.get_audit_entry(seq).await {
                    if let Ok(e) = AuditEntry::parse(&bytes) {
                        out.push(e);
                    }
                }
            }
            return Ok(out);
        };
        let mut newest = std::collections::VecDeque::new();
        self.for_each_entry(|e| {
            let keep = e
                .record
                .as_deref()
                .is_some_and(|r| r.starts_with(wanted.as_str()));
            if keep && limit > 0 {
                if newest.len() == limit {
                    newest.pop_front();
                }
                newest.push_back(e);
            }
        })
        .await?;
        Ok(newest.into())
    }

    /// Every entry, newest last, streamed through `f` (for `show --record`), skipping damaged
    /// ones (`verify` reports them).
    async fn for_each_entry(&self, mut f: impl FnMut(AuditEntry)) -> Result<(), AuditLogError> {
        for seq in self.store.list_audit_entries(None).await?.seqs {
            if let Ok(bytes) = self.store.get_audit_entry(seq).await {
                if let Ok(e) = AuditEntry::parse(&bytes) {
                    f(e);
                }
            }
        }
        Ok(())
    }

    /// Cuts the entries since the newest segment into segments, archives them in the log's
    /// archive and seals every pending segment there (one TSA request); unless `force`, only
    /// when they are due by `settings` as records are (`stele seal --if-due`), so a frequent
    /// timer does not buy a timestamp a run. Safe to run on several nodes at once and to rerun
    /// after a crash.
    pub async fn seal(
        &self,
        stamper: Arc<dyn TimeStamper + Send + Sync>,
        settings: &SealSettings,
        holder: &JobHolder,
        force: bool,
    ) -> Result<LogSealOutcome, AuditLogError> {
        let mut cut_now = Vec::new();
        let mut last = match self.newest_marker().await? {
            Some(m) => {
                // A crash may have come between the marker and its segment.
                self.complete_segment(&m).await?;
                Some(m.last)
            }
            None => None,
        };
        let mut gap = None;
        loop {
            let listing = self.store.list_audit_entries(last).await?;
            let first = last.unwrap_or(0) + 1;
            let mut run = Vec::new();
            let mut size = 0usize;
            // Only a run without holes is sealed: a missing entry stops the segment before it.
            for (expected, seq) in (first..).zip(listing.seqs) {
                if seq != expected {
                    gap = Some(expected);
                    break;
                }
                let bytes = self.store.get_audit_entry(seq).await?;
                if !run.is_empty() && size + bytes.len() + 1 > MAX_SEGMENT_BYTES {
                    break;
                }
                size += bytes.len() + 1;
                run.push(bytes);
            }
            if run.is_empty() {
                break;
            }
            let segment = segment_bytes(&run);
            let marker = Marker {
                log: LOG_FORMAT.into(),
                first,
                last: first + run.len() as u64 - 1,
                record: BlobRef::of(&segment).hex(),
            };
            let json = serde_json::to_vec(&marker).map_err(|e| AuditLogError::Marker {
                key: format!("audit-log/sealed/{first:020}"),
                reason: e.to_string(),
            })?;
            let marker = match self
                .store
                .create_audit_marker(first, Bytes::from(json))
                .await?
            {
                Creation::Created => {
                    self.write_segment(&marker, Bytes::from(segment)).await?;
                    cut_now.push((marker.first, marker.last, marker.record.clone()));
                    marker
                }
                // Another node claimed this range: finish its segment if it has not yet, and
                // carry on after it.
                Creation::AlreadyExists(theirs) => {
                    let m = parse_marker(first, &theirs)?;
                    self.complete_segment(&m).await?;
                    m
                }
            };
            last = Some(marker.last);
            if gap.is_some() {
                break;
            }
        }
        let seal = crate::seal_pending(
            &self.store.audit_log_archive(),
            stamper,
            settings,
            self.clock.now(),
            holder,
            force,
        )
        .await?;
        if let Some(seq) = gap {
            return Err(AuditLogError::Gap { seq });
        }
        Ok(LogSealOutcome {
            segments: cut_now,
            seal,
            segmented_through: last,
        })
    }

    /// Renews the evidence of the log's archive (the nightly renewal, for the log).
    pub async fn renew(
        &self,
        stamper: Arc<dyn TimeStamper + Send + Sync>,
        settings: &RenewalSettings,
        holder: &JobHolder,
    ) -> Result<RenewalRun, AuditLogError> {
        Ok(crate::renewal::renew(
            &self.store.audit_log_archive(),
            stamper,
            settings,
            self.clock.now(),
            holder,
        )
        .await?)
    }

    /// Writes the segment of `m` if its record is not there yet (after a crash, or when another
    /// node claimed it and has not finished).
    async fn complete_segment(&self, m: &Marker) -> Result<(), AuditLogError> {
        let nested = self.store.audit_log_archive();
        let id = RecordId::new(m.record.clone())?;
        match nested.get_manifest(&id).await {
            Ok(_) => return Ok(()),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
        let segment = self.segment_for(m).await?;
        self.write_segment(m, Bytes::from(segment)).await
    }

    /// The segment file `m` names, made again from the entries; an error when they no longer
    /// make it (altered, missing, or more than a segment holds).
    async fn segment_for(&self, m: &Marker) -> Result<Vec<u8>, AuditLogError> {
        let changed = || AuditLogError::SegmentChanged {
            first: m.first,
            last: m.last,
            record: m.record.clone(),
        };
        let mut run = Vec::new();
        let mut size = 0usize;
        for seq in m.first..=m.last {
            let entry = self.store.get_audit_entry(seq).await?;
            size += entry.len() + 1;
            if size > MAX_SEGMENT_BYTES {
                return Err(changed());
            }
            run.push(entry);
        }
        let segment = segment_bytes(&run);
        if BlobRef::of(&segment).hex() != m.record {
            return Err(changed());
        }
        Ok(segment)
    }

    /// Archives a segment as a record of the log's archive: blobs first, manifest last.
    async fn write_segment(&self, m: &Marker, segment: Bytes) -> Result<(), AuditLogError> {
        let nested = self.store.audit_log_archive();
        let now = self.clock.now();
        let blob = nested.put_blob(segment).await?;
        let id = RecordId::new(blob.hex())?;
        let metadata = RecordMetadata::from_json(
            &serde_json::json!({
                "IssuedDate": format!("{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day()),
                "OrganName": "Stele",
                "TypeName": "Audit log segment",
                "Subject": format!("Audit log entries {} to {}", m.first, m.last),
                "Confidentiality": "none",
                "Retention": "01",
                "AccessMode": "02",
            })
            .to_string(),
        )?;
        let metadata_blob = nested.put_blob(Bytes::from(metadata.to_json())).await?;
        // In place of a signature report: what the segment is (nothing reads it as a report).
        let about = serde_json::json!({
            "segment": "stele.audit-log-segment.v1",
            "log": LOG_FORMAT,
            "first": m.first,
            "last": m.last,
            "entries": m.last - m.first + 1,
        });
        let report = nested.put_blob(Bytes::from(about.to_string())).await?;
        let mut data_objects = vec![blob, metadata_blob, report];
        data_objects.sort();
        data_objects.dedup();
        let manifest = RecordManifest {
            record: RecordManifest::FORMAT.into(),
            id: id.to_string(),
            ingested_at: now,
            files: vec![RecordFile {
                name: format!("audit-log-{:020}-{:020}.jsonl", m.first, m.last),
                role: SEGMENT_ROLE.into(),
                blob,
            }],
            validation: IngestValidation {
                indication: "INDETERMINATE".into(),
                summary: "an audit-log segment written by Stele: it carries no signature; the hash chain and the seal protect it".into(),
                validation_time: now,
                signatures: Vec::new(),
                report,
            },
            material: Vec::new(),
            metadata,
            metadata_blob,
            data_objects: data_objects.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| AuditLogError::Encode {
            seq: m.last,
            reason: e.to_string(),
        })?;
        nested
            .create_manifest(&id, Bytes::from(bytes), &data_objects)
            .await?;
        Ok(())
    }

    /// Checks the whole log at the clock's time: the chain (every `prev`, seq and time), every
    /// segment against the entries it holds, and every segment's evidence with the long-term
    /// verifier (archive timestamps trusted by `tokens`, hash algorithms by `policy`).
    pub async fn verify(
        &self,
        tokens: &TokenChecker,
        policy: &AlgorithmPolicy,
    ) -> Result<AuditLogReport, AuditLogError> {
        self.check(Some((tokens, policy))).await
    }

    /// The fixity part of [`verify`](Self::verify), for `stele audit`: the chain, the markers
    /// and every segment file against the entries it holds, without judging any evidence (the
    /// audit checks the log's archive as it checks the records'). Segments say `NOT_JUDGED`.
    pub async fn check_fixity(&self) -> Result<AuditLogReport, AuditLogError> {
        self.check(None).await
    }

    async fn check(
        &self,
        judge: Option<(&TokenChecker, &AlgorithmPolicy)>,
    ) -> Result<AuditLogReport, AuditLogError> {
        let at = self.clock.now();
        let mut findings = Vec::new();
        let mut hashes: BTreeMap<u64, [u8; 32]> = BTreeMap::new();
        let mut actions: BTreeMap<String, u64> = BTreeMap::new();
        let listing = self.store.list_audit_entries(None).await?;
        for key in &listing.strays {
            findings.push(finding(
                None,
                key.clone(),
                "stray",
                format!("{key} is not an audit-log entry key (renamed or planted)"),
            ));
        }
        let mut expected = 1u64;
        // The previous entry's hash and time; None after a gap or an unreadable entry.
        let mut prev: Option<[u8; 32]> = Some(GENESIS);
        let mut prev_time: Option<OffsetDateTime> = None;
        let mut entries = 0u64;
        for &seq in &listing.seqs {
            let key = entry_key(seq);
            if seq > expected {
                let what = if seq - 1 == expected {
                    format!("entry {expected} is missing")
                } else {
                    format!("entries {expected} to {} are missing", seq - 1)
                };
                findings.push(finding(
                    Some(expected),
                    entry_key(expected),
                    "missing",
                    what,
                ));
                prev = None;
            }
            expected = seq + 1;
            let bytes = match self.store.get_audit_entry(seq).await {
                Ok(b) => b,
                Err(e) => {
                    findings.push(finding(
                        Some(seq),
                        key,
                        "unreadable",
                        format!("entry {seq} cannot be read: {e}"),
                    ));
                    prev = None;
                    continue;
                }
            };
            entries += 1;
            let hash = sha256(&bytes);
            hashes.insert(seq, hash);
            match AuditEntry::parse(&bytes) {
                Err(e) => findings.push(finding(
                    Some(seq),
                    key,
                    "malformed",
                    format!("entry {seq} is not an audit-log entry: {e}"),
                )),
                Ok(e) => {
                    *actions.entry(e.action.as_str().to_string()).or_default() += 1;
                    if e.seq != seq {
                        findings.push(finding(
                            Some(seq),
                            key.clone(),
                            "wrong_seq",
                            format!(
                                "entry {seq} holds entry {} (entries were moved or reordered)",
                                e.seq
                            ),
                        ));
                    }
                    if let Some(p) = prev {
                        if e.prev != hex::encode(p) {
                            let message = if seq == 1 {
                                "entry 1 does not start the chain (its prev is not zero)".into()
                            } else {
                                format!(
                                    "entry {} does not hash to the prev recorded in entry {seq}: one of them was altered or replaced",
                                    seq - 1
                                )
                            };
                            let at_seq = if seq == 1 { 1 } else { seq - 1 };
                            findings.push(finding(
                                Some(at_seq),
                                entry_key(at_seq),
                                "broken_chain",
                                message,
                            ));
                        }
                    }
                    if let Some(t) = prev_time {
                        if e.time < t {
                            findings.push(finding(
                                Some(seq),
                                key,
                                "time_reversed",
                                format!(
                                    "entry {seq} is dated {}, before its predecessor ({})",
                                    rfc3339(e.time),
                                    rfc3339(t)
                                ),
                            ));
                        }
                    }
                    prev_time = Some(e.time);
                }
            }
            prev = Some(hash);
        }
        let head = listing.seqs.last().copied();
        let head_hash = head.and_then(|h| hashes.get(&h)).map(hex::encode);

        // Segments: each against the entries it holds, then its evidence.
        let nested = self.store.audit_log_archive();
        let markers = self.store.list_audit_markers().await?;
        for key in &markers.strays {
            findings.push(finding(
                None,
                key.clone(),
                "stray",
                format!("{key} is not a segment marker key"),
            ));
        }
        let index = match judge {
            Some(_) => Some(EvidenceIndex::load(&nested).await?),
            None => None,
        };
        // Segments carry no signature; the validator is never asked to judge one.
        let validator = SignatureValidator::new(TrustStore::new()).offline();
        let verifier =
            judge
                .zip(index.as_ref())
                .map(|((tokens, policy), index)| LongTermVerifier {
                    index,
                    tokens,
                    signatures: &validator,
                    policy,
                });
        let mut segments = Vec::new();
        let mut next_first = 1u64;
        let mut segmented_through = 0u64;
        for &first in &markers.seqs {
            let key = format!("audit-log/sealed/{first:020}");
            let m = match self.read_marker(first).await {
                Ok(m) => m,
                Err(e) => {
                    findings.push(finding(Some(first), key, "marker", e.to_string()));
                    continue;
                }
            };
            if m.first != next_first {
                findings.push(finding(
                    Some(first),
                    key.clone(),
                    "marker",
                    format!(
                        "the segment starting at entry {} does not follow the previous one (expected {next_first})",
                        m.first
                    ),
                ));
            }
            next_first = m.last + 1;
            segmented_through = segmented_through.max(m.last);
            let newest = markers.seqs.last() == Some(&first);
            let check = self
                .check_segment(
                    &nested,
                    verifier.as_ref(),
                    &m,
                    newest,
                    &hashes,
                    at,
                    &mut findings,
                )
                .await;
            segments.push(check);
        }
        let sealed_through = segments
            .iter()
            .filter(|s| s.verdict == RecordVerdict::Passed.as_str())
            .map(|s| s.last)
            .max();
        let unsealed_entries = listing
            .seqs
            .iter()
            .filter(|s| **s > segmented_through)
            .count() as u64;
        findings.sort_by_key(|f| f.seq.unwrap_or(0));
        Ok(AuditLogReport {
            report: REPORT_FORMAT,
            verification_time: at,
            intact: findings.is_empty(),
            entries,
            head,
            head_hash,
            sealed_through,
            unsealed_entries,
            actions,
            segments,
            findings,
        })
    }

    /// One segment: its file against today's entries, and its record's evidence at `at` when
    /// there is a `verifier`.
    #[allow(clippy::too_many_arguments)]
    async fn check_segment(
        &self,
        nested: &Store,
        verifier: Option<&LongTermVerifier<'_>>,
        m: &Marker,
        newest: bool,
        hashes: &BTreeMap<u64, [u8; 32]>,
        at: OffsetDateTime,
        findings: &mut Vec<AuditLogFinding>,
    ) -> SegmentCheck {
        let key = format!("audit-log/sealed/{:020}", m.first);
        let mut check = SegmentCheck {
            first: m.first,
            last: m.last,
            record: m.record.clone(),
            verdict: RecordVerdict::Failed.as_str().into(),
            proof_of_existence: None,
            summary: String::new(),
        };
        let manifest = match RecordId::new(m.record.clone()) {
            Ok(id) => read_manifest(nested, &id).await.map(|mf| (id, mf)),
            Err(e) => Err(SealJobError::Store(e)),
        };
        // A seal stopped between the newest marker and its record (whose manifest is written
        // last) is no damage: the next `stele seal` archives the segment. Only that state,
        // though: no seal covers the record yet, and the entries still make the segment.
        if let Err(SealJobError::Store(e)) = &manifest {
            let sealed = verifier.is_some_and(|v| v.index.chains_of(&m.record).is_ok());
            if e.is_not_found() && newest && !sealed && self.segment_for(m).await.is_ok() {
                check.verdict = SEGMENT_PENDING.into();
                check.summary = format!(
                    "entries {}–{} are cut into a segment that is not archived yet (a seal was interrupted); the next `stele seal` archives and seals it",
                    m.first, m.last
                );
                return check;
            }
        }
        let (id, manifest) = match manifest {
            Ok(x) => x,
            Err(e) => {
                check.summary = format!("the segment's record cannot be read: {e}");
                findings.push(finding(
                    Some(m.first),
                    key,
                    "segment",
                    check.summary.clone(),
                ));
                return check;
            }
        };
        let file = manifest.files.iter().find(|f| f.role == SEGMENT_ROLE);
        let bytes = match file {
            Some(f) if f.blob.len <= MAX_SEGMENT_BYTES as u64 => {
                nested.get_blob(&f.blob).await.map_err(|e| e.to_string())
            }
            Some(f) => Err(format!(
                "its file is {} bytes, more than a segment may be",
                f.blob.len
            )),
            None => Err("its record holds no segment file".into()),
        };
        match bytes {
            Err(e) => {
                check.summary = format!("segment {}–{}: {e}", m.first, m.last);
                findings.push(finding(
                    Some(m.first),
                    key.clone(),
                    "segment",
                    check.summary.clone(),
                ));
            }
            Ok(bytes) => {
                let lines: Vec<&[u8]> = bytes
                    .strip_suffix(b"\n")
                    .unwrap_or(&bytes)
                    .split(|b| *b == b'\n')
                    .collect();
                if lines.len() as u64 != m.last - m.first + 1 {
                    findings.push(finding(
                        Some(m.first),
                        key.clone(),
                        "segment",
                        format!(
                            "segment {}–{} holds {} entries, not {}",
                            m.first,
                            m.last,
                            lines.len(),
                            m.last - m.first + 1
                        ),
                    ));
                }
                for (seq, line) in (m.first..=m.last).zip(lines) {
                    match hashes.get(&seq) {
                        Some(h) if *h == sha256(line) => {}
                        Some(_) => findings.push(finding(
                            Some(seq),
                            entry_key(seq),
                            "sealed_copy_differs",
                            format!("entry {seq} differs from its sealed copy (segment {}–{}): it was altered after it was sealed", m.first, m.last),
                        )),
                        // Reported as missing or unreadable already; say the seal keeps it.
                        None => findings.push(finding(
                            Some(seq),
                            entry_key(seq),
                            "sealed_copy_differs",
                            format!("entry {seq} is gone, but its sealed copy (segment {}–{}) keeps it", m.first, m.last),
                        )),
                    }
                }
            }
        }
        let Some(verifier) = verifier else {
            check.verdict = SEGMENT_NOT_JUDGED.into();
            check.summary = "the fixity audit does not judge the evidence".into();
            return check;
        };
        match verifier.verify_manifest(nested, &id, manifest, at).await {
            Ok(v) => {
                let r = v.verification;
                check.proof_of_existence = r.proof_of_existence;
                check.summary = r.summary.clone();
                let not_sealed = r.failed_check.as_deref() == Some(crate::longterm::NOT_SEALED);
                if not_sealed {
                    check.verdict = SEGMENT_PENDING.into();
                } else {
                    check.verdict = r.verdict.as_str().into();
                    if r.verdict != RecordVerdict::Passed {
                        findings.push(finding(
                            Some(m.first),
                            key,
                            "segment",
                            format!(
                                "the seal of entries {}–{} does not verify: {}",
                                m.first, m.last, r.summary
                            ),
                        ));
                    }
                }
            }
            Err(e) => {
                check.summary = e.to_string();
                findings.push(finding(
                    Some(m.first),
                    key,
                    "segment",
                    format!(
                        "the seal of entries {}–{} cannot be verified: {e}",
                        m.first, m.last
                    ),
                ));
            }
        }
        check
    }
}

/// The marker stored under `first`, checked: this log's format, starting at `first`, a range
/// whose successor exists (the store's bytes are untrusted).
pub fn parse_marker(first: u64, bytes: &[u8]) -> Result<Marker, AuditLogError> {
    let key = format!("audit-log/sealed/{first:020}");
    let m: Marker = serde_json::from_slice(bytes).map_err(|e| AuditLogError::Marker {
        key: key.clone(),
        reason: e.to_string(),
    })?;
    if m.log != LOG_FORMAT || m.first != first || m.last < m.first || m.last == u64::MAX {
        return Err(AuditLogError::Marker {
            key,
            reason: format!("it names entries {}–{}", m.first, m.last),
        });
    }
    Ok(m)
}

/// A segment file: each entry's exact stored bytes, one per line.
fn segment_bytes(entries: &[Bytes]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.len() + 1).sum());
    for e in entries {
        out.extend_from_slice(e);
        out.push(b'\n');
    }
    out
}

fn finding(seq: Option<u64>, key: String, kind: &'static str, message: String) -> AuditLogFinding {
    AuditLogFinding {
        seq,
        key,
        kind,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stele_store::StoreConfig;
    use stele_tsp::{FixedClock, LocalTsa, TsaInitOptions};
    use time::Duration;

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap()
    }

    fn open(dir: &std::path::Path) -> Store {
        let config = StoreConfig {
            fsync: false,
            ..StoreConfig::default()
        };
        Store::open(dir.to_str().unwrap(), &config).unwrap()
    }

    fn event(i: usize) -> AuditEvent {
        AuditEvent::new(
            "cli:test",
            AuditAction::Read,
            Some("ab".repeat(32).as_str()),
            format!("read {i}"),
        )
    }

    async fn log_with(dir: &std::path::Path, n: usize) -> (AuditLog, Arc<FixedClock>) {
        let clock = Arc::new(FixedClock::new(t0()));
        let log = AuditLog::new(open(dir), clock.clone());
        for i in 0..n {
            clock.advance(Duration::seconds(1));
            log.append(event(i)).await.unwrap();
        }
        (log, clock)
    }

    fn no_trust() -> (TokenChecker, AlgorithmPolicy) {
        (TokenChecker::without_trust(), AlgorithmPolicy::default())
    }

    /// A fresh node's verification of the log in `dir`: intact, with `entries` entries.
    async fn assert_intact(dir: &std::path::Path, clock: Arc<FixedClock>, entries: u64) {
        let (tokens, policy) = no_trust();
        let r = AuditLog::new(open(dir), clock)
            .verify(&tokens, &policy)
            .await
            .unwrap();
        assert!(r.intact, "{:?}", r.findings);
        assert_eq!(r.entries, entries);
    }

    fn entry_file(dir: &std::path::Path, seq: u64) -> std::path::PathBuf {
        dir.join(entry_key(seq))
    }

    fn kinds_at(r: &AuditLogReport) -> Vec<(&'static str, Option<u64>)> {
        r.findings.iter().map(|f| (f.kind, f.seq)).collect()
    }

    #[tokio::test]
    async fn chain_intact_then_tampering_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let (log, _) = log_with(tmp.path(), 6).await;
        let (tokens, policy) = no_trust();
        let r = log.verify(&tokens, &policy).await.unwrap();
        assert!(r.intact, "{:?}", r.findings);
        assert_eq!((r.entries, r.head), (6, Some(6)));
        assert_eq!(r.actions.get("read"), Some(&6));
        assert_eq!(r.unsealed_entries, 6);
        let first: serde_json::Value =
            serde_json::from_slice(&std::fs::read(entry_file(tmp.path(), 1)).unwrap()).unwrap();
        assert_eq!(first["prev"], "0".repeat(64));
        assert_eq!(first["log"], LOG_FORMAT);

        // An altered entry: still JSON, another detail. The next entry's prev names it.
        let path = entry_file(tmp.path(), 3);
        let original = std::fs::read(&path).unwrap();
        let altered = String::from_utf8(original.clone())
            .unwrap()
            .replace("read 2", "read 9");
        std::fs::write(&path, altered).unwrap();
        let r = log.verify(&tokens, &policy).await.unwrap();
        assert_eq!(kinds_at(&r), vec![("broken_chain", Some(3))]);
        assert!(
            r.findings[0].message.contains("entry 3"),
            "{:?}",
            r.findings
        );
        std::fs::write(&path, &original).unwrap();

        // Garbage bytes: malformed, and the chain breaks there too. Never a panic.
        std::fs::write(&path, b"\xff{\"seq\":").unwrap();
        let r = log.verify(&tokens, &policy).await.unwrap();
        assert_eq!(
            kinds_at(&r),
            vec![("malformed", Some(3)), ("broken_chain", Some(3))]
        );
        std::fs::write(&path, &original).unwrap();

        // Reordered: entries 4 and 5 swapped.
        let (p4, p5) = (entry_file(tmp.path(), 4), entry_file(tmp.path(), 5));
        let (b4, b5) = (std::fs::read(&p4).unwrap(), std::fs::read(&p5).unwrap());
        std::fs::write(&p4, &b5).unwrap();
        std::fs::write(&p5, &b4).unwrap();
        let r = log.verify(&tokens, &policy).await.unwrap();
        let found = kinds_at(&r);
        assert!(found.contains(&("wrong_seq", Some(4))), "{found:?}");
        assert!(found.contains(&("wrong_seq", Some(5))), "{found:?}");
        assert!(found.contains(&("broken_chain", Some(3))), "{found:?}");
        assert!(found.contains(&("time_reversed", Some(5))), "{found:?}");
        std::fs::write(&p4, &b4).unwrap();
        std::fs::write(&p5, &b5).unwrap();
        assert!(log.verify(&tokens, &policy).await.unwrap().intact);

        // Deleted.
        std::fs::remove_file(entry_file(tmp.path(), 2)).unwrap();
        let r = log.verify(&tokens, &policy).await.unwrap();
        assert_eq!(kinds_at(&r), vec![("missing", Some(2))]);
        assert_eq!(r.entries, 5);

        // Oversized: refused when read, reported.
        std::fs::write(&path, vec![b' '; 70 * 1024]).unwrap();
        let r = log.verify(&tokens, &policy).await.unwrap();
        assert!(
            kinds_at(&r).contains(&("unreadable", Some(3))),
            "{:?}",
            r.findings
        );
    }

    #[tokio::test]
    async fn a_node_far_behind_catches_up_in_one_step() {
        let tmp = tempfile::tempdir().unwrap();
        let clock = Arc::new(FixedClock::new(t0()));
        let event = |who: &str| AuditEvent::new(who, AuditAction::Read, None, "x");
        let quiet = AuditLog::new(open(tmp.path()), clock.clone());
        assert_eq!(quiet.append(event("quiet")).await.unwrap(), 1);
        // Another node appends more than the old step-by-step retry allowed (256).
        let busy = AuditLog::new(open(tmp.path()), clock.clone());
        for _ in 0..300 {
            busy.append(event("busy")).await.unwrap();
        }
        // The quiet node's cached head says 1; its next entry still lands, at the end.
        assert_eq!(quiet.append(event("quiet")).await.unwrap(), 302);
        assert_intact(tmp.path(), clock, 302).await;
    }

    #[tokio::test]
    async fn concurrent_appends_from_several_nodes_never_fork() {
        let tmp = tempfile::tempdir().unwrap();
        let clock = Arc::new(FixedClock::new(t0()));
        // Each node has its own head cache, as separate processes on one bucket would.
        let mut tasks = Vec::new();
        for node in 0..4 {
            let log = AuditLog::new(open(tmp.path()), clock.clone());
            for task in 0..3 {
                let log = log.clone();
                tasks.push(tokio::spawn(async move {
                    let mut seqs = Vec::new();
                    for i in 0..10 {
                        let e = AuditEvent::new(
                            format!("node{node}"),
                            AuditAction::Ingest,
                            None,
                            format!("{task}/{i}"),
                        );
                        seqs.push(log.append(e).await.unwrap());
                    }
                    seqs
                }));
            }
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all.sort_unstable();
        let n = all.len() as u64;
        assert_eq!(all, (1..=n).collect::<Vec<_>>(), "every seq exactly once");
        assert_intact(tmp.path(), clock, n).await;
    }

    #[tokio::test]
    async fn a_seal_stopped_before_its_segment_is_archived_is_pending_not_damage() {
        let tmp = tempfile::tempdir().unwrap();
        let (log, _clock) = log_with(tmp.path(), 3).await;
        let mut run = Vec::new();
        for seq in 1..=3 {
            run.push(log.store.get_audit_entry(seq).await.unwrap());
        }
        let marker = |first: u64, last: u64| Marker {
            log: LOG_FORMAT.into(),
            first,
            last,
            record: BlobRef::of(&segment_bytes(&run[first as usize - 1..last as usize])).hex(),
        };
        // What `seal` leaves when it stops after claiming a range: the marker, no segment.
        let (older, newest) = (marker(1, 2), marker(3, 3));
        for m in [&older, &newest] {
            let json = Bytes::from(serde_json::to_vec(m).unwrap());
            log.store.create_audit_marker(m.first, json).await.unwrap();
        }
        // Only the newest segment can be one a seal is still to archive; an older one missing
        // is damage.
        let r = log.check_fixity().await.unwrap();
        assert_eq!(kinds_at(&r), vec![("segment", Some(1))], "{:?}", r.findings);
        assert_eq!(r.segments[1].verdict, "PENDING", "{:?}", r.segments);

        log.complete_segment(&older).await.unwrap();
        let r = log.check_fixity().await.unwrap();
        assert!(r.intact, "{:?}", r.findings);
        let verdicts: Vec<&str> = r.segments.iter().map(|s| s.verdict.as_str()).collect();
        assert_eq!(verdicts, ["NOT_JUDGED", "PENDING"]);
        let (tokens, policy) = no_trust();
        let r = log.verify(&tokens, &policy).await.unwrap();
        assert!(r.intact, "{:?}", r.findings);
        assert_eq!(r.segments[1].verdict, "PENDING", "{:?}", r.segments);

        // The next seal archives it (`seal` starts with this), and the file holds the entries.
        log.complete_segment(&newest).await.unwrap();
        let r = log.check_fixity().await.unwrap();
        assert!(r.intact, "{:?}", r.findings);
        assert!(r.segments.iter().all(|s| s.verdict == "NOT_JUDGED"));
        std::fs::write(entry_file(tmp.path(), 3), b"{}").unwrap();
        let r = log.check_fixity().await.unwrap();
        assert!(
            kinds_at(&r).contains(&("sealed_copy_differs", Some(3))),
            "{:?}",
            r.findings
        );

        // A newest marker its entries do not make (planted, or the entries changed since) is
        // no seal to finish either: the next seal could not archive it.
        let tmp = tempfile::tempdir().unwrap();
        let (log, _clock) = log_with(tmp.path(), 2).await;
        let planted = Marker {
            log: LOG_FORMAT.into(),
            first: 1,
            last: 2,
            record: "ab".repeat(32),
        };
        let json = Bytes::from(serde_json::to_vec(&planted).unwrap());
        log.store.create_audit_marker(1, json).await.unwrap();
        let r = log.check_fixity().await.unwrap();
        assert_eq!(kinds_at(&r), vec![("segment", Some(1))], "{:?}", r.findings);
    }

    #[tokio::test]
    async fn sealed_segments_verify_and_keep_a_copy() {
        let tmp = tempfile::tempdir().unwrap();
        let tsa_dir = tmp.path().join("tsa");
        let clock = Arc::new(FixedClock::new(t0()));
        stele_tsp::tsa_init(
            &tsa_dir,
            &TsaInitOptions {
                common_name: "Audit Log Test TSA".into(),
                not_before: t0() - Duration::days(1),
                not_after: t0() + Duration::days(3650),
                root_not_after: None,
            },
            clock.as_ref(),
        )
        .unwrap();
        let tsa = LocalTsa::open(&tsa_dir, clock.clone()).unwrap();
        let tokens = TokenChecker::trusting(vec![tsa.root_certificate().clone()]);
        let stamper: Arc<dyn TimeStamper + Send + Sync> = Arc::new(tsa);
        let policy = AlgorithmPolicy::default();
        let store_dir = tmp.path().join("store");
        let log = AuditLog::new(open(&store_dir), clock.clone());
        for i in 0..4 {
            clock.advance(Duration::seconds(1));
            log.append(event(i)).await.unwrap();
        }
        let settings = SealSettings::default();
        let holder = JobHolder::named("test");
        let out = log
            .seal(stamper.clone(), &settings, &holder, true)
            .await
            .unwrap();
        assert_eq!(out.segments.len(), 1);
        assert_eq!(out.segmented_through, Some(4));
        assert!(matches!(out.seal, SealOutcome::Sealed { records: 1, .. }));
        // Nothing new: no segment, nothing to seal.
        let again = log
            .seal(stamper.clone(), &settings, &holder, true)
            .await
            .unwrap();
        assert!(again.segments.is_empty());
        assert_eq!(again.seal, SealOutcome::NothingPending);

        for i in 4..6 {
            clock.advance(Duration::seconds(1));
            log.append(event(i)).await.unwrap();
        }
        let r = log.verify(&tokens, &policy).await.unwrap();
        assert!(r.intact, "{:?}", r.findings);
        assert_eq!(r.sealed_through, Some(4));
        assert_eq!(r.unsealed_entries, 2);
        assert_eq!(r.segments[0].verdict, "PASSED", "{:?}", r.segments);

        let out = log
            .seal(stamper.clone(), &settings, &holder, true)
            .await
            .unwrap();
        assert_eq!(out.segments, vec![(5, 6, out.segments[0].2.clone())]);
        // A fresh process finds the head after the newest segment.
        let fresh = AuditLog::new(open(&store_dir), clock.clone());
        assert_eq!(fresh.append(event(6)).await.unwrap(), 7);
        let r = fresh.verify(&tokens, &policy).await.unwrap();
        assert!(r.intact, "{:?}", r.findings);
        assert_eq!(r.sealed_through, Some(6));
        // The archive's own records and seals do not see the log's.
        let main = open(&store_dir);
        assert!(main.list_seals().await.unwrap().is_empty());

        // An altered sealed entry is named by its sealed copy, even the newest one sealed.
        let path = entry_file(&store_dir, 6);
        let altered = String::from_utf8(std::fs::read(&path).unwrap())
            .unwrap()
            .replace("read 5", "read 0");
        std::fs::write(&path, altered).unwrap();
        let r = fresh.verify(&tokens, &policy).await.unwrap();
        let found = kinds_at(&r);
        assert!(
            found.contains(&("sealed_copy_differs", Some(6))),
            "{found:?}"
        );
        assert!(found.contains(&("broken_chain", Some(6))), "{found:?}");

        // The newest segment's record lost after it was sealed is damage, not a seal to finish.
        let newest = &out.segments[0].2;
        std::fs::remove_file(
            store_dir.join(format!("audit-log/archive/records/{newest}/manifest.json")),
        )
        .unwrap();
        let r = fresh.verify(&tokens, &policy).await.unwrap();
        assert!(
            kinds_at(&r).contains(&("segment", Some(5))),
            "{:?}",
            r.findings
        );
        assert_eq!(r.segments[1].verdict, "FAILED", "{:?}", r.segments);
    }
}
