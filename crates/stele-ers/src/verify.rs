//! Verification of an evidence record (RFC 4998 §4.3 and §5.3).
//!
//! Checks, in the words of the RFC: every data object's hash is in the first partial hash tree
//! of the first archive timestamp (ATS) of the first chain; every reduced hash tree reduces to
//! its token's messageImprint; every later ATS of a chain covers the previous ATS's timeStamp
//! (timestamp renewal); the first ATS of every later chain covers each data object combined
//! with the ArchiveTimeStampSequence before it (hash-tree renewal); every token is intact, and
//! its TSA trusted when the next ATS was made (or at the verification time for the newest);
//! genTimes never go backwards. Verification never stops at the first problem: every ATS gets
//! its report, and the first finding of the worst kind decides the verdict's reason.
//!
//! Leniencies real producers need, each named where it is applied: one-value partial hash trees,
//! Bouncy Castle's node-pair reduction, ATS without `digestAlgorithm`, unsorted hash-tree
//! renewal concatenation, duplicate leaves, group renewal of all earlier timeStamps.

use crate::asn1::{ArchiveTimeStamp, EvidenceRecord, PartialHashtree};
use crate::hashtree::{hash_concat, reduce_partial_hashtrees, ReductionRule};
use crate::{DataObject, TimeStampVerifier, TokenCheck, TokenIntegrity, TokenTrust};
use stele_asn1::DigestAlgorithm;
use time::OffsetDateTime;

/// The overall outcome. Ordered by severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Every check passed.
    Valid,
    /// Nothing is broken, but something could not be established (TSA trust, an algorithm or a
    /// digest Stele lacks).
    Indeterminate,
    /// A check failed.
    Invalid,
}

impl Verdict {
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "VALID",
            Verdict::Indeterminate => "INDETERMINATE",
            Verdict::Invalid => "INVALID",
        }
    }
}

/// Machine code of a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureCode {
    /// The record's structure breaks RFC 4998 (no chain, empty chain, wrong version).
    Malformed,
    /// A data object's hash is not in the first ATS of the first chain.
    DataNotCovered,
    /// A data object was given by digests only, none for the algorithm a chain needs.
    DigestUnavailable,
    /// A reduced hash tree does not reduce to its token's imprint (or is empty).
    HashTreeMismatch,
    /// The ATS names one digest algorithm, its token's imprint another.
    AlgorithmMismatch,
    /// A later ATS of a chain does not cover the previous ATS's timeStamp.
    TimestampRenewalBroken,
    /// A later chain does not cover the data together with the chains before it.
    HashTreeRenewalBroken,
    /// The token could not be read at all.
    TokenUnreadable,
    /// The token is not intact (signature, messageDigest, signer binding).
    TokenInvalid,
    /// The TSA could not be trusted at the time that matters.
    TokenUntrusted,
    /// A genTime is earlier than the one before it.
    GenTimeOrder,
    /// A genTime lies after the verification time.
    GenTimeAfterVerification,
    /// A digest algorithm Stele does not implement.
    UnsupportedAlgorithm,
}

impl FailureCode {
    pub const fn as_str(self) -> &'static str {
        match self {
            FailureCode::Malformed => "MALFORMED",
            FailureCode::DataNotCovered => "DATA_NOT_COVERED",
            FailureCode::DigestUnavailable => "DIGEST_UNAVAILABLE",
            FailureCode::HashTreeMismatch => "HASH_TREE_MISMATCH",
            FailureCode::AlgorithmMismatch => "ALGORITHM_MISMATCH",
            FailureCode::TimestampRenewalBroken => "TIMESTAMP_RENEWAL_BROKEN",
            FailureCode::HashTreeRenewalBroken => "HASHTREE_RENEWAL_BROKEN",
            FailureCode::TokenUnreadable => "TOKEN_UNREADABLE",
            FailureCode::TokenInvalid => "TOKEN_INVALID",
            FailureCode::TokenUntrusted => "TOKEN_UNTRUSTED",
            FailureCode::GenTimeOrder => "GEN_TIME_ORDER",
            FailureCode::GenTimeAfterVerification => "GEN_TIME_AFTER_VERIFICATION_TIME",
            FailureCode::UnsupportedAlgorithm => "UNSUPPORTED_ALGORITHM",
        }
    }

    /// The verdict this finding alone leads to.
    pub const fn verdict(self) -> Verdict {
        match self {
            FailureCode::DigestUnavailable
            | FailureCode::TokenUntrusted
            | FailureCode::GenTimeAfterVerification
            | FailureCode::UnsupportedAlgorithm => Verdict::Indeterminate,
            _ => Verdict::Invalid,
        }
    }
}

