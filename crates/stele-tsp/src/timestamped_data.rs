//! RFC 5544 TimeStampedData: a document (embedded or referenced) bound to a chain of
//! time-stamp tokens, each renewing the previous one.
//!
//! Imprint rules (RFC 5544 §2 and §4): the first token covers the data, preceded by the DER
//! encoding of MetaData when `hashProtected` is TRUE; every later token covers the DER encoding
//! of the previous TimeStampAndCRL element of temporalEvidence.

use crate::asn1;
use crate::error::{normalise, ParseError};
use crate::oids;
use crate::token::TimeStampToken;

/// Largest TimeStampedData accepted (the document itself may be embedded).
pub const MAX_TSD_BYTES: usize = 64 * 1024 * 1024;
const MAX_TOKENS: usize = 1024;

/// MetaData: what the data is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetaData {
    pub hash_protected: bool,
    pub file_name: Option<String>,
    pub media_type: Option<String>,
}

/// One element of temporalEvidence.
#[derive(Clone, Debug)]
pub struct TimeStampAndCrl {
    pub token: TimeStampToken,
    pub has_crl: bool,
    der: Vec<u8>,
}

impl TimeStampAndCrl {
    /// DER of this element, which the next token time-stamps.
    pub fn to_der(&self) -> &[u8] {
        &self.der
    }
}

/// A parsed RFC 5544 TimeStampedData.
#[derive(Clone, Debug)]
pub struct TimeStampedData {
    pub data_uri: Option<String>,
    pub meta_data: Option<MetaData>,
    pub content: Option<Vec<u8>>,
    pub evidence: Vec<TimeStampAndCrl>,
    meta_der: Option<Vec<u8>>,
}

/// Why a TimeStampedData's tokens do not cover what they should.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeStampedDataError {
    #[error("the data is not embedded (dataUri {0:?}); supply it to check the first time stamp")]
    DataNotAvailable(Option<String>),
    #[error("time stamp {index} does not cover {what}")]
    ImprintMismatch { index: usize, what: &'static str },
}

fn text(t: &asn1::Tlv<'_>, what: &str) -> Result<String, ParseError> {
    String::from_utf8(t.value.to_vec())
        .map_err(|_| ParseError::malformed(format!("{what}: not UTF-8")))
}

