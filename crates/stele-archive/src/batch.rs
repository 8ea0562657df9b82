//! Seal batches as stored (`seals/<id>`): one hash tree, one time-stamp token.
//!
//! A batch is either a **seal** (the leaves are records' data-object groups under the batch
//! algorithm) or a **hash-tree renewal** (RFC 4998 §5.2: the leaves are, per record, the group of
//! H(H(d) || H(ArchiveTimeStampSequence so far)) under a new algorithm, starting a new chain).
//! Either way the file keeps only each record's id and leaf *value*; the group's members are
//! recomputed from the record's data objects when an evidence record is assembled
//! ([`stele_ers::HashTree::reduced_for`]), which keeps a batch of a million records at 64 MB for
//! SHA-256 rather than several hundred.
//!
//! Layout (all integers big-endian):
//! ```text
//! "STELE-BATCH\n"   12 bytes magic
//! u32 header_len    header: JSON (format, kind, algorithm, gen_time, count, supersedes)
//! u32 token_len     token: the DER time-stamp token over the tree root
//! count × (32-byte record id, leaf value of the algorithm's length), sorted by record id
//! ```

use crate::RecordManifest;
use serde::{Deserialize, Serialize};
use stele_asn1::DigestAlgorithm;
use stele_ers::{HashTree, HashTreeError, Leaf};
use time::OffsetDateTime;

const MAGIC: &[u8; 12] = b"STELE-BATCH\n";
const FORMAT: &str = "stele.batch.v1";
/// Bound on what a batch file may declare: 2^26 records (67 million) per batch.
pub const MAX_BATCH_RECORDS: usize = 1 << 26;
const MAX_HEADER: usize = 1 << 20;
const MAX_TOKEN: usize = 1 << 20;
/// Record ids are hex SHA-256 of the original: 32 bytes raw.
pub const RECORD_ID_LEN: usize = 32;

/// What a batch's tree covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchKind {
    /// Records' data-object groups: the first chain of their evidence records.
    Seal,
    /// Hash-tree renewal of every record of the `supersedes` batches: a new chain.
    HashTreeRenewal,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    kind: BatchKind,
    algorithm: String,
    #[serde(with = "time::serde::rfc3339")]
    gen_time: OffsetDateTime,
    count: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    supersedes: Vec<String>,
}

/// Why a stored batch cannot be read or made.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("seal batch {id}: {reason}")]
    Malformed { id: String, reason: String },
    #[error("hash tree: {0}")]
    HashTree(#[from] HashTreeError),
}

/// One seal or hash-tree-renewal batch.
#[derive(Clone, Debug)]
pub struct SealBatch {
    pub kind: BatchKind,
    pub algorithm: DigestAlgorithm,
    /// The token's genTime (also the start of the batch id).
    pub gen_time: OffsetDateTime,
    pub token_der: Vec<u8>,
    /// For a hash-tree renewal: the chain roots (batch ids) whose records it carries on.
    pub supersedes: Vec<String>,
    /// Record ids, 32 bytes each, ascending.
    ids: Vec<u8>,
    /// Leaf values in the same order.
    leaves: Vec<u8>,
}

/// A record id as the 32 raw bytes a batch stores.
pub fn record_id_bytes(id: &str) -> Option<[u8; RECORD_ID_LEN]> {
    let v = hex::decode(id).ok()?;
    v.try_into().ok()
}

/// The leaf of a record in a seal batch: its data objects' digests under `alg` (a group).
pub fn seal_leaf(digests: Vec<Vec<u8>>) -> Leaf {
    Leaf::Group(digests)
}

