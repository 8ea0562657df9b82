use super::*;
use proptest::prelude::*;

/// A tiny CMS-looking value and its zero padding, as a signer reserves room for the CMS.
pub(crate) const CONTENTS: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x05, 0, 0, 0, 0, 0, 0, 0];
pub(crate) const PLACEHOLDER: &str = "[AAAAAAAAAA BBBBBBBBBB CCCCCCCCCC DDDDDDDDDD]";

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// A classic PDF (cross-reference table, no streams) from object bodies numbered from 1.
pub(crate) fn build(objects: &[String], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// Catalog, pages, page, one signature field (object 4) and its signature dictionary
/// (object 5) holding `sig_body`; more objects may follow.
pub(crate) fn objects(sig_body: &str, more: &[String]) -> Vec<String> {
    let mut objs = vec![
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [4 0 R] >>".into(),
        "<< /FT /Sig /T (Signature1) /V 5 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>"
            .into(),
        sig_body.to_string(),
    ];
    objs.extend_from_slice(more);
    objs
}

pub(crate) fn sig_body(contents: &str) -> String {
    format!(
        "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange {PLACEHOLDER} \
         /Contents {contents} /M (D:20260101120000Z) /Reason (Archiving) /Name (Nguy\\365n) >>"
    )
}

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Writes `values` over the first /ByteRange placeholder (each number padded to its width).
pub(crate) fn set_byte_range(pdf: &mut [u8], values: [i64; 4]) {
    let at = find(pdf, PLACEHOLDER.as_bytes()).expect("placeholder");
    let text = format!(
        "[{:<10} {:<10} {:<10} {:<10}]",
        values[0], values[1], values[2], values[3]
    );
    assert_eq!(text.len(), PLACEHOLDER.len());
    pdf[at..at + text.len()].copy_from_slice(text.as_bytes());
}

/// The honest byte range of the first hex string after `/Contents`.
pub(crate) fn honest_range(pdf: &[u8]) -> [i64; 4] {
    let mut key = find(pdf, b"/Contents").unwrap() + b"/Contents".len();
    while pdf[key] == b' ' {
        key += 1;
    }
    assert_eq!(pdf[key], b'<');
    let end = key + pdf[key..].iter().position(|&b| b == b'>').unwrap() + 1;
    [0, key as i64, end as i64, (pdf.len() - end) as i64]
}

pub(crate) fn signed_pdf() -> Vec<u8> {
    let mut pdf = build(
        &objects(&sig_body(&format!("<{}>", hex(CONTENTS))), &[]),
        "",
    );
    let range = honest_range(&pdf);
    set_byte_range(&mut pdf, range);
    pdf
}

/// A signed PDF built with lopdf (the structure a real producer writes), its byte range made
/// honest afterwards.
pub(crate) fn lopdf_signed_pdf(modern: bool) -> Vec<u8> {
    use lopdf::{dictionary, StringFormat};
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let page_id = doc.new_object_id();
    let field_id = doc.new_object_id();
    let sig_id = doc.new_object_id();
    let placeholder = |i: i64| Object::Integer(1_000_000_000 + i);
    doc.objects.insert(
        sig_id,
        Object::Dictionary(dictionary! {
            "Type" => "Sig",
            "Filter" => "Adobe.PPKLite",
            "SubFilter" => "ETSI.CAdES.detached",
            "ByteRange" => vec![placeholder(0), placeholder(1), placeholder(2), placeholder(3)],
            "Contents" => Object::String(CONTENTS.to_vec(), StringFormat::Hexadecimal),
            "M" => Object::string_literal("D:20260101120000Z"),
        }),
    );
    doc.objects.insert(
        field_id,
        Object::Dictionary(dictionary! {
            "FT" => "Sig", "T" => Object::string_literal("Signature1"), "V" => sig_id,
            "Type" => "Annot", "Subtype" => "Widget", "Rect" => vec![0.into(), 0.into(), 0.into(), 0.into()],
            "P" => page_id,
        }),
    );
    doc.objects.insert(
        page_id,
        Object::Dictionary(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Annots" => vec![field_id.into()],
            "MediaBox" => vec![0.into(), 0.into(), 200.into(), 200.into()],
        }),
    );
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 },
        ),
    );
    let catalog_id = doc.add_object(dictionary! {
        "Type" => "Catalog", "Pages" => pages_id,
        "AcroForm" => dictionary! { "Fields" => vec![field_id.into()], "SigFlags" => 3 },
    });
    doc.trailer.set("Root", catalog_id);
    let mut pdf = Vec::new();
    if modern {
        doc.save_modern(&mut pdf).unwrap();
    } else {
        doc.save_to(&mut pdf).unwrap();
    }
    if let Some(at) = find(&pdf, b"1000000000 1000000001 1000000002 1000000003") {
        let range = honest_range(&pdf);
        let text = format!(
            "{:<10} {:<10} {:<10} {:<10}",
            range[0], range[1], range[2], range[3]
        );
        pdf[at..at + text.len()].copy_from_slice(text.as_bytes());
    }
    pdf
}

