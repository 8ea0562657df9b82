//! TimeStampResp (RFC 3161 §2.4.2): status, free text, failure bits and the token.

use crate::asn1;
use crate::error::{normalise, ParseError};
use crate::token::{TimeStampToken, MAX_TOKEN_BYTES};

/// Largest response accepted: a token plus a generous status text.
pub const MAX_RESPONSE_BYTES: usize = MAX_TOKEN_BYTES + 64 * 1024;
const MAX_STATUS_STRINGS: usize = 16;

/// PKIStatus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PkiStatus {
    Granted,
    GrantedWithMods,
    Rejection,
    Waiting,
    RevocationWarning,
    RevocationNotification,
    Other(u8),
}

impl PkiStatus {
    fn from_code(c: u8) -> Self {
        match c {
            0 => Self::Granted,
            1 => Self::GrantedWithMods,
            2 => Self::Rejection,
            3 => Self::Waiting,
            4 => Self::RevocationWarning,
            5 => Self::RevocationNotification,
            o => Self::Other(o),
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            Self::Granted => 0,
            Self::GrantedWithMods => 1,
            Self::Rejection => 2,
            Self::Waiting => 3,
            Self::RevocationWarning => 4,
            Self::RevocationNotification => 5,
            Self::Other(o) => o,
        }
    }

    /// Whether a token comes with this status.
    pub fn is_granted(self) -> bool {
        matches!(self, Self::Granted | Self::GrantedWithMods)
    }
}

impl std::fmt::Display for PkiStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Granted => f.write_str("granted"),
            Self::GrantedWithMods => f.write_str("grantedWithMods"),
            Self::Rejection => f.write_str("rejection"),
            Self::Waiting => f.write_str("waiting"),
            Self::RevocationWarning => f.write_str("revocationWarning"),
            Self::RevocationNotification => f.write_str("revocationNotification"),
            Self::Other(c) => write!(f, "unknown status {c}"),
        }
    }
}

/// PKIFailureInfo bits used by TSAs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureInfo {
    BadAlg,
    BadRequest,
    BadDataFormat,
    TimeNotAvailable,
    UnacceptedPolicy,
    UnacceptedExtension,
    AddInfoNotAvailable,
    SystemFailure,
    Other(u32),
}

impl FailureInfo {
    pub(crate) fn bit(self) -> u32 {
        match self {
            Self::BadAlg => 0,
            Self::BadRequest => 2,
            Self::BadDataFormat => 5,
            Self::TimeNotAvailable => 14,
            Self::UnacceptedPolicy => 15,
            Self::UnacceptedExtension => 16,
            Self::AddInfoNotAvailable => 17,
            Self::SystemFailure => 25,
            Self::Other(b) => b,
        }
    }

    fn from_bit(b: u32) -> Self {
        [
            Self::BadAlg,
            Self::BadRequest,
            Self::BadDataFormat,
            Self::TimeNotAvailable,
            Self::UnacceptedPolicy,
            Self::UnacceptedExtension,
            Self::AddInfoNotAvailable,
            Self::SystemFailure,
        ]
        .into_iter()
        .find(|f| f.bit() == b)
        .unwrap_or(Self::Other(b))
    }
}

impl std::fmt::Display for FailureInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::BadAlg => "badAlg (unrecognized or unsupported algorithm)",
            Self::BadRequest => "badRequest (transaction not permitted or supported)",
            Self::BadDataFormat => "badDataFormat (the data submitted has the wrong format)",
            Self::TimeNotAvailable => "timeNotAvailable (the TSA's time source is not available)",
            Self::UnacceptedPolicy => {
                "unacceptedPolicy (the requested TSA policy is not supported)"
            }
            Self::UnacceptedExtension => {
                "unacceptedExtension (the requested extension is not supported)"
            }
            Self::AddInfoNotAvailable => {
                "addInfoNotAvailable (the additional information requested is not available)"
            }
            Self::SystemFailure => {
                "systemFailure (the request cannot be handled due to system failure)"
            }
            Self::Other(b) => return write!(f, "failure bit {b}"),
        })
    }
}

/// A parsed time-stamp response.
#[derive(Clone, Debug)]
pub struct TimeStampResponse {
    pub status: PkiStatus,
    pub status_text: Vec<String>,
    pub failure_info: Vec<FailureInfo>,
    pub token: Option<TimeStampToken>,
}

