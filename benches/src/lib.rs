//! Shared helpers for the benchmark binaries in `src/bin/`.

pub mod vi_corpus;

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

/// One `/proc/self/status` field in MiB (`VmHWM`, `VmRSS`), if known.
fn status_mib(name: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(name))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`), if known.
pub fn peak_rss_mib() -> Option<f64> {
    status_mib("VmHWM:")
}

/// CPU time (user + system) from a `getrusage` record.
fn rusage_cpu(ru: &libc::rusage) -> Duration {
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn getrusage(who: libc::c_int) -> Duration {
    // SAFETY: getrusage writes one `rusage` into the zeroed value we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(who, &mut ru) };
    assert_eq!(rc, 0, "getrusage: {}", std::io::Error::last_os_error());
    rusage_cpu(&ru)
}

/// CPU time the calling thread has used so far (`CLOCK_THREAD_CPUTIME_ID`, nanoseconds).
pub fn thread_cpu() -> Duration {
    // SAFETY: clock_gettime writes one `timespec` into the zeroed value we own.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime: {}", std::io::Error::last_os_error());
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time (user + system) every thread of this process has used so far.
pub fn process_cpu() -> Duration {
    getrusage(libc::RUSAGE_SELF)
}

/// CPU time (user + system) of the children of this process that have been waited for.
pub fn children_cpu() -> Duration {
    getrusage(libc::RUSAGE_CHILDREN)
}

/// What [`run_measured`] saw of one child process.
#[derive(Debug)]
pub struct Measured {
    /// The child exited with status 0.
    pub success: bool,
    /// Its standard output and then its standard error, lossily decoded.
    pub output: String,
    /// From spawning to reaping.
    pub wall: Duration,
    /// User + system CPU of that one process (and of any children it waited for), from `wait4`,
    /// so other children of this process (say a loopback server's helpers) are not counted.
    pub cpu: Duration,
}

/// Runs `cmd` to completion with stdin closed and stdout and stderr captured, measuring its wall
/// time and, through `wait4`, the CPU time of exactly that process.
// The child is reaped by `libc::wait4` below, which clippy cannot see.
#[allow(clippy::zombie_processes)]
pub fn run_measured(cmd: &mut std::process::Command) -> Measured {
    use std::io::Read;
    use std::process::Stdio;
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    // Read stdout on a thread and stderr here, so neither pipe can fill and block the child.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let mut err = Vec::new();
    let _ = child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_end(&mut err);
    let out = reader.join().unwrap_or_default();
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: plain wait4 on our own child, which std has not reaped (we never call wait on it);
    // `ru` is a zeroed value we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = loop {
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if rc == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break rc;
    };
    assert_eq!(
        rc,
        pid,
        "wait4 {cmd:?}: {}",
        std::io::Error::last_os_error()
    );
    let wall = start.elapsed();
    let success = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    let mut output = String::from_utf8_lossy(&out).into_owned();
    output.push_str(&String::from_utf8_lossy(&err));
    Measured {
        success,
        output,
        wall,
        cpu: rusage_cpu(&ru),
    }
}

/// Peak resident memory (VmHWM) and current resident memory (VmRSS), in MiB (NaN if unknown).
pub fn rss_mib() -> (f64, f64) {
    (
        status_mib("VmHWM:").unwrap_or(f64::NAN),
        status_mib("VmRSS:").unwrap_or(f64::NAN),
    )
}

/// Returns freed heap to the system (so a later phase cannot hide in memory an earlier one
/// freed) and resets VmHWM to the current RSS (Linux ≥ 4.0), so the peak of one phase can be
/// read alone.
pub fn reset_peak_rss() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of glibc's own heap.
    unsafe {
        libc::malloc_trim(0);
    }
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