impl SealBatch {
    /// Assembles a batch from (record id, leaf value) pairs (sorted here) and the token.
    pub fn new(
        kind: BatchKind,
        algorithm: DigestAlgorithm,
        gen_time: OffsetDateTime,
        token_der: Vec<u8>,
        supersedes: Vec<String>,
        mut entries: Vec<([u8; RECORD_ID_LEN], Vec<u8>)>,
    ) -> Self {
        entries.sort_by_key(|e| e.0);
        entries.dedup_by(|a, b| a.0 == b.0);
        let w = algorithm.output_len();
        let mut ids = Vec::with_capacity(entries.len() * RECORD_ID_LEN);
        let mut leaves = Vec::with_capacity(entries.len() * w);
        for (id, leaf) in entries {
            ids.extend_from_slice(&id);
            leaves.extend_from_slice(&leaf);
        }
        SealBatch {
            kind,
            algorithm,
            gen_time,
            token_der,
            supersedes,
            ids,
            leaves,
        }
    }

    /// The leaves in tree order, sorted by record id: what [`SealBatch::new`] will store, so
    /// callers build the tree the token covers from the same order.
    pub fn sort_entries(entries: &mut Vec<([u8; RECORD_ID_LEN], Vec<u8>)>) {
        entries.sort_by_key(|e| e.0);
        entries.dedup_by(|a, b| a.0 == b.0);
    }

    /// Ids sort by time: `<genTime as yyyymmddThhmmssZ>-<first 16 hex digits of the root>`.
    pub fn id_for(gen_time: OffsetDateTime, root: &[u8]) -> String {
        format!(
            "{}-{}",
            compact_time(gen_time),
            hex::encode(&root[..root.len().min(8)])
        )
    }

