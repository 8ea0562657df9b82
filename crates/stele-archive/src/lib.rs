//! Stele's service layer. For now: sealing data objects into RFC 4998 evidence records with a
//! time-stamp authority, and verifying evidence records with real RFC 3161 token checks. The
//! archive (ingest, seal batches on object storage, nightly renewal) grows here.

mod certs;
pub mod config;
mod files;
pub mod ingest;
pub mod metadata;
mod seal;
mod timestamper;
mod token_checker;

pub use certs::{read_certificates, CertificateFileError};
pub use files::{digest_file, write_atomically};
pub use ingest::{Archive, IngestError, IngestOutcome, IngestPolicy, RecordManifest, Submission};
pub use metadata::{AccessMode, Confidentiality, MetadataError, RecordMetadata, Retention};
pub use seal::{seal_groups, SealError, SealedBatch};
pub use timestamper::{TimeStamper, TimeStamperError};
pub use token_checker::TokenChecker;
