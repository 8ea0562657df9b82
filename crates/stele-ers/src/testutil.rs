//! A fake TSA for unit tests: a "token" is a ContentInfo (id-signedData) whose content is an
//! OCTET STRING `alg | flags | genTime | trusted-until | imprint`, read back by [`FakeVerifier`].

use crate::asn1::ID_SIGNED_DATA;
use crate::{
    DigestAlgorithm, TimeStampVerifier, TokenCheck, TokenFacts, TokenIntegrity, TokenTrust,
};
use cms::content_info::ContentInfo;
use der::asn1::OctetString;
use der::{Any, Decode, Encode};
use std::sync::Mutex;
use time::OffsetDateTime;

pub const BROKEN: u8 = 1;

pub fn t(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + secs).unwrap()
}

pub fn token_with(
    alg: DigestAlgorithm,
    gen: OffsetDateTime,
    until: OffsetDateTime,
    flags: u8,
    imprint: &[u8],
) -> Vec<u8> {
    let idx = DigestAlgorithm::ALL.iter().position(|a| *a == alg).unwrap() as u8;
    let mut payload = vec![idx, flags];
    payload.extend_from_slice(&gen.unix_timestamp().to_be_bytes());
    payload.extend_from_slice(&until.unix_timestamp().to_be_bytes());
    payload.extend_from_slice(imprint);
    let content = Any::encode_from(&OctetString::new(payload).unwrap()).unwrap();
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content,
    }
    .to_der()
    .unwrap()
}

/// A token over `imprint` made at `gen`, from a TSA trusted for ever.
pub fn token(alg: DigestAlgorithm, gen: OffsetDateTime, imprint: &[u8]) -> Vec<u8> {
    token_with(alg, gen, t(1_000_000_000), 0, imprint)
}

/// Reads fake tokens; remembers the `valid_at` of every call, in call order.
#[derive(Default)]
pub struct FakeVerifier {
    pub calls: Mutex<Vec<OffsetDateTime>>,
}

impl TimeStampVerifier for FakeVerifier {
    fn check(&self, token_der: &[u8], valid_at: OffsetDateTime) -> Result<TokenCheck, String> {
        self.calls.lock().unwrap().push(valid_at);
        let ci = ContentInfo::from_der(token_der).map_err(|e| e.to_string())?;
        let p = ci
            .content
            .decode_as::<OctetString>()
            .map_err(|e| e.to_string())?;
        let p = p.as_bytes();
        if p.len() < 18 {
            return Err("short fake token".into());
        }
        let alg = *DigestAlgorithm::ALL.get(p[0] as usize).ok_or("bad alg")?;
        let secs = |b: &[u8]| i64::from_be_bytes(b.try_into().unwrap());
        let gen_time =
            OffsetDateTime::from_unix_timestamp(secs(&p[2..10])).map_err(|e| e.to_string())?;
        let until =
            OffsetDateTime::from_unix_timestamp(secs(&p[10..18])).map_err(|e| e.to_string())?;
        Ok(TokenCheck {
            facts: TokenFacts {
                gen_time,
                imprint_algorithm: alg,
                imprint: p[18..].to_vec(),
                tsa: Some("CN=Fake TSA".into()),
                serial: Some(hex::encode(&p[2..10])),
            },
            integrity: if p[1] & BROKEN != 0 {
                TokenIntegrity::Broken("signature does not verify".into())
            } else {
                TokenIntegrity::Intact
            },
            trust: if valid_at <= until {
                TokenTrust::Trusted {
                    anchor: "CN=Fake Root".into(),
                }
            } else {
                TokenTrust::Untrusted {
                    reason: format!("the TSA certificate expired at {until}"),
                }
            },
        })
    }
}