fn only_signature(pdf: &[u8]) -> PdfSignature {
    let mut sigs = PdfSignatures::extract(pdf).unwrap();
    assert_eq!(sigs.len(), 1, "{sigs:#?}");
    sigs.pop().unwrap()
}

#[test]
fn reads_a_signature_field() {
    let pdf = signed_pdf();
    let sig = only_signature(&pdf);
    assert_eq!(sig.field_name.as_deref(), Some("Signature1"));
    assert_eq!(sig.qualified_field_name.as_deref(), Some("Signature1"));
    assert_eq!(sig.dictionary_id, Some((5, 0)));
    assert_eq!(sig.dict_type, SignatureDictType::Sig);
    assert_eq!(sig.filter.as_deref(), Some("Adobe.PPKLite"));
    assert_eq!(sig.sub_filter.as_deref(), Some("ETSI.CAdES.detached"));
    assert_eq!(sig.signing_time.as_deref(), Some("D:20260101120000Z"));
    assert_eq!(sig.reason.as_deref(), Some("Archiving"));
    // \365 is 'õ' in PDFDocEncoding.
    assert_eq!(sig.name.as_deref(), Some("Nguyõn"));
    assert_eq!(sig.contents.as_deref(), Ok(CONTENTS));
    assert_eq!(sig.cms_bytes(), Some(&CONTENTS[..5]));
    let range = sig.byte_range.clone().unwrap();
    assert_eq!(
        sig.raw_byte_range.map(|r| r.map(|v| v as usize)),
        Some(range.as_array())
    );
    assert!(sig.covers_whole_file());
    assert_eq!(sig.revision_end(), Some(pdf.len()));
    assert_eq!(&pdf[range.gap()][..1], b"<");
    assert_eq!(range.gap_contents(&pdf).as_deref(), Some(CONTENTS));
    let [a, b] = range.signed_bytes(&pdf).unwrap();
    assert_eq!(a.len() + b.len() + range.gap().len(), pdf.len());
    assert!(!sig.is_document_timestamp());
}

#[test]
fn reads_a_pdf_written_by_lopdf() {
    let pdf = lopdf_signed_pdf(false);
    let sig = only_signature(&pdf);
    assert!(sig.covers_whole_file(), "{:?}", sig.byte_range);
    assert_eq!(sig.contents.as_deref(), Ok(CONTENTS));
    // With object streams the signature dictionary is compressed, so no gap can hold it.
    let sig = only_signature(&lopdf_signed_pdf(true));
    assert!(sig.byte_range.is_err());
    assert_eq!(sig.contents.as_deref(), Ok(CONTENTS));
}

