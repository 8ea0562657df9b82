use const_oid::ObjectIdentifier;
use sha2::Digest as _;

// NIST hash algorithm arc (2.16.840.1.101.3.4.2); const-oid 0.9 has no SHA-3 names.
const ID_SHA3_256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.8");
const ID_SHA3_384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.9");
const ID_SHA3_512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.10");

/// A hash function Stele knows by its OID.
///
/// SHA-1 is here only so that old evidence can be verified; whether an algorithm is acceptable
/// at a given date is a policy question answered elsewhere, not by this table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DigestAlgorithm {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha3_256,
    Sha3_384,
    Sha3_512,
}

/// An OID or name that names no digest algorithm Stele supports.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unsupported digest algorithm {0}")]
pub struct UnknownAlgorithm(pub String);

impl DigestAlgorithm {
    pub const ALL: [DigestAlgorithm; 8] = [
        Self::Sha1,
        Self::Sha224,
        Self::Sha256,
        Self::Sha384,
        Self::Sha512,
        Self::Sha3_256,
        Self::Sha3_384,
        Self::Sha3_512,
    ];

    pub const fn oid(self) -> ObjectIdentifier {
        use const_oid::db::rfc5912 as r;
        match self {
            Self::Sha1 => r::ID_SHA_1,
            Self::Sha224 => r::ID_SHA_224,
            Self::Sha256 => r::ID_SHA_256,
            Self::Sha384 => r::ID_SHA_384,
            Self::Sha512 => r::ID_SHA_512,
            Self::Sha3_256 => ID_SHA3_256,
            Self::Sha3_384 => ID_SHA3_384,
            Self::Sha3_512 => ID_SHA3_512,
        }
    }

    pub fn from_oid(oid: &ObjectIdentifier) -> Result<Self, UnknownAlgorithm> {
        Self::ALL
            .into_iter()
            .find(|a| a.oid() == *oid)
            .ok_or_else(|| UnknownAlgorithm(oid.to_string()))
    }

    /// The lower-case name used on the command line and in reports (`sha256`, `sha3-256`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
            Self::Sha3_256 => "sha3-256",
            Self::Sha3_384 => "sha3-384",
            Self::Sha3_512 => "sha3-512",
        }
    }

    /// Parses a name as written by people: `sha256`, `SHA-256`, `sha3-256`, `sha3_256`.
    pub fn from_name(name: &str) -> Result<Self, UnknownAlgorithm> {
        let norm: String = name
            .chars()
            .filter(|c| !matches!(c, '-' | '_'))
            .collect::<String>()
            .to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|a| a.name().replace('-', "") == norm)
            .ok_or_else(|| UnknownAlgorithm(name.to_string()))
    }

    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 | Self::Sha3_256 => 32,
            Self::Sha384 | Self::Sha3_384 => 48,
            Self::Sha512 | Self::Sha3_512 => 64,
        }
    }

    pub fn hasher(self) -> Hasher {
        Hasher(match self {
            Self::Sha1 => Inner::Sha1(sha1::Sha1::new()),
            Self::Sha224 => Inner::Sha224(sha2::Sha224::new()),
            Self::Sha256 => Inner::Sha256(sha2::Sha256::new()),
            Self::Sha384 => Inner::Sha384(sha2::Sha384::new()),
            Self::Sha512 => Inner::Sha512(sha2::Sha512::new()),
            Self::Sha3_256 => Inner::Sha3_256(sha3::Sha3_256::new()),
            Self::Sha3_384 => Inner::Sha3_384(sha3::Sha3_384::new()),
            Self::Sha3_512 => Inner::Sha3_512(sha3::Sha3_512::new()),
        })
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut h = self.hasher();
        h.update(data);
        h.finalize()
    }
}

impl std::fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for DigestAlgorithm {
    type Err = UnknownAlgorithm;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s)
    }
}

/// A streaming hash of one [`DigestAlgorithm`], for data too large to hold in memory.
#[derive(Clone)]
pub struct Hasher(Inner);

#[derive(Clone)]
enum Inner {
    Sha1(sha1::Sha1),
    Sha224(sha2::Sha224),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
    Sha3_256(sha3::Sha3_256),
    Sha3_384(sha3::Sha3_384),
    Sha3_512(sha3::Sha3_512),
}

impl Hasher {
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            Inner::Sha1(h) => h.update(data),
            Inner::Sha224(h) => h.update(data),
            Inner::Sha256(h) => h.update(data),
            Inner::Sha384(h) => h.update(data),
            Inner::Sha512(h) => h.update(data),
            Inner::Sha3_256(h) => h.update(data),
            Inner::Sha3_384(h) => h.update(data),
            Inner::Sha3_512(h) => h.update(data),
        }
    }

    pub fn finalize(self) -> Vec<u8> {
        match self.0 {
            Inner::Sha1(h) => h.finalize().to_vec(),
            Inner::Sha224(h) => h.finalize().to_vec(),
            Inner::Sha256(h) => h.finalize().to_vec(),
            Inner::Sha384(h) => h.finalize().to_vec(),
            Inner::Sha512(h) => h.finalize().to_vec(),
            Inner::Sha3_256(h) => h.finalize().to_vec(),
            Inner::Sha3_384(h) => h.finalize().to_vec(),
            Inner::Sha3_512(h) => h.finalize().to_vec(),
        }
    }
}

impl std::io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // FIPS 180-4 / 202 "abc" vectors.
        let abc = b"abc";
        assert_eq!(
            hex::encode(DigestAlgorithm::Sha256.digest(abc)),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex::encode(DigestAlgorithm::Sha1.digest(abc)),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex::encode(DigestAlgorithm::Sha3_256.digest(abc)),
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"
        );
        for a in DigestAlgorithm::ALL {
            assert_eq!(a.digest(abc).len(), a.output_len());
            assert_eq!(DigestAlgorithm::from_oid(&a.oid()), Ok(a));
            assert_eq!(DigestAlgorithm::from_name(a.name()), Ok(a));
        }
        assert_eq!(
            DigestAlgorithm::from_name("SHA-256"),
            Ok(DigestAlgorithm::Sha256)
        );
        assert!(DigestAlgorithm::from_name("md5").is_err());
    }
}
