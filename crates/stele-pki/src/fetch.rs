//! Fetching revocation material: CRLs from HTTP CRL distribution points and OCSP responses by
//! POST to the AIA OCSP URL (RFC 6960 Appendix A.1), with timeouts, a response size cap enforced
//! while reading, a cache (in memory, optionally mirrored in a directory) that respects
//! nextUpdate, and an offline mode that only uses cached or embedded material.
//!
//! Proxies are never taken from the environment; a proxy is used only when configured.
//! The caller injects the time (`at`) used for cache freshness and verification.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use const_oid::db::{rfc5280, rfc5912};
use der::Decode;
use stele_asn1::DigestAlgorithm;
use time::OffsetDateTime;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, CrlDistributionPoints};
use x509_cert::Certificate;

use crate::ocsp::{self, OcspCheckOptions, OcspError, OcspVerified};

/// How the fetcher talks to the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchConfig {
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, body included.
    pub total_timeout: Duration,
    /// Bodies larger than this are abandoned while reading.
    pub max_response_size: usize,
    /// Only cached or embedded material is used; nothing is fetched.
    pub offline: bool,
    /// Optional directory mirroring the cache (one DER file per entry).
    pub cache_dir: Option<PathBuf>,
    /// An explicit HTTP proxy URL; environment variables are never consulted.
    pub proxy: Option<String>,
    /// Send a nonce with OCSP requests.
    pub send_nonce: bool,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(20),
            max_response_size: 4 * 1024 * 1024,
            offline: false,
            cache_dir: None,
            proxy: None,
            send_nonce: true,
        }
    }
}

/// Why revocation material could not be obtained.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{what} is not available offline (nothing cached or embedded for {url})")]
    NotAvailableOffline { what: &'static str, url: String },
    #[error("the certificate names no HTTP {0} location")]
    NoLocation(&'static str),
    #[error("{url} did not answer within the time limit")]
    Timeout { url: String },
    #[error("{url} sent more than {max} bytes")]
    TooLarge { url: String, max: usize },
    #[error("{url} answered HTTP {status}")]
    HttpStatus { url: String, status: u16 },
    #[error("{url} could not be reached: {msg}")]
    Transport { url: String, msg: String },
    #[error("the CRL from {url} is malformed: {msg}")]
    BadCrl { url: String, msg: String },
    #[error("OCSP: {0}")]
    Ocsp(#[from] OcspError),
    #[error("the HTTP client could not be set up: {0}")]
    Setup(String),
}

/// An OCSP response as obtained by [`RevocationFetcher::fetch_ocsp`] (not yet verified).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedOcsp {
    pub der: Vec<u8>,
    /// The nonce sent with the request (`None` when taken from the cache).
    pub nonce: Option<Vec<u8>>,
    pub from_cache: bool,
}

#[derive(Clone, Debug)]
struct Entry {
    der: Vec<u8>,
    next_update: Option<OffsetDateTime>,
}

/// Fetches and caches CRLs and OCSP responses.
#[derive(Debug)]
pub struct RevocationFetcher {
    client: Option<reqwest::blocking::Client>,
    config: FetchConfig,
    cache: Mutex<HashMap<String, Entry>>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn crl_next_update(der: &[u8]) -> Option<OffsetDateTime> {
    let crl = CertificateList::from_der(der).ok()?;
    let t = crl.tbs_cert_list.next_update?.to_unix_duration().as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(t).ok()?).ok()
}

fn http_uri(gn: &GeneralName) -> Option<String> {
    match gn {
        GeneralName::UniformResourceIdentifier(u)
            if u.as_str().to_ascii_lowercase().starts_with("http://") =>
        {
            Some(u.as_str().to_string())
        }
        _ => None,
    }
}

/// HTTP URLs of the certificate's CRL distribution points (fullName form).
pub fn crl_urls(cert: &Certificate) -> Vec<String> {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == rfc5280::ID_CE_CRL_DISTRIBUTION_POINTS)
        .filter_map(|e| CrlDistributionPoints::from_der(e.extn_value.as_bytes()).ok())
        .flat_map(|d| d.0)
        .filter_map(|dp| match dp.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        })
        .flatten()
        .filter_map(|gn| http_uri(&gn))
        .collect()
}

/// HTTP URLs of the certificate's OCSP responders (authorityInfoAccess, id-ad-ocsp).
pub fn ocsp_urls(cert: &Certificate) -> Vec<String> {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == rfc5280::ID_PE_AUTHORITY_INFO_ACCESS)
        .filter_map(|e| AuthorityInfoAccessSyntax::from_der(e.extn_value.as_bytes()).ok())
        .flat_map(|a| a.0)
        .filter(|ad| ad.access_method == rfc5912::ID_AD_OCSP)
        .filter_map(|ad| http_uri(&ad.access_location))
        .collect()
}

