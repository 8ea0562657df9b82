//! Cryptographic verification of one CMS signer (RFC 5652 §5.4/§5.6, ETSI EN 319 122-1).
//!
//! [`verify_signer`] checks what the bytes alone can prove: the content (encapsulated or
//! detached) hashes to the `messageDigest`, the signed attributes (as written, re-tagged as a
//! `SET OF`) verify under the signer certificate's key, the signing-certificate reference
//! names that certificate, the signature timestamps are intact and cover the signature value,
//! and counter-signatures verify over it. Every check has an explicit outcome; none is a bare
//! boolean. Certificate paths, revocation and trust are not evaluated here (stele-pki).
//!
//! The bytes a signature covers are taken from [`SignedDataParts::der`], never from a
//! re-encoding of the parsed values: the `der` crate sorts `SET OF` values when decoding.

use ::cms::cert::IssuerAndSerialNumber;
use ::cms::signed_data::{SignerIdentifier, SignerInfo};
use const_oid::ObjectIdentifier;
use der::{Decode, Encode, Tagged};
use stele_asn1::DigestAlgorithm;
use stele_tsp::{Integrity, TimeStampToken, TokenVerifyOptions};
use time::OffsetDateTime;
use x509_cert::attr::Attribute;
use x509_cert::Certificate;

use crate::cms::SignedDataParts;

/// `id-contentType` (RFC 5652 §11.1).
pub const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// `id-messageDigest` (RFC 5652 §11.2).
pub const ID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// `id-signingTime` (RFC 5652 §11.3).
pub const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// `id-countersignature` (RFC 5652 §11.4).
pub const ID_COUNTERSIGNATURE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.6");
/// `id-aa-signingCertificate` (RFC 2634 §5.4, ESSCertID with SHA-1).
pub const ID_AA_SIGNING_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
/// `id-aa-signingCertificateV2` (RFC 5035, ESSCertIDv2).
pub const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// `id-aa-signatureTimeStampToken` (RFC 3161 Appendix A).
pub const ID_AA_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");

/// Counter-signatures are followed this deep (a counter-signature of a counter-signature is
/// depth 2); deeper ones are listed as not checked. Bounds work on hostile input.
pub const MAX_COUNTER_SIGNATURE_DEPTH: usize = 4;
/// At most this many signature timestamps or counter-signatures are checked per signer.
pub const MAX_UNSIGNED_VALUES: usize = 32;

/// Where the signed content came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentOutcome {
    /// The eContent inside the SignedData (enveloping, `.p7m`).
    Encapsulated,
    /// The content supplied by the caller (detached: `.p7s`, PDF byte ranges).
    Detached,
    /// The value of the parent signer's signature (for a counter-signature).
    ParentSignature,
    /// The signature is detached and no content was supplied: nothing can be checked.
    Missing,
    /// Content is encapsulated and different detached content was supplied.
    Conflicting,
}

/// A check on one signed attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttributeCheck {
    /// Present and as required.
    Matches,
    /// Present and different from what the signature needs (HASH_FAILURE for messageDigest).
    Mismatch { expected: String, found: String },
    /// Required but absent.
    Absent,
    /// Absent as it must be (contentType in a counter-signature) or no signed attributes.
    NotApplicable,
    /// Present but unreadable, multi-valued or repeated.
    Malformed(String),
    /// Could not be checked (unknown digest algorithm, missing content).
    NotChecked(String),
}

/// The signature value check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The signature verifies under the signer certificate's key.
    Valid,
    /// The signature does not verify (SIG_CRYPTO_FAILURE).
    Invalid(String),
    /// Not checked: the algorithm or key is unsupported, or no signer certificate.
    NotChecked(String),
}

/// Where the signer certificate was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerCertificateOutcome {
    /// Among the SignedData certificates.
    InSignedData,
    /// Among the extra certificates supplied by the caller.
    Supplied,
    /// Nowhere: the SignerIdentifier (described) matches no certificate.
    NotFound(String),
}

/// The signingCertificate / signingCertificateV2 reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigningCertificateRef {
    /// Neither attribute is present.
    Absent,
    /// The first ESSCertID(v2) hash equals the hash of the signer certificate.
    Matches {
        v2: bool,
        algorithm: DigestAlgorithm,
    },
    /// It names another certificate.
    Mismatch {
        v2: bool,
        algorithm: DigestAlgorithm,
    },
    /// Present but unreadable or with an unknown hash algorithm.
    Malformed(String),
    /// Present, but the signer certificate is not available to compare.
    NotChecked,
}

/// The claimed signing time (`signingTime` attribute; the signer's word, not proof).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimedSigningTime {
    Absent,
    At(OffsetDateTime),
    Malformed(String),
}

/// Whether an algorithm is acceptable as far as this check knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AlgorithmStatus {
    Current,
    /// Known and weak (SHA-1): kept for old signatures, flagged for the report.
    Legacy,
    Unknown,
}

