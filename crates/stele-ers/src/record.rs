//! Reading and writing whole evidence records, and the accessors verification and renewal share.

use crate::asn1::{ArchiveTimeStamp, ArchiveTimeStampChain, EvidenceRecord, ID_SIGNED_DATA};
use crate::hashtree::ReducedHashTree;
use crate::ErsError;
use cms::content_info::ContentInfo;
use der::{Decode, Encode, Header, Length, Tag};
use spki::AlgorithmIdentifierOwned;
use stele_asn1::DigestAlgorithm;

/// Largest evidence record accepted. Real ones are a few kilobytes per archive timestamp; this
/// leaves room for decades of renewals and still bounds what untrusted input can allocate.
pub const MAX_EVIDENCE_RECORD_LEN: usize = 64 << 20;

/// Most archive timestamps accepted in one record. A renewal every year for a millennium fits;
/// the bound keeps hostile input from asking for millions of token checks.
pub const MAX_ARCHIVE_TIMESTAMPS: usize = 1000;

/// The two syntaxes of an evidence record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErFormat {
    /// RFC 4998 ASN.1 (DER, BER accepted).
    Asn1,
    /// RFC 6283 XML.
    Xml,
}

impl ErFormat {
    /// `RFC4998` or `RFC6283`, as reports name them.
    pub const fn name(self) -> &'static str {
        match self {
            ErFormat::Asn1 => "RFC4998",
            ErFormat::Xml => "RFC6283",
        }
    }
}

/// XML starts with `<` (after an optional byte-order mark and white space); ASN.1 never does,
/// since 0x3c would be a primitive UNIVERSAL 28 where an evidence record needs a SEQUENCE.
pub fn detect_format(bytes: &[u8]) -> ErFormat {
    let b = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match b.iter().find(|c| !c.is_ascii_whitespace()) {
        Some(b'<') => ErFormat::Xml,
        _ => ErFormat::Asn1,
    }
}

pub(crate) fn alg_id(alg: DigestAlgorithm) -> AlgorithmIdentifierOwned {
    // NULL parameters, as Bouncy Castle, EU DSS and the BSI tool write them: BC compares the
    // AlgorithmIdentifiers of a chain, and RFC 5754 §2 makes readers accept NULL or absent.
    AlgorithmIdentifierOwned {
        oid: alg.oid(),
        parameters: Some(der::Any::null()),
    }
}

/// Reads a time-stamp token (CMS ContentInfo, BER or DER, zero padding allowed) into the form
/// an ArchiveTimeStamp stores.
pub(crate) fn parse_token(token: &[u8]) -> Result<ContentInfo, ErsError> {
    let der = stele_asn1::to_der(
        stele_asn1::strip_padding(token).map_err(|e| ErsError::BadToken(e.to_string()))?,
    )
    .map_err(|e| ErsError::BadToken(e.to_string()))?;
    let ci = ContentInfo::from_der(&der).map_err(|e| ErsError::BadToken(e.to_string()))?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(ErsError::BadToken(format!(
            "content type {} is not id-signedData",
            ci.content_type
        )));
    }
    Ok(ci)
}

impl EvidenceRecord {
    /// Reads an ASN.1 evidence record. BER (indefinite lengths, constructed strings, long-form
    /// lengths) is normalised to DER first and zero padding after it is ignored, so the result
    /// always re-encodes ([`EvidenceRecord::to_der`]) to the DER the hashes were made over;
    /// for DER input that is the input itself.
    pub fn from_ber(bytes: &[u8]) -> Result<Self, ErsError> {
        if bytes.len() > MAX_EVIDENCE_RECORD_LEN {
            return Err(ErsError::TooLarge {
                len: bytes.len(),
                max: MAX_EVIDENCE_RECORD_LEN,
            });
        }
        let der = stele_asn1::to_der(stele_asn1::strip_padding(bytes)?)?;
        let er = <Self as Decode>::from_der(&der)?;
        // The `der` derive skips unknown lower-numbered context fields; insisting on an exact
        // re-encoding turns that (and any other silent loss) into an error.
        if Encode::to_der(&er)? != der {
            return Err(ErsError::NotEvidenceRecord(
                "fields out of order or not defined by RFC 4998".into(),
            ));
        }
        er.validate_structure()?;
        Ok(er)
    }

