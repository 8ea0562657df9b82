//! CMS SignedData as found in signatures, and the evidence records carried inside them.
//!
//! Signatures in the wild are often BER (indefinite lengths, constructed strings) and, in PDF,
//! zero-padded; the `cms` crate reads DER only. [`SignedDataParts::from_ber`] normalises with
//! `stele_asn1` first (which never reorders SET OF values) and keeps that DER, since a validator
//! must hash the signed attributes as the signer wrote them.
//!
//! ETSI TS 119 122-3 (after RFC 4998 Appendix A) lets a signer carry an evidence record as an
//! unsigned attribute: `id-aa-er-internal` when the signed content is inside the CMS
//! (enveloping), `id-aa-er-external` when it is detached, as in every PAdES signature.
//!
//! Revocation data travels in two more places read here: OCSP responses in `SignedData.crls`
//! as RFC 5940 `other` entries ([`SignedDataParts::ocsp_responses`]), and CRLs and OCSP
//! responses in Adobe's signed `adbe-revocationInfoArchival` attribute
//! ([`adobe_revocation_info`]), which PDF signers put there before PAdES had the DSS.

use ::cms::cert::CertificateChoices;
use ::cms::content_info::ContentInfo;
use ::cms::revocation::{OtherRevocationInfoFormat, RevocationInfoChoice};
use ::cms::signed_data::{SignedData, SignerInfo};
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use stele_asn1::BerError;
use stele_ers::{ErsError, EvidenceRecord};
use x509_cert::attr::Attribute;
use x509_cert::crl::CertificateList;
use x509_cert::Certificate;

/// `id-signedData` (RFC 5652).
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");

/// `id-aa-er-internal` (RFC 4998 Appendix A, ETSI TS 119 122-3): an evidence record over a CMS
/// signature whose content is encapsulated.
pub const ID_AA_ER_INTERNAL: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.49");

/// `id-aa-er-external` (RFC 4998 Appendix A, ETSI TS 119 122-3): an evidence record over a
/// detached CMS signature and its external content (PAdES, detached CAdES).
pub const ID_AA_ER_EXTERNAL: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.50");

/// `id-ri-ocsp-response` (RFC 5940): an `OCSPResponse` as an `other` RevocationInfoChoice.
pub const ID_RI_OCSP_RESPONSE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.16.2");

/// `id-pkix-ocsp-basic` (RFC 6960): a `BasicOCSPResponse`; Bouncy Castle and CAdES writers
/// use it as the format of an `other` RevocationInfoChoice instead of RFC 5940's.
pub const ID_PKIX_OCSP_BASIC: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");

/// `adbe-revocationInfoArchival` (Adobe, ISO 32000-1 12.8.3.3.2): a signed attribute holding
/// the CRLs and OCSP responses the signer had when signing.
pub const ID_ADBE_REVOCATION_INFO_ARCHIVAL: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113583.1.1.8");

/// Most CRLs, OCSP responses or other entries read from one revocation list of a CMS; a
/// signature carries a handful, and each entry costs an allocation.
pub const MAX_REVOCATION_VALUES: usize = 10_000;

/// Largest CMS accepted: 64 MiB. A signature with its certificates and revocation data is far
/// smaller; the cap bounds work on hostile input.
pub const MAX_CMS_LEN: usize = 64 * 1024 * 1024;

/// Why bytes are not a CMS SignedData this crate can read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CmsError {
    #[error("the CMS is {len} bytes, more than the {max} accepted")]
    TooLarge { len: usize, max: usize },
    #[error("not BER/DER: {0}")]
    Ber(#[from] BerError),
    #[error("not a CMS ContentInfo/SignedData: {0}")]
    Decode(String),
    #[error("the ContentInfo holds {0}, not id-signedData")]
    NotSignedData(ObjectIdentifier),
}

impl From<der::Error> for CmsError {
    fn from(e: der::Error) -> Self {
        CmsError::Decode(e.to_string())
    }
}

/// A parsed CMS SignedData and the DER it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedDataParts {
    der: Vec<u8>,
    input_was_der: bool,
    signed_data: SignedData,
    /// Each RevocationInfoChoice of `SignedData.crls` as DER, in the order written.
    revocation_choices: Vec<Vec<u8>>,
}