/// An algorithm named by the signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgorithmUse {
    pub oid: ObjectIdentifier,
    /// A short name when known (`sha256`, `sha256WithRSAEncryption`, …).
    pub name: Option<&'static str>,
    pub status: AlgorithmStatus,
}

/// One signature timestamp (`id-aa-signatureTimeStampToken` value).
#[derive(Clone, Debug)]
pub struct SignatureTimestamp {
    /// The attribute value as DER.
    pub der: Vec<u8>,
    /// `Err` when the value is not a timestamp token.
    pub parse: Result<(), String>,
    /// The token's genTime (when it parses).
    pub gen_time: Option<OffsetDateTime>,
    /// The token's CMS integrity (None when it does not parse).
    pub integrity: Option<Integrity>,
    /// Whether its messageImprint is the hash of this SignerInfo's signature value.
    pub covers_signature: bool,
}

impl SignatureTimestamp {
    /// Parsed, intact and over this signature: its genTime proves the signature existed then.
    pub fn is_valid_proof(&self) -> bool {
        self.parse.is_ok() && self.integrity == Some(Integrity::Intact) && self.covers_signature
    }
}

/// The overall cryptographic outcome of a signer, worst first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerStatus {
    /// Detached signature without content (or conflicting content): a caller error.
    ContentMissing,
    /// The structure is unusable (no such signer, malformed or contradicting attributes).
    FormatFailure(String),
    /// The content does not hash to the messageDigest (HASH_FAILURE).
    HashFailure,
    /// The signature value does not verify (SIG_CRYPTO_FAILURE).
    SigCryptoFailure,
    /// No signer certificate: the signature cannot be checked.
    SignerCertificateNotFound,
    /// An algorithm or key this verifier does not implement.
    NotChecked(String),
    /// Content and signature verify.
    Valid,
}

/// Everything [`verify_signer`] found about one SignerInfo.
#[derive(Clone, Debug)]
pub struct SignerVerification {
    /// Index into [`SignedDataParts::signer_infos`] (for counter-signatures: into the attribute
    /// values of the parent's countersignature attributes).
    pub index: usize,
    pub content: ContentOutcome,
    pub digest_algorithm: Option<AlgorithmUse>,
    pub signature_algorithm: Option<AlgorithmUse>,
    /// The signature algorithm's parameters (RSASSA-PSS names its hash there).
    pub signature_algorithm_parameters: Option<der::Any>,
    /// The signature algorithm implies a hash different from digestAlgorithm (DSS rejects this;
    /// OpenSSL accepts it).
    pub digest_signature_mismatch: bool,
    pub signed_attributes_present: bool,
    pub content_type: AttributeCheck,
    pub message_digest: AttributeCheck,
    pub signature: SignatureCheck,
    pub signer_certificate_outcome: SignerCertificateOutcome,
    /// The signer certificate's DER (as carried).
    pub signer_certificate: Option<Vec<u8>>,
    pub signing_certificate_ref: SigningCertificateRef,
    pub claimed_signing_time: ClaimedSigningTime,
    pub signature_timestamps: Vec<SignatureTimestamp>,
    pub counter_signatures: Vec<SignerVerification>,
    /// Certificates carried in the SignedData (DER, as written).
    pub certificates: Vec<Vec<u8>>,
    /// CRLs carried in the SignedData (DER, as written).
    pub crls: Vec<Vec<u8>>,
    /// Other revocation data (`OtherRevocationInfoFormat`, e.g. OCSP responses; DER).
    pub other_revocation_info: Vec<Vec<u8>>,
    /// A structural problem that prevents the checks (reported as FormatFailure).
    pub format_error: Option<String>,
}

impl SignerVerification {
    fn empty(index: usize, content: ContentOutcome) -> Self {
        SignerVerification {
            index,
            content,
            digest_algorithm: None,
            signature_algorithm: None,
            signature_algorithm_parameters: None,
            digest_signature_mismatch: false,
            signed_attributes_present: false,
            content_type: AttributeCheck::NotChecked("not reached".into()),
            message_digest: AttributeCheck::NotChecked("not reached".into()),
            signature: SignatureCheck::NotChecked("not reached".into()),
            signer_certificate_outcome: SignerCertificateOutcome::NotFound(String::new()),
            signer_certificate: None,
            signing_certificate_ref: SigningCertificateRef::Absent,
            claimed_signing_time: ClaimedSigningTime::Absent,
            signature_timestamps: Vec::new(),
            counter_signatures: Vec::new(),
            certificates: Vec::new(),
            crls: Vec::new(),
            other_revocation_info: Vec::new(),
            format_error: None,
        }
    }

