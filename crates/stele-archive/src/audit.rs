//! Fixity of the evidence itself: every seal batch and renewal epoch is readable, its tree
//! reduces to what its token timestamped, its token is intact, and everything it refers to
//! exists. The store's own audit (`Store::audit`) covers blobs and manifests.

use crate::evidence::EvidenceIndex;
use crate::TokenChecker;
use futures::TryStreamExt;
use serde::Serialize;
use std::collections::HashSet;
use stele_ers::{TimeStampVerifier, TokenIntegrity};
use stele_store::{Store, StoreError};
use time::OffsetDateTime;

/// One problem with a batch or epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvidenceFinding {
    /// `seals/<id>` or `epochs/<id>`.
    pub key: String,
    pub problem: String,
}

/// What the evidence audit found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EvidenceAudit {
    pub batches: usize,
    pub epochs: usize,
    /// Records archived but not sealed yet (not a fault: `stele seal` seals them).
    pub pending_records: usize,
    pub findings: Vec<EvidenceFinding>,
}

/// Checks every batch and epoch of `index` against the store.
pub async fn audit_evidence(
    store: &Store,
    index: &EvidenceIndex,
    now: OffsetDateTime,
) -> Result<EvidenceAudit, StoreError> {
    let checker = TokenChecker::without_trust();
    let mut out = EvidenceAudit {
        batches: index.batches.len(),
        epochs: index.epochs.len(),
        ..EvidenceAudit::default()
    };
    let records: HashSet<String> = store
        .list_records()
        .map_ok(|id| id.to_string())
        .try_collect()
        .await?;
    let token_problem = |key: String, token: &[u8], root: Result<Vec<u8>, String>| {
        let root = match root {
            Ok(r) => r,
            Err(e) => {
                return Some(EvidenceFinding {
                    key,
                    problem: format!("its hash tree cannot be rebuilt: {e}"),
                })
            }
        };
        match checker.check(token, now) {
            Err(e) => Some(EvidenceFinding {
                key,
                problem: format!("its time-stamp token is unreadable: {e}"),
            }),
            Ok(c) if c.facts.imprint != root => Some(EvidenceFinding {
                key,
                problem: "its token does not cover its hash tree's root".into(),
            }),
            Ok(c) => match c.integrity {
                TokenIntegrity::Broken(r) => Some(EvidenceFinding {
                    key,
                    problem: format!("its time-stamp token is broken: {r}"),
                }),
                _ => None,
            },
        }
    };
    let mut sealed = HashSet::new();
    for b in index.batches.values() {
        let key = format!("seals/{}", b.id);
        let root = b
            .tree()
            .map(|t| t.root().to_vec())
            .map_err(|e| e.to_string());
        out.findings
            .extend(token_problem(key.clone(), &b.batch.token_der, root));
        for s in &b.batch.supersedes {
            if !index.batches.contains_key(s) {
                out.findings.push(EvidenceFinding {
                    key: key.clone(),
                    problem: format!("it carries on batch {s}, which is missing"),
                });
            }
        }
        let missing = b
            .batch
            .record_ids()
            .map(hex::encode)
            .filter(|id| {
                sealed.insert(id.clone());
                !records.contains(id)
            })
            .take(5)
            .collect::<Vec<_>>();
        if !missing.is_empty() {
            out.findings.push(EvidenceFinding {
                key,
                problem: format!(
                    "it lists records whose manifest is missing: {}",
                    missing.join(", ")
                ),
            });
        }
    }
    for e in &index.epochs {
        let key = format!("epochs/{}", e.id);
        let root = e
            .tree()
            .map(|t| t.root().to_vec())
            .map_err(|e| e.to_string());
        out.findings
            .extend(token_problem(key.clone(), &e.epoch.token_der, root));
        for entry in &e.epoch.entries {
            if !index.batches.contains_key(&entry.batch) {
                out.findings.push(EvidenceFinding {
                    key: key.clone(),
                    problem: format!("it renews batch {}, which is missing", entry.batch),
                });
            }
        }
    }
    out.pending_records = records.iter().filter(|r| !sealed.contains(*r)).count();
    Ok(out)
}
