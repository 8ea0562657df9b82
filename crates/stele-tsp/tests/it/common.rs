use std::sync::Arc;

use stele_tsp::{tsa_init, FixedClock, LocalTsa, TsaInitOptions};
use time::OffsetDateTime;

pub use stele_tests::interop_dir;

pub fn openssl_available() -> bool {
    std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A fresh built-in TSA valid from `from` for `years`, with a clock set to `from` + 1 day.
pub fn local_tsa(
    from: OffsetDateTime,
    years: i64,
) -> (tempfile::TempDir, Arc<FixedClock>, Arc<LocalTsa>) {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(from + time::Duration::days(1)));
    tsa_init(
        dir.path(),
        &TsaInitOptions {
            common_name: "Test TSA".into(),
            not_before: from,
            not_after: from + time::Duration::days(365 * years),
            root_not_after: None,
        },
        clock.as_ref(),
    )
    .unwrap();
    let tsa = Arc::new(LocalTsa::open(dir.path(), clock.clone()).unwrap());
    (dir, clock, tsa)
}
