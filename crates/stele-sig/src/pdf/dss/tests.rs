use super::*;
use crate::pdf::tests::{build, find, hex, set_byte_range, CONTENTS, PLACEHOLDER};
use crate::pdf::PdfSignatures;

fn stream(dict: &str, content: &str) -> String {
    format!(
        "<< {dict} /Length {} >>\nstream\n{content}\nendstream",
        content.len()
    )
}

/// A signed PDF whose catalog has `/DSS 6 0 R` = `dss`, with `more` objects from number 7.
fn with_dss(dss: &str, more: &[String]) -> Vec<u8> {
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> /DSS 6 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [4 0 R] >>".into(),
        "<< /FT /Sig /T (Signature1) /V 5 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>".into(),
        format!(
            "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange {PLACEHOLDER} /Contents <{}> >>",
            hex(CONTENTS)
        ),
        dss.to_string(),
    ];
    objects.extend_from_slice(more);
    let mut pdf = build(&objects, "");
    let start = find(&pdf, b"/Contents <").unwrap() + b"/Contents ".len();
    let end = start + find(&pdf[start..], b">").unwrap() + 1;
    let range = [0, start as i64, end as i64, (pdf.len() - end) as i64];
    set_byte_range(&mut pdf, range);
    pdf
}

fn sha1_upper(bytes: &[u8]) -> String {
    hex_upper(&DigestAlgorithm::Sha1.digest(bytes))
}

#[test]
fn reads_lists_and_vri_entries() {
    let padded_key = sha1_upper(CONTENTS);
    let pdf = with_dss(
        &format!(
            "<< /Type /DSS /Certs [7 0 R 8 0 R] /CRLs [9 0 R] /OCSPs 10 0 R \
             /VRI << /{padded_key} << /Cert [8 0 R] /OCSP [11 0 R] /TU (D:20260101120000Z) /TS 12 0 R >> \
                     /00FF << /CRL [9 0 R] >> >> >>"
        ),
        &[
            stream("", "cert-a"),
            // ASCIIHexDecode: the DER comes out of the bounded decoder.
            stream("/Filter /ASCIIHexDecode", "636572742d62>"),
            stream("", "crl"),
            "[11 0 R]".into(),
            stream("", "ocsp"),
            stream("", "token"),
        ],
    );
    let sigs = PdfSignatures::read(&pdf, &PdfLimits::default()).unwrap();
    let dss = sigs.dss.as_ref().expect("a DSS");
    assert_eq!(dss.dictionary_id, Some((6, 0)));
    assert!(dss.problems.is_empty(), "{:?}", dss.problems);
    let ders = |list: &[DssEntry]| list.iter().map(|e| e.der.clone()).collect::<Vec<_>>();
    assert_eq!(
        ders(&dss.certificates),
        [b"cert-a".to_vec(), b"cert-b".to_vec()]
    );
    assert_eq!(dss.certificates[1].object, Some((8, 0)));
    assert_eq!(ders(&dss.crls), [b"crl".to_vec()]);
    assert_eq!(ders(&dss.ocsps), [b"ocsp".to_vec()]);
    assert_eq!(dss.vris.len(), 2);

    let sig = &sigs.signatures[0];
    let vri = dss.vri_for(sig).expect("the VRI of the padded /Contents");
    assert_eq!(vri.key, padded_key);
    assert_eq!(ders(&vri.certificates), [b"cert-b".to_vec()]);
    assert_eq!(ders(&vri.ocsps), [b"ocsp".to_vec()]);
    assert_eq!(vri.time.as_deref(), Some("D:20260101120000Z"));
    assert_eq!(
        vri.timestamp.as_ref().map(|t| t.der.clone()),
        Some(b"token".to_vec())
    );

    let material = dss.material_for(sig);
    assert_eq!(material.vri, Some(vri));
    // The VRI's own first, then the rest, each once.
    assert_eq!(material.certificates, [b"cert-b".as_slice(), b"cert-a"]);
    assert_eq!(material.crls, [b"crl".as_slice()]);
    assert_eq!(material.ocsps, [b"ocsp".as_slice()]);
}

#[test]
fn vri_keys_of_the_value_without_padding_and_sha256_match_too() {
    let stripped = sha1_upper(&CONTENTS[..5]);
    let sha256 = hex_upper(&DigestAlgorithm::Sha256.digest(CONTENTS));
    for key in [stripped.to_lowercase(), sha256] {
        let pdf = with_dss(
            &format!("<< /VRI << /{key} << /Cert [7 0 R] >> >> >>"),
            &[stream("", "c")],
        );
        let sigs = PdfSignatures::read(&pdf, &PdfLimits::default()).unwrap();
        let dss = sigs.dss.as_ref().unwrap();
        assert_eq!(
            dss.vri_for(&sigs.signatures[0]).map(|v| v.key.clone()),
            Some(key)
        );
    }
    let pdf = with_dss("<< /VRI << /0123 << >> >> >>", &[]);
    let sigs = PdfSignatures::read(&pdf, &PdfLimits::default()).unwrap();
    let dss = sigs.dss.as_ref().unwrap();
    assert!(dss.vri_for(&sigs.signatures[0]).is_none());
    assert!(dss
        .material_for(&sigs.signatures[0])
        .certificates
        .is_empty());
}

