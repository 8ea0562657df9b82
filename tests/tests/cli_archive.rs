//! `stele init`, `ingest`, `show`, `get` and `audit` end to end, as a user runs them: an archive
//! made in a temp folder, pyHanko-signed PDFs from the test PKI ingested (validated online
//! against the loopback OCSP responder), read back byte for byte, then a stored byte flipped
//! and found by the audit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use stele_asn1::DigestAlgorithm;
use stele_tests::pki::{pyhanko, TestPki};
use stele_tests::{describe, stele_bin};

const METADATA: &str = r#"{
    "CodeNumber": "45", "CodeNotation": "QĐ-UBND", "TypeName": "Quyết định",
    "IssuedDate": "2026-03-15", "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
    "Subject": "Về việc phê duyệt kế hoạch chuyển đổi số",
    "Confidentiality": "none", "Retention": "01", "AccessMode": "01"
}"#;

/// Runs `stele` in `cwd` (no STELE_CONFIG from the caller's environment).
fn run_in<I, S>(cwd: &Path, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(stele_bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("STELE_CONFIG")
        .output()
        .expect("run stele")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The `--json` lines of `stele ingest`: one object per file, every key present.
fn json_lines(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("line `{l}` is not JSON ({e}):\n{}", describe(out)));
            for key in ["file", "status", "id", "indication", "summary", "reason"] {
                assert!(v.get(key).is_some(), "no {key} in {v}");
            }
            v
        })
        .collect()
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(DigestAlgorithm::Sha256.digest(&std::fs::read(path).unwrap()))
}

/// The record folders under the store.
fn record_count(store: &Path) -> usize {
    match std::fs::read_dir(store.join("records")) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| e.path().join("manifest.json").is_file())
            .count(),
        Err(_) => 0,
    }
}

fn copy(from: &Path, to: &Path) -> PathBuf {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap();
    to.to_path_buf()
}

#[test]
fn init_without_config_and_refusing_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    // No stele.toml: a usage error that says what to do.
    let out = run_in(tmp.path(), ["ingest", "x.pdf"]);
    assert_eq!(code(&out), 2, "{}", describe(&out));
    assert!(
        stderr(&out).contains("no stele.toml here: run `stele init` first"),
        "{}",
        describe(&out)
    );

    let out = run_in(tmp.path(), ["init"]);
    assert_eq!(code(&out), 0, "{}", describe(&out));
    let text = stdout(&out);
    assert!(text.contains("not an accredited TSA"), "{text}");
    assert!(text.contains("stele ingest"), "{text}");
    let config = std::fs::read_to_string(tmp.path().join("stele.toml")).unwrap();
    assert!(config.contains(&format!("builtin = \"{}/tsa\"", tmp.path().display())));
    assert!(config.contains("root.pem"), "{config}");
    assert!(tmp.path().join("archive").is_dir());
    assert!(tmp.path().join("tsa/tsa.key").is_file());
    let root = std::fs::read(tmp.path().join("tsa/root.pem")).unwrap();

    // Again: refused without --force; with it the TSA already there is kept.
    let out = run_in(tmp.path(), ["init"]);
    assert_eq!(code(&out), 2, "{}", describe(&out));
    assert!(stderr(&out).contains("--force"), "{}", describe(&out));
    let out = run_in(
        tmp.path(),
        ["init", "--force", "--tsa", "https://tsa.example/"],
    );
    assert_eq!(code(&out), 0, "{}", describe(&out));
    let config = std::fs::read_to_string(tmp.path().join("stele.toml")).unwrap();
    assert!(
        config.contains("urls = [\"https://tsa.example/\"]"),
        "{config}"
    );
    assert_eq!(
        std::fs::read(tmp.path().join("tsa/root.pem")).unwrap(),
        root
    );

    // The injected clock dates the built-in TSA.
    let later = tmp.path().join("later");
    let out = run_in(
        tmp.path(),
        [
            "--now".as_ref(),
            "2031-05-01T00:00:00Z".as_ref(),
            "init".as_ref(),
            "--dir".as_ref(),
            later.as_os_str(),
        ],
    );
    assert_eq!(code(&out), 0, "{}", describe(&out));
    assert!(
        stdout(&out).contains("valid 2031-05-01T00:00:00Z to 2034-04-30T00:00:00Z"),
        "{}",
        describe(&out)
    );

    // A broken configuration is named with its key.
    std::fs::write(tmp.path().join("stele.toml"), "[seal]\nhash = \"md5\"\n").unwrap();
    let out = run_in(tmp.path(), ["audit"]);
    assert_eq!(code(&out), 2, "{}", describe(&out));
    assert!(stderr(&out).contains("[seal] hash"), "{}", describe(&out));
}