#[test]
fn an_incremental_update_leaves_the_signature_on_its_revision() {
    let mut pdf = signed_pdf();
    let signed_len = pdf.len();
    // An update that only appends a new trailer pointing back at the old xref.
    let prev = find(&pdf, b"startxref\n").unwrap() + b"startxref\n".len();
    let prev: usize = std::str::from_utf8(&pdf[prev..])
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 0\ntrailer\n<< /Size 6 /Root 1 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n")
            .as_bytes(),
    );
    let sig = only_signature(&pdf);
    assert!(!sig.covers_whole_file());
    assert_eq!(sig.revision_end(), Some(signed_len));
}

#[test]
fn nested_fields_have_qualified_names_and_inherit_the_field_type() {
    let pdf = build(
        &[
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>".into(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>".into(),
            "<< /FT /Sig /T (outer) /Kids [5 0 R 6 0 R] >>".into(),
            "<< /T (inner) /Parent 4 0 R /V 7 0 R >>".into(),
            "<< /FT /Tx /T (text) /Parent 4 0 R /V (not a signature) >>".into(),
            "<< /Type /DocTimeStamp /SubFilter /ETSI.RFC3161 /ByteRange [0 0 0 0] /Contents <00> >>"
                .into(),
        ],
        "",
    );
    let sig = only_signature(&pdf);
    assert_eq!(sig.field_name.as_deref(), Some("inner"));
    assert_eq!(sig.qualified_field_name.as_deref(), Some("outer.inner"));
    assert_eq!(sig.dict_type, SignatureDictType::DocTimeStamp);
    assert!(sig.is_document_timestamp());
    assert_eq!(sig.raw_byte_range, Some([0, 0, 0, 0]));
    assert!(matches!(
        sig.byte_range,
        Err(ByteRangeError::GapNotHexString { .. })
    ));
}

#[test]
fn an_unsigned_pdf_has_no_signatures() {
    let pdf = build(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>".into(),
            "<< /Type /Pages /Kids [] /Count 0 >>".into(),
        ],
        "",
    );
    assert_eq!(PdfSignatures::extract(&pdf), Ok(vec![]));
}

// ---- hostile input -------------------------------------------------------------------------

#[test]
fn garbage_is_not_a_pdf() {
    assert_eq!(PdfSignatures::extract(b""), Err(PdfError::NotPdf));
    assert_eq!(
        PdfSignatures::extract(b"\x00\x01garbage garbage"),
        Err(PdfError::NotPdf)
    );
    assert!(PdfSignatures::extract(b"%PDF-1.7\n\xff\xfe garbage 1 0 R obj << [[ ((").is_err());
}

#[test]
fn too_large_input_is_refused_before_parsing() {
    let pdf = signed_pdf();
    let limits = PdfLimits {
        max_file_len: 100,
        ..PdfLimits::default()
    };
    assert_eq!(
        PdfSignatures::read(&pdf, &limits),
        Err(PdfError::TooLarge {
            len: pdf.len(),
            max: 100
        })
    );
}

#[test]
fn truncated_pdf_fails_cleanly() {
    let pdf = signed_pdf();
    for cut in [
        10,
        pdf.len() / 3,
        pdf.len() / 2,
        pdf.len() - 30,
        pdf.len() - 1,
    ] {
        match PdfSignatures::extract(&pdf[..cut]) {
            Err(e) => assert!(!matches!(e, PdfError::ParserPanic(_)), "{cut}: {e}"),
            // lopdf may repair the structure; the signature then cannot cover the file.
            Ok(sigs) => assert!(
                sigs.iter().all(|s| s.byte_range.is_err()),
                "{cut}: {sigs:#?}"
            ),
        }
    }
}

#[test]
fn object_reference_loop_is_an_error() {
    // /AcroForm 6 0 R -> 7 0 R -> 6 0 R: the chain never reaches an object.
    let mut objs = objects(&sig_body("<00>"), &["7 0 R".into(), "6 0 R".into()]);
    objs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm 6 0 R >>".into();
    let mut pdf = build(&objs, "");
    set_byte_range(&mut pdf, [0, 0, 0, 0]);
    let err = PdfSignatures::extract(&pdf).unwrap_err();
    assert!(
        matches!(&err, PdfError::Malformed(m) if m.contains("reference")),
        "{err}"
    );
}

