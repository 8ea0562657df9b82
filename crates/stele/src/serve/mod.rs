//! `stele serve`: the HTTP API under `/api/v1/` and the web UI, over one archive (DESIGN.md §6).
//!
//! The server runs on the archive context's own runtime: store reads, ingest and verification
//! are async and run on it directly; the search index (blocking) runs on `spawn_blocking`, and
//! the few CLI routines that drive the runtime themselves (`Context::block_on`) run on a plain
//! thread of their own ([`AppState::on_thread`]).
//!
//! Who may see what is decided in one place, [`AppState::visible_record`]: a secret record is
//! answered exactly like a missing one for a caller without clearance, so not even its
//! existence leaks.

mod api;
pub mod auth;
mod dashboard;
mod page;
mod public;
mod ui;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use clap::Args;
use stele_archive::audit_log::{AuditAction, AuditEvent, AuditLog};
use stele_archive::{
    EvidenceIndex, IngestPolicy, LongTermVerifier, RecordManifest, TokenChecker, VerifiedRecord,
};
use stele_pki::AlgorithmPolicy;
use stele_sig::SignatureValidator;
use stele_store::RecordId;
use time::OffsetDateTime;

use crate::context::{Context, GlobalArgs};
use crate::{clip, UsageError};
use auth::{Permission, Principal, Tokens};

#[derive(Args)]
pub struct ServeArgs {
    /// Listen on this address instead of `[server] listen` (port 0: any free port; the address
    /// is printed).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<String>,
}

