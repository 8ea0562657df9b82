//! What the archive commands share: the global flags (`--config`, `--now`), the loaded
//! configuration, the store, the clock, and the services built from them (signature validator,
//! archive, time-stamper, TSA anchors). Also the certificate and CRL file helpers `stele check`
//! uses.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use der::Decode;
use futures::{StreamExt, TryStreamExt};
use stele_archive::config::{Config, CONFIG_FILE_NAME};
use stele_archive::{read_certificates, Archive, IngestPolicy, TimeStamper};
use stele_pki::fetch::{FetchConfig, RevocationFetcher};
use stele_pki::TrustStore;
use stele_sig::SignatureValidator;
use stele_store::{RecordId, Store, StoreConfig};
use stele_tsp::{ClientOptions, Clock, FixedClock, LocalTsa, SystemClock, TsaClient};
use time::OffsetDateTime;
use x509_cert::Certificate;

use crate::{parse_time, UsageError};

/// Largest document, detached content or CRL file read (the PDF reader has its own, equal cap).
pub const MAX_INPUT: u64 = stele_sig::DEFAULT_MAX_FILE_LEN as u64;

/// Flags every command accepts.
#[derive(Args, Clone, Debug, Default)]
pub struct GlobalArgs {
    /// The configuration file [default: $STELE_CONFIG, else stele.toml in the current folder].
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Act as if it were this time (RFC 3339, e.g. 2029-06-01T00:00:00Z): validation, ingest
    /// dates and the built-in TSA's tokens use it. For planning and tests.
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_time)]
    pub now: Option<OffsetDateTime>,
}

impl GlobalArgs {
    /// The injected clock: fixed at `--now` when given, else the system clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        match self.now {
            Some(t) => Arc::new(FixedClock::new(t)),
            None => Arc::new(SystemClock),
        }
    }

    /// The configuration file to use, and whether it was named (by --config or STELE_CONFIG).
    pub fn config_path(&self) -> (PathBuf, bool) {
        if let Some(p) = &self.config {
            return (p.clone(), true);
        }
        match std::env::var_os("STELE_CONFIG") {
            Some(v) if !v.is_empty() => (PathBuf::from(v), true),
            _ => (PathBuf::from(CONFIG_FILE_NAME), false),
        }
    }
}

/// An open archive: configuration, store, clock and an async runtime for the store.
pub struct Context {
    pub config: Config,
    /// The configuration file, absolute.
    pub config_path: PathBuf,
    // Declared before the runtime: dropped while it still runs.
    store: Store,
    clock: Arc<dyn Clock>,
    runtime: tokio::runtime::Runtime,
}

impl Context {
    /// Loads the configuration and opens the store. A missing configuration is a usage error
    /// that says to run `stele init`.
    pub fn open(global: &GlobalArgs) -> Result<Context, UsageError> {
        let (path, named) = global.config_path();
        let path = absolute(&path)?;
        if !path.is_file() {
            return Err(UsageError(if named {
                format!(
                    "no configuration file {}: run `stele init` first (or pass --config)",
                    path.display()
                )
            } else {
                format!("no {CONFIG_FILE_NAME} here: run `stele init` first (or pass --config)")
            }));
        }
        let config = Config::load(&path)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| UsageError(format!("cannot start the async runtime: {e}")))?;
        let store = Store::open(&config.store.url, &store_config(&config))
            .map_err(|e| UsageError(format!("{}: [store] url: {e}", path.display())))?;
        Ok(Context {
            config,
            config_path: path,
            store,
            clock: global.clock(),
            runtime,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The current time by the injected clock.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Runs a future on the context's runtime. Not to be called from async code.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The runtime the store's reads run on, for library code that is blocking itself.
    pub fn runtime(&self) -> &tokio::runtime::Handle {
        self.runtime.handle()
    }

    /// The search index of `[index] dir` (made empty if absent). Its errors name the folder
    /// and, for an index of another Stele version, say to run `stele reindex`.
    pub fn search_index(&self) -> Result<stele_index::SearchIndex, UsageError> {
        stele_index::SearchIndex::open_or_create(&self.config.index.dir)
            .map_err(|e| UsageError(format!("{}: {e}", self.config.index.dir.display())))
    }

    /// The signature validator of `[signatures]` and `[policy]`: trust anchors, intermediates,
    /// CRLs, algorithm policy, and a revocation fetcher caching in `revocation_cache`.
    pub fn signature_validator(&self) -> Result<SignatureValidator, UsageError> {
        let s = &self.config.signatures;
        let in_config = |key: &str, e: UsageError| {
            UsageError(format!(
                "{}: [signatures] {key}: {}",
                self.config_path.display(),
                e.0
            ))
        };
        let validator =
            SignatureValidator::new(trust_store(&s.trust).map_err(|e| in_config("trust", e))?)
                .with_intermediates(
                    certificates(&s.intermediates).map_err(|e| in_config("intermediates", e))?,
                )
                .with_crls(crl_files(&s.crls).map_err(|e| in_config("crls", e))?)
                .with_policy(self.config.algorithm_policy()?);
        // A cache that cannot be created only costs refetching; say so and go on.
        if let Err(e) = std::fs::create_dir_all(&s.revocation_cache) {
            eprintln!(
                "warning: revocation cache {}: {e}",
                s.revocation_cache.display()
            );
        }
        let fetch = FetchConfig {
            offline: s.offline,
            cache_dir: Some(s.revocation_cache.clone()),
            ..FetchConfig::default()
        };
        // The fetcher owns reqwest's blocking client, which must be built (and dropped) off
        // the async runtime.
        let fetcher = if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|scope| {
                scope
                    .spawn(|| RevocationFetcher::new(fetch))
                    .join()
                    .map_err(|_| UsageError("setting up revocation fetching failed".into()))
            })?
        } else {
            RevocationFetcher::new(fetch)
        }
        .map_err(|e| UsageError(format!("cannot set up revocation fetching: {e}")))?;
        Ok(validator.with_fetcher(Arc::new(fetcher)))
    }

