//! The real signed PDFs of the interop corpus (EU DSS test resources): every file is read or
//! refused with an error, never a panic, and what is read agrees with the corpus builder's
//! independent pypdf analysis (`helper_analysis` in MANIFEST.json).

use std::path::{Path, PathBuf};

use serde_json::Value;
use stele_sig::{
    embedded_evidence_records, EvidenceRecordAttribute, PdfSignature, PdfSignatures,
    SignatureDictType, SignedDataParts, ID_AA_ER_EXTERNAL,
};

fn corpus() -> Option<PathBuf> {
    stele_tests::interop_dir()
}

fn pdfs_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            pdfs_under(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
        {
            out.push(path);
        }
    }
}

fn type_name(t: &SignatureDictType) -> String {
    match t {
        SignatureDictType::Sig => "/Sig".into(),
        SignatureDictType::DocTimeStamp => "/DocTimeStamp".into(),
        SignatureDictType::Untyped => "None".into(),
        SignatureDictType::Other(o) => format!("/{o}"),
    }
}

/// (field, type, subfilter, byte range, covers whole file) in the manifest's notation.
type Summary = (String, String, String, Vec<i64>, bool);

/// "Covers the whole file" as pypdf computed it: the raw numbers end at the end of the file,
/// whether or not the range is otherwise valid.
fn summary(sig: &PdfSignature, file_len: usize) -> Summary {
    let raw = sig.raw_byte_range.map(|r| r.to_vec()).unwrap_or_default();
    let ends_at_eof = raw.len() == 4 && raw[2].checked_add(raw[3]) == i64::try_from(file_len).ok();
    if sig.byte_range.is_ok() {
        assert_eq!(sig.covers_whole_file(), ends_at_eof);
    }
    (
        sig.field_name.clone().unwrap_or_default(),
        type_name(&sig.dict_type),
        format!("/{}", sig.sub_filter.clone().unwrap_or_default()),
        raw,
        ends_at_eof,
    )
}

/// Signatures whose ByteRange is refused, and why: each is a tampering case that DSS also
/// rejects (manifest verdict "invalid").
const INVALID_RANGES: &[(&str, &str, &str)] = &[
    // Signature2 claims Signature1's byte range but holds other /Contents.
    (
        "pades/hello_signed_INCSAVE_signed_EDITED.pdf",
        "Signature2",
        "ContentsMismatch",
    ),
    // Signature2's gap starts inside Signature1's signed bytes, not at its own hex string.
    (
        "pades/pdf-byterange-overlap.pdf",
        "Signature2",
        "GapNotHexString",
    ),
    // The file was cut short after signing.
    (
        "pades/pdf-signed-corrupted.pdf",
        "Signature1",
        "OutsideFile",
    ),
    // The second range runs 158 KB past the end of the file.
    (
        "pades/pdf-signed-out-of-byteRange.pdf",
        "Signature1",
        "OutsideFile",
    ),
];

/// CMS that may not parse: `BadEncodedCMS.pdf` has a non-DER INTEGER inside (DSS: invalid).
const BAD_CMS: &[&str] = &["pades/BadEncodedCMS.pdf"];

fn expected_summary(d: &Value) -> Summary {
    (
        d["field"].as_str().unwrap_or_default().to_string(),
        d["type"].as_str().unwrap_or_default().to_string(),
        d["subfilter"].as_str().unwrap_or_default().to_string(),
        d["byte_range"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default(),
        d["covers_whole_file"].as_bool().unwrap_or(false),
    )
}

/// Every PDF of `pades/` and `ers/dss/pades-evidence-record/` is read or refused with an error;
/// where the manifest has a pypdf analysis, the signatures agree with it field by field.
#[test]
fn corpus_pdfs_agree_with_manifest() {
    let Some(dir) = corpus() else { return };
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("MANIFEST.json")).unwrap()).unwrap();
    let cases: Vec<&Value> = manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "pades")
        .collect();
    assert!(!cases.is_empty(), "the manifest lists no pades cases");

    let mut files = Vec::new();
    pdfs_under(&dir.join("pades"), &mut files);
    pdfs_under(&dir.join("ers/dss/pades-evidence-record"), &mut files);
    assert!(files.len() >= 30, "only {} PDFs found", files.len());

    // Files the manifest has no pypdf analysis for: signature counts from the DSS tests that
    // use them and from their /ByteRange entries.
    let extra_counts = [
        ("ers/dss/pades-evidence-record/PAdES_with_er.pdf", 1),
        (
            "ers/dss/pades-evidence-record/Signature-P-B-7da49953-d837-4f0b-8f38-aa5aa4181e3c.pdf",
            1,
        ),
        (
            "ers/dss/pades-evidence-record/Signature-P-LT-ef971596-8f2e-407d-a413-aae9cb9b8e4a.pdf",
            2,
        ),
    ];
    let mut compared = 0;
    for path in &files {
        let rel = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(path).unwrap();
        let result = PdfSignatures::extract(&bytes);
        let case = cases
            .iter()
            .find(|c| c["files"][0].as_str() == Some(rel.as_str()));
        let helper = case.map(|c| &c["helper_analysis"]);
        match &result {
            Err(e) => {
                println!("{rel}: error: {e}");
                // Only a file the reference reader could not read either may be refused.
                let helper_failed = helper.is_some_and(|h| !h["errors"].is_null());
                assert!(helper_failed, "{rel}: refused ({e}) but pypdf read it");
            }
            Ok(sigs) => {
                for sig in sigs {
                    let field = sig.field_name.as_deref().unwrap_or_default();
                    let refused = INVALID_RANGES
                        .iter()
                        .find(|(f, n, _)| *f == rel && *n == field)
                        .map(|(_, _, why)| *why);
                    match (&sig.byte_range, refused) {
                        (Ok(_), None) => {}
                        (Err(e), Some(why)) => {
                            assert!(format!("{e:?}").starts_with(why), "{rel}: {e:?}")
                        }
                        (other, _) => panic!("{rel} {field}: unexpected byte range {other:?}"),
                    }
                    let cms = sig
                        .contents
                        .as_ref()
                        .map_err(|e| e.to_string())
                        .and_then(|c| SignedDataParts::from_ber(c).map_err(|e| e.to_string()));
                    assert_eq!(
                        cms.is_err(),
                        BAD_CMS.contains(&rel.as_str()),
                        "{rel}: {cms:?}"
                    );
                    println!(
                        "{rel}: {:?} range={:?} cms={}",
                        summary(sig, bytes.len()),
                        sig.byte_range.as_ref().map(|r| r.revision_end()),
                        match &cms {
                            Ok(p) => format!(
                                "ok ({} signer(s), {} cert(s), {} ER)",
                                p.signer_infos().len(),
                                p.certificates().count(),
                                embedded_evidence_records(p).len()
                            ),
                            Err(e) => format!("error: {e}"),
                        }
                    );
                }
                if let Some((_, n)) = extra_counts.iter().find(|(f, _)| *f == rel) {
                    assert_eq!(sigs.len(), *n, "{rel}");
                    assert!(sigs.iter().all(|s| s.byte_range.is_ok()), "{rel}");
                    compared += 1;
                }
                if let Some(h) = helper.filter(|h| h["errors"].is_null()) {
                    let mut want: Vec<Summary> = h["sig_dicts"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(expected_summary)
                        .collect();
                    let mut got: Vec<Summary> =
                        sigs.iter().map(|s| summary(s, bytes.len())).collect();
                    want.sort();
                    got.sort();
                    assert_eq!(got, want, "{rel}: signatures differ from the manifest");
                    compared += 1;
                }
            }
        }
    }
    println!("{compared} files compared with helper_analysis");
    assert!(compared >= 36, "only {compared} files compared");
}