#[test]
fn ingest_show_get_audit() {
    let Some(ph) = pyhanko() else { return };
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let pdfs = ph.shared_pdfs();
    let tmp = tempfile::tempdir().unwrap();
    let arch = tmp.path().join("arch");
    let store = arch.join("archive");

    let out = run_in(
        tmp.path(),
        [
            "init".as_ref(),
            "--dir".as_ref(),
            arch.as_os_str(),
            "--trust".as_ref(),
            pki.trust_anchor().as_os_str(),
        ],
    );
    assert_eq!(code(&out), 0, "{}", describe(&out));
    let config = arch.join("stele.toml");

    // A folder of signed PDFs: one in a subfolder, a hidden one and a sidecar skipped.
    let docs = tmp.path().join("docs");
    let leader = copy(&pdfs.leader, &docs.join("leader.pdf"));
    let both = copy(&pdfs.leader_agency, &docs.join("sub/leader-agency.pdf"));
    copy(&pdfs.modified_after_signing, &docs.join(".hidden.pdf"));
    std::fs::write(
        docs.join("leader.pdf.meta.json"),
        METADATA.replace("Về việc", "Sidecar: về việc"),
    )
    .unwrap();
    let meta = tmp.path().join("meta.json");
    std::fs::write(&meta, METADATA).unwrap();

    // A folder needs --recursive.
    let out = run_in(&arch, ["ingest".as_ref(), docs.as_os_str()]);
    assert_eq!(code(&out), 2, "{}", describe(&out));
    assert!(stderr(&out).contains("--recursive"), "{}", describe(&out));
    assert!(stderr(&out).contains("docs"), "{}", describe(&out));

    let ingest = |cwd: &Path, extra: &[&std::ffi::OsStr]| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "--config".as_ref(),
            config.as_os_str(),
            "ingest".as_ref(),
            "--json".as_ref(),
            "--meta".as_ref(),
            meta.as_os_str(),
        ];
        args.extend_from_slice(extra);
        run_in(cwd, args)
    };
    let out = ingest(tmp.path(), &["--recursive".as_ref(), docs.as_os_str()]);
    assert_eq!(code(&out), 0, "{}", describe(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{}", describe(&out));
    // Sorted: leader.pdf before sub/.
    for (line, file) in lines.iter().zip([&leader, &both]) {
        assert_eq!(line["status"], "archived", "{line}");
        assert_eq!(line["indication"], "PASSED", "{line}");
        assert_eq!(line["file"], file.display().to_string(), "{line}");
        assert_eq!(line["id"], sha256_hex(file), "{line}");
        assert!(line["reason"].is_null(), "{line}");
    }
    assert_eq!(record_count(&store), 2);

    // Again: duplicates, nothing new; the human form says so too (config found in the cwd).
    let out = ingest(tmp.path(), &["--recursive".as_ref(), docs.as_os_str()]);
    assert_eq!(code(&out), 0, "{}", describe(&out));
    let lines = json_lines(&out);
    assert!(
        lines.iter().all(|l| l["status"] == "duplicate"),
        "{lines:?}"
    );
    let out = run_in(
        &arch,
        [
            "ingest".as_ref(),
            "--meta".as_ref(),
            meta.as_os_str(),
            leader.as_os_str(),
        ],
    );
    assert_eq!(code(&out), 0, "{}", describe(&out));
    assert!(
        stdout(&out).starts_with(&format!("duplicate {} ", sha256_hex(&leader))),
        "{}",
        describe(&out)
    );

    // Changed after signing: rejected with the reason, nothing stored.
    let tampered = copy(
        &pdfs.modified_after_signing,
        &tmp.path().join("more/tampered.pdf"),
    );
    let out = ingest(tmp.path(), &[tampered.as_os_str()]);
    assert_eq!(code(&out), 1, "{}", describe(&out));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["status"], "rejected", "{lines:?}");
    assert!(
        lines[0]["reason"]
            .as_str()
            .unwrap()
            .contains("MODIFIED_AFTER_SIGNING"),
        "{lines:?}"
    );
    assert!(lines[0]["id"].is_null());
    assert_eq!(record_count(&store), 2);

    // Unsigned: rejected, then archived with --allow-unsigned (INDETERMINATE).
    let unsigned = copy(&pdfs.unsigned, &tmp.path().join("more/unsigned.pdf"));
    let out = ingest(tmp.path(), &[unsigned.as_os_str()]);
    assert_eq!(code(&out), 1, "{}", describe(&out));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["status"], "rejected");
    assert!(
        lines[0]["reason"]
            .as_str()
            .unwrap()
            .contains("no signature"),
        "{lines:?}"
    );
    assert_eq!(record_count(&store), 2);
    let out = ingest(
        tmp.path(),
        &["--allow-unsigned".as_ref(), unsigned.as_os_str()],
    );
    assert_eq!(code(&out), 0, "{}", describe(&out));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["status"], "archived", "{lines:?}");
    assert_eq!(lines[0]["indication"], "INDETERMINATE", "{lines:?}");
    assert_eq!(record_count(&store), 3);

    // Metadata with a bad field: the field and the file are named; nothing is ingested.
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, METADATA.replace("2026-03-15", "2026-13-45")).unwrap();
    let out = run_in(
        &arch,
        [
            "ingest".as_ref(),
            "--meta".as_ref(),
            bad.as_os_str(),
            pdfs.revoked.as_os_str(),
        ],
    );
    assert_eq!(code(&out), 2, "{}", describe(&out));
    let err = stderr(&out);
    assert!(
        err.contains("IssuedDate") && err.contains("bad.json"),
        "{}",
        describe(&out)
    );
    // A bad sidecar: that file is an error naming the field; the exit code says input error.
    let odd = copy(&pdfs.leader, &tmp.path().join("odd/odd.pdf"));
    std::fs::write(
        tmp.path().join("odd/odd.pdf.meta.json"),
        METADATA.replace("\"01\", \"AccessMode\"", "\"99\", \"AccessMode\""),
    )
    .unwrap();
    let out = ingest(tmp.path(), &[odd.as_os_str()]);
    assert_eq!(code(&out), 2, "{}", describe(&out));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["status"], "error", "{lines:?}");
    let reason = lines[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("Retention") && reason.contains("odd.pdf.meta.json"),
        "{reason}"
    );
    assert_eq!(record_count(&store), 3);

    // show: by a prefix; the sidecar's metadata went with leader.pdf.
    let id = sha256_hex(&leader);
    let out = run_in(&arch, ["show", &id[..12]]);
    assert_eq!(code(&out), 0, "{}", describe(&out));
    let text = stdout(&out);
    assert!(text.contains(&format!("record {id}")), "{text}");
    assert!(text.contains("leader.pdf"), "{text}");
    assert!(text.contains("Sidecar: về việc"), "{text}");
    assert!(text.contains("PASSED"), "{text}");
    let out = run_in(&arch, ["show", "--json", &id]);
    assert_eq!(code(&out), 0, "{}", describe(&out));
    let manifest: Value = serde_json::from_slice(&out.stdout).expect("manifest JSON");
    assert_eq!(manifest["id"], id.as_str());
    assert_eq!(manifest["validation"]["indication"], "PASSED");
    // Not an id, or no such record: usage errors.
    for bad_id in ["1234", "zzzzzzzzzz", "00000000"] {
        let out = run_in(&arch, ["show", bad_id]);
        assert_eq!(code(&out), 2, "{bad_id}: {}", describe(&out));
    }

    // get: the original, byte for byte, to a file and to a pipe.
    let got = tmp.path().join("got.pdf");
    let out = run_in(
        &arch,
        [
            "get".as_ref(),
            id[..10].as_ref(),
            "--out".as_ref(),
            got.as_os_str(),
        ],
    );
    assert_eq!(code(&out), 0, "{}", describe(&out));
    assert_eq!(
        std::fs::read(&got).unwrap(),
        std::fs::read(&leader).unwrap()
    );
    let both_id = sha256_hex(&both);
    let out = run_in(&arch, ["get", &both_id, "leader-agency.pdf"]);
    assert_eq!(code(&out), 0, "{}", describe(&out));
    assert_eq!(out.stdout, std::fs::read(&both).unwrap());
    let out = run_in(&arch, ["get", &both_id, "nope.pdf"]);
    assert_eq!(code(&out), 2, "{}", describe(&out));
    assert!(
        stderr(&out).contains("leader-agency.pdf"),
        "{}",
        describe(&out)
    );

    // audit: clean; then one flipped byte in a stored blob is found and named.
    let out = run_in(&arch, ["audit"]);
    assert_eq!(code(&out), 0, "{}", describe(&out));
    assert!(stdout(&out).contains("clean"), "{}", describe(&out));
    let blob = store.join(format!("blobs/sha256/{}/{}/{id}", &id[..2], &id[2..4]));
    let mut bytes = std::fs::read(&blob).expect("the original's blob file");
    bytes[1000] ^= 0x01;
    std::fs::write(&blob, &bytes).unwrap();
    let out = run_in(&arch, ["audit"]);
    assert_eq!(code(&out), 1, "{}", describe(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("blobs/sha256/{}/{}/{id}", &id[..2], &id[2..4])),
        "{text}"
    );
    assert!(text.contains("corrupt"), "{text}");
    let out = run_in(&arch, ["audit", "--json", "--jobs", "2"]);
    assert_eq!(code(&out), 1, "{}", describe(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("audit JSON");
    assert_eq!(report["clean"], false);
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["kind"] == "corrupt_blob" && f["key"].as_str().unwrap().ends_with(&id)));
    // The damaged original is never handed out.
    let out = run_in(&arch, ["get", &id]);
    assert_eq!(code(&out), 2, "{}", describe(&out));
    assert!(out.stdout.is_empty());
}
