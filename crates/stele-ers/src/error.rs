//! Errors of reading, building and renewing evidence records. Verification never returns an
//! error: its findings are part of [`crate::ErsVerification`].

use stele_asn1::BerError;

/// Why an evidence record could not be read, built or renewed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErsError {
    #[error("the evidence record is {len} bytes, more than the {max} accepted")]
    TooLarge { len: usize, max: usize },
    #[error("not an evidence record: the bytes are not valid BER/DER ({0})")]
    Ber(#[from] BerError),
    #[error("not an RFC 4998 evidence record: {0}")]
    NotEvidenceRecord(String),
    #[error("unsupported evidence record version {0} (only v1 exists)")]
    UnsupportedVersion(u8),
    #[error("the evidence record has no archive timestamp chain")]
    NoChains,
    #[error("archive timestamp chain {0} is empty")]
    EmptyChain(usize),
    #[error("archive timestamp {ats} of chain {chain} does not hold a CMS SignedData token")]
    NotAToken { chain: usize, ats: usize },
    #[error("cannot encode: {0}")]
    Encode(String),
    #[error("unsupported digest algorithm {0}")]
    UnsupportedAlgorithm(String),
    #[error("a hash is {got} bytes long, {algorithm} hashes are {expected}")]
    HashLength {
        algorithm: stele_asn1::DigestAlgorithm,
        expected: usize,
        got: usize,
    },
    #[error("not a time-stamp token: {0}")]
    BadToken(String),
    #[error("{0}")]
    Renewal(String),
    #[error("XML evidence record: {0}")]
    Xml(String),
    #[error("unsupported XML evidence record: {0}")]
    XmlUnsupported(String),
    #[error(transparent)]
    HashTree(#[from] crate::hashtree::HashTreeError),
}

impl From<der::Error> for ErsError {
    fn from(e: der::Error) -> Self {
        ErsError::NotEvidenceRecord(e.to_string())
    }
}