#[test]
fn entries_that_cannot_be_read_are_problems_not_errors() {
    let pdf = with_dss(
        "<< /Certs [7 0 R 8 0 R (not a stream) 30 0 R] /CRLs 9 0 R /VRI << /AB (x) >> >>",
        &[
            stream("", "ok"),
            stream("/Filter /FlateDecode", "not zlib"),
            "(not an array)".into(),
        ],
    );
    let sigs = PdfSignatures::read(&pdf, &PdfLimits::default()).unwrap();
    let dss = sigs.dss.as_ref().unwrap();
    assert_eq!(dss.certificates.len(), 1, "{dss:?}");
    let text: Vec<String> = dss.problems.iter().map(ToString::to_string).collect();
    // lopdf's Flate decoder is lenient and yields nothing for a stream that is not zlib.
    assert!(
        matches!(&dss.problems[0], DssProblem::Undecodable { location, .. } if location == "/DSS /Certs [1]"),
        "{text:?}"
    );
    assert!(
        matches!(&dss.problems[1], DssProblem::WrongType { location, .. } if location == "/DSS /Certs [2]"),
        "{text:?}"
    );
    // 30 0 R names nothing: null, so simply absent.
    assert!(
        matches!(&dss.problems[2], DssProblem::WrongType { location, .. } if location == "/DSS /CRLs"),
        "{text:?}"
    );
    assert!(
        matches!(&dss.problems[3], DssProblem::WrongType { location, .. } if location == "/VRI /AB"),
        "{text:?}"
    );
    assert_eq!(dss.problems.len(), 4, "{text:?}");

    let pdf = with_dss("[1 2 3]", &[]);
    let sigs = PdfSignatures::read(&pdf, &PdfLimits::default()).unwrap();
    assert_eq!(sigs.dss.unwrap().problems, [DssProblem::NotADictionary]);
}

#[test]
fn entries_and_bytes_are_capped() {
    let refs: String = (0..20).map(|_| "7 0 R ").collect();
    let pdf = with_dss(
        &format!("<< /Certs [{refs}] /OCSPs [8 0 R] >>"),
        &[stream("", "cert"), stream("", "ocsp")],
    );
    let limits = PdfLimits {
        max_dss_entries: 5,
        ..PdfLimits::default()
    };
    let dss = PdfSignatures::read(&pdf, &limits).unwrap().dss.unwrap();
    assert_eq!(dss.certificates.len(), 5);
    assert!(dss.ocsps.is_empty());
    assert_eq!(dss.problems, [DssProblem::TooManyEntries { max: 5 }]);

    // 7 decodes to 40 bytes (hex), more than the 32 allowed in all.
    let pdf = with_dss(
        "<< /Certs [8 0 R 7 0 R] >>",
        &[
            stream("/Filter /ASCIIHexDecode", &"41".repeat(40)),
            stream("", "0123456789"),
        ],
    );
    let limits = PdfLimits {
        max_dss_bytes: 32,
        ..PdfLimits::default()
    };
    let dss = PdfSignatures::read(&pdf, &limits).unwrap().dss.unwrap();
    assert_eq!(dss.certificates.len(), 1);
    assert_eq!(dss.problems, [DssProblem::TooManyBytes { max: 32 }]);

    // One stream larger than a stream may decode to is left out; the others are read.
    let limits = PdfLimits {
        max_decompressed_stream_len: 16,
        ..PdfLimits::default()
    };
    let dss = PdfSignatures::read(&pdf, &limits).unwrap().dss.unwrap();
    assert_eq!(dss.certificates.len(), 1);
    assert!(
        matches!(&dss.problems[..], [DssProblem::Undecodable { .. }]),
        "{:?}",
        dss.problems
    );
}

#[test]
fn a_pdf_without_a_dss_has_none() {
    let sigs =
        PdfSignatures::read(&crate::pdf::tests::signed_pdf(), &PdfLimits::default()).unwrap();
    assert!(sigs.dss.is_none());
}

/// The interop corpus: DSS dictionaries read without problems, certificates and CRLs parse
/// as X.509, and every VRI entry belongs to a signature of its file (and the key forms seen are
/// the ones documented on [`Dss::vri_for`]).
#[test]
fn interop_corpus_dss() {
    use der::{Decode, Tagged};
    let Some(dir) = stele_tests::interop_dir() else {
        return;
    };
    let manifest = stele_tests::manifest(&dir);
    let mut with_dss = 0;
    let mut vris = 0;
    for case in manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "pades")
    {
        let rel = case["files"][0].as_str().unwrap();
        let Ok(bytes) = std::fs::read(dir.join(rel)) else {
            continue;
        };
        let Ok(sigs) = PdfSignatures::read(&bytes, &PdfLimits::default()) else {
            continue;
        };
        let has = case["helper_analysis"]["has_dss_dictionary"].as_bool();
        if has.is_some() {
            assert_eq!(sigs.dss.is_some(), has == Some(true), "{rel}");
        }
        let Some(dss) = &sigs.dss else { continue };
        with_dss += 1;
        assert!(dss.problems.is_empty(), "{rel}: {:?}", dss.problems);
        for cert in &dss.certificates {
            x509_cert::Certificate::from_der(&cert.der).unwrap_or_else(|e| panic!("{rel}: {e}"));
        }
        // CRLs and OCSP responses: one DER SEQUENCE each (x509-cert cannot read v1 CRLs, which
        // the Certipost file carries).
        for entry in dss.crls.iter().chain(&dss.ocsps) {
            let any =
                der::asn1::AnyRef::from_der(&entry.der).unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert_eq!(any.tag(), der::Tag::Sequence, "{rel}");
        }
        for vri in &dss.vris {
            vris += 1;
            assert!(
                sigs.signatures.iter().any(|s| dss.vri_for(s) == Some(vri)),
                "{rel}: VRI {} belongs to no signature",
                vri.key
            );
        }
    }
    assert!(with_dss >= 14, "{with_dss} files with a DSS");
    assert!(vris >= 15, "{vris} VRI entries");
}