/// One failed or undecidable check, with where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub code: FailureCode,
    pub chain: Option<usize>,
    pub archive_timestamp: Option<usize>,
    /// A sentence naming the check and, where there is one, the chain and ATS.
    pub message: String,
}

/// State of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Check {
    Passed,
    Failed,
    /// Not possible (no data objects, unreadable token, unknown algorithm) or not applicable.
    NotChecked,
}

/// What an ATS must cover, by its place in the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Coverage {
    /// First ATS of the first chain: the data objects.
    DataObjects,
    /// Later ATS of a chain: the previous ATS's timeStamp (timestamp renewal).
    PreviousTimeStamp,
    /// First ATS of a later chain: the data objects with the chains before (hash-tree renewal).
    PreviousChains,
}

impl Coverage {
    pub const fn as_str(self) -> &'static str {
        match self {
            Coverage::DataObjects => "data objects",
            Coverage::PreviousTimeStamp => "previous timeStamp",
            Coverage::PreviousChains => "data objects and previous chains",
        }
    }
}

/// How h(data) and h(ArchiveTimeStampSequence) were concatenated in a hash-tree renewal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RenewalConcat {
    /// Binary ascending order, as RFC 4998 §4.2 orders every other concatenation (also when it
    /// coincides with one of the unsorted orders).
    Sorted,
    /// h(data) || h(sequence), unsorted: RFC 4998 §5.2 as written (BSI ERS test tool, Fujitsu,
    /// Bouncy Castle, Stele).
    DataFirst,
    /// h(sequence) || h(data), unsorted.
    SequenceFirst,
}

/// The report on one archive timestamp.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtsReport {
    pub chain: usize,
    pub index: usize,
    /// The algorithm its hash tree uses: the ATS field, else the token's imprint algorithm.
    pub digest_algorithm: Option<DigestAlgorithm>,
    pub gen_time: Option<OffsetDateTime>,
    pub imprint: Option<Vec<u8>>,
    pub tsa: Option<String>,
    pub serial: Option<String>,
    /// When the TSA had to be trustworthy: the next ATS's genTime, or the verification time.
    pub valid_at: OffsetDateTime,
    pub covers: Coverage,
    /// Whether what it must cover is in its first partial hash tree (or equals the imprint).
    pub coverage: Check,
    /// Whether the reduced hash tree reduces to the imprint.
    pub hash_tree: Check,
    /// The reading of the reduced hash tree that matched.
    pub reduction_rule: Option<ReductionRule>,
    /// For the first ATS of a later chain: the concatenation that matched.
    pub renewal_concat: Option<RenewalConcat>,
    pub token_integrity: TokenIntegrity,
    /// `None` when the token could not be read.
    pub trust: Option<TokenTrust>,
}

/// The report on one chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainReport {
    pub index: usize,
    pub digest_algorithm: Option<DigestAlgorithm>,
    pub archive_timestamps: Vec<AtsReport>,
}

/// The report on one data object, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataObjectReport {
    pub index: usize,
    /// The digests the checks used, one per algorithm.
    pub digests: Vec<(DigestAlgorithm, Vec<u8>)>,
    /// Covered by the first chain and carried through every hash-tree renewal.
    pub covered: bool,
}

/// The result of [`verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErsVerification {
    pub verdict: Verdict,
    pub verification_time: OffsetDateTime,
    /// False when no data object was given: only structure, links and tokens were checked.
    pub data_checked: bool,
    pub data_objects: Vec<DataObjectReport>,
    pub chains: Vec<ChainReport>,
    /// Every failed or undecidable check, in record order.
    pub findings: Vec<Finding>,
    /// Leniencies applied and checks skipped, as sentences.
    pub notes: Vec<String>,
}

