//! Shared ASN.1 ground for Stele's format crates.
//!
//! Two things every format crate needs and that must exist once: the table of digest algorithms
//! (OID ↔ hash function) and the normalisation of BER to DER, because real producers write
//! indefinite lengths and constructed strings that the strict `der` crate rightly refuses.

pub mod ber;
mod digest;

pub use ber::{strip_padding, to_der, BerError};
pub use digest::{DigestAlgorithm, Hasher, UnknownAlgorithm};
