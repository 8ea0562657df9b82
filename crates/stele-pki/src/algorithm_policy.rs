//! Until when each cryptographic algorithm was acceptable, separately for **signatures**
//! (certificates, CRLs, OCSP responses, time-stamp tokens, document signatures) and for
//! **hash trees** (RFC 4998 archive timestamps and data-object hashes).
//!
//! A date in the table is a *retirement date*: the algorithm is acceptable strictly before it
//! and expired from it on. No date means "no end is published yet".
//!
//! # Default table and its sources
//!
//! The defaults follow NIST's transition schedule: NIST SP 800-131A Rev. 2 (March 2019) for
//! what may still be used, and the security-strength time frames of NIST SP 800-57 Part 1 for
//! until when. The rule behind every row: an algorithm of < 112-bit security strength was
//! disallowed for applying protection (signature generation) from 2014; 112-bit strength
//! (RSA-2048, SHA-224 in signatures) is acceptable through 2030; ≥ 128-bit strength (RSA-3072,
//! P-256, SHA-256 and up) is acceptable in "2031 and beyond", i.e. no end is published.
//!
//! | name            | signatures until | hash trees until | source |
//! |-----------------|------------------|------------------|--------|
//! | `sha1`          | 2014-01-01       | 2014-01-01       | SP 800-57 Pt 1 time frames: 80-bit strength "deprecated" 2011–2013, "disallowed" from 2014 for applying protection (checked, against a reproduction of the Rev. 3 table); NIST Policy on Hash Functions (2015): stop using SHA-1 for digital signatures and time stamps (checked, csrc.nist.gov) |
//! | `sha224`        | 2031-01-01       | 2031-01-01       | SP 800-57 Pt 1: SHA-224 gives 112 bits in signatures and hash-only uses; 112 bits "acceptable" through 2030, "disallowed" for applying from 2031 (checked, same reproduction) |
//! | `sha256`, `sha384`, `sha512`, `sha3-256/384/512` | — | — | SP 800-57 Pt 1: ≥ 128 bits acceptable in "2031 and beyond" (checked, same reproduction); NIST Policy on Hash Functions: SHA-2 and SHA-3 for all hash applications (checked) |
//! | `rsa-1024`, `rsa-pss-1024` | 2014-01-01 | n/a          | SP 800-131A Rev. 2 §3: key lengths giving < 112 bits "shall not be used to generate digital signatures" (checked, as quoted in the RustCrypto `p192` docs); from 2014 per the SP 800-57 time frames (checked, reproduction) |
//! | `rsa-2048`, `rsa-pss-2048` | 2031-01-01 | n/a          | SP 800-57 Pt 1: RSA k = 2048 is 112 bits, acceptable through 2030 (checked, reproduction); SP 800-131A Rev. 2 §3: ≥ 112 bits acceptable (recalled; the upper date is SP 800-57's) |
//! | `rsa-3072`, `rsa-pss-3072` | —      | n/a              | SP 800-57 Pt 1: k = 3072 is 128 bits, acceptable beyond 2030 (checked, reproduction) |
//! | `ecdsa-p256`, `ecdsa-p384` | —      | n/a              | SP 800-57 Pt 1: f = 256–383 is 128 bits, f = 384–511 is 192 bits (checked, reproduction) |
//!
//! "checked": the statement was read in the cited text (or, where marked "reproduction", in a
//! faithful third-party reproduction of that table: the SP 800-57 Part 1 Rev. 3 table was seen,
//! the Rev. 5 table was not, and these rows are recalled to be unchanged there). "recalled":
//! taken from the cited document as remembered, not re-read.
//!
//! **Why NIST and not the EU catalogues.** The first deployments validate documents signed
//! today (2026) with RSA-2048/SHA-256 certificates from national CAs. European catalogues
//! retire RSA below 3000 bits already: the Bundesnetzagentur announced on 2024-09-06 that RSA
//! with ≥ 1900 and < 3000 bits loses its suitability on 2025-12-31 under SOG-IS Agreed
//! Cryptographic Mechanisms v1.3 (checked, elektronische-vertrauensdienste.de); ETSI TS 119 312
//! is reported to give sha256-with-RSA-2048 until the end of 2025 (checked only in a TSP's blog,
//! Microsec); BSI TR-02102-1 makes ≥ 3000 bits binding from 2024 (checked, as quoted by c't
//! 4/2024). As a default those dates would mark every current document as made with a retired
//! algorithm; NIST's published schedule covers them. Operators bound by the EU catalogues load:
//!
//! ```toml
//! [signature]
//! rsa-2048 = 2026-01-01
//! rsa-pss-2048 = 2026-01-01
//! ```
//!
//! NIST IR 8547 (initial public draft, 2024) proposes deprecating 112-bit strength after 2030
//! and disallowing RSA and ECDSA altogether after 2035 (post-quantum transition); it is a draft
//! and is not applied (recalled, via secondary sources). Review this table when it is final.
//!
//! RSA key classes: `rsa-1024` is any modulus below 2000 bits, `rsa-2048` 2000–2999 bits,
//! `rsa-3072` 3000 bits and more. These are BSI's thresholds, more lenient than NIST's exact
//! 2048/3072 so that a 2047-bit modulus (common with some key generators) is not demoted. The hash inside a signature algorithm is
//! checked separately under [`AlgorithmUse::Signature`].
//!
//! # TOML format
//!
//! ```toml
//! # Entries override the defaults; algorithms not named keep their default.
//! [signature]
//! sha1 = 2011-01-01          # a TOML local date: retired from this day (00:00 UTC)
//! rsa-2048 = 2026-01-01
//! ecdsa-p256 = "never"       # no retirement date
//!
//! [hash_tree]
//! sha256 = 2040-01-01
//! ```
//!
//! Only the two tables `signature` and `hash_tree` are allowed. Unknown algorithm names, a
//! key-type name under `hash_tree`, and values other than a date or `"never"` are errors that
//! name the table, the entry and its line.

