//! The built-in TSA over HTTP (RFC 3161 §3.4): POST a DER TimeStampReq as
//! `application/timestamp-query` to any path, get `application/timestamp-reply`.

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::request::MAX_REQUEST_BYTES;
use crate::response::{FailureInfo, TimeStampResponse};
use crate::tsa::LocalTsa;

const QUERY_TYPE: &str = "application/timestamp-query";
const REPLY_TYPE: &str = "application/timestamp-reply";

/// Serves `tsa` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    tsa: Arc<LocalTsa>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(tsa))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The router, for embedding the TSA into a larger axum application.
pub fn router(tsa: Arc<LocalTsa>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(tsa)
}

fn reply(status: StatusCode, der: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, REPLY_TYPE)], der).into_response()
}

async fn handle(
    State(tsa): State<Arc<LocalTsa>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "POST an RFC 3161 TimeStampReq as application/timestamp-query\n",
        )
            .into_response();
    }
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ctype.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case(QUERY_TYPE) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("content type must be {QUERY_TYPE}, got {ctype:?}\n"),
        )
            .into_response();
    }
    let result = tokio::task::spawn_blocking(move || tsa.respond(&body)).await;
    match result {
        Ok(Ok(der)) => reply(StatusCode::OK, der),
        Ok(Err(e)) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            TimeStampResponse::rejection_der(
                &format!("internal error: {e}"),
                FailureInfo::SystemFailure,
            ),
        ),
        Err(_) => reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            TimeStampResponse::rejection_der("internal error", FailureInfo::SystemFailure),
        ),
    }
}