    /// The overall outcome: the first failing check in the order of [`SignerStatus`].
    pub fn status(&self) -> SignerStatus {
        if matches!(
            self.content,
            ContentOutcome::Missing | ContentOutcome::Conflicting
        ) {
            return SignerStatus::ContentMissing;
        }
        if let Some(e) = &self.format_error {
            return SignerStatus::FormatFailure(e.clone());
        }
        for (name, check) in [
            ("contentType", &self.content_type),
            ("messageDigest", &self.message_digest),
        ] {
            match check {
                AttributeCheck::Malformed(m) => return SignerStatus::FormatFailure(m.clone()),
                AttributeCheck::Absent => {
                    return SignerStatus::FormatFailure(format!(
                        "the signed attributes lack {name}"
                    ))
                }
                _ => {}
            }
        }
        if let AttributeCheck::Mismatch { .. } = self.content_type {
            return SignerStatus::FormatFailure("contentType differs from eContentType".into());
        }
        if let AttributeCheck::Mismatch { .. } = self.message_digest {
            return SignerStatus::HashFailure;
        }
        if let SignerCertificateOutcome::NotFound(_) = self.signer_certificate_outcome {
            return SignerStatus::SignerCertificateNotFound;
        }
        match &self.signature {
            SignatureCheck::Invalid(_) => return SignerStatus::SigCryptoFailure,
            SignatureCheck::NotChecked(r) => return SignerStatus::NotChecked(r.clone()),
            SignatureCheck::Valid => {}
        }
        if let AttributeCheck::NotChecked(r) = &self.message_digest {
            return SignerStatus::NotChecked(r.clone());
        }
        SignerStatus::Valid
    }

    /// Content and signature verify (the signer certificate is not judged here).
    pub fn is_valid(&self) -> bool {
        self.status() == SignerStatus::Valid
    }

    /// The earliest genTime among the signature timestamps that are valid proofs: when the
    /// signature provably existed.
    pub fn proven_time(&self) -> Option<OffsetDateTime> {
        self.signature_timestamps
            .iter()
            .filter(|t| t.is_valid_proof())
            .filter_map(|t| t.gen_time)
            .min()
    }
}

/// Verifies signer `index` of `parts`. `detached_content` is the signed content of a detached
/// signature (for PDF: the two byte ranges concatenated).
pub fn verify_signer(
    parts: &SignedDataParts,
    index: usize,
    detached_content: Option<&[u8]>,
) -> SignerVerification {
    verify_signer_with(parts, index, detached_content, &[])
}

/// [`verify_signer`] with extra certificates to look for the signer certificate in (for
/// signatures that do not carry it).
pub fn verify_signer_with(
    parts: &SignedDataParts,
    index: usize,
    detached_content: Option<&[u8]>,
    extra_certificates: &[Certificate],
) -> SignerVerification {
    let raw = RawSignedData::read(parts.der());
    let (content_outcome, content) = match (parts.econtent(), detached_content) {
        (Some(e), None) => (ContentOutcome::Encapsulated, Some(e)),
        (Some(e), Some(d)) if e == d => (ContentOutcome::Encapsulated, Some(e)),
        (Some(_), Some(_)) => (ContentOutcome::Conflicting, None),
        (None, Some(d)) => (ContentOutcome::Detached, Some(d)),
        (None, None) => (ContentOutcome::Missing, None),
    };
    let mut pool: Vec<PoolCert> = Vec::new();
    let mut out = SignerVerification::empty(index, content_outcome);
    if let Some(raw) = &raw {
        out.certificates = raw.certificates.iter().map(|c| c.to_vec()).collect();
        out.crls = raw.crls.iter().map(|c| c.to_vec()).collect();
        out.other_revocation_info = raw.other_revocation.iter().map(|c| c.to_vec()).collect();
        for der in &raw.certificates {
            if let Ok(cert) = Certificate::from_der(der) {
                pool.push(PoolCert {
                    cert,
                    der: der.to_vec(),
                    supplied: false,
                });
            }
        }
    }
    for cert in extra_certificates {
        if let Ok(der) = cert.to_der() {
            pool.push(PoolCert {
                cert: cert.clone(),
                der,
                supplied: true,
            });
        }
    }
    let Some(si) = parts.signer_infos().get(index) else {
        out.format_error = Some(format!("there is no signer {index}"));
        return out;
    };
    let Some(raw) = raw else {
        out.format_error = Some("the SignedData structure could not be walked".into());
        return out;
    };
    // The raw SignerInfo that decodes to the parsed one (the parsed SET is DER-sorted).
    let raw_si = raw
        .signer_infos
        .iter()
        .find(|r| SignerInfo::from_der(r).is_ok_and(|p| p == *si));
    let Some(raw_si) = raw_si else {
        out.format_error = Some("the SignerInfo's encoding could not be located".into());
        return out;
    };
    let ctx = Ctx {
        pool: &pool,
        econtent_type: Some(parts.econtent_type()),
    };
    let mut v = check_signer_info(&ctx, si, raw_si, content, 0);
    v.index = index;
    v.content = out.content;
    v.certificates = out.certificates;
    v.crls = out.crls;
    v.other_revocation_info = out.other_revocation_info;
    v
}

struct PoolCert {
    cert: Certificate,
    der: Vec<u8>,
    supplied: bool,
}

