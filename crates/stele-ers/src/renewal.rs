//! Building and renewing evidence records (RFC 4998 §5.2, DESIGN §2).
//!
//! The caller talks to the TSA. Each step here is split in two: *what must be timestamped* (a
//! [`Leaf`] for a batch tree, or an [`Imprint`]) and *assemble the archive timestamp* from the
//! reduced hash tree and the token the caller obtained for the tree's root.
//!
//! - Timestamp renewal: the new archive timestamp joins the last chain and covers its timeStamp
//!   fields. Stele renews in the batch form of DESIGN §2: the record's leaf is a *group* of the
//!   hashes of every timeStamp in the chain, so the new first partial hash tree lists them all
//!   (Bouncy Castle's `ERSEvidenceRecord.validate()` wants that; RFC 4998 needs only the newest).
//! - Hash-tree renewal: a new chain under a new algorithm whose leaf for each data object is
//!   H(H(data) || H(DER ArchiveTimeStampSequence so far)); a record of several data objects is a
//!   group of those values. The concatenation is **not** sorted: RFC 4998 §5.2 step d writes
//!   `H(h(i) + ha(i))`, and Bouncy Castle (`ERSUtil.concatPreviousHashes`), the BSI ERS test tool
//!   and Fujitsu write and check exactly data-then-sequence, while EU DSS accepts either order.
//!   Binary sorting would fail in Bouncy Castle whenever H(data) sorts after H(sequence).

use crate::asn1::{ArchiveTimeStamp, EvidenceRecord};
use crate::hashtree::{hash_concat, HashTree, Leaf};
use crate::record::alg_id;
use crate::{DataObject, ErsError};
use stele_asn1::DigestAlgorithm;

/// What a TSA must timestamp: the request's messageImprint (hash algorithm and value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imprint {
    pub algorithm: DigestAlgorithm,
    pub digest: Vec<u8>,
}

impl Imprint {
    /// The imprint for a tree holding only `leaf` (one record renewed on its own).
    pub fn of_leaf(alg: DigestAlgorithm, leaf: &Leaf) -> Result<Self, ErsError> {
        Ok(HashTree::build(alg, std::slice::from_ref(leaf))?.imprint())
    }
}

impl EvidenceRecord {
    /// A new evidence record holding one chain with `first`, whose `digestAlgorithm` must be set
    /// (as [`ArchiveTimeStamp::new`] does).
    pub fn new(first: ArchiveTimeStamp) -> Result<Self, ErsError> {
        let alg = first.declared_algorithm()?.ok_or_else(|| {
            ErsError::Renewal("the first archive timestamp must name its digest algorithm".into())
        })?;
        Ok(EvidenceRecord {
            version: 1,
            digest_algorithms: vec![alg_id(alg)],
            crypto_infos: None,
            encryption_info: None,
            archive_time_stamp_sequence: vec![vec![first]],
        })
    }

    fn check_chain_algorithm(&self, chain: usize, alg: DigestAlgorithm) -> Result<(), ErsError> {
        match self.chain_algorithm(chain) {
            Some(a) if a != alg => Err(ErsError::Renewal(format!(
                "chain {chain} uses {a}; a timestamp renewal must keep it, not switch to {alg}"
            ))),
            _ => Ok(()),
        }
    }

    /// Timestamp renewal, batch form: this record's leaf is the group of the hashes (under
    /// `alg`, the last chain's algorithm) of every timeStamp in the last chain, oldest first.
    pub fn timestamp_renewal_leaf(&self, alg: DigestAlgorithm) -> Result<Leaf, ErsError> {
        let last = self
            .archive_time_stamp_sequence
            .len()
            .checked_sub(1)
            .ok_or(ErsError::NoChains)?;
        self.check_chain_algorithm(last, alg)?;
        let hashes = self.archive_time_stamp_sequence[last]
            .iter()
            .map(|a| a.time_stamp_der().map(|d| alg.digest(&d)))
            .collect::<Result<Vec<_>, _>>()?;
        match hashes.len() {
            0 => Err(ErsError::EmptyChain(last)),
            1 => Ok(Leaf::Hash(hashes.into_iter().next().unwrap_or_default())),
            _ => Ok(Leaf::Group(hashes)),
        }
    }

    /// Appends a timestamp-renewal archive timestamp to the last chain.
    pub fn append_timestamp_renewal(&mut self, ats: ArchiveTimeStamp) -> Result<(), ErsError> {
        let last = self
            .archive_time_stamp_sequence
            .len()
            .checked_sub(1)
            .ok_or(ErsError::NoChains)?;
        if let Some(alg) = ats.declared_algorithm()? {
            self.check_chain_algorithm(last, alg)?;
        }
        self.archive_time_stamp_sequence[last].push(ats);
        Ok(())
    }

    /// Hash-tree renewal: this record's leaf under the new algorithm `alg`. Each data object
    /// becomes H(H(d) || H(DER of the whole ArchiveTimeStampSequence)) (see the module note on
    /// the order); several data objects form a group (RFC 4998 §5.2 steps b-e). Data objects
    /// must be given in full or with an `alg` digest.
    pub fn hash_tree_renewal_leaf(
        &self,
        alg: DigestAlgorithm,
        data: &[DataObject<'_>],
    ) -> Result<Leaf, ErsError> {
        if data.is_empty() {
            return Err(ErsError::Renewal(
                "hash-tree renewal needs the data objects".into(),
            ));
        }
        let ha = alg.digest(&self.sequence_der(self.archive_time_stamp_sequence.len())?);
        let values = data
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let h = d.digest(alg).ok_or_else(|| {
                    ErsError::Renewal(format!("data object {i} has no {alg} digest and no bytes"))
                })?;
                if h.len() != alg.output_len() {
                    return Err(ErsError::HashLength {
                        algorithm: alg,
                        expected: alg.output_len(),
                        got: h.len(),
                    });
                }
                Ok(hash_concat(alg, &[&h, &ha]))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(if values.len() == 1 {
            Leaf::Hash(values.into_iter().next().unwrap_or_default())
        } else {
            Leaf::Group(values)
        })
    }

    /// Appends a new chain started by a hash-tree renewal archive timestamp, and lists its
    /// algorithm in `digestAlgorithms`.
    pub fn append_hash_tree_renewal(&mut self, ats: ArchiveTimeStamp) -> Result<(), ErsError> {
        let alg = ats.declared_algorithm()?.ok_or_else(|| {
            ErsError::Renewal(
                "a new chain's archive timestamp must name its digest algorithm".into(),
            )
        })?;
        if !self.digest_algorithms.iter().any(|a| a.oid == alg.oid()) {
            self.digest_algorithms.push(alg_id(alg));
        }
        self.archive_time_stamp_sequence.push(vec![ats]);
        Ok(())
    }
}
