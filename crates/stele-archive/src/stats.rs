//! Signing-rate statistics (to be written).
