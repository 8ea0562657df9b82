//! RFC 3161 time stamps for Stele: requests and responses, token parsing and verification
//! (integrity and trust kept apart), an HTTP client with retries and failover, the built-in TSA
//! and its HTTP server, and RFC 5544 TimeStampedData.
//!
//! Untrusted input is always normalised (zero padding stripped, BER to DER) and size-bounded
//! before decoding; decoding never panics. Nothing here reads the clock directly: see [`clock`].

mod asn1;
pub mod client;
pub mod clock;
mod error;
mod oids;
mod path;
mod request;
mod response;
pub mod server;
pub mod timestamped_data;
mod token;
pub mod tsa;
mod verify;

pub use client::{Attempt, AttemptError, ClientOptions, TsaClient, TsaError};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::ParseError;
pub use path::validity as certificate_validity;
pub use request::{RequestError, TimeStampRequest, MAX_REQUEST_BYTES};
pub use response::{FailureInfo, PkiStatus, TimeStampResponse, MAX_RESPONSE_BYTES};
pub use server::serve;
pub use stele_asn1::DigestAlgorithm;
pub use stele_pki::crypto::SignatureError;
pub use timestamped_data::TimeStampedData;
pub use token::{Accuracy, MessageImprint, SignerId, TimeStampToken, TstInfo, MAX_TOKEN_BYTES};
pub use tsa::{
    tsa_init, LocalTsa, LocalTsaError, TsaCertificates, TsaInitOptions, BUILTIN_TSA_POLICY,
};
pub use verify::{
    verify_response, verify_token, Integrity, ResponseError, TokenVerification, TokenVerifyOptions,
    Trust,
};
