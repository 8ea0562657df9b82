//! Judging every signature of a document: [`SignatureValidator`].
//!
//! For each signature this follows the shape of ETSI EN 319 102-1's basic and
//! long-term validation, in the order a reader would ask:
//!
//! 1. **Is it intact?** The signed bytes hash to the messageDigest and the signature verifies
//!    ([`crate::verify_signer`]); for a PDF, the byte range is honest and what was appended
//!    afterwards is only what signatures permit.
//! 2. **When did it exist?** The earliest trusted timestamp over it (its own signature
//!    timestamp, or a later PDF document timestamp that covers its revision) is the *proven
//!    time*; without one, only the validation time is known. The *best signature time* T is the
//!    proven time, else the validation time.
//! 3. **Was the signer's certificate good at T?** The path to a trust anchor, validity periods,
//!    key usage and revocation, all at T ([`stele_pki::PathValidator`]).
//! 4. **Were the algorithms still acceptable at T?** ([`stele_pki::AlgorithmPolicy`]).
//!
//! Every certificate, CRL and OCSP response that took part comes back as DER in
//! [`ValidationMaterial`], so the archive can seal it with the record.

use der::{Decode, Encode};
use std::sync::Arc;
use stele_asn1::DigestAlgorithm;
use stele_pki::algorithm_policy::signature_algorithms;
use stele_pki::fetch::RevocationFetcher;
use stele_pki::{
    Acceptability, Algorithm, AlgorithmPolicy, AlgorithmUse as PolicyUse, PathError, PathValidator,
    RevocationInput, RevocationSource, RevocationState, TrustStore, ValidationOptions,
};
use stele_tsp::{TimeStampToken, TokenVerifyOptions, Trust};
use time::OffsetDateTime;
use x509_cert::ext::pkix::KeyUsage;
use x509_cert::Certificate;

use crate::cms::{adobe_revocation_info, CmsError, SignedDataParts};
use crate::pdf::{
    ChangeKind, DssEntry, ModificationVerdict, PdfError, PdfLimits, PdfSignature, PdfSignatures,
};
use crate::report::{
    hex_sha256, hex_upper, AlgorithmReport, CertificateSummary, DocumentFormat, DocumentReport,
    HolderKind, Indication, PdfCoverage, RevocationReport, SignatureKind, SignatureReport,
    SignerIdentity, SubIndication, TimestampReport, ValidationMaterial,
};
use crate::subject;
use crate::verify::{
    verify_signer_with, AlgorithmUse, ClaimedSigningTime, SignerStatus, SignerVerification,
    SigningCertificateRef,
};

/// Why a document could not be checked at all (as opposed to a negative verdict).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("{0}")]
    Pdf(#[from] PdfError),
    #[error("the file is not a CMS signature: {0}")]
    Cms(#[from] CmsError),
    #[error("the file is DER but neither a CMS signature ({cms}) nor an X.509 certificate ({certificate})")]
    Unreadable { cms: String, certificate: String },
    #[error(
        "a certificate is checked on its own; --detached applies only to CMS signatures (.p7s)"
    )]
    DetachedWithCertificate,
    #[error("the file is neither a PDF, a CMS (PKCS #7) signature nor an X.509 certificate")]
    UnknownFormat,
    #[error(
        "a PDF carries its signatures inside it; --detached applies only to CMS signatures (.p7s)"
    )]
    DetachedWithPdf,
}

/// Where a piece of validation material came from, as reports name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    Signature,
    Dss,
    Supplied,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Signature => "signature",
            Origin::Dss => "dss",
            Origin::Supplied => "supplied",
        }
    }
}

/// Material available to judge one signature: certificates and revocation data embedded in
/// the document, plus what the validator was configured with.
#[derive(Default)]
struct Pool {
    certificates: Vec<(Certificate, Origin)>,
    crls: Vec<(Vec<u8>, Origin)>,
    ocsp_responses: Vec<(Vec<u8>, Origin)>,
}

impl Pool {
    fn add_certificate_der(&mut self, der: &[u8], origin: Origin) {
        if let Ok(c) = Certificate::from_der(der) {
            if !self.certificates.iter().any(|(x, _)| *x == c) {
                self.certificates.push((c, origin));
            }
        }
    }
    fn add_crl(&mut self, der: &[u8], origin: Origin) {
        if !self.crls.iter().any(|(x, _)| x == der) {
            self.crls.push((der.to_vec(), origin));
        }
    }
    fn add_ocsp(&mut self, der: &[u8], origin: Origin) {
        if !self.ocsp_responses.iter().any(|(x, _)| x == der) {
            self.ocsp_responses.push((der.to_vec(), origin));
        }
    }
    fn add_dss_entries(&mut self, certs: &[DssEntry], crls: &[DssEntry], ocsps: &[DssEntry]) {
        for c in certs {
            self.add_certificate_der(&c.der, Origin::Dss);
        }
        for c in crls {
            self.add_crl(&c.der, Origin::Dss);
        }
        for o in ocsps {
            self.add_ocsp(&o.der, Origin::Dss);
        }
    }
    fn certs(&self) -> Vec<Certificate> {
        self.certificates.iter().map(|(c, _)| c.clone()).collect()
    }
}

/// Validates the signatures of PDF and CMS documents against a trust store, at an injected
/// validation time.
#[derive(Clone, Debug)]
pub struct SignatureValidator {
    paths: PathValidator,
    intermediates: Vec<Certificate>,
    policy: AlgorithmPolicy,
    limits: PdfLimits,
    fetcher: Option<Arc<RevocationFetcher>>,
    crls: Vec<Vec<u8>>,
    ocsp_responses: Vec<Vec<u8>>,
}

/// What the path validation at T found, in the terms the report needs.
struct PathOutcome {
    result: Result<(), PathError>,
    chain: Vec<Certificate>,
    revocation: Vec<RevocationReport>,
    fetch_failures: Vec<String>,
}

impl SignatureValidator {
    /// A validator trusting exactly `trust`, with the default algorithm policy.
    pub fn new(trust: TrustStore) -> Self {
        SignatureValidator {
            paths: PathValidator::new(trust),
            intermediates: Vec::new(),
            policy: AlgorithmPolicy::default(),
            limits: PdfLimits::default(),
            fetcher: None,
            crls: Vec::new(),
            ocsp_responses: Vec::new(),
        }
    }

    /// Intermediate CA certificates to build paths with (e.g. a configured folder).
    pub fn with_intermediates(mut self, certs: Vec<Certificate>) -> Self {
        self.intermediates = certs;
        self
    }

