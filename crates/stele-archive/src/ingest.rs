//! Taking a signed record in (DESIGN.md §2, §4): validate every signature, store the original
//! bytes unchanged with the validation material and the metadata, commit the manifest last.
//!
//! The record id is the lowercase hex SHA-256 of the original file (for a detached CMS signature,
//! of the signature file), so the same bytes always give the same record, `sha256sum` finds it,
//! and a rerun after a crash lands on the same id. The files that form the record's RFC 4998
//! data-object group are listed in the manifest (`data_objects`): the original(s), the
//! signature report, every certificate, CRL and OCSP response used, and the metadata.

use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use stele_sig::{DocumentReport, Indication, SignatureValidator};
use stele_store::{BlobRef, Creation, RecordId, Store, StoreError};
use stele_tsp::Clock;
use time::OffsetDateTime;

use crate::metadata::RecordMetadata;

/// What is submitted: the signed file, for a detached CMS signature its content, and metadata.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The file name as received (kept for `stele get`; not trusted for anything else).
    pub name: String,
    pub bytes: Vec<u8>,
    /// The signed content of a detached CMS signature (`.p7s`): its name and bytes.
    pub detached_content: Option<(String, Vec<u8>)>,
    pub metadata: RecordMetadata,
}

/// What ingest policy allows.
#[derive(Clone, Copy, Debug, Default)]
pub struct IngestPolicy {
    /// Accept documents without any signature.
    pub allow_unsigned: bool,
}

/// One file of a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordFile {
    pub name: String,
    /// `original` or `detached_content`.
    pub role: String,
    pub blob: BlobRef,
}

/// A signature as the manifest summarises it (the full report is a blob).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureSummary {
    pub id: String,
    pub indication: String,
    pub sub_indication: Option<String>,
    pub signer: Option<String>,
    pub holder: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub proven_time: Option<OffsetDateTime>,
}

/// The verdict at ingest, and where the whole report is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestValidation {
    pub indication: String,
    pub summary: String,
    #[serde(with = "time::serde::rfc3339")]
    pub validation_time: OffsetDateTime,
    pub signatures: Vec<SignatureSummary>,
    /// The signature report (`schemas/signature-report.schema.json`) as stored.
    pub report: BlobRef,
}

/// A piece of validation material.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialRef {
    /// `certificate`, `crl` or `ocsp_response`.
    pub kind: String,
    pub blob: BlobRef,
}

/// The record manifest (`records/<id>/manifest.json`, `schemas/record.schema.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordManifest {
    /// `stele.record.v1`.
    pub record: String,
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub ingested_at: OffsetDateTime,
    pub files: Vec<RecordFile>,
    pub validation: IngestValidation,
    pub material: Vec<MaterialRef>,
    pub metadata: RecordMetadata,
    pub metadata_blob: BlobRef,
    /// The record's data-object group for sealing: every blob above, each once, sorted.
    pub data_objects: Vec<BlobRef>,
}

impl RecordManifest {
    pub const FORMAT: &'static str = "stele.record.v1";
}

/// What ingest did with a submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IngestOutcome {
    /// A new record, and its manifest as stored.
    Archived {
        id: RecordId,
        indication: Indication,
        summary: String,
        manifest: Box<RecordManifest>,
    },
    /// These bytes are already archived under `id` (nothing was written).
    Duplicate { id: RecordId },
}

/// Why a submission was not archived. Nothing is stored in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{name}: rejected: {reason}")]
    Rejected { name: String, reason: String },
    #[error("{name}: {source}")]
    Unreadable {
        name: String,
        #[source]
        source: stele_sig::CheckError,
    },
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// The archive service over one store.
#[derive(Clone)]
pub struct Archive {
    store: Store,
    /// Always `Some` until drop (see the `Drop` impl).
    validator: Option<Arc<SignatureValidator>>,
    clock: Arc<dyn Clock>,
    policy: IngestPolicy,
}

