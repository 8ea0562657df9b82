//! Integration tests against real peers: the interop corpus, OpenSSL, and HTTP over loopback.
//! One test binary (modules below) to keep link time down.

mod common;
mod corpus;
mod hostile;
mod http;
mod local_tsa;
mod openssl;
