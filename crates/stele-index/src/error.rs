//! Errors of the search index.

/// Everything that can go wrong opening, writing or searching the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The query (or a filter) cannot be searched; the message names the problem.
    #[error("invalid query: {0}")]
    Query(String),
    /// Another process (or writer) holds the index's writer lock.
    #[error(
        "the search index at {0} is locked by another writer (another `stele` process is \
         ingesting or reindexing); try again when it has finished"
    )]
    Locked(String),
    /// The index on disk was built with another schema version.
    #[error(
        "the search index at {path} was built by another version of Stele (schema {found}, \
         expected {expected}); run `stele reindex` to rebuild it from the archive"
    )]
    SchemaChanged {
        path: String,
        found: String,
        expected: String,
    },
    /// A record the index cannot take (say, an empty id).
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    /// A stored document lacks a field the schema promises (a corrupt or foreign index).
    #[error("corrupt search index: {0}")]
    Corrupt(String),
    #[error("search index I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Any other error from the search engine.
    #[error("search engine: {0}")]
    Tantivy(String),
}

impl From<tantivy::TantivyError> for IndexError {
    fn from(e: tantivy::TantivyError) -> Self {
        IndexError::Tantivy(e.to_string())
    }
}

impl From<tantivy::directory::error::OpenDirectoryError> for IndexError {
    fn from(e: tantivy::directory::error::OpenDirectoryError) -> Self {
        IndexError::Tantivy(e.to_string())
    }
}