impl SignedDataParts {
    /// Reads a ContentInfo holding a SignedData. BER is normalised to DER and zero padding after
    /// the value (PDF `/Contents`) is ignored; anything else after it is an error.
    pub fn from_ber(bytes: &[u8]) -> Result<Self, CmsError> {
        if bytes.len() > MAX_CMS_LEN {
            return Err(CmsError::TooLarge {
                len: bytes.len(),
                max: MAX_CMS_LEN,
            });
        }
        let value = stele_asn1::strip_padding(bytes)?;
        let der = stele_asn1::to_der(value)?;
        let input_was_der = der == value;
        let ci = ContentInfo::from_der(&der)?;
        if ci.content_type != ID_SIGNED_DATA {
            return Err(CmsError::NotSignedData(ci.content_type));
        }
        let (signed_data, revocation_choices) = decode_signed_data(&ci.content)?;
        Ok(Self {
            der,
            input_was_der,
            signed_data,
            revocation_choices,
        })
    }

    /// The ContentInfo as DER (the input itself when it was DER without padding). Signature
    /// checks must take the signed attributes' bytes from here: re-encoding the parsed
    /// [`SignedData`] may reorder SET OF values (the `der` crate sorts them when decoding).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Whether the input (padding aside) was already DER; a report may note a BER signature.
    pub fn input_was_der(&self) -> bool {
        self.input_was_der
    }

    /// The whole SignedData, for what the accessors below do not cover.
    pub fn signed_data(&self) -> &SignedData {
        &self.signed_data
    }

    /// The signers, in the order of the (DER-sorted) SET.
    pub fn signer_infos(&self) -> &[SignerInfo] {
        self.signed_data.signer_infos.0.as_slice()
    }

    /// X.509 certificates carried in the SignedData (other certificate formats are skipped;
    /// see [`Self::signed_data`]).
    pub fn certificates(&self) -> impl Iterator<Item = &Certificate> {
        self.signed_data
            .certificates
            .iter()
            .flat_map(|set| set.0.iter())
            .filter_map(|c| match c {
                CertificateChoices::Certificate(cert) => Some(cert),
                CertificateChoices::Other(_) => None,
            })
    }

    /// CRLs carried in the SignedData.
    pub fn crls(&self) -> impl Iterator<Item = &CertificateList> {
        self.revocation_info().filter_map(|r| match r {
            RevocationInfoChoice::Crl(crl) => Some(crl),
            RevocationInfoChoice::Other(_) => None,
        })
    }

    /// OCSP responses carried in `SignedData.crls` as `other` entries: the DER of an
    /// `OCSPResponse` (format `id-ri-ocsp-response`, RFC 5940) or of a bare
    /// `BasicOCSPResponse` (format `id-pkix-ocsp-basic`, as Bouncy Castle writes them), in the
    /// order written. `stele_pki`'s revocation input accepts both forms.
    ///
    /// Read from the DER itself: the `cms` crate (0.2.3) declares `otherRevInfoFormat` an
    /// AlgorithmIdentifier instead of an OBJECT IDENTIFIER, so it cannot decode these entries
    /// (see [`SignedDataParts::from_ber`]).
    pub fn ocsp_responses(&self) -> Vec<&[u8]> {
        self.revocation_choices
            .iter()
            .filter_map(|choice| {
                other_revocation_value(choice, &[ID_RI_OCSP_RESPONSE, ID_PKIX_OCSP_BASIC])
            })
            .collect()
    }

    /// Each RevocationInfoChoice of `SignedData.crls` as DER, in the order written (CRLs,
    /// RFC 5940 `other` entries, anything else).
    pub fn revocation_choices(&self) -> &[Vec<u8>] {
        &self.revocation_choices
    }

    /// Other revocation data as the `cms` crate reads it. Its `otherRevInfoFormat` is wrongly
    /// an AlgorithmIdentifier there, so RFC 5940 OCSP entries never show up here: use
    /// [`Self::ocsp_responses`].
    pub fn other_revocation_info(&self) -> impl Iterator<Item = &OtherRevocationInfoFormat> {
        self.revocation_info().filter_map(|r| match r {
            RevocationInfoChoice::Other(other) => Some(other),
            RevocationInfoChoice::Crl(_) => None,
        })
    }