impl TimeStampedData {
    /// Reads a ContentInfo of type id-ct-timestampedData (BER or DER).
    pub fn from_ber(bytes: &[u8]) -> Result<Self, ParseError> {
        let der = normalise(bytes, MAX_TSD_BYTES)?;
        let ci = asn1::single(&der, "ContentInfo")?.expect(asn1::TAG_SEQUENCE, "ContentInfo")?;
        let mut r = ci.children();
        let ct = r.read_tag(asn1::TAG_OID, "ContentInfo.contentType")?;
        if ct.value != oids::ID_CT_TIMESTAMPED_DATA.as_bytes() {
            return Err(ParseError::WrongContentType {
                found: asn1::oid_to_string(ct.value).unwrap_or_else(|| "(invalid OID)".into()),
                expected: "id-ct-timestampedData (1.2.840.113549.1.9.16.1.31)",
            });
        }
        let content = r.read_tag(0xa0, "ContentInfo.content")?;
        r.finish("ContentInfo")?;
        let tsd = asn1::single(content.value, "TimeStampedData")?
            .expect(asn1::TAG_SEQUENCE, "TimeStampedData")?;
        let mut r = tsd.children();
        let v = r.read_tag(asn1::TAG_INTEGER, "TimeStampedData.version")?;
        if v.value != [1] {
            return Err(ParseError::malformed("TimeStampedData: version is not 1"));
        }
        let data_uri = match r.optional(asn1::TAG_IA5_STRING, "TimeStampedData.dataUri")? {
            Some(t) => Some(text(&t, "dataUri")?),
            None => None,
        };
        let (meta_data, meta_der) =
            match r.optional(asn1::TAG_SEQUENCE, "TimeStampedData.metaData")? {
                Some(t) => {
                    let mut m = t.children();
                    let hp = m.read_tag(asn1::TAG_BOOLEAN, "MetaData.hashProtected")?;
                    let file_name = match m.optional(asn1::TAG_UTF8_STRING, "MetaData.fileName")? {
                        Some(f) => Some(text(&f, "fileName")?),
                        None => None,
                    };
                    let media_type = match m.optional(asn1::TAG_IA5_STRING, "MetaData.mediaType")? {
                        Some(f) => Some(text(&f, "mediaType")?),
                        None => None,
                    };
                    m.optional(asn1::TAG_SEQUENCE, "MetaData.otherMetaData")?;
                    m.finish("MetaData")?;
                    let md = MetaData {
                        hash_protected: hp.value != [0],
                        file_name,
                        media_type,
                    };
                    (Some(md), Some(t.raw.to_vec()))
                }
                None => (None, None),
            };
        let content = r
            .optional(asn1::TAG_OCTET_STRING, "TimeStampedData.content")?
            .map(|t| t.value.to_vec());
        let ev = r.read("TimeStampedData.temporalEvidence")?;
        r.finish("TimeStampedData")?;
        if ev.tag != 0xa0 {
            return Err(ParseError::Unsupported {
                what: "TimeStampedData evidence",
                oid: match ev.tag {
                    0xa1 => "ersEvidence [1]".into(),
                    0xa2 => "otherEvidence [2]".into(),
                    t => format!("tag 0x{t:02x}"),
                },
            });
        }
        let mut evidence = Vec::new();
        let mut er = ev.children();
        while !er.is_empty() {
            if evidence.len() >= MAX_TOKENS {
                return Err(ParseError::malformed(
                    "TimeStampedData: too many time stamps",
                ));
            }
            let e = er.read_tag(asn1::TAG_SEQUENCE, "TimeStampAndCRL")?;
            let mut tr = e.children();
            let ts = tr.read_tag(asn1::TAG_SEQUENCE, "TimeStampAndCRL.timeStamp")?;
            let has_crl = tr
                .optional(asn1::TAG_SEQUENCE, "TimeStampAndCRL.crl")?
                .is_some();
            tr.finish("TimeStampAndCRL")?;
            evidence.push(TimeStampAndCrl {
                token: TimeStampToken::from_normalised(ts.raw.to_vec())?,
                has_crl,
                der: e.raw.to_vec(),
            });
        }
        if evidence.is_empty() {
            return Err(ParseError::malformed(
                "TimeStampedData: temporalEvidence is empty",
            ));
        }
        Ok(TimeStampedData {
            data_uri,
            meta_data,
            content,
            evidence,
            meta_der,
        })
    }

    pub fn tokens(&self) -> impl Iterator<Item = &TimeStampToken> {
        self.evidence.iter().map(|e| &e.token)
    }

    /// Checks that each token's imprint covers what RFC 5544 says it must. `detached` is the
    /// data when it is referenced by dataUri rather than embedded.
    pub fn check_imprints(&self, detached: Option<&[u8]>) -> Result<(), TimeStampedDataError> {
        let data = self
            .content
            .as_deref()
            .or(detached)
            .ok_or_else(|| TimeStampedDataError::DataNotAvailable(self.data_uri.clone()))?;
        for (index, e) in self.evidence.iter().enumerate() {
            let mi = e.token.message_imprint();
            let ok = if index == 0 {
                let mut h = mi.algorithm.hasher();
                if let (Some(md), Some(md_der)) = (&self.meta_data, &self.meta_der) {
                    if md.hash_protected {
                        h.update(md_der);
                    }
                }
                h.update(data);
                h.finalize() == mi.digest
            } else {
                mi.covers(&self.evidence[index - 1].der)
            };
            if !ok {
                return Err(TimeStampedDataError::ImprintMismatch {
                    index,
                    what: if index == 0 {
                        "the data (and hash-protected metadata)"
                    } else {
                        "the previous TimeStampAndCRL"
                    },
                });
            }
        }
        Ok(())
    }
}
