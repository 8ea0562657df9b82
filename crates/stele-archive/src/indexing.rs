//! Feeding the search index (DESIGN.md §5): a record's document text and metadata become one
//! [`IndexedRecord`]. The index is derived — everything in it is read back from the store — so
//! a lost or stale index is rebuilt by [`reindex`] and never loses anything.
//!
//! Work is split the way it costs: store reads run concurrently on the async runtime, text
//! extraction runs on rayon's pool, and tantivy's writer indexes on its own threads. The next
//! chunk of records is fetched while the current one is extracted.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use rayon::prelude::*;
use stele_index::{IndexError, IndexedRecord, RecordWriter, SearchIndex};
use stele_sig::{extract_text, SignedDataParts, TextError, TextLimits};
use stele_store::{RecordId, Store, StoreError};
use unicode_normalization::UnicodeNormalization;

use crate::metadata::Confidentiality;
use crate::sealing::read_manifest;
use crate::RecordManifest;

/// Records fetched and extracted together; two chunks are in memory at a time.
const CHUNK: usize = 32;
/// Enveloping signatures nested deeper than this are not opened for text.
const MAX_NESTING: usize = 4;

/// How one record went into the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexedOutcome {
    /// Indexed with `chars` characters of document text; `note` says why text is missing or
    /// partial (an encrypted PDF, a scan without a text layer).
    Indexed {
        id: RecordId,
        chars: usize,
        note: Option<String>,
    },
    /// Not indexed: its manifest could not be read. The record itself is untouched; `stele
    /// audit` says more.
    Failed { id: RecordId, reason: String },
}

impl IndexedOutcome {
    pub fn id(&self) -> &RecordId {
        match self {
            IndexedOutcome::Indexed { id, .. } | IndexedOutcome::Failed { id, .. } => id,
        }
    }
}

/// Totals of an indexing run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexingReport {
    pub indexed: usize,
    /// Indexed by metadata only, without document text.
    pub without_text: usize,
    pub failed: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum IndexingError {
    #[error("search index: {0}")]
    Index(#[from] IndexError),
    #[error("listing the records: {0}")]
    Store(#[from] StoreError),
    #[error("reading the store stopped: {0}")]
    Interrupted(String),
}

/// The searchable text of one file of a record: a PDF's text layer, the content of an
/// enveloping CMS signature (opened recursively), or UTF-8 plain text. `Ok(None)`: a format
/// with no text to index (a detached signature, an image).
pub fn document_text(bytes: &[u8], limits: &TextLimits) -> Result<Option<String>, String> {
    document_text_at(bytes, limits, 0)
}

fn document_text_at(
    bytes: &[u8],
    limits: &TextLimits,
    depth: usize,
) -> Result<Option<String>, String> {
    if bytes.len() > limits.max_file_len {
        return Err(format!(
            "{} bytes, more than the {} read for text",
            bytes.len(),
            limits.max_file_len
        ));
    }
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        let text = extract_text(bytes, limits).map_err(|e| match e {
            TextError::Encrypted(_) => "the PDF is encrypted: its text cannot be read".to_string(),
            e => e.to_string(),
        })?;
        if text.pages > 0 && text.pages_without_text == text.pages {
            return Err(format!(
                "no text layer on any of its {} page(s) (a scan?)",
                text.pages
            ));
        }
        return Ok(Some(text.text));
    }
    if bytes.first() == Some(&0x30) {
        if let Ok(parts) = SignedDataParts::from_ber(bytes) {
            return match parts.econtent() {
                Some(content) if depth < MAX_NESTING => {
                    document_text_at(content, limits, depth + 1)
                }
                Some(_) => Err(format!("signatures nested more than {MAX_NESTING} deep")),
                None => Ok(None),
            };
        }
    }
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    match std::str::from_utf8(text) {
        Ok(s) if !s.contains('\0') => {
            let s: String = s.chars().take(limits.max_output_chars).nfc().collect();
            Ok(Some(s))
        }
        _ => Ok(None),
    }
}

/// The text of a record: every file that has some (the original; for a detached signature, the
/// signed content), and a note when there is none. `files` are the bytes of `manifest.files`, in
/// order.
pub fn record_text(
    manifest: &RecordManifest,
    files: &[impl AsRef<[u8]>],
    limits: &TextLimits,
) -> (String, Option<String>) {
    let mut text = String::new();
    let mut notes = Vec::new();
    for (file, bytes) in manifest.files.iter().zip(files) {
        match document_text(bytes.as_ref(), limits) {
            Ok(Some(t)) if !t.trim().is_empty() => {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&t);
            }
            Ok(_) => {}
            Err(reason) => notes.push(format!("{}: {reason}", file.name)),
        }
    }
    let note = if text.is_empty() {
        Some(if notes.is_empty() {
            "no readable text: found by its metadata only".to_string()
        } else {
            format!("{}; found by its metadata only", notes.join("; "))
        })
    } else if notes.is_empty() {
        None
    } else {
        Some(notes.join("; "))
    };
    (text, note)
}