    fn revocation_info(&self) -> impl Iterator<Item = &RevocationInfoChoice> {
        self.signed_data.crls.iter().flat_map(|set| set.0.iter())
    }

    /// `eContentType`: `id-data` for signatures, `id-ct-TSTInfo` for timestamp tokens.
    pub fn econtent_type(&self) -> ObjectIdentifier {
        self.signed_data.encap_content_info.econtent_type
    }

    /// The encapsulated content (the value of the eContent OCTET STRING), or `None` for a
    /// detached signature, whose content lies outside (for PDF: the ByteRange).
    pub fn econtent(&self) -> Option<&[u8]> {
        self.signed_data
            .encap_content_info
            .econtent
            .as_ref()
            .map(|any| any.value())
    }

    /// Whether the content is detached.
    pub fn is_detached(&self) -> bool {
        self.signed_data.encap_content_info.econtent.is_none()
    }

    /// The signed attributes of signer `index` (empty if it has none or does not exist).
    pub fn signed_attributes(&self, index: usize) -> &[Attribute] {
        self.signer_infos()
            .get(index)
            .and_then(|s| s.signed_attrs.as_ref())
            .map_or(&[], |a| a.as_slice())
    }

    /// The unsigned attributes of signer `index` (empty if it has none or does not exist):
    /// signature timestamps, embedded evidence records, validation data added later.
    pub fn unsigned_attributes(&self, index: usize) -> &[Attribute] {
        self.signer_infos()
            .get(index)
            .and_then(|s| s.unsigned_attrs.as_ref())
            .map_or(&[], |a| a.as_slice())
    }
}

/// Decodes a SignedData (the value of a ContentInfo) and lists its RevocationInfoChoices.
///
/// The `cms` crate cannot decode an RFC 5940 `other` RevocationInfoChoice (its
/// `otherRevInfoFormat` is an AlgorithmIdentifier, not an OBJECT IDENTIFIER), so a SignedData
/// carrying OCSP responses that way (timestamp tokens from Bouncy Castle, PAdES signers)
/// would not decode at all. When decoding fails and `crls` holds such entries, the SignedData
/// is decoded again with `crls` keeping only its CRLs; the entries stay available as DER. The
/// DER the signature is checked over ([`SignedDataParts::der`]) is never rewritten.
fn decode_signed_data(content: &der::Any) -> Result<(SignedData, Vec<Vec<u8>>), CmsError> {
    let fields = children(content.value())?;
    let crls = fields.iter().find(|f| f.first() == Some(&0xA1));
    let choices = match crls {
        Some(field) => {
            let (_, value, _) = tlv(field).ok_or_else(malformed)?;
            children(value)?.into_iter().map(<[u8]>::to_vec).collect()
        }
        None => Vec::new(),
    };
    if choices.len() > MAX_REVOCATION_VALUES {
        return Err(CmsError::Decode(format!(
            "more than {MAX_REVOCATION_VALUES} revocation entries"
        )));
    }
    let error = match content.decode_as::<SignedData>() {
        Ok(sd) => return Ok((sd, choices)),
        Err(e) => e,
    };
    if !choices.iter().any(|c| c.first() == Some(&0xA1)) {
        return Err(error.into());
    }
    // Rebuild the SignedData with `crls` holding only the CRLs (universal SEQUENCEs).
    let crl_only: Vec<u8> = choices
        .iter()
        .filter(|c| c.first() == Some(&0x30))
        .flatten()
        .copied()
        .collect();
    let mut body = Vec::new();
    for field in &fields {
        if field.first() == Some(&0xA1) {
            if !crl_only.is_empty() {
                body.extend_from_slice(&encode_tlv(0xA1, &crl_only));
            }
        } else {
            body.extend_from_slice(field);
        }
    }
    let rebuilt = encode_tlv(0x30, &body);
    let sd = SignedData::from_der(&rebuilt)?;
    Ok((sd, choices))
}

fn malformed() -> CmsError {
    CmsError::Decode("a length runs past the end of its value".into())
}

