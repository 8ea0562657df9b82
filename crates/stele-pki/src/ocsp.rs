//! OCSP (RFC 6960): requests with a SHA-1 CertID and a nonce, and verification of
//! BasicOCSPResponses at an injected time.
//!
//! Verification checks, in order: size bound, response status and type, the responder
//! (the issuer itself, or a certificate issued by the issuer carrying id-kp-OCSPSigning and
//! valid when the response was produced), the responder's signature over the to-be-signed
//! bytes as received ([`crate::crypto::verify_signature`]), the nonce when one is expected, the
//! SingleResponse whose CertID matches the certificate (looked up first, before any signature
//! work), and thisUpdate/nextUpdate freshness at `at` ([`verify_authentic`] leaves freshness to
//! the caller, for historical validation). Every failure is an [`OcspError`]; nothing here
//! panics on hostile input.
//!
//! Not covered yet: revocation checking of a delegated responder certificate (id-pkix-ocsp-nocheck
//! is neither required nor honoured), responders authorised by local configuration, and
//! signed requests.

use const_oid::db::{rfc5280, rfc5912, rfc6960};
use const_oid::ObjectIdentifier;
use der::asn1::{Null, OctetString};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;
use stele_asn1::DigestAlgorithm;
use time::{Duration, OffsetDateTime};
use x509_cert::ext::pkix::{CrlReason, ExtendedKeyUsage};
use x509_cert::ext::Extension;
use x509_cert::Certificate;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse,
    OcspResponseStatus, Request, ResponderId, ResponseBytes, TbsRequest, Version,
};

use crate::crypto::{self, SignatureError};

/// Responses larger than this are refused before decoding.
pub const MAX_RESPONSE_SIZE: usize = 256 * 1024;
/// At most this many SingleResponses and embedded certificates are looked at.
const MAX_ITEMS: usize = 64;

/// Why an OCSP request could not be built or a response was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OcspError {
    #[error("the OCSP response is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("the OCSP data is malformed: {0}")]
    Malformed(String),
    #[error("the OCSP responder refused to answer ({0})")]
    ResponderStatus(String),
    #[error("the OCSP response is of an unsupported type {0}")]
    UnsupportedResponseType(String),
    #[error("the OCSP response was signed by a party not authorised to speak for the certificate's issuer")]
    UnauthorisedResponder,
    #[error("the signature on the OCSP response does not verify: {0}")]
    Signature(SignatureError),
    #[error("the OCSP response does not answer for this certificate")]
    CertIdMismatch,
    #[error("the OCSP response does not carry the nonce of the request")]
    NonceMismatch,
    #[error("the OCSP response is not current at the time of validation (thisUpdate {this_update}, nextUpdate {})", next_update.map(|t| t.to_string()).unwrap_or_else(|| "none".into()))]
    NotFresh {
        this_update: OffsetDateTime,
        next_update: Option<OffsetDateTime>,
    },
}

/// The certificate status an OCSP response states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OcspStatus {
    Good,
    Revoked {
        time: OffsetDateTime,
        reason: Option<CrlReason>,
    },
    Unknown,
}

/// A built request: its DER, the CertID it asks about and the nonce it carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltRequest {
    pub der: Vec<u8>,
    pub cert_id: CertId,
    pub nonce: Option<Vec<u8>>,
}

/// A verified answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspVerified {
    pub status: OcspStatus,
    pub produced_at: OffsetDateTime,
    pub this_update: OffsetDateTime,
    pub next_update: Option<OffsetDateTime>,
    /// The certificate whose key signed the response (the issuer or a delegated responder).
    pub responder: Certificate,
}

/// How a response is judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspCheckOptions {
    /// The moment at which the response must be current.
    pub at: OffsetDateTime,
    /// The nonce sent. A response carrying a different nonce is always refused; one carrying
    /// none is refused only when `require_nonce` is set (many responders pre-produce answers).
    pub nonce: Option<Vec<u8>>,
    /// Whether a response without the nonce is refused.
    pub require_nonce: bool,
    /// Clock skew tolerated on thisUpdate/nextUpdate.
    pub tolerance: Duration,
    /// Without nextUpdate, a response is current for this long after thisUpdate.
    pub max_age_without_next_update: Duration,
}

