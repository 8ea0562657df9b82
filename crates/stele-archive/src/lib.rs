//! Stele's service layer: ingest signed records into the store, seal them in batches under one
//! timestamp, renew their evidence every night, and verify any record at any date.

pub mod audit;
pub mod audit_log;
pub mod batch;
mod certs;
pub mod config;
pub mod epoch;
pub mod evidence;
mod files;
pub mod indexing;
pub mod ingest;
pub mod lease;
pub mod longterm;
pub mod metadata;
pub mod renewal;
pub mod report_html;
mod seal;
pub mod sealing;
pub mod stats;
mod timestamper;
mod token_checker;
pub mod verification_code;

pub use audit::{audit_evidence, EvidenceAudit, EvidenceFinding};
pub use audit_log::{
    AuditAction, AuditEntry, AuditEvent, AuditLog, AuditLogError, AuditLogFinding, AuditLogReport,
    LogSealOutcome, SegmentCheck,
};
pub use batch::{BatchKind, SealBatch};
pub use certs::{read_certificates, CertificateFileError};
pub use epoch::RenewalEpoch;
pub use evidence::{EvidenceError, EvidenceIndex, RecordDigests};
pub use files::{digest_file, write_atomically};
pub use indexing::{
    document_text, index_records, indexed_record, record_text, reindex, IndexedOutcome,
    IndexingError, IndexingReport, ReindexMode, ReindexSettings,
};
pub use ingest::{Archive, IngestError, IngestOutcome, IngestPolicy, RecordManifest, Submission};
pub use lease::JobHolder;
pub use longterm::{
    LongTermVerifier, RecordVerdict, RecordVerification, VerifiedRecord, VerifyError, NOT_SEALED,
};
pub use metadata::{AccessMode, Confidentiality, MetadataError, RecordMetadata, Retention};
pub use renewal::{plan, renew, RenewalPlan, RenewalReport, RenewalRun, RenewalSettings};
pub use seal::{seal_groups, SealError, SealedBatch};
pub use sealing::{seal_pending, SealOutcome, SealSettings};
pub use stats::{
    collect_facts, Dimension, Lang, RateRow, RecordFacts, SigningRates, StatsError, StatsFilter,
    YearMonth,
};
pub use timestamper::{TimeStamper, TimeStamperError};
pub use token_checker::TokenChecker;
pub use verification_code::{VerificationCodeError, VerificationCodes};

/// RFC 3339 in UTC, whole seconds: how reports write times.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}