/// One DER TLV at the start of `input`: (first tag byte, value, the whole TLV). `None` when it
/// is cut short or not DER (indefinite length).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let first = *input.first()?;
    let mut at = 1;
    if first & 0x1f == 0x1f {
        // High tag number: base-128 digits, the last without the top bit.
        while *input.get(at)? & 0x80 != 0 {
            at += 1;
        }
        at += 1;
    }
    let len_byte = *input.get(at)?;
    at += 1;
    let len = if len_byte < 0x80 {
        usize::from(len_byte)
    } else {
        let n = usize::from(len_byte & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for _ in 0..n {
            len = (len << 8) | usize::from(*input.get(at)?);
            at += 1;
        }
        len
    };
    let end = at.checked_add(len)?;
    Some((first, input.get(at..end)?, &input[..end]))
}

/// The TLVs that make up `value`, in order.
fn children(mut value: &[u8]) -> Result<Vec<&[u8]>, CmsError> {
    let mut out = Vec::new();
    while !value.is_empty() {
        let (_, _, whole) = tlv(value).ok_or_else(malformed)?;
        out.push(whole);
        value = &value[whole.len()..];
    }
    Ok(out)
}

fn encode_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    stele_asn1::ber::write_len(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

/// The value of an `other` RevocationInfoChoice (`[1] IMPLICIT SEQUENCE { OID, ANY }`) whose
/// format is one of `formats`, as DER.
fn other_revocation_value<'a>(choice: &'a [u8], formats: &[ObjectIdentifier]) -> Option<&'a [u8]> {
    let (tag, value, _) = tlv(choice)?;
    if tag != 0xA1 {
        return None;
    }
    let (oid_tag, oid, oid_tlv) = tlv(value)?;
    if oid_tag != 0x06 || !formats.contains(&ObjectIdentifier::from_bytes(oid).ok()?) {
        return None;
    }
    let (_, _, any) = tlv(&value[oid_tlv.len()..])?;
    Some(any)
}

/// The revocation data a signer archived in its `adbe-revocationInfoArchival` signed
/// attribute:
///
/// ```text
/// RevocationInfoArchival ::= SEQUENCE {
///   crl          [0] EXPLICIT SEQUENCE of CRLs OPTIONAL,
///   ocsp         [1] EXPLICIT SEQUENCE of OCSPResponse OPTIONAL,
///   otherRevInfo [2] EXPLICIT SEQUENCE of OtherRevInfo OPTIONAL }
/// OtherRevInfo ::= SEQUENCE { Type OBJECT IDENTIFIER, Value OCTET STRING }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdobeRevocationInfo {
    /// DER `CertificateList`s.
    pub crls: Vec<Vec<u8>>,
    /// DER `OCSPResponse`s.
    pub ocsp_responses: Vec<Vec<u8>>,
    /// `otherRevInfo` entries: their type and the content of their OCTET STRING.
    pub other: Vec<(ObjectIdentifier, Vec<u8>)>,
}

/// The `adbe-revocationInfoArchival` attribute of signer `signer_index`, if it has one. Being
/// signed, it is covered by the signature; several values (not allowed, but possible) are
/// merged. A value that is not a RevocationInfoArchival is an error.
pub fn adobe_revocation_info(
    parts: &SignedDataParts,
    signer_index: usize,
) -> Result<Option<AdobeRevocationInfo>, CmsError> {
    let mut found: Option<AdobeRevocationInfo> = None;
    for attr in parts.signed_attributes(signer_index) {
        if attr.oid != ID_ADBE_REVOCATION_INFO_ARCHIVAL {
            continue;
        }
        let info = found.get_or_insert_with(Default::default);
        for value in attr.values.iter() {
            let der = value.to_der()?;
            read_revocation_info_archival(&der, info)?;
        }
    }
    Ok(found)
}

