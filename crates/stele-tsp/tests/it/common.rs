use std::path::PathBuf;
use std::sync::Arc;

use stele_tsp::{tsa_init, FixedClock, LocalTsa, TsaInitOptions};
use time::OffsetDateTime;

/// The interop corpus, or `None` (with a note on stdout) when it is not present.
pub fn interop_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("STELE_INTEROP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/interop"
            ))
        });
    if dir.join("MANIFEST.json").is_file() {
        Some(dir)
    } else {
        println!(
            "skipped: interop corpus not found at {} (set STELE_INTEROP_DIR)",
            dir.display()
        );
        None
    }
}

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
