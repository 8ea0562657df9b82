//! Helpers for Stele's end-to-end tests: where the `stele` binary and the interop corpus are,
//! and how to run the one against the other.

pub mod archive;
pub mod office;
pub mod pki;
pub mod schemas;
pub mod serve;
pub mod webdriver;
pub mod weed;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The interop corpus (`../shared/interop` beside the repository, or `STELE_INTEROP_DIR`).
/// `None` after printing why, so a test can skip with a clear message.
pub fn interop_dir() -> Option<PathBuf> {
    let (dir, explicit) = match std::env::var("STELE_INTEROP_DIR") {
        Ok(v) if !v.is_empty() => (PathBuf::from(v), true),
        _ => (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/interop"),
            false,
        ),
    };
    // Named explicitly but wrong is a broken setup, not a reason to skip quietly.
    assert!(
        !explicit || dir.join("MANIFEST.json").is_file(),
        "STELE_INTEROP_DIR={} holds no MANIFEST.json",
        dir.display()
    );
    if dir.join("MANIFEST.json").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: interop corpus not found at {} (set STELE_INTEROP_DIR to the folder holding MANIFEST.json)",
            dir.display()
        );
        None
    }
}

/// The interop MANIFEST.json as a JSON value.
pub fn manifest(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("MANIFEST.json")).expect("read MANIFEST.json");
    serde_json::from_str(&text).expect("MANIFEST.json is JSON")
}

/// The `stele` binary built by `cargo test --workspace` next to this test executable.
pub fn stele_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test> → target/<profile>/stele
    let profile_dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = profile_dir.join(format!("stele{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} not built: run the tests with `cargo test --workspace`",
        bin.display()
    );
    bin
}

/// Runs `stele` with `args` and returns its output (never through a shell).
pub fn stele<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(stele_bin())
        .args(args)
        .output()
        .expect("run stele")
}

/// Exit code, stdout and stderr of a finished command, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether an external program is on PATH.
pub fn have(program: &str) -> bool {
    Command::new(program)
        .arg("version")
        .output()
        .map(|o| o.status.success() || !o.stdout.is_empty())
        .unwrap_or(false)
}

/// Bouncy Castle's RFC 4998 verifier (Debian `libbcpkix-java`), compiled from
/// `tests/peers/BcErsVerify.java` into `dir`. Returns the `java` command line prefix, or `None`
/// after printing why (no JDK or no Bouncy Castle jars).
pub fn bouncy_castle_ers_verifier(dir: &Path) -> Option<Vec<String>> {
    let jars =
        ["bcprov.jar", "bcpkix.jar", "bcutil.jar"].map(|j| Path::new("/usr/share/java").join(j));
    if let Some(missing) = jars.iter().find(|j| !j.is_file()) {
        eprintln!(
            "skipped: Bouncy Castle not installed ({} missing; apt-get install libbcpkix-java)",
            missing.display()
        );
        return None;
    }
    let classpath = std::iter::once(dir.display().to_string())
        .chain(jars.iter().map(|j| j.display().to_string()))
        .collect::<Vec<_>>()
        .join(":");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/BcErsVerify.java");
    let compiled = Command::new("javac")
        .args(["-d"])
        .arg(dir)
        .args(["-cp", &classpath])
        .arg(&source)
        .output();
    match compiled {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!("javac failed on {}:\n{}", source.display(), describe(&out)),
        Err(e) => {
            eprintln!("skipped: no javac ({e}); apt-get install default-jdk-headless");
            return None;
        }
    }
    Some(vec![
        "java".into(),
        "-cp".into(),
        classpath,
        "BcErsVerify".into(),
    ])
}