impl OcspCheckOptions {
    /// No nonce, 5 minutes tolerance, 1 day without nextUpdate.
    pub fn at(at: OffsetDateTime) -> Self {
        OcspCheckOptions {
            at,
            nonce: None,
            require_nonce: false,
            tolerance: Duration::minutes(5),
            max_age_without_next_update: Duration::days(1),
        }
    }
}

fn malformed(what: &str, e: impl std::fmt::Display) -> OcspError {
    OcspError::Malformed(format!("{what}: {e}"))
}

fn key_bits(cert: &Certificate) -> Result<&[u8], OcspError> {
    cert.tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| OcspError::Malformed("public key has unused bits".into()))
}

/// The CertID of `cert` (issued by `issuer`) with hash `alg` (RFC 6960 §4.1.1).
pub fn cert_id_with(
    cert: &Certificate,
    issuer: &Certificate,
    alg: DigestAlgorithm,
) -> Result<CertId, OcspError> {
    let name = issuer
        .tbs_certificate
        .subject
        .to_der()
        .map_err(|e| malformed("issuer name", e))?;
    let name_hash = alg.digest(&name);
    let key_hash = alg.digest(key_bits(issuer)?);
    Ok(CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: alg.oid(),
            parameters: Some(Null.into()),
        },
        issuer_name_hash: OctetString::new(name_hash).map_err(|e| malformed("hash", e))?,
        issuer_key_hash: OctetString::new(key_hash).map_err(|e| malformed("hash", e))?,
        serial_number: cert.tbs_certificate.serial_number.clone(),
    })
}

/// The SHA-1 CertID of `cert` (the hash every responder understands).
pub fn cert_id(cert: &Certificate, issuer: &Certificate) -> Result<CertId, OcspError> {
    cert_id_with(cert, issuer, DigestAlgorithm::Sha1)
}

/// A random 16-byte nonce from the operating system.
pub fn random_nonce() -> Vec<u8> {
    use rand_core::RngCore;
    let mut n = vec![0u8; 16];
    rand_core::OsRng.fill_bytes(&mut n);
    n
}

/// Builds an unsigned OCSPRequest for `cert` with a SHA-1 CertID and, if given, a nonce
/// extension.
pub fn build_request(
    cert: &Certificate,
    issuer: &Certificate,
    nonce: Option<&[u8]>,
) -> Result<BuiltRequest, OcspError> {
    let cert_id = cert_id(cert, issuer)?;
    let request_extensions = match nonce {
        Some(n) => {
            let value = OctetString::new(n.to_vec())
                .and_then(|o| o.to_der())
                .map_err(|e| malformed("nonce", e))?;
            Some(vec![Extension {
                extn_id: rfc6960::ID_PKIX_OCSP_NONCE,
                critical: false,
                extn_value: OctetString::new(value).map_err(|e| malformed("nonce", e))?,
            }])
        }
        None => None,
    };
    let req = OcspRequest {
        tbs_request: TbsRequest {
            version: Version::V1,
            requestor_name: None,
            request_list: vec![Request {
                req_cert: cert_id.clone(),
                single_request_extensions: None,
            }],
            request_extensions,
        },
        optional_signature: None,
    };
    let der = req.to_der().map_err(|e| malformed("request", e))?;
    Ok(BuiltRequest {
        der,
        cert_id,
        nonce: nonce.map(<[u8]>::to_vec),
    })
}

