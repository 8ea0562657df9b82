//! The index on disk (or in RAM), its writer and the search entry point.

use std::borrow::Cow;
use std::path::Path;

use tantivy::collector::{Count, TopDocs};
use tantivy::directory::error::LockError;
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::DocSet;
use tantivy::{
    DocAddress, Index, IndexReader, IndexSettings, IndexWriter, Order, ReloadPolicy,
    TantivyDocument, TantivyError, Term,
};
use unicode_normalization::UnicodeNormalization;

use crate::analyzer;
use crate::facets::FacetsCollector;
use crate::model::{
    number_notation, Clearance, Confidentiality, Facets, Filters, IndexedRecord, SearchHit,
    SearchRequest, SearchResults,
};
use crate::query;
use crate::schema::{self, names, Fields, SCHEMA_VERSION};
use crate::snippet::Snippeter;
use crate::IndexError;

/// Most hits one request returns.
pub const MAX_LIMIT: usize = 1000;
/// How many top candidates the adjacency bonus re-scores (at least; more when paging deeper).
const RESCORE_WINDOW: usize = 200;
/// Deepest offset one request may page to.
pub const MAX_OFFSET: usize = 100_000;
/// File beside tantivy's files naming the schema version the index was built with.
const VERSION_FILE: &str = "stele-index-version";
/// tantivy's floor for the indexing heap of one thread (15 MB plus margin).
const MIN_HEAP_PER_THREAD: usize = 16_000_000;
/// tantivy's ceiling for one thread's heap (a little under 4 GiB).
const MAX_HEAP_PER_THREAD: usize = 4_000_000_000;
/// tantivy's ceiling on indexing threads.
const MAX_THREADS: usize = 8;

/// The search index. `Send + Sync`; share it behind an `Arc`.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    location: String,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

fn nfc(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || analyzer::is_nfc(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfc().collect())
    }
}

