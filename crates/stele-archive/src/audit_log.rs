//! The hash-chained audit log (to be written).
