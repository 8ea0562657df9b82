//! What evidence-record verification needs from a time-stamp verifier.
//!
//! `stele-ers` never parses CMS signatures or walks certificate paths itself: that is
//! `stele-tsp`'s and `stele-pki`'s work. It hands each archive timestamp's token to a
//! [`TimeStampVerifier`] and gets back the facts it needs (imprint, genTime) and two separate
//! judgements: is the token intact, and is its TSA trusted at the time that matters.

use stele_asn1::DigestAlgorithm;
use time::OffsetDateTime;

/// The contents of a token that evidence-record verification relies on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenFacts {
    pub gen_time: OffsetDateTime,
    pub imprint_algorithm: DigestAlgorithm,
    pub imprint: Vec<u8>,
    /// TSA subject (from the signer certificate, else the TSTInfo `tsa` field), for reports.
    pub tsa: Option<String>,
    /// Serial number of the token, hex, for reports.
    pub serial: Option<String>,
}

/// Whether the TSA that signed a token is trusted at the time asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenTrust {
    /// The signer certificate chains to a trust anchor and was valid at the time asked.
    Trusted { anchor: String },
    /// The caller asked not to evaluate TSA trust.
    NotEvaluated,
    /// Trust could not be established (no anchor reached, certificate missing, expired or not
    /// yet valid at the time asked). The verdict becomes indeterminate, not invalid.
    Untrusted { reason: String },
}

/// Whether a token is what its TSA signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenIntegrity {
    Intact,
    Broken(String),
    /// The signature could not be checked (many real tokens carry no TSA certificate). Not a
    /// failure by itself; trust evaluation then cannot succeed.
    Unchecked(String),
    /// The token could not be parsed at all (reports only; a verifier returns `Err` instead).
    Unreadable(String),
}

impl TokenIntegrity {
    pub const fn as_str(&self) -> &'static str {
        match self {
            TokenIntegrity::Intact => "INTACT",
            TokenIntegrity::Broken(_) => "BROKEN",
            TokenIntegrity::Unchecked(_) => "UNCHECKED",
            TokenIntegrity::Unreadable(_) => "UNREADABLE",
        }
    }
}

/// One token's check, as returned by a [`TimeStampVerifier`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenCheck {
    pub facts: TokenFacts,
    /// Broken when its signature, its messageDigest or its binding to the signer certificate
    /// fail (the ER is invalid); Unchecked when the signer certificate is not available.
    pub integrity: TokenIntegrity,
    pub trust: TokenTrust,
}

/// Checks RFC 3161 time-stamp tokens for evidence-record verification.
pub trait TimeStampVerifier: Sync {
    /// `token_der` is the DER `ContentInfo` stored in an ArchiveTimeStamp. `valid_at` is the time
    /// at which the token's TSA must still have been trustworthy: the genTime of the archive
    /// timestamp that renewed it, or the verification time for the newest one.
    ///
    /// `Err` means the token could not even be read (no TSTInfo, garbage): the ER is invalid.
    fn check(&self, token_der: &[u8], valid_at: OffsetDateTime) -> Result<TokenCheck, String>;
}