/// Trimmed, whitespace-collapsed, NFC display form of a short metadata value.
fn clean(s: &str) -> String {
    nfc(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (and `dir`) if absent. An index built with another
    /// schema version gives [`IndexError::SchemaChanged`]: run `stele reindex`.
    pub fn open_or_create(dir: &Path) -> Result<SearchIndex, IndexError> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema::build();
        let directory = MmapDirectory::open(dir)?;
        let expected = SCHEMA_VERSION.to_string();
        let version_path = dir.join(VERSION_FILE);
        let exists = Index::exists(&directory).map_err(|e| IndexError::Tantivy(e.to_string()))?;
        let location = dir.display().to_string();
        let index = if exists {
            let found = std::fs::read_to_string(&version_path)
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "unknown".to_string());
            let changed = |found: String| IndexError::SchemaChanged {
                path: location.clone(),
                found,
                expected: expected.clone(),
            };
            if found != expected {
                return Err(changed(found));
            }
            let index = Index::open(directory)?;
            if index.schema() != schema {
                return Err(changed(format!("{found} (different fields)")));
            }
            index
        } else {
            // The version file goes first: a crash before tantivy's meta.json leaves no index,
            // which the next open simply creates.
            std::fs::write(&version_path, format!("{expected}\n"))?;
            Index::create(directory, schema, IndexSettings::default())?
        };
        Self::from_index(index, fields, location)
    }

    /// Removes the index in `dir` (tantivy's files and the version file) and creates an empty
    /// one: what `stele reindex` does when the schema changed. Other files in `dir` are kept.
    pub fn recreate(dir: &Path) -> Result<SearchIndex, IndexError> {
        if dir.exists() {
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let ours = name == VERSION_FILE
                    || name == "meta.json"
                    || name == ".managed.json"
                    || name.ends_with(".lock")
                    || is_segment_file(&name);
                if ours && entry.file_type()?.is_file() {
                    std::fs::remove_file(entry.path())?;
                }
            }
        }
        Self::open_or_create(dir)
    }

    /// A fresh index in memory (tests, fuzzing).
    pub fn create_in_ram() -> Result<SearchIndex, IndexError> {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        Self::from_index(index, fields, "memory".to_string())
    }

    fn from_index(index: Index, fields: Fields, location: String) -> Result<Self, IndexError> {
        analyzer::register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            location,
        })
    }

    /// Where the index lives (`memory` for an in-RAM index).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// A writer with `threads` indexing threads sharing `heap_bytes` of indexing memory (raised
    /// to tantivy's minimum of about 16 MB per thread). Only one writer may exist at a time
    /// across processes: a second gives [`IndexError::Locked`].
    pub fn writer(&self, threads: usize, heap_bytes: usize) -> Result<RecordWriter, IndexError> {
        let threads = threads.clamp(1, MAX_THREADS);
        let per_thread = (heap_bytes / threads).clamp(MIN_HEAP_PER_THREAD, MAX_HEAP_PER_THREAD);
        let writer = self
            .index
            .writer_with_num_threads(threads, per_thread * threads)
            .map_err(|e| match e {
                TantivyError::LockFailure(LockError::LockBusy, _) => {
                    IndexError::Locked(self.location.clone())
                }
                e => IndexError::from(e),
            })?;
        Ok(RecordWriter {
            writer,
            reader: self.reader.clone(),
            fields: self.fields.clone(),
        })
    }

    /// Picks up commits made by other writers now rather than after the reload delay.
    pub fn reload(&self) -> Result<(), IndexError> {
        Ok(self.reader.reload()?)
    }

    /// Runs one search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        let plan = query::parse(&req.query)?;
        let built = query::build(&self.fields, &plan, &req.filters, req.clearance)?;
        let q = built.query;
        let searcher = self.reader.searcher();
        let limit = req.limit.min(MAX_LIMIT);
        let offset = req.offset.min(MAX_OFFSET);
        let facets = req.facets.then_some(FacetsCollector);
        let (total, top, fruit): (usize, Vec<(f32, DocAddress)>, _) = if limit == 0 {
            let (total, fruit) = searcher.search(&*q, &(Count, facets))?;
            (total, Vec::new(), fruit)
        } else if plan.is_empty() {
            // Listing by filters only: newest issued first.
            let by_date = TopDocs::with_limit(limit)
                .and_offset(offset)
                .order_by_fast_field::<i64>(names::ISSUED, Order::Desc);
            let (total, docs, fruit) = searcher.search(&*q, &(Count, by_date, facets))?;
            (
                total,
                docs.into_iter().map(|(_, a)| (0.0, a)).collect(),
                fruit,
            )
        } else if let Some(adjacency) = &built.adjacency {
            // Candidates by the word scores, then the adjacency bonus on those only.
            let window = (offset + limit).max(RESCORE_WINDOW);
            let by_score = TopDocs::with_limit(window).order_by_score();
            let (total, candidates, fruit) = searcher.search(&*q, &(Count, by_score, facets))?;
            let mut rescored = rescore(&searcher, &**adjacency, candidates)?;
            rescored.drain(..offset.min(rescored.len()));
            rescored.truncate(limit);
            (total, rescored, fruit)
        } else {
            let by_score = TopDocs::with_limit(limit)
                .and_offset(offset)
                .order_by_score();
            searcher.search(&*q, &(Count, by_score, facets))?
        };
        let mut hits = Vec::with_capacity(top.len());
        if !top.is_empty() {
            let snippeter = Snippeter::new(&searcher, &self.fields, &plan)?;
            for (score, address) in top {
                let doc: TantivyDocument = searcher.doc(address)?;
                hits.push(self.hit(&doc, score, &snippeter)?);
            }
        }
        Ok(SearchResults {
            total: total as u64,
            hits,
            facets: fruit
                .map(|f| f.into_facets())
                .unwrap_or_else(Facets::default),
        })
    }

    fn hit(
        &self,
        doc: &TantivyDocument,
        score: f32,
        snippeter: &Snippeter,
    ) -> Result<SearchHit, IndexError> {
        let f = &self.fields;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let id = text(f.id).ok_or_else(|| IndexError::Corrupt("hit without id".into()))?;
        let julian = doc
            .get_first(f.issued)
            .and_then(|v| v.as_i64())
            .and_then(|d| i32::try_from(d).ok())
            .ok_or_else(|| IndexError::Corrupt(format!("record {id} without issue date")))?;
        let issued_date = time::Date::from_julian_day(julian)
            .map_err(|e| IndexError::Corrupt(format!("record {id}: issue date: {e}")))?;
        let confidentiality = doc
            .get_first(f.conf)
            .and_then(|v| v.as_u64())
            .and_then(Confidentiality::from_level)
            .ok_or_else(|| IndexError::Corrupt(format!("record {id} without confidentiality")))?;
        let subject = text(f.subject).unwrap_or_default();
        let body = text(f.body).unwrap_or_default();
        let snippet = snippeter.snippet(&subject, &body);
        Ok(SearchHit {
            score,
            subject,
            organ_id: text(f.organ_id),
            organ_name: text(f.organ_name).unwrap_or_default(),
            type_name: text(f.type_name),
            number_notation: text(f.number_notation),
            issued_date,
            confidentiality,
            snippet,
            id,
        })
    }

    fn count(&self, q: &dyn Query) -> Result<u64, IndexError> {
        Ok(self.reader.searcher().search(q, &Count)? as u64)
    }

    /// Whether a record with this id is indexed (at any confidentiality).
    pub fn contains(&self, id: &str) -> Result<bool, IndexError> {
        let q = TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        Ok(self.count(&q)? > 0)
    }

    /// Number of indexed records the clearance may see.
    pub fn num_records(&self, clearance: Clearance) -> Result<u64, IndexError> {
        let mut clauses = query::restrictions(&self.fields, &Filters::default(), clearance)?;
        clauses.push((Occur::Must, Box::new(AllQuery)));
        self.count(&BooleanQuery::new(clauses))
    }
}