use std::collections::BTreeMap;

use der::{Decode, Encode, Tagged};
use serde::Deserialize;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use stele_asn1::DigestAlgorithm;
use time::{Date, Month, OffsetDateTime, Time};

/// What an algorithm is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlgorithmUse {
    /// Digital signatures (including the hash inside the signature algorithm).
    Signature,
    /// Hash trees and data-object hashes of evidence records.
    HashTree,
}

impl AlgorithmUse {
    fn table_name(self) -> &'static str {
        match self {
            AlgorithmUse::Signature => "signature",
            AlgorithmUse::HashTree => "hash_tree",
        }
    }
}

/// An algorithm the policy knows about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    /// A hash function.
    Hash(DigestAlgorithm),
    /// RSA PKCS#1 v1.5 with a modulus of this many bits.
    Rsa { bits: u32 },
    /// RSASSA-PSS with a modulus of this many bits.
    RsaPss { bits: u32 },
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
}

/// Key classes in the table (RSA moduli are grouped by BSI thresholds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    Hash(DigestAlgorithm),
    Rsa1024,
    Rsa2048,
    Rsa3072,
    Pss1024,
    Pss2048,
    Pss3072,
    P256,
    P384,
}

fn rsa_class(bits: u32) -> u8 {
    match bits {
        0..=1999 => 0,
        2000..=2999 => 1,
        _ => 2,
    }
}

impl Algorithm {
    fn key(self) -> Key {
        match self {
            Algorithm::Hash(h) => Key::Hash(h),
            Algorithm::Rsa { bits } => {
                [Key::Rsa1024, Key::Rsa2048, Key::Rsa3072][usize::from(rsa_class(bits))]
            }
            Algorithm::RsaPss { bits } => {
                [Key::Pss1024, Key::Pss2048, Key::Pss3072][usize::from(rsa_class(bits))]
            }
            Algorithm::EcdsaP256 => Key::P256,
            Algorithm::EcdsaP384 => Key::P384,
        }
    }