/// `PAdES_with_er.pdf` (DSS PAdESWithEmbeddedEvidenceRecordTest): one signature whose CMS
/// carries one ASN.1 evidence record under id-aa-er-external.
#[test]
fn pades_with_embedded_evidence_record() {
    let Some(dir) = corpus() else { return };
    let bytes = std::fs::read(dir.join("ers/dss/pades-evidence-record/PAdES_with_er.pdf")).unwrap();
    let sigs = PdfSignatures::extract(&bytes).unwrap();
    assert_eq!(sigs.len(), 1, "{sigs:#?}");
    let sig = &sigs[0];
    assert!(sig.byte_range.is_ok(), "{:?}", sig.byte_range);
    let parts = SignedDataParts::from_ber(sig.contents.as_ref().unwrap()).unwrap();
    assert!(parts.is_detached());
    assert_eq!(parts.signer_infos().len(), 1);
    let ers = embedded_evidence_records(&parts);
    assert_eq!(ers.len(), 1, "{ers:#?}");
    let er = &ers[0];
    assert_eq!(er.signer_index, 0);
    assert_eq!(er.value_index, 0);
    assert_eq!(er.attribute, EvidenceRecordAttribute::External);
    assert_eq!(er.attribute_oid(), ID_AA_ER_EXTERNAL);
    let record = er
        .record
        .as_ref()
        .expect("the embedded value is an RFC 4998 ER");
    assert_eq!(record.to_der().unwrap(), er.der);
    assert!(record.archive_time_stamp_count() >= 1);
}

/// `encrypted.pdf` opens with the empty user password; its signature is read as signed
/// (signature /Contents strings are never encrypted).
#[test]
fn encrypted_pdf_with_empty_user_password() {
    let Some(dir) = corpus() else { return };
    let bytes = std::fs::read(dir.join("pades/encrypted.pdf")).unwrap();
    let read = PdfSignatures::read(&bytes, &Default::default()).unwrap();
    assert!(read.encrypted);
    assert_eq!(read.signatures.len(), 1);
    let sig = &read.signatures[0];
    assert!(sig.covers_whole_file(), "{:?}", sig.byte_range);
    assert!(SignedDataParts::from_ber(sig.contents.as_ref().unwrap()).is_ok());
}

/// No other corpus PDF carries an embedded evidence record.
#[test]
fn other_pdfs_carry_no_embedded_evidence_record() {
    let Some(dir) = corpus() else { return };
    let mut files = Vec::new();
    pdfs_under(&dir.join("pades"), &mut files);
    pdfs_under(&dir.join("ers/dss/pades-evidence-record"), &mut files);
    for path in files.iter().filter(|p| !p.ends_with("PAdES_with_er.pdf")) {
        let Ok(sigs) = PdfSignatures::extract(&std::fs::read(path).unwrap()) else {
            continue;
        };
        for sig in sigs {
            if let Some(Ok(parts)) = sig
                .contents
                .as_ref()
                .ok()
                .map(|c| SignedDataParts::from_ber(c))
            {
                assert!(
                    embedded_evidence_records(&parts).is_empty(),
                    "{}",
                    path.display()
                );
            }
        }
    }
}
