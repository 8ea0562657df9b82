//! The archive's configuration (`stele.toml`).
//!
//! Every key has a default, so an empty file is a valid configuration; unknown keys are refused
//! so a misspelt key is never silently ignored. Relative paths in the file are resolved against
//! the folder holding it, so an archive folder can be moved as a whole. S3 credentials are never
//! in the file: the caller supplies them (the CLI reads the usual `AWS_*` variables).
//!
//! [`Config::to_documented_toml`] writes a file with a comment above every key; `stele init`
//! writes that file.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use stele_asn1::DigestAlgorithm;
use stele_pki::AlgorithmPolicy;

/// The file name `stele init` writes and the CLI looks for.
pub const CONFIG_FILE_NAME: &str = "stele.toml";

/// Why a configuration cannot be used. Every message names the file and, where it applies, the
/// section and key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not TOML, an unknown key, or a value of the wrong type.
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    /// A value of the right type that is not acceptable.
    #[error("{file}: [{section}] {key}: {problem}")]
    Value {
        file: String,
        section: &'static str,
        key: &'static str,
        problem: String,
    },
    /// The algorithm policy named by `[policy] file` cannot be read or is invalid.
    #[error("{file}: [policy] file {path}: {problem}")]
    Policy {
        file: String,
        path: PathBuf,
        problem: String,
    },
}

/// `stele.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub store: StoreSection,
    pub signatures: SignaturesSection,
    pub policy: PolicySection,
    pub tsa: TsaSection,
    pub seal: SealSection,
    pub renewal: RenewalSection,
    pub index: IndexSection,
    pub server: ServerSection,
    /// The file this configuration was read from (for messages); `None` when made in memory.
    #[serde(skip)]
    file: Option<PathBuf>,
}

/// `[store]`: where the archive lives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// `file:///abs/path`, `s3://bucket/prefix`, or a path (relative to the config's folder).
    /// After loading, a path is always written as an absolute `file://` URL.
    pub url: String,
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_allow_http: bool,
    pub fsync: bool,
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection {
            url: "archive".into(),
            s3_endpoint: None,
            s3_region: None,
            s3_allow_http: false,
            fsync: true,
        }
    }
}

/// `[server]`: `stele serve`, the HTTP API and web UI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Address and port to listen on.
    pub listen: String,
    /// The address citizens reach the server at (`https://luutru.example.gov.vn`): the start of
    /// every public verification URL and QR code. `None`: `http://` + `listen`.
    pub public_url: Option<String>,
    /// The access tokens (`stele token add`): SHA-256 of each secret, its role and clearance.
    pub tokens_file: PathBuf,
    /// Largest upload accepted, in MiB.
    pub max_upload_mib: u32,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            listen: "127.0.0.1:8080".into(),
            public_url: None,
            tokens_file: PathBuf::from("tokens.toml"),
            max_upload_mib: 256,
        }
    }
}

impl ServerSection {
    /// Where public verification URLs start, without a trailing slash.
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }
}

/// `[index]`: the search index, derived from the store and rebuilt by `stele reindex`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndexSection {
    /// A local folder (each node keeps its own; it is never the only copy of anything).
    pub dir: PathBuf,
    /// Memory the index writer may buffer before it flushes a segment, in MiB.
    pub writer_mib: u32,
}

impl Default for IndexSection {
    fn default() -> Self {
        IndexSection {
            dir: PathBuf::from("index"),
            writer_mib: 256,
        }
    }
}

/// `[signatures]`: how the signatures of ingested documents are validated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignaturesSection {
    /// Root certificates trusted for document signatures: files or folders (PEM or DER).
    pub trust: Vec<PathBuf>,
    /// Intermediate CA certificates: files or folders.
    pub intermediates: Vec<PathBuf>,
    /// CRLs used besides embedded and fetched ones: files or folders.
    pub crls: Vec<PathBuf>,
    /// Folder caching fetched CRLs and OCSP responses.
    pub revocation_cache: PathBuf,
    /// Fetch nothing: use only embedded, configured and cached revocation data.
    pub offline: bool,
    /// Archive documents that carry no signature.
    pub allow_unsigned: bool,
}

