use stele_asn1::DigestAlgorithm;
use stele_tsp::{LocalTsa, TimeStampToken, TsaClient};

/// A failure to obtain a time-stamp token.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TimeStamperError(pub String);

/// Anything that turns a digest into a verified RFC 3161 token: a remote TSA over HTTP, or the
/// built-in TSA in-process. Both verify the token against the request before returning it.
pub trait TimeStamper {
    fn timestamp(
        &self,
        algorithm: DigestAlgorithm,
        digest: &[u8],
    ) -> Result<TimeStampToken, TimeStamperError>;
}

impl TimeStamper for TsaClient {
    fn timestamp(
        &self,
        algorithm: DigestAlgorithm,
        digest: &[u8],
    ) -> Result<TimeStampToken, TimeStamperError> {
        TsaClient::timestamp(self, algorithm, digest).map_err(|e| TimeStamperError(e.to_string()))
    }
}

impl TimeStamper for LocalTsa {
    fn timestamp(
        &self,
        algorithm: DigestAlgorithm,
        digest: &[u8],
    ) -> Result<TimeStampToken, TimeStamperError> {
        LocalTsa::timestamp(self, algorithm, digest)
            .map_err(|e| TimeStamperError(format!("built-in TSA: {e}")))
    }
}