    /// The archive service with an explicit ingest policy (e.g. `--allow-unsigned`).
    pub fn archive_with(&self, policy: IngestPolicy) -> Result<Archive, UsageError> {
        Ok(Archive::new(
            self.store.clone(),
            self.signature_validator()?,
            self.clock.clone(),
            policy,
        ))
    }

    /// The time-stamper of `[tsa]`: the URLs in order, else the built-in TSA (signing with the
    /// injected clock). Blocking: call it outside async code (or in `spawn_blocking`).
    pub fn time_stamper(&self) -> Result<Box<dyn TimeStamper + Send + Sync>, UsageError> {
        let t = &self.config.tsa;
        let file = self.config_path.display();
        if !t.urls.is_empty() {
            let options = ClientOptions {
                total_timeout: self.config.tsa_timeout(),
                connect_timeout: self
                    .config
                    .tsa_timeout()
                    .min(ClientOptions::default().connect_timeout),
                ..ClientOptions::default()
            };
            let client = TsaClient::new(&t.urls, options)
                .map_err(|e| UsageError(format!("{file}: [tsa] urls: {e}")))?;
            return Ok(Box::new(client));
        }
        let Some(dir) = &t.builtin else {
            return Err(UsageError(format!(
                "{file}: no time-stamp authority configured: set [tsa] urls (or [tsa] builtin, a folder made by `stele tsa init`)"
            )));
        };
        let tsa = LocalTsa::open(dir, self.clock.clone()).map_err(|e| {
            UsageError(format!(
                "{file}: [tsa] builtin: cannot open the built-in TSA in {}: {e}",
                dir.display()
            ))
        })?;
        Ok(Box::new(tsa))
    }

    /// The certificates of `[tsa] trust`: anchors for archive timestamps.
    pub fn tsa_anchors(&self) -> Result<Vec<Certificate>, UsageError> {
        certificates(&self.config.tsa.trust).map_err(|e| {
            UsageError(format!(
                "{}: [tsa] trust: {}",
                self.config_path.display(),
                e.0
            ))
        })
    }