fn to_time(t: &OcspGeneralizedTime) -> Result<OffsetDateTime, OcspError> {
    let secs = t.0.to_unix_duration().as_secs();
    i64::try_from(secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .ok_or_else(|| OcspError::Malformed("time out of range".into()))
}

/// Decodes an OCSPResponse (size-bounded) and returns its BasicOCSPResponse and the exact
/// DER of that BasicOCSPResponse.
pub fn parse_response(der: &[u8]) -> Result<(BasicOcspResponse, Vec<u8>), OcspError> {
    if der.len() > MAX_RESPONSE_SIZE {
        return Err(OcspError::TooLarge {
            max: MAX_RESPONSE_SIZE,
        });
    }
    let resp = OcspResponse::from_der(der).map_err(|e| malformed("OCSPResponse", e))?;
    if resp.response_status != OcspResponseStatus::Successful {
        return Err(OcspError::ResponderStatus(format!(
            "{:?}",
            resp.response_status
        )));
    }
    let bytes = resp
        .response_bytes
        .ok_or_else(|| OcspError::Malformed("successful response without responseBytes".into()))?;
    if bytes.response_type != rfc6960::ID_PKIX_OCSP_BASIC {
        return Err(OcspError::UnsupportedResponseType(
            bytes.response_type.to_string(),
        ));
    }
    let basic_der = bytes.response.into_bytes();
    let basic =
        BasicOcspResponse::from_der(&basic_der).map_err(|e| malformed("BasicOCSPResponse", e))?;
    if basic.tbs_response_data.responses.len() > MAX_ITEMS
        || basic.certs.as_ref().is_some_and(|c| c.len() > MAX_ITEMS)
    {
        return Err(OcspError::Malformed("too many entries".into()));
    }
    Ok((basic, basic_der))
}

fn has_ocsp_signing_eku(cert: &Certificate) -> bool {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == rfc5280::ID_CE_EXT_KEY_USAGE)
        .filter_map(|e| ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok())
        .any(|eku| eku.0.contains(&rfc5912::ID_KP_OCSP_SIGNING))
}

fn matches_responder_id(cert: &Certificate, rid: &ResponderId) -> bool {
    match rid {
        ResponderId::ByName(n) => cert.tbs_certificate.subject == *n,
        ResponderId::ByKey(k) => key_bits(cert)
            .map(|b| DigestAlgorithm::Sha1.digest(b) == k.as_bytes())
            .unwrap_or(false),
    }
}

fn valid_at(cert: &Certificate, t: OffsetDateTime) -> bool {
    let v = &cert.tbs_certificate.validity;
    let nb = v.not_before.to_unix_duration().as_secs();
    let na = v.not_after.to_unix_duration().as_secs();
    let t = t.unix_timestamp();
    i64::try_from(nb).is_ok_and(|nb| nb <= t) && i64::try_from(na).is_ok_and(|na| t <= na)
}

/// Finds the authorised signer: the issuer itself, or a delegated responder certificate from
/// the response issued (and signed) by the issuer, with id-kp-OCSPSigning, valid at
/// `produced_at`.
fn authorised_signer(
    basic: &BasicOcspResponse,
    issuer: &Certificate,
    produced_at: OffsetDateTime,
) -> Result<Certificate, OcspError> {
    let rid = &basic.tbs_response_data.responder_id;
    if matches_responder_id(issuer, rid) {
        return Ok(issuer.clone());
    }
    for c in basic.certs.iter().flatten() {
        if !matches_responder_id(c, rid) {
            continue;
        }
        if c.tbs_certificate.issuer == issuer.tbs_certificate.subject
            && has_ocsp_signing_eku(c)
            && valid_at(c, produced_at)
            && crypto::verify_certificate(c, &issuer.tbs_certificate.subject_public_key_info)
                .is_ok()
        {
            return Ok(c.clone());
        }
    }
    Err(OcspError::UnauthorisedResponder)
}

fn same_cert_id(a: &CertId, b: &CertId) -> bool {
    a.hash_algorithm.oid == b.hash_algorithm.oid
        && a.issuer_name_hash == b.issuer_name_hash
        && a.issuer_key_hash == b.issuer_key_hash
        && a.serial_number == b.serial_number
}

/// Verifies an OCSPResponse (DER) about `cert`, issued by `issuer`, at `opts.at`.
pub fn verify_response(
    der: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
    opts: &OcspCheckOptions,
) -> Result<OcspVerified, OcspError> {
    let v = verify_authentic(der, cert, issuer, opts.nonce.as_deref(), opts.require_nonce)?;
    check_fresh(&v, opts)?;
    Ok(v)
}

