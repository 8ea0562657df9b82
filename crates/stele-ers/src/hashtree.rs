//! RFC 4998 §4.2 hash trees and §4.3 reduced hash trees.
//!
//! A node's value is the hash of its children's values sorted in binary ascending order and
//! concatenated. A leaf is either one hash (a data object) or a data object *group* (several
//! hashes, whose leaf value is the hash of their sorted concatenation). A node left without a
//! partner at the end of a level moves up unchanged, so no value is ever hashed alone.
//!
//! The tree is kept as one flat byte array per level (fixed-width hashes, no per-node
//! allocation), so a batch of a million leaves costs a few tens of megabytes and every
//! reduced hash tree is a walk up the levels.
//!
//! **What the first partial hash tree holds.** Verifiers read reduced hash trees in three ways:
//! RFC 4998 §4.3 literally (hash the first list, then each computed value joins the next list),
//! Bouncy Castle (a list of one value *is* that value; each later list is hashed to a node and
//! paired with the running value) and EU DSS (like the RFC, but a one-value list is the value).
//! They agree whenever the first list holds at least two values and every later list holds
//! exactly one. So a single-hash leaf's first list is the leaf hash **plus its first sibling**
//! (as the BSI ERS test tool writes it), a group leaf's first list is all of the group's hashes
//! (RFC 4998 §4.2 and §5.2), and every later list is one sibling. A lone single-hash leaf
//! (a tree of one) gets no reduced hash tree at all: its hash is the timestamped value, which all
//! three read the same way (RFC 4998 §4.1: reducedHashtree is absent).
//!
//! A consequence worth knowing: a single-hash leaf's record also proves its sibling leaf's hash
//! (it *was* timestamped in the same batch, as in the BSI test data). Which data objects belong
//! to a record is the record manifest's business, not the evidence record's.

use crate::asn1::PartialHashtree;
use der::asn1::OctetString;
use rayon::prelude::*;
use stele_asn1::DigestAlgorithm;

/// Why a hash tree cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HashTreeError {
    #[error("a hash tree needs at least one leaf")]
    Empty,
    #[error("leaf {leaf}: a hash is {got} bytes long, {algorithm} hashes are {expected}")]
    HashLength {
        leaf: usize,
        algorithm: DigestAlgorithm,
        expected: usize,
        got: usize,
    },
    #[error("leaf {0} is a data object group without any hash")]
    EmptyGroup(usize),
    #[error("too many leaves or group members for one hash tree")]
    TooLarge,
}

/// One leaf of a hash tree: a data object's hash, or a data object group's hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Leaf {
    Hash(Vec<u8>),
    Group(Vec<Vec<u8>>),
}

impl Leaf {
    /// The leaf's node value: the hash itself, or the hash of the group's sorted hashes
    /// (a group of one is that one hash).
    pub fn value(&self, alg: DigestAlgorithm) -> Vec<u8> {
        match self {
            Leaf::Hash(h) => h.clone(),
            Leaf::Group(g) if g.len() == 1 => g[0].clone(),
            Leaf::Group(g) => hash_sorted(alg, g.iter().map(Vec::as_slice).collect()),
        }
    }
}

/// Hashes the concatenation of `parts` into `out` (`out.len()` must be the output length).
pub(crate) fn hash_into(alg: DigestAlgorithm, parts: &[&[u8]], out: &mut [u8]) {
    fn run<D: sha2::Digest>(parts: &[&[u8]], out: &mut [u8]) {
        let mut d = D::new();
        for p in parts {
            d.update(p);
        }
        out.copy_from_slice(&d.finalize());
    }
    match alg {
        DigestAlgorithm::Sha1 => run::<sha1::Sha1>(parts, out),
        DigestAlgorithm::Sha224 => run::<sha2::Sha224>(parts, out),
        DigestAlgorithm::Sha256 => run::<sha2::Sha256>(parts, out),
        DigestAlgorithm::Sha384 => run::<sha2::Sha384>(parts, out),
        DigestAlgorithm::Sha512 => run::<sha2::Sha512>(parts, out),
        DigestAlgorithm::Sha3_256 => run::<sha3::Sha3_256>(parts, out),
        DigestAlgorithm::Sha3_384 => run::<sha3::Sha3_384>(parts, out),
        DigestAlgorithm::Sha3_512 => run::<sha3::Sha3_512>(parts, out),
    }
}