#[test]
fn kids_loop_is_an_error() {
    let mut objs = objects(&sig_body("<00>"), &["<< /T (loop) /Kids [4 0 R] >>".into()]);
    objs[3] = "<< /FT /Sig /T (Signature1) /V 5 0 R /Kids [6 0 R] >>".into();
    let mut pdf = build(&objs, "");
    set_byte_range(&mut pdf, [0, 0, 0, 0]);
    let err = PdfSignatures::extract(&pdf).unwrap_err();
    assert!(matches!(err, PdfError::FieldTree(_)), "{err}");
}

#[test]
fn field_nesting_is_bounded() {
    // 200 fields each the only kid of the previous one.
    let mut objs = vec![
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>".to_string(),
        "<< /Type /Pages /Kids [] /Count 0 >>".into(),
    ];
    for i in 3..203 {
        objs.push(format!("<< /FT /Sig /T (f{i}) /Kids [{} 0 R] >>", i + 1));
    }
    objs.push("<< /T (last) >>".into());
    let err = PdfSignatures::extract(&build(&objs, "")).unwrap_err();
    assert!(matches!(err, PdfError::FieldTree(_)), "{err}");
}

#[test]
fn xref_prev_loop_does_not_hang() {
    let mut pdf = signed_pdf();
    // A second xref section whose /Prev points at itself.
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 0\ntrailer\n<< /Size 6 /Root 1 0 R /Prev {xref} >>\nstartxref\n{xref}\n%%EOF\n")
            .as_bytes(),
    );
    match PdfSignatures::extract(&pdf) {
        Err(e) => assert!(!matches!(e, PdfError::ParserPanic(_)), "{e}"),
        Ok(sigs) => {
            assert_eq!(sigs.len(), 1);
            assert!(!sigs[0].covers_whole_file());
        }
    }
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let deep = format!(
        "<< /Type /Catalog /X {}{} >>",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let pdf = build(&[deep], "");
    // Either lopdf refuses the object or the catalog has no fields; no crash either way.
    let _ = PdfSignatures::extract(&pdf);
}

#[test]
fn a_password_protected_pdf_is_a_clear_error() {
    use lopdf::{EncryptionState, EncryptionVersion, Permissions, StringFormat};
    let mut doc = Document::load_mem(&lopdf_signed_pdf(false)).unwrap();
    let id = Object::String(vec![7; 16], StringFormat::Hexadecimal);
    doc.trailer.set("ID", vec![id.clone(), id]);
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password: "secret",
        key_length: 128,
        permissions: Permissions::all(),
    })
    .unwrap();
    doc.encrypt(&state).unwrap();
    let mut pdf = Vec::new();
    doc.save_to(&mut pdf).unwrap();
    let err = PdfSignatures::extract(&pdf).unwrap_err();
    assert!(matches!(err, PdfError::Encrypted(_)), "{err}");
}

#[test]
fn decompression_is_bounded() {
    // The modern layout keeps the objects in a compressed object stream.
    let pdf = lopdf_signed_pdf(true);
    assert!(PdfSignatures::extract(&pdf).is_ok());
    let limits = PdfLimits {
        max_decompressed_stream_len: 16,
        ..PdfLimits::default()
    };
    let err = PdfSignatures::read(&pdf, &limits).unwrap_err();
    assert!(!matches!(err, PdfError::ParserPanic(_)), "{err}");
}

#[test]
fn byte_range_outside_the_file() {
    let mut pdf = build(
        &objects(&sig_body(&format!("<{}>", hex(CONTENTS))), &[]),
        "",
    );
    let [a, b, c, _] = honest_range(&pdf);
    set_byte_range(&mut pdf, [a, b, c, 1_000_000]);
    let sig = only_signature(&pdf);
    assert!(matches!(
        sig.byte_range,
        Err(ByteRangeError::OutsideFile { .. })
    ));
    assert!(!sig.covers_whole_file());
    assert_eq!(sig.raw_byte_range, Some([a, b, c, 1_000_000]));
}

