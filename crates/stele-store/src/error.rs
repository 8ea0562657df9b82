use std::path::PathBuf;

use object_store::path::Path;

/// Everything that can go wrong in the store; each message names the key (or file) concerned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store URL {url:?} is not usable: {reason}")]
    InvalidUrl { url: String, reason: String },

    #[error("{what} {name:?} is not a valid name: {reason}")]
    InvalidName {
        what: &'static str,
        name: String,
        reason: &'static str,
    },

    #[error("{key} does not exist in the store")]
    NotFound { key: String },

    #[error(
        "blob {key} is corrupt: it should be {expected_len} bytes with SHA-256 {expected}, \
         but reads as {actual_len} bytes with SHA-256 {actual}"
    )]
    Corrupt {
        key: String,
        expected: String,
        expected_len: u64,
        actual: String,
        actual_len: u64,
    },

    #[error("blob {key} is damaged: the store holds {actual} bytes, not {expected}")]
    WrongLength {
        key: String,
        expected: u64,
        actual: u64,
    },

    #[error("record {record} refers to blob {key}, which is not in the store (store blobs before the manifest)")]
    MissingBlob { record: String, key: String },

    #[error("{key} already exists with different content: {reason}")]
    Conflict { key: String, reason: String },

    #[error("{path} changed while it was being stored; nothing was written")]
    FileChanged { path: PathBuf },

    #[error("{key} is malformed: {reason}")]
    Malformed { key: String, reason: String },

    #[error("lease {name} is contended: no decision after {attempts} attempts")]
    LeaseContention { name: String, attempts: u32 },

    #[error("could not read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("could not {op} {key}: {source}")]
    Backend {
        op: &'static str,
        key: String,
        source: object_store::Error,
    },
}

impl StoreError {
    /// Maps an object_store error for `key`, keeping "not found" distinct.
    pub(crate) fn backend(op: &'static str, key: &Path, e: object_store::Error) -> StoreError {
        match e {
            object_store::Error::NotFound { .. } => StoreError::NotFound {
                key: key.to_string(),
            },
            source => StoreError::Backend {
                op,
                key: key.to_string(),
                source,
            },
        }
    }

    /// True when the error says the object is absent.
    pub fn is_not_found(&self) -> bool {
        matches!(self, StoreError::NotFound { .. })
    }
}