impl Default for SignaturesSection {
    fn default() -> Self {
        SignaturesSection {
            trust: Vec::new(),
            intermediates: Vec::new(),
            crls: Vec::new(),
            revocation_cache: PathBuf::from("cache/revocation"),
            offline: false,
            allow_unsigned: false,
        }
    }
}

/// `[policy]`: the algorithm policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicySection {
    /// An algorithm-policy TOML (`[signature]` and `[hash_tree]` retirement dates).
    pub file: Option<PathBuf>,
}

/// `[tsa]`: where archive timestamps come from and which TSAs are trusted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TsaSection {
    /// RFC 3161 TSA URLs, tried in order.
    pub urls: Vec<String>,
    /// A folder made by `stele tsa init`, used when `urls` is empty.
    pub builtin: Option<PathBuf>,
    /// Certificates trusted as TSA anchors when verifying archive timestamps.
    pub trust: Vec<PathBuf>,
    pub timeout_seconds: u64,
}

impl Default for TsaSection {
    fn default() -> Self {
        TsaSection {
            urls: Vec::new(),
            builtin: None,
            trust: Vec::new(),
            timeout_seconds: 30,
        }
    }
}

/// `[seal]`: how pending records are sealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SealSection {
    pub hash: String,
    pub batch_size: u64,
    pub max_age_seconds: u64,
}

impl Default for SealSection {
    fn default() -> Self {
        SealSection {
            hash: "sha256".into(),
            batch_size: 10_000,
            max_age_seconds: 3600,
        }
    }
}

/// `[renewal]`: when and how archive timestamps and hash trees are renewed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RenewalSection {
    pub tsa_margin_days: u32,
    pub algorithm_margin_days: u32,
    pub max_age_days: Option<u32>,
    pub hash: String,
    pub lease_seconds: u64,
}

impl Default for RenewalSection {
    fn default() -> Self {
        RenewalSection {
            tsa_margin_days: 180,
            algorithm_margin_days: 365,
            max_age_days: None,
            hash: "sha512".into(),
            lease_seconds: 3600,
        }
    }
}

/// Longest margin or age accepted, in days (a century): bounds the date arithmetic.
const MAX_DAYS: u32 = 36_525;
/// Longest duration in seconds accepted for timeouts, ages and leases (a year).
const MAX_SECONDS: u64 = 366 * 24 * 3600;

impl Config {
    /// The defaults for an archive in `dir`: the store in `dir/archive`, the revocation cache in
    /// `dir/cache/revocation`. Give an absolute `dir` (a relative one is made absolute against
    /// the current folder).
    pub fn default_for(dir: &Path) -> Config {
        let mut config = Config::default();
        config.resolve(&absolute(dir));
        config
    }