/// Hash of the concatenation of `parts`.
pub(crate) fn hash_concat(alg: DigestAlgorithm, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![0u8; alg.output_len()];
    hash_into(alg, parts, &mut out);
    out
}

/// RFC 4998 §4.2 step 3: hash of the values sorted in binary ascending order and concatenated.
/// Duplicates are kept (DSS and BC write and verify trees with duplicate leaves that way).
pub fn hash_sorted(alg: DigestAlgorithm, mut values: Vec<&[u8]>) -> Vec<u8> {
    values.sort_unstable();
    hash_concat(alg, &values)
}

/// How a verifier folds a reduced hash tree into a root; see the module note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReductionRule {
    /// RFC 4998 §4.3, with a one-value list taken as that value (EU DSS, BC, BSI producers).
    Rfc4998,
    /// Bouncy Castle: every later list is reduced to a node first, then paired with the
    /// running value. Differs from [`ReductionRule::Rfc4998`] only for later lists of 2+ values.
    NodePairs,
    /// RFC 4998 §4.3 word for word: a one-value first list is hashed as well.
    Literal,
}

impl ReductionRule {
    pub const fn name(self) -> &'static str {
        match self {
            ReductionRule::Rfc4998 => "rfc4998",
            ReductionRule::NodePairs => "node-pairs",
            ReductionRule::Literal => "literal",
        }
    }
}

/// Folds the lists of a reduced hash tree into the root. `None` if there is no list or a list
/// is empty (there is nothing to hash).
pub fn reduce_root<'a, L, V>(alg: DigestAlgorithm, lists: L, rule: ReductionRule) -> Option<Vec<u8>>
where
    L: IntoIterator<Item = V>,
    V: IntoIterator<Item = &'a [u8]>,
{
    let mut lists = lists.into_iter();
    let first: Vec<&[u8]> = lists.next()?.into_iter().collect();
    let mut cur = match first.len() {
        0 => return None,
        1 if rule != ReductionRule::Literal => first[0].to_vec(),
        _ => hash_sorted(alg, first),
    };
    for list in lists {
        let mut values: Vec<&[u8]> = list.into_iter().collect();
        let next = match (values.len(), rule) {
            (0, _) => return None,
            (1, _) | (_, ReductionRule::Rfc4998 | ReductionRule::Literal) => {
                values.push(&cur);
                hash_sorted(alg, values)
            }
            (_, ReductionRule::NodePairs) => {
                let node = hash_sorted(alg, values);
                hash_sorted(alg, vec![&cur, &node])
            }
        };
        cur = next;
    }
    Some(cur)
}

/// Root of an ASN.1 reduced hash tree under `rule`.
pub fn reduce_partial_hashtrees(
    alg: DigestAlgorithm,
    tree: &[PartialHashtree],
    rule: ReductionRule,
) -> Option<Vec<u8>> {
    reduce_root(
        alg,
        tree.iter().map(|l| l.iter().map(OctetString::as_bytes)),
        rule,
    )
}

/// A data object group's members, kept out of line so single-hash leaves cost nothing extra.
#[derive(Clone, Copy, Debug)]
struct GroupSpan {
    leaf: u32,
    start: u32,
    count: u32,
}

/// Collects leaves for a [`HashTree`] without one allocation per leaf.
#[derive(Clone, Debug)]
pub struct HashTreeBuilder {
    alg: DigestAlgorithm,
    width: usize,
    level0: Vec<u8>,
    spans: Vec<GroupSpan>,
    members: Vec<u8>,
}

impl HashTreeBuilder {
    pub fn new(alg: DigestAlgorithm) -> Self {
        Self::with_capacity(alg, 0)
    }