impl ErsVerification {
    /// The finding that explains the verdict: the first one of the verdict's severity.
    pub fn failure(&self) -> Option<&Finding> {
        self.findings
            .iter()
            .find(|f| f.code.verdict() == self.verdict)
    }

    /// One sentence for a non-specialist.
    pub fn summary(&self) -> String {
        let n_ats: usize = self.chains.iter().map(|c| c.archive_timestamps.len()).sum();
        match (self.verdict, self.failure()) {
            (Verdict::Valid, _) => {
                let first = self
                    .chains
                    .first()
                    .and_then(|c| c.archive_timestamps.first())
                    .and_then(|a| a.gen_time);
                let since = first
                    .map(|t| format!(" since {}", rfc3339(t)))
                    .unwrap_or_default();
                if self.data_checked {
                    format!(
                        "Valid: the {} data object(s) provably existed unchanged{since}, kept by {n_ats} archive timestamp(s) in {} chain(s).",
                        self.data_objects.len(),
                        self.chains.len()
                    )
                } else {
                    format!(
                        "The evidence record is intact ({n_ats} archive timestamp(s) in {} chain(s)), but no data object was given, so what it covers was not checked.",
                        self.chains.len()
                    )
                }
            }
            (v, Some(f)) => format!(
                "{}: {}",
                if v == Verdict::Invalid {
                    "Invalid"
                } else {
                    "Indeterminate"
                },
                f.message
            ),
            (v, None) => v.as_str().to_string(),
        }
    }
}

/// RFC 3339, as reports print times.
fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

fn where_(chain: usize, ats: usize) -> String {
    format!("archive timestamp {ats} of chain {chain}")
}

struct Ctx<'d, 'a> {
    data: &'d [DataObject<'a>],
    /// Per data object: digests computed or looked up so far.
    digests: Vec<Vec<(DigestAlgorithm, Option<Vec<u8>>)>>,
    findings: Vec<Finding>,
    notes: Vec<String>,
}

impl Ctx<'_, '_> {
    fn find(
        &mut self,
        code: FailureCode,
        chain: Option<usize>,
        ats: Option<usize>,
        message: String,
    ) {
        self.findings.push(Finding {
            code,
            chain,
            archive_timestamp: ats,
            message,
        });
    }

    /// Checks that every data object is covered by ATS `at` (chain, index): its hash directly
    /// (first chain), or combined with `renewal`'s sequence hash (later chains, reporting the
    /// concatenation found). Clears `data_covered` for objects not covered.
    fn data_coverage(
        &mut self,
        alg: DigestAlgorithm,
        (c, i): (usize, usize),
        tree: Option<&[PartialHashtree]>,
        imprint: Option<&[u8]>,
        mut renewal: Option<(&[u8], &mut Option<RenewalConcat>)>,
        data_covered: &mut [bool],
    ) -> Check {
        let w = where_(c, i);
        let mut all = true;
        let mut any_unknown = self.data.is_empty();
        for (j, is_covered) in data_covered.iter_mut().enumerate() {
            let Some(h) = self.digest(j, alg) else {
                self.find(
                    FailureCode::DigestUnavailable,
                    Some(c),
                    Some(i),
                    format!("Data object {j} was given without a {alg} digest, which {w} needs."),
                );
                *is_covered = false;
                any_unknown = true;
                continue;
            };
            let found = match renewal.as_mut() {
                None => covered(tree, imprint, &h),
                Some((ha, concat)) => {
                    // Leniency: h(data)||h(seq) as RFC 4998 §5.2 writes it (BSI ERS test tool
                    // 2Chains3ATS, Fujitsu 1_x_Renew_Unsorted, Bouncy Castle, Stele), sorted like
                    // every other RFC 4998 concatenation (Governikus, DSS), or h(seq)||h(data)
                    // (EU DSS accepts that too).
                    let mut found = None;
                    for (v, kind) in renewal_candidates(alg, &h, ha) {
                        match covered(tree, imprint, &v) {
                            Some(true) => {
                                found = Some(true);
                                **concat = Some(kind);
                                if kind == RenewalConcat::SequenceFirst {
                                    self.notes.push(format!(
                                        "{w} renews data object {j} as H(h(sequence)||h(data)), an order few producers use."
                                    ));
                                }
                                break;
                            }
                            Some(false) => found = Some(false),
                            None => {}
                        }
                    }
                    found
                }
            };
            match found {
                Some(true) => {}
                Some(false) => {
                    all = false;
                    *is_covered = false;
                    let (code, msg) = if renewal.is_none() {
                        (
                            FailureCode::DataNotCovered,
                            format!("Data object {j} is not covered: its {alg} hash is not in the first partial hash tree of {w}."),
                        )
                    } else {
                        (
                            FailureCode::HashTreeRenewalBroken,
                            format!("{w} does not cover data object {j} together with chains 0..{} (hash-tree renewal broken).", c - 1),
                        )
                    };
                    self.find(code, Some(c), Some(i), msg);
                }
                None => any_unknown = true,
            }
        }
        if !all {
            Check::Failed
        } else if any_unknown {
            Check::NotChecked
        } else {
            Check::Passed
        }
    }