struct Ctx<'a> {
    pool: &'a [PoolCert],
    /// The eContentType the contentType attribute must equal; `None` for counter-signatures,
    /// which must not carry contentType.
    econtent_type: Option<ObjectIdentifier>,
}

fn check_signer_info(
    ctx: &Ctx<'_>,
    si: &SignerInfo,
    raw_si: &[u8],
    content: Option<&[u8]>,
    depth: usize,
) -> SignerVerification {
    let content_outcome = if ctx.econtent_type.is_none() {
        ContentOutcome::ParentSignature
    } else {
        ContentOutcome::Detached
    };
    let mut out = SignerVerification::empty(0, content_outcome);
    let digest_alg = DigestAlgorithm::from_oid(&si.digest_alg.oid).ok();
    out.digest_algorithm = Some(digest_use(&si.digest_alg.oid, digest_alg));
    out.signature_algorithm = Some(signature_use(&si.signature_algorithm.oid));
    out.signature_algorithm_parameters = si.signature_algorithm.parameters.clone();
    if let (Some(d), Some(implied)) = (digest_alg, implied_hash(&si.signature_algorithm.oid)) {
        out.digest_signature_mismatch = d != implied;
    }

    // Signer certificate.
    let signer = ctx.pool.iter().find(|c| sid_matches(&si.sid, &c.cert));
    match signer {
        Some(c) => {
            out.signer_certificate = Some(c.der.clone());
            out.signer_certificate_outcome = if c.supplied {
                SignerCertificateOutcome::Supplied
            } else {
                SignerCertificateOutcome::InSignedData
            };
        }
        None => {
            out.signer_certificate_outcome =
                SignerCertificateOutcome::NotFound(describe_sid(&si.sid))
        }
    }

    let signature_value = si.signature.as_bytes();
    let signed_attrs_raw = raw_signed_attrs(raw_si);
    let message: Option<Vec<u8>> = match (&si.signed_attrs, signed_attrs_raw) {
        (Some(attrs), Some(raw)) => {
            out.signed_attributes_present = true;
            let attrs = attrs.as_slice();
            out.content_type = check_content_type(attrs, ctx.econtent_type);
            out.message_digest = check_message_digest(attrs, digest_alg, content);
            out.claimed_signing_time = signing_time(attrs);
            out.signing_certificate_ref =
                signing_certificate_ref(attrs, signer.map(|c| c.der.as_slice()));
            let mut set = raw.to_vec();
            set[0] = 0x31;
            Some(set)
        }
        (None, None) => {
            out.content_type = AttributeCheck::NotApplicable;
            out.message_digest = AttributeCheck::NotApplicable;
            content.map(<[u8]>::to_vec)
        }
        _ => {
            out.format_error = Some("the signed attributes could not be located".into());
            None
        }
    };

    out.signature = match (signer, message) {
        (_, None) => SignatureCheck::NotChecked("no content to check the signature over".into()),
        (None, _) => SignatureCheck::NotChecked("signer certificate not found".into()),
        (Some(c), Some(msg)) => match stele_pki::crypto::verify_signature(
            &c.cert.tbs_certificate.subject_public_key_info,
            &si.signature_algorithm,
            digest_alg,
            &msg,
            signature_value,
        ) {
            Ok(()) => SignatureCheck::Valid,
            Err(e) if e.is_unsupported() => SignatureCheck::NotChecked(e.to_string()),
            Err(e) => SignatureCheck::Invalid(e.to_string()),
        },
    };

    let unsigned: &[Attribute] = si.unsigned_attrs.as_ref().map_or(&[], |a| a.as_slice());
    // Signature timestamps.
    let tokens: Vec<&der::Any> = unsigned
        .iter()
        .filter(|a| a.oid == ID_AA_SIGNATURE_TIME_STAMP_TOKEN)
        .flat_map(|a| a.values.iter())
        .take(MAX_UNSIGNED_VALUES)
        .collect();
    // The SignedData certificates (and supplied ones) also serve tokens that carry none.
    let extra: Vec<Certificate> = if tokens.is_empty() {
        Vec::new()
    } else {
        ctx.pool.iter().map(|c| c.cert.clone()).collect()
    };
    for value in tokens {
        out.signature_timestamps
            .push(check_timestamp(value, signature_value, &extra));
    }
    // Counter-signatures over this signature value.
    for (i, value) in unsigned
        .iter()
        .filter(|a| a.oid == ID_COUNTERSIGNATURE)
        .flat_map(|a| a.values.iter())
        .take(MAX_UNSIGNED_VALUES)
        .enumerate()
    {
        let mut cs = if depth + 1 > MAX_COUNTER_SIGNATURE_DEPTH {
            let mut v = SignerVerification::empty(i, ContentOutcome::ParentSignature);
            v.format_error = Some("counter-signature nested too deep".into());
            v
        } else {
            match value.to_der() {
                Ok(der) => match SignerInfo::from_der(&der) {
                    Ok(csi) => {
                        let cctx = Ctx {
                            pool: ctx.pool,
                            econtent_type: None,
                        };
                        check_signer_info(&cctx, &csi, &der, Some(signature_value), depth + 1)
                    }
                    Err(e) => {
                        let mut v = SignerVerification::empty(i, ContentOutcome::ParentSignature);
                        v.format_error = Some(format!("not a SignerInfo: {e}"));
                        v
                    }
                },
                Err(e) => {
                    let mut v = SignerVerification::empty(i, ContentOutcome::ParentSignature);
                    v.format_error = Some(format!("unencodable value: {e}"));
                    v
                }
            }
        };
        cs.index = i;
        out.counter_signatures.push(cs);
    }
    out
}

