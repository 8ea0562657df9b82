//! Public verification codes: the unguessable part of a record's public verification URL
//! (`{public_base}/v/{id}/{code}`, printed as a QR code on paper copies).
//!
//! The code is the first 16 bytes of HMAC-SHA256 under a per-archive key over
//! `"stele.verify.v1" || id`, in lowercase base32 without padding (26 characters). Record ids
//! are content hashes anyone holding the document can compute, so the id alone must not open
//! the public page; 128 bits of keyed MAC make the code impossible to guess or derive without
//! the key. The key lives in the store (`secrets/verification`, see
//! [`stele_store::secret`]), so every node of a shared store computes the same codes and the
//! codes survive a lost configuration. Nothing is stored per record: a code is recomputed when
//! needed.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use stele_store::secret::SECRET_LEN;
use stele_store::{RecordId, Store, StoreError};
use subtle::ConstantTimeEq;

/// The store secret the codes are derived from.
pub const VERIFICATION_SECRET: &str = "verification";

/// Domain separation: the key may one day serve another purpose; a new code scheme gets v2.
const DOMAIN: &[u8] = b"stele.verify.v1";

/// Bytes of the MAC kept in a code: 128 bits, beyond guessing.
const CODE_BYTES: usize = 16;

/// Characters in a code: ceil(16 * 8 / 5).
pub const CODE_LEN: usize = (CODE_BYTES * 8).div_ceil(5);

/// RFC 4648 base32, lowercase (URLs are conventionally lowercase; it reads well on paper).
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Why the codes could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum VerificationCodeError {
    #[error("cannot read or create the verification key (secrets/{VERIFICATION_SECRET}) in {store}: {source}")]
    Key { store: String, source: StoreError },
}

/// Computes and checks the verification codes of one archive. Cheap to clone.
#[derive(Clone)]
pub struct VerificationCodes {
    key: [u8; SECRET_LEN],
}

// By hand: the key must not reach logs.
impl std::fmt::Debug for VerificationCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationCodes")
            .field("key", &"<hidden>")
            .finish()
    }
}

impl VerificationCodes {
    /// The archive's codes, creating its key on first use (any node may be first).
    pub async fn load_or_create(store: &Store) -> Result<Self, VerificationCodeError> {
        let key = store
            .get_or_create_secret(VERIFICATION_SECRET)
            .await
            .map_err(|source| VerificationCodeError::Key {
                store: store.url().to_string(),
                source,
            })?;
        Ok(Self::from_key(key))
    }

    /// Codes under an explicit key (tests; callers that manage the key themselves).
    pub fn from_key(key: [u8; SECRET_LEN]) -> Self {
        VerificationCodes { key }
    }

    /// The record's code: 26 characters of `a–z 2–7`.
    pub fn code(&self, id: &RecordId) -> String {
        base32(&self.mac(id)[..CODE_BYTES])
    }

    /// True when `code` is exactly the record's code (lowercase, no padding). The comparison
    /// takes the same time wherever the first difference is, so timing reveals nothing.
    pub fn check(&self, id: &RecordId, code: &str) -> bool {
        let expected = self.code(id);
        // The length is public (always CODE_LEN); only the content must not leak.
        expected.len() == code.len() && bool::from(expected.as_bytes().ct_eq(code.as_bytes()))
    }

    /// The public verification URL: `{public_base}/v/{id}/{code}`. `public_base` is used as
    /// given apart from a trailing slash (see `ServerSection::public_base`).
    pub fn url(&self, public_base: &str, id: &RecordId) -> String {
        format!(
            "{}/v/{id}/{}",
            public_base.trim_end_matches('/'),
            self.code(id)
        )
    }

