//! The data objects an evidence record is checked against.

use std::borrow::Cow;
use stele_asn1::DigestAlgorithm;

/// One archived data object: its bytes (hashed with whatever algorithm each chain needs), or
/// only its digests (one per algorithm the caller knows), e.g. for files too large to hold or
/// when only the hash was kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataObject<'a> {
    Bytes(Cow<'a, [u8]>),
    Digests(Vec<(DigestAlgorithm, Vec<u8>)>),
}

impl<'a> DataObject<'a> {
    pub fn from_bytes(bytes: &'a [u8]) -> Self {
        DataObject::Bytes(Cow::Borrowed(bytes))
    }

    pub fn from_digest(alg: DigestAlgorithm, digest: impl Into<Vec<u8>>) -> Self {
        DataObject::Digests(vec![(alg, digest.into())])
    }

    /// Adds a digest for one more algorithm (a later chain's). No effect on bytes, which can be
    /// hashed with any algorithm.
    pub fn with_digest(mut self, alg: DigestAlgorithm, digest: impl Into<Vec<u8>>) -> Self {
        if let DataObject::Digests(d) = &mut self {
            d.push((alg, digest.into()));
        }
        self
    }

    /// The data object's hash under `alg`, or `None` if only other algorithms' digests are known.
    pub fn digest(&self, alg: DigestAlgorithm) -> Option<Cow<'_, [u8]>> {
        match self {
            DataObject::Bytes(b) => Some(Cow::Owned(alg.digest(b))),
            DataObject::Digests(d) => d
                .iter()
                .find(|(a, _)| *a == alg)
                .map(|(_, v)| Cow::Borrowed(v.as_slice())),
        }
    }
}
