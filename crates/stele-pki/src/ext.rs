//! Typed access to certificate extensions; a malformed extension is reported, never ignored.

use der::Decode;
use time::OffsetDateTime;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::time::Time;
use x509_cert::Certificate;

use crate::names::same_name;

/// The extension with `oid`, if present (the first one; duplicates are rejected elsewhere).
pub(crate) fn find(cert: &Certificate, oid: const_oid::ObjectIdentifier) -> Option<&Extension> {
    cert.tbs_certificate
        .extensions
        .as_deref()
        .and_then(|e| e.iter().find(|x| x.extn_id == oid))
}

/// Decodes extension `oid` as `T`: `Ok(None)` when absent, `Err(text)` when malformed.
pub(crate) fn get<T: for<'a> Decode<'a>>(
    cert: &Certificate,
    oid: const_oid::ObjectIdentifier,
) -> Result<Option<T>, String> {
    match find(cert, oid) {
        None => Ok(None),
        Some(x) => T::from_der(x.extn_value.as_bytes())
            .map(Some)
            .map_err(|e| format!("extension {oid}: {e}")),
    }
}

/// Decodes a CRL or entry extension list member.
pub(crate) fn get_in<T: for<'a> Decode<'a>>(
    exts: Option<&[Extension]>,
    oid: const_oid::ObjectIdentifier,
) -> Result<Option<T>, String> {
    match exts.and_then(|e| e.iter().find(|x| x.extn_id == oid)) {
        None => Ok(None),
        Some(x) => T::from_der(x.extn_value.as_bytes())
            .map(Some)
            .map_err(|e| format!("extension {oid}: {e}")),
    }
}

/// An ASN.1 time as an `OffsetDateTime` (clamped to the epoch range `time` can represent).
pub(crate) fn to_odt(t: &Time) -> OffsetDateTime {
    let secs = i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// RFC 5280 self-issued: subject and issuer are the same name.
pub(crate) fn self_issued(cert: &Certificate) -> bool {
    same_name(&cert.tbs_certificate.subject, &cert.tbs_certificate.issuer)
}

/// Subject of a certificate.
pub(crate) fn subject(cert: &Certificate) -> &Name {
    &cert.tbs_certificate.subject
}

/// Issuer of a certificate.
pub(crate) fn issuer(cert: &Certificate) -> &Name {
    &cert.tbs_certificate.issuer
}