impl Archive {
    pub fn new(
        store: Store,
        validator: SignatureValidator,
        clock: Arc<dyn Clock>,
        policy: IngestPolicy,
    ) -> Self {
        Archive {
            store,
            validator: Some(Arc::new(validator)),
            clock,
            policy,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Validates and archives one submission. Blobs first, manifest last (create-only): a
    /// crash at any point leaves either no record or a whole one, and a rerun completes it.
    pub async fn ingest(&self, sub: Submission) -> Result<IngestOutcome, IngestError> {
        let original = BlobRef::of(&sub.bytes);
        let id = RecordId::new(original.hex())?;
        if self.store.get_manifest(&id).await.is_ok() {
            return Ok(IngestOutcome::Duplicate { id });
        }
        let now = self.clock.now();
        // Validation is CPU work (and may fetch revocation data): keep it off the runtime.
        let validator = self.validator.clone().expect("set until drop");
        let (bytes, detached) = (sub.bytes.clone(), sub.detached_content.clone());
        let report = tokio::task::spawn_blocking(move || {
            validator.check(&bytes, detached.as_ref().map(|(_, d)| d.as_slice()), now)
        })
        .await
        .map_err(|e| IngestError::Rejected {
            name: sub.name.clone(),
            reason: format!("validation did not complete: {e}"),
        })?
        .map_err(|source| IngestError::Unreadable {
            name: sub.name.clone(),
            source,
        })?;
        self.admit(&sub.name, &report)?;

        let mut files = vec![RecordFile {
            name: sub.name.clone(),
            role: "original".into(),
            blob: self.store.put_blob(Bytes::from(sub.bytes)).await?,
        }];
        if let Some((name, bytes)) = sub.detached_content {
            files.push(RecordFile {
                name,
                role: "detached_content".into(),
                blob: self.store.put_blob(Bytes::from(bytes)).await?,
            });
        }
        let mut material = Vec::new();
        for (kind, items) in [
            ("certificate", &report.material.certificates),
            ("crl", &report.material.crls),
            ("ocsp_response", &report.material.ocsp_responses),
        ] {
            for item in items {
                material.push(MaterialRef {
                    kind: kind.into(),
                    blob: self.store.put_blob(Bytes::from(item.der.clone())).await?,
                });
            }
        }
        let report_json =
            serde_json::to_vec_pretty(&report).map_err(|e| IngestError::Rejected {
                name: sub.name.clone(),
                reason: format!("the report cannot be encoded: {e}"),
            })?;
        let report_blob = self.store.put_blob(Bytes::from(report_json)).await?;
        let metadata_blob = self
            .store
            .put_blob(Bytes::from(sub.metadata.to_json()))
            .await?;

        let mut data_objects: Vec<BlobRef> = files
            .iter()
            .map(|f| f.blob)
            .chain(material.iter().map(|m| m.blob))
            .chain([report_blob, metadata_blob])
            .collect();
        data_objects.sort();
        data_objects.dedup();
        let manifest = RecordManifest {
            record: RecordManifest::FORMAT.into(),
            id: id.to_string(),
            ingested_at: now,
            files,
            validation: IngestValidation {
                indication: report.indication.as_str().into(),
                summary: report.summary.clone(),
                validation_time: report.validation_time,
                signatures: report
                    .signatures
                    .iter()
                    .map(|s| SignatureSummary {
                        id: s.id.clone(),
                        indication: s.indication.as_str().into(),
                        sub_indication: s.sub_indication.map(|x| {
                            serde_json::to_value(x)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default()
                        }),
                        signer: s.signer.as_ref().and_then(|i| i.name.clone()),
                        holder: s.signer.as_ref().map(|i| {
                            serde_json::to_value(i.holder)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default()
                        }),
                        proven_time: s.proven_time,
                    })
                    .collect(),
                report: report_blob,
            },
            material,
            metadata: sub.metadata,
            metadata_blob,
            data_objects: data_objects.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| IngestError::Rejected {
            name: sub.name.clone(),
            reason: format!("the manifest cannot be encoded: {e}"),
        })?;
        match self
            .store
            .create_manifest(&id, Bytes::from(bytes), &data_objects)
            .await?
        {
            Creation::Created => Ok(IngestOutcome::Archived {
                id,
                indication: report.indication,
                summary: report.summary,
                manifest: Box::new(manifest),
            }),
            // Another writer committed the same bytes first.
            Creation::AlreadyExists(_) => Ok(IngestOutcome::Duplicate { id }),
        }
    }

    /// The ingest policy: a broken signature is refused; INDETERMINATE is accepted (its reason
    /// is in the report); an unsigned document only when allowed.
    fn admit(&self, name: &str, report: &DocumentReport) -> Result<(), IngestError> {
        let reject = |reason: String| IngestError::Rejected {
            name: name.to_string(),
            reason,
        };
        if report.signatures.is_empty() {
            if report.indication == Indication::Failed {
                return Err(reject(report.summary.clone()));
            }
            if !self.policy.allow_unsigned {
                return Err(reject(
                    "the document carries no signature (to archive it as unsigned anyway: `stele ingest --allow-unsigned`, or `allow_unsigned=true` in an upload)"
                        .into(),
                ));
            }
            return Ok(());
        }
        if let Some(s) = report
            .signatures
            .iter()
            .find(|s| s.indication == Indication::Failed)
        {
            return Err(reject(format!(
                "signature {} FAILED ({}): {}",
                s.id,
                s.sub_indication
                    .and_then(|x| serde_json::to_value(x).ok())
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                s.explanation
            )));
        }
        Ok(())
    }

    /// A stored record's manifest.
    pub async fn manifest(&self, id: &RecordId) -> Result<RecordManifest, StoreError> {
        let bytes = self.store.get_manifest(id).await?;
        serde_json::from_slice(&bytes).map_err(|e| StoreError::Malformed {
            key: format!("records/{id}/manifest.json"),
            reason: e.to_string(),
        })
    }
}

/// The validator's revocation fetcher owns a blocking HTTP client, which must not be dropped on
/// an async runtime thread (it shuts its own runtime down). The archive lives in async code, so
/// its last reference to the validator is dropped on a plain thread.
impl Drop for Archive {
    fn drop(&mut self) {
        if let Some(v) = self.validator.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                std::thread::spawn(move || drop(v));
            }
        }
    }
}