#[test]
fn overlapping_byte_range() {
    let mut pdf = build(
        &objects(&sig_body(&format!("<{}>", hex(CONTENTS))), &[]),
        "",
    );
    let [_, b, c, d] = honest_range(&pdf);
    // The first range runs past the start of the second.
    set_byte_range(&mut pdf, [0, c + 5, c, d]);
    assert!(matches!(
        only_signature(&pdf).byte_range,
        Err(ByteRangeError::Overlapping { .. })
    ));
    // A range that does not start at 0 leaves the file's head unsigned.
    set_byte_range_again(&mut pdf, [5, b - 5, c, d]);
    assert_eq!(
        only_signature(&pdf).byte_range,
        Err(ByteRangeError::FirstOffsetNotZero(5))
    );
    set_byte_range_again(&mut pdf, [0, -1, c, d]);
    assert_eq!(
        only_signature(&pdf).byte_range,
        Err(ByteRangeError::Negative {
            index: 1,
            value: -1
        })
    );
}

/// Rewrites a byte range already written over the placeholder.
fn set_byte_range_again(pdf: &mut [u8], values: [i64; 4]) {
    let at = find(pdf, b"/ByteRange [").unwrap() + b"/ByteRange ".len();
    pdf[at..at + PLACEHOLDER.len()].copy_from_slice(PLACEHOLDER.as_bytes());
    set_byte_range(pdf, values);
}

#[test]
fn a_gap_that_is_not_the_hex_contents() {
    // A literal string: the gap does not start with '<'.
    let mut pdf = build(&objects(&sig_body("(0\\003\\002\\001\\005)"), &[]), "");
    let key = find(&pdf, b"/Contents (").unwrap() + b"/Contents ".len();
    let end = key + pdf[key..].iter().position(|&b| b == b')').unwrap() + 1;
    let d = (pdf.len() - end) as i64;
    set_byte_range(&mut pdf, [0, key as i64, end as i64, d]);
    assert!(matches!(
        only_signature(&pdf).byte_range,
        Err(ByteRangeError::GapNotHexString { .. })
    ));

    // A gap wider than the string leaves other bytes unsigned.
    let mut pdf = build(
        &objects(&sig_body(&format!("<{}>", hex(CONTENTS))), &[]),
        "",
    );
    let [_, b, c, d] = honest_range(&pdf);
    set_byte_range(&mut pdf, [0, b - 3, c, d]);
    assert!(matches!(
        only_signature(&pdf).byte_range,
        Err(ByteRangeError::GapNotHexString { .. })
    ));

    // Non-hex bytes inside the brackets: lopdf cannot parse the signature dictionary, which
    // must not make the field look unsigned.
    let mut pdf = build(&objects(&sig_body("<3003020105ZZ>"), &[]), "");
    let range = honest_range(&pdf);
    set_byte_range(&mut pdf, range);
    let err = PdfSignatures::extract(&pdf).unwrap_err();
    assert!(matches!(err, PdfError::Malformed(_)), "{err}");
    // The same gap seen by the byte-range check alone.
    let gap = b"0<3003020105ZZ>0";
    assert!(matches!(
        ByteRange::validate(&[0, 1, 15, 1], gap),
        Err(ByteRangeError::GapNotHexString { .. })
    ));
}

#[test]
fn a_gap_holding_another_signatures_contents() {
    // Field 2's dictionary claims the gap of field 1's /Contents.
    let other = format!(
        "<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange {PLACEHOLDER} /Contents <{}> >>",
        hex(b"other")
    );
    let mut objs = objects(
        &sig_body(&format!("<{}>", hex(CONTENTS))),
        &[other, "<< /FT /Sig /T (Signature2) /V 6 0 R >>".into()],
    );
    objs[0] = "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 7 0 R] >> >>".into();
    let mut pdf = build(&objs, "");
    let range = honest_range(&pdf);
    set_byte_range(&mut pdf, range);
    set_byte_range(&mut pdf, range);
    let sigs = PdfSignatures::extract(&pdf).unwrap();
    assert_eq!(sigs.len(), 2);
    assert!(sigs[0].byte_range.is_ok());
    assert_eq!(sigs[1].byte_range, Err(ByteRangeError::ContentsMismatch));
}