    /// Parses a table name (`sha256`, `SHA-256`, `rsa-2048`, `ecdsa-p384`, …).
    pub fn from_name(name: &str) -> Option<Algorithm> {
        let n = name.trim().to_ascii_lowercase();
        if n.is_empty() {
            return None;
        }
        if let Ok(h) = DigestAlgorithm::from_name(&n) {
            return Some(Algorithm::Hash(h));
        }
        Some(match n.as_str() {
            "rsa-1024" => Algorithm::Rsa { bits: 1024 },
            "rsa-2048" => Algorithm::Rsa { bits: 2048 },
            "rsa-3072" => Algorithm::Rsa { bits: 3072 },
            "rsa-pss-1024" => Algorithm::RsaPss { bits: 1024 },
            "rsa-pss-2048" => Algorithm::RsaPss { bits: 2048 },
            "rsa-pss-3072" => Algorithm::RsaPss { bits: 3072 },
            "ecdsa-p256" => Algorithm::EcdsaP256,
            "ecdsa-p384" => Algorithm::EcdsaP384,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Algorithm::Hash(h) => {
                let n = h.name().to_ascii_uppercase();
                // "SHA256" reads better as "SHA-256"; "SHA3-256" is already right.
                match n.strip_prefix("SHA").filter(|r| !r.starts_with('3')) {
                    Some(rest) => write!(f, "SHA-{rest}"),
                    None => f.write_str(&n),
                }
            }
            Algorithm::Rsa { bits } => write!(f, "RSA-{bits}"),
            Algorithm::RsaPss { bits } => write!(f, "RSA-PSS-{bits}"),
            Algorithm::EcdsaP256 => f.write_str("ECDSA P-256"),
            Algorithm::EcdsaP384 => f.write_str("ECDSA P-384"),
        }
    }
}

/// The hash named by a signature algorithm identifier (`None` for bare key OIDs such as
/// `rsaEncryption`, whose hash is given elsewhere, e.g. by a CMS digestAlgorithm).
fn signature_hash(alg: &AlgorithmIdentifierOwned) -> Result<Option<DigestAlgorithm>, String> {
    use crate::oids as o;
    use DigestAlgorithm as D;
    let x = alg.oid;
    Ok(Some(match x {
        _ if x == o::RSA_ENCRYPTION || x == o::ID_EC_PUBLIC_KEY => return Ok(None),
        _ if x == o::SHA1_WITH_RSA || x == o::ECDSA_WITH_SHA1 => D::Sha1,
        _ if x == o::SHA224_WITH_RSA || x == o::ECDSA_WITH_SHA224 => D::Sha224,
        _ if x == o::SHA256_WITH_RSA || x == o::ECDSA_WITH_SHA256 => D::Sha256,
        _ if x == o::SHA384_WITH_RSA || x == o::ECDSA_WITH_SHA384 => D::Sha384,
        _ if x == o::SHA512_WITH_RSA || x == o::ECDSA_WITH_SHA512 => D::Sha512,
        _ if x == o::RSA_WITH_SHA3_256 || x == o::ECDSA_WITH_SHA3_256 => D::Sha3_256,
        _ if x == o::RSA_WITH_SHA3_384 || x == o::ECDSA_WITH_SHA3_384 => D::Sha3_384,
        _ if x == o::RSA_WITH_SHA3_512 || x == o::ECDSA_WITH_SHA3_512 => D::Sha3_512,
        _ if x == o::ID_RSASSA_PSS => match &alg.parameters {
            None => D::Sha1,
            Some(p) if p.tag() == der::Tag::Null => D::Sha1,
            Some(p) => {
                let der = p.to_der().map_err(|e| e.to_string())?;
                let params = rsa::pkcs1::RsaPssParams::from_der(&der).map_err(|e| e.to_string())?;
                D::from_oid(&params.hash.oid).map_err(|e| e.to_string())?
            }
        },
        _ => return Err(format!("unsupported signature algorithm {x}")),
    }))
}

/// Classifies a signature: the key algorithm (from `alg` and the signer's `spki`, with the RSA
/// modulus size) and, when `alg` names one, its hash. Errors name what is not recognised.
pub fn signature_algorithms(
    alg: &AlgorithmIdentifierOwned,
    spki: &SubjectPublicKeyInfoOwned,
) -> Result<(Algorithm, Option<Algorithm>), String> {
    use crate::oids as o;
    let hash = signature_hash(alg)?.map(Algorithm::Hash);
    let key_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| "public key has unused bits".to_string())?;
    let k = spki.algorithm.oid;
    let key = if k == o::RSA_ENCRYPTION || k == o::ID_RSASSA_PSS {
        let rsa = rsa::pkcs1::RsaPublicKey::from_der(key_bytes).map_err(|e| e.to_string())?;
        let m = rsa.modulus.as_bytes();
        let lead = m.iter().take_while(|b| **b == 0).count();
        let bits = m
            .get(lead)
            .map(|b| (m.len() - lead - 1) * 8 + (8 - b.leading_zeros() as usize))
            .unwrap_or(0);
        let bits = u32::try_from(bits).map_err(|_| "RSA modulus too large".to_string())?;
        if alg.oid == o::ID_RSASSA_PSS {
            Algorithm::RsaPss { bits }
        } else {
            Algorithm::Rsa { bits }
        }
    } else if k == o::ID_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<const_oid::ObjectIdentifier>().ok());
        match curve {
            Some(c) if c == o::SECP256R1 => Algorithm::EcdsaP256,
            Some(c) if c == o::SECP384R1 => Algorithm::EcdsaP384,
            _ => return Err("unsupported elliptic curve".into()),
        }
    } else {
        return Err(format!("unsupported key algorithm {k}"));
    };
    Ok((key, hash))
}