/// Everything [`verify_response`] checks except freshness: for historical validation, where
/// the caller decides whether a response issued before or after the time of interest counts.
pub fn verify_authentic(
    der: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
    nonce: Option<&[u8]>,
    require_nonce: bool,
) -> Result<OcspVerified, OcspError> {
    let (basic, basic_der) = parse_response(der)?;
    let data = &basic.tbs_response_data;
    // The CertID first: it costs two hashes, so responses about other certificates are set
    // aside before any signature is verified.
    let mut single = None;
    for s in &data.responses {
        let Ok(alg) = DigestAlgorithm::from_oid(&s.cert_id.hash_algorithm.oid) else {
            continue;
        };
        if same_cert_id(&s.cert_id, &cert_id_with(cert, issuer, alg)?) {
            single = Some(s);
            break;
        }
    }
    let single = single.ok_or(OcspError::CertIdMismatch)?;

    let produced_at = to_time(&data.produced_at)?;
    let responder = authorised_signer(&basic, issuer, produced_at)?;
    let tbs = crypto::tbs_bytes(&basic_der).map_err(OcspError::Signature)?;
    let sig = basic
        .signature
        .as_bytes()
        .ok_or_else(|| OcspError::Malformed("signature has unused bits".into()))?;
    crypto::verify_signature(
        &responder.tbs_certificate.subject_public_key_info,
        &basic.signature_algorithm,
        None,
        tbs,
        sig,
    )
    .map_err(OcspError::Signature)?;

    if let Some(expected) = nonce {
        let got = data
            .response_extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == rfc6960::ID_PKIX_OCSP_NONCE)
            .and_then(|e| OctetString::from_der(e.extn_value.as_bytes()).ok());
        match got {
            Some(g) if g.as_bytes() != expected => return Err(OcspError::NonceMismatch),
            None if require_nonce => return Err(OcspError::NonceMismatch),
            _ => {}
        }
    }

    let this_update = to_time(&single.this_update)?;
    let next_update = single.next_update.as_ref().map(to_time).transpose()?;
    let status = match &single.cert_status {
        CertStatus::Good(_) => OcspStatus::Good,
        CertStatus::Revoked(info) => OcspStatus::Revoked {
            time: to_time(&info.revocation_time)?,
            reason: info.revocation_reason,
        },
        CertStatus::Unknown(_) => OcspStatus::Unknown,
    };
    Ok(OcspVerified {
        status,
        produced_at,
        this_update,
        next_update,
        responder,
    })
}

/// Whether a verified answer is current at `opts.at`: thisUpdate ≤ at ≤ nextUpdate (or
/// thisUpdate + `max_age_without_next_update`), each with `tolerance`.
pub fn check_fresh(v: &OcspVerified, opts: &OcspCheckOptions) -> Result<(), OcspError> {
    let fresh_until = v
        .next_update
        .unwrap_or(v.this_update + opts.max_age_without_next_update);
    if v.this_update > opts.at + opts.tolerance || opts.at > fresh_until + opts.tolerance {
        return Err(OcspError::NotFresh {
            this_update: v.this_update,
            next_update: v.next_update,
        });
    }
    Ok(())
}

/// A full OCSPResponse (DER) from either an OCSPResponse or a bare BasicOCSPResponse, the form
/// CAdES `RevocationValues` and some PDF signers embed. A bare one is wrapped as a successful
/// id-pkix-ocsp-basic response; its bytes, which the signature covers, are kept unchanged.
pub fn to_full_response(der: &[u8]) -> Result<Vec<u8>, OcspError> {
    if der.len() > MAX_RESPONSE_SIZE {
        return Err(OcspError::TooLarge {
            max: MAX_RESPONSE_SIZE,
        });
    }
    // OCSPResponse starts with an ENUMERATED, BasicOCSPResponse with a SEQUENCE.
    if OcspResponse::from_der(der).is_ok() {
        return Ok(der.to_vec());
    }
    BasicOcspResponse::from_der(der).map_err(|e| malformed("OCSP response", e))?;
    let resp = OcspResponse {
        response_status: OcspResponseStatus::Successful,
        response_bytes: Some(ResponseBytes {
            response_type: rfc6960::ID_PKIX_OCSP_BASIC,
            response: OctetString::new(der.to_vec()).map_err(|e| malformed("OCSP response", e))?,
        }),
    };
    resp.to_der().map_err(|e| malformed("OCSP response", e))
}

/// The nextUpdate of the first SingleResponse of a (not verified) response, for caching.
pub fn next_update_hint(der: &[u8]) -> Option<OffsetDateTime> {
    let (basic, _) = parse_response(der).ok()?;
    let s = basic.tbs_response_data.responses.first()?;
    to_time(s.next_update.as_ref()?).ok()
}

/// The OID of id-kp-OCSPSigning, for callers building responder certificates.
pub const ID_KP_OCSP_SIGNING: ObjectIdentifier = rfc5912::ID_KP_OCSP_SIGNING;
