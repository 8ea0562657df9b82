//! Long-term verification of one archived record at a time T (DESIGN §2), in the order a court
//! would ask: are the files the ones archived; are they in the evidence record's first hash
//! tree; was every archive timestamp valid when the next one was made, and the newest at T,
//! with hash algorithms still acceptable then; and was each document signature valid at the
//! time the evidence first proves the document existed, using the material sealed with it.

use crate::evidence::{EvidenceError, EvidenceIndex, RecordDigests};
use crate::sealing::{read_manifest, SealJobError};
use crate::{RecordManifest, TokenChecker};
use der::Decode;
use serde::Serialize;
use stele_asn1::DigestAlgorithm;
use stele_ers::{verify, DataObject, EvidenceRecord, TokenIntegrity, TokenTrust, Verdict};
use stele_pki::{Acceptability, Algorithm, AlgorithmPolicy, AlgorithmUse};
use stele_sig::{DocumentReport, Indication, SignatureValidator};
use stele_store::{RecordId, Store};
use time::OffsetDateTime;
use x509_cert::Certificate;

/// PASSED, FAILED or INDETERMINATE, as EN 319 102-1 names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordVerdict {
    Passed,
    Indeterminate,
    Failed,
}

impl RecordVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordVerdict::Passed => "PASSED",
            RecordVerdict::Indeterminate => "INDETERMINATE",
            RecordVerdict::Failed => "FAILED",
        }
    }
}

/// One step of the verification.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// `files`, `evidence_record`, `archive_timestamps`, `hash_algorithms`, `signatures`.
    pub name: &'static str,
    /// `passed`, `failed`, `indeterminate` or `not_checked`.
    pub status: &'static str,
    /// A machine code for what failed (e.g. `FILE_CORRUPT`, `TOKEN_UNTRUSTED`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub detail: String,
}

/// A file of the record as found in the store.
#[derive(Clone, Debug, Serialize)]
pub struct FileCheck {
    pub name: String,
    pub role: String,
    pub sha256: String,
    pub size: u64,
    pub intact: bool,
}

/// One archive timestamp, for the timeline.
#[derive(Clone, Debug, Serialize)]
pub struct TimestampEntry {
    pub chain: usize,
    pub index: usize,
    pub algorithm: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub gen_time: Option<OffsetDateTime>,
    pub tsa: Option<String>,
    pub serial: Option<String>,
    /// When its TSA had to be trustworthy.
    #[serde(with = "time::serde::rfc3339")]
    pub valid_at: OffsetDateTime,
    pub covers: &'static str,
    pub integrity: &'static str,
    pub trusted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_problem: Option<String>,
}

/// The whole answer.
#[derive(Clone, Debug, Serialize)]
pub struct RecordVerification {
    /// `stele.record-verification.v1`.
    pub report: &'static str,
    pub record: String,
    #[serde(with = "time::serde::rfc3339")]
    pub verification_time: OffsetDateTime,
    pub verdict: RecordVerdict,
    /// The code of the check that decided a negative verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_check: Option<String>,
    /// One sentence a lawyer can read.
    pub summary: String,
    /// The earliest time the evidence proves the files existed (first genTime).
    #[serde(with = "time::serde::rfc3339::option")]
    pub proof_of_existence: Option<OffsetDateTime>,
    pub steps: Vec<Step>,
    pub files: Vec<FileCheck>,
    pub timestamps: Vec<TimestampEntry>,
    /// The signatures judged again at the proof-of-existence time (none if not reached).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signatures: Option<DocumentReport>,
}

impl RecordVerification {
    pub const FORMAT: &'static str = "stele.record-verification.v1";
}

/// The `failed_check` of a record archived but not sealed yet.
pub const NOT_SEALED: &str = "NOT_SEALED";

/// What verification needs besides the store.
pub struct LongTermVerifier<'a> {
    pub index: &'a EvidenceIndex,
    /// Archive-timestamp tokens, trusting the configured TSA anchors.
    pub tokens: &'a TokenChecker,
    /// Document signatures (trust store and policy from the configuration); used offline with
    /// the record's sealed material added.
    pub signatures: &'a SignatureValidator,
    /// Hash algorithms of chains must be acceptable (for hash trees) until renewed.
    pub policy: &'a AlgorithmPolicy,
}