#[test]
fn contents_problems_are_per_signature() {
    let mut pdf = build(&objects(&sig_body("42"), &[]), "");
    set_byte_range(&mut pdf, [0, 10, 20, 10]);
    let sig = only_signature(&pdf);
    assert_eq!(sig.contents, Err(ContentsError::NotAString));
    let pdf = build(&objects("<< /Type /Sig /ByteRange [0 1 2] >>", &[]), "");
    let sig = only_signature(&pdf);
    assert_eq!(sig.contents, Err(ContentsError::Missing));
    assert_eq!(sig.byte_range, Err(ByteRangeError::WrongCount(3)));
}

#[test]
fn byte_range_validate_directly() {
    let file = b"0123<ABCD>6789";
    assert!(ByteRange::validate(&[0, 4, 10, 4], file).is_ok());
    let ok = ByteRange::validate(&[0, 4, 10, 2], file).unwrap();
    assert!(!ok.covers_whole_file());
    assert_eq!(ok.revision_end(), 12);
    assert_eq!(ok.gap_contents(file), Some(vec![0xAB, 0xCD]));
    assert_eq!(
        ByteRange::validate(&[0, 4, 10], file),
        Err(ByteRangeError::WrongCount(3))
    );
    assert!(matches!(
        ByteRange::validate(&[0, 4, 10, i64::MAX], file),
        Err(ByteRangeError::OutsideFile { .. })
    ));
    assert!(matches!(
        ByteRange::validate(&[0, 4, i64::MAX, i64::MAX], file),
        Err(ByteRangeError::OutsideFile { .. })
    ));
    assert!(matches!(
        ByteRange::validate(&[0, 4, 4, 4], file),
        Err(ByteRangeError::GapNotHexString { .. })
    ));
    assert!(matches!(
        ByteRange::validate(&[0, 3, 10, 4], file),
        Err(ByteRangeError::GapNotHexString { .. })
    ));
    // Odd digit count: the last digit is followed by 0, as PDF says.
    let odd = b"<ABC>";
    let r = ByteRange::validate(&[0, 0, 5, 0], odd).unwrap();
    assert_eq!(r.gap_contents(odd), Some(vec![0xAB, 0xC0]));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random damage to a valid signed PDF never panics (not even inside lopdf, which the
    /// guard would turn into ParserPanic) and never yields a byte range that is not honest.
    #[test]
    fn mutated_signed_pdf_never_panics(
        modern in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in proptest::option::of(any::<prop::sample::Index>()),
        insert in proptest::option::of((any::<prop::sample::Index>(), proptest::collection::vec(any::<u8>(), 1..16))),
    ) {
        let mut pdf = lopdf_signed_pdf(modern);
        for (at, byte) in edits {
            let i = at.index(pdf.len());
            pdf[i] = byte;
        }
        if let Some((at, bytes)) = insert {
            let i = at.index(pdf.len());
            pdf.splice(i..i, bytes);
        }
        if let Some(cut) = cut {
            let len = cut.index(pdf.len());
            pdf.truncate(len.max(1));
        }
        match PdfSignatures::extract(&pdf) {
            Err(e) => prop_assert!(!matches!(e, PdfError::ParserPanic(_)), "{}", e),
            Ok(sigs) => {
                for sig in sigs {
                    if let Ok(range) = &sig.byte_range {
                        prop_assert_eq!(pdf[range.gap()][0], b'<');
                        prop_assert!(range.revision_end() <= pdf.len());
                    }
                    if let Ok(contents) = &sig.contents {
                        let _ = crate::SignedDataParts::from_ber(contents);
                    }
                }
            }
        }
    }
}