/// Adds the score of `bonus` to each candidate that matches it and re-sorts (score descending,
/// then address). Each segment's scorer only seeks to the candidates' documents.
fn rescore(
    searcher: &tantivy::Searcher,
    bonus: &dyn Query,
    mut candidates: Vec<(f32, DocAddress)>,
) -> Result<Vec<(f32, DocAddress)>, IndexError> {
    let weight = bonus.weight(tantivy::query::EnableScoring::enabled_from_searcher(
        searcher,
    ))?;
    candidates.sort_by_key(|(_, a)| *a);
    let mut current: Option<(u32, Box<dyn tantivy::query::Scorer>)> = None;
    for (score, address) in candidates.iter_mut() {
        if current.as_ref().map(|(s, _)| *s) != Some(address.segment_ord) {
            let reader = searcher.segment_reader(address.segment_ord);
            current = Some((address.segment_ord, weight.scorer(reader, 1.0)?));
        }
        if let Some((_, scorer)) = current.as_mut() {
            if scorer.doc() < address.doc_id {
                scorer.seek(address.doc_id);
            }
            if scorer.doc() == address.doc_id {
                *score += scorer.score();
            }
        }
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    Ok(candidates)
}

fn is_segment_file(name: &str) -> bool {
    // Segment files are `<32 hex>.<ext>` (optionally `<32 hex>.<opstamp>.del`).
    let stem = name.split('.').next().unwrap_or("");
    stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Adds records to the index. `add` takes `&self`, so rayon threads can share one writer;
/// nothing is visible to searches until [`RecordWriter::commit`].
pub struct RecordWriter {
    writer: IndexWriter,
    reader: IndexReader,
    fields: Fields,
}

impl RecordWriter {
    /// Adds (or replaces, by id) one record.
    pub fn add(&self, r: &IndexedRecord) -> Result<(), IndexError> {
        let doc = self.document(r)?;
        // Delete-then-add in one batch keeps the id unique: the delete only hits earlier adds.
        self.writer
            .delete_term(Term::from_field_text(self.fields.id, &r.id));
        self.writer.add_document(doc)?;
        Ok(())
    }

    /// Removes a record by id (at the next commit).
    pub fn delete(&self, id: &str) {
        self.writer
            .delete_term(Term::from_field_text(self.fields.id, id));
    }

    /// Makes everything added so far durable and visible to searches of this process.
    pub fn commit(&mut self) -> Result<(), IndexError> {
        self.writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Commits, then waits for tantivy's background segment merges to end (the end of a
    /// reindex: searches then see few, large segments).
    pub fn finish(mut self) -> Result<(), IndexError> {
        self.commit()?;
        self.writer.wait_merging_threads()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Removes every record (at the next commit): the first step of a reindex.
    pub fn delete_all(&mut self) -> Result<(), IndexError> {
        self.writer.delete_all_documents()?;
        Ok(())
    }

    fn document(&self, r: &IndexedRecord) -> Result<TantivyDocument, IndexError> {
        let f = &self.fields;
        let id = r.id.trim();
        if id.is_empty() || id.len() > 256 || id != r.id {
            return Err(IndexError::InvalidRecord(format!(
                "record id {:?} must be 1..=256 bytes without surrounding spaces",
                r.id
            )));
        }
        let mut doc = TantivyDocument::new();
        doc.add_text(f.id, id);
        let subject = clean(&r.subject);
        let organ_name = clean(&r.organ_name);
        let type_name = r.type_name.as_deref().map(clean).filter(|s| !s.is_empty());
        let number_notation = number_notation(r.code_number.as_deref(), r.code_notation.as_deref());
        let signers: Vec<String> = r
            .signers
            .iter()
            .map(|s| clean(s))
            .filter(|s| !s.is_empty())
            .collect();
        let body = nfc(&r.text);

        // Searchable text, in the same order in the exact and folded fields.
        let mut searchable: Vec<&str> = vec![&subject];
        searchable.extend(number_notation.as_deref());
        searchable.extend(type_name.as_deref());
        searchable.push(&organ_name);
        searchable.extend(signers.iter().map(String::as_str));
        searchable.push(&body);
        for value in searchable {
            if value.is_empty() {
                continue;
            }
            doc.add_text(f.text, value);
            doc.add_text(f.folded, value);
        }
        // The subject field's first value is the subject as stored for hits.
        doc.add_text(f.subject, &subject);
        doc.add_text(f.subject_exact, &subject);
        if let Some(nn) = &number_notation {
            doc.add_text(f.subject, nn);
            doc.add_text(f.subject_exact, nn);
            doc.add_text(f.number_notation, nn);
        }
        for key in query::record_notation_keys(r.code_number.as_deref(), r.code_notation.as_deref())
        {
            doc.add_text(f.notation, key);
        }
        doc.add_text(f.body, &body);
        if let Some(organ_id) = r
            .organ_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            doc.add_text(f.organ_id, organ_id.to_uppercase());
        }
        doc.add_text(f.organ_name, &organ_name);
        if let Some(t) = &type_name {
            doc.add_text(f.type_key, analyzer::key(t));
            doc.add_text(f.type_name, t);
        }
        doc.add_i64(f.issued, i64::from(r.issued_date.to_julian_day()));
        doc.add_i64(f.year, i64::from(r.issued_date.year()));
        for s in &signers {
            doc.add_text(f.signer_key, analyzer::key(s));
            doc.add_text(f.signer, s);
        }
        doc.add_u64(f.conf, r.confidentiality.level());
        let retention = r.retention.trim();
        if !retention.is_empty() {
            doc.add_text(f.retention, retention);
        }
        if let Some(file) = r.file_notation.as_deref().map(analyzer::key) {
            if !file.is_empty() {
                doc.add_text(f.file_notation, file);
            }
        }
        Ok(doc)
    }
}
