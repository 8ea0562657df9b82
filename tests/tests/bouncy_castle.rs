//! Evidence records built by Stele verify in Bouncy Castle, an independent RFC 4998
//! implementation; a record over other data does not.

use std::process::Command;
use stele_tests::{bouncy_castle_ers_verifier, describe, stele};

#[test]
fn stele_evidence_records_verify_in_bouncy_castle() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(bc) = bouncy_castle_ers_verifier(tmp.path()) else {
        return;
    };
    let tsa = tmp.path().join("tsa");
    let out = stele(["tsa", "init", "--dir", tsa.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));

    let docs: Vec<_> = ["công-văn-1.txt", "công-văn-2.txt", "phụ-lục.txt"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let p = tmp.path().join(name);
            std::fs::write(&p, format!("Văn bản {i}: chữ ký số của cơ quan")).unwrap();
            p
        })
        .collect();
    let run_bc = |er: &std::path::Path, data: &[&std::path::Path]| {
        Command::new(&bc[0])
            .args(&bc[1..])
            .arg(er)
            .args(data)
            .output()
            .expect("run java")
    };

    // One document, and a group of three, each with one timestamp from the built-in TSA
    // (in-process: `--tsa builtin:DIR`).
    for group in [&docs[..1], &docs[..]] {
        let er = tmp.path().join(format!("group-{}.ers", group.len()));
        let mut args = vec![
            "ers".to_string(),
            "build".into(),
            "--tsa".into(),
            format!("builtin:{}", tsa.display()),
            "--out".into(),
            er.display().to_string(),
        ];
        for d in group {
            args.push("--data".into());
            args.push(d.display().to_string());
        }
        let out = stele(args);
        assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
        let paths: Vec<&std::path::Path> = group.iter().map(|p| p.as_path()).collect();
        let out = run_bc(&er, &paths);
        assert!(
            out.status.success(),
            "Bouncy Castle rejects Stele's record over {} file(s):\n{}",
            group.len(),
            describe(&out)
        );

        let other = tmp.path().join("other.txt");
        std::fs::write(&other, "không thuộc hồ sơ").unwrap();
        let out = run_bc(&er, &[other.as_path()]);
        assert!(
            !out.status.success(),
            "Bouncy Castle found unrelated data covered:\n{}",
            describe(&out)
        );
    }
}