    pub fn with_capacity(alg: DigestAlgorithm, leaves: usize) -> Self {
        let width = alg.output_len();
        Self {
            alg,
            width,
            level0: Vec::with_capacity(leaves.saturating_mul(width)),
            spans: Vec::new(),
            members: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.level0.len() / self.width
    }

    pub fn is_empty(&self) -> bool {
        self.level0.is_empty()
    }

    fn check(&self, hash: &[u8]) -> Result<(), HashTreeError> {
        if hash.len() != self.width {
            return Err(HashTreeError::HashLength {
                leaf: self.len(),
                algorithm: self.alg,
                expected: self.width,
                got: hash.len(),
            });
        }
        if self.len() >= u32::MAX as usize {
            return Err(HashTreeError::TooLarge);
        }
        Ok(())
    }

    /// Adds a data object's hash as the next leaf.
    pub fn push_hash(&mut self, hash: &[u8]) -> Result<(), HashTreeError> {
        self.check(hash)?;
        self.level0.extend_from_slice(hash);
        Ok(())
    }

    /// Adds a data object group as the next leaf. A group of one is a plain hash leaf.
    pub fn push_group<H: AsRef<[u8]>>(&mut self, hashes: &[H]) -> Result<(), HashTreeError> {
        match hashes {
            [] => Err(HashTreeError::EmptyGroup(self.len())),
            [one] => self.push_hash(one.as_ref()),
            _ => {
                for h in hashes {
                    self.check(h.as_ref())?;
                }
                let start = self.members.len() / self.width;
                let end = start
                    .checked_add(hashes.len())
                    .ok_or(HashTreeError::TooLarge)?;
                if end > u32::MAX as usize {
                    return Err(HashTreeError::TooLarge);
                }
                self.spans.push(GroupSpan {
                    leaf: self.len() as u32,
                    start: start as u32,
                    count: hashes.len() as u32,
                });
                for h in hashes {
                    self.members.extend_from_slice(h.as_ref());
                }
                // Placeholder; the group's value is hashed (in parallel) by `build`.
                self.level0.resize(self.level0.len() + self.width, 0);
                Ok(())
            }
        }
    }

    pub fn push(&mut self, leaf: &Leaf) -> Result<(), HashTreeError> {
        match leaf {
            Leaf::Hash(h) => self.push_hash(h),
            Leaf::Group(g) => self.push_group(g),
        }
    }

    /// Hashes the tree, level by level, in parallel.
    pub fn build(self) -> Result<HashTree, HashTreeError> {
        let HashTreeBuilder {
            alg,
            width: w,
            mut level0,
            spans,
            members,
        } = self;
        if level0.is_empty() {
            return Err(HashTreeError::Empty);
        }
        let values: Vec<Vec<u8>> = spans
            .par_iter()
            .map(|s| {
                let start = s.start as usize * w;
                let group = &members[start..start + s.count as usize * w];
                hash_sorted(alg, group.chunks_exact(w).collect())
            })
            .collect();
        for (s, v) in spans.iter().zip(values) {
            let at = s.leaf as usize * w;
            level0[at..at + w].copy_from_slice(&v);
        }
        let mut levels = vec![level0];
        loop {
            let cur = levels.last().map(Vec::as_slice).unwrap_or_default();
            let n = cur.len() / w;
            if n <= 1 {
                break;
            }
            let mut next = vec![0u8; n.div_ceil(2) * w];
            next.par_chunks_mut(w)
                .with_min_len(1024)
                .enumerate()
                .for_each(|(j, out)| {
                    let a = &cur[2 * j * w..(2 * j + 1) * w];
                    if 2 * j + 1 < n {
                        let b = &cur[(2 * j + 1) * w..(2 * j + 2) * w];
                        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                        hash_into(alg, &[lo, hi], out);
                    } else {
                        out.copy_from_slice(a);
                    }
                });
            levels.push(next);
        }
        Ok(HashTree {
            alg,
            width: w,
            levels,
            spans,
            members,
        })
    }
}

/// A hash tree over data objects and data object groups (RFC 4998 §4.2).
#[derive(Clone, Debug)]
pub struct HashTree {
    alg: DigestAlgorithm,
    width: usize,
    /// `levels[0]` holds the leaf values, the last level the root.
    levels: Vec<Vec<u8>>,
    spans: Vec<GroupSpan>,
    members: Vec<u8>,
}

impl HashTree {
    /// Builds the tree over `leaves`, in order. Every hash must have `alg`'s length.
    pub fn build(alg: DigestAlgorithm, leaves: &[Leaf]) -> Result<Self, HashTreeError> {
        let mut b = HashTreeBuilder::with_capacity(alg, leaves.len());
        for leaf in leaves {
            b.push(leaf)?;
        }
        b.build()
    }