/// The verdict of [`AlgorithmPolicy::is_acceptable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acceptability {
    /// Acceptable at the given time.
    Acceptable,
    /// Retired at `since` (at or before the given time).
    Expired { since: OffsetDateTime },
    /// The policy says nothing about this algorithm for this use.
    Unknown,
}

/// The verdict of [`AlgorithmPolicy::judge_signature`], with what was judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureVerdict {
    /// Readable description, e.g. "RSA-2048 with SHA-256"; for an algorithm that could not be
    /// classified, its OID and why.
    pub algorithm: String,
    pub acceptability: Acceptability,
    /// The part (key or hash) whose retirement decided an `Expired` verdict.
    pub retired: Option<Algorithm>,
}

/// Why a policy file was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the algorithm policy is not valid TOML: {0}")]
    Syntax(String),
    #[error("algorithm policy line {line}: [{table}] {entry}: {what}")]
    Entry {
        line: usize,
        table: String,
        entry: String,
        what: String,
    },
}

/// Until-when table for signatures and hash trees. `None` dates mean "no end published".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgorithmPolicy {
    table: BTreeMap<(AlgorithmUse, Key), Option<OffsetDateTime>>,
}

fn ymd(y: i32, m: Month, d: u8) -> Option<OffsetDateTime> {
    Date::from_calendar_date(y, m, d)
        .ok()
        .map(|d| d.with_time(Time::MIDNIGHT).assume_utc())
}

impl Default for AlgorithmPolicy {
    /// The documented default table (see the module documentation for sources).
    fn default() -> Self {
        use AlgorithmUse::{HashTree, Signature};
        use DigestAlgorithm as D;
        let mut table = BTreeMap::new();
        // NIST SP 800-57 Part 1 time frames, SP 800-131A Rev. 2 (module docs).
        let y2014 = ymd(2014, Month::January, 1);
        let y2031 = ymd(2031, Month::January, 1);
        for u in [Signature, HashTree] {
            // < 112 bits (SHA-1 collisions): disallowed for applying protection from 2014.
            table.insert((u, Key::Hash(D::Sha1)), y2014);
            // 112 bits: acceptable through 2030.
            table.insert((u, Key::Hash(D::Sha224)), y2031);
            // ≥ 128 bits: acceptable beyond 2030, no end published.
            for h in [
                D::Sha256,
                D::Sha384,
                D::Sha512,
                D::Sha3_256,
                D::Sha3_384,
                D::Sha3_512,
            ] {
                table.insert((u, Key::Hash(h)), None);
            }
        }
        table.insert((Signature, Key::Rsa1024), y2014);
        table.insert((Signature, Key::Pss1024), y2014);
        table.insert((Signature, Key::Rsa2048), y2031);
        table.insert((Signature, Key::Pss2048), y2031);
        table.insert((Signature, Key::Rsa3072), None);
        table.insert((Signature, Key::Pss3072), None);
        table.insert((Signature, Key::P256), None);
        table.insert((Signature, Key::P384), None);
        AlgorithmPolicy { table }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    signature: BTreeMap<String, toml::Spanned<toml::Value>>,
    #[serde(default)]
    hash_tree: BTreeMap<String, toml::Spanned<toml::Value>>,
}

impl AlgorithmPolicy {
    /// The defaults with the entries of a TOML document (format in the module docs) applied.
    pub fn from_toml(src: &str) -> Result<Self, PolicyError> {
        let file: PolicyFile =
            toml::from_str(src).map_err(|e| PolicyError::Syntax(e.to_string()))?;
        let mut policy = AlgorithmPolicy::default();
        for (u, entries) in [
            (AlgorithmUse::Signature, &file.signature),
            (AlgorithmUse::HashTree, &file.hash_tree),
        ] {
            for (name, value) in entries {
                let line = src[..value.span().start.min(src.len())]
                    .matches('\n')
                    .count()
                    + 1;
                let err = |what: &str| PolicyError::Entry {
                    line,
                    table: u.table_name().into(),
                    entry: name.clone(),
                    what: what.into(),
                };
                let alg =
                    Algorithm::from_name(name).ok_or_else(|| err("unknown algorithm name"))?;
                if u == AlgorithmUse::HashTree && !matches!(alg, Algorithm::Hash(_)) {
                    return Err(err("only hash functions apply to hash trees"));
                }
                let date = match value.get_ref() {
                    toml::Value::String(s) if s == "never" => None,
                    toml::Value::Datetime(dt) => {
                        let d = dt
                            .date
                            .filter(|_| dt.time.is_none() && dt.offset.is_none())
                            .ok_or_else(|| err("expected a date like 2030-01-01"))?;
                        let month = Month::try_from(d.month).map_err(|_| err("invalid month"))?;
                        Some(
                            ymd(i32::from(d.year), month, d.day)
                                .ok_or_else(|| err("invalid date"))?,
                        )
                    }
                    _ => return Err(err("expected a date like 2030-01-01 or \"never\"")),
                };
                policy.table.insert((u, alg.key()), date);
            }
        }
        Ok(policy)
    }

