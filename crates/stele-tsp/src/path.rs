//! Minimal certification path building for TSA certificates, at one point in time: name chaining,
//! signature verification, validity dates, CA basicConstraints/keyUsage, up to a trust anchor.
//!
//! Deliberately small and isolated: revocation, policies, name constraints and path length belong
//! to the full RFC 5280 validator in `stele-pki`, which will replace this module's use.

use std::borrow::Cow;
use stele_pki::crypto::SignatureError;

use der::{Decode, Encode};
use time::OffsetDateTime;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier};
use x509_cert::Certificate;

use crate::oids;

/// Longest chain searched (TSA certificate to anchor); real hierarchies have 2–4 levels.
const MAX_DEPTH: usize = 8;
/// Issuer candidates examined per search (each costs a signature verification). Bounds the work
/// a hostile token with many same-named, cross-signed certificates can cause.
const MAX_CANDIDATES: usize = 64;

/// A certificate together with the bytes it was read from (its signature covers those bytes).
#[derive(Clone, Debug)]
pub(crate) struct CertRef<'a> {
    pub cert: &'a Certificate,
    pub der: Cow<'a, [u8]>,
}

impl<'a> CertRef<'a> {
    pub fn new(cert: &'a Certificate, der: Option<&'a [u8]>) -> Self {
        let der = match der {
            Some(d) => Cow::Borrowed(d),
            None => Cow::Owned(cert.to_der().unwrap_or_default()),
        };
        CertRef { cert, der }
    }

    fn subject(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }
}

pub(crate) fn fmt_time(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| format!("{t}"))
}

fn x509_time(t: &x509_cert::time::Time) -> OffsetDateTime {
    let d = t.to_unix_duration();
    OffsetDateTime::from_unix_timestamp_nanos(d.as_nanos() as i128)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// notBefore and notAfter of a certificate.
pub fn validity(cert: &Certificate) -> (OffsetDateTime, OffsetDateTime) {
    let v = &cert.tbs_certificate.validity;
    (x509_time(&v.not_before), x509_time(&v.not_after))
}

fn check_validity(c: &CertRef<'_>, at: OffsetDateTime) -> Result<(), String> {
    let (nb, na) = validity(c.cert);
    if at < nb || at > na {
        let state = if at < nb { "not yet valid" } else { "expired" };
        return Err(format!(
            "certificate '{}' is {state} at {}: valid from {} to {}",
            c.subject(),
            fmt_time(at),
            fmt_time(nb),
            fmt_time(na)
        ));
    }
    Ok(())
}

fn extension<'c>(
    cert: &'c Certificate,
    oid: &const_oid::ObjectIdentifier,
) -> Option<&'c x509_cert::ext::Extension> {
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == *oid)
}

pub(crate) fn subject_key_id(cert: &Certificate) -> Option<Vec<u8>> {
    let e = extension(cert, &oids::ID_CE_SUBJECT_KEY_IDENTIFIER)?;
    SubjectKeyIdentifier::from_der(e.extn_value.as_bytes())
        .ok()
        .map(|s| s.0.as_bytes().to_vec())
}

/// RFC 3161 §2.3: the TSA certificate carries a critical extendedKeyUsage with
/// id-kp-timeStamping.
pub(crate) fn check_tsa_eku(cert: &Certificate) -> Result<(), String> {
    let subject = cert.tbs_certificate.subject.to_string();
    let Some(e) = extension(cert, &oids::ID_CE_EXT_KEY_USAGE) else {
        return Err(format!(
            "TSA certificate '{subject}' has no extendedKeyUsage extension (id-kp-timeStamping is required)"
        ));
    };
    let eku = ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).map_err(|err| {
        format!("TSA certificate '{subject}' has a malformed extendedKeyUsage: {err}")
    })?;
    if !eku.0.contains(&oids::ID_KP_TIME_STAMPING) {
        return Err(format!(
            "TSA certificate '{subject}' is not authorised for time stamping (extendedKeyUsage lacks id-kp-timeStamping)"
        ));
    }
    if !e.critical {
        return Err(format!(
            "TSA certificate '{subject}' has a non-critical extendedKeyUsage; RFC 3161 requires it critical"
        ));
    }
    Ok(())
}