fn check_timestamp(
    value: &der::Any,
    signature_value: &[u8],
    extra: &[Certificate],
) -> SignatureTimestamp {
    let der = value.to_der().unwrap_or_default();
    let mut ts = SignatureTimestamp {
        der,
        parse: Ok(()),
        gen_time: None,
        integrity: None,
        covers_signature: false,
    };
    match TimeStampToken::from_ber(&ts.der) {
        Ok(token) => {
            ts.gen_time = Some(token.gen_time());
            ts.covers_signature = token.message_imprint().covers(signature_value);
            let mut opts = TokenVerifyOptions::integrity_only(token.gen_time());
            opts.extra_certs = extra.to_vec();
            ts.integrity = Some(stele_tsp::verify_token(&token, &opts).integrity);
        }
        Err(e) => ts.parse = Err(e.to_string()),
    }
    ts
}

/// The single value of the single attribute `oid`: `Ok(None)` when absent.
fn single_value<'a>(
    attrs: &'a [Attribute],
    oid: ObjectIdentifier,
    name: &str,
) -> Result<Option<&'a der::Any>, String> {
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    let Some(attr) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(format!("the {name} attribute appears more than once"));
    }
    let mut values = attr.values.iter();
    match (values.next(), values.next()) {
        (Some(v), None) => Ok(Some(v)),
        _ => Err(format!("the {name} attribute must have exactly one value")),
    }
}

fn check_content_type(
    attrs: &[Attribute],
    econtent_type: Option<ObjectIdentifier>,
) -> AttributeCheck {
    let value = match single_value(attrs, ID_CONTENT_TYPE, "contentType") {
        Ok(v) => v,
        Err(e) => return AttributeCheck::Malformed(e),
    };
    match (value, econtent_type) {
        (None, None) => AttributeCheck::NotApplicable,
        (None, Some(_)) => AttributeCheck::Absent,
        (Some(_), None) => {
            AttributeCheck::Malformed("a counter-signature must not carry contentType".into())
        }
        (Some(v), Some(expected)) => match v.decode_as::<ObjectIdentifier>() {
            Ok(found) if found == expected => AttributeCheck::Matches,
            Ok(found) => AttributeCheck::Mismatch {
                expected: expected.to_string(),
                found: found.to_string(),
            },
            Err(e) => AttributeCheck::Malformed(format!("contentType: {e}")),
        },
    }
}

fn check_message_digest(
    attrs: &[Attribute],
    digest_alg: Option<DigestAlgorithm>,
    content: Option<&[u8]>,
) -> AttributeCheck {
    let value = match single_value(attrs, ID_MESSAGE_DIGEST, "messageDigest") {
        Ok(Some(v)) => v,
        Ok(None) => return AttributeCheck::Absent,
        Err(e) => return AttributeCheck::Malformed(e),
    };
    let Ok(found) = value.decode_as::<der::asn1::OctetString>() else {
        return AttributeCheck::Malformed("messageDigest is not an OCTET STRING".into());
    };
    let Some(alg) = digest_alg else {
        return AttributeCheck::NotChecked("unknown digest algorithm".into());
    };
    let Some(content) = content else {
        return AttributeCheck::NotChecked("no content".into());
    };
    let expected = alg.digest(content);
    if expected == found.as_bytes() {
        AttributeCheck::Matches
    } else {
        AttributeCheck::Mismatch {
            expected: hex(&expected),
            found: hex(found.as_bytes()),
        }
    }
}

fn signing_time(attrs: &[Attribute]) -> ClaimedSigningTime {
    match single_value(attrs, ID_SIGNING_TIME, "signingTime") {
        Ok(None) => ClaimedSigningTime::Absent,
        Err(e) => ClaimedSigningTime::Malformed(e),
        Ok(Some(v)) => {
            let text = String::from_utf8_lossy(v.value());
            let parsed = match v.tag() {
                der::Tag::UtcTime => parse_time(&text, false),
                der::Tag::GeneralizedTime => parse_time(&text, true),
                t => Err(format!("signingTime is a {t}, not a Time")),
            };
            match parsed {
                Ok(t) => ClaimedSigningTime::At(t),
                Err(e) => ClaimedSigningTime::Malformed(e),
            }
        }
    }
}

