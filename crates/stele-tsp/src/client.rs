//! RFC 3161 over HTTP (§3.4) with bounded retries and failover across an ordered list of TSAs.
//!
//! A token is returned only after it verified against its request (status, imprint, nonce,
//! policy, intact signature by the certificate the TSA was asked to include): an archive must
//! never seal with a token that a later verification would reject.
//!
//! Uses reqwest's blocking client: do not call from inside an async runtime (use
//! `spawn_blocking`).

use std::io::Read as _;
use std::time::Duration;

use stele_asn1::DigestAlgorithm;

use crate::request::{RequestError, TimeStampRequest};
use crate::response::{TimeStampResponse, MAX_RESPONSE_BYTES};
use crate::token::TimeStampToken;
use crate::verify::verify_response;

const QUERY_TYPE: &str = "application/timestamp-query";
const REPLY_TYPE: &str = "application/timestamp-reply";

/// Client behaviour. Defaults: 10 s to connect, 30 s per request, 2 retries per TSA starting
/// at 500 ms backoff (doubling), 1 MiB response cap.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    /// Whole request: connect, send, response headers and body.
    pub total_timeout: Duration,
    /// Further attempts per TSA after the first, for transient failures only.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
    /// Responses larger than this are abandoned while reading.
    pub max_response_bytes: usize,
    /// TSA policy to request (dotted OID), if any.
    pub policy: Option<String>,
    /// Explicit HTTP proxy URL. Proxy environment variables are never consulted.
    pub proxy: Option<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            retries: 2,
            backoff: Duration::from_millis(500),
            max_response_bytes: 1024 * 1024,
            policy: None,
            proxy: None,
        }
    }
}

/// What went wrong in one attempt at one TSA.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AttemptError {
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("timed out")]
    Timeout,
    #[error("HTTP transport error: {0}")]
    Transport(String),
    #[error("HTTP status {0}")]
    HttpStatus(u16),
    #[error("unexpected content type {0:?} (expected application/timestamp-reply)")]
    ContentType(String),
    #[error("response exceeds the {0}-byte limit")]
    TooLarge(usize),
    #[error("undecodable response: {0}")]
    Malformed(String),
    #[error("the TSA refused: {0}")]
    Rejected(String),
    #[error("response rejected: {0}")]
    Verification(String),
}

impl AttemptError {
    /// Whether trying the same TSA again might help.
    fn is_transient(&self) -> bool {
        match self {
            AttemptError::Connect(_) | AttemptError::Timeout | AttemptError::Transport(_) => true,
            AttemptError::HttpStatus(s) => *s >= 500 || *s == 429,
            _ => false,
        }
    }
}

/// One failed attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub url: String,
    /// 1-based attempt number at this URL.
    pub attempt: u32,
    pub error: AttemptError,
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (attempt {}): {}", self.url, self.attempt, self.error)
    }
}

fn list(attempts: &[Attempt]) -> String {
    attempts.iter().map(|a| format!("\n  - {a}")).collect()
}

/// Errors of [`TsaClient`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TsaError {
    #[error("no TSA URL configured")]
    NoUrls,
    #[error("invalid TSA URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("could not set up the HTTP client: {0}")]
    Setup(String),
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("every TSA failed:{}", list(.0))]
    AllFailed(Vec<Attempt>),
}

/// An HTTP time-stamping client over an ordered list of TSAs.
#[derive(Debug)]
pub struct TsaClient {
    urls: Vec<reqwest::Url>,
    options: ClientOptions,
    http: reqwest::blocking::Client,
}

