//! The archive's configuration (`stele.toml`).