    /// CRLs (DER) to use besides those the documents carry (e.g. a configured folder).
    pub fn with_crls(mut self, crls: Vec<Vec<u8>>) -> Self {
        self.crls = crls;
        self
    }

    /// OCSP responses (DER, full OCSPResponse or bare BasicOCSPResponse) to use besides those
    /// the documents carry: the archive passes the ones it sealed with a record.
    pub fn with_ocsp_responses(mut self, responses: Vec<Vec<u8>>) -> Self {
        self.ocsp_responses = responses;
        self
    }

    /// Adds material kept with an archived record (certificates, CRLs, OCSP responses, DER) to
    /// what the validator was configured with, for judging the record again years later.
    pub fn with_sealed_material(
        mut self,
        certificates: Vec<Certificate>,
        crls: Vec<Vec<u8>>,
        ocsp_responses: Vec<Vec<u8>>,
    ) -> Self {
        self.intermediates.extend(certificates);
        self.crls.extend(crls);
        self.ocsp_responses.extend(ocsp_responses);
        self
    }

    /// Without a revocation fetcher: only embedded, supplied and sealed material is used.
    pub fn offline(mut self) -> Self {
        self.fetcher = None;
        self
    }

    /// The algorithm policy signatures are judged by.
    pub fn with_policy(mut self, policy: AlgorithmPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Where revocation data missing from the document is fetched (or, offline, looked up in
    /// the cache). Without one, only embedded material is used.
    pub fn with_fetcher(mut self, fetcher: Arc<RevocationFetcher>) -> Self {
        self.fetcher = Some(fetcher);
        self
    }

    /// Bounds for reading PDFs.
    pub fn with_pdf_limits(mut self, limits: PdfLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Checks a PDF, or a CMS signature (`detached` content for a `.p7s`), by sniffing `bytes`.
    pub fn check(
        &self,
        bytes: &[u8],
        detached: Option<&[u8]>,
        validation_time: OffsetDateTime,
    ) -> Result<DocumentReport, CheckError> {
        let head = &bytes[..bytes.len().min(1024)];
        if head.windows(5).any(|w| w == b"%PDF-") {
            if detached.is_some() {
                return Err(CheckError::DetachedWithPdf);
            }
            return self.check_pdf(bytes, validation_time);
        }
        if let Some(cert) = certificate(bytes) {
            if detached.is_some() {
                return Err(CheckError::DetachedWithCertificate);
            }
            return Ok(self.check_certificate(&cert, bytes, validation_time));
        }
        if bytes.first() == Some(&0x30) {
            return match self.check_cms(bytes, detached, validation_time) {
                Err(CheckError::Cms(cms)) => match Certificate::from_der(bytes) {
                    // Name both readings: the reader knows which one was meant.
                    Err(cert) => Err(CheckError::Unreadable {
                        cms: cms.to_string(),
                        certificate: cert.to_string(),
                    }),
                    Ok(_) => Err(CheckError::Cms(cms)),
                },
                other => other,
            };
        }
        // PEM-armoured CMS (`openssl cms -outform PEM`).
        if let Some(der) = pem_cms(bytes) {
            return self.check_cms(&der, detached, validation_time);
        }
        Err(CheckError::UnknownFormat)
    }

    /// Checks every signer of a CMS SignedData (`.p7m` enveloping, or `.p7s` with `detached`).
    pub fn check_cms(
        &self,
        cms: &[u8],
        detached: Option<&[u8]>,
        validation_time: OffsetDateTime,
    ) -> Result<DocumentReport, CheckError> {
        let parts = SignedDataParts::from_ber(cms)?;
        let format = if parts.is_detached() {
            DocumentFormat::CmsDetached
        } else {
            DocumentFormat::CmsEnveloping
        };
        let kind = if parts.is_detached() {
            SignatureKind::CmsDetached
        } else {
            SignatureKind::CmsEnveloping
        };
        let mut material = ValidationMaterial::default();
        let mut pool = Pool::default();
        self.fill_pool_from_cms(&parts, &mut pool);
        let mut signatures = Vec::new();
        for i in 0..parts.signer_infos().len() {
            let sv = verify_signer_with(&parts, i, detached, &pool.certs());
            let id = format!("signer {}", i + 1);
            self.judge_with_counters(
                &sv,
                &id,
                kind,
                None,
                &pool,
                validation_time,
                &mut material,
                &mut signatures,
            );
        }
        Ok(self.finish(
            format,
            cms,
            validation_time,
            signatures,
            Vec::new(),
            material,
        ))
    }

    /// Checks every signature and document timestamp of a PDF.
    pub fn check_pdf(
        &self,
        bytes: &[u8],
        validation_time: OffsetDateTime,
    ) -> Result<DocumentReport, CheckError> {
        let pdf = match PdfSignatures::read(bytes, &self.limits) {
            Ok(p) => p,
            // Too large or not a PDF: the input is refused. A PDF whose structure is broken
            // is a verdict on the document: its signatures cannot be shown to be what a
            // reader displays.
            Err(e @ (PdfError::TooLarge { .. } | PdfError::NotPdf)) => return Err(e.into()),
            Err(e) => {
                let mut r = self.finish(
                    DocumentFormat::Pdf,
                    bytes,
                    validation_time,
                    Vec::new(),
                    vec![e.to_string()],
                    ValidationMaterial::default(),
                );
                let encrypted = matches!(e, PdfError::Encrypted(_));
                r.indication = if encrypted {
                    Indication::Indeterminate
                } else {
                    Indication::Failed
                };
                r.summary = if encrypted {
                    format!("The signatures cannot be checked: {e}.")
                } else {
                    format!("The document is not a readable PDF, so none of its signatures can be trusted: {e}.")
                };
                return Ok(r);
            }
        };
        let mut warnings = Vec::new();
        if pdf.xref_repaired {
            warnings.push("the PDF's cross-reference table was damaged and had to be rebuilt; a PDF reader may show different content".to_string());
        }
        let mut material = ValidationMaterial::default();
        let mut pool = Pool::default();
        // Document timestamps first: they prove when the revisions before them existed.
        let mut doc_ts: Vec<(usize, OffsetDateTime)> = Vec::new();
        let mut reports = Vec::new();
        let mut parsed: Vec<Option<SignedDataParts>> = Vec::new();
        for sig in &pdf.signatures {
            let parts = sig
                .cms_bytes()
                .and_then(|b| SignedDataParts::from_ber(b).ok());
            if let Some(p) = &parts {
                self.fill_pool_from_cms(p, &mut pool);
            }
            parsed.push(parts);
        }
        // The DSS (ETSI EN 319 142-1 §5.4.2) carries validation data for every signature;
        // the VRI entries only say which belongs to which, so all of it goes into the pool.
        if let Some(dss) = &pdf.dss {
            pool.add_dss_entries(&dss.certificates, &dss.crls, &dss.ocsps);
            for v in &dss.vris {
                pool.add_dss_entries(&v.certificates, &v.crls, &v.ocsps);
            }
            for p in &dss.problems {
                warnings.push(format!(
                    "part of the document security store was not used: {p}"
                ));
            }
        }
        for sig in pdf.signatures.iter().filter(|s| s.is_document_timestamp()) {
            let r =
                self.judge_document_timestamp(sig, bytes, &pool, validation_time, &mut material);
            if let (true, Some(t), Some(end)) = (r.passed(), r.proven_time, sig.revision_end()) {
                doc_ts.push((end, t));
            }
        }
        for (idx, sig) in pdf.signatures.iter().enumerate() {
            let id = sig
                .qualified_field_name
                .clone()
                .unwrap_or_else(|| format!("signature {}", idx + 1));
            if sig.is_document_timestamp() {
                reports.push(self.judge_document_timestamp(
                    sig,
                    bytes,
                    &pool,
                    validation_time,
                    &mut material,
                ));
                continue;
            }
            let coverage = self.coverage_with_changes(&pdf, bytes, idx);
            // A later document timestamp whose revision contains this signature proves it.
            let external_poe = sig.revision_end().and_then(|end| {
                doc_ts
                    .iter()
                    .filter(|(ts_end, _)| *ts_end > end)
                    .map(|(_, t)| *t)
                    .min()
            });
            let fail = |sub: SubIndication, why: String| {
                let mut r =
                    SignatureReport::new(id.clone(), SignatureKind::PdfSignature, validation_time);
                r.claimed_signing_time = pdf_date(sig.signing_time.as_deref());
                r.pdf = Some(coverage.clone());
                conclude(r, sub, why)
            };
            let range = match &sig.byte_range {
                Ok(r) => *r,
                Err(e) => {
                    reports.push(fail(
                        SubIndication::FormatFailure,
                        format!("The signature's byte range is not acceptable: {e}, so it is unclear which bytes were signed."),
                    ));
                    continue;
                }
            };
            let Some(parts) = &parsed[idx] else {
                reports.push(fail(
                    SubIndication::FormatFailure,
                    "The signature field does not contain a readable CMS signature.".to_string(),
                ));
                continue;
            };
            let Some([a, b]) = range.signed_bytes(bytes) else {
                reports.push(fail(
                    SubIndication::FormatFailure,
                    "The signature's byte range lies outside the file.".to_string(),
                ));
                continue;
            };
            let mut signed = Vec::with_capacity(a.len() + b.len());
            signed.extend_from_slice(a);
            signed.extend_from_slice(b);
            let legacy_sha1 = sig.sub_filter.as_deref() == Some("adbe.pkcs7.sha1");
            let certs = pool.certs();
            for i in 0..parts.signer_infos().len() {
                let sv = if legacy_sha1 {
                    // The signed content is the SHA-1 of the byte ranges, encapsulated.
                    let mut sv = verify_signer_with(parts, i, None, &certs);
                    let expected = DigestAlgorithm::Sha1.digest(&signed);
                    if parts.econtent() != Some(expected.as_slice()) && sv.format_error.is_none() {
                        sv.message_digest = crate::verify::AttributeCheck::Mismatch {
                            expected: hex_upper(&expected),
                            found: parts.econtent().map(hex_upper).unwrap_or_default(),
                        };
                    }
                    sv
                } else {
                    verify_signer_with(parts, i, Some(&signed), &certs)
                };
                let sid = if i == 0 {
                    id.clone()
                } else {
                    format!("{id} / signer {}", i + 1)
                };
                let mut out = Vec::new();
                self.judge_with_counters(
                    &sv,
                    &sid,
                    SignatureKind::PdfSignature,
                    external_poe,
                    &pool,
                    validation_time,
                    &mut material,
                    &mut out,
                );
                for mut r in out {
                    if r.claimed_signing_time.is_none() {
                        r.claimed_signing_time = pdf_date(sig.signing_time.as_deref());
                    }
                    if legacy_sha1 {
                        r.warnings.push("the signature uses the legacy adbe.pkcs7.sha1 form, which signs a SHA-1 hash of the document".into());
                    }
                    if r.kind == SignatureKind::PdfSignature {
                        apply_coverage(&mut r, coverage.clone());
                    }
                    reports.push(r);
                }
            }
        }
        Ok(self.finish(
            DocumentFormat::Pdf,
            bytes,
            validation_time,
            reports,
            warnings,
            material,
        ))
    }

    /// Checks one certificate: its path to a trust anchor, validity and revocation at
    /// `validation_time` (an operator's question before relying on a CA or a signer).
    pub fn check_certificate(
        &self,
        cert: &Certificate,
        bytes: &[u8],
        validation_time: OffsetDateTime,
    ) -> DocumentReport {
        let mut pool = Pool::default();
        self.fill_pool_supplied(&mut pool);
        let mut material = ValidationMaterial::default();
        let mut report = SignatureReport::new(
            "certificate".into(),
            SignatureKind::Certificate,
            validation_time,
        );
        report.signer = Some(identity(cert));
        let mut warnings = Vec::new();
        let path = self.validate_path(cert, &pool, validation_time, &mut material, &mut warnings);
        report.warnings = warnings;
        report.chain = path.chain.iter().map(summary).collect();
        report.revocation = path.revocation;
        let report = match path.result {
            Err(e) => {
                let sentence = format!(
                    "{} (judged at {}).",
                    capitalise(&e.to_string()),
                    fmt(validation_time)
                );
                let (sub, _) = path_verdict(&e, false, validation_time);
                conclude(report, sub, sentence)
            }
            Ok(()) => {
                report.explanation = format!(
                    "The certificate of {} leads to a trusted root and was valid and not revoked at {}.",
                    report
                        .signer
                        .as_ref()
                        .and_then(|s| s.name.clone())
                        .unwrap_or_else(|| "its holder".into()),
                    fmt(validation_time)
                );
                report
            }
        };
        self.finish(
            DocumentFormat::Certificate,
            bytes,
            validation_time,
            vec![report],
            Vec::new(),
            material,
        )
    }

    /// Intermediates and CRLs the validator was configured with.
    fn fill_pool_supplied(&self, pool: &mut Pool) {
        for c in &self.intermediates {
            if let Ok(der) = c.to_der() {
                pool.add_certificate_der(&der, Origin::Supplied);
            }
        }
        for crl in &self.crls {
            pool.add_crl(crl, Origin::Supplied);
        }
        for o in &self.ocsp_responses {
            pool.add_ocsp(o, Origin::Supplied);
        }
    }

    fn fill_pool_from_cms(&self, parts: &SignedDataParts, pool: &mut Pool) {
        for c in parts.certificates() {
            if let Ok(der) = c.to_der() {
                pool.add_certificate_der(&der, Origin::Signature);
            }
        }
        for crl in parts.crls() {
            if let Ok(der) = crl.to_der() {
                pool.add_crl(&der, Origin::Signature);
            }
        }
        for der in parts.ocsp_responses() {
            pool.add_ocsp(der, Origin::Signature);
        }
        // Adobe's signed attribute: revocation data the signer gathered when signing.
        for i in 0..parts.signer_infos().len() {
            if let Ok(Some(info)) = adobe_revocation_info(parts, i) {
                for crl in &info.crls {
                    pool.add_crl(crl, Origin::Signature);
                }
                for o in &info.ocsp_responses {
                    pool.add_ocsp(o, Origin::Signature);
                }
            }
        }
        self.fill_pool_supplied(pool);
    }

    /// Judges `sv` and, after it, each of its counter-signatures.
    #[allow(clippy::too_many_arguments)]
    fn judge_with_counters(
        &self,
        sv: &SignerVerification,
        id: &str,
        kind: SignatureKind,
        external_poe: Option<OffsetDateTime>,
        pool: &Pool,
        validation_time: OffsetDateTime,
        material: &mut ValidationMaterial,
        out: &mut Vec<SignatureReport>,
    ) {
        out.push(self.judge_signer(sv, id, kind, external_poe, pool, validation_time, material));
        for (n, cs) in sv.counter_signatures.iter().enumerate() {
            let cid = format!("{id} / counter-signature {}", n + 1);
            self.judge_with_counters(
                cs,
                &cid,
                SignatureKind::CounterSignature,
                None,
                pool,
                validation_time,
                material,
                out,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn judge_signer(
        &self,
        sv: &SignerVerification,
        id: &str,
        kind: SignatureKind,
        external_poe: Option<OffsetDateTime>,
        pool: &Pool,
        validation_time: OffsetDateTime,
        material: &mut ValidationMaterial,
    ) -> SignatureReport {
        let signer_cert = sv
            .signer_certificate
            .as_deref()
            .and_then(|d| Certificate::from_der(d).ok());
        let mut report = SignatureReport::new(id.to_string(), kind, validation_time);
        report.signer = signer_cert.as_ref().map(identity);
        report.claimed_signing_time = match sv.claimed_signing_time {
            ClaimedSigningTime::At(t) => Some(t),
            _ => None,
        };
        report.digest_algorithm = sv.digest_algorithm.as_ref().map(algorithm_report);
        report.signature_algorithm = sv.signature_algorithm.as_ref().map(algorithm_report);
        if let ClaimedSigningTime::Malformed(m) = &sv.claimed_signing_time {
            report
                .warnings
                .push(format!("the signingTime attribute is unreadable ({m})"));
        }
        if sv.digest_signature_mismatch {
            report.warnings.push("the signature algorithm names a different hash than the digest algorithm (accepted, as OpenSSL does)".into());
        }

        // 1. Integrity.
        let integrity = match sv.status() {
            SignerStatus::Valid => None,
            SignerStatus::ContentMissing => Some((
                SubIndication::SignedDataNotFound,
                "The signed content is not available: a detached signature needs the document it signs (--detached), and only that document.".to_string(),
            )),
            SignerStatus::FormatFailure(m) => Some((
                SubIndication::FormatFailure,
                format!("The signature is not well-formed: {m}."),
            )),
            SignerStatus::HashFailure => Some((
                SubIndication::HashFailure,
                "The document has been changed since it was signed: its fingerprint no longer matches the one the signer signed.".to_string(),
            )),
            SignerStatus::SigCryptoFailure => Some((
                SubIndication::SigCryptoFailure,
                "The signature value does not match the signer's key: it was not made by this certificate's owner over this content, or it was damaged.".to_string(),
            )),
            SignerStatus::SignerCertificateNotFound => Some((
                SubIndication::NoSigningCertificateFound,
                "The signer's certificate is neither in the signature nor among the supplied certificates, so the signature cannot be checked.".to_string(),
            )),
            SignerStatus::NotChecked(_) if digest_is_signature_oid(sv) => Some((
                SubIndication::FormatFailure,
                format!("The signature is not well-formed: its digestAlgorithm is {}, a signature algorithm, where RFC 5652 requires a hash algorithm.", sv.digest_algorithm.as_ref().map(|d| d.oid.to_string()).unwrap_or_default()),
            )),
            SignerStatus::NotChecked(r) => Some((
                SubIndication::CryptoConstraintsFailure,
                format!("The signature could not be checked: {r}."),
            )),
        };
        if let Some((sub, why)) = integrity {
            return conclude(report, sub, why);
        }
        if let SigningCertificateRef::Mismatch { .. } = sv.signing_certificate_ref {
            return conclude(report, SubIndication::NoSigningCertificateFound, "The signature names a different signing certificate (signingCertificate attribute) than the one it was verified with.".to_string());
        }
        if let SigningCertificateRef::Malformed(m) = &sv.signing_certificate_ref {
            return conclude(
                report,
                SubIndication::FormatFailure,
                format!("The signingCertificate attribute is unreadable: {m}."),
            );
        }
        let Some(cert) = signer_cert else {
            return conclude(
                report,
                SubIndication::NoSigningCertificateFound,
                "The signer's certificate cannot be read.".to_string(),
            );
        };

        // 2. Proof of existence.
        let certs = pool.certs();
        for ts in &sv.signature_timestamps {
            let mut tr = TimestampReport {
                gen_time: ts.gen_time,
                tsa: None,
                intact: ts.is_valid_proof(),
                trusted: false,
                problem: None,
            };
            if let Some(p) = &ts.parse.as_ref().err() {
                tr.problem = Some(format!("the timestamp cannot be read: {p}"));
            } else if !ts.covers_signature {
                tr.problem = Some("the timestamp is over other data than this signature".into());
            } else if !ts.is_valid_proof() {
                tr.problem = Some("the timestamp's own signature does not verify".into());
            } else if let Ok(token) = TimeStampToken::from_ber(&ts.der) {
                let (trusted, tsa, problem) =
                    self.token_trust(&token, &certs, validation_time, material);
                tr.trusted = trusted;
                tr.tsa = tsa;
                tr.problem = problem;
            }
            if tr.intact && tr.trusted {
                report.proven_time = min_time(report.proven_time, tr.gen_time);
            }
            report.timestamps.push(tr);
        }
        report.proven_time = min_time(report.proven_time, external_poe);
        let t = report
            .proven_time
            .map_or(validation_time, |p| p.min(validation_time));
        report.best_signature_time = t;
        let proven = report.proven_time.is_some();

        // 3. The certificate path at T.
        let mut path_warnings = Vec::new();
        let path = self.validate_path(&cert, pool, t, material, &mut path_warnings);
        report.warnings.extend(path_warnings);
        report.chain = path.chain.iter().map(summary).collect();
        report.revocation = path.revocation;
        for c in &path.chain {
            if let Ok(der) = c.to_der() {
                material.add_certificate(&der, "signature");
            }
        }
        if let Err(e) = path.result {
            let (sub, mut why) = path_verdict(&e, proven, t);
            if sub == SubIndication::TryLater && !path.fetch_failures.is_empty() {
                why = format!(
                    "{why} Fetching revocation data failed: {}.",
                    path.fetch_failures.join("; ")
                );
            }
            return conclude(report, sub, why);
        }
        if !key_usage_allows_signing(&cert) {
            return conclude(report, SubIndication::ChainConstraintsFailure, "The signer's certificate is not meant for signing documents: its key usage allows neither digital signatures nor non-repudiation.".to_string());
        }

        // 4. Algorithms at T.
        if let Some((sub, why)) = self.algorithms_at(sv, &cert, t, proven, &mut report) {
            return conclude(report, sub, why);
        }
        if matches!(
            sv.digest_algorithm.as_ref().map(|a| &a.status),
            Some(crate::verify::AlgorithmStatus::Legacy)
        ) {
            report
                .warnings
                .push("the signature uses SHA-1, which is no longer considered secure".into());
        }

        let who = report
            .signer
            .as_ref()
            .and_then(|s| s.name.clone())
            .unwrap_or_else(|| "the signer".into());
        let when = match report.proven_time {
            Some(p) => format!("proven by a trusted timestamp to exist on {}", fmt(p)),
            None => format!(
                "checked as of {} (no trusted timestamp proves an earlier signing time)",
                fmt(validation_time)
            ),
        };
        report.explanation = format!(
            "The signature by {who} is intact and was made with a certificate that was valid and not revoked, {when}."
        );
        report
    }

    /// Whether the TSA of `token` is trusted at `at`, its subject, and why not.
    fn token_trust(
        &self,
        token: &TimeStampToken,
        certs: &[Certificate],
        at: OffsetDateTime,
        material: &mut ValidationMaterial,
    ) -> (bool, Option<String>, Option<String>) {
        let anchors = self
            .paths
            .trust_store()
            .anchors()
            .iter()
            .map(|a| a.certificate.clone())
            .collect();
        let mut opts = TokenVerifyOptions::with_anchors(anchors, at);
        opts.extra_certs = certs.to_vec();
        let v = stele_tsp::verify_token(token, &opts);
        let tsa = v
            .signer_certificate
            .as_ref()
            .map(|c| c.tbs_certificate.subject.to_string());
        for c in token.certificates() {
            if let Ok(der) = c.to_der() {
                material.add_certificate(&der, "signature");
            }
        }
        match v.trust {
            Trust::Trusted { .. } if v.is_intact() => (true, tsa, None),
            Trust::Untrusted { reason } => (
                false,
                tsa,
                Some(format!(
                    "the timestamp authority is not trusted: {reason}; its time is not used as proof"
                )),
            ),
            _ => (
                false,
                tsa,
                Some("the timestamp's signature could not be checked".to_string()),
            ),
        }
    }

    /// RFC 5280 validation of the signer's path at `t`, with the revocation material of the
    /// pool (then the fetcher, unless offline). Evidence issued after `t` is accepted: that is
    /// how a signature is checked years later with the CRL or OCSP response gathered at
    /// signing or at ingest (ETSI EN 319 102-1 §5.6.2.3).
    fn validate_path(
        &self,
        cert: &Certificate,
        pool: &Pool,
        t: OffsetDateTime,
        material: &mut ValidationMaterial,
        warnings: &mut Vec<String>,
    ) -> PathOutcome {
        let mut input = RevocationInput::new();
        for (der, origin) in &pool.crls {
            if let Err(e) = input.add_crl_der(der) {
                warnings.push(format!(
                    "a CRL from the {} was not used: {e}",
                    origin.as_str()
                ));
            }
        }
        for (der, origin) in &pool.ocsp_responses {
            if let Err(e) = input.add_ocsp_der(der) {
                warnings.push(format!(
                    "an OCSP response from the {} was not used: {e}",
                    origin.as_str()
                ));
            }
        }
        if let Some(f) = &self.fetcher {
            input = input.with_fetcher(f);
        }
        let mut opts = ValidationOptions::at(t);
        opts.accept_revocation_issued_after = true;
        let intermediates = pool.certs();
        let report =
            self.paths
                .validate_detailed(cert, &intermediates, &input, &opts, Some(&self.policy));
        let chain: Vec<Certificate> = report
            .chain
            .iter()
            .filter_map(|d| Certificate::from_der(d).ok())
            .collect();
        let chain = if chain.is_empty() {
            vec![cert.clone()]
        } else {
            chain
        };
        let origin_of = |der: &[u8], list: &[(Vec<u8>, Origin)]| {
            list.iter()
                .find(|(d, _)| d == der)
                .map_or("fetched", |(_, o)| o.as_str())
        };
        for der in &report.used.certificates {
            material.add_certificate(der, "signature");
        }
        let crl_sha: Vec<String> = report
            .used
            .crls
            .iter()
            .map(|d| material.add_crl(d, origin_of(d, &pool.crls)))
            .collect();
        let ocsp_sha: Vec<String> = report
            .used
            .ocsp_responses
            .iter()
            .map(|d| material.add_ocsp_response(d, origin_of(d, &pool.ocsp_responses)))
            .collect();
        let mut revocation = Vec::new();
        for r in &report.revocation {
            let Some(c) = chain.get(r.depth) else {
                continue;
            };
            let (list, shas, blobs, source) = match r.source {
                RevocationSource::Crl => (&pool.crls, &crl_sha, &report.used.crls, "crl"),
                RevocationSource::Ocsp => (
                    &pool.ocsp_responses,
                    &ocsp_sha,
                    &report.used.ocsp_responses,
                    "ocsp",
                ),
            };
            let first = r.evidence.first().copied();
            let (status, revocation_time) = match r.status {
                RevocationState::Good => ("good", None),
                RevocationState::RevokedAfter { date, .. } => ("revoked_after_signing", Some(date)),
                RevocationState::Revoked { date, .. } => ("revoked", Some(date)),
            };
            revocation.push(RevocationReport {
                certificate_subject: c.tbs_certificate.subject.to_string(),
                certificate_serial: hex_upper(c.tbs_certificate.serial_number.as_bytes()),
                source: source.into(),
                origin: first
                    .and_then(|i| blobs.get(i))
                    .map_or("fetched", |d| origin_of(d, list))
                    .into(),
                issued: Some(r.issued),
                next_update: r.next_update,
                status: status.into(),
                revocation_time,
                sha256: first.and_then(|i| shas.get(i)).cloned(),
            });
            if let RevocationState::RevokedAfter { date, .. } = r.status {
                warnings.push(format!(
                    "the certificate {} was revoked on {}, after the time the signature is judged at",
                    c.tbs_certificate.subject,
                    fmt(date)
                ));
            }
        }
        warnings.extend(report.notes.iter().cloned());
        PathOutcome {
            result: report.outcome.map(|_| ()),
            chain,
            revocation,
            fetch_failures: report.fetch_failures,
        }
    }

    /// Judges the digest and signature algorithms at `t`; fills the report's algorithm lines.
    fn algorithms_at(
        &self,
        sv: &SignerVerification,
        cert: &Certificate,
        t: OffsetDateTime,
        proven: bool,
        report: &mut SignatureReport,
    ) -> Option<(SubIndication, String)> {
        let spki = &cert.tbs_certificate.subject_public_key_info;
        let digest = sv
            .digest_algorithm
            .as_ref()
            .and_then(|d| DigestAlgorithm::from_oid(&d.oid).ok());
        if let (Some(h), Some(r)) = (digest, report.digest_algorithm.as_mut()) {
            let a = self
                .policy
                .is_acceptable(PolicyUse::Signature, Algorithm::Hash(h), t);
            r.acceptability = acceptability(a).into();
            r.judged_at = Some(t);
        }
        let s = sv.signature_algorithm.as_ref()?;
        let alg = spki::AlgorithmIdentifierOwned {
            oid: s.oid,
            parameters: sv.signature_algorithm_parameters.clone(),
        };
        let verdict = self.policy.judge_signature(&alg, spki, digest, t);
        if let Some(r) = report.signature_algorithm.as_mut() {
            r.acceptability = acceptability(verdict.acceptability).into();
            r.judged_at = Some(t);
            r.name = Some(verdict.algorithm.clone());
        }
        let Acceptability::Expired { since } = verdict.acceptability else {
            return None;
        };
        let name = verdict
            .retired
            .map_or_else(|| verdict.algorithm.clone(), |a| a.to_string());
        Some(if proven {
            (SubIndication::CryptoConstraintsFailure, format!("The signature was made with {name} after that algorithm was retired on {} (algorithm policy), so it can no longer be relied on.", fmt_date(since)))
        } else {
            (SubIndication::CryptoConstraintsFailureNoPoe, format!("The signature uses {name}, retired on {} (algorithm policy), and no trusted timestamp proves it was made before then.", fmt_date(since)))
        })
    }

    /// What signature `idx` covers, and what was appended after its revision.
    fn coverage_with_changes(&self, pdf: &PdfSignatures, bytes: &[u8], idx: usize) -> PdfCoverage {
        let mut c = coverage(&pdf.signatures[idx]);
        if c.covers_whole_file || pdf.signatures[idx].byte_range.is_err() {
            return c;
        }
        match pdf.modifications(bytes, idx, &self.limits) {
            Ok(m) => {
                c.later_changes = m
                    .changes
                    .iter()
                    .filter(|ch| ch.kind != ChangeKind::Unreferenced)
                    .map(|ch| {
                        if ch.permitted {
                            ch.description.clone()
                        } else {
                            format!("{} (not permitted)", ch.description)
                        }
                    })
                    .collect();
                c.modification = match m.verdict {
                    ModificationVerdict::None => "none",
                    ModificationVerdict::Allowed => "allowed",
                    ModificationVerdict::Modified => "modified",
                }
                .into();
            }
            Err(e) => {
                c.later_changes = vec![format!("the changes could not be determined: {e}")];
                c.modification = "undetermined".into();
            }
        }
        c
    }

    fn judge_document_timestamp(
        &self,
        sig: &PdfSignature,
        bytes: &[u8],
        pool: &Pool,
        validation_time: OffsetDateTime,
        material: &mut ValidationMaterial,
    ) -> SignatureReport {
        let coverage = coverage(sig);
        let id = sig
            .qualified_field_name
            .clone()
            .unwrap_or_else(|| "document timestamp".into());
        let mut report =
            SignatureReport::new(id, SignatureKind::PdfDocumentTimestamp, validation_time);
        report.pdf = Some(coverage.clone());
        let signed = match (
            &sig.byte_range,
            sig.byte_range
                .as_ref()
                .ok()
                .and_then(|r| r.signed_bytes(bytes)),
        ) {
            (Ok(_), Some([a, b])) => [a, b].concat(),
            (Err(e), _) => {
                return conclude(
                    report,
                    SubIndication::FormatFailure,
                    format!("The document timestamp's byte range is not acceptable: {e}."),
                )
            }
            _ => {
                return conclude(
                    report,
                    SubIndication::FormatFailure,
                    "The document timestamp's byte range lies outside the file.".into(),
                )
            }
        };
        let token = match sig.cms_bytes().map(TimeStampToken::from_ber) {
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                return conclude(
                    report,
                    SubIndication::FormatFailure,
                    format!("The document timestamp is not a readable RFC 3161 token: {e}."),
                )
            }
            None => {
                return conclude(
                    report,
                    SubIndication::FormatFailure,
                    "The document timestamp field holds no token.".into(),
                )
            }
        };
        let gen = token.gen_time();
        let mut tr = TimestampReport {
            gen_time: Some(gen),
            tsa: None,
            intact: false,
            trusted: false,
            problem: None,
        };
        let intact = stele_tsp::verify_token(
            &token,
            &TokenVerifyOptions {
                extra_certs: pool.certs(),
                ..TokenVerifyOptions::integrity_only(gen)
            },
        );
        if !token.message_imprint().covers(&signed) {
            tr.problem = Some("the token is over other data than this revision".into());
            report.timestamps.push(tr);
            return conclude(report, SubIndication::HashFailure, "The document has been changed since it was timestamped: the timestamp is over different bytes.".into());
        }
        if !intact.is_intact() {
            tr.problem = Some("the token's signature does not verify".into());
            report.timestamps.push(tr);
            return conclude(
                report,
                SubIndication::SigCryptoFailure,
                "The timestamp authority's signature on the document timestamp does not verify."
                    .into(),
            );
        }
        tr.intact = true;
        let (trusted, tsa, problem) =
            self.token_trust(&token, &pool.certs(), validation_time, material);
        tr.trusted = trusted;
        tr.tsa = tsa.clone();
        tr.problem = problem.clone();
        report.timestamps.push(tr);
        report.signer = intact.signer_certificate.as_ref().map(identity);
        if !trusted {
            return conclude(
                report,
                SubIndication::NoCertificateChainFound,
                format!(
                    "The document timestamp is intact, but {}.",
                    problem.unwrap_or_else(|| "its authority is not trusted".into())
                ),
            );
        }
        report.proven_time = Some(gen);
        report.best_signature_time = gen;
        report.explanation = format!(
            "The document timestamp by {} is intact and trusted: this revision of the document existed on {}.",
            tsa.unwrap_or_else(|| "the timestamp authority".into()),
            fmt(gen)
        );
        apply_coverage(&mut report, coverage);
        report
    }

    fn finish(
        &self,
        format: DocumentFormat,
        bytes: &[u8],
        validation_time: OffsetDateTime,
        signatures: Vec<SignatureReport>,
        warnings: Vec<String>,
        material: ValidationMaterial,
    ) -> DocumentReport {
        let indication = if signatures.is_empty() {
            Indication::Indeterminate
        } else {
            signatures
                .iter()
                .map(|s| s.indication)
                .max()
                .unwrap_or(Indication::Indeterminate)
        };
        let passed = |k: HolderKind| {
            signatures.iter().any(|s| {
                s.passed()
                    && s.signer.as_ref().is_some_and(|i| i.holder == k)
                    && s.kind != SignatureKind::PdfDocumentTimestamp
            })
        };
        let both = passed(HolderKind::Personal) && passed(HolderKind::Organisation);
        let n = signatures.len();
        let n_passed = signatures.iter().filter(|s| s.passed()).count();
        let summary = if format == DocumentFormat::Certificate {
            signatures
                .first()
                .map(|s| s.explanation.clone())
                .unwrap_or_default()
        } else if n == 0 {
            "The document carries no signature.".to_string()
        } else if n_passed == n {
            format!("All {n} signature(s) of the document passed.")
        } else {
            format!("{n_passed} of {n} signature(s) passed; see each signature for the reason.")
        };
        DocumentReport {
            report: DocumentReport::SCHEMA,
            format,
            validation_time,
            document_sha256: hex_sha256(bytes),
            indication,
            summary,
            signatures,
            personal_and_organisation_signed: both,
            warnings,
            material,
        }
    }
}

/// RFC 5652 §5.3: digestAlgorithm identifies a message digest algorithm. Some producers write
/// the signature algorithm there (sha256WithRSAEncryption); OpenSSL tolerates it, EU DSS does
/// not, and neither do we: the structure says something other than what was signed.
fn digest_is_signature_oid(sv: &SignerVerification) -> bool {
    sv.digest_algorithm.as_ref().is_some_and(|d| {
        d.status == crate::verify::AlgorithmStatus::Unknown
            && crate::verify::is_signature_algorithm(&d.oid)
    })
}

fn conclude(mut r: SignatureReport, sub: SubIndication, why: String) -> SignatureReport {
    r.indication = sub.indication();
    r.sub_indication = Some(sub);
    r.explanation = why;
    r
}

/// A PDF signature that passed everything else fails when the document was modified after it.
fn apply_coverage(r: &mut SignatureReport, c: PdfCoverage) {
    // Modified after signing is a failure of the document, so it outranks an INDETERMINATE
    // verdict (e.g. no trust anchor); a FAILED signature keeps its own, earlier reason.
    if r.indication != Indication::Failed && c.modification == "modified" {
        if !r.passed() {
            r.warnings.push(format!("also: {}", r.explanation));
        }
        r.indication = Indication::Failed;
        r.sub_indication = Some(SubIndication::ModifiedAfterSigning);
        r.explanation = format!(
            "The signed version of the document is intact, but the document was changed after it was signed ({}); what you see is not what was signed.",
            c.later_changes.join("; ")
        );
    } else if r.passed() && c.modification == "undetermined" {
        r.indication = Indication::Indeterminate;
        r.sub_indication = Some(SubIndication::SigConstraintsFailure);
        r.explanation = format!(
            "The signed version of the document is intact, but whether it was changed afterwards cannot be determined ({}).",
            c.later_changes.join("; ")
        );
    } else if r.passed() && !c.covers_whole_file {
        r.warnings.push(match c.modification.as_str() {
            "allowed" => format!(
                "content was appended after this signature, of kinds signatures permit: {}",
                c.later_changes.join("; ")
            ),
            _ => "content was appended after this signature".to_string(),
        });
    }
    r.pdf = Some(c);
}

fn coverage(sig: &PdfSignature) -> PdfCoverage {
    PdfCoverage {
        field: sig.qualified_field_name.clone(),
        sub_filter: sig.sub_filter.clone(),
        byte_range: sig.raw_byte_range,
        covers_whole_file: sig.covers_whole_file(),
        revision_end: sig.revision_end(),
        later_changes: Vec::new(),
        modification: if sig.covers_whole_file() {
            "none".into()
        } else {
            "allowed".into()
        },
    }
}

/// The verdict for a path that failed at `t` (`proven`: `t` is a proven time, not "now").
fn path_verdict(e: &PathError, proven: bool, t: OffsetDateTime) -> (SubIndication, String) {
    let sentence = format!("{}{}", capitalise(&e.to_string()), time_clause(proven, t));
    let sub = match e {
        PathError::NoPathToAnchor => SubIndication::NoCertificateChainFound,
        PathError::SignatureInvalid { .. }
        | PathError::Malformed { .. }
        | PathError::Unsupported(_) => SubIndication::CertificateChainGeneralFailure,
        PathError::Expired { .. } if proven => SubIndication::Expired,
        PathError::Expired { .. } => SubIndication::OutOfBoundsNoPoe,
        PathError::NotYetValid { .. } => SubIndication::NotYetValid,
        PathError::Revoked { depth: 0, .. } if proven => SubIndication::Revoked,
        PathError::Revoked { depth: 0, .. } => SubIndication::RevokedNoPoe,
        PathError::Revoked { .. } => SubIndication::RevokedCaNoPoe,
        PathError::RevocationUnknown { .. } => SubIndication::TryLater,
        PathError::AlgorithmRetired { .. } if proven => SubIndication::CryptoConstraintsFailure,
        PathError::AlgorithmRetired { .. } => SubIndication::CryptoConstraintsFailureNoPoe,
        _ => SubIndication::ChainConstraintsFailure,
    };
    (sub, sentence)
}

fn time_clause(proven: bool, t: OffsetDateTime) -> String {
    if proven {
        format!(
            " (judged at {}, when the signature is proven to have existed).",
            fmt(t)
        )
    } else {
        format!(
            " (judged at {}: no trusted timestamp proves the signature existed earlier).",
            fmt(t)
        )
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn key_usage_allows_signing(cert: &Certificate) -> bool {
    let ku = cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_KEY_USAGE);
    match ku.map(|e| KeyUsage::from_der(e.extn_value.as_bytes())) {
        None => true,
        Some(Ok(ku)) => ku.digital_signature() || ku.non_repudiation(),
        Some(Err(_)) => false,
    }
}

fn acceptability(a: Acceptability) -> &'static str {
    match a {
        Acceptability::Acceptable => "acceptable",
        Acceptability::Expired { .. } => "retired",
        Acceptability::Unknown => "unknown",
    }
}

fn algorithm_report(a: &AlgorithmUse) -> AlgorithmReport {
    AlgorithmReport {
        oid: a.oid.to_string(),
        name: a.name.map(str::to_string),
        acceptability: "unknown".into(),
        judged_at: None,
    }
}

fn min_time(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

pub(crate) fn to_odt(t: &x509_cert::time::Time) -> OffsetDateTime {
    let secs = t.to_unix_duration().as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn summary(cert: &Certificate) -> CertificateSummary {
    let tbs = &cert.tbs_certificate;
    let spki = &tbs.subject_public_key_info;
    let public_key = signature_algorithms(
        &spki::AlgorithmIdentifierOwned {
            oid: const_oid::db::rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
            parameters: None,
        },
        spki,
    )
    .map(|(k, _)| k.to_string())
    .unwrap_or_else(|_| spki.algorithm.oid.to_string());
    CertificateSummary {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        serial: hex_upper(tbs.serial_number.as_bytes()),
        not_before: to_odt(&tbs.validity.not_before),
        not_after: to_odt(&tbs.validity.not_after),
        sha256: cert.to_der().map(|d| hex_sha256(&d)).unwrap_or_default(),
        public_key,
    }
}

fn identity(cert: &Certificate) -> SignerIdentity {
    let (holder, why) = subject::certificate_holder(cert);
    SignerIdentity {
        certificate: summary(cert),
        name: subject::holder_name(cert),
        holder,
        holder_reason: why,
    }
}

fn fmt(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

fn fmt_date(t: OffsetDateTime) -> String {
    let d = t.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A PDF date string (`D:YYYYMMDDHHmmSSOHH'mm'`, ISO 32000-1 §7.9.4), leniently.
pub(crate) fn pdf_date(s: Option<&str>) -> Option<OffsetDateTime> {
    let s = s?.trim();
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return None;
    }
    let num = |from: usize, len: usize, default: u32| -> Option<u32> {
        digits
            .get(from..from + len)
            .map_or(Some(default), |x| x.parse().ok())
    };
    let year = i32::try_from(num(0, 4, 0)?).ok()?;
    let month = time::Month::try_from(u8::try_from(num(4, 2, 1)?).ok()?).ok()?;
    let date =
        time::Date::from_calendar_date(year, month, u8::try_from(num(6, 2, 1)?).ok()?).ok()?;
    let tod = time::Time::from_hms(
        u8::try_from(num(8, 2, 0)?).ok()?,
        u8::try_from(num(10, 2, 0)?).ok()?,
        u8::try_from(num(12, 2, 0)?).ok()?,
    )
    .ok()?;
    let rest = &s[digits.len()..];
    let offset = match rest.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let r: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
            let h: i8 = r.get(0..2).and_then(|x| x.parse().ok()).unwrap_or(0);
            let m: i8 = r.get(2..4).and_then(|x| x.parse().ok()).unwrap_or(0);
            let (h, m) = if sign == '-' { (-h, -m) } else { (h, m) };
            time::UtcOffset::from_hms(h, m, 0).ok()?
        }
        _ => time::UtcOffset::UTC,
    };
    Some(time::PrimitiveDateTime::new(date, tod).assume_offset(offset))
}

/// `bytes` as one X.509 certificate (DER or PEM), if that is what they are.
fn certificate(bytes: &[u8]) -> Option<Certificate> {
    if bytes.first() == Some(&0x30) {
        return Certificate::from_der(bytes).ok();
    }
    let text = std::str::from_utf8(bytes).ok()?;
    if !text.contains("-----BEGIN CERTIFICATE-----") {
        return None;
    }
    Certificate::from_der(&pem_cms(bytes)?).ok()
}

/// The DER inside a PEM `-----BEGIN PKCS7-----` / `CMS` armour.
fn pem_cms(bytes: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    let text = std::str::from_utf8(bytes).ok()?;
    let start = text.find("-----BEGIN ")?;
    let body_start = start + text[start..].find('\n')? + 1;
    let end = body_start + text[body_start..].find("-----END ")?;
    let b64: String = text[body_start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates() {
        let t = pdf_date(Some("D:20240131123456+07'00'")).unwrap();
        assert_eq!(t.unix_timestamp(), 1_706_679_296);
        assert_eq!(
            pdf_date(Some("D:2024")).unwrap().month(),
            time::Month::January
        );
        assert!(pdf_date(Some("D:20241399")).is_none());
        assert!(pdf_date(Some("garbage")).is_none());
        assert!(pdf_date(Some("D:2024ÿ")).is_some());
    }
}
