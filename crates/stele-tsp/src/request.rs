//! TimeStampReq (RFC 3161 §2.4.1): built by clients, parsed by the built-in TSA.

use rand_core::{OsRng, RngCore};
use stele_asn1::DigestAlgorithm;

use crate::asn1;
use crate::error::{normalise, ParseError};
use crate::token::MessageImprint;

/// Requests are tiny; anything larger is refused before decoding.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Why a request could not be built or read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("a {alg} digest is {expected} bytes, got {got}")]
    DigestLength {
        alg: DigestAlgorithm,
        expected: usize,
        got: usize,
    },
    #[error("{0:?} is not a valid object identifier")]
    BadPolicy(String),
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// A time-stamp request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeStampRequest {
    pub message_imprint: MessageImprint,
    /// reqPolicy in dotted form.
    pub policy: Option<String>,
    /// nonce as an unsigned big-endian magnitude.
    pub nonce: Option<Vec<u8>>,
    pub cert_req: bool,
    /// Whether the request carried extensions (the built-in TSA supports none).
    pub has_extensions: bool,
}

impl TimeStampRequest {
    /// A request for `digest` with a fresh 64-bit random nonce and certReq set, so that the
    /// token can be verified on receipt without fetching the TSA certificate elsewhere.
    pub fn new(algorithm: DigestAlgorithm, digest: &[u8]) -> Result<Self, RequestError> {
        if digest.len() != algorithm.output_len() {
            return Err(RequestError::DigestLength {
                alg: algorithm,
                expected: algorithm.output_len(),
                got: digest.len(),
            });
        }
        let mut nonce = [0u8; 8];
        OsRng.fill_bytes(&mut nonce);
        // Positive and exactly eight octets, so its encoding is always minimal.
        nonce[0] = (nonce[0] & 0x7f) | 0x40;
        Ok(TimeStampRequest {
            message_imprint: MessageImprint {
                algorithm,
                digest: digest.to_vec(),
            },
            policy: None,
            nonce: Some(nonce.to_vec()),
            cert_req: true,
            has_extensions: false,
        })
    }

    /// Asks the TSA for a specific policy (dotted OID).
    pub fn with_policy(mut self, policy: &str) -> Result<Self, RequestError> {
        if asn1::oid_from_string(policy).is_none() {
            return Err(RequestError::BadPolicy(policy.into()));
        }
        self.policy = Some(policy.into());
        Ok(self)
    }

    /// DER encoding for `application/timestamp-query`.
    pub fn to_der(&self) -> Vec<u8> {
        let mut parts: Vec<Vec<u8>> = vec![
            asn1::tlv(asn1::TAG_INTEGER, &[1]),
            self.message_imprint.to_der(),
        ];
        if let Some(p) = self.policy.as_deref().and_then(asn1::oid_from_string) {
            parts.push(asn1::tlv(asn1::TAG_OID, &p));
        }
        if let Some(n) = &self.nonce {
            parts.push(asn1::uint(n));
        }
        if self.cert_req {
            parts.push(asn1::tlv(asn1::TAG_BOOLEAN, &[0xff]));
        }
        asn1::tlv(asn1::TAG_SEQUENCE, &parts.concat())
    }

    /// Reads a request (server side). An unknown hash algorithm is `ParseError::Unsupported`
    /// and a digest of the wrong length `RequestError::DigestLength`, so the TSA can answer
    /// badAlg or badDataFormat.
    pub fn from_der(bytes: &[u8]) -> Result<Self, RequestError> {
        let der = normalise(bytes, MAX_REQUEST_BYTES)?;
        let top = asn1::single(&der, "TimeStampReq")?.expect(asn1::TAG_SEQUENCE, "TimeStampReq")?;
        let mut r = top.children();
        let v = r.read_tag(asn1::TAG_INTEGER, "TimeStampReq.version")?;
        if v.value != [1] {
            return Err(ParseError::malformed("TimeStampReq: version is not 1").into());
        }
        let message_imprint = MessageImprint::decode(&r.read("TimeStampReq.messageImprint")?)?;
        let policy = match r.optional(asn1::TAG_OID, "TimeStampReq.reqPolicy")? {
            Some(t) => Some(
                asn1::oid_to_string(t.value)
                    .ok_or_else(|| ParseError::malformed("TimeStampReq: invalid reqPolicy OID"))?,
            ),
            None => None,
        };
        let nonce = match r.optional(asn1::TAG_INTEGER, "TimeStampReq.nonce")? {
            Some(t) => {
                let n = asn1::nonce_integer(&t, "TimeStampReq.nonce")?;
                if n.len() > 32 {
                    return Err(
                        ParseError::malformed("TimeStampReq: nonce longer than 32 bytes").into(),
                    );
                }
                Some(n.to_vec())
            }
            None => None,
        };
        let cert_req = match r.optional(asn1::TAG_BOOLEAN, "TimeStampReq.certReq")? {
            Some(t) => match t.value {
                [0] => false,
                [_] => true,
                _ => return Err(ParseError::malformed("TimeStampReq: bad certReq BOOLEAN").into()),
            },
            None => false,
        };
        let has_extensions = r.optional(0xa0, "TimeStampReq.extensions")?.is_some();
        r.finish("TimeStampReq")?;
        let alg = message_imprint.algorithm;
        if message_imprint.digest.len() != alg.output_len() {
            return Err(RequestError::DigestLength {
                alg,
                expected: alg.output_len(),
                got: message_imprint.digest.len(),
            });
        }
        Ok(TimeStampRequest {
            message_imprint,
            policy,
            nonce,
            cert_req,
            has_extensions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let d = DigestAlgorithm::Sha256.digest(b"abc");
        let req = TimeStampRequest::new(DigestAlgorithm::Sha256, &d)
            .unwrap()
            .with_policy("1.2.3.4")
            .unwrap();
        let back = TimeStampRequest::from_der(&req.to_der()).unwrap();
        assert_eq!(back, req);
        assert!(TimeStampRequest::new(DigestAlgorithm::Sha256, &d[..31]).is_err());
    }

    #[test]
    fn reads_openssl_query() {
        // `openssl ts -query -data abc.txt` (sha256, nonce, no certReq).
        let q = hex::decode("30400201013031300D060960864801650304020105000420BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD0208314CFCE4E0651827").unwrap();
        let req = TimeStampRequest::from_der(&q).unwrap();
        assert_eq!(req.message_imprint.algorithm, DigestAlgorithm::Sha256);
        assert_eq!(
            req.nonce.as_deref(),
            Some(&hex::decode("314CFCE4E0651827").unwrap()[..])
        );
        assert!(!req.cert_req);
    }
}
