//! Stele's search index (DESIGN.md §5): Vietnamese full-text search over archived records with
//! metadata filters and facets, built on tantivy.
//!
//! Text is indexed as written (NFC, lowercase), folded (marks removed, đ→d) and as folded
//! adjacent-syllable pairs, so unaccented queries find accented text, exact spellings rank first
//! and phrase-like matches rank above scattered words. Every search carries the caller's
//! [`Clearance`]; records above it are excluded inside the query, so they reach no hit, count,
//! facet or snippet.
//!
//! The index is derived: `stele reindex` rebuilds it from the archive.

pub mod analyzer;
mod error;
mod facets;
mod index;
mod model;
pub mod query;
mod schema;
pub mod snippet;

pub use error::IndexError;
pub use index::{RecordWriter, SearchIndex, MAX_LIMIT, MAX_OFFSET};
pub use model::{
    number_notation, Clearance, Confidentiality, FacetCount, Facets, Filters, IndexedRecord,
    SearchHit, SearchRequest, SearchResults,
};
pub use query::{MAX_FILTER_BYTES, MAX_QUERY_BYTES, MAX_QUERY_TERMS};
pub use schema::SCHEMA_VERSION;
pub use snippet::Snippet;
