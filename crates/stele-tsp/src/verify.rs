//! Token verification: integrity of the CMS signature and, optionally, trust in the TSA
//! certificate at one point in time.
//!
//! Integrity and trust are reported separately because an archive needs both answers: a token
//! can be intact but from an unknown TSA, and many real tokens carry no certificate at all, which
//! leaves integrity unchecked rather than failed.

use stele_asn1::DigestAlgorithm;
use time::OffsetDateTime;
use x509_cert::ext::pkix::name::{GeneralName, GeneralNames};
use x509_cert::Certificate;

use crate::asn1;
use crate::oids;
use crate::path::{self, CertRef};
use crate::request::TimeStampRequest;
use crate::response::TimeStampResponse;
use crate::token::{SignerParts, TimeStampToken, TstInfo};

use der::Decode;

/// What to verify a token against.
#[derive(Clone, Debug)]
pub struct TokenVerifyOptions {
    /// Root CAs or pinned TSA certificates.
    pub trust_anchors: Vec<Certificate>,
    /// Intermediates (and TSA certificates for tokens that carry none).
    pub extra_certs: Vec<Certificate>,
    /// The time at which the TSA certificate path must be valid (for an archive timestamp: the
    /// genTime of the next one; for the newest: now).
    pub valid_at: OffsetDateTime,
    /// Whether to build and check the certificate path; integrity is always checked.
    pub evaluate_trust: bool,
}

impl TokenVerifyOptions {
    /// Integrity only; no path building.
    pub fn integrity_only(valid_at: OffsetDateTime) -> Self {
        TokenVerifyOptions {
            trust_anchors: Vec::new(),
            extra_certs: Vec::new(),
            valid_at,
            evaluate_trust: false,
        }
    }

    /// Integrity and trust against `anchors` at `valid_at`.
    pub fn with_anchors(anchors: Vec<Certificate>, valid_at: OffsetDateTime) -> Self {
        TokenVerifyOptions {
            trust_anchors: anchors,
            extra_certs: Vec::new(),
            valid_at,
            evaluate_trust: true,
        }
    }
}

/// Whether the token is what the TSA signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Integrity {
    Intact,
    Broken(String),
    /// The signer's certificate is neither in the token nor supplied: the signature could not be
    /// checked (not a failure; supply the certificate as an extra certificate).
    SignerCertificateMissing,
}

/// Whether the TSA certificate leads to a trust anchor at `valid_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    Trusted { anchor: String },
    NotEvaluated,
    Untrusted { reason: String },
}

/// The outcome of [`verify_token`].
#[derive(Clone, Debug)]
pub struct TokenVerification {
    pub info: TstInfo,
    pub signer_certificate: Option<Certificate>,
    pub integrity: Integrity,
    pub trust: Trust,
}

impl TokenVerification {
    pub fn is_intact(&self) -> bool {
        self.integrity == Integrity::Intact
    }
    pub fn is_trusted(&self) -> bool {
        matches!(self.trust, Trust::Trusted { .. })
    }
}

/// Verifies a token's signature and, if asked, its TSA certificate path.
pub fn verify_token(token: &TimeStampToken, opts: &TokenVerifyOptions) -> TokenVerification {
    let token_certs: Vec<CertRef<'_>> = token
        .certificates()
        .iter()
        .zip(token.certificate_ders())
        .map(|(c, d)| CertRef::new(c, Some(d)))
        .collect();
    let extra: Vec<CertRef<'_>> = opts
        .extra_certs
        .iter()
        .map(|c| CertRef::new(c, None))
        .collect();
    let anchors: Vec<CertRef<'_>> = opts
        .trust_anchors
        .iter()
        .map(|c| CertRef::new(c, None))
        .collect();

    let (integrity, signer) = check_integrity(token, &token_certs, &extra, &anchors);
    let trust = if !opts.evaluate_trust {
        Trust::NotEvaluated
    } else {
        match (&integrity, &signer) {
            (Integrity::Intact, Some(s)) => {
                evaluate_trust(s, &token_certs, &extra, &anchors, opts.valid_at)
            }
            (Integrity::SignerCertificateMissing, _) => Trust::Untrusted {
                reason: format!(
                    "the TSA certificate ({}) is not in the token; supply it to evaluate trust",
                    token.signer_id()
                ),
            },
            _ => Trust::Untrusted {
                reason: "the token's integrity is broken".into(),
            },
        }
    };
    TokenVerification {
        info: token.tst_info().clone(),
        signer_certificate: signer.map(|s| s.cert.clone()),
        integrity,
        trust,
    }
}