    /// Reads and checks a `stele.toml`; relative paths are resolved against its folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Self::parse(&text, &path.display().to_string())?;
        let abs = absolute(path);
        let base = abs.parent().map(Path::to_path_buf).unwrap_or_default();
        config.resolve(&base);
        config.file = Some(abs);
        config.validate()?;
        Ok(config)
    }

    /// Parses TOML text without resolving paths; `file` names it in messages.
    fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Syntax {
            file: file.to_string(),
            message: describe_toml_error(text, &e),
        })
    }

    /// The file this configuration was loaded from, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    fn file_label(&self) -> String {
        self.file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| CONFIG_FILE_NAME.to_string())
    }

    fn value_error(
        &self,
        section: &'static str,
        key: &'static str,
        problem: String,
    ) -> ConfigError {
        ConfigError::Value {
            file: self.file_label(),
            section,
            key,
            problem,
        }
    }

    /// Makes every relative path absolute against `base`, and a store path a `file://` URL.
    fn resolve(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() && !p.as_os_str().is_empty() {
                *p = normalize(&base.join(&*p));
            }
        };
        let url = &mut self.store.url;
        if !url.contains("://") && !url.is_empty() {
            let mut p = PathBuf::from(url.as_str());
            fix(&mut p);
            *url = format!("file://{}", p.to_string_lossy());
        }
        let s = &mut self.signatures;
        s.trust.iter_mut().for_each(fix);
        s.intermediates.iter_mut().for_each(fix);
        s.crls.iter_mut().for_each(fix);
        fix(&mut s.revocation_cache);
        fix(&mut self.index.dir);
        fix(&mut self.server.tokens_file);
        if let Some(p) = &mut self.policy.file {
            fix(p);
        }
        if let Some(p) = &mut self.tsa.builtin {
            fix(p);
        }
        self.tsa.trust.iter_mut().for_each(fix);
    }

    /// Checks the values whose type alone does not make them acceptable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = &self.store.url;
        if !(url.starts_with("file:///") || url.starts_with("s3://")) {
            return Err(self.value_error(
                "store",
                "url",
                format!("`{url}` is neither file:///absolute/path, s3://bucket/prefix nor a path"),
            ));
        }
        if url == "s3://" || url.starts_with("s3:///") {
            return Err(self.value_error(
                "store",
                "url",
                format!("`{url}` names no bucket (expected s3://bucket/prefix)"),
            ));
        }
        if let Some(e) = &self.store.s3_endpoint {
            if !(e.starts_with("http://") || e.starts_with("https://")) {
                return Err(self.value_error(
                    "store",
                    "s3_endpoint",
                    format!("`{e}` is not an http(s) URL"),
                ));
            }
        }
        if self.signatures.revocation_cache.as_os_str().is_empty() {
            return Err(self.value_error(
                "signatures",
                "revocation_cache",
                "must not be empty".into(),
            ));
        }
        for u in &self.tsa.urls {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(self.value_error(
                    "tsa",
                    "urls",
                    format!("`{u}` is not an http(s) URL"),
                ));
            }
        }
        let seconds = |section, key, v: u64| {
            if v == 0 || v > MAX_SECONDS {
                Err(self.value_error(
                    section,
                    key,
                    format!("{v} is not between 1 and {MAX_SECONDS} seconds"),
                ))
            } else {
                Ok(())
            }
        };
        seconds("tsa", "timeout_seconds", self.tsa.timeout_seconds)?;
        seconds("seal", "max_age_seconds", self.seal.max_age_seconds)?;
        seconds("renewal", "lease_seconds", self.renewal.lease_seconds)?;
        self.seal_hash()?;
        self.renewal_hash()?;
        if self.seal.batch_size == 0 {
            return Err(self.value_error("seal", "batch_size", "must be at least 1".into()));
        }
        let days = |key, v: u32| {
            if v > MAX_DAYS {
                Err(self.value_error(
                    "renewal",
                    key,
                    format!("{v} days is more than the {MAX_DAYS} accepted"),
                ))
            } else {
                Ok(())
            }
        };
        days("tsa_margin_days", self.renewal.tsa_margin_days)?;
        days("algorithm_margin_days", self.renewal.algorithm_margin_days)?;
        if let Some(d) = self.renewal.max_age_days {
            if d == 0 {
                return Err(self.value_error(
                    "renewal",
                    "max_age_days",
                    "must be at least 1 (or left out)".into(),
                ));
            }
            days("max_age_days", d)?;
        }
        if !(1..=65536).contains(&self.server.max_upload_mib) {
            return Err(self.value_error(
                "server",
                "max_upload_mib",
                format!("{} is outside 1..=65536", self.server.max_upload_mib),
            ));
        }
        if let Some(u) = &self.server.public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(self.value_error(
                    "server",
                    "public_url",
                    format!("`{u}` must start with http:// or https://"),
                ));
            }
        }
        if !(16..=4000).contains(&self.index.writer_mib) {
            return Err(self.value_error(
                "index",
                "writer_mib",
                format!("{} is outside 16..=4000", self.index.writer_mib),
            ));
        }
        Ok(())
    }

    fn hash(&self, section: &'static str, name: &str) -> Result<DigestAlgorithm, ConfigError> {
        let alg = DigestAlgorithm::from_name(name).map_err(|e| {
            self.value_error(
                section,
                "hash",
                format!("{e} (expected sha256, sha384, sha512, sha3-256, sha3-384 or sha3-512)"),
            )
        })?;
        if matches!(alg, DigestAlgorithm::Sha1 | DigestAlgorithm::Sha224) {
            return Err(self.value_error(
                section,
                "hash",
                format!("{} is too weak for new archive evidence", alg.name()),
            ));
        }
        Ok(alg)
    }

    /// `[seal] hash`: the hash of new seal batches' trees.
    pub fn seal_hash(&self) -> Result<DigestAlgorithm, ConfigError> {
        self.hash("seal", &self.seal.hash)
    }

    /// `[renewal] hash`: the hash a hash-tree renewal moves to.
    pub fn renewal_hash(&self) -> Result<DigestAlgorithm, ConfigError> {
        self.hash("renewal", &self.renewal.hash)
    }

    /// The index writer's memory budget in bytes (tantivy needs at least 15 MB).
    pub fn index_writer_bytes(&self) -> usize {
        (self.index.writer_mib as usize) << 20
    }

    /// `[seal] batch_size`.
    pub fn seal_batch_size(&self) -> usize {
        usize::try_from(self.seal.batch_size).unwrap_or(usize::MAX)
    }

    /// `[seal] max_age_seconds`: the longest a record waits for its seal.
    pub fn seal_max_age(&self) -> time::Duration {
        seconds(self.seal.max_age_seconds)
    }

    /// `[renewal] tsa_margin_days`.
    pub fn tsa_margin(&self) -> time::Duration {
        time::Duration::days(i64::from(self.renewal.tsa_margin_days))
    }

    /// `[renewal] algorithm_margin_days`.
    pub fn algorithm_margin(&self) -> time::Duration {
        time::Duration::days(i64::from(self.renewal.algorithm_margin_days))
    }

    /// `[renewal] max_age_days`, if set.
    pub fn renewal_max_age(&self) -> Option<time::Duration> {
        self.renewal
            .max_age_days
            .map(|d| time::Duration::days(i64::from(d)))
    }

    /// `[renewal] lease_seconds`.
    pub fn lease_duration(&self) -> time::Duration {
        seconds(self.renewal.lease_seconds)
    }

    /// `[tsa] timeout_seconds`.
    pub fn tsa_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.tsa.timeout_seconds)
    }

    /// The algorithm policy: the defaults with `[policy] file` applied, if set.
    pub fn algorithm_policy(&self) -> Result<AlgorithmPolicy, ConfigError> {
        let Some(path) = &self.policy.file else {
            return Ok(AlgorithmPolicy::default());
        };
        let err = |problem: String| ConfigError::Policy {
            file: self.file_label(),
            path: path.clone(),
            problem,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        if meta.len() > 1024 * 1024 {
            return Err(err(format!(
                "{} bytes is too large for a policy file",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        AlgorithmPolicy::from_toml(&text).map_err(|e| err(e.to_string()))
    }

    /// The configuration as a TOML file with a comment above every key.
    pub fn to_documented_toml(&self) -> String {
        let mut w = Writer::default();
        w.raw("# Stele configuration. Every key may be left out (its default applies); unknown keys are refused.\n");
        w.raw("# Relative paths are resolved against the folder holding this file.\n");

        let st = &self.store;
        w.section(
            "store",
            "Where the archive lives: the single source of truth.",
        );
        w.key(
            "Store URL: file:///absolute/path, s3://bucket/prefix, or a path. S3 credentials are never kept here:\n\
             set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the environment.",
            "url",
            Some(string(&st.url)),
        );
        w.optional(
            "S3 endpoint of an S3-compatible service (e.g. http://127.0.0.1:8333); AWS itself when left out.",
            "s3_endpoint",
            st.s3_endpoint.as_deref().map(string),
            "\"http://127.0.0.1:8333\"",
        );
        w.optional(
            "S3 region (us-east-1 when left out).",
            "s3_region",
            st.s3_region.as_deref().map(string),
            "\"us-east-1\"",
        );
        w.key(
            "Allow a plain http:// S3 endpoint (loopback services, private networks).",
            "s3_allow_http",
            Some(st.s3_allow_http.to_string()),
        );
        w.key(
            "Local stores: flush every write to disk before it is acknowledged (survives power loss).",
            "fsync",
            Some(st.fsync.to_string()),
        );

        let s = &self.signatures;
        w.section(
            "signatures",
            "How the signatures of ingested documents are validated.",
        );
        w.key(
            "Root certificates trusted for document signatures: files or folders of PEM/DER certificates.\n\
             Without any, no certificate path can be trusted and verdicts are INDETERMINATE.",
            "trust",
            Some(paths(&s.trust)),
        );
        w.key(
            "Intermediate CA certificates: files or folders.",
            "intermediates",
            Some(paths(&s.intermediates)),
        );
        w.key(
            "CRLs (DER or PEM) used besides those embedded or fetched: files or folders.",
            "crls",
            Some(paths(&s.crls)),
        );
        w.key(
            "Folder caching fetched CRLs and OCSP responses.",
            "revocation_cache",
            Some(path(&s.revocation_cache)),
        );
        w.key(
            "Fetch nothing: use only embedded, configured and cached revocation data.",
            "offline",
            Some(s.offline.to_string()),
        );
        w.key(
            "Archive documents that carry no signature (otherwise they are rejected).",
            "allow_unsigned",
            Some(s.allow_unsigned.to_string()),
        );

        w.section("policy", "Which algorithms are acceptable, and until when.");
        w.optional(
            "Algorithm-policy TOML with [signature] and [hash_tree] retirement dates; built-in dates when left out.",
            "file",
            self.policy.file.as_deref().map(path),
            "\"policy.toml\"",
        );

        let t = &self.tsa;
        w.section(
            "tsa",
            "Time-stamp authorities (RFC 3161) for seals and renewals.",
        );
        w.key(
            "TSA URLs, tried in order.",
            "urls",
            Some(list(t.urls.iter().map(|u| string(u)))),
        );
        w.optional(
            "A built-in TSA folder (made by `stele tsa init`), used when urls is empty. Not accredited:\n\
             for tests and embedded use only.",
            "builtin",
            t.builtin.as_deref().map(path),
            "\"tsa\"",
        );
        w.key(
            "Certificates (files or folders) trusted as TSA anchors when verifying archive timestamps.\n\
             Keep old ones listed: evidence made with them must stay verifiable for decades.",
            "trust",
            Some(paths(&t.trust)),
        );
        w.key(
            "Seconds allowed for one request to a TSA.",
            "timeout_seconds",
            Some(t.timeout_seconds.to_string()),
        );

        let se = &self.seal;
        w.section(
            "seal",
            "Sealing: pending records are hashed into one tree whose root is timestamped.",
        );
        w.key(
            "Hash algorithm of new seal trees (sha256, sha384, sha512, sha3-256, sha3-384, sha3-512).",
            "hash",
            Some(string(&se.hash)),
        );
        w.key(
            "Most records in one seal batch.",
            "batch_size",
            Some(se.batch_size.to_string()),
        );
        w.key(
            "Longest time in seconds a record waits for its seal.",
            "max_age_seconds",
            Some(se.max_age_seconds.to_string()),
        );

        let r = &self.renewal;
        w.section(
            "renewal",
            "Renewal: new archive timestamps before old ones lose their force.",
        );
        w.key(
            "Renew a chain this many days before its TSA certificate expires.",
            "tsa_margin_days",
            Some(r.tsa_margin_days.to_string()),
        );
        w.key(
            "Renew this many days before an algorithm in use is retired by the policy.",
            "algorithm_margin_days",
            Some(r.algorithm_margin_days.to_string()),
        );
        w.optional(
            "Renew any chain whose newest timestamp is older than this many days (no limit when left out).",
            "max_age_days",
            r.max_age_days.map(|d| d.to_string()),
            "730",
        );
        w.key(
            "Hash algorithm a hash-tree renewal moves to.",
            "hash",
            Some(string(&r.hash)),
        );
        w.key(
            "Seconds a node holds the renewal lease before another may take over.",
            "lease_seconds",
            Some(r.lease_seconds.to_string()),
        );

        let i = &self.index;
        w.section(
            "index",
            "The search index: derived from the store, rebuilt by `stele reindex`, local to each node.",
        );
        w.key("Folder of the index.", "dir", Some(path(&i.dir)));
        w.key(
            "Memory the index writer buffers before writing a segment, in MiB (at least 16).",
            "writer_mib",
            Some(i.writer_mib.to_string()),
        );

        let sv = &self.server;
        w.section(
            "server",
            "`stele serve`: the HTTP API (/api/v1/) and the web UI.",
        );
        w.key(
            "Address and port to listen on.",
            "listen",
            Some(string(&sv.listen)),
        );
        w.optional(
            "The address citizens reach the server at: every public verification URL and QR code starts\n\
             with it. By default http:// and the listen address.",
            "public_url",
            sv.public_url.as_deref().map(string),
            "\"https://luutru.example.gov.vn\"",
        );
        w.key(
            "The access tokens, added by `stele token add NAME --role reader|archivist|legal|admin`.",
            "tokens_file",
            Some(path(&sv.tokens_file)),
        );
        w.key(
            "Largest upload accepted, in MiB.",
            "max_upload_mib",
            Some(sv.max_upload_mib.to_string()),
        );
        w.out
    }
}

fn seconds(s: u64) -> time::Duration {
    time::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX))
}

/// Builds the documented file.
#[derive(Default)]
struct Writer {
    out: String,
}

impl Writer {
    fn raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn section(&mut self, name: &str, doc: &str) {
        self.out.push('\n');
        self.comment(doc);
        self.out.push_str(&format!("[{name}]\n"));
    }

    fn comment(&mut self, doc: &str) {
        for line in doc.lines() {
            self.out.push_str("# ");
            self.out.push_str(line.trim_start());
            self.out.push('\n');
        }
    }

    /// A documented key.
    fn key(&mut self, doc: &str, key: &str, value: Option<String>) {
        self.optional(doc, key, value, "");
    }

    /// A documented optional key; when unset it is written commented out with an example.
    fn optional(&mut self, doc: &str, key: &str, value: Option<String>, example: &str) {
        self.out.push('\n');
        self.comment(doc);
        match value {
            Some(v) => self.out.push_str(&format!("{key} = {v}\n")),
            None => self.out.push_str(&format!("# {key} = {example}\n")),
        }
    }
}

/// A TOML string literal.
fn string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn path(p: &Path) -> String {
    string(&p.to_string_lossy())
}

fn paths(ps: &[PathBuf]) -> String {
    list(ps.iter().map(|p| path(p)))
}

fn list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    format!("[{}]", items.join(", "))
}

/// `path` made absolute against the current folder (without touching the file system).
fn absolute(path: &Path) -> PathBuf {
    normalize(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// Removes `.` components and resolves `..` lexically (`/a/b/../c` → `/a/c`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// toml's message on one line, with the line number, section and key it is about.
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().replace('\n', " ");
    let Some(span) = e.span() else {
        return message;
    };
    let start = span.start.min(text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_text = text[line_start..].lines().next().unwrap_or("");
    let section = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.ends_with(']'))
        .map(|l| format!("{l} "))
        .unwrap_or_default();
    match line_text.split_once('=') {
        Some((key, _)) if !key.trim().starts_with('#') => {
            format!("line {line}: {section}{}: {message}", key.trim())
        }
        _ => format!("line {line}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join(CONFIG_FILE_NAME);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn documented_toml_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default_for(dir.path());
        config.tsa.urls = vec!["http://tsa.example/\"quoted\"".into()];
        config.tsa.builtin = Some(dir.path().join("tsa"));
        config.tsa.trust = vec![dir.path().join("tsa/root.pem")];
        config.signatures.trust = vec![dir.path().join("roots")];
        config.renewal.max_age_days = Some(730);
        config.store.s3_region = Some("eu-west-1".into());
        let text = config.to_documented_toml();
        let loaded = Config::load(&write(dir.path(), &text)).unwrap();
        assert_eq!(loaded.file(), Some(&*dir.path().join(CONFIG_FILE_NAME)));
        let mut without_file = loaded.clone();
        without_file.file = None;
        assert_eq!(without_file, config, "{text}");

        // Every key is documented: the line above each `key =` line is a comment.
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if l.contains(" =") && !l.starts_with('#') {
                assert!(lines[i - 1].starts_with("# "), "{l} undocumented");
            }
        }
        // The defaults as written load back to the same configuration too.
        let default = Config::default_for(dir.path());
        let again = Config::load(&write(dir.path(), &default.to_documented_toml())).unwrap();
        assert_eq!(
            again.store.url,
            format!("file://{}/archive", dir.path().display())
        );
        assert_eq!(again.seal_hash().unwrap(), DigestAlgorithm::Sha256);
        assert_eq!(again.renewal_hash().unwrap(), DigestAlgorithm::Sha512);

        // Each key left out is shown commented out with an example that works uncommented.
        let uncommented: String = default
            .to_documented_toml()
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest)
                    if rest
                        .split_once(" = ")
                        .is_some_and(|(k, _)| !k.contains(' ')) =>
                {
                    rest.to_string() + "\n"
                }
                _ => l.to_string() + "\n",
            })
            .collect();
        let all = Config::load(&write(dir.path(), &uncommented)).unwrap();
        assert_eq!(all.renewal.max_age_days, Some(730));
        assert_eq!(all.tsa.builtin, Some(dir.path().join("tsa")));
        assert!(all.store.s3_endpoint.is_some() && all.store.s3_region.is_some());
        assert!(all.policy.file.is_some());
    }

    #[test]
    fn empty_file_gives_defaults_and_relative_paths_follow_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("conf");
        std::fs::create_dir(&sub).unwrap();
        let p = write(
            &sub,
            "[store]\nurl = \"../data\"\n[signatures]\ntrust = [\"roots\", \"/etc/roots\"]\n[tsa]\nbuiltin = \"./tsa\"\n",
        );
        let c = Config::load(&p).unwrap();
        assert_eq!(c.store.url, format!("file://{}/data", dir.path().display()));
        assert_eq!(
            c.signatures.trust,
            [sub.join("roots"), PathBuf::from("/etc/roots")]
        );
        assert_eq!(c.tsa.builtin, Some(sub.join("tsa")));
        assert_eq!(c.signatures.revocation_cache, sub.join("cache/revocation"));
        assert_eq!(c.seal.batch_size, 10_000);
        let p = write(dir.path(), "");
        assert_eq!(Config::load(&p).unwrap().renewal.tsa_margin_days, 180);
    }

    #[test]
    fn unknown_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "[store]\nfsync = true\nfsnyc = false\n");
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("fsnyc"), "{e}");
        assert!(e.contains("line 3: [store] fsnyc: unknown field"), "{e}");
        assert!(e.contains(CONFIG_FILE_NAME), "{e}");
        let p = write(dir.path(), "[stor]\n");
        let e = Config::load(&p).unwrap_err().to_string();
        assert!(e.contains("stor"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let dir = tempfile::tempdir().unwrap();
        for (text, needle) in [
            (
                "[seal]\nhash = \"md5\"\n",
                "[seal] hash: unsupported digest algorithm md5",
            ),
            (
                "[renewal]\nhash = \"sha1\"\n",
                "[renewal] hash: sha1 is too weak",
            ),
            ("[seal]\nbatch_size = 0\n", "[seal] batch_size"),
            ("[tsa]\nurls = [\"ftp://x\"]\n", "[tsa] urls: `ftp://x`"),
            ("[tsa]\ntimeout_seconds = 0\n", "[tsa] timeout_seconds"),
            ("[store]\nurl = \"gs://bucket\"\n", "[store] url"),
            (
                "[seal]\nbatch_size = \"ten\"\n",
                "[seal] batch_size: invalid type",
            ),
            ("[seal]\nbatch_size = -1\n", "[seal] batch_size:"),
            ("[signatures]\noffline = \"yes\"\n", "[signatures] offline:"),
            ("[renewal]\nmax_age_days = 0\n", "[renewal] max_age_days"),
        ] {
            let e = Config::load(&write(dir.path(), text))
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{text}: {e}");
            assert!(e.contains(CONFIG_FILE_NAME), "{e}");
        }
        let e = Config::load(&dir.path().join("absent.toml")).unwrap_err();
        assert!(e.to_string().contains("absent.toml"), "{e}");
    }

    #[test]
    fn algorithm_policy_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let c = Config::load(&write(dir.path(), "")).unwrap();
        assert_eq!(c.algorithm_policy().unwrap(), AlgorithmPolicy::default());
        std::fs::write(
            dir.path().join("policy.toml"),
            "[hash_tree]\nsha256 = 2031-01-01\n",
        )
        .unwrap();
        let c = Config::load(&write(dir.path(), "[policy]\nfile = \"policy.toml\"\n")).unwrap();
        assert_ne!(c.algorithm_policy().unwrap(), AlgorithmPolicy::default());
        std::fs::write(dir.path().join("policy.toml"), "[hash_tree]\nsha256 = 7\n").unwrap();
        let e = c.algorithm_policy().unwrap_err().to_string();
        assert!(e.contains("policy.toml") && e.contains("sha256"), "{e}");
        let c = Config::load(&write(dir.path(), "[policy]\nfile = \"nope.toml\"\n")).unwrap();
        let e = c.algorithm_policy().unwrap_err().to_string();
        assert!(e.contains("nope.toml"), "{e}");
    }
}