pub fn run(global: &GlobalArgs, args: ServeArgs) -> Result<ExitCode, UsageError> {
    let ctx = Context::open(global)?;
    let listen = args
        .listen
        .unwrap_or_else(|| ctx.config.server.listen.clone());
    let addr: SocketAddr = listen.parse().map_err(|e| {
        UsageError(format!(
            "`{listen}` is not an address and port such as 127.0.0.1:8080: {e}"
        ))
    })?;
    let state = Arc::new(AppState::new(ctx)?);
    if state.tokens.count() == 0 {
        eprintln!(
            "note: no access tokens yet: only public verification pages answer; add one with `stele token add NAME --role admin`"
        );
    }
    let served = Arc::clone(&state);
    state.ctx.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| UsageError(format!("cannot listen on {addr}: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| UsageError(e.to_string()))?;
        // Tests and scripts read this line for the port.
        println!("stele serving http://{local}/ (API http://{local}/api/v1/)");
        let app = router(Arc::clone(&served));
        tokio::spawn(seal_when_due(Arc::clone(&served)));
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| UsageError(format!("server stopped: {e}")))
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Seals what uploads left pending once a `[seal]` threshold is reached (the nightly job seals
/// the rest): checked every minute, under the same lease as `stele seal`.
async fn seal_when_due(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let sealed = state
            .on_thread(|s| -> Result<bool, UsageError> {
                let stamper = std::sync::Arc::from(s.ctx.time_stamper()?);
                let settings = crate::evidence_cmd::seal_settings(&s.ctx)?;
                let outcome = s.ctx.block_on(stele_archive::seal_pending(
                    s.ctx.store(),
                    stamper,
                    &settings,
                    s.ctx.now(),
                    &stele_archive::JobHolder::this_process(),
                    false,
                ));
                match outcome {
                    Ok(stele_archive::SealOutcome::Sealed { batch, records, .. }) => {
                        eprintln!("sealed {records} record(s) in batch {batch}");
                        Ok(true)
                    }
                    Ok(_) => Ok(false),
                    Err(e) => Err(UsageError(format!(
                        "sealing failed, the records stay pending: {e}"
                    ))),
                }
            })
            .await;
        match sealed {
            Ok(Ok(true)) => state.evidence_changed(),
            Ok(Ok(false)) => {}
            Ok(Err(e)) => eprintln!("warning: {}", e.0),
            Err(e) => eprintln!("warning: {}", e.message),
        }
    }
}

fn router(state: Arc<AppState>) -> axum::Router {
    api::routes()
        .merge(ui::routes())
        .merge(public::routes())
        .merge(dashboard::routes())
        .layer(axum::middleware::from_fn(api::json_errors))
        .fallback(no_such_path)
        .with_state(state)
}

/// A path nothing answers: a JSON error under `/api/`, the not-found page elsewhere.
async fn no_such_path(v: ui::Visitor, uri: axum::http::Uri) -> Response {
    let e = ApiError::new(
        StatusCode::NOT_FOUND,
        "no_such_route",
        format!("nothing answers at {}", clip(uri.path(), 200)),
    );
    if uri.path().starts_with("/api/") {
        e.into_response()
    } else {
        page::error_page(v.lang, v.who.as_ref(), e)
    }
}

/// What every request handler shares.
pub(crate) struct AppState {
    pub ctx: Context,
    pub tokens: Tokens,
    /// `None` when the index could not be opened; search then answers with the reason.
    pub index: Result<stele_index::SearchIndex, String>,
    pub archive: stele_archive::Archive,
    pub archive_unsigned: stele_archive::Archive,
    pub public_base: String,
    pub max_upload: usize,
    /// One index writer at a time (tantivy allows one per index).
    pub index_writer: tokio::sync::Mutex<()>,
    pub audit_log: AuditLog,
    /// The archive's public verification codes (the key lives in the store).
    pub codes: stele_archive::VerificationCodes,
    pub public: public::PublicCache,
    pub facts: dashboard::FactsCache,
    verifier: Mutex<Option<(Instant, Arc<VerifierParts>)>>,
    /// One rebuild of the verifier at a time: requests arriving as it expires wait for it.
    verifier_rebuild: tokio::sync::Mutex<()>,
    /// Bounds the plain threads of [`AppState::on_thread`].
    threads: tokio::sync::Semaphore,
    /// Searches running at once: one per core. Searches are CPU-bound; beyond that they only
    /// share the cores and all finish later, while this (fair) queue serves them in order.
    pub searches: tokio::sync::Semaphore,
}

/// What long-term verification needs besides the store, built once and refreshed when the
/// evidence may have changed.
struct VerifierParts {
    index: EvidenceIndex,
    tokens: TokenChecker,
    validator: SignatureValidator,
    policy: AlgorithmPolicy,
}

/// How long the evidence index is reused before it is read again (seals and renewals made by
/// other processes show up within this time; those made here refresh it at once).
const EVIDENCE_TTL: Duration = Duration::from_secs(30);

impl AppState {
    fn new(ctx: Context) -> Result<AppState, UsageError> {
        let tokens = Tokens::open(&ctx.config.server.tokens_file).map_err(UsageError)?;
        let index = ctx.search_index().map_err(|e| e.0);
        if let Err(e) = &index {
            eprintln!("warning: search is unavailable: {e}");
        }
        let codes = crate::qr_cmd::verification_codes(&ctx)?;
        // The QR codes the server draws carry it: checked as `stele qr` checks it.
        let public_base = crate::qr_cmd::configured_base(&ctx)?;
        let allow_unsigned = ctx.config.signatures.allow_unsigned;
        let archive = ctx.archive_with(IngestPolicy { allow_unsigned })?;
        let archive_unsigned = ctx.archive_with(IngestPolicy {
            allow_unsigned: true,
        })?;
        Ok(AppState {
            public_base,
            max_upload: (ctx.config.server.max_upload_mib as usize) << 20,
            tokens,
            index,
            archive,
            archive_unsigned,
            index_writer: tokio::sync::Mutex::new(()),
            audit_log: ctx.audit_log(),
            codes,
            public: public::PublicCache::new(),
            facts: dashboard::FactsCache::new(),
            verifier: Mutex::new(None),
            verifier_rebuild: tokio::sync::Mutex::new(()),
            threads: tokio::sync::Semaphore::new(16),
            searches: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
            ctx,
        })
    }

    pub fn now(&self) -> OffsetDateTime {
        self.ctx.now()
    }

    /// Runs `f` on a plain thread (for code that calls `Context::block_on`), at most 16 at once.
    pub async fn on_thread<R: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&AppState) -> R + Send + 'static,
    ) -> Result<R, ApiError> {
        let _permit = self
            .threads
            .acquire()
            .await
            .map_err(|_| ApiError::internal("the server is shutting down"))?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let state = Arc::clone(self);
        std::thread::Builder::new()
            .name("stele-work".into())
            .spawn(move || {
                let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&state)));
                let _ = tx.send(out);
            })
            .map_err(|e| ApiError::internal(format!("cannot start a worker thread: {e}")))?;
        match rx.await {
            Ok(Ok(r)) => Ok(r),
            _ => Err(ApiError::internal("the request failed inside the server")),
        }
    }

    /// The search index, or why there is none.
    pub fn search_index(&self) -> Result<&stele_index::SearchIndex, ApiError> {
        self.index.as_ref().map_err(|e| ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "index_unavailable",
            message: format!("the search index cannot be used: {e}"),
        })
    }

    /// The record's manifest if the caller may see it. Missing, malformed ids and secret
    /// records without clearance all answer the same `no_such_record`.
    pub async fn visible_record(
        &self,
        caller: Option<&Principal>,
        id: &str,
    ) -> Result<(RecordId, RecordManifest), ApiError> {
        let not_found = || ApiError::not_found(format!("no record {} here", clip(id, 80)));
        let rid = record_id(id).ok_or_else(not_found)?;
        let manifest = match self.archive.manifest(&rid).await {
            Ok(m) => m,
            Err(e) if e.is_not_found() => return Err(not_found()),
            Err(e) => return Err(ApiError::internal(format!("cannot read record {id}: {e}"))),
        };
        let cleared = caller.is_some_and(|p| p.clearance);
        if manifest.metadata.confidentiality.is_secret() && !cleared {
            return Err(not_found());
        }
        Ok((rid, manifest))
    }

    /// Long-term verification at `at` (DESIGN §2) of record `id`, whose `manifest` the caller
    /// has read, with the evidence of the last [`EVIDENCE_TTL`].
    pub async fn verify(
        self: &Arc<Self>,
        id: &RecordId,
        manifest: RecordManifest,
        at: OffsetDateTime,
    ) -> Result<VerifiedRecord, ApiError> {
        let parts = self.verifier_parts().await?;
        let verifier = LongTermVerifier {
            index: &parts.index,
            tokens: &parts.tokens,
            signatures: &parts.validator,
            policy: &parts.policy,
        };
        verifier
            .verify_manifest(self.ctx.store(), id, manifest, at)
            .await
            .map_err(|e| ApiError::internal(e.to_string()))
    }

    /// A verification asked for by a caller: the record must be visible to it, `at` is RFC 3339
    /// or a date (default now), and the verification is logged with `via` before it is given.
    pub async fn verify_for(
        self: &Arc<Self>,
        p: &Principal,
        id: &str,
        at: Option<&str>,
        via: &str,
    ) -> Result<VerifiedRecord, ApiError> {
        let (rid, manifest) = self.visible_record(Some(p), id).await?;
        let at = at_or_now(self, at)?;
        let v = self.verify(&rid, manifest, at).await?;
        let detail = format!(
            "{via} at {}: {}",
            crate::fmt_time(at),
            v.verification.verdict.as_str()
        );
        self.audit(p, AuditAction::Verify, Some(&rid), &detail)
            .await?;
        Ok(v)
    }

    async fn verifier_parts(self: &Arc<Self>) -> Result<Arc<VerifierParts>, ApiError> {
        let cached = || {
            let guard = self.verifier.lock().ok()?;
            let (made, parts) = guard.as_ref()?;
            (made.elapsed() < EVIDENCE_TTL).then(|| Arc::clone(parts))
        };
        if let Some(parts) = cached() {
            return Ok(parts);
        }
        let _rebuilding = self.verifier_rebuild.lock().await;
        // Another request may have rebuilt it while this one waited.
        if let Some(parts) = cached() {
            return Ok(parts);
        }
        let index = EvidenceIndex::load(self.ctx.store())
            .await
            .map_err(|e| ApiError::internal(format!("cannot read the evidence: {e}")))?;
        // The validator owns a (blocking) HTTP client: built and dropped off the runtime.
        let (tokens, validator, policy) = self
            .on_thread(|s| -> Result<_, UsageError> {
                Ok((
                    TokenChecker::trusting(s.ctx.tsa_anchors()?),
                    s.ctx.signature_validator()?.offline(),
                    s.ctx.config.algorithm_policy()?,
                ))
            })
            .await?
            .map_err(|e| ApiError::internal(e.0))?;
        let parts = Arc::new(VerifierParts {
            index,
            tokens,
            validator,
            policy,
        });
        if let Ok(mut guard) = self.verifier.lock() {
            *guard = Some((Instant::now(), Arc::clone(&parts)));
        }
        Ok(parts)
    }

    /// Appends an access to the audit log. Fails the request when the log cannot be written:
    /// an access that is not logged does not happen.
    pub async fn audit(
        &self,
        p: &Principal,
        action: AuditAction,
        record: Option<&RecordId>,
        detail: &str,
    ) -> Result<(), ApiError> {
        let event = AuditEvent::new(p.actor(), action, record.map(RecordId::as_str), detail);
        self.audit_log.append(event).await.map(|_| ()).map_err(|e| {
            ApiError::internal(format!(
                "refused: the access could not be written to the audit log: {e}"
            ))
        })
    }

    /// Forgets the cached evidence (after this server sealed or renewed).
    pub fn evidence_changed(&self) {
        if let Ok(mut guard) = self.verifier.lock() {
            *guard = None;
        }
    }
}

