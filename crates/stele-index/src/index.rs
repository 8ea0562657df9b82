//! The index on disk (or in RAM), its writer and the search entry point.

use std::borrow::Cow;
use std::path::Path;

use tantivy::collector::{Count, TopDocs};
use tantivy::directory::error::LockError;
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, BooleanQuery, EnableScoring, Occur, Query, Scorer, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{
    DocAddress, Index, IndexReader, IndexSettings, IndexWriter, Order, ReloadPolicy,
    TantivyDocument, TantivyError, Term,
};
use unicode_normalization::UnicodeNormalization;

use crate::analyzer;
use crate::facets::FacetsCollector;
use crate::model::{
    Clearance, Confidentiality, Facets, Filters, IndexedRecord, SearchHit, SearchRequest,
    SearchResults,
};
use crate::query;
use crate::schema::{self, names, Fields, SCHEMA_VERSION};
use crate::snippet::Snippeter;
use crate::IndexError;

/// Most hits one request returns.
pub const MAX_LIMIT: usize = 1000;
/// How many candidates each candidate pass keeps for re-scoring with the full query (at least;
/// more when paging deeper). On the search bench (100,000 records) 300 keeps 98.5% of the top 10
/// hits of the full score over every match (`search_bench --check`); the misses are records that
/// only the adjacency bonus lifts, which ranking every match by positions would find.
const RESCORE_WINDOW: usize = 300;
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
    ///
    /// `total` is exact: every record that matches and that the clearance allows, counted on
    /// the matching clauses alone (each word one posting list, unscored); facets come from the
    /// same pass. Hits come from candidates re-scored with the full score (exact, folded,
    /// subject and notation clauses plus the adjacency bonus, see
    /// [`query::scoring_clauses`]): for a query of words, the best records of pruned passes
    /// (see [`query::candidate_passes`]); with phrases, notations or filters, the best records
    /// of the counting pass by their folded match, plus the passes' records. Re-scoring drops
    /// every candidate that does not match or that the caller may not see; if too few are left,
    /// the best visible matches by their folded match are re-scored instead.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        self.search_with(req, true)
    }

    /// [`SearchIndex::search`] scoring every match with the full query and the adjacency bonus,
    /// without candidate passes: slow, the reference the candidates are measured against
    /// (benchmarks, tests).
    #[doc(hidden)]
    pub fn search_exhaustive(&self, req: &SearchRequest) -> Result<SearchResults, IndexError> {
        self.search_with(req, false)
    }

    fn search_with(&self, req: &SearchRequest, prune: bool) -> Result<SearchResults, IndexError> {
        let plan = query::parse(&req.query)?;
        let matching = query::matching(&self.fields, &plan, &req.filters, req.clearance)?;
        let searcher = self.reader.searcher();
        let limit = req.limit.min(MAX_LIMIT);
        let offset = req.offset.min(MAX_OFFSET);
        let window = (offset + limit).max(RESCORE_WINDOW);
        let facets = req.facets.then_some(FacetsCollector);
        // A query of words only, at most a clearance for restriction: its best records by the
        // folded words come from a pruned pass, and counting its matches is cheap. Otherwise
        // (phrases, notations, filters) one pass over the matching records counts them and
        // keeps the best by their folded match.
        let words_only = plan
            .units
            .iter()
            .all(|u| matches!(u, query::Unit::Word { .. }));
        let pruned_first = prune && words_only && !query::has_filters(&req.filters);
        let (total, fruit, first) = if limit == 0 || plan.is_empty() || pruned_first || !prune {
            let (total, fruit) = match facets {
                // Count alone counts a conjunction of words without reading its scores.
                None => (searcher.search(&*matching, &Count)?, None),
                Some(facets) => {
                    let (total, fruit) = searcher.search(&*matching, &(Count, facets))?;
                    (total, Some(fruit))
                }
            };
            (total, fruit, Vec::new())
        } else {
            let by_score = TopDocs::with_limit(window).order_by_score();
            let (total, first, fruit) = searcher.search(&*matching, &(Count, by_score, facets))?;
            (total, fruit, first)
        };
        let wanted = (offset + limit).min(total);
        let top: Vec<(f32, DocAddress)> = if wanted <= offset {
            Vec::new()
        } else if plan.is_empty() {
            // Listing by filters only: newest issued first.
            let by_date = TopDocs::with_limit(limit)
                .and_offset(offset)
                .order_by_fast_field::<i64>(names::ISSUED, Order::Desc);
            searcher
                .search(&*matching, &by_date)?
                .into_iter()
                .map(|(_, a)| (0.0, a))
                .collect()
        } else if prune {
            let mut candidates = first;
            let passes = query::candidate_passes(&self.fields, &plan);
            // The first pass (every folded word) only when the matching pass did not rank.
            let skip = usize::from(!pruned_first);
            for pass in passes.into_iter().skip(skip) {
                let by_score = TopDocs::with_limit(window).order_by_score();
                candidates.extend(searcher.search(&*pass, &by_score)?);
            }
            let clauses = query::scoring_clauses(&self.fields, &plan);
            let mut top = rescore_by_clauses(&searcher, &*matching, &clauses, candidates)?;
            // Records above the clearance are dropped by the re-scoring: if too few are left,
            // rank by the folded match over every visible match.
            if top.len() < wanted.max(window.min(total) / 2) {
                let by_score = TopDocs::with_limit(window).order_by_score();
                let mut candidates = searcher.search(&*matching, &by_score)?;
                candidates.append(&mut top);
                top = rescore_by_clauses(&searcher, &*matching, &clauses, candidates)?;
            }
            top.drain(..offset.min(top.len()));
            top.truncate(limit);
            top
        } else {
            // The reference: every match scored by the full query, adjacency bonus included.
            let built = query::build(&self.fields, &plan, &req.filters, req.clearance)?;
            let full: Box<dyn Query> = match built.adjacency {
                Some(adjacency) => Box::new(BooleanQuery::new(vec![
                    (Occur::Must, built.query),
                    (Occur::Should, adjacency),
                ])),
                None => built.query,
            };
            let by_score = TopDocs::with_limit(limit)
                .and_offset(offset)
                .order_by_score();
            searcher.search(&*full, &by_score)?
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

fn sort_by_score(candidates: &mut [(f32, DocAddress)]) {
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
}

/// The candidates (duplicates merged) that `matching` matches, each scored by the sum of the
/// `clauses` it matches, best first (score descending, then address). Every clause's scorer
/// seeks from candidate to candidate in document order, so the work grows with the number of
/// candidates and clauses, not with the number of matches.
fn rescore_by_clauses(
    searcher: &tantivy::Searcher,
    matching: &dyn Query,
    clauses: &[Box<dyn Query>],
    mut candidates: Vec<(f32, DocAddress)>,
) -> Result<Vec<(f32, DocAddress)>, IndexError> {
    let filter = matching.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let weights = clauses
        .iter()
        .map(|c| c.weight(scoring))
        .collect::<tantivy::Result<Vec<_>>>()?;
    candidates.sort_by_key(|(_, a)| *a);
    candidates.dedup_by_key(|(_, a)| *a);
    let mut out = Vec::with_capacity(candidates.len());
    for segment in candidates.chunk_by(|a, b| a.1.segment_ord == b.1.segment_ord) {
        let reader = searcher.segment_reader(segment[0].1.segment_ord);
        let mut scorer = filter.scorer(reader, 1.0)?;
        let start = out.len();
        for &(_, address) in segment {
            if seek(&mut *scorer, address.doc_id) {
                out.push((0.0f32, address));
            }
        }
        for weight in &weights {
            let mut scorer = weight.scorer(reader, 1.0)?;
            for (score, address) in &mut out[start..] {
                if seek(&mut *scorer, address.doc_id) {
                    *score += scorer.score();
                }
            }
        }
    }
    sort_by_score(&mut out);
    Ok(out)
}

/// Moves a scorer to `doc` (never backwards); whether it matches there.
fn seek(scorer: &mut dyn Scorer, doc: tantivy::DocId) -> bool {
    if scorer.doc() < doc {
        scorer.seek(doc);
    }
    scorer.doc() == doc
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
        let number_notation = r.number_notation();
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
