//! The audit log's objects in the store (to be written).