    pub fn len(&self) -> usize {
        self.ids.len() / RECORD_ID_LEN
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Record id (hex) at `index`.
    pub fn record_id(&self, index: usize) -> Option<String> {
        self.ids
            .get(index * RECORD_ID_LEN..(index + 1) * RECORD_ID_LEN)
            .map(hex::encode)
    }

    /// Record ids, raw, in tree order.
    pub fn record_ids(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.ids.chunks_exact(RECORD_ID_LEN)
    }

    /// Where `record` sits in the tree.
    pub fn position(&self, record: &[u8; RECORD_ID_LEN]) -> Option<usize> {
        let n = self.len();
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let at = &self.ids[mid * RECORD_ID_LEN..(mid + 1) * RECORD_ID_LEN];
            match at.cmp(record.as_slice()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The tree the token covers, rebuilt from the stored leaf values.
    pub fn tree(&self) -> Result<HashTree, HashTreeError> {
        let w = self.algorithm.output_len();
        let mut b = stele_ers::HashTreeBuilder::with_capacity(self.algorithm, self.len());
        for leaf in self.leaves.chunks_exact(w) {
            b.push_hash(leaf)?;
        }
        b.build()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let header = Header {
            format: FORMAT.into(),
            kind: self.kind,
            algorithm: self.algorithm.to_string(),
            gen_time: self.gen_time,
            count: self.len(),
            supersedes: self.supersedes.clone(),
        };
        let header = serde_json::to_vec(&header).unwrap_or_default();
        let mut out = Vec::with_capacity(
            MAGIC.len()
                + 8
                + header.len()
                + self.token_der.len()
                + self.ids.len()
                + self.leaves.len(),
        );
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(header.len() as u32).to_be_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&(self.token_der.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.token_der);
        let w = self.algorithm.output_len();
        for (id, leaf) in self
            .ids
            .chunks_exact(RECORD_ID_LEN)
            .zip(self.leaves.chunks_exact(w))
        {
            out.extend_from_slice(id);
            out.extend_from_slice(leaf);
        }
        out
    }

    /// Reads a stored batch, checking every length against what the header declares.
    pub fn from_bytes(id: &str, bytes: &[u8]) -> Result<Self, BatchError> {
        let bad = |reason: String| BatchError::Malformed {
            id: id.to_string(),
            reason,
        };
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| bad("not a Stele seal batch (magic missing)".into()))?;
        let (header, rest) =
            take_prefixed(rest, MAX_HEADER).ok_or_else(|| bad("header cut short".into()))?;
        let header: Header =
            serde_json::from_slice(header).map_err(|e| bad(format!("header: {e}")))?;
        if header.format != FORMAT {
            return Err(bad(format!("format {} is not {FORMAT}", header.format)));
        }
        let algorithm = DigestAlgorithm::from_name(&header.algorithm)
            .map_err(|_| bad(format!("unknown algorithm {}", header.algorithm)))?;
        let (token, rest) =
            take_prefixed(rest, MAX_TOKEN).ok_or_else(|| bad("token cut short".into()))?;
        if header.count == 0 || header.count > MAX_BATCH_RECORDS {
            return Err(bad(format!("{} records declared", header.count)));
        }
        let w = algorithm.output_len();
        let entry = RECORD_ID_LEN + w;
        if rest.len() != header.count * entry {
            return Err(bad(format!(
                "{} bytes of entries where {} records need {}",
                rest.len(),
                header.count,
                header.count * entry
            )));
        }
        let mut ids = Vec::with_capacity(header.count * RECORD_ID_LEN);
        let mut leaves = Vec::with_capacity(header.count * w);
        for e in rest.chunks_exact(entry) {
            ids.extend_from_slice(&e[..RECORD_ID_LEN]);
            leaves.extend_from_slice(&e[RECORD_ID_LEN..]);
        }
        if ids
            .chunks_exact(RECORD_ID_LEN)
            .zip(ids.chunks_exact(RECORD_ID_LEN).skip(1))
            .any(|(a, b)| a >= b)
        {
            return Err(bad("record ids are not strictly ascending".into()));
        }
        Ok(SealBatch {
            kind: header.kind,
            algorithm,
            gen_time: header.gen_time,
            token_der: token.to_vec(),
            supersedes: header.supersedes,
            ids,
            leaves,
        })
    }
}

fn take_prefixed(b: &[u8], max: usize) -> Option<(&[u8], &[u8])> {
    let len = u32::from_be_bytes(b.get(..4)?.try_into().ok()?) as usize;
    if len > max {
        return None;
    }
    let body = b.get(4..4 + len)?;
    Some((body, &b[4 + len..]))
}

/// `20260115T093000Z`: sortable, and legal in every object-store key.
pub fn compact_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The SHA-256 data-object group of a record, as its manifest lists it.
pub fn sha256_group(manifest: &RecordManifest) -> Vec<Vec<u8>> {
    manifest
        .data_objects
        .iter()
        .filter_map(|b| hex::decode(b.hex()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_lookup() {
        let alg = DigestAlgorithm::Sha256;
        let entries: Vec<_> = (0..100u32)
            .map(|i| {
                let id: [u8; 32] = alg.digest(&i.to_be_bytes()).try_into().unwrap();
                (id, alg.digest(format!("leaf {i}").as_bytes()))
            })
            .collect();
        let t = OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap();
        let b = SealBatch::new(
            BatchKind::Seal,
            alg,
            t,
            vec![0x30, 0],
            vec![],
            entries.clone(),
        );
        let bytes = b.to_bytes();
        let back = SealBatch::from_bytes("x", &bytes).unwrap();
        assert_eq!(back.len(), 100);
        for (id, leaf) in &entries {
            let p = back.position(id).unwrap();
            assert_eq!(back.tree().unwrap().leaf_value(p).unwrap(), leaf.as_slice());
        }
        assert!(back.position(&[0u8; 32]).is_none());
        // Every truncation and a flipped length are errors, never panics.
        for cut in 0..bytes.len().min(400) {
            assert!(SealBatch::from_bytes("x", &bytes[..cut]).is_err());
        }
        let mut bad = bytes.clone();
        bad[13] ^= 0x40;
        assert!(SealBatch::from_bytes("x", &bad).is_err());
        assert_eq!(compact_time(t), "20260528T202640Z");
    }
}