/// Whether `cert` may issue certificates. Anchors without basicConstraints (v1 roots) are
/// accepted because the relying party chose them.
fn may_issue(cert: &Certificate, is_anchor: bool) -> Result<(), String> {
    let subject = cert.tbs_certificate.subject.to_string();
    match extension(cert, &oids::ID_CE_BASIC_CONSTRAINTS) {
        Some(e) => {
            let bc = BasicConstraints::from_der(e.extn_value.as_bytes()).map_err(|err| {
                format!("issuer '{subject}' has malformed basicConstraints: {err}")
            })?;
            if !bc.ca {
                return Err(format!(
                    "issuer '{subject}' is not a CA (basicConstraints cA is false)"
                ));
            }
        }
        None if is_anchor => {}
        None => {
            return Err(format!(
                "issuer '{subject}' is not a CA (it has no basicConstraints extension)"
            ))
        }
    }
    if let Some(e) = extension(cert, &oids::ID_CE_KEY_USAGE) {
        let ku = KeyUsage::from_der(e.extn_value.as_bytes())
            .map_err(|err| format!("issuer '{subject}' has malformed keyUsage: {err}"))?;
        if !ku.key_cert_sign() {
            return Err(format!(
                "issuer '{subject}' keyUsage does not allow keyCertSign"
            ));
        }
    }
    Ok(())
}

pub(crate) fn verify_issued_by(
    child: &CertRef<'_>,
    issuer: &Certificate,
) -> Result<(), SignatureError> {
    let tbs = stele_pki::crypto::tbs_bytes(&child.der)?;
    let sig =
        child.cert.signature.as_bytes().ok_or_else(|| {
            SignatureError::Malformed("signature BIT STRING has unused bits".into())
        })?;
    stele_pki::crypto::verify_signature(
        &issuer.tbs_certificate.subject_public_key_info,
        &child.cert.signature_algorithm,
        None,
        tbs,
        sig,
    )
}

/// Finds a path from `signer` to one of `anchors`, valid at `at`. Returns the anchor's subject,
/// or the reason no path was found (the most specific failure seen).
pub(crate) fn build(
    signer: &CertRef<'_>,
    pool: &[CertRef<'_>],
    anchors: &[CertRef<'_>],
    at: OffsetDateTime,
) -> Result<String, String> {
    let mut visited: Vec<&[u8]> = vec![&signer.der];
    let mut budget = MAX_CANDIDATES;
    step(signer, pool, anchors, at, 0, &mut visited, &mut budget)
}

fn step<'p>(
    cur: &CertRef<'_>,
    pool: &'p [CertRef<'p>],
    anchors: &'p [CertRef<'p>],
    at: OffsetDateTime,
    depth: usize,
    visited: &mut Vec<&'p [u8]>,
    budget: &mut usize,
) -> Result<String, String> {
    check_validity(cur, at)?;
    if anchors.iter().any(|a| a.der == cur.der) {
        // Either a root CA or a pinned TSA certificate: trusted as configured.
        return Ok(cur.subject());
    }
    if depth >= MAX_DEPTH {
        return Err(format!(
            "no trust anchor within {MAX_DEPTH} certificates of '{}'",
            cur.subject()
        ));
    }
    let issuer_name = &cur.cert.tbs_certificate.issuer;
    let mut failure: Option<String> = None;
    for (cand, is_anchor) in anchors
        .iter()
        .map(|a| (a, true))
        .chain(pool.iter().map(|p| (p, false)))
    {
        if cand.cert.tbs_certificate.subject != *issuer_name
            || visited.iter().any(|v| *v == &*cand.der)
        {
            continue;
        }
        if *budget == 0 {
            return Err(format!(
                "path building gave up after examining {MAX_CANDIDATES} issuer candidates"
            ));
        }
        *budget -= 1;
        if let Err(e) = verify_issued_by(cur, cand.cert) {
            failure.get_or_insert(format!(
                "the signature on '{}' does not verify with the key of '{}': {e}",
                cur.subject(),
                cand.subject()
            ));
            continue;
        }
        let is_anchor = is_anchor || anchors.iter().any(|a| a.der == cand.der);
        if let Err(e) = may_issue(cand.cert, is_anchor) {
            failure.get_or_insert(e);
            continue;
        }
        visited.push(&cand.der);
        match step(cand, pool, anchors, at, depth + 1, visited, budget) {
            Ok(anchor) => return Ok(anchor),
            Err(e) => {
                // A deeper failure (expired CA, ...) explains more than "no issuer" does.
                failure = Some(e);
            }
        }
        visited.pop();
    }
    Err(failure.unwrap_or_else(|| {
        if cur.cert.tbs_certificate.subject == *issuer_name {
            format!(
                "no path to a trust anchor: the self-signed certificate '{}' is not one",
                cur.subject()
            )
        } else {
            format!(
                "no path to a trust anchor: the issuer '{issuer_name}' of '{}' is neither a trust anchor nor among the token's and extra certificates",
                cur.subject()
            )
        }
    }))
}
