//! RFC 4998 §2.1 / §4.1 ASN.1 types, one Rust type per ASN.1 type.
//!
//! ```text
//! EvidenceRecord ::= SEQUENCE {
//!     version                   INTEGER { v1(1) } ,
//!     digestAlgorithms          SEQUENCE OF AlgorithmIdentifier,
//!     cryptoInfos               [0] CryptoInfos OPTIONAL,
//!     encryptionInfo            [1] EncryptionInfo OPTIONAL,
//!     archiveTimeStampSequence  ArchiveTimeStampSequence }
//! CryptoInfos ::= SEQUENCE SIZE (1..MAX) OF Attribute
//! EncryptionInfo ::= SEQUENCE {
//!     encryptionInfoType     OBJECT IDENTIFIER,
//!     encryptionInfoValue    ANY DEFINED BY encryptionInfoType }
//! ArchiveTimeStampSequence ::= SEQUENCE OF ArchiveTimeStampChain
//! ArchiveTimeStampChain    ::= SEQUENCE OF ArchiveTimeStamp
//! ArchiveTimeStamp ::= SEQUENCE {
//!     digestAlgorithm [0] AlgorithmIdentifier OPTIONAL,
//!     attributes      [1] Attributes OPTIONAL,
//!     reducedHashtree [2] SEQUENCE OF PartialHashtree OPTIONAL,
//!     timeStamp       ContentInfo }
//! PartialHashtree ::= SEQUENCE OF OCTET STRING
//! Attributes ::= SET SIZE (1..MAX) OF Attribute
//! ```
//!
//! The module is `DEFINITIONS IMPLICIT TAGS`, so every context tag above is IMPLICIT.
//!
//! SET OF values are kept in the order they were read (not via `SetOfVec`, which re-sorts and
//! rejects duplicates): an evidence record must re-encode to exactly the bytes that were hashed
//! by the next chain's hash-tree renewal.

use cms::content_info::ContentInfo;
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Any, DecodeValue, EncodeValue, FixedTag, Header, Length, Reader, Sequence, Tag, Writer};
use spki::AlgorithmIdentifierOwned;

/// `id-signedData`: the only content type an RFC 3161 token can have.
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");

/// RFC 4998 `EvidenceRecord`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EvidenceRecord {
    /// Always 1 (`v1`); [`EvidenceRecord::from_ber`] rejects anything else.
    pub version: u8,
    pub digest_algorithms: Vec<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub crypto_infos: Option<CryptoInfos>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub encryption_info: Option<EncryptionInfo>,
    pub archive_time_stamp_sequence: ArchiveTimeStampSequence,
}

/// RFC 4998 `CryptoInfos`: certificates, CRLs, OCSP responses kept for later verification.
pub type CryptoInfos = Vec<Attribute>;

/// RFC 4998 `EncryptionInfo`: how the archived data was encrypted, if it was.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EncryptionInfo {
    pub encryption_info_type: ObjectIdentifier,
    pub encryption_info_value: Any,
}

/// RFC 4998 `ArchiveTimeStampSequence`: the chains, oldest first.
pub type ArchiveTimeStampSequence = Vec<ArchiveTimeStampChain>;

/// RFC 4998 `ArchiveTimeStampChain`: archive timestamps of one hash algorithm, oldest first.
pub type ArchiveTimeStampChain = Vec<ArchiveTimeStamp>;

/// RFC 4998 `PartialHashtree`: one list of hash values of a reduced hash tree.
pub type PartialHashtree = Vec<OctetString>;

/// RFC 4998 `ArchiveTimeStamp`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct ArchiveTimeStamp {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub digest_algorithm: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub attributes: Option<Attributes>,
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT", optional = "true")]
    pub reduced_hashtree: Option<Vec<PartialHashtree>>,
    /// The RFC 3161 TimeStampToken (a CMS `ContentInfo` holding `SignedData`).
    pub time_stamp: ContentInfo,
}

/// RFC 4998 `Attributes` (SET OF Attribute), in the order read. Always IMPLICIT-tagged `[1]`
/// where it appears, so its universal tag never reaches the wire.
pub type Attributes = Vec<Attribute>;

/// X.501 `Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET OF ANY }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct Attribute {
    pub attr_type: ObjectIdentifier,
    pub attr_values: AttributeValues,
}

/// `SET OF AttributeValue`, kept in input order (see the module note).
#[derive(Clone, Debug, Default, Eq, PartialEq)]
pub struct AttributeValues(pub Vec<Any>);

impl FixedTag for AttributeValues {
    const TAG: Tag = Tag::Set;
}

impl<'a> DecodeValue<'a> for AttributeValues {
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        Vec::<Any>::decode_value(reader, header).map(Self)
    }
}

impl EncodeValue for AttributeValues {
    fn value_len(&self) -> der::Result<Length> {
        self.0.value_len()
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.0.encode_value(writer)
    }
}