    /// A record by its full hex id or a unique prefix of at least 8 hex digits.
    pub fn record_id(&self, text: &str) -> Result<RecordId, UsageError> {
        let wanted = text.trim().to_ascii_lowercase();
        if wanted.len() < 8 || wanted.len() > 64 || !wanted.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(UsageError(format!(
                "`{text}` is not a record id: give the 64 hex digits, or at least the first 8"
            )));
        }
        if wanted.len() == 64 {
            let id = RecordId::new(wanted)?;
            return match self.block_on(self.store.get_manifest(&id)) {
                Ok(_) => Ok(id),
                Err(e) if e.is_not_found() => Err(UsageError(format!(
                    "no record {id} in {}",
                    self.store.url()
                ))),
                Err(e) => Err(UsageError(e.to_string())),
            };
        }
        let matches: Vec<RecordId> = self.block_on(
            self.store
                .list_records()
                .try_filter(|id| futures::future::ready(id.as_str().starts_with(&wanted)))
                .take(3)
                .try_collect(),
        )?;
        match matches.as_slice() {
            [] => Err(UsageError(format!(
                "no record id starts with {wanted} in {}",
                self.store.url()
            ))),
            [one] => Ok(one.clone()),
            several => Err(UsageError(format!(
                "{wanted} is ambiguous: it begins {} and more; give more digits",
                several
                    .iter()
                    .map(|i| i.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// The archive's hash-chained audit log, timed by the injected clock.
    pub fn audit_log(&self) -> stele_archive::AuditLog {
        stele_archive::AuditLog::new(self.store.clone(), self.clock.clone())
    }
}

/// `--jobs N`, or by default the number of CPUs.
pub fn jobs_or_cpus(jobs: Option<u16>) -> usize {
    jobs.map(usize::from).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

/// `[store]` plus the S3 credentials of the environment (never in the file).
fn store_config(config: &Config) -> StoreConfig {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    StoreConfig {
        s3_endpoint: config.store.s3_endpoint.clone(),
        s3_region: config.store.s3_region.clone(),
        s3_access_key_id: env("AWS_ACCESS_KEY_ID"),
        s3_secret_access_key: env("AWS_SECRET_ACCESS_KEY"),
        s3_session_token: env("AWS_SESSION_TOKEN"),
        s3_allow_http: config.store.s3_allow_http,
        fsync: config.store.fsync,
    }
}

/// `path` made absolute against the current folder.
pub fn absolute(path: &Path) -> Result<PathBuf, UsageError> {
    std::path::absolute(path)
        .map_err(|e| UsageError(format!("cannot resolve {}: {e}", path.display())))
}

/// Reads a file of at most [`MAX_INPUT`] bytes; `what` names it in messages.
pub fn read_capped(path: &Path, what: &str) -> Result<Vec<u8>, UsageError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| UsageError(format!("cannot read {what} {}: {e}", path.display())))?;
    if meta.is_dir() {
        return Err(UsageError(format!(
            "{what} {} is a folder, not a file",
            path.display()
        )));
    }
    if meta.len() > MAX_INPUT {
        return Err(UsageError(format!(
            "{what} {} is {} bytes, more than the {MAX_INPUT} accepted",
            path.display(),
            meta.len()
        )));
    }
    std::fs::read(path)
        .map_err(|e| UsageError(format!("cannot read {what} {}: {e}", path.display())))
}

/// Trust anchors from certificate files and folders.
pub fn trust_store(paths: &[PathBuf]) -> Result<TrustStore, UsageError> {
    let mut store = TrustStore::new();
    for c in certificates(paths)? {
        store.add(c);
    }
    Ok(store)
}

/// Every certificate of the files and folders (PEM or DER).
pub fn certificates(paths: &[PathBuf]) -> Result<Vec<Certificate>, UsageError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let dir = TrustStore::from_dir(p)
                .map_err(|e| UsageError(format!("certificates in {}: {e}", p.display())))?;
            out.extend(dir.anchors().iter().map(|a| a.certificate.clone()));
        } else {
            out.extend(read_certificates(p)?);
        }
    }
    Ok(out)
}

/// CRL files, or every file of a folder that is a CRL (DER, or PEM `X509 CRL`).
pub fn crl_files(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, UsageError> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| UsageError(format!("cannot read CRL folder {}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            entries.sort();
            files.extend(entries.into_iter().map(|p| (p, false)));
        } else {
            files.push((p.clone(), true));
        }
    }
    let mut out = Vec::new();
    for (path, named) in files {
        let bytes = read_capped(&path, "CRL")?;
        let der = if bytes.starts_with(b"-----BEGIN") {
            pem_body(&bytes)
        } else {
            Some(bytes)
        };
        match der {
            Some(d) if x509_cert::crl::CertificateList::from_der(&d).is_ok() => out.push(d),
            // In a folder, other files are skipped; a file named on the command line must be one.
            _ if !named => {}
            _ => {
                return Err(UsageError(format!(
                    "{} is not a CRL (DER or PEM)",
                    path.display()
                )))
            }
        }
    }
    Ok(out)
}

fn pem_body(bytes: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine;
    let text = std::str::from_utf8(bytes).ok()?;
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()
}
