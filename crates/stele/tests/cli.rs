//! The binary's own surface: help, version, usage errors. (Having an integration test here also
//! makes `cargo test --workspace` build the `stele` binary that the end-to-end tests in `tests/`
//! run.)

use std::process::Command;

fn stele(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_stele"))
        .args(args)
        .output()
        .expect("run stele")
}

#[test]
fn help_lists_the_commands_and_exit_codes() {
    let out = stele(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["demo", "ers", "tsa"] {
        assert!(text.contains(cmd), "--help lacks {cmd}:\n{text}");
    }
    assert!(text.contains("Exit codes"), "{text}");
}

#[test]
fn usage_errors_exit_2_and_say_what_is_wrong() {
    let out = stele(&["ers", "verify"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--er"));
    let out = stele(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(2));
    let out = stele(&[
        "ers",
        "verify",
        "--er",
        "x",
        "--no-tsa-trust",
        "--trust-anchor",
        "y",
    ]);
    assert_eq!(out.status.code(), Some(2), "conflicting trust options");
}

#[test]
fn version_is_printed() {
    let out = stele(&["--version"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("stele "));
}
