//! The trust store: the certificates whose keys and names end a path (RFC 5280 §6.1.1 (d)).

use std::path::Path;

use der::Decode;
use x509_cert::Certificate;

/// Upper bounds for reading a folder, so a wrong path cannot exhaust memory.
const MAX_FILES: usize = 10_000;
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Why anchors could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TrustStoreError {
    #[error("the trust anchor data is neither a DER certificate nor PEM certificates: {0}")]
    Parse(String),
    #[error("the trust anchor folder could not be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("the trust anchor folder holds more than {MAX_FILES} files")]
    TooManyFiles,
}

/// A trusted certificate; its subject and key start every path it anchors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustAnchor {
    /// The anchor certificate (its validity and extensions are not enforced, as in RFC 5280).
    pub certificate: Certificate,
}

/// A set of trust anchors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustStore {
    anchors: Vec<TrustAnchor>,
}

impl TrustStore {
    /// An empty store (validates nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a certificate as an anchor.
    pub fn add(&mut self, certificate: Certificate) {
        if !self.anchors.iter().any(|a| a.certificate == certificate) {
            self.anchors.push(TrustAnchor { certificate });
        }
    }

    /// Adds anchors from DER or PEM bytes (one DER certificate, or any number of PEM blocks).
    pub fn add_bytes(&mut self, bytes: &[u8]) -> Result<usize, TrustStoreError> {
        let certs = if bytes.starts_with(b"-----") || bytes.windows(11).any(|w| w == b"-----BEGIN ")
        {
            Certificate::load_pem_chain(bytes).map_err(|e| TrustStoreError::Parse(e.to_string()))?
        } else {
            vec![Certificate::from_der(bytes).map_err(|e| TrustStoreError::Parse(e.to_string()))?]
        };
        let n = certs.len();
        certs.into_iter().for_each(|c| self.add(c));
        Ok(n)
    }

    /// A store from DER or PEM bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TrustStoreError> {
        let mut s = Self::new();
        s.add_bytes(bytes)?;
        Ok(s)
    }

    /// A store from every `.crt`, `.cer`, `.der` and `.pem` file directly inside `dir`.
    pub fn from_dir(dir: &Path) -> Result<Self, TrustStoreError> {
        let mut s = Self::new();
        let mut count = 0usize;
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            let ext = p
                .extension()
                .and_then(|x| x.to_str())
                .map(str::to_ascii_lowercase);
            if !matches!(ext.as_deref(), Some("crt" | "cer" | "der" | "pem")) {
                continue;
            }
            count += 1;
            if count > MAX_FILES {
                return Err(TrustStoreError::TooManyFiles);
            }
            if e.metadata()?.len() > MAX_FILE_BYTES {
                return Err(TrustStoreError::Parse(format!(
                    "{} is too large",
                    p.display()
                )));
            }
            let bytes = std::fs::read(&p)?;
            s.add_bytes(&bytes)
                .map_err(|err| TrustStoreError::Parse(format!("{}: {err}", p.display())))?;
        }
        Ok(s)
    }

    /// The anchors.
    pub fn anchors(&self) -> &[TrustAnchor] {
        &self.anchors
    }

    /// Number of anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// True when there are no anchors.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}
