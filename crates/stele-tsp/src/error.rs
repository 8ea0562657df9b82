//! Decoding errors shared by tokens, requests, responses and TimeStampedData.

/// Why bytes could not be read as the expected RFC 3161 / CMS structure. Every message says what
/// was being read, so a report can show it without a backtrace.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("input of {len} bytes exceeds the limit of {limit} bytes")]
    TooLarge { len: usize, limit: usize },
    #[error("not a valid BER encoding: {0}")]
    Ber(#[from] stele_asn1::BerError),
    #[error("malformed {0}")]
    Malformed(String),
    #[error("content type {found} is not {expected}")]
    WrongContentType {
        found: String,
        expected: &'static str,
    },
    #[error("unsupported {what}: {oid}")]
    Unsupported { what: &'static str, oid: String },
}

impl ParseError {
    pub(crate) fn malformed(msg: impl Into<String>) -> Self {
        ParseError::Malformed(msg.into())
    }
}

/// Strips zero padding, normalises BER to DER and enforces a size bound: the common entry point
/// for every untrusted encoding this crate reads.
pub(crate) fn normalise(bytes: &[u8], limit: usize) -> Result<Vec<u8>, ParseError> {
    if bytes.len() > limit {
        // Zero padding may legitimately make the input larger; measure the value itself.
        let value = stele_asn1::strip_padding(bytes)?;
        if value.len() > limit {
            return Err(ParseError::TooLarge {
                len: value.len(),
                limit,
            });
        }
        return Ok(stele_asn1::to_der(value)?);
    }
    Ok(stele_asn1::to_der(stele_asn1::strip_padding(bytes)?)?)
}
