//! Driving the `stele` command line on an archive installation (a folder holding `stele.toml`,
//! its TSAs and, for a local store, the archive): the helpers the end-to-end archive tests share.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use time::OffsetDateTime;

use crate::pki::TestPki;
use crate::{describe, stele_bin};

/// `t` in RFC 3339, whole seconds, as `--now`, `--at` and the TSA dates take it.
pub fn rfc(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// `cmd --config <config> --now <now> args…`, for a `stele` command the caller has prepared
/// (its environment, say).
pub fn with_config(mut cmd: Command, config: &Path, now: OffsetDateTime, args: &[&str]) -> Command {
    cmd.arg("--config")
        .arg(config)
        .arg("--now")
        .arg(rfc(now))
        .args(args);
    cmd
}

/// `stele --config <home>/stele.toml --now <now> args…`, run to its end.
pub fn stele_at(home: &Path, now: OffsetDateTime, args: &[&str]) -> Output {
    with_config(
        Command::new(stele_bin()),
        &home.join("stele.toml"),
        now,
        args,
    )
    .output()
    .expect("run stele")
}

/// `cmd --now <now> init --dir <home> extra… --trust <trust>`, which must succeed, with a
/// `stele` command the caller has prepared (`Command::new(stele_bin())`, or with its
/// environment set); its output.
pub fn init_with(
    mut cmd: Command,
    home: &Path,
    now: OffsetDateTime,
    extra: &[&str],
    trust: &Path,
) -> Output {
    ok(cmd
        .arg("--now")
        .arg(rfc(now))
        .args(["init", "--dir"])
        .arg(home)
        .args(extra)
        .arg("--trust")
        .arg(trust)
        .output()
        .unwrap())
}

/// The output of a command that must have succeeded.
pub fn ok(out: Output) -> Output {
    assert!(out.status.success(), "{}", describe(&out));
    out
}

/// Stdout as one JSON document.
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", describe(out)))
}

/// Stdout as JSON lines, one document a line.
pub fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("line `{l}` is not JSON ({e}):\n{}", describe(out)))
        })
        .collect()
}

/// Each file's record id by file stem, from `stele ingest --json` output in which every file
/// must have been archived.
pub fn archived_ids(out: &Output) -> HashMap<String, String> {
    json_lines(out)
        .iter()
        .map(|line| {
            assert_eq!(line["status"], "archived", "{line}\n{}", describe(out));
            let file = Path::new(line["file"].as_str().unwrap());
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, line["id"].as_str().unwrap().to_string())
        })
        .collect()
}

/// A fresh archive with the test PKI's root as its only trust anchor: `stele init` at `now` in
/// `<tmp>/stele`. Returns the temporary folder (dropping it removes everything) and the home.
pub fn fresh_archive(pki: &TestPki, now: OffsetDateTime) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("stele");
    init_with(
        Command::new(stele_bin()),
        &home,
        now,
        &[],
        pki.trust_anchor(),
    );
    (tmp, home)
}

/// `stele tsa init` of a built-in TSA in `<home>/<name>` named `cn`, valid `from`..`to`; it must
/// succeed.
pub fn tsa_init(home: &Path, name: &str, cn: &str, from: OffsetDateTime, to: OffsetDateTime) {
    tsa_init_with(Command::new(stele_bin()), home, name, cn, from, to);
}

/// [`tsa_init`] with a `stele` command the caller has prepared (its environment, say).
pub fn tsa_init_with(
    mut cmd: Command,
    home: &Path,
    name: &str,
    cn: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) {
    ok(cmd
        .args(["tsa", "init", "--dir"])
        .arg(home.join(name))
        .args([
            "--cn",
            cn,
            "--not-before",
            &rfc(from),
            "--not-after",
            &rfc(to),
        ])
        .output()
        .unwrap());
}

/// A configuration file as a TOML table.
pub fn read_config(path: &Path) -> toml::Table {
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The table `[name]` of `cfg`, made empty if missing.
pub fn section<'a>(cfg: &'a mut toml::Table, name: &str) -> &'a mut toml::Table {
    cfg.entry(name)
        .or_insert_with(|| toml::Value::Table(Default::default()))
        .as_table_mut()
        .unwrap()
}

/// Reads `<home>/stele.toml`, applies `edit` and writes it back.
pub fn edit_config(home: &Path, edit: impl FnOnce(&mut toml::Table)) {
    let path = home.join("stele.toml");
    let mut cfg = read_config(&path);
    edit(&mut cfg);
    std::fs::write(&path, toml::to_string(&cfg).unwrap()).unwrap();
}

/// Points `[tsa] builtin` at the TSA in `<home>/<name>` and adds its root to `[tsa] trust` (the
/// old roots stay: the evidence they signed must stay verifiable).
pub fn switch_tsa(home: &Path, name: &str) {
    edit_config(home, |cfg| {
        let tsa = section(cfg, "tsa");
        let dir = home.join(name);
        tsa.insert("builtin".into(), dir.display().to_string().into());
        tsa.entry("trust")
            .or_insert_with(|| toml::Value::Array(Vec::new()))
            .as_array_mut()
            .unwrap()
            .push(dir.join("root.pem").display().to_string().into());
    });
}

/// Writes an algorithm policy retiring SHA-256 for hash trees on `date` to
/// `<home>/policy.toml` and names it in `[policy] file`.
pub fn retire_sha256_for_hash_trees(home: &Path, date: OffsetDateTime) {
    let policy = home.join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[hash_tree]\nsha256 = {:04}-{:02}-{:02}\n",
            date.year(),
            u8::from(date.month()),
            date.day()
        ),
    )
    .unwrap();
    edit_config(home, |cfg| {
        section(cfg, "policy").insert("file".into(), policy.display().to_string().into());
    });
}

/// Copies the folder `from` to `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A copy of the whole installation (configuration, TSAs, archive) with the paths in its
/// `stele.toml` rewritten.
pub fn clone_installation(from: &Path, to: &Path) {
    copy_dir(from, to);
    let cfg = std::fs::read_to_string(to.join("stele.toml")).unwrap();
    let cfg = cfg.replace(from.to_str().unwrap(), to.to_str().unwrap());
    std::fs::write(to.join("stele.toml"), cfg).unwrap();
}

/// A CMS enveloping signature over an official letter (công văn) numbered `number` whose last
/// line is `subject`: signed by the leader when `number` is even, else by the agency.
pub fn signed_cong_van(pki: &TestPki, number: usize, subject: &str) -> Vec<u8> {
    let content =
        format!("ỦY BAN NHÂN DÂN TỈNH HÀ GIANG\nCông văn số {number}/UBND-VP\n{subject}\n");
    let signer = if number.is_multiple_of(2) {
        &pki.leader
    } else {
        &pki.agency
    };
    pki.sign_cms_enveloping(content.as_bytes(), signer, false)
}
