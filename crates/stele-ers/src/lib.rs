//! RFC 4998 evidence records: the ASN.1 types, hash trees and reduced hash trees, timestamp and
//! hash-tree renewal, and verification; RFC 6283 XML records where no canonicalisation is needed.
//!
//! Pure: bytes in, values out. Time-stamp tokens are judged by a [`TimeStampVerifier`] the caller
//! supplies; requests to a TSA are the caller's too (see [`renewal`]).
//!
//! ```text
//! read     EvidenceRecord::from_bytes(file)            (ASN.1 BER/DER or XML, detected)
//! seal     HashTree::build(alg, leaves) → tree.imprint() → TSA → ArchiveTimeStamp::new(alg, &tree.reduced(i), token)
//! renew    er.timestamp_renewal_leaf(alg) / er.hash_tree_renewal_leaf(alg, data) → tree → TSA
//!          → er.append_timestamp_renewal(ats) / er.append_hash_tree_renewal(ats)
//! verify   verify(&er, &[DataObject::from_bytes(..)], &verifier, now)
//! ```

pub mod asn1;
mod data;
mod error;
pub mod hashtree;
mod record;
pub mod renewal;
pub mod token;
pub mod verify;
pub mod xml;

pub use asn1::{
    ArchiveTimeStamp, ArchiveTimeStampChain, ArchiveTimeStampSequence, Attribute, AttributeValues,
    Attributes, CryptoInfos, EncryptionInfo, EvidenceRecord, PartialHashtree,
};
pub use data::DataObject;
pub use error::ErsError;
pub use hashtree::{
    HashTree, HashTreeBuilder, HashTreeError, Leaf, ReducedHashTree, ReductionRule,
};
pub use record::{detect_format, ErFormat, MAX_ARCHIVE_TIMESTAMPS, MAX_EVIDENCE_RECORD_LEN};
pub use renewal::Imprint;
pub use token::{TimeStampVerifier, TokenCheck, TokenFacts, TokenIntegrity, TokenTrust};
pub use verify::{
    verify, AtsReport, ChainReport, Check, Coverage, DataObjectReport, ErsVerification,
    FailureCode, Finding, RenewalConcat, Verdict,
};

pub use stele_asn1::DigestAlgorithm;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;
