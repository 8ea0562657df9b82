//! Shared helpers for the benchmark binaries in `src/bin/`.

use std::time::{Duration, Instant};

/// Runs `f` repeatedly for at least `min` and returns operations per second.
pub fn ops_per_sec(min: Duration, mut f: impl FnMut()) -> f64 {
    // Warm up caches and lazy initialisation before timing.
    for _ in 0..10 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < min {
        for _ in 0..16 {
            f();
        }
        n += 16;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`), if known.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