fn read_revocation_info_archival(
    der: &[u8],
    info: &mut AdobeRevocationInfo,
) -> Result<(), CmsError> {
    let bad = |what: &str| CmsError::Decode(format!("adbe-revocationInfoArchival: {what}"));
    let (tag, value, whole) = tlv(der).ok_or_else(|| bad("not DER"))?;
    if tag != 0x30 || whole.len() != der.len() {
        return Err(bad("not a SEQUENCE"));
    }
    for field in children(value)? {
        let (tag, explicit, _) = tlv(field).ok_or_else(|| bad("a field is cut short"))?;
        // Each field is [n] EXPLICIT SEQUENCE OF ...
        let (inner_tag, list, inner) = tlv(explicit).ok_or_else(|| bad("a field is empty"))?;
        if inner_tag != 0x30 || inner.len() != explicit.len() {
            return Err(bad("a field does not hold one SEQUENCE"));
        }
        let items = children(list)?;
        let total = info.crls.len() + info.ocsp_responses.len() + info.other.len() + items.len();
        if total > MAX_REVOCATION_VALUES {
            return Err(bad(&format!("more than {MAX_REVOCATION_VALUES} entries")));
        }
        match tag {
            0xA0 => info.crls.extend(items.iter().map(|i| i.to_vec())),
            0xA1 => info.ocsp_responses.extend(items.iter().map(|i| i.to_vec())),
            0xA2 => {
                for item in items {
                    let (_, body, _) = tlv(item).ok_or_else(|| bad("otherRevInfo"))?;
                    let (oid_tag, oid, oid_tlv) =
                        tlv(body).ok_or_else(|| bad("otherRevInfo type"))?;
                    let oid = (oid_tag == 0x06)
                        .then(|| ObjectIdentifier::from_bytes(oid).ok())
                        .flatten()
                        .ok_or_else(|| bad("otherRevInfo type is not an OID"))?;
                    let (value_tag, value, _) =
                        tlv(&body[oid_tlv.len()..]).ok_or_else(|| bad("otherRevInfo value"))?;
                    if value_tag != 0x04 {
                        return Err(bad("otherRevInfo value is not an OCTET STRING"));
                    }
                    info.other.push((oid, value.to_vec()));
                }
            }
            _ => return Err(bad("unknown field")),
        }
    }
    Ok(())
}

/// Which evidence-record attribute carries the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceRecordAttribute {
    /// `id-aa-er-internal`: content encapsulated in the CMS.
    Internal,
    /// `id-aa-er-external`: content detached (PAdES).
    External,
}

impl EvidenceRecordAttribute {
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Internal => ID_AA_ER_INTERNAL,
            Self::External => ID_AA_ER_EXTERNAL,
        }
    }

    pub fn from_oid(oid: &ObjectIdentifier) -> Option<Self> {
        if *oid == ID_AA_ER_INTERNAL {
            Some(Self::Internal)
        } else if *oid == ID_AA_ER_EXTERNAL {
            Some(Self::External)
        } else {
            None
        }
    }
}

/// One evidence record found in a signer's unsigned attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmbeddedEvidenceRecord {
    /// Index into [`SignedDataParts::signer_infos`].
    pub signer_index: usize,
    pub attribute: EvidenceRecordAttribute,
    /// Index of the value within the attribute's SET (an attribute may hold several records).
    pub value_index: usize,
    /// The attribute value's DER.
    pub der: Vec<u8>,
    /// The value read as an RFC 4998 evidence record. A value that is not one is still listed,
    /// with the reason, so a report can say so instead of silently dropping it.
    pub record: Result<EvidenceRecord, ErsError>,
}

impl EmbeddedEvidenceRecord {
    /// The attribute's OID.
    pub fn attribute_oid(&self) -> ObjectIdentifier {
        self.attribute.oid()
    }
}

/// Every `id-aa-er-internal` and `id-aa-er-external` value of every signer, in signer order.
pub fn embedded_evidence_records(parts: &SignedDataParts) -> Vec<EmbeddedEvidenceRecord> {
    let mut out = Vec::new();
    for signer_index in 0..parts.signer_infos().len() {
        for attr in parts.unsigned_attributes(signer_index) {
            let Some(kind) = EvidenceRecordAttribute::from_oid(&attr.oid) else {
                continue;
            };
            for (value_index, value) in attr.values.iter().enumerate() {
                let (der, record) = match value.to_der() {
                    Ok(der) => {
                        let record = EvidenceRecord::from_ber(&der);
                        (der, record)
                    }
                    Err(e) => (
                        Vec::new(),
                        Err(ErsError::NotEvidenceRecord(format!(
                            "the attribute value cannot be encoded: {e}"
                        ))),
                    ),
                };
                out.push(EmbeddedEvidenceRecord {
                    signer_index,
                    attribute: kind,
                    value_index,
                    der,
                    record,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
