//! The signature report: one verdict per signature, in the vocabulary of ETSI EN 319 102-1.
//!
//! A report is what Stele keeps and shows about a signature: who signed (and whether as a
//! person or as an organisation), when they claim to have signed and when that is proven, the
//! algorithms, the certificate chain, the revocation evidence relied upon, and a verdict —
//! PASSED, FAILED or INDETERMINATE with a sub-indication — with one sentence a non-specialist
//! can read. Its JSON form is described by `schemas/signature-report.schema.json`.

use serde::Serialize;
use time::OffsetDateTime;

/// The main status indication (ETSI EN 319 102-1 §5.1.3; TOTAL-PASSED / TOTAL-FAILED are
/// written PASSED / FAILED).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Indication {
    Passed,
    Indeterminate,
    Failed,
}

impl Indication {
    /// As written in reports: `PASSED`, `INDETERMINATE`, `FAILED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Indication::Passed => "PASSED",
            Indication::Indeterminate => "INDETERMINATE",
            Indication::Failed => "FAILED",
        }
    }
}

/// Why a signature did not pass (ETSI EN 319 102-1 Table 5), plus one code ETSI lacks:
/// [`SubIndication::ModifiedAfterSigning`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SubIndication {
    // With FAILED.
    FormatFailure,
    HashFailure,
    SigCryptoFailure,
    Revoked,
    Expired,
    NotYetValid,
    /// Stele's own code (FAILED): the signed revision is intact, but the PDF was changed
    /// afterwards in a way a signature does not permit (page content, not only DSS, timestamps,
    /// form fill or annotations). ETSI EN 319 102-1 has no code for this; EU DSS reports it
    /// as a warning, pyHanko as "modified".
    ModifiedAfterSigning,
    // With INDETERMINATE.
    SigConstraintsFailure,
    ChainConstraintsFailure,
    CertificateChainGeneralFailure,
    CryptoConstraintsFailure,
    CryptoConstraintsFailureNoPoe,
    NoSigningCertificateFound,
    NoCertificateChainFound,
    RevokedNoPoe,
    RevokedCaNoPoe,
    OutOfBoundsNoPoe,
    TryLater,
    SignedDataNotFound,
}

impl SubIndication {
    /// The indication this sub-indication belongs to.
    pub fn indication(self) -> Indication {
        use SubIndication::*;
        match self {
            FormatFailure | HashFailure | SigCryptoFailure | Revoked | Expired | NotYetValid
            | ModifiedAfterSigning => Indication::Failed,
            _ => Indication::Indeterminate,
        }
    }
}

/// What kind of signature an entry describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureKind {
    /// A PDF signature field (`/Type /Sig`).
    PdfSignature,
    /// A PAdES document timestamp (`/Type /DocTimeStamp`, `ETSI.RFC3161`).
    PdfDocumentTimestamp,
    /// A signer of a detached CMS signature (`.p7s` with its content).
    CmsDetached,
    /// A signer of an enveloping CMS signature (`.p7m`).
    CmsEnveloping,
    /// A counter-signature of another signer (RFC 5652 §11.4).
    CounterSignature,
    /// A certificate checked on its own (`stele check CERT`): its path, validity, revocation.
    Certificate,
}

/// Whether a certificate belongs to a person or to an organisation (NĐ 30/2020 Điều 5 asks for
/// both on an official document). The rule is in [`crate::subject::certificate_holder`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HolderKind {
    Personal,
    Organisation,
    Undetermined,
}

/// One certificate as a report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateSummary {
    /// RFC 4514 string of the subject.
    pub subject: String,
    /// RFC 4514 string of the issuer.
    pub issuer: String,
    /// The serial number in upper-case hex.
    pub serial: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// Hex SHA-256 of the certificate's DER: how material is referenced.
    pub sha256: String,
    /// The key type and size, e.g. `RSA-2048`, `ECDSA P-256`.
    pub public_key: String,
}

/// The signer's identity and the rule's judgement of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignerIdentity {
    pub certificate: CertificateSummary,
    /// The person's or organisation's name (the subject CN, else O).
    pub name: Option<String>,
    pub holder: HolderKind,
    /// Which part of the rule decided `holder`, for the reader.
    pub holder_reason: String,
}

