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
        let signed_data = ci.content.decode_as::<SignedData>()?;
        Ok(Self {
            der,
            input_was_der,
            signed_data,
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

    /// Other revocation data (RFC 5940: OCSP responses under `id-ri-ocsp-response`).
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
