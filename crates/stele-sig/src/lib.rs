//! Signed documents: what a PDF or CMS file says about its signatures, and whether each holds.
//!
//! Reading: every signature and document timestamp in a PDF ([`PdfSignatures`]), each
//! `/ByteRange` held to the only shape an honest signature has ([`ByteRange`]), what was
//! appended after each signed revision ([`PdfSignatures::modifications`]) and the DSS; the CMS
//! inside ([`SignedDataParts`]), its revocation data (RFC 5940, adbe-revocationInfoArchival) and
//! embedded RFC 4998 evidence records ([`embedded_evidence_records`]). Judging: one signer's
//! cryptography ([`verify_signer`]), then [`SignatureValidator`], which adds the proven time,
//! the certificate path and revocation at that time (stele-pki) and the algorithm policy, and
//! writes one [`SignatureReport`] per signature.
//!
//! ```text
//! PdfSignatures::read(pdf, limits)         every /FT /Sig field with a /V: names, /SubFilter, ByteRange
//! SignedDataParts::from_ber(contents)      the CMS SignedData in /Contents (BER, zero-padded)
//! verify_signer(&parts, i, content)        one signer's digest, signature, references, timestamps
//! SignatureValidator::check(bytes, …, t)   a DocumentReport: every signature's verdict and material
//! ```
//!
//! Pure: bytes in, values out (the optional revocation fetcher is the one door to the network).
//! Nothing here prints, reads the environment or panics on input.

pub mod cms;
pub mod document;
pub mod pdf;
pub mod report;
mod subject;
pub mod text;
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
pub use crate::text::{extract_text, ExtractedText, TextError, TextLimit, TextLimits};
pub use crate::verify::{
    verify_signer, verify_signer_with, AlgorithmStatus, AlgorithmUse, AttributeCheck,
    ClaimedSigningTime, ContentOutcome, SignatureCheck, SignatureTimestamp,
    SignerCertificateOutcome, SignerStatus, SignerVerification, SigningCertificateRef,
};