/// An algorithm and what the algorithm policy said about it at the time that mattered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlgorithmReport {
    /// The OID as dotted decimal.
    pub oid: String,
    /// A short name when known.
    pub name: Option<String>,
    /// `acceptable`, `retired` or `unknown` at `judged_at`.
    pub acceptability: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub judged_at: Option<OffsetDateTime>,
}

/// How one piece of revocation evidence was used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevocationReport {
    /// The certificate it is about (subject, serial).
    pub certificate_subject: String,
    pub certificate_serial: String,
    /// `crl` or `ocsp`.
    pub source: String,
    /// Where it came from: `signature` (embedded), `dss`, `fetched`, `cache`, `supplied`.
    pub origin: String,
    /// thisUpdate (CRL, OCSP single response).
    #[serde(with = "time::serde::rfc3339::option")]
    pub issued: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_update: Option<OffsetDateTime>,
    /// `good`, `revoked`, `revoked_after_signing`.
    pub status: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revocation_time: Option<OffsetDateTime>,
    /// Hex SHA-256 of the CRL or OCSP response DER in [`ValidationMaterial`].
    pub sha256: Option<String>,
}

/// A timestamp over the signature (or, for a document timestamp, the timestamp itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimestampReport {
    #[serde(with = "time::serde::rfc3339::option")]
    pub gen_time: Option<OffsetDateTime>,
    /// The TSA certificate's subject, when found.
    pub tsa: Option<String>,
    /// The token is what the TSA signed and covers this signature (or revision).
    pub intact: bool,
    /// The TSA's certificate path validated to a trust anchor at the validation time.
    pub trusted: bool,
    /// Why it is not used as proof of existence, when it is not.
    pub problem: Option<String>,
}

/// For PDF signatures: what the signature covers and what came after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PdfCoverage {
    /// The signature field's fully qualified name.
    pub field: Option<String>,
    pub sub_filter: Option<String>,
    /// `[0, b, c, d]` as written.
    pub byte_range: Option<[i64; 4]>,
    /// The byte range covers the whole file (nothing was appended).
    pub covers_whole_file: bool,
    /// The signed revision ends at this byte.
    pub revision_end: Option<usize>,
    /// What was appended after the signed revision, one line per change.
    pub later_changes: Vec<String>,
    /// `none`, `allowed` (DSS, timestamps, later signatures, form fill, annotations),
    /// `modified`, or `undetermined` (the revisions could not be compared).
    pub modification: String,
}

/// The verdict on one signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignatureReport {
    /// `Sig1`, `signer 1`, `signer 1 / counter-signature 1`.
    pub id: String,
    pub kind: SignatureKind,
    pub indication: Indication,
    pub sub_indication: Option<SubIndication>,
    /// One sentence for a non-specialist.
    pub explanation: String,
    /// Things a careful reader should know even when the signature passed.
    pub warnings: Vec<String>,
    pub signer: Option<SignerIdentity>,
    /// The signer's claim (signingTime attribute, or PDF /M): not proof.
    #[serde(with = "time::serde::rfc3339::option")]
    pub claimed_signing_time: Option<OffsetDateTime>,
    /// The earliest time the signature is proven to have existed (a trusted timestamp).
    #[serde(with = "time::serde::rfc3339::option")]
    pub proven_time: Option<OffsetDateTime>,
    /// The time at which the certificate path and algorithms were judged: the proven time,
    /// else the validation time (ETSI "best signature time").
    #[serde(with = "time::serde::rfc3339")]
    pub best_signature_time: OffsetDateTime,
    pub digest_algorithm: Option<AlgorithmReport>,
    pub signature_algorithm: Option<AlgorithmReport>,
    /// From the signer up to the trust anchor (as far as it was built).
    pub chain: Vec<CertificateSummary>,
    pub revocation: Vec<RevocationReport>,
    pub timestamps: Vec<TimestampReport>,
    pub pdf: Option<PdfCoverage>,
}