/// The index entry of a record: its text, and the metadata of NĐ 30/2020 Phụ lục VI. Signers
/// are those named in the metadata and the holders of the signing certificates, each once.
pub fn indexed_record(manifest: &RecordManifest, text: String) -> IndexedRecord {
    let m = &manifest.metadata;
    let mut signers: Vec<String> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let named = m.signer_info.iter().map(|s| s.full_name.as_str());
    let certified = manifest
        .validation
        .signatures
        .iter()
        .filter_map(|s| s.signer.as_deref());
    for name in named.chain(certified) {
        // The index's own matching key: the signer filter and facet treat these as one name.
        let key = stele_index::analyzer::key(name);
        if !key.is_empty() && !keys.contains(&key) {
            keys.push(key);
            signers.push(name.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    IndexedRecord {
        id: manifest.id.clone(),
        text,
        subject: m.subject.clone(),
        organ_id: m.organ_id.clone(),
        organ_name: m.organ_name.clone(),
        type_name: m.type_name.clone(),
        code_number: m.code_number.clone(),
        code_notation: m.code_notation.clone(),
        issued_date: m.issued_date,
        signers,
        confidentiality: match m.confidentiality {
            Confidentiality::None => stele_index::Confidentiality::None,
            Confidentiality::Mat => stele_index::Confidentiality::Mat,
            Confidentiality::ToiMat => stele_index::Confidentiality::ToiMat,
            Confidentiality::TuyetMat => stele_index::Confidentiality::TuyetMat,
        },
        retention: m.retention.code().to_string(),
        file_notation: m.file_notation.clone(),
    }
}

/// A record as read from the store for indexing.
struct Fetched {
    id: RecordId,
    content: Result<(RecordManifest, Vec<Bytes>), String>,
}

async fn fetch(store: Store, id: RecordId) -> Fetched {
    let content = async {
        let manifest = read_manifest(&store, &id)
            .await
            .map_err(|e| e.to_string())?;
        let mut files = Vec::with_capacity(manifest.files.len());
        for f in &manifest.files {
            files.push(
                store
                    .get_blob(&f.blob)
                    .await
                    .map_err(|e| format!("{}: {e}", f.name))?,
            );
        }
        Ok((manifest, files))
    }
    .await;
    Fetched { id, content }
}

async fn fetch_chunk(store: Store, ids: Vec<RecordId>, jobs: usize) -> Vec<Fetched> {
    futures::stream::iter(ids)
        .map(|id| fetch(store.clone(), id))
        .buffer_unordered(jobs.max(1))
        .collect()
        .await
}

/// Adds the records `ids` to the index through `writer` (replacing entries of the same ids) and
/// reports each to `on_record`; the caller commits. Blocking: call it outside async code;
/// `runtime` runs the store reads, `jobs` of them at once.
pub fn index_records(
    runtime: &tokio::runtime::Handle,
    store: &Store,
    writer: &RecordWriter,
    ids: Vec<RecordId>,
    jobs: usize,
    limits: &TextLimits,
    on_record: &(dyn Fn(&IndexedOutcome) + Sync),
) -> Result<IndexingReport, IndexingError> {
    let mut chunks = ids.chunks(CHUNK).map(<[RecordId]>::to_vec);
    let mut report = IndexingReport::default();
    let mut next = chunks
        .next()
        .map(|c| runtime.spawn(fetch_chunk(store.clone(), c, jobs)));
    while let Some(pending) = next.take() {
        let fetched = runtime
            .block_on(pending)
            .map_err(|e| IndexingError::Interrupted(e.to_string()))?;
        next = chunks
            .next()
            .map(|c| runtime.spawn(fetch_chunk(store.clone(), c, jobs)));
        let outcomes: Vec<Result<IndexedOutcome, IndexError>> = fetched
            .into_par_iter()
            .map(|f| {
                let outcome = match f.content {
                    Ok((manifest, files)) => {
                        let (text, note) = record_text(&manifest, &files, limits);
                        let chars = text.chars().count();
                        writer.add(&indexed_record(&manifest, text))?;
                        IndexedOutcome::Indexed {
                            id: f.id,
                            chars,
                            note,
                        }
                    }
                    Err(reason) => IndexedOutcome::Failed { id: f.id, reason },
                };
                on_record(&outcome);
                Ok(outcome)
            })
            .collect();
        for outcome in outcomes {
            match outcome? {
                IndexedOutcome::Indexed { chars, .. } => {
                    report.indexed += 1;
                    if chars == 0 {
                        report.without_text += 1;
                    }
                }
                IndexedOutcome::Failed { .. } => report.failed += 1,
            }
        }
    }
    Ok(report)
}

/// What [`reindex`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReindexMode {
    /// Every record, into an emptied index.
    Rebuild,
    /// Only the records the index lacks (ingested by another node, or while the index was
    /// locked or unwritable); the rest stays as it is.
    Missing,
}

/// How [`reindex`] runs.
#[derive(Clone, Copy, Debug)]
pub struct ReindexSettings {
    pub mode: ReindexMode,
    /// The index writer's memory (`[index] writer_mib`).
    pub writer_bytes: usize,
    /// Store reads at once, and indexing threads.
    pub jobs: usize,
}

/// Brings the index in `dir` up to the store, committed once at the end — until then searches
/// see the index as it was, so a crash mid-way leaves it unchanged. An index of an older schema
/// is removed and rebuilt whatever the mode. `on_total` hears the number of records to index
/// first.
pub fn reindex(
    runtime: &tokio::runtime::Handle,
    store: &Store,
    dir: &std::path::Path,
    settings: ReindexSettings,
    on_total: &dyn Fn(usize),
    on_record: &(dyn Fn(&IndexedOutcome) + Sync),
) -> Result<IndexingReport, IndexingError> {
    let ReindexSettings {
        mode,
        writer_bytes,
        jobs,
    } = settings;
    let (index, mode) = match SearchIndex::open_or_create(dir) {
        Ok(index) => (index, mode),
        Err(IndexError::SchemaChanged { .. }) => {
            (SearchIndex::recreate(dir)?, ReindexMode::Rebuild)
        }
        Err(e) => return Err(e.into()),
    };
    let mut ids: Vec<RecordId> = runtime.block_on(store.list_records().try_collect())?;
    if mode == ReindexMode::Missing {
        let mut missing = Vec::new();
        for id in ids {
            if !index.contains(id.as_str())? {
                missing.push(id);
            }
        }
        ids = missing;
    }
    ids.sort();
    on_total(ids.len());
    let mut writer = index.writer(jobs, writer_bytes)?;
    if mode == ReindexMode::Rebuild {
        writer.delete_all()?;
    }
    let report = index_records(
        runtime,
        store,
        &writer,
        ids,
        jobs,
        &TextLimits::default(),
        on_record,
    )?;
    writer.finish()?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::Retention;

    #[test]
    fn retention_codes_are_the_serialized_ones() {
        for r in [
            Retention::Permanent,
            Retention::Years70,
            Retention::Years50,
            Retention::Years30,
            Retention::Years20,
            Retention::Years10,
            Retention::Other,
        ] {
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::Value::from(r.code())
            );
        }
    }

    #[test]
    fn plain_text_is_indexed_nfc_and_binary_is_not() {
        let limits = TextLimits::default();
        let decomposed = "chu\u{31b}\u{303} ky\u{301} so\u{302}\u{301}";
        assert_eq!(
            document_text(decomposed.as_bytes(), &limits)
                .unwrap()
                .unwrap(),
            "chữ ký số"
        );
        assert_eq!(
            document_text(b"\x89PNG\r\n\x1a\n\0\0", &limits).unwrap(),
            None
        );
        assert_eq!(document_text(&[0xff, 0xfe, 0x00], &limits).unwrap(), None);
    }

    #[test]
    fn a_broken_pdf_is_a_note_not_a_failure() {
        let limits = TextLimits::default();
        let err = document_text(b"%PDF-1.7\n garbage", &limits).unwrap_err();
        assert!(!err.is_empty());
    }
}