    fn mac(&self, id: &RecordId) -> [u8; 32] {
        // HMAC accepts keys of any length; 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(DOMAIN);
        mac.update(id.as_str().as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// RFC 4648 base32 of `bytes`, lowercase, without padding.
fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity((bytes.len() * 8).div_ceil(5));
    let (mut acc, mut bits) = (0u16, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u16::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[usize::from((acc >> bits) & 31)]));
        }
        // Keep only the bits not yet written, so `acc` never overflows.
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32[usize::from((acc << (5 - bits)) & 31)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(c: char) -> RecordId {
        RecordId::new(c.to_string().repeat(64)).unwrap()
    }

    #[test]
    fn base32_matches_rfc_4648_vectors() {
        // RFC 4648 §10, lowercase and without the padding.
        for (input, expected) in [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foo", "mzxw6"),
            ("foob", "mzxw6yq"),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi"),
        ] {
            assert_eq!(base32(input.as_bytes()), expected, "{input}");
        }
        assert_eq!(base32(&[0xff; 16]).len(), CODE_LEN);
    }

    #[test]
    fn codes_are_deterministic_and_differ_per_record_and_key() {
        let codes = VerificationCodes::from_key([7; SECRET_LEN]);
        let a = codes.code(&id('a'));
        assert_eq!(a, codes.code(&id('a')));
        assert_eq!(a, codes.clone().code(&id('a')));
        assert_eq!(a.len(), CODE_LEN);
        assert!(a.bytes().all(|b| BASE32.contains(&b)), "{a}");
        assert_ne!(a, codes.code(&id('b')));
        assert_ne!(
            a,
            VerificationCodes::from_key([8; SECRET_LEN]).code(&id('a'))
        );
    }

    #[test]
    fn code_is_hmac_sha256_of_domain_and_id() {
        // Independently spelled: the first 16 bytes of HMAC-SHA256(key, "stele.verify.v1" || id).
        let key = [0x42; SECRET_LEN];
        let rid = id('c');
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
        mac.update(format!("stele.verify.v1{rid}").as_bytes());
        let full = mac.finalize().into_bytes();
        assert_eq!(
            VerificationCodes::from_key(key).code(&rid),
            base32(&full[..16])
        );
    }

    #[test]
    fn check_accepts_only_the_exact_code() {
        let codes = VerificationCodes::from_key([1; SECRET_LEN]);
        let rid = id('d');
        let code = codes.code(&rid);
        assert!(codes.check(&rid, &code));
        // Every single-character change is refused.
        for i in 0..code.len() {
            let mut changed = code.clone().into_bytes();
            changed[i] = if changed[i] == b'a' { b'b' } else { b'a' };
            assert!(!codes.check(&rid, std::str::from_utf8(&changed).unwrap()));
        }
        assert!(!codes.check(&rid, &code.to_ascii_uppercase()));
        assert!(!codes.check(&rid, &code[..CODE_LEN - 1]));
        assert!(!codes.check(&rid, &format!("{code}a")));
        assert!(!codes.check(&rid, ""));
        assert!(!codes.check(&id('e'), &code));
        assert!(!VerificationCodes::from_key([2; SECRET_LEN]).check(&rid, &code));
    }

    #[test]
    fn url_carries_the_code() {
        let codes = VerificationCodes::from_key([3; SECRET_LEN]);
        let rid = id('f');
        let url = codes.url("https://archive.example.vn/", &rid);
        assert_eq!(
            url,
            format!("https://archive.example.vn/v/{rid}/{}", codes.code(&rid))
        );
        let code = url.rsplit('/').next().unwrap();
        assert!(codes.check(&rid, code));
    }

    #[test]
    fn debug_hides_the_key() {
        let s = format!("{:?}", VerificationCodes::from_key([0xab; SECRET_LEN]));
        assert!(!s.contains("171") && !s.contains("ab"), "{s}");
    }

    #[tokio::test]
    async fn one_key_per_store() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("store").display().to_string();
        let config = stele_store::StoreConfig::default();
        let rid = id('a');
        let a = VerificationCodes::load_or_create(&Store::open(&url, &config).unwrap())
            .await
            .unwrap();
        let again = VerificationCodes::load_or_create(&Store::open(&url, &config).unwrap())
            .await
            .unwrap();
        assert_eq!(a.code(&rid), again.code(&rid));
        let other_dir = dir.path().join("other").display().to_string();
        let other = VerificationCodes::load_or_create(&Store::open(&other_dir, &config).unwrap())
            .await
            .unwrap();
        assert_ne!(a.code(&rid), other.code(&rid));
    }
}