/// `YYMMDDHHMMSSZ` (UTCTime, RFC 5280 years) or `YYYYMMDDHHMMSS[.f*]Z` (GeneralizedTime).
fn parse_time(text: &str, generalized: bool) -> Result<OffsetDateTime, String> {
    let bad = || format!("unreadable time {text:?}");
    let body = text.strip_suffix('Z').ok_or_else(bad)?;
    let (main, frac) = match body.split_once('.') {
        Some((m, f)) if generalized => (m, Some(f)),
        Some(_) => return Err(bad()),
        None => (body, None),
    };
    let year_len = if generalized { 4 } else { 2 };
    if main.len() != year_len + 10 || !main.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| main[r].parse::<u32>().map_err(|_| bad());
    let mut year = num(0..year_len)? as i32;
    if !generalized {
        year += if year < 50 { 2000 } else { 1900 };
    }
    let o = year_len;
    let month = time::Month::try_from(num(o..o + 2)? as u8).map_err(|_| bad())?;
    let date =
        time::Date::from_calendar_date(year, month, num(o + 2..o + 4)? as u8).map_err(|_| bad())?;
    let t = time::Time::from_hms(
        num(o + 4..o + 6)? as u8,
        num(o + 6..o + 8)? as u8,
        num(o + 8..o + 10)? as u8,
    )
    .map_err(|_| bad())?;
    let mut dt = date.with_time(t).assume_utc();
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let nanos: i64 = format!("{f:0<9}").parse().map_err(|_| bad())?;
        dt += time::Duration::nanoseconds(nanos);
    }
    Ok(dt)
}

fn signing_certificate_ref(
    attrs: &[Attribute],
    signer_der: Option<&[u8]>,
) -> SigningCertificateRef {
    let v2 = match single_value(attrs, ID_AA_SIGNING_CERTIFICATE_V2, "signingCertificateV2") {
        Ok(v) => v,
        Err(e) => return SigningCertificateRef::Malformed(e),
    };
    let v1 = match single_value(attrs, ID_AA_SIGNING_CERTIFICATE, "signingCertificate") {
        Ok(v) => v,
        Err(e) => return SigningCertificateRef::Malformed(e),
    };
    let (value, is_v2) = match (v2, v1) {
        (Some(v), _) => (v, true),
        (None, Some(v)) => (v, false),
        (None, None) => return SigningCertificateRef::Absent,
    };
    let Ok(der) = value.to_der() else {
        return SigningCertificateRef::Malformed("unencodable".into());
    };
    let (alg, hash) = match first_ess_cert_id(&der, is_v2) {
        Ok(x) => x,
        Err(e) => return SigningCertificateRef::Malformed(e),
    };
    let Some(signer) = signer_der else {
        return SigningCertificateRef::NotChecked;
    };
    if alg.digest(signer) == hash {
        SigningCertificateRef::Matches {
            v2: is_v2,
            algorithm: alg,
        }
    } else {
        SigningCertificateRef::Mismatch {
            v2: is_v2,
            algorithm: alg,
        }
    }
}

/// SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2), policies OPTIONAL }:
/// the hash algorithm and hash of the first ESSCertID (the signer's, RFC 5035 §5.4).
fn first_ess_cert_id(der: &[u8], v2: bool) -> Result<(DigestAlgorithm, Vec<u8>), String> {
    let bad = |w: &str| format!("signingCertificate{}: {w}", if v2 { "V2" } else { "" });
    let outer = Tlv::single(der, 0x30).ok_or_else(|| bad("not a SEQUENCE"))?;
    let certs = Tlv::first(outer.content, 0x30).ok_or_else(|| bad("no certs"))?;
    let first = Tlv::first(certs.content, 0x30).ok_or_else(|| bad("empty certs"))?;
    let mut r = first.content;
    let mut alg = if v2 {
        DigestAlgorithm::Sha256
    } else {
        DigestAlgorithm::Sha1
    };
    let mut t = Tlv::parse(r).ok_or_else(|| bad("empty ESSCertID"))?;
    if v2 && t.tag == 0x30 {
        let ai = der::asn1::ObjectIdentifier::from_der(
            Tlv::first(t.content, 0x06)
                .ok_or_else(|| bad("hashAlgorithm"))?
                .whole,
        )
        .map_err(|e| bad(&e.to_string()))?;
        alg = DigestAlgorithm::from_oid(&ai).map_err(|e| bad(&e.to_string()))?;
        r = t.rest;
        t = Tlv::parse(r).ok_or_else(|| bad("no certHash"))?;
    }
    if t.tag != 0x04 {
        return Err(bad("certHash is not an OCTET STRING"));
    }
    Ok((alg, t.content.to_vec()))
}

fn sid_matches(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer,
            serial_number,
        }) => {
            cert.tbs_certificate.issuer == *issuer
                && cert.tbs_certificate.serial_number.as_bytes() == serial_number.as_bytes()
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            subject_key_id(cert).is_some_and(|k| k == ski.0.as_bytes())
        }
    }
}