    fn digest(&mut self, obj: usize, alg: DigestAlgorithm) -> Option<Vec<u8>> {
        if let Some((_, d)) = self.digests[obj].iter().find(|(a, _)| *a == alg) {
            return d.clone();
        }
        let d = self.data[obj].digest(alg).map(|c| c.into_owned());
        self.digests[obj].push((alg, d.clone()));
        d
    }
}

fn check_of(found: Option<bool>) -> Check {
    match found {
        Some(true) => Check::Passed,
        Some(false) => Check::Failed,
        None => Check::NotChecked,
    }
}

/// The two concatenations a hash-tree renewal may have used for one data object, each labelled
/// (the one in binary order as [`RenewalConcat::Sorted`]).
fn renewal_candidates(alg: DigestAlgorithm, h: &[u8], ha: &[u8]) -> [(Vec<u8>, RenewalConcat); 2] {
    let data_first_sorted = h <= ha;
    [
        (
            hash_concat(alg, &[h, ha]),
            if data_first_sorted {
                RenewalConcat::Sorted
            } else {
                RenewalConcat::DataFirst
            },
        ),
        (
            hash_concat(alg, &[ha, h]),
            if data_first_sorted {
                RenewalConcat::SequenceFirst
            } else {
                RenewalConcat::Sorted
            },
        ),
    ]
}

/// Whether `value` is covered: in the first partial hash tree, or equal to the imprint when the
/// ATS has no reduced hash tree (RFC 4998 §4.1: the value was timestamped directly).
fn covered(tree: Option<&[PartialHashtree]>, imprint: Option<&[u8]>, value: &[u8]) -> Option<bool> {
    match tree {
        Some(t) => Some(
            t.first()
                .is_some_and(|l| l.iter().any(|v| v.as_bytes() == value)),
        ),
        None => imprint.map(|i| i == value),
    }
}

/// Most bytes hashed for the ArchiveTimeStampSequence prefixes of all hash-tree renewals of one
/// record. Each later chain hashes every chain before it, so a hostile record of many chains
/// would otherwise cost quadratic time; real records hash a few megabytes.
pub const MAX_RENEWAL_HASH_BYTES: usize = 1 << 30;

/// The DER of every chain, encoded once, to hash `ArchiveTimeStampSequence` prefixes.
struct SequencePrefixes {
    chains: Vec<Vec<u8>>,
}

impl SequencePrefixes {
    fn new(er: &EvidenceRecord) -> Result<Self, String> {
        let chains = er
            .chains()
            .iter()
            .map(der::Encode::to_der)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the chains cannot be encoded: {e}"))?;
        let mut prefix = 0usize;
        let mut work = 0usize;
        for c in &chains[..chains.len().saturating_sub(1)] {
            prefix = prefix.saturating_add(c.len());
            work = work.saturating_add(prefix);
        }
        if work > MAX_RENEWAL_HASH_BYTES {
            return Err(format!(
                "checking the hash-tree renewals would hash {work} bytes, more than the {MAX_RENEWAL_HASH_BYTES} allowed"
            ));
        }
        Ok(Self { chains })
    }