impl SignatureReport {
    /// A report that has passed nothing yet is PASSED until a check says otherwise; the
    /// validator fills in what it finds.
    pub fn new(id: String, kind: SignatureKind, validation_time: OffsetDateTime) -> Self {
        SignatureReport {
            id,
            kind,
            indication: Indication::Passed,
            sub_indication: None,
            explanation: String::new(),
            warnings: Vec::new(),
            signer: None,
            claimed_signing_time: None,
            proven_time: None,
            best_signature_time: validation_time,
            digest_algorithm: None,
            signature_algorithm: None,
            chain: Vec::new(),
            revocation: Vec::new(),
            timestamps: Vec::new(),
            pdf: None,
        }
    }

    pub fn passed(&self) -> bool {
        self.indication == Indication::Passed
    }
}

/// One DER blob of validation material.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MaterialItem {
    /// Hex SHA-256 of `der`.
    pub sha256: String,
    /// Where it was found: `signature`, `dss`, `fetched`, `cache`, `trust-store`, `supplied`.
    pub origin: String,
    #[serde(serialize_with = "as_base64")]
    pub der: Vec<u8>,
}

/// Everything used to reach the verdicts, ready for the archive to seal with the record:
/// certificates (chains, CRL signers, OCSP responders, TSAs), CRLs and OCSP responses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ValidationMaterial {
    pub certificates: Vec<MaterialItem>,
    pub crls: Vec<MaterialItem>,
    pub ocsp_responses: Vec<MaterialItem>,
}

impl ValidationMaterial {
    fn push(list: &mut Vec<MaterialItem>, der: &[u8], origin: &str) -> String {
        let sha256 = hex_sha256(der);
        if !list.iter().any(|m| m.sha256 == sha256) {
            list.push(MaterialItem {
                sha256: sha256.clone(),
                origin: origin.to_string(),
                der: der.to_vec(),
            });
        }
        sha256
    }
    pub fn add_certificate(&mut self, der: &[u8], origin: &str) -> String {
        Self::push(&mut self.certificates, der, origin)
    }
    pub fn add_crl(&mut self, der: &[u8], origin: &str) -> String {
        Self::push(&mut self.crls, der, origin)
    }
    pub fn add_ocsp_response(&mut self, der: &[u8], origin: &str) -> String {
        Self::push(&mut self.ocsp_responses, der, origin)
    }
}

/// What kind of file was checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentFormat {
    Pdf,
    CmsDetached,
    CmsEnveloping,
    Certificate,
}

/// The verdicts on every signature of one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DocumentReport {
    /// `stele.signature-report.v1`: names the schema this report follows.
    pub report: &'static str,
    pub format: DocumentFormat,
    /// "Now" for this validation (the injected clock, or `--at`).
    #[serde(with = "time::serde::rfc3339")]
    pub validation_time: OffsetDateTime,
    /// Hex SHA-256 of the file checked.
    pub document_sha256: String,
    /// The worst indication over all signatures; INDETERMINATE when there is none.
    pub indication: Indication,
    /// One sentence summing up the document.
    pub summary: String,
    pub signatures: Vec<SignatureReport>,
    /// Whether the document carries both a personal and an organisational signature that
    /// passed (NĐ 30/2020 Điều 5 for official documents). Informative: not part of `indication`.
    pub personal_and_organisation_signed: bool,
    /// Problems with the file itself (e.g. a damaged cross-reference table lopdf rebuilt).
    pub warnings: Vec<String>,
    pub material: ValidationMaterial,
}

impl DocumentReport {
    /// The value of [`DocumentReport::report`].
    pub const SCHEMA: &'static str = "stele.signature-report.v1";

    /// Every signature passed (and there is at least one).
    pub fn all_passed(&self) -> bool {
        !self.signatures.is_empty() && self.signatures.iter().all(SignatureReport::passed)
    }
}

pub(crate) fn hex_sha256(der: &[u8]) -> String {
    hex_upper(&stele_asn1::DigestAlgorithm::Sha256.digest(der)).to_ascii_lowercase()
}

pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn as_base64<S: serde::Serializer>(der: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine;
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(der))
}