fn subject_key_id(cert: &Certificate) -> Option<Vec<u8>> {
    let oid = const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER;
    let ext = cert
        .tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == oid)?;
    der::asn1::OctetString::from_der(ext.extn_value.as_bytes())
        .ok()
        .map(|o| o.as_bytes().to_vec())
}

fn describe_sid(sid: &SignerIdentifier) -> String {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(i) => {
            format!("issuer {}, serial {}", i.issuer, i.serial_number)
        }
        SignerIdentifier::SubjectKeyIdentifier(k) => {
            format!("subject key id {}", hex(k.0.as_bytes()))
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest_use(oid: &ObjectIdentifier, alg: Option<DigestAlgorithm>) -> AlgorithmUse {
    let (name, status) = match alg {
        Some(DigestAlgorithm::Sha1) => (Some("sha1"), AlgorithmStatus::Legacy),
        Some(a) => (Some(a.name()), AlgorithmStatus::Current),
        None => (None, AlgorithmStatus::Unknown),
    };
    AlgorithmUse {
        oid: *oid,
        name,
        status,
    }
}

/// Signature algorithms: (OID, name, implied hash).
const SIGNATURE_ALGORITHMS: &[(&str, &str, Option<DigestAlgorithm>)] = &[
    ("1.2.840.113549.1.1.1", "rsaEncryption", None),
    (
        "1.2.840.113549.1.1.5",
        "sha1WithRSAEncryption",
        Some(DigestAlgorithm::Sha1),
    ),
    (
        "1.2.840.113549.1.1.14",
        "sha224WithRSAEncryption",
        Some(DigestAlgorithm::Sha224),
    ),
    (
        "1.2.840.113549.1.1.11",
        "sha256WithRSAEncryption",
        Some(DigestAlgorithm::Sha256),
    ),
    (
        "1.2.840.113549.1.1.12",
        "sha384WithRSAEncryption",
        Some(DigestAlgorithm::Sha384),
    ),
    (
        "1.2.840.113549.1.1.13",
        "sha512WithRSAEncryption",
        Some(DigestAlgorithm::Sha512),
    ),
    ("1.2.840.113549.1.1.10", "RSASSA-PSS", None),
    (
        "2.16.840.1.101.3.4.3.14",
        "id-rsassa-pkcs1-v1_5-with-sha3-256",
        Some(DigestAlgorithm::Sha3_256),
    ),
    (
        "2.16.840.1.101.3.4.3.15",
        "id-rsassa-pkcs1-v1_5-with-sha3-384",
        Some(DigestAlgorithm::Sha3_384),
    ),
    (
        "2.16.840.1.101.3.4.3.16",
        "id-rsassa-pkcs1-v1_5-with-sha3-512",
        Some(DigestAlgorithm::Sha3_512),
    ),
    ("1.2.840.10045.2.1", "id-ecPublicKey", None),
    (
        "1.2.840.10045.4.1",
        "ecdsa-with-SHA1",
        Some(DigestAlgorithm::Sha1),
    ),
    (
        "1.2.840.10045.4.3.1",
        "ecdsa-with-SHA224",
        Some(DigestAlgorithm::Sha224),
    ),
    (
        "1.2.840.10045.4.3.2",
        "ecdsa-with-SHA256",
        Some(DigestAlgorithm::Sha256),
    ),
    (
        "1.2.840.10045.4.3.3",
        "ecdsa-with-SHA384",
        Some(DigestAlgorithm::Sha384),
    ),
    (
        "1.2.840.10045.4.3.4",
        "ecdsa-with-SHA512",
        Some(DigestAlgorithm::Sha512),
    ),
    (
        "2.16.840.1.101.3.4.3.10",
        "id-ecdsa-with-sha3-256",
        Some(DigestAlgorithm::Sha3_256),
    ),
    (
        "2.16.840.1.101.3.4.3.11",
        "id-ecdsa-with-sha3-384",
        Some(DigestAlgorithm::Sha3_384),
    ),
    (
        "2.16.840.1.101.3.4.3.12",
        "id-ecdsa-with-sha3-512",
        Some(DigestAlgorithm::Sha3_512),
    ),
];

fn signature_entry(
    oid: &ObjectIdentifier,
) -> Option<&'static (&'static str, &'static str, Option<DigestAlgorithm>)> {
    let s = oid.to_string();
    SIGNATURE_ALGORITHMS.iter().find(|(o, _, _)| *o == s)
}

fn implied_hash(oid: &ObjectIdentifier) -> Option<DigestAlgorithm> {
    signature_entry(oid).and_then(|e| e.2)
}

/// Whether `oid` names a signature algorithm this module knows.
pub fn is_signature_algorithm(oid: &ObjectIdentifier) -> bool {
    signature_entry(oid).is_some()
}

fn signature_use(oid: &ObjectIdentifier) -> AlgorithmUse {
    match signature_entry(oid) {
        Some((_, name, hash)) => AlgorithmUse {
            oid: *oid,
            name: Some(name),
            status: if *hash == Some(DigestAlgorithm::Sha1) {
                AlgorithmStatus::Legacy
            } else {
                AlgorithmStatus::Current
            },
        },
        None => AlgorithmUse {
            oid: *oid,
            name: None,
            status: AlgorithmStatus::Unknown,
        },
    }
}

// ---- a minimal DER walker over the normalised bytes ----

#[derive(Clone, Copy)]
struct Tlv<'a> {
    tag: u8,
    whole: &'a [u8],
    content: &'a [u8],
    rest: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// One definite-length TLV with a low-number tag at the start of `input`.
    fn parse(input: &'a [u8]) -> Option<Self> {
        let (&tag, after) = input.split_first()?;
        if tag & 0x1f == 0x1f {
            return None;
        }
        let (&first, after) = after.split_first()?;
        let (len, after) = if first < 0x80 {
            (usize::from(first), after)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || after.len() < n {
                return None;
            }
            let len = after[..n]
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, &after[n..])
        };
        if after.len() < len {
            return None;
        }
        let header = input.len() - after.len();
        Some(Tlv {
            tag,
            whole: &input[..header + len],
            content: &after[..len],
            rest: &after[len..],
        })
    }

    fn single(input: &'a [u8], tag: u8) -> Option<Self> {
        Self::parse(input).filter(|t| t.tag == tag && t.rest.is_empty())
    }

    fn first(input: &'a [u8], tag: u8) -> Option<Self> {
        Self::parse(input).filter(|t| t.tag == tag)
    }

    fn children(content: &'a [u8]) -> Option<Vec<Tlv<'a>>> {
        let mut out = Vec::new();
        let mut r = content;
        while !r.is_empty() {
            let t = Self::parse(r)?;
            r = t.rest;
            out.push(t);
        }
        Some(out)
    }
}