fn evaluate_trust(
    signer: &CertRef<'_>,
    token_certs: &[CertRef<'_>],
    extra: &[CertRef<'_>],
    anchors: &[CertRef<'_>],
    at: OffsetDateTime,
) -> Trust {
    if anchors.is_empty() {
        return Trust::Untrusted {
            reason: "no trust anchors were given".into(),
        };
    }
    if let Err(reason) = path::check_tsa_eku(signer.cert) {
        return Trust::Untrusted { reason };
    }
    let pool: Vec<CertRef<'_>> = token_certs.iter().chain(extra).cloned().collect();
    match path::build(signer, &pool, anchors, at) {
        Ok(anchor) => Trust::Trusted { anchor },
        Err(reason) => Trust::Untrusted { reason },
    }
}

fn check_integrity<'a>(
    token: &TimeStampToken,
    token_certs: &[CertRef<'a>],
    extra: &[CertRef<'a>],
    anchors: &[CertRef<'a>],
) -> (Integrity, Option<CertRef<'a>>) {
    let si = &token.signer;
    let broken = |m: String| (Integrity::Broken(m), None);
    let Some(signed_attrs) = &si.signed_attrs_der else {
        return broken("the SignerInfo has no signed attributes (RFC 3161 requires them)".into());
    };
    // contentType must say TSTInfo, or the signature could be re-purposed.
    match si.attribute(&oids::ID_CONTENT_TYPE) {
        Some(a) if a.values.len() == 1 && a.values[0] == asn1::oid(&oids::ID_CT_TST_INFO) => {}
        Some(_) => return broken("the contentType signed attribute is not id-ct-TSTInfo".into()),
        None => return broken("the contentType signed attribute is missing".into()),
    }
    let digest_alg = match DigestAlgorithm::from_oid(&si.digest_alg.oid) {
        Ok(a) => a,
        Err(e) => return broken(format!("SignerInfo digestAlgorithm: {e}")),
    };
    match si.attribute(&oids::ID_MESSAGE_DIGEST) {
        Some(a) if a.values.len() == 1 => {
            let expected = digest_alg.digest(token.tst_info_der());
            let ok = asn1::single(&a.values[0], "messageDigest")
                .ok()
                .filter(|t| t.tag == asn1::TAG_OCTET_STRING)
                .is_some_and(|t| t.value == expected.as_slice());
            if !ok {
                return broken(format!(
                    "the messageDigest attribute does not match the {digest_alg} hash of the TSTInfo (the time-stamp content was altered)"
                ));
            }
        }
        _ => return broken("the messageDigest signed attribute is missing or malformed".into()),
    }

    // Candidates named by the signer identifier, deduplicated by encoding.
    let mut candidates: Vec<&CertRef<'a>> = Vec::new();
    for c in token_certs.iter().chain(extra).chain(anchors) {
        if si.sid.matches(c.cert) && !candidates.iter().any(|k| k.der == c.der) {
            candidates.push(c);
        }
    }
    if candidates.is_empty() {
        return (Integrity::SignerCertificateMissing, None);
    }
    let mut failure: Option<String> = None;
    for cand in candidates {
        if let Err(e) = stele_pki::crypto::verify_signature(
            &cand.cert.tbs_certificate.subject_public_key_info,
            &si.signature_alg,
            Some(digest_alg),
            signed_attrs,
            &si.signature,
        ) {
            failure.get_or_insert(format!(
                "the TSA signature does not verify with the key of '{}': {e}",
                cand.cert.tbs_certificate.subject
            ));
            continue;
        }
        match check_ess(si, cand) {
            Ok(()) => return (Integrity::Intact, Some(cand.clone())),
            Err(e) => failure = Some(e),
        }
    }
    broken(failure.unwrap_or_else(|| "no signer certificate verifies".into()))
}

/// ESS signing-certificate binding (RFC 2634 / RFC 5035): the first ESSCertID(v2) must be the
/// hash of the signer certificate, and its issuerSerial (if present) must name it. At least one
/// of the two attributes is required by RFC 3161 / RFC 5816; both are checked when present.
fn check_ess(si: &SignerParts, signer: &CertRef<'_>) -> Result<(), String> {
    let v1 = si.attribute(&oids::ID_AA_SIGNING_CERTIFICATE);
    let v2 = si.attribute(&oids::ID_AA_SIGNING_CERTIFICATE_V2);
    if v1.is_none() && v2.is_none() {
        return Err("neither signingCertificate nor signingCertificateV2 is a signed attribute, so the signer certificate is not bound to the signature".into());
    }
    if let Some(a) = v1 {
        check_ess_attr(a.values.first(), false, signer)
            .map_err(|e| format!("signingCertificate: {e}"))?;
    }
    if let Some(a) = v2 {
        check_ess_attr(a.values.first(), true, signer)
            .map_err(|e| format!("signingCertificateV2: {e}"))?;
    }
    Ok(())
}

fn check_ess_attr(value: Option<&Vec<u8>>, v2: bool, signer: &CertRef<'_>) -> Result<(), String> {
    let malformed = |m: &str| format!("malformed attribute ({m})");
    let value = value.ok_or_else(|| malformed("no value"))?;
    let sc = asn1::single(value, "SigningCertificate").map_err(|e| e.to_string())?;
    let certs = sc
        .children()
        .read_tag(asn1::TAG_SEQUENCE, "certs")
        .map_err(|e| e.to_string())?;
    let first = certs
        .children()
        .read_tag(asn1::TAG_SEQUENCE, "ESSCertID")
        .map_err(|_| malformed("no ESSCertID"))?;
    let mut r = first.children();
    let mut hash = DigestAlgorithm::Sha1;
    if v2 {
        hash = DigestAlgorithm::Sha256;
        if r.peek_tag() == Some(asn1::TAG_SEQUENCE) {
            let alg = r.read("hashAlgorithm").map_err(|e| e.to_string())?;
            let oid_t = alg
                .children()
                .read_tag(asn1::TAG_OID, "hashAlgorithm")
                .map_err(|e| e.to_string())?;
            hash = DigestAlgorithm::ALL
                .into_iter()
                .find(|a| a.oid().as_bytes() == oid_t.value)
                .ok_or_else(|| {
                    format!(
                        "unsupported certificate hash algorithm {}",
                        asn1::oid_to_string(oid_t.value).unwrap_or_default()
                    )
                })?;
        }
    }
    let cert_hash = r
        .read_tag(asn1::TAG_OCTET_STRING, "certHash")
        .map_err(|e| e.to_string())?;
    let issuer_serial = match r
        .optional(asn1::TAG_SEQUENCE, "issuerSerial")
        .map_err(|e| e.to_string())?
    {
        Some(is) => {
            let mut ir = is.children();
            let names = ir
                .read_tag(asn1::TAG_SEQUENCE, "issuer")
                .map_err(|e| e.to_string())?;
            let serial = ir
                .read_tag(asn1::TAG_INTEGER, "serialNumber")
                .map_err(|e| e.to_string())?;
            let names = GeneralNames::from_der(names.raw).map_err(|e| malformed(&e.to_string()))?;
            Some((names, serial.value.to_vec()))
        }
        None => None,
    };
    let named = |(names, serial): &(GeneralNames, Vec<u8>)| {
        let issuer = names
            .iter()
            .map(crate::token::general_name_string)
            .collect::<Vec<_>>()
            .join("; ");
        let hex = serial
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        format!("serial {hex} issued by '{issuer}'")
    };
    let tbs = &signer.cert.tbs_certificate;
    if hash.digest(&signer.der) != cert_hash.value {
        let bound = issuer_serial
            .as_ref()
            .map(|is| format!(" (it binds the certificate with {})", named(is)))
            .unwrap_or_default();
        return Err(format!(
            "the {hash} certificate hash does not match the signer certificate '{}', serial {}{bound}",
            tbs.subject, tbs.serial_number
        ));
    }
    if let Some(is) = &issuer_serial {
        let name_ok =
            is.0.iter()
                .any(|n| matches!(n, GeneralName::DirectoryName(d) if *d == tbs.issuer));
        if !name_ok || is.1 != tbs.serial_number.as_bytes() {
            return Err(format!(
                "issuerSerial names {}, not the signer certificate (issuer '{}', serial {})",
                named(is),
                tbs.issuer,
                tbs.serial_number
            ));
        }
    }
    Ok(())
}

/// Why a response must not be used for the request it answers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    #[error("the TSA did not grant the request: {0}")]
    NotGranted(String),
    #[error("the response is granted but carries no token")]
    MissingToken,
    #[error("the token time-stamps {found} but {expected} was requested")]
    ImprintMismatch { expected: String, found: String },
    #[error("the token's nonce does not match the request's (replayed or misrouted response)")]
    NonceMismatch,
    #[error("the token has policy {found} but {expected} was requested")]
    PolicyMismatch { expected: String, found: String },
    #[error("the TSA did not include its certificate although certReq was set, so the token cannot be checked")]
    SignerCertificateMissing,
    #[error("the token's integrity is broken: {0}")]
    Integrity(String),
}

fn imprint_text(alg: DigestAlgorithm, d: &[u8]) -> String {
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!("{alg}:{hex}")
}

/// Checks that a response answers `request`: status granted, same imprint, same nonce, same
/// policy if one was asked for, and an intact signature by a certificate in the token.
pub fn verify_response(
    resp: &TimeStampResponse,
    request: &TimeStampRequest,
) -> Result<TokenVerification, ResponseError> {
    if !resp.status.is_granted() {
        return Err(ResponseError::NotGranted(resp.describe()));
    }
    let token = resp.token.as_ref().ok_or(ResponseError::MissingToken)?;
    let mi = token.message_imprint();
    let want = &request.message_imprint;
    if mi != want {
        return Err(ResponseError::ImprintMismatch {
            expected: imprint_text(want.algorithm, &want.digest),
            found: imprint_text(mi.algorithm, &mi.digest),
        });
    }
    if token.nonce() != request.nonce.as_deref() {
        return Err(ResponseError::NonceMismatch);
    }
    if let Some(p) = &request.policy {
        if token.policy() != p {
            return Err(ResponseError::PolicyMismatch {
                expected: p.clone(),
                found: token.policy().into(),
            });
        }
    }
    let v = verify_token(token, &TokenVerifyOptions::integrity_only(token.gen_time()));
    match &v.integrity {
        Integrity::Intact => Ok(v),
        Integrity::SignerCertificateMissing => Err(ResponseError::SignerCertificateMissing),
        Integrity::Broken(r) => Err(ResponseError::Integrity(r.clone())),
    }
}
