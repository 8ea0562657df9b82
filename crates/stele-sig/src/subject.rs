//! Who a certificate belongs to: a person or an organisation.
//!
//! NĐ 30/2020/NĐ-CP Điều 5 gives an official electronic document legal value only when it
//! carries the signature of the competent person *and* that of the agency. Certificates do not
//! say "personal" in one standard place, so the rule below reads, in order, the signals that
//! issuers actually use, and stops at the first that decides:
//!
//! 1. ETSI EN 319 412-5 QcType statement: `id-etsi-qct-esign` → personal, `id-etsi-qct-eseal`
//!    → organisation.
//! 2. ETSI EN 319 411-2 certificate policies: QCP-n / QCP-n-qscd → personal, QCP-l /
//!    QCP-l-qscd → organisation.
//! 3. ETSI EN 319 412-2 natural-person attributes in the subject: givenName, surname or
//!    pseudonym → personal.
//! 4. Vietnamese identifiers in UID or serialNumber (Vietnamese CAs put the holder's
//!    identifier there with a prefix): `CMND:`, `CCCD:`, `HC:` (identity card, citizen card,
//!    passport) → personal; `MST:`, `MNS:`, `MQHNS:` (tax code, budget code) → organisation.
//!    ETSI EN 319 412-1 semantics identifiers `IDC`, `PAS`, `PNO` → personal; `VAT`, `NTR` →
//!    organisation.
//! 5. ETSI EN 319 412-3: an organizationIdentifier with none of the personal attributes →
//!    organisation.
//! 6. The common name equals the organisation name (O) → organisation (a seal of the agency
//!    itself, as the Government CA issues them).
//!
//! Otherwise the holder is undetermined, and the report says so rather than guess.

use const_oid::ObjectIdentifier;
use der::asn1::{Ia5String, PrintableString, TeletexString, Utf8StringRef};
use der::{Decode, Sequence};
use x509_cert::ext::pkix::CertificatePolicies;
use x509_cert::name::Name;
use x509_cert::Certificate;

use crate::report::HolderKind;

const CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const SURNAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.4");
const SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");
const O: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const GIVEN_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.42");
const PSEUDONYM: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.65");
const ORGANIZATION_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.97");
const UID: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.1");

const QC_STATEMENTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.3");
const CERTIFICATE_POLICIES: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32");
const QC_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.6");
const QCT_ESIGN: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.6.1");
const QCT_ESEAL: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.1862.1.6.2");
const QCP_N: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.194112.1.0");
const QCP_L: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.194112.1.1");
const QCP_N_QSCD: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.194112.1.2");
const QCP_L_QSCD: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.194112.1.3");

/// RFC 3739 QCStatement; `statementInfo` is kept as raw DER.
#[derive(Sequence)]
struct QcStatement {
    statement_id: ObjectIdentifier,
    statement_info: Option<der::Any>,
}

/// The string values of attribute `oid` in `name`, in order (any directory string form).
pub(crate) fn attribute_values(name: &Name, oid: ObjectIdentifier) -> Vec<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|atv| atv.oid == oid)
        .filter_map(|atv| {
            let v = &atv.value;
            v.decode_as::<Utf8StringRef<'_>>()
                .map(|s| s.as_str().to_string())
                .or_else(|_| v.decode_as::<PrintableString>().map(|s| s.to_string()))
                .or_else(|_| v.decode_as::<Ia5String>().map(|s| s.to_string()))
                .or_else(|_| v.decode_as::<TeletexString>().map(|s| s.to_string()))
                .ok()
        })
        .collect()
}

/// The holder's display name: the subject CN, else O.
pub fn holder_name(cert: &Certificate) -> Option<String> {
    let s = &cert.tbs_certificate.subject;
    attribute_values(s, CN)
        .into_iter()
        .next()
        .or_else(|| attribute_values(s, O).into_iter().next())
}

fn extension(cert: &Certificate, oid: ObjectIdentifier) -> Option<&[u8]> {
    cert.tbs_certificate
        .extensions
        .as_deref()?
        .iter()
        .find(|e| e.extn_id == oid)
        .map(|e| e.extn_value.as_bytes())
}

fn qc_type(cert: &Certificate) -> Option<(HolderKind, &'static str)> {
    let statements = Vec::<QcStatement>::from_der(extension(cert, QC_STATEMENTS)?).ok()?;
    for st in statements.iter().filter(|s| s.statement_id == QC_TYPE) {
        let types = st
            .statement_info
            .as_ref()
            .and_then(|i| i.decode_as::<Vec<ObjectIdentifier>>().ok())
            .unwrap_or_default();
        if types.contains(&QCT_ESIGN) {
            return Some((HolderKind::Personal, "its QcType statement says electronic signature (a natural person, ETSI EN 319 412-5)"));
        }
        if types.contains(&QCT_ESEAL) {
            return Some((
                HolderKind::Organisation,
                "its QcType statement says electronic seal (a legal person, ETSI EN 319 412-5)",
            ));
        }
    }
    None
}