    /// H(DER of the ArchiveTimeStampSequence of the first `n` chains) (RFC 4998 §5.2 step c).
    fn hash(&self, alg: DigestAlgorithm, n: usize) -> Option<Vec<u8>> {
        let parts = self.chains.get(..n)?;
        let len: usize = parts.iter().map(Vec::len).sum();
        let header = der::Header::new(der::Tag::Sequence, der::Length::try_from(len).ok()?)
            .and_then(|h| der::Encode::to_der(&h))
            .ok()?;
        let mut h = alg.hasher();
        h.update(&header);
        for p in parts {
            h.update(p);
        }
        Some(h.finalize())
    }
}

/// Which reading of the reduced hash tree reaches the imprint, if any.
fn match_tree(
    alg: DigestAlgorithm,
    tree: &[PartialHashtree],
    imprint: &[u8],
) -> Option<ReductionRule> {
    let mut rules = vec![ReductionRule::Rfc4998];
    // Bouncy Castle hashes later multi-value lists to a node before pairing (BC-made trees).
    if tree.iter().skip(1).any(|l| l.len() > 1) {
        rules.push(ReductionRule::NodePairs);
    }
    // A strict RFC producer hashes a one-value first list; DSS/BC take it as the value itself.
    if tree.first().is_some_and(|l| l.len() == 1) {
        rules.push(ReductionRule::Literal);
    }
    rules
        .into_iter()
        .find(|&r| reduce_partial_hashtrees(alg, tree, r).as_deref() == Some(imprint))
}