/// A record id as the server takes it: exactly 64 lowercase hex digits (no prefixes).
pub(crate) fn record_id(id: &str) -> Option<RecordId> {
    let hex = id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    hex.then(|| RecordId::new(id).ok()).flatten()
}

/// A failed request: an HTTP status, a stable code and a message for people.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "no_such_record", message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "a valid bearer token is needed (Authorization: Bearer …)",
        )
    }
    pub fn forbidden(p: &Principal, what: Permission) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "the {} role of token {} does not allow {}",
                p.role.as_str(),
                p.name,
                match what {
                    Permission::Read => "reading the archive",
                    Permission::Ingest => "ingest",
                    Permission::Verify => "verification",
                    Permission::Export => "export",
                    Permission::AuditLog => "reading the audit log",
                }
            ),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(serde_json::json!({
                "error": { "code": self.code, "message": self.message }
            })),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"stele\""),
            );
        }
        response
    }
}

/// Reads an RFC 3339 `at` parameter, or now.
pub(crate) fn at_or_now(state: &AppState, at: Option<&str>) -> Result<OffsetDateTime, ApiError> {
    match at.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(state.now()),
        Some(s) => crate::parse_time(s).or_else(|time_error| {
            // A date alone (from a date picker) means the end of that day, UTC.
            let date = crate::search_cmd::parse_date(s)
                .map(|d| d.with_hms(23, 59, 59).map(|t| t.assume_utc()));
            match date {
                Ok(Ok(t)) => Ok(t),
                // Say what is wrong with the form the value was meant to have.
                Ok(Err(e)) => Err(e.to_string()),
                Err(date_error) if !s.contains(['T', 't', ' ']) => Err(date_error),
                Err(_) => Err(time_error),
            }
            .map_err(|e| {
                ApiError::bad_request(
                    "bad_parameter",
                    format!(
                        "at: {} (an RFC 3339 time, or a date YYYY-MM-DD)",
                        clip(&e, 300)
                    ),
                )
            })
        }),
    }
}
