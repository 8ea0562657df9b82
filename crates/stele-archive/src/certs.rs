use std::path::{Path, PathBuf};
use x509_cert::Certificate;

/// A certificate file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CertificateFileError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} holds no certificate in PEM or DER form: {reason}")]
    NotACertificate { path: PathBuf, reason: String },
}

/// Largest certificate file accepted; a trust store is small.
const MAX_CERT_FILE: u64 = 4 * 1024 * 1024;

/// Reads every certificate in a PEM file (one or more `CERTIFICATE` blocks) or one DER
/// certificate.
pub fn read_certificates(path: &Path) -> Result<Vec<Certificate>, CertificateFileError> {
    use der::Decode;
    let io = |source| CertificateFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_CERT_FILE {
        return Err(CertificateFileError::NotACertificate {
            path: path.to_path_buf(),
            reason: format!("{len} bytes is too large for a certificate file"),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let not_cert = |reason: String| CertificateFileError::NotACertificate {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        let certs = Certificate::load_pem_chain(&bytes).map_err(|e| not_cert(e.to_string()))?;
        if certs.is_empty() {
            return Err(not_cert("no CERTIFICATE block".into()));
        }
        Ok(certs)
    } else {
        let der = stele_asn1::to_der(&bytes).map_err(|e| not_cert(e.to_string()))?;
        Ok(vec![
            Certificate::from_der(&der).map_err(|e| not_cert(e.to_string()))?
        ])
    }
}
