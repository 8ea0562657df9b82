//! Renewal epochs as stored (`epochs/<id>`): one timestamp renewal of many chains.
//!
//! An epoch's tree has one leaf per chain it renews (one per seal or hash-tree-renewal batch):
//! the group of the hashes of every timeStamp in that chain so far (DESIGN §2), under the
//! chain's algorithm. One TSA request renews every record of every listed batch, so the cost
//! grows with the number of batches, never with the number of records. The file is small
//! (a few hashes per batch), so it is JSON.

use base64::Engine;
use serde::{Deserialize, Serialize};
use stele_asn1::DigestAlgorithm;
use stele_ers::{HashTree, HashTreeError, Leaf};
use time::OffsetDateTime;

const FORMAT: &str = "stele.epoch.v1";
/// Largest epoch file read: 2^16 chains of a few hashes fit many times over.
pub const MAX_EPOCH_BYTES: usize = 256 << 20;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: String,
    algorithm: String,
    #[serde(with = "time::serde::rfc3339")]
    gen_time: OffsetDateTime,
    /// Base64 DER time-stamp token over the tree root.
    token: String,
    entries: Vec<FileEntry>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    batch: String,
    /// Hex hashes of the chain's timeStamps, oldest first.
    leaf: Vec<String>,
}

/// One chain an epoch renews.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochEntry {
    /// The batch whose chain is renewed.
    pub batch: String,
    /// Hashes of the chain's timeStamps at the time of renewal, oldest first.
    pub leaf: Vec<Vec<u8>>,
}

impl EpochEntry {
    pub fn as_leaf(&self) -> Leaf {
        if self.leaf.len() == 1 {
            Leaf::Hash(self.leaf[0].clone())
        } else {
            Leaf::Group(self.leaf.clone())
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EpochError {
    #[error("renewal epoch {id}: {reason}")]
    Malformed { id: String, reason: String },
}

/// A timestamp-renewal epoch.
#[derive(Clone, Debug)]
pub struct RenewalEpoch {
    pub algorithm: DigestAlgorithm,
    pub gen_time: OffsetDateTime,
    pub token_der: Vec<u8>,
    /// Sorted by batch id: the tree's leaf order.
    pub entries: Vec<EpochEntry>,
}

impl RenewalEpoch {
    /// The tree the token covers.
    pub fn tree(&self) -> Result<HashTree, HashTreeError> {
        let leaves: Vec<Leaf> = self.entries.iter().map(EpochEntry::as_leaf).collect();
        HashTree::build(self.algorithm, &leaves)
    }

    /// Where `batch` sits in the tree.
    pub fn position(&self, batch: &str) -> Option<usize> {
        self.entries
            .binary_search_by(|e| e.batch.as_str().cmp(batch))
            .ok()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let f = File {
            format: FORMAT.into(),
            algorithm: self.algorithm.to_string(),
            gen_time: self.gen_time,
            token: base64::engine::general_purpose::STANDARD.encode(&self.token_der),
            entries: self
                .entries
                .iter()
                .map(|e| FileEntry {
                    batch: e.batch.clone(),
                    leaf: e.leaf.iter().map(hex::encode).collect(),
                })
                .collect(),
        };
        serde_json::to_vec_pretty(&f).unwrap_or_default()
    }

    pub fn from_bytes(id: &str, bytes: &[u8]) -> Result<Self, EpochError> {
        let bad = |reason: String| EpochError::Malformed {
            id: id.to_string(),
            reason,
        };
        if bytes.len() > MAX_EPOCH_BYTES {
            return Err(bad(format!("{} bytes is more than accepted", bytes.len())));
        }
        let f: File = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if f.format != FORMAT {
            return Err(bad(format!("format {} is not {FORMAT}", f.format)));
        }
        let algorithm = DigestAlgorithm::from_name(&f.algorithm)
            .map_err(|_| bad(format!("unknown algorithm {}", f.algorithm)))?;
        let token_der = base64::engine::general_purpose::STANDARD
            .decode(&f.token)
            .map_err(|e| bad(format!("token: {e}")))?;
        let mut entries = Vec::with_capacity(f.entries.len());
        for e in f.entries {
            let leaf = e
                .leaf
                .iter()
                .map(|h| {
                    hex::decode(h)
                        .ok()
                        .filter(|v| v.len() == algorithm.output_len())
                })
                .collect::<Option<Vec<_>>>()
                .filter(|l| !l.is_empty())
                .ok_or_else(|| bad(format!("entry {}: bad leaf hashes", e.batch)))?;
            entries.push(EpochEntry {
                batch: e.batch,
                leaf,
            });
        }
        if entries.is_empty() || entries.windows(2).any(|w| w[0].batch >= w[1].batch) {
            return Err(bad("entries missing or not sorted by batch".into()));
        }
        Ok(RenewalEpoch {
            algorithm,
            gen_time: f.gen_time,
            token_der,
            entries,
        })
    }
}
