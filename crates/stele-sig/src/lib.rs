//! Signed documents: what a PDF or CMS file says about its signatures, read from untrusted bytes.
//!
//! This is the reading half of signature validation. It finds every signature and document
//! timestamp in a PDF ([`PdfSignatures`]), checks that each `/ByteRange` has the only shape a
//! signature can honestly have ([`ByteRange`]), opens the CMS inside ([`SignedDataParts`]) and
//! finds the RFC 4998 evidence records a signer carries as unsigned attributes
//! ([`embedded_evidence_records`]). Judging the signatures (digests, certificate paths at a time)
//! builds on these values.
//!
//! ```text
//! PdfSignatures::extract(pdf)              every /FT /Sig field with a /V: names, /SubFilter, ByteRange
//! SignedDataParts::from_ber(contents)      the CMS SignedData in /Contents (BER, zero-padded)
//! embedded_evidence_records(&parts)        id-aa-er-internal / id-aa-er-external attributes
//! verify_signer(&parts, i, content)        one signer's digest, signature, references, timestamps
//! ```
//!
//! Pure: bytes in, values out. Nothing here prints, reads the environment or panics on input.

pub mod cms;
pub mod document;
pub mod pdf;
pub mod report;
mod subject;
pub mod verify;

pub use crate::cms::{
    adobe_revocation_info, embedded_evidence_records, AdobeRevocationInfo, CmsError,
    EmbeddedEvidenceRecord, EvidenceRecordAttribute, SignedDataParts, ID_AA_ER_EXTERNAL,
    ID_AA_ER_INTERNAL, ID_ADBE_REVOCATION_INFO_ARCHIVAL, ID_PKIX_OCSP_BASIC, ID_RI_OCSP_RESPONSE,
    MAX_CMS_LEN, MAX_REVOCATION_VALUES,
};
pub use crate::document::{CheckError, SignatureValidator};
pub use crate::pdf::{
    ByteRange, ByteRangeError, Change, ChangeKind, ContentsError, DocMdp, DocMdpPermissions, Dss,
    DssEntry, DssMaterial, DssProblem, FieldLock, FieldLockAction, ModificationError,
    ModificationVerdict, Modifications, PdfError, PdfLimits, PdfSignature, PdfSignatures,
    SignatureDictType, Vri, DEFAULT_MAX_FILE_LEN,
};
pub use crate::report::{
    AlgorithmReport, CertificateSummary, DocumentFormat, DocumentReport, HolderKind, Indication,
    MaterialItem, PdfCoverage, RevocationReport, SignatureKind, SignatureReport, SignerIdentity,
    SubIndication, TimestampReport, ValidationMaterial,
};
pub use crate::subject::{certificate_holder, holder_name};
pub use crate::verify::{
    verify_signer, verify_signer_with, AlgorithmStatus, AlgorithmUse, AttributeCheck,
    ClaimedSigningTime, ContentOutcome, SignatureCheck, SignatureTimestamp,
    SignerCertificateOutcome, SignerStatus, SignerVerification, SigningCertificateRef,
};