impl TsaClient {
    /// A client for `urls`, tried in order.
    pub fn new<I, S>(urls: I, options: ClientOptions) -> Result<Self, TsaError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let urls = urls
            .into_iter()
            .map(|u| {
                let u = u.as_ref();
                let parsed = reqwest::Url::parse(u).map_err(|e| TsaError::InvalidUrl {
                    url: u.into(),
                    reason: e.to_string(),
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(TsaError::InvalidUrl {
                        url: u.into(),
                        reason: "only http and https are supported".into(),
                    });
                }
                Ok(parsed)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if urls.is_empty() {
            return Err(TsaError::NoUrls);
        }
        if let Some(p) = &options.policy {
            TimeStampRequest::new(DigestAlgorithm::Sha256, &[0; 32])?.with_policy(p)?;
        }
        let mut b = reqwest::blocking::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.total_timeout)
            .no_proxy()
            .user_agent(concat!("stele-tsp/", env!("CARGO_PKG_VERSION")));
        if let Some(p) = &options.proxy {
            b = b.proxy(reqwest::Proxy::all(p).map_err(|e| TsaError::Setup(e.to_string()))?);
        }
        let http = b.build().map_err(|e| TsaError::Setup(e.to_string()))?;
        Ok(TsaClient {
            urls,
            options,
            http,
        })
    }

    /// Time-stamps `digest`, trying each TSA in order with bounded retries, and returns the
    /// first token that verifies against the request.
    pub fn timestamp(
        &self,
        algorithm: DigestAlgorithm,
        digest: &[u8],
    ) -> Result<TimeStampToken, TsaError> {
        let mut failures = Vec::new();
        for url in &self.urls {
            for attempt in 1..=self.options.retries.saturating_add(1) {
                // A fresh nonce per attempt: a late answer to an earlier attempt is not ours.
                let mut req = TimeStampRequest::new(algorithm, digest)?;
                if let Some(p) = &self.options.policy {
                    req = req.with_policy(p)?;
                }
                match self.attempt(url, &req) {
                    Ok(token) => return Ok(token),
                    Err(error) => {
                        let transient = error.is_transient();
                        failures.push(Attempt {
                            url: url.to_string(),
                            attempt,
                            error,
                        });
                        if !transient || attempt > self.options.retries {
                            break;
                        }
                        let factor = 1u32 << (attempt - 1).min(6);
                        std::thread::sleep(self.options.backoff.saturating_mul(factor));
                    }
                }
            }
        }
        Err(TsaError::AllFailed(failures))
    }

    fn attempt(
        &self,
        url: &reqwest::Url,
        req: &TimeStampRequest,
    ) -> Result<TimeStampToken, AttemptError> {
        let cap = self.options.max_response_bytes.min(MAX_RESPONSE_BYTES);
        let resp = self
            .http
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, QUERY_TYPE)
            .body(req.to_der())
            .send()
            .map_err(classify)?;
        let status = resp.status();
        if !status.is_success() {
            return Err(AttemptError::HttpStatus(status.as_u16()));
        }
        let ctype = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let essence = ctype.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case(REPLY_TYPE) {
            return Err(AttemptError::ContentType(ctype));
        }
        if resp.content_length().is_some_and(|l| l > cap as u64) {
            return Err(AttemptError::TooLarge(cap));
        }
        let mut body = Vec::new();
        resp.take(cap as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| classify_io(&e))?;
        if body.len() > cap {
            return Err(AttemptError::TooLarge(cap));
        }
        let parsed = TimeStampResponse::from_ber(&body)
            .map_err(|e| AttemptError::Malformed(e.to_string()))?;
        if !parsed.status.is_granted() {
            return Err(AttemptError::Rejected(parsed.describe()));
        }
        verify_response(&parsed, req).map_err(|e| AttemptError::Verification(e.to_string()))?;
        parsed
            .token
            .ok_or_else(|| AttemptError::Verification("no token".into()))
    }
}

fn classify(e: reqwest::Error) -> AttemptError {
    if e.is_timeout() {
        AttemptError::Timeout
    } else if e.is_connect() {
        AttemptError::Connect(root_cause(&e))
    } else {
        AttemptError::Transport(root_cause(&e))
    }
}

fn classify_io(e: &std::io::Error) -> AttemptError {
    if e.kind() == std::io::ErrorKind::TimedOut {
        return AttemptError::Timeout;
    }
    if let Some(re) = e.get_ref().and_then(|i| i.downcast_ref::<reqwest::Error>()) {
        if re.is_timeout() {
            return AttemptError::Timeout;
        }
    }
    let text = root_cause(e);
    if text.contains("timed out") {
        AttemptError::Timeout
    } else {
        AttemptError::Transport(text)
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        msg = format!("{msg}: {s}");
        cur = s.source();
    }
    msg
}