impl TimeStampResponse {
    /// Reads a TimeStampResp from BER or DER.
    pub fn from_ber(bytes: &[u8]) -> Result<Self, ParseError> {
        let der = normalise(bytes, MAX_RESPONSE_BYTES)?;
        let top =
            asn1::single(&der, "TimeStampResp")?.expect(asn1::TAG_SEQUENCE, "TimeStampResp")?;
        let mut r = top.children();
        let si = r.read_tag(asn1::TAG_SEQUENCE, "PKIStatusInfo")?;
        let mut sr = si.children();
        let st = sr.read_tag(asn1::TAG_INTEGER, "PKIStatusInfo.status")?;
        let status = match st.value {
            [c] if *c < 0x80 => PkiStatus::from_code(*c),
            _ => return Err(ParseError::malformed("PKIStatusInfo: status out of range")),
        };
        let mut status_text = Vec::new();
        if let Some(ft) = sr.optional(asn1::TAG_SEQUENCE, "PKIStatusInfo.statusString")? {
            let mut fr = ft.children();
            while !fr.is_empty() {
                let s = fr.read("PKIFreeText")?;
                if status_text.len() < MAX_STATUS_STRINGS {
                    let text = String::from_utf8_lossy(s.value);
                    status_text.push(text.chars().take(1024).collect());
                }
            }
        }
        let mut failure_info = Vec::new();
        if let Some(bits) = sr.optional(asn1::TAG_BIT_STRING, "PKIStatusInfo.failInfo")? {
            if let Some((&unused, octets)) = bits.value.split_first() {
                let total = (octets.len() * 8).saturating_sub(usize::from(unused.min(7)));
                for i in 0..total.min(64) {
                    if octets[i / 8] & (0x80 >> (i % 8)) != 0 {
                        failure_info.push(FailureInfo::from_bit(i as u32));
                    }
                }
            }
        }
        sr.finish("PKIStatusInfo")?;
        let token = match r.optional(asn1::TAG_SEQUENCE, "TimeStampResp.timeStampToken")? {
            Some(t) => Some(TimeStampToken::from_normalised(t.raw.to_vec())?),
            None => None,
        };
        r.finish("TimeStampResp")?;
        Ok(TimeStampResponse {
            status,
            status_text,
            failure_info,
            token,
        })
    }

    /// One line for people: status, failure reasons and the TSA's own text.
    pub fn describe(&self) -> String {
        let mut s = format!("status {}", self.status);
        if !self.failure_info.is_empty() {
            let f: Vec<String> = self.failure_info.iter().map(|f| f.to_string()).collect();
            s.push_str(&format!("; failure: {}", f.join(", ")));
        }
        if !self.status_text.is_empty() {
            s.push_str(&format!("; TSA says: {}", self.status_text.join(" / ")));
        }
        s
    }

    /// DER of a granted response carrying `token_der`.
    pub(crate) fn granted_der(token_der: &[u8]) -> Vec<u8> {
        let status = asn1::seq(&[&asn1::tlv(asn1::TAG_INTEGER, &[0])]);
        asn1::seq(&[&status, token_der])
    }

    /// DER of a rejection with a reason for people and a failure bit for machines.
    pub(crate) fn rejection_der(text: &str, fail: FailureInfo) -> Vec<u8> {
        let status = asn1::seq(&[
            &asn1::tlv(asn1::TAG_INTEGER, &[PkiStatus::Rejection.code()]),
            &asn1::seq(&[&asn1::tlv(asn1::TAG_UTF8_STRING, text.as_bytes())]),
            &asn1::named_bits(&[fail.bit()]),
        ]);
        asn1::seq(&[&status])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_round_trip() {
        let der = TimeStampResponse::rejection_der("unsupported hash", FailureInfo::BadAlg);
        let r = TimeStampResponse::from_ber(&der).unwrap();
        assert_eq!(r.status, PkiStatus::Rejection);
        assert_eq!(r.failure_info, vec![FailureInfo::BadAlg]);
        assert!(r.describe().contains("badAlg"), "{}", r.describe());
        assert!(r.describe().contains("unsupported hash"));
        assert!(r.token.is_none());
    }
}