    /// Whether `alg` was acceptable for `usage` at `at`.
    pub fn is_acceptable(
        &self,
        usage: AlgorithmUse,
        alg: Algorithm,
        at: OffsetDateTime,
    ) -> Acceptability {
        match self.table.get(&(usage, alg.key())) {
            None => Acceptability::Unknown,
            Some(Some(since)) if at >= *since => Acceptability::Expired { since: *since },
            Some(_) => Acceptability::Acceptable,
        }
    }

    /// Whether a signature made with `alg` by the key `spki` was acceptable at `at`: both the
    /// key (type and size) and the hash must be. The earliest expiry wins; an algorithm the
    /// policy does not cover (or cannot classify) gives `Unknown`.
    pub fn check_signature(
        &self,
        alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
        at: OffsetDateTime,
    ) -> Acceptability {
        self.judge_signature(alg, spki, None, at).acceptability
    }

    /// Like [`Self::check_signature`], with a readable name of what was judged, for reports.
    /// `digest` is the separately named hash of CMS signers whose signature algorithm is a bare
    /// key OID (`rsaEncryption`, `id-ecPublicKey`); it is judged too. This is the check for a
    /// document signature itself, with the same policy the path validator applies.
    pub fn judge_signature(
        &self,
        alg: &AlgorithmIdentifierOwned,
        spki: &SubjectPublicKeyInfoOwned,
        digest: Option<DigestAlgorithm>,
        at: OffsetDateTime,
    ) -> SignatureVerdict {
        let (key, hash) = match signature_algorithms(alg, spki) {
            Ok(x) => x,
            Err(why) => {
                return SignatureVerdict {
                    algorithm: format!("{} ({why})", alg.oid),
                    acceptability: Acceptability::Unknown,
                    retired: None,
                }
            }
        };
        let hash = hash.or(digest.map(Algorithm::Hash));
        let mut parts = vec![key];
        parts.extend(hash);
        if let Some(d) = digest.map(Algorithm::Hash) {
            if !parts.contains(&d) {
                parts.push(d);
            }
        }
        let mut verdict = Acceptability::Acceptable;
        let mut retired = None;
        for a in parts.iter().copied() {
            let v = self.is_acceptable(AlgorithmUse::Signature, a, at);
            verdict = match (verdict, v) {
                (Acceptability::Expired { since: x }, Acceptability::Expired { since: y }) => {
                    if y < x {
                        retired = Some(a);
                    }
                    Acceptability::Expired { since: x.min(y) }
                }
                (e @ Acceptability::Expired { .. }, _) => e,
                (_, e @ Acceptability::Expired { .. }) => {
                    retired = Some(a);
                    e
                }
                (Acceptability::Unknown, _) | (_, Acceptability::Unknown) => Acceptability::Unknown,
                _ => Acceptability::Acceptable,
            };
        }
        let algorithm = match hash {
            Some(h) => format!("{key} with {h}"),
            None => key.to_string(),
        };
        SignatureVerdict {
            algorithm,
            acceptability: verdict,
            retired,
        }
    }

    /// The retirement date of `alg` for `usage`: `Some(Some(d))` retired from `d`,
    /// `Some(None)` no end published, `None` unknown to the policy. The renewal job plans
    /// hash-tree renewal with this.
    pub fn retirement_date(
        &self,
        usage: AlgorithmUse,
        alg: Algorithm,
    ) -> Option<Option<OffsetDateTime>> {
        self.table.get(&(usage, alg.key())).copied()
    }

    /// Sets or clears (`None` = no end) the retirement date of `alg` for `usage`.
    pub fn set_retirement_date(
        &mut self,
        usage: AlgorithmUse,
        alg: Algorithm,
        date: Option<OffsetDateTime>,
    ) {
        self.table.insert((usage, alg.key()), date);
    }
}