fn qc_policy(cert: &Certificate) -> Option<(HolderKind, &'static str)> {
    let policies = CertificatePolicies::from_der(extension(cert, CERTIFICATE_POLICIES)?).ok()?;
    for p in &policies.0 {
        if p.policy_identifier == QCP_N || p.policy_identifier == QCP_N_QSCD {
            return Some((
                HolderKind::Personal,
                "it is issued under the qualified policy for natural persons (QCP-n, ETSI EN 319 411-2)",
            ));
        }
        if p.policy_identifier == QCP_L || p.policy_identifier == QCP_L_QSCD {
            return Some((
                HolderKind::Organisation,
                "it is issued under the qualified policy for legal persons (QCP-l, ETSI EN 319 411-2)",
            ));
        }
    }
    None
}

/// Classifies one identifier value by its prefix (case-insensitive).
fn identifier_kind(value: &str) -> Option<HolderKind> {
    let v = value.trim().to_ascii_uppercase();
    let personal = ["CMND:", "CCCD:", "HC:", "CMT:"];
    let organisation = ["MST:", "MNS:", "MQHNS:"];
    if personal.iter().any(|p| v.starts_with(p)) {
        return Some(HolderKind::Personal);
    }
    if organisation.iter().any(|p| v.starts_with(p)) {
        return Some(HolderKind::Organisation);
    }
    // ETSI EN 319 412-1 §5.1.3 / §5.1.4 semantics identifiers: three letters, two-letter
    // country, '-'.
    let b = v.as_bytes();
    if b.len() > 6 && b[5] == b'-' && b[3..5].iter().all(u8::is_ascii_alphabetic) {
        match &v[..3] {
            "IDC" | "PAS" | "PNO" => return Some(HolderKind::Personal),
            "VAT" | "NTR" => return Some(HolderKind::Organisation),
            _ => {}
        }
    }
    None
}

/// Personal or organisational, and the part of the rule that decided (a phrase that follows
/// "because").
pub fn certificate_holder(cert: &Certificate) -> (HolderKind, String) {
    if let Some((k, why)) = qc_type(cert).or_else(|| qc_policy(cert)) {
        return (k, why.to_string());
    }
    let s = &cert.tbs_certificate.subject;
    for (oid, what) in [
        (GIVEN_NAME, "givenName"),
        (SURNAME, "surname"),
        (PSEUDONYM, "pseudonym"),
    ] {
        if !attribute_values(s, oid).is_empty() {
            return (
                HolderKind::Personal,
                format!("its subject names a natural person ({what}, ETSI EN 319 412-2)"),
            );
        }
    }
    for (oid, what) in [(UID, "UID"), (SERIAL_NUMBER, "serialNumber")] {
        for v in attribute_values(s, oid) {
            if let Some(k) = identifier_kind(&v) {
                return (k, format!("its subject {what} is the identifier \"{v}\""));
            }
        }
    }
    if let Some(v) = attribute_values(s, ORGANIZATION_IDENTIFIER)
        .into_iter()
        .next()
    {
        return (
            HolderKind::Organisation,
            format!("its subject carries the organisation identifier \"{v}\" and no personal name (ETSI EN 319 412-3)"),
        );
    }
    let cn = attribute_values(s, CN);
    let o = attribute_values(s, O);
    if cn
        .iter()
        .any(|c| o.iter().any(|o| c.trim().eq_ignore_ascii_case(o.trim())))
    {
        return (
            HolderKind::Organisation,
            "its common name is the organisation's own name".to_string(),
        );
    }
    (
        HolderKind::Undetermined,
        "nothing in the certificate says whether it belongs to a person or an organisation"
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_prefixes() {
        assert_eq!(
            identifier_kind("CCCD:001086012345"),
            Some(HolderKind::Personal)
        );
        assert_eq!(
            identifier_kind("cmnd:012345678"),
            Some(HolderKind::Personal)
        );
        assert_eq!(
            identifier_kind("MST:0100109106"),
            Some(HolderKind::Organisation)
        );
        assert_eq!(
            identifier_kind("MNS:1234567"),
            Some(HolderKind::Organisation)
        );
        assert_eq!(
            identifier_kind("IDCVN-001086012345"),
            Some(HolderKind::Personal)
        );
        assert_eq!(
            identifier_kind("VATVN-0100109106"),
            Some(HolderKind::Organisation)
        );
        assert_eq!(identifier_kind("12345"), None);
        assert_eq!(identifier_kind("IDC"), None);
        assert_eq!(identifier_kind("ĐĐĐĐĐĐĐĐ"), None);
    }
}