    pub fn builder(alg: DigestAlgorithm) -> HashTreeBuilder {
        HashTreeBuilder::new(alg)
    }

    pub fn algorithm(&self) -> DigestAlgorithm {
        self.alg
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.levels[0].len() / self.width
    }

    /// Always false: a tree has at least one leaf.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The root: the value a TSA must timestamp.
    pub fn root(&self) -> &[u8] {
        self.levels.last().map(Vec::as_slice).unwrap_or_default()
    }

    /// What the caller must get timestamped for this tree.
    pub fn imprint(&self) -> crate::Imprint {
        crate::Imprint {
            algorithm: self.alg,
            digest: self.root().to_vec(),
        }
    }

    fn group(&self, leaf: usize) -> Option<&GroupSpan> {
        let i = self
            .spans
            .binary_search_by_key(&(leaf as u64), |s| s.leaf as u64)
            .ok()?;
        self.spans.get(i)
    }

    /// The reduced hash tree proving leaf `leaf` (see the module note for its shape), or `None`
    /// if there is no such leaf. Empty for the only leaf of a tree of one single hash.
    pub fn reduced(&self, leaf: usize) -> Option<ReducedHashTree> {
        let w = self.width;
        if leaf >= self.len() {
            return None;
        }
        let depth = self.levels.len();
        let mut values = Vec::with_capacity((depth + 1) * w);
        let mut lens: Vec<u32> = Vec::with_capacity(depth);
        // Whether the first list still waits for the single hash's sibling.
        let mut first_open = match self.group(leaf) {
            Some(g) => {
                let start = g.start as usize * w;
                values.extend_from_slice(&self.members[start..start + g.count as usize * w]);
                lens.push(g.count);
                false
            }
            None => {
                values.extend_from_slice(&self.levels[0][leaf * w..(leaf + 1) * w]);
                lens.push(1);
                true
            }
        };
        let mut idx = leaf;
        for level in &self.levels[..depth - 1] {
            let sib = idx ^ 1;
            if sib < level.len() / w {
                values.extend_from_slice(&level[sib * w..(sib + 1) * w]);
                if first_open {
                    lens[0] += 1;
                    first_open = false;
                } else {
                    lens.push(1);
                }
            }
            idx >>= 1;
        }
        if first_open {
            values.clear();
            lens.clear();
        }
        Some(ReducedHashTree {
            width: w,
            values,
            lens,
        })
    }
}

impl HashTree {
    /// Leaf `leaf`'s stored value (for a group, the hash of its sorted members).
    pub fn leaf_value(&self, leaf: usize) -> Option<&[u8]> {
        let w = self.width;
        self.levels[0].get(leaf * w..(leaf + 1) * w)
    }

    /// The reduced hash tree for leaf `leaf` of a tree built from leaf *values* only (as a seal
    /// batch stores it), given that leaf in full: a group's members go into the first list, as
    /// if the tree had been built with the group. `None` when there is no such leaf or `own`
    /// does not hash to the stored value.
    pub fn reduced_for(&self, leaf: usize, own: &Leaf) -> Option<ReducedHashTree> {
        let w = self.width;
        if self.leaf_value(leaf)? != own.value(self.alg).as_slice() {
            return None;
        }
        let members = match own {
            Leaf::Group(g) if g.len() > 1 => g,
            _ => return self.reduced(leaf),
        };
        if members.iter().any(|m| m.len() != w) {
            return None;
        }
        let mut values: Vec<u8> = members.concat();
        let mut lens = vec![u32::try_from(members.len()).ok()?];
        let mut idx = leaf;
        for level in &self.levels[..self.levels.len() - 1] {
            let sib = idx ^ 1;
            if sib < level.len() / w {
                values.extend_from_slice(&level[sib * w..(sib + 1) * w]);
                lens.push(1);
            }
            idx >>= 1;
        }
        Some(ReducedHashTree {
            width: w,
            values,
            lens,
        })
    }
}

/// A reduced hash tree (RFC 4998 §4.2 step 4): the lists of hash values that lead from one leaf
/// to the root. Stored flat; [`ReducedHashTree::to_asn1`] gives the `PartialHashtree`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReducedHashTree {
    width: usize,
    values: Vec<u8>,
    lens: Vec<u32>,
}