    /// Reads an evidence record of either syntax ([`detect_format`]). XML records are mapped
    /// onto the ASN.1 types (see [`crate::xml`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ErsError> {
        match detect_format(bytes) {
            ErFormat::Asn1 => Self::from_ber(bytes),
            ErFormat::Xml => crate::xml::from_xml(bytes),
        }
    }

    /// DER encoding.
    pub fn to_der(&self) -> Result<Vec<u8>, ErsError> {
        Encode::to_der(self).map_err(|e| ErsError::Encode(e.to_string()))
    }

    /// What RFC 4998 requires beyond the syntax: version 1, at least one chain, no empty
    /// chain, and a SignedData token in every archive timestamp; and at most
    /// [`MAX_ARCHIVE_TIMESTAMPS`].
    pub fn validate_structure(&self) -> Result<(), ErsError> {
        if self.version != 1 {
            return Err(ErsError::UnsupportedVersion(self.version));
        }
        let n = self.archive_time_stamp_count();
        if n > MAX_ARCHIVE_TIMESTAMPS {
            return Err(ErsError::NotEvidenceRecord(format!(
                "{n} archive timestamps, more than the {MAX_ARCHIVE_TIMESTAMPS} accepted"
            )));
        }
        if self.archive_time_stamp_sequence.is_empty() {
            return Err(ErsError::NoChains);
        }
        for (c, chain) in self.archive_time_stamp_sequence.iter().enumerate() {
            if chain.is_empty() {
                return Err(ErsError::EmptyChain(c));
            }
            for (i, ats) in chain.iter().enumerate() {
                if ats.time_stamp.content_type != ID_SIGNED_DATA {
                    return Err(ErsError::NotAToken { chain: c, ats: i });
                }
            }
        }
        Ok(())
    }

    /// The chains, oldest first.
    pub fn chains(&self) -> &[ArchiveTimeStampChain] {
        &self.archive_time_stamp_sequence
    }

    /// Number of archive timestamps in all chains.
    pub fn archive_time_stamp_count(&self) -> usize {
        self.archive_time_stamp_sequence.iter().map(Vec::len).sum()
    }

    /// The algorithm a chain declares (first `digestAlgorithm` field present in it), if any.
    /// Chains written without the field (EU DSS) take the token's imprint algorithm, which only
    /// a [`crate::TimeStampVerifier`] can read.
    pub fn chain_algorithm(&self, chain: usize) -> Option<DigestAlgorithm> {
        self.archive_time_stamp_sequence
            .get(chain)?
            .iter()
            .find_map(|a| a.declared_algorithm().ok().flatten())
    }

    /// Every algorithm the record names (its `digestAlgorithms` and the ATS fields) that Stele
    /// knows, so a caller can hash large data objects once per algorithm before verifying.
    pub fn algorithms(&self) -> Vec<DigestAlgorithm> {
        let mut out: Vec<DigestAlgorithm> = Vec::new();
        let named = self.digest_algorithms.iter().map(|a| a.oid).chain(
            self.archive_time_stamp_sequence
                .iter()
                .flatten()
                .filter_map(|a| a.digest_algorithm.as_ref().map(|a| a.oid)),
        );
        for oid in named {
            if let Ok(a) = DigestAlgorithm::from_oid(&oid) {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        out
    }

    /// DER of the `ArchiveTimeStampSequence` made of the first `chains` chains: what a
    /// hash-tree renewal starting chain `chains` covers (RFC 4998 §5.2 step c).
    pub fn sequence_der(&self, chains: usize) -> Result<Vec<u8>, ErsError> {
        let parts = self
            .archive_time_stamp_sequence
            .iter()
            .take(chains)
            .map(Encode::to_der)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ErsError::Encode(e.to_string()))?;
        let len: usize = parts.iter().map(Vec::len).sum();
        let header = Header::new(
            Tag::Sequence,
            Length::try_from(len).map_err(|e| ErsError::Encode(e.to_string()))?,
        )
        .and_then(|h| h.to_der())
        .map_err(|e| ErsError::Encode(e.to_string()))?;
        let mut out = Vec::with_capacity(header.len() + len);
        out.extend_from_slice(&header);
        for p in parts {
            out.extend_from_slice(&p);
        }
        Ok(out)
    }
}

impl ArchiveTimeStamp {
    /// Assembles an archive timestamp from a reduced hash tree (empty: none) and the token the
    /// caller obtained from a TSA for the tree's root. The token is not checked here; verify the
    /// finished evidence record.
    pub fn new(
        alg: DigestAlgorithm,
        reduced: &ReducedHashTree,
        token: &[u8],
    ) -> Result<Self, ErsError> {
        Ok(ArchiveTimeStamp {
            digest_algorithm: Some(alg_id(alg)),
            attributes: None,
            reduced_hashtree: reduced.to_asn1(),
            time_stamp: parse_token(token)?,
        })
    }

    /// The `digestAlgorithm` field: `Ok(None)` when absent, `Err` when Stele does not know it.
    pub fn declared_algorithm(&self) -> Result<Option<DigestAlgorithm>, ErsError> {
        match &self.digest_algorithm {
            None => Ok(None),
            Some(a) => DigestAlgorithm::from_oid(&a.oid)
                .map(Some)
                .map_err(|e| ErsError::UnsupportedAlgorithm(e.0)),
        }
    }

    /// DER of the `timeStamp` field: the token handed to the verifier, and what a timestamp
    /// renewal hashes (RFC 4998 §5.2).
    pub fn time_stamp_der(&self) -> Result<Vec<u8>, ErsError> {
        Encode::to_der(&self.time_stamp).map_err(|e| ErsError::Encode(e.to_string()))
    }
}
