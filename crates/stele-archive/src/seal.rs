use crate::timestamper::{TimeStamper, TimeStamperError};
use stele_asn1::DigestAlgorithm;
use stele_ers::{ArchiveTimeStamp, ErsError, EvidenceRecord, HashTree, HashTreeError};

/// Why a seal could not be made. Nothing is half-made: either every record gets its evidence or
/// the caller gets this error.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("nothing to seal")]
    Empty,
    #[error("hash tree: {0}")]
    HashTree(#[from] HashTreeError),
    #[error("time-stamp authority: {0}")]
    TimeStamp(#[from] TimeStamperError),
    #[error("the TSA's token does not cover the hash tree root (imprint {got}, expected {want})")]
    WrongImprint { got: String, want: String },
    #[error("evidence record: {0}")]
    Evidence(#[from] ErsError),
}

/// Data-object groups sealed under one time-stamp token: one hash tree, one TSA request. Any
/// group's evidence record is derived on demand from the tree and the token.
pub struct SealedBatch {
    tree: HashTree,
    token_der: Vec<u8>,
}

/// Seals each group (the digests of one record's data objects, made with `alg`) as one leaf of a
/// hash tree and has `stamper` timestamp its root.
pub fn seal_groups<G: AsRef<[Vec<u8>]>>(
    alg: DigestAlgorithm,
    groups: &[G],
    stamper: &dyn TimeStamper,
) -> Result<SealedBatch, SealError> {
    if groups.is_empty() {
        return Err(SealError::Empty);
    }
    let mut builder = HashTree::builder(alg);
    for g in groups {
        builder.push_group(g.as_ref())?;
    }
    let tree = builder.build()?;
    let imprint = tree.imprint();
    let token = stamper.timestamp(imprint.algorithm, &imprint.digest)?;
    let got = token.message_imprint();
    if got.algorithm != imprint.algorithm || got.digest != imprint.digest {
        return Err(SealError::WrongImprint {
            got: format!("{}:{}", got.algorithm, hex::encode(&got.digest)),
            want: format!("{}:{}", imprint.algorithm, hex::encode(&imprint.digest)),
        });
    }
    Ok(SealedBatch {
        tree,
        token_der: token.to_der().to_vec(),
    })
}

impl SealedBatch {
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// The DER time-stamp token over the tree root.
    pub fn token_der(&self) -> &[u8] {
        &self.token_der
    }

    /// The evidence record of group `index` (its reduced hash tree and the shared token).
    pub fn evidence_record(&self, index: usize) -> Result<EvidenceRecord, SealError> {
        let reduced = self.tree.reduced(index).ok_or(SealError::Empty)?;
        let ats = ArchiveTimeStamp::new(self.tree.algorithm(), &reduced, &self.token_der)?;
        Ok(EvidenceRecord::new(ats)?)
    }
}