struct RawSignedData<'a> {
    certificates: Vec<&'a [u8]>,
    crls: Vec<&'a [u8]>,
    other_revocation: Vec<&'a [u8]>,
    signer_infos: Vec<&'a [u8]>,
}

impl<'a> RawSignedData<'a> {
    fn read(der: &'a [u8]) -> Option<Self> {
        let ci = Tlv::single(der, 0x30)?;
        let ci = Tlv::children(ci.content)?;
        let explicit = ci.get(1).filter(|t| t.tag == 0xa0)?;
        let sd = Tlv::single(explicit.content, 0x30)?;
        let fields = Tlv::children(sd.content)?;
        let mut out = RawSignedData {
            certificates: Vec::new(),
            crls: Vec::new(),
            other_revocation: Vec::new(),
            signer_infos: Vec::new(),
        };
        for f in fields.iter().skip(3) {
            match f.tag {
                0xa0 => {
                    for c in Tlv::children(f.content)? {
                        if c.tag == 0x30 {
                            out.certificates.push(c.whole);
                        }
                    }
                }
                0xa1 => {
                    for c in Tlv::children(f.content)? {
                        if c.tag == 0x30 {
                            out.crls.push(c.whole);
                        } else if c.tag == 0xa1 {
                            out.other_revocation.push(c.whole);
                        }
                    }
                }
                0x31 => {
                    out.signer_infos = Tlv::children(f.content)?.iter().map(|t| t.whole).collect();
                }
                _ => {}
            }
        }
        Some(out)
    }
}

/// The `[0] IMPLICIT SignedAttributes` of a raw SignerInfo, with its header, as written.
fn raw_signed_attrs(raw_si: &[u8]) -> Option<&[u8]> {
    let si = Tlv::single(raw_si, 0x30)?;
    let fields = Tlv::children(si.content)?;
    fields.get(3).filter(|t| t.tag == 0xa0).map(|t| t.whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let t = parse_time("250102030405Z", false).unwrap();
        assert_eq!(t.unix_timestamp(), 1_735_787_045);
        let g = parse_time("20250102030405.5Z", true).unwrap();
        assert_eq!(g.unix_timestamp(), 1_735_787_045);
        assert_eq!(g.nanosecond(), 500_000_000);
        assert_eq!(parse_time("491231235959Z", false).unwrap().year(), 2049);
        assert_eq!(parse_time("500101000000Z", false).unwrap().year(), 1950);
        for bad in [
            "",
            "Z",
            "2501020304Z",
            "250102030405",
            "251302030405Z",
            "2501020304.5Z",
        ] {
            assert!(parse_time(bad, false).is_err(), "{bad}");
        }
        assert!(parse_time("20250102030405.Z", true).is_err());
    }

    #[test]
    fn tlv_refuses_truncation() {
        assert!(Tlv::parse(&[0x30, 0x05, 1]).is_none());
        assert!(Tlv::parse(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert!(Tlv::parse(&[0x30, 0x80]).is_none());
        assert!(Tlv::parse(&[0x30]).is_none());
    }
}