impl RevocationFetcher {
    /// A fetcher with `config`. In offline mode no HTTP client is created at all.
    pub fn new(config: FetchConfig) -> Result<Self, FetchError> {
        let client = if config.offline {
            None
        } else {
            let mut b = reqwest::blocking::Client::builder()
                .no_proxy()
                .connect_timeout(config.connect_timeout)
                .timeout(config.total_timeout)
                .redirect(reqwest::redirect::Policy::limited(3));
            if let Some(p) = &config.proxy {
                let proxy =
                    reqwest::Proxy::http(p).map_err(|e| FetchError::Setup(e.to_string()))?;
                b = b.proxy(proxy);
            }
            Some(b.build().map_err(|e| FetchError::Setup(e.to_string()))?)
        };
        Ok(RevocationFetcher {
            client,
            config,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    fn crl_key(url: &str) -> String {
        format!("crl {url}")
    }

    fn ocsp_key(url: &str, cert: &Certificate, issuer: &Certificate) -> Result<String, OcspError> {
        let id = ocsp::cert_id(cert, issuer)?;
        Ok(format!(
            "ocsp {url} {} {} {}",
            hex(id.issuer_name_hash.as_bytes()),
            hex(id.issuer_key_hash.as_bytes()),
            hex(id.serial_number.as_bytes())
        ))
    }

    /// Adds a CRL (e.g. embedded in a record) to the cache under its distribution point URL.
    pub fn insert_crl(&self, url: &str, der: Vec<u8>) {
        let next_update = crl_next_update(&der);
        self.store(Self::crl_key(url), Entry { der, next_update });
    }

    /// Adds an OCSP response (e.g. embedded in a record) for (`cert`, `issuer`) from `url`.
    pub fn insert_ocsp(
        &self,
        url: &str,
        cert: &Certificate,
        issuer: &Certificate,
        der: Vec<u8>,
    ) -> Result<(), FetchError> {
        let next_update = ocsp::next_update_hint(&der);
        self.store(
            Self::ocsp_key(url, cert, issuer)?,
            Entry { der, next_update },
        );
        Ok(())
    }

    fn cache_path(&self, key: &str) -> Option<PathBuf> {
        let dir = self.config.cache_dir.as_ref()?;
        Some(dir.join(format!(
            "{}.der",
            hex(&DigestAlgorithm::Sha256.digest(key.as_bytes()))
        )))
    }

    fn store(&self, key: String, entry: Entry) {
        if let Some(p) = self.cache_path(&key) {
            // The directory cache is best effort: a failed write only costs a refetch.
            // Written under a temporary name and renamed, so readers never see half a file.
            let tmp = p.with_extension(format!("tmp{}", std::process::id()));
            let _ = std::fs::create_dir_all(p.parent().unwrap_or(&p))
                .and_then(|()| std::fs::write(&tmp, &entry.der))
                .and_then(|()| std::fs::rename(&tmp, &p));
        }
        if let Ok(mut c) = self.cache.lock() {
            c.insert(key, entry);
        }
    }

    /// A cached entry: usable online only while `at` ≤ nextUpdate; offline, any cached entry
    /// is returned and verification judges its freshness.
    fn lookup(
        &self,
        key: &str,
        at: OffsetDateTime,
        next_update: fn(&[u8]) -> Option<OffsetDateTime>,
    ) -> Option<Vec<u8>> {
        let mut entry = self.cache.lock().ok()?.get(key).cloned();
        if entry.is_none() {
            let p = self.cache_path(key)?;
            let meta = std::fs::metadata(&p).ok()?;
            if meta.len() > self.config.max_response_size as u64 {
                return None;
            }
            let der = std::fs::read(&p).ok()?;
            let e = Entry {
                next_update: next_update(&der),
                der,
            };
            if let Ok(mut c) = self.cache.lock() {
                c.insert(key.to_string(), e.clone());
            }
            entry = Some(e);
        }
        let e = entry?;
        if self.config.offline || e.next_update.is_some_and(|n| at <= n) {
            Some(e.der)
        } else {
            None
        }
    }

    fn client(
        &self,
        what: &'static str,
        url: &str,
    ) -> Result<&reqwest::blocking::Client, FetchError> {
        self.client
            .as_ref()
            .ok_or_else(|| FetchError::NotAvailableOffline {
                what,
                url: url.to_string(),
            })
    }

    fn read_body(
        &self,
        url: &str,
        resp: reqwest::blocking::Response,
    ) -> Result<Vec<u8>, FetchError> {
        let max = self.config.max_response_size;
        let status = resp.status();
        if !status.is_success() {
            return Err(FetchError::HttpStatus {
                url: url.into(),
                status: status.as_u16(),
            });
        }
        if resp.content_length().is_some_and(|l| l > max as u64) {
            return Err(FetchError::TooLarge {
                url: url.into(),
                max,
            });
        }
        let mut body = Vec::new();
        resp.take(max as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| transport(url, &e))?;
        if body.len() > max {
            return Err(FetchError::TooLarge {
                url: url.into(),
                max,
            });
        }
        Ok(body)
    }

    /// The CRL at `url` (HTTP), from the cache while current at `at`.
    pub fn fetch_crl(&self, url: &str, at: OffsetDateTime) -> Result<CertificateList, FetchError> {
        let der = self.fetch_crl_der(url, at)?;
        CertificateList::from_der(&der).map_err(|e| FetchError::BadCrl {
            url: url.into(),
            msg: e.to_string(),
        })
    }

    /// Like [`Self::fetch_crl`], but the CRL's bytes as received (for archiving); they are
    /// known to decode as a CRL.
    pub fn fetch_crl_der(&self, url: &str, at: OffsetDateTime) -> Result<Vec<u8>, FetchError> {
        let key = Self::crl_key(url);
        let der = match self.lookup(&key, at, crl_next_update) {
            Some(d) => d,
            None => {
                let client = self.client("a CRL", url)?;
                let resp = client.get(url).send().map_err(|e| transport(url, &e))?;
                let der = self.read_body(url, resp)?;
                CertificateList::from_der(&der).map_err(|e| FetchError::BadCrl {
                    url: url.into(),
                    msg: e.to_string(),
                })?;
                self.insert_crl(url, der.clone());
                return Ok(der);
            }
        };
        // A cached file may have been damaged on disk.
        CertificateList::from_der(&der).map_err(|e| FetchError::BadCrl {
            url: url.into(),
            msg: e.to_string(),
        })?;
        Ok(der)
    }

    /// The first CRL obtainable from `cert`'s HTTP distribution points.
    pub fn crl_for(
        &self,
        cert: &Certificate,
        at: OffsetDateTime,
    ) -> Result<CertificateList, FetchError> {
        let mut last = FetchError::NoLocation("CRL distribution point");
        for url in crl_urls(cert) {
            match self.fetch_crl(&url, at) {
                Ok(c) => return Ok(c),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// OCSP response DER for (`cert`, `issuer`) from `url`: from the cache while current at
    /// `at`, else by POST.
    pub fn fetch_ocsp(
        &self,
        url: &str,
        cert: &Certificate,
        issuer: &Certificate,
        at: OffsetDateTime,
    ) -> Result<FetchedOcsp, FetchError> {
        let key = Self::ocsp_key(url, cert, issuer)?;
        if let Some(der) = self.lookup(&key, at, ocsp::next_update_hint) {
            return Ok(FetchedOcsp {
                der,
                nonce: None,
                from_cache: true,
            });
        }
        let client = self.client("an OCSP response", url)?;
        let nonce = self.config.send_nonce.then(ocsp::random_nonce);
        let req = ocsp::build_request(cert, issuer, nonce.as_deref())?;
        let resp = client
            .post(url)
            .header("Content-Type", "application/ocsp-request")
            .header("Accept", "application/ocsp-response")
            .body(req.der)
            .send()
            .map_err(|e| transport(url, &e))?;
        let der = self.read_body(url, resp)?;
        Ok(FetchedOcsp {
            der,
            nonce,
            from_cache: false,
        })
    }

    /// Fetches (or takes from the cache) and verifies the OCSP status of `cert` at `opts.at`,
    /// trying the AIA OCSP URLs in order. Verified responses are cached.
    pub fn check_ocsp(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        opts: &OcspCheckOptions,
    ) -> Result<OcspVerified, FetchError> {
        let mut last = FetchError::NoLocation("OCSP");
        for url in ocsp_urls(cert) {
            match self.check_ocsp_at(&url, cert, issuer, opts) {
                Ok(v) => return Ok(v),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Like [`Self::check_ocsp`] with an explicit responder URL.
    pub fn check_ocsp_at(
        &self,
        url: &str,
        cert: &Certificate,
        issuer: &Certificate,
        opts: &OcspCheckOptions,
    ) -> Result<OcspVerified, FetchError> {
        let f = self.fetch_ocsp(url, cert, issuer, opts.at)?;
        let mut o = opts.clone();
        if f.nonce.is_some() {
            o.nonce = f.nonce;
        }
        let v = ocsp::verify_response(&f.der, cert, issuer, &o)?;
        if !f.from_cache {
            self.insert_ocsp(url, cert, issuer, f.der)?;
        }
        Ok(v)
    }
}

fn transport(url: &str, e: &(dyn std::error::Error + 'static)) -> FetchError {
    // reqwest wraps timeouts (also those hit while reading the body) in its error chain.
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(r) = s.downcast_ref::<reqwest::Error>() {
            if r.is_timeout() {
                return FetchError::Timeout { url: url.into() };
            }
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return FetchError::Timeout { url: url.into() };
            }
        }
        src = s.source();
    }
    FetchError::Transport {
        url: url.into(),
        msg: e.to_string(),
    }
}