impl ReducedHashTree {
    /// True when the leaf is the root itself: the ATS then carries no reducedHashtree.
    pub fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }

    /// The lists, first (the leaf's own) to last (just below the root).
    pub fn lists(&self) -> impl Iterator<Item = std::slice::ChunksExact<'_, u8>> + '_ {
        let mut off = 0;
        self.lens.iter().map(move |&n| {
            let bytes = n as usize * self.width;
            let s = &self.values[off..off + bytes];
            off += bytes;
            s.chunks_exact(self.width)
        })
    }

    /// Shape: number of values per list (reports and tests).
    pub fn shape(&self) -> Vec<usize> {
        self.lens.iter().map(|&n| n as usize).collect()
    }

    /// Root reached from this tree (RFC 4998 §4.3), `None` when empty.
    pub fn root(&self, alg: DigestAlgorithm) -> Option<Vec<u8>> {
        reduce_root(alg, self.lists(), ReductionRule::Rfc4998)
    }

    /// The ASN.1 form, or `None` when the tree is empty (no reducedHashtree field).
    pub fn to_asn1(&self) -> Option<Vec<PartialHashtree>> {
        if self.is_empty() {
            return None;
        }
        Some(
            self.lists()
                .map(|l| {
                    l.filter_map(|v| OctetString::new(v.to_vec()).ok())
                        .collect::<PartialHashtree>()
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: DigestAlgorithm = DigestAlgorithm::Sha256;

    fn h(i: u32) -> Vec<u8> {
        A.digest(&i.to_be_bytes())
    }

    /// Straightforward recursive reference: pairs left to right, odd node promoted.
    fn reference_root(values: Vec<Vec<u8>>) -> Vec<u8> {
        let mut level = values;
        while level.len() > 1 {
            level = level
                .chunks(2)
                .map(|c| {
                    if c.len() == 2 {
                        hash_sorted(A, vec![&c[0], &c[1]])
                    } else {
                        c[0].clone()
                    }
                })
                .collect();
        }
        level.pop().unwrap()
    }

    #[test]
    fn every_reduced_tree_reaches_the_root_under_every_rule() {
        for n in 1..=33u32 {
            let leaves: Vec<Leaf> = (0..n)
                .map(|i| {
                    if i % 3 == 2 {
                        Leaf::Group(vec![h(i * 100), h(i * 100 + 1), h(i * 100 + 2)])
                    } else {
                        Leaf::Hash(h(i))
                    }
                })
                .collect();
            let tree = HashTree::build(A, &leaves).unwrap();
            let expect = reference_root(leaves.iter().map(|l| l.value(A)).collect());
            assert_eq!(tree.root(), expect.as_slice(), "n={n}");
            for (i, leaf) in leaves.iter().enumerate() {
                let r = tree.reduced(i).unwrap();
                if r.is_empty() {
                    assert_eq!(n, 1);
                    assert_eq!(leaf.value(A), tree.root());
                    continue;
                }
                let shape = r.shape();
                assert!(
                    shape[1..].iter().all(|&k| k == 1),
                    "later lists hold one value"
                );
                let first: Vec<&[u8]> = r.lists().next().unwrap().collect();
                match leaf {
                    Leaf::Hash(x) => {
                        assert_eq!(shape[0], 2, "leaf {i} of {n}: hash plus sibling");
                        assert!(first.contains(&x.as_slice()));
                    }
                    Leaf::Group(g) => {
                        assert_eq!(shape[0], g.len());
                        assert!(g.iter().all(|x| first.contains(&x.as_slice())));
                    }
                }
                for rule in [
                    ReductionRule::Rfc4998,
                    ReductionRule::NodePairs,
                    ReductionRule::Literal,
                ] {
                    let root = reduce_root(A, r.lists(), rule).unwrap();
                    assert_eq!(root, tree.root(), "n={n} leaf={i} rule={rule:?}");
                }
                let asn1 = r.to_asn1().unwrap();
                assert_eq!(
                    reduce_partial_hashtrees(A, &asn1, ReductionRule::Rfc4998).unwrap(),
                    tree.root()
                );
            }
        }
    }

    #[test]
    fn single_leaf_tree_has_no_reduced_tree_and_group_of_one_is_a_hash() {
        let t = HashTree::build(A, &[Leaf::Group(vec![h(1)])]).unwrap();
        assert_eq!(t.root(), h(1).as_slice());
        assert!(t.reduced(0).unwrap().is_empty());
        assert!(t.reduced(1).is_none());
        let t = HashTree::build(A, &[Leaf::Group(vec![h(1), h(2)])]).unwrap();
        assert_eq!(t.root(), hash_sorted(A, vec![&h(1), &h(2)]).as_slice());
        assert_eq!(t.reduced(0).unwrap().shape(), vec![2]);
    }

    #[test]
    fn bad_leaves_are_errors() {
        assert_eq!(HashTree::build(A, &[]).unwrap_err(), HashTreeError::Empty);
        assert!(matches!(
            HashTree::build(A, &[Leaf::Hash(vec![0; 20])]),
            Err(HashTreeError::HashLength { .. })
        ));
        assert_eq!(
            HashTree::build(A, &[Leaf::Hash(h(0)), Leaf::Group(vec![])]).unwrap_err(),
            HashTreeError::EmptyGroup(1)
        );
    }

    #[test]
    fn rules_differ_only_where_documented() {
        let (a, b, c, d) = (h(1), h(2), h(3), h(4));
        // [a] [b c]: RFC folds a into {b, c}; BC pairs a with H(b|c).
        let lists: Vec<Vec<&[u8]>> = vec![vec![&a], vec![&b, &c]];
        let rfc = reduce_root(A, lists.clone(), ReductionRule::Rfc4998).unwrap();
        let bc = reduce_root(A, lists.clone(), ReductionRule::NodePairs).unwrap();
        let lit = reduce_root(A, lists, ReductionRule::Literal).unwrap();
        assert_eq!(rfc, hash_sorted(A, vec![&a, &b, &c]));
        assert_eq!(bc, hash_sorted(A, vec![&a, &hash_sorted(A, vec![&b, &c])]));
        assert_eq!(lit, hash_sorted(A, vec![&A.digest(&a), &b, &c]));
        assert_eq!(
            reduce_root(A, vec![vec![&d[..]]], ReductionRule::Rfc4998).unwrap(),
            d
        );
        assert!(reduce_root(A, Vec::<Vec<&[u8]>>::new(), ReductionRule::Rfc4998).is_none());
        assert!(reduce_root(A, vec![vec![&a[..]], vec![]], ReductionRule::Rfc4998).is_none());
    }

    #[test]
    fn duplicates_are_kept() {
        let a = h(9);
        assert_eq!(
            reduce_root(A, vec![vec![&a[..], &a[..]]], ReductionRule::Rfc4998).unwrap(),
            A.digest(&[a.clone(), a.clone()].concat())
        );
    }
}

#[cfg(test)]
mod perf {
    use super::*;

    /// The performance target: a million leaves, tree and every reduced tree, in under 2 s
    /// (SHA-256, two cores). Run with `cargo test --release -p stele-ers -- --ignored million`.
    #[test]
    #[ignore = "timing; meaningful only in release builds"]
    fn million_leaves_and_all_reduced_trees() {
        let n = 1_000_000u32;
        let alg = DigestAlgorithm::Sha256;
        let mut b = HashTree::builder(alg);
        for i in 0..n {
            let mut h = [0u8; 32];
            h[..4].copy_from_slice(&i.to_be_bytes());
            b.push_hash(&h).unwrap();
        }
        let start = std::time::Instant::now();
        let tree = b.build().unwrap();
        let built = start.elapsed();
        let total: usize = (0..n as usize)
            .into_par_iter()
            .map(|i| tree.reduced(i).map_or(0, |r| r.shape().len()))
            .sum();
        let elapsed = start.elapsed();
        eprintln!("build {built:?}, build + {n} reduced trees {elapsed:?} ({total} lists)");
        assert!(elapsed.as_secs_f64() < 2.0, "{elapsed:?}");
    }
}