/// The record's data and its evidence record, as verified.
pub struct VerifiedRecord {
    pub manifest: RecordManifest,
    pub verification: RecordVerification,
    /// `None` when the record is not sealed yet.
    pub evidence_record: Option<EvidenceRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("no record {0} in the archive")]
    NoSuchRecord(String),
    #[error("{0}")]
    Seal(#[from] SealJobError),
    #[error("{0}")]
    Store(#[from] stele_store::StoreError),
}

fn step(name: &'static str, status: &'static str, code: Option<&str>, detail: String) -> Step {
    Step {
        name,
        status,
        code: code.map(str::to_string),
        detail,
    }
}

fn rfc(t: OffsetDateTime) -> String {
    crate::rfc3339(t)
}

impl LongTermVerifier<'_> {
    pub async fn verify(
        &self,
        store: &Store,
        id: &RecordId,
        at: OffsetDateTime,
    ) -> Result<VerifiedRecord, VerifyError> {
        let manifest = match read_manifest(store, id).await {
            Err(SealJobError::Store(e)) if e.is_not_found() => {
                return Err(VerifyError::NoSuchRecord(id.to_string()))
            }
            other => other?,
        };
        self.verify_manifest(store, id, manifest, at).await
    }

    /// [`verify`](Self::verify) for a caller that has already read record `id`'s manifest from
    /// `store` (the server, which reads it to check who may see the record).
    pub async fn verify_manifest(
        &self,
        store: &Store,
        id: &RecordId,
        manifest: RecordManifest,
        at: OffsetDateTime,
    ) -> Result<VerifiedRecord, VerifyError> {
        let record = id.to_string();
        let mut steps = Vec::new();
        let mut files = Vec::new();

        // 1. The files, hash-checked against the manifest.
        let mut blobs: Vec<Option<bytes::Bytes>> = Vec::new();
        let mut damaged = Vec::new();
        for b in &manifest.data_objects {
            match store.get_blob(b).await {
                Ok(bytes) => blobs.push(Some(bytes)),
                Err(e) => {
                    damaged.push(format!("{} ({e})", b.hex()));
                    blobs.push(None);
                }
            }
        }
        for f in &manifest.files {
            let i = manifest.data_objects.iter().position(|b| *b == f.blob);
            files.push(FileCheck {
                name: f.name.clone(),
                role: f.role.clone(),
                sha256: f.blob.hex(),
                size: f.blob.len,
                intact: i.is_some_and(|i| blobs[i].is_some()),
            });
        }
        if !damaged.is_empty() {
            steps.push(step(
                "files",
                "failed",
                Some("FILE_CORRUPT"),
                format!(
                    "{} of the record's {} stored objects do not match the SHA-256 recorded at ingest: {}",
                    damaged.len(),
                    manifest.data_objects.len(),
                    damaged.join("; ")
                ),
            ));
            let summary = format!(
                "FAILED: record {record} is damaged — a stored file no longer matches the hash recorded when it was archived."
            );
            return Ok(VerifiedRecord {
                verification: RecordVerification {
                    report: RecordVerification::FORMAT,
                    record,
                    verification_time: at,
                    verdict: RecordVerdict::Failed,
                    failed_check: Some("FILE_CORRUPT".into()),
                    summary,
                    proof_of_existence: None,
                    steps,
                    files,
                    timestamps: Vec::new(),
                    signatures: None,
                },
                manifest,
                evidence_record: None,
            });
        }
        let blobs: Vec<bytes::Bytes> = blobs.into_iter().flatten().collect();
        steps.push(step(
            "files",
            "passed",
            None,
            format!(
                "All {} stored objects (files, validation material, report, metadata) match their SHA-256.",
                blobs.len()
            ),
        ));

        // 2-3. The evidence record: assembled from the batches, then verified.
        let mut digests = RecordDigests::from_refs(&manifest.data_objects);
        let algs = self.index.algorithms_of(&record).unwrap_or_default();
        for a in algs.iter().filter(|a| **a != DigestAlgorithm::Sha256) {
            digests
                .by_algorithm
                .insert(*a, blobs.iter().map(|b| a.digest(b)).collect());
        }
        let er = match self.index.evidence_record(&record, &digests) {
            Ok(er) => er,
            Err(e) => {
                let (status, code, verdict) = match e {
                    EvidenceError::NotSealed(_) => {
                        ("indeterminate", NOT_SEALED, RecordVerdict::Indeterminate)
                    }
                    _ => ("failed", "EVIDENCE_MISMATCH", RecordVerdict::Failed),
                };
                steps.push(step("evidence_record", status, Some(code), e.to_string()));
                return Ok(VerifiedRecord {
                    verification: RecordVerification {
                        report: RecordVerification::FORMAT,
                        record: record.clone(),
                        verification_time: at,
                        verdict,
                        failed_check: Some(code.into()),
                        summary: format!("{}: {e}", verdict.as_str()),
                        proof_of_existence: None,
                        steps,
                        files,
                        timestamps: Vec::new(),
                        signatures: None,
                    },
                    manifest,
                    evidence_record: None,
                });
            }
        };
        let objects: Vec<DataObject<'_>> =
            blobs.iter().map(|b| DataObject::from_bytes(b)).collect();
        let v = verify(&er, &objects, self.tokens, at);
        let timestamps: Vec<TimestampEntry> = v
            .chains
            .iter()
            .flat_map(|c| c.archive_timestamps.iter())
            .map(|a| TimestampEntry {
                chain: a.chain,
                index: a.index,
                algorithm: a.digest_algorithm.map(|d| d.to_string()),
                gen_time: a.gen_time,
                tsa: a.tsa.clone(),
                serial: a.serial.clone(),
                valid_at: a.valid_at,
                covers: a.covers.as_str(),
                integrity: a.token_integrity.as_str(),
                trusted: matches!(a.trust, Some(TokenTrust::Trusted { .. })),
                trust_problem: match &a.trust {
                    Some(TokenTrust::Untrusted { reason }) => Some(reason.clone()),
                    _ => match &a.token_integrity {
                        TokenIntegrity::Broken(r) => Some(r.clone()),
                        _ => None,
                    },
                },
            })
            .collect();
        let poe = timestamps.first().and_then(|t| t.gen_time);
        let structural: Vec<_> = v
            .findings
            .iter()
            .filter(|f| {
                !matches!(
                    f.code,
                    stele_ers::FailureCode::TokenUntrusted
                        | stele_ers::FailureCode::TokenInvalid
                        | stele_ers::FailureCode::TokenUnreadable
                )
            })
            .collect();
        let tokens: Vec<_> = v
            .findings
            .iter()
            .filter(|f| !structural.iter().any(|s| std::ptr::eq(*s, *f)))
            .collect();
        steps.push(match structural.first() {
            None => step(
                "evidence_record",
                "passed",
                None,
                format!(
                    "The files are in the first archive timestamp's hash tree; {} chain(s) and {} archive timestamp(s) link up.",
                    v.chains.len(),
                    timestamps.len()
                ),
            ),
            Some(f) => step(
                "evidence_record",
                if f.code.verdict() == Verdict::Invalid { "failed" } else { "indeterminate" },
                Some(f.code.as_str()),
                f.message.clone(),
            ),
        });
        steps.push(match tokens.first() {
            None => step(
                "archive_timestamps",
                "passed",
                None,
                format!(
                    "Every archive timestamp is intact and its TSA was trusted when the next one was made; the newest is trusted at {}.",
                    rfc(at)
                ),
            ),
            Some(f) => step(
                "archive_timestamps",
                if f.code.verdict() == Verdict::Invalid { "failed" } else { "indeterminate" },
                Some(f.code.as_str()),
                f.message.clone(),
            ),
        });

        // Hash algorithms of each chain, acceptable until the next chain took over.
        let mut alg_problems = Vec::new();
        for (k, c) in v.chains.iter().enumerate() {
            let Some(alg) = c.digest_algorithm else {
                continue;
            };
            let until = v
                .chains
                .get(k + 1)
                .and_then(|n| n.archive_timestamps.first())
                .and_then(|a| a.gen_time)
                .unwrap_or(at);
            if let Acceptability::Expired { since } =
                self.policy
                    .is_acceptable(AlgorithmUse::HashTree, Algorithm::Hash(alg), until)
            {
                alg_problems.push(format!(
                    "chain {k} uses {alg}, retired for hash trees since {}, and was still relied on at {}",
                    rfc(since),
                    rfc(until)
                ));
            }
        }
        steps.push(if alg_problems.is_empty() {
            step(
                "hash_algorithms",
                "passed",
                None,
                "Every chain's hash algorithm was acceptable until the chain was renewed (or is now).".into(),
            )
        } else {
            step(
                "hash_algorithms",
                "indeterminate",
                Some("HASH_ALGORITHM_RETIRED"),
                alg_problems.join("; "),
            )
        });

        // 4. The signatures, at the proof-of-existence time, offline, with the sealed material.
        let evidence_ok = steps.iter().all(|s| s.status == "passed");
        let signatures = match (poe, evidence_ok) {
            (Some(poe), true) => {
                let original = manifest.files.iter().find(|f| f.role == "original");
                let detached = manifest.files.iter().find(|f| f.role == "detached_content");
                let get = |f: Option<&crate::ingest::RecordFile>| {
                    f.and_then(|f| manifest.data_objects.iter().position(|b| *b == f.blob))
                        .map(|i| blobs[i].clone())
                };
                let (mut certs, mut crls, mut ocsp) = (Vec::new(), Vec::new(), Vec::new());
                for m in &manifest.material {
                    let Some(i) = manifest.data_objects.iter().position(|b| *b == m.blob) else {
                        continue;
                    };
                    let der = blobs[i].to_vec();
                    match m.kind.as_str() {
                        "certificate" => {
                            if let Ok(c) = Certificate::from_der(&der) {
                                certs.push(c);
                            }
                        }
                        "crl" => crls.push(der),
                        "ocsp_response" => ocsp.push(der),
                        _ => {}
                    }
                }
                let validator = self
                    .signatures
                    .clone()
                    .offline()
                    .with_sealed_material(certs, crls, ocsp);
                get(original).map(|bytes| {
                    let d = get(detached);
                    validator.check(&bytes, d.as_deref(), poe)
                })
            }
            _ => None,
        };
        let mut signature_report = None;
        match signatures {
            None => steps.push(step(
                "signatures",
                "not_checked",
                None,
                "Not reached: the evidence must hold before the signatures can be judged at the time it proves.".into(),
            )),
            Some(Err(e)) => steps.push(step(
                "signatures",
                "failed",
                Some("DOCUMENT_UNREADABLE"),
                format!("The original file cannot be read as a signed document: {e}"),
            )),
            Some(Ok(r)) if r.signatures.is_empty() => {
                steps.push(step(
                    "signatures",
                    "passed",
                    Some("NO_SIGNATURE"),
                    "The record carries no signature (it was archived as unsigned); the evidence proves its integrity and existence only.".into(),
                ));
                signature_report = Some(r);
            }
            Some(Ok(r)) => {
                let status = match r.indication {
                    Indication::Passed => "passed",
                    Indication::Failed => "failed",
                    Indication::Indeterminate => "indeterminate",
                };
                let code = r
                    .signatures
                    .iter()
                    .find(|s| s.indication == r.indication && s.sub_indication.is_some())
                    .and_then(|s| serde_json::to_value(s.sub_indication).ok())
                    .and_then(|v| v.as_str().map(str::to_string));
                steps.push(Step {
                    name: "signatures",
                    status,
                    code,
                    detail: format!(
                        "Judged at {} (proof of existence) with the material sealed at ingest: {}",
                        poe.map(rfc).unwrap_or_default(),
                        r.summary
                    ),
                });
                signature_report = Some(r);
            }
        }

        let verdict = steps
            .iter()
            .map(|s| match s.status {
                "failed" => RecordVerdict::Failed,
                "indeterminate" => RecordVerdict::Indeterminate,
                _ => RecordVerdict::Passed,
            })
            .max()
            .unwrap_or(RecordVerdict::Passed);
        let decisive = steps.iter().find(|s| {
            (verdict == RecordVerdict::Failed && s.status == "failed")
                || (verdict == RecordVerdict::Indeterminate && s.status == "indeterminate")
        });
        let summary = match (verdict, decisive) {
            (RecordVerdict::Passed, _) => format!(
                "PASSED: the record's files are intact, existed at {} as proven by {} archive timestamp(s), and {}.",
                poe.map(rfc).unwrap_or_default(),
                timestamps.len(),
                match &signature_report {
                    Some(r) if !r.signatures.is_empty() => format!("its {} signature(s) were valid at that time", r.signatures.len()),
                    _ => "it carries no signature".into(),
                }
            ),
            (v, Some(s)) => format!("{}: {} check — {}", v.as_str(), s.name.replace('_', " "), s.detail),
            (v, None) => v.as_str().to_string(),
        };
        Ok(VerifiedRecord {
            verification: RecordVerification {
                report: RecordVerification::FORMAT,
                record,
                verification_time: at,
                verdict,
                failed_check: decisive.and_then(|s| s.code.clone()),
                summary,
                proof_of_existence: poe,
                steps,
                files,
                timestamps,
                signatures: signature_report,
            },
            manifest,
            evidence_record: Some(er),
        })
    }
}