/// Verifies `er` for `data` (a data object or the members of a data object group; none: check
/// structure, links and tokens only) at time `at`, asking `verifier` about every token.
pub fn verify(
    er: &EvidenceRecord,
    data: &[DataObject<'_>],
    verifier: &dyn TimeStampVerifier,
    at: OffsetDateTime,
) -> ErsVerification {
    let mut cx = Ctx {
        data,
        digests: vec![Vec::new(); data.len()],
        findings: Vec::new(),
        notes: Vec::new(),
    };
    let chains = er.chains();
    if er.version != 1 {
        cx.find(
            FailureCode::Malformed,
            None,
            None,
            format!("The evidence record has version {}, not 1.", er.version),
        );
    }
    if chains.is_empty() {
        cx.find(
            FailureCode::Malformed,
            None,
            None,
            "The evidence record holds no archive timestamp chain.".into(),
        );
    }
    for (c, chain) in chains.iter().enumerate() {
        if chain.is_empty() {
            cx.find(
                FailureCode::Malformed,
                Some(c),
                None,
                format!("Chain {c} holds no archive timestamp."),
            );
        }
    }

    let flat: Vec<(usize, usize, &ArchiveTimeStamp)> = chains
        .iter()
        .enumerate()
        .flat_map(|(c, ch)| ch.iter().enumerate().map(move |(i, a)| (c, i, a)))
        .collect();
    let tokens: Vec<Result<Vec<u8>, String>> = flat
        .iter()
        .map(|(_, _, a)| a.time_stamp_der().map_err(|e| e.to_string()))
        .collect();

    // Newest first, so each token is judged at the genTime of the one that renewed it.
    let mut checks: Vec<Result<TokenCheck, String>> = Vec::with_capacity(flat.len());
    let mut valid_ats = Vec::with_capacity(flat.len());
    let mut next_time = at;
    for token in tokens.iter().rev() {
        valid_ats.push(next_time);
        let res = match token {
            Ok(der) => verifier.check(der, next_time),
            Err(e) => Err(e.clone()),
        };
        if let Ok(c) = &res {
            next_time = c.facts.gen_time;
        }
        checks.push(res);
    }
    checks.reverse();
    valid_ats.reverse();

    let prefixes = (!data.is_empty() && chains.len() > 1).then(|| SequencePrefixes::new(er));
    let mut data_covered = vec![!data.is_empty(); data.len()];
    let mut reports: Vec<ChainReport> = chains
        .iter()
        .enumerate()
        .map(|(c, _)| ChainReport {
            index: c,
            digest_algorithm: None,
            archive_timestamps: Vec::new(),
        })
        .collect();
    let mut prev_time: Option<OffsetDateTime> = None;

    for (k, &(c, i, ats)) in flat.iter().enumerate() {
        let check = checks[k].as_ref().ok();
        let facts = check.map(|c| &c.facts);
        let w = where_(c, i);
        let covers = match (c, i) {
            (0, 0) => Coverage::DataObjects,
            (_, 0) => Coverage::PreviousChains,
            _ => Coverage::PreviousTimeStamp,
        };

        // Token integrity and trust.
        let (token_integrity, trust) = match &checks[k] {
            Err(e) => {
                cx.find(
                    FailureCode::TokenUnreadable,
                    Some(c),
                    Some(i),
                    format!("The time-stamp token of {w} cannot be read: {e}."),
                );
                (TokenIntegrity::Unreadable(e.clone()), None)
            }
            Ok(tc) => {
                if let TokenIntegrity::Broken(e) = &tc.integrity {
                    cx.find(
                        FailureCode::TokenInvalid,
                        Some(c),
                        Some(i),
                        format!("The time-stamp token of {w} is not intact: {e}."),
                    );
                }
                if let TokenIntegrity::Unchecked(why) = &tc.integrity {
                    cx.notes.push(format!(
                        "The signature of the time-stamp token of {w} was not checked: {why}."
                    ));
                }
                let integrity = tc.integrity.clone();
                if let TokenTrust::Untrusted { reason } = &tc.trust {
                    cx.find(
                        FailureCode::TokenUntrusted,
                        Some(c),
                        Some(i),
                        format!(
                            "The TSA of {w} cannot be trusted at {}: {reason}.",
                            rfc3339(valid_ats[k])
                        ),
                    );
                }
                (integrity, Some(tc.trust.clone()))
            }
        };

        // genTime order, and no proof from after the verification time.
        if let Some(f) = facts {
            if let Some(p) = prev_time {
                if f.gen_time < p {
                    cx.find(
                        FailureCode::GenTimeOrder,
                        Some(c),
                        Some(i),
                        format!(
                            "{w} was made at {}, before the archive timestamp it follows ({}).",
                            rfc3339(f.gen_time),
                            rfc3339(p)
                        ),
                    );
                }
            }
            if f.gen_time > at {
                cx.find(
                    FailureCode::GenTimeAfterVerification,
                    Some(c),
                    Some(i),
                    format!(
                        "{w} was made at {}, after the verification time {}.",
                        rfc3339(f.gen_time),
                        rfc3339(at)
                    ),
                );
            }
            prev_time = Some(f.gen_time);
        }

        // The hash algorithm of this ATS.
        let alg = match ats.declared_algorithm() {
            Ok(Some(a)) => {
                if let Some(f) = facts {
                    if f.imprint_algorithm != a {
                        cx.find(
                            FailureCode::AlgorithmMismatch,
                            Some(c),
                            Some(i),
                            format!(
                                "{w} names {a} but its token's imprint is {}.",
                                f.imprint_algorithm
                            ),
                        );
                    }
                }
                Some(a)
            }
            Err(e) => {
                cx.find(
                    FailureCode::UnsupportedAlgorithm,
                    Some(c),
                    Some(i),
                    format!("{w}: {e}."),
                );
                None
            }
            // Leniency (EU DSS renewals, RFC 4998 §4.1): no digestAlgorithm field means the
            // token's imprint algorithm.
            Ok(None) => facts.map(|f| f.imprint_algorithm),
        };
        if reports[c].digest_algorithm.is_none() {
            reports[c].digest_algorithm = alg;
        }
        let imprint = facts.map(|f| f.imprint.as_slice());
        let tree = ats.reduced_hashtree.as_deref();

        // The reduced hash tree must reach the imprint.
        let mut hash_tree = Check::NotChecked;
        let mut reduction_rule = None;
        if let (Some(alg), Some(imprint), Some(t)) = (alg, imprint, tree) {
            match match_tree(alg, t, imprint) {
                Some(rule) => {
                    hash_tree = Check::Passed;
                    reduction_rule = Some(rule);
                    if rule != ReductionRule::Rfc4998 {
                        cx.notes.push(format!(
                            "The reduced hash tree of {w} reaches its imprint only when read the {} way.",
                            rule.name()
                        ));
                    }
                }
                None => {
                    hash_tree = Check::Failed;
                    let why = if t.is_empty() || t.iter().any(|l| l.is_empty()) {
                        "it holds an empty list"
                    } else {
                        "its root differs from the token's imprint"
                    };
                    cx.find(FailureCode::HashTreeMismatch, Some(c), Some(i), format!("The reduced hash tree of {w} does not reduce to the timestamped value: {why}."));
                }
            }
        }

        // What this ATS must cover.
        let (coverage, renewal_concat) = match (alg, covers) {
            (None, Coverage::PreviousTimeStamp) => (Check::NotChecked, None),
            (None, _) => {
                data_covered.iter_mut().for_each(|d| *d = false);
                (Check::NotChecked, None)
            }
            (Some(alg), Coverage::PreviousTimeStamp) => {
                // Timestamp renewal (RFC 4998 §5.2): H(DER of the previous timeStamp). A group of
                // all earlier timeStamps (DESIGN §2, Bouncy Castle) contains it as well.
                let found = tokens[k - 1]
                    .as_ref()
                    .ok()
                    .and_then(|prev| covered(tree, imprint, &alg.digest(prev)));
                if found == Some(false) {
                    cx.find(
                        FailureCode::TimestampRenewalBroken,
                        Some(c),
                        Some(i),
                        format!(
                            "{w} does not cover the timeStamp of archive timestamp {} (timestamp renewal broken).",
                            i - 1
                        ),
                    );
                }
                (check_of(found), None)
            }
            (Some(alg), Coverage::DataObjects) => (
                cx.data_coverage(alg, (c, i), tree, imprint, None, &mut data_covered),
                None,
            ),
            (Some(alg), Coverage::PreviousChains) => {
                match prefixes
                    .as_ref()
                    .map(|p| p.as_ref().map(|p| p.hash(alg, c)))
                {
                    // No data objects: nothing to combine with the earlier chains.
                    None => (Check::NotChecked, None),
                    Some(Ok(Some(ha))) => {
                        let mut concat = None;
                        let check = cx.data_coverage(
                            alg,
                            (c, i),
                            tree,
                            imprint,
                            Some((&ha, &mut concat)),
                            &mut data_covered,
                        );
                        (check, concat)
                    }
                    Some(Err(why)) => {
                        cx.find(
                            FailureCode::Malformed,
                            Some(c),
                            Some(i),
                            format!("{w}: {why}."),
                        );
                        data_covered.iter_mut().for_each(|d| *d = false);
                        (Check::NotChecked, None)
                    }
                    Some(Ok(None)) => {
                        cx.find(
                            FailureCode::Malformed,
                            Some(c),
                            Some(i),
                            format!("{w}: the chains before it cannot be encoded."),
                        );
                        data_covered.iter_mut().for_each(|d| *d = false);
                        (Check::NotChecked, None)
                    }
                }
            }
        };
        reports[c].archive_timestamps.push(AtsReport {
            chain: c,
            index: i,
            digest_algorithm: alg,
            gen_time: facts.map(|f| f.gen_time),
            imprint: facts.map(|f| f.imprint.clone()),
            tsa: facts.and_then(|f| f.tsa.clone()),
            serial: facts.and_then(|f| f.serial.clone()),
            valid_at: valid_ats[k],
            covers,
            coverage,
            hash_tree,
            reduction_rule,
            renewal_concat,
            token_integrity,
            trust,
        });
    }

    if data.is_empty() {
        cx.notes.push(
            "No data object was given: only the structure, the links between archive timestamps and the tokens were checked; what the record covers and its hash-tree renewals were not."
                .into(),
        );
    }

    let verdict = cx
        .findings
        .iter()
        .map(|f| f.code.verdict())
        .max()
        .unwrap_or(Verdict::Valid);
    let data_objects = (0..data.len())
        .map(|j| DataObjectReport {
            index: j,
            digests: cx.digests[j]
                .iter()
                .filter_map(|(a, d)| d.clone().map(|d| (*a, d)))
                .collect(),
            covered: data_covered[j],
        })
        .collect();
    ErsVerification {
        verdict,
        verification_time: at,
        data_checked: !data.is_empty(),
        data_objects,
        chains: reports,
        findings: cx.findings,
        notes: cx.notes,
    }
}
