use super::*;
use crate::pdf::tests::{build, find, hex, set_byte_range, CONTENTS, PLACEHOLDER};
use crate::pdf::{PdfSignatures, SignatureDictType};

/// How the signature of the base document certifies it.
#[derive(Clone, Copy)]
enum Certify {
    No,
    DocMdp(Option<i64>),
    /// FieldMDP locking the text field `name`.
    LockName,
}

/// A signed one-page document: 1 catalog, 2 page tree, 3 page (content 6, resources 10,
/// widgets 4 and 7), 4 signature field and widget, 5 its signature dictionary, 6 the content
/// stream, 7 a text field `name` merged with its widget, 8 the text field's appearance,
/// 9 free, 10 the page resources, 11 a font. The byte range is honest.
fn base(certify: Certify) -> Vec<u8> {
    base_with(certify, "")
}

/// [`base`] with more entries in the catalog.
fn base_with(certify: Certify, catalog_extra: &str) -> Vec<u8> {
    let reference = match certify {
        Certify::No => String::new(),
        Certify::DocMdp(p) => format!(
            "/Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams \
             << /Type /TransformParams /V /1.2 {} >> >>]",
            p.map(|p| format!("/P {p}")).unwrap_or_default()
        ),
        Certify::LockName => {
            "/Reference [<< /Type /SigRef /TransformMethod /FieldMDP /TransformParams \
             << /Type /TransformParams /V /1.2 /Action /Include /Fields [(name)] >> >>]"
                .into()
        }
    };
    let perms = match certify {
        Certify::DocMdp(_) => "/Perms << /DocMDP 5 0 R >>",
        _ => "",
    };
    let objects = vec![
        format!(
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 7 0 R] /SigFlags 3 >> {perms} {catalog_extra} >>"
        ),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 6 0 R /Resources 10 0 R \
         /Annots [4 0 R 7 0 R] >>"
            .into(),
        "<< /FT /Sig /T (Signature1) /V 5 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>"
            .into(),
        format!(
            "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange {PLACEHOLDER} \
             /Contents <{}> /M (D:20260101120000Z) {reference} >>",
            hex(CONTENTS)
        ),
        stream("", "BT /F1 12 Tf 10 10 Td (Signed text) Tj ET"),
        "<< /FT /Tx /T (name) /V (old) /Type /Annot /Subtype /Widget /Rect [0 100 100 120] /P 3 0 R \
         /AP << /N 8 0 R >> >>"
            .into(),
        stream("/Type /XObject /Subtype /Form /BBox [0 0 100 20]", "(old) Tj"),
        "null".into(),
        "<< /Font << /F1 11 0 R >> >>".into(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
    ];
    let mut pdf = build(&objects, "");
    // The signature's hex string (the page's /Contents comes first in the file).
    let start = find(&pdf, b"/Contents <").unwrap() + b"/Contents ".len();
    let end = start + find(&pdf[start..], b">").unwrap() + 1;
    let range = [0, start as i64, end as i64, (pdf.len() - end) as i64];
    set_byte_range(&mut pdf, range);
    pdf
}

fn stream(dict: &str, content: &str) -> String {
    format!(
        "<< {dict} /Length {} >>\nstream\n{content}\nendstream",
        content.len()
    )
}

/// The offset after the last `startxref`.
fn last_startxref(pdf: &[u8]) -> usize {
    let at = pdf
        .windows(9)
        .rposition(|w| w == b"startxref")
        .expect("startxref");
    std::str::from_utf8(&pdf[at + 9..])
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Appends an incremental update with a classic cross-reference section; its trailer names
/// object 1 as the catalog unless `trailer_extra` has a `/Root`.
fn update(pdf: &[u8], objects: &[(u32, &str)], trailer_extra: &str) -> Vec<u8> {
    let prev = last_startxref(pdf);
    let mut out = pdf.to_vec();
    let mut offsets = Vec::new();
    for (num, body) in objects {
        offsets.push((*num, out.len()));
        out.extend_from_slice(format!("{num} 0 obj\n{body}\nendobj\n").as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    for (num, offset) in &offsets {
        out.extend_from_slice(format!("{num} 1\n{offset:010} 00000 n \n").as_bytes());
    }
    let size = objects
        .iter()
        .map(|(n, _)| n + 1)
        .max()
        .unwrap_or(0)
        .max(30);
    let root = if trailer_extra.contains("/Root") {
        ""
    } else {
        "/Root 1 0 R"
    };
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {size} {root} /Prev {prev} {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n"
        )
        .as_bytes(),
    );
    out
}

/// Appends an incremental update whose objects are in an object stream (number 40) and whose
/// cross-reference data is a stream (number 41), as PDF 1.5+ writers do.
fn compressed_update(pdf: &[u8], objects: &[(u32, &str)]) -> Vec<u8> {
    let prev = last_startxref(pdf);
    let mut header = String::new();
    let mut body = String::new();
    for (num, text) in objects {
        header.push_str(&format!("{num} {} ", body.len()));
        body.push_str(text);
        body.push('\n');
    }
    let content = format!("{header}\n{body}");
    let mut out = pdf.to_vec();
    let objstm_offset = out.len();
    out.extend_from_slice(
        format!(
            "40 0 obj\n<< /Type /ObjStm /N {} /First {} /Length {} >>\nstream\n{content}\nendstream\nendobj\n",
            objects.len(),
            header.len() + 1,
            content.len()
        )
        .as_bytes(),
    );
    let xref_offset = out.len();
    // /W [1 4 2]: type, offset or object-stream number, generation or index.
    let mut entries = Vec::new();
    let mut index = Vec::new();
    for (i, (num, _)) in objects.iter().enumerate() {
        index.push(format!("{num} 1"));
        entries.push(2u8);
        entries.extend_from_slice(&40u32.to_be_bytes());
        entries.extend_from_slice(&(i as u16).to_be_bytes());
    }
    for (num, offset) in [(40u32, objstm_offset), (41, xref_offset)] {
        index.push(format!("{num} 1"));
        entries.push(1);
        entries.extend_from_slice(&(offset as u32).to_be_bytes());
        entries.extend_from_slice(&0u16.to_be_bytes());
    }
    out.extend_from_slice(
        format!(
            "41 0 obj\n<< /Type /XRef /Size 42 /Root 1 0 R /Prev {prev} /W [1 4 2] /Index [{}] /Length {} >>\nstream\n",
            index.join(" "),
            entries.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&entries);
    out.extend_from_slice(
        format!("\nendstream\nendobj\nstartxref\n{xref_offset}\n%%EOF\n").as_bytes(),
    );
    out
}

fn modifications_of(pdf: &[u8]) -> Modifications {
    let sigs = PdfSignatures::read(pdf, &PdfLimits::default()).unwrap();
    let first = sigs
        .signatures
        .iter()
        .position(|s| s.field_name.as_deref() == Some("Signature1"))
        .expect("Signature1");
    assert!(
        sigs.signatures[first].byte_range.is_ok(),
        "{:?}",
        sigs.signatures[first].byte_range
    );
    sigs.modifications(pdf, first, &PdfLimits::default())
        .unwrap()
}

fn describe(m: &Modifications) -> String {
    m.changes
        .iter()
        .map(|c| format!("{:?} {} {}", c.kind, c.permitted, c.description))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_signature_over_the_whole_file_has_no_changes() {
    let pdf = base(Certify::No);
    let sigs = PdfSignatures::read(&pdf, &PdfLimits::default()).unwrap();
    let m = sigs.modifications(&pdf, 0, &PdfLimits::default()).unwrap();
    assert_eq!(m.verdict, ModificationVerdict::None);
    assert!(m.changes.is_empty());
    assert_eq!(m.revision_end, pdf.len());
}

#[test]
fn rewriting_objects_with_the_same_content_is_no_change() {
    let pdf = base(Certify::No);
    // The same page and catalog, written differently (spacing, a hex string for a literal,
    // integer for real, keys reordered).
    let pdf = update(
        &pdf,
        &[
            (3, "<</Annots[4 0 R 7 0 R]/Resources 10 0 R/Contents 6 0 R/Type/Page/MediaBox[0 0 200.0 200]/Parent 2 0 R>>"),
            (1, "<< /AcroForm << /SigFlags 3 /Fields [4 0 R 7 0 R] >> /Pages 2 0 R /Type /Catalog >>"),
            (7, "<< /FT /Tx /T <6E616D65> /V (old) /Type /Annot /Subtype /Widget /Rect [0 100 100 120] /P 3 0 R /AP << /N 8 0 R >> >>"),
        ],
        "",
    );
    let m = modifications_of(&pdf);
    assert_eq!(m.verdict, ModificationVerdict::None, "{}", describe(&m));
}

#[test]
fn a_copy_under_a_new_number_is_no_change() {
    // Signature-P-DE_SCI-4.pdf does this: the page's /Resources move to a new object with the
    // same content.
    let pdf = update(
        &base(Certify::No),
        &[
            (12, "<< /Font << /F1 11 0 R >> >>"),
            (3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 6 0 R /Resources 12 0 R /Annots [4 0 R 7 0 R] >>"),
        ],
        "",
    );
    let m = modifications_of(&pdf);
    assert_eq!(m.verdict, ModificationVerdict::None, "{}", describe(&m));
    // A copy that differs is page content.
    let pdf = update(
        &base(Certify::No),
        &[
            (12, "<< /Font << /F1 11 0 R /F2 11 0 R >> >>"),
            (3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 6 0 R /Resources 12 0 R /Annots [4 0 R 7 0 R] >>"),
        ],
        "",
    );
    let m = modifications_of(&pdf);
    assert_eq!(m.verdict, ModificationVerdict::Modified, "{}", describe(&m));
    assert!(
        m.changes
            .iter()
            .any(|c| c.description == "page 1 /Resources changed"),
        "{}",
        describe(&m)
    );
    assert!(
        m.changes
            .iter()
            .any(|c| c.description == "page 1 resources 12 0 added"),
        "{}",
        describe(&m)
    );
}

#[test]
fn a_dss_update_is_allowed_even_when_certified_with_no_changes() {
    let dss_update = |pdf: &[u8]| {
        update(
            pdf,
            &[
                (12, &stream("", "0123")),
                (13, "<< /Type /DSS /Certs [12 0 R] /VRI << /ABCD << /Cert [12 0 R] >> >> >>"),
                (1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 7 0 R] /SigFlags 3 >> /DSS 13 0 R >>"),
            ],
            "",
        )
    };
    let pdf = dss_update(&base(Certify::No));
    let m = modifications_of(&pdf);
    assert_eq!(m.verdict, ModificationVerdict::Allowed, "{}", describe(&m));
    assert_eq!(m.kinds(), [ChangeKind::Dss].into(), "{}", describe(&m));
    assert!(m
        .changes
        .iter()
        .any(|c| c.description == "catalog /DSS added"));

    // Certified with P=1: the catalog of the update keeps /Perms.
    let pdf = update(
        &base(Certify::DocMdp(Some(1))),
        &[
            (12, &stream("", "0123")),
            (13, "<< /Type /DSS /Certs [12 0 R] >>"),
            (1, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 7 0 R] /SigFlags 3 >> /Perms << /DocMDP 5 0 R >> /DSS 13 0 R >>"),
        ],
        "",
    );
    let m = modifications_of(&pdf);
    assert_eq!(
        m.doc_mdp
            .as_ref()
            .map(|d| (d.permissions, d.raw_p, d.signature_dictionary)),
        Some((DocMdpPermissions::NoChanges, Some(1), Some((5, 0))))
    );
    assert_eq!(m.verdict, ModificationVerdict::Allowed, "{}", describe(&m));
}

#[test]
fn replacing_a_content_stream_is_a_modification() {
    let pdf = update(
        &base(Certify::No),
        &[(6, &stream("", "BT /F1 12 Tf 10 10 Td (Other text) Tj ET"))],
        "",
    );
    let m = modifications_of(&pdf);
    assert_eq!(m.verdict, ModificationVerdict::Modified);
    assert_eq!(m.changes.len(), 1, "{}", describe(&m));
    let change = &m.changes[0];
    assert_eq!(change.kind, ChangeKind::Other);
    assert_eq!(change.object, (6, 0));
    assert_eq!(change.description, "page 1 content stream 6 0 changed");
    assert!(!change.permitted);
}

#[test]
fn the_same_stream_encoded_differently_is_no_change() {
    let text = "BT /F1 12 Tf 10 10 Td (Signed text) Tj ET";
    let hex_text: String = text.bytes().map(|b| format!("{b:02x}")).collect();
    let pdf = update(
        &base(Certify::No),
        &[(
            6,
            &stream("/Filter /ASCIIHexDecode", &format!("{hex_text}>")),
        )],
        "",
    );
    let m = modifications_of(&pdf);
    assert_eq!(m.verdict, ModificationVerdict::None, "{}", describe(&m));
}

#[test]
fn objects_in_object_and_cross_reference_streams_are_compared_too() {
    // The same objects rewritten into an object stream: no change.
    let pdf = compressed_update(
        &base(Certify::No),
        &[
            (10, "<< /Font << /F1 11 0 R >> >>"),
            (11, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
        ],
    );
    let m = modifications_of(&pdf);
    assert_eq!(m.verdict, ModificationVerdict::None, "{}", describe(&m));
    // A font swapped inside an object stream: page content.
    let pdf = compressed_update(
        &base(Certify::No),
        &[(11, "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>")],
    );
    let m = modifications_of(&pdf);
    assert_eq!(m.verdict, ModificationVerdict::Modified, "{}", describe(&m));
    assert_eq!(m.changes[0].description, "page 1 resources 11 0 changed");
}

#[test]
fn form_filling_depends_on_the_docmdp_level_and_field_locks() {
    let fill = |pdf: &[u8]| {
        update(
            pdf,
            &[
                (12, &stream("/Type /XObject /Subtype /Form /BBox [0 0 100 20]", "(new) Tj")),
                (7, "<< /FT /Tx /T (name) /V (new) /Type /Annot /Subtype /Widget /Rect [0 100 100 120] /P 3 0 R /AP << /N 12 0 R >> >>"),
            ],
            "",
        )
    };
    let m = modifications_of(&fill(&base(Certify::No)));
    assert_eq!(m.verdict, ModificationVerdict::Allowed, "{}", describe(&m));
    assert_eq!(m.kinds(), [ChangeKind::FormFill].into(), "{}", describe(&m));
    assert!(
        m.changes
            .iter()
            .any(|c| c.description == "form field 'name' /V changed"),
        "{}",
        describe(&m)
    );

    // No /P means 2: form filling allowed.
    let m = modifications_of(&fill(&base(Certify::DocMdp(None))));
    assert_eq!(
        m.doc_mdp.as_ref().map(|d| d.permissions),
        Some(DocMdpPermissions::FormFillAndSigning)
    );
    assert_eq!(m.verdict, ModificationVerdict::Allowed, "{}", describe(&m));

    let m = modifications_of(&fill(&base(Certify::DocMdp(Some(1)))));
    assert_eq!(m.verdict, ModificationVerdict::Modified, "{}", describe(&m));
    assert!(m.changes.iter().all(|c| !c.permitted));

    // A /P the standard does not define reads as the strictest.
    let m = modifications_of(&fill(&base(Certify::DocMdp(Some(7)))));
    assert_eq!(
        m.doc_mdp.as_ref().map(|d| (d.permissions, d.raw_p)),
        Some((DocMdpPermissions::NoChanges, Some(7)))
    );

    let m = modifications_of(&fill(&base(Certify::LockName)));
    assert_eq!(m.field_locks.len(), 1);
    assert_eq!(
        m.field_locks[0].action,
        FieldLockAction::Include(vec!["name".into()])
    );
    assert_eq!(m.verdict, ModificationVerdict::Modified, "{}", describe(&m));
    assert!(m
        .changes
        .iter()
        .any(|c| c.description.ends_with("(the field is locked by FieldMDP)")));
}

#[test]
fn annotations_need_docmdp_level_three() {
    let annotate = |pdf: &[u8]| {
        update(
            pdf,
            &[
                (12, "<< /Type /Annot /Subtype /Text /Rect [10 10 20 20] /Contents (a note) /P 3 0 R >>"),
                (3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 6 0 R /Resources 10 0 R /Annots [4 0 R 7 0 R 12 0 R] >>"),
            ],
            "",
        )
    };
    let m = modifications_of(&annotate(&base(Certify::No)));
    assert_eq!(m.verdict, ModificationVerdict::Allowed, "{}", describe(&m));
    assert_eq!(
        m.kinds(),
        [ChangeKind::Annotation].into(),
        "{}",
        describe(&m)
    );
    for expected in [
        "page 1 annotation (/Text) added to page 1 /Annots",
        "page 1 annotation (/Text) 12 0 added",
    ] {
        assert!(
            m.changes.iter().any(|c| c.description == expected),
            "{expected}\n{}",
            describe(&m)
        );
    }
    let m = modifications_of(&annotate(&base(Certify::DocMdp(Some(2)))));
    assert_eq!(m.verdict, ModificationVerdict::Modified, "{}", describe(&m));
    let m = modifications_of(&annotate(&base(Certify::DocMdp(Some(3)))));
    assert_eq!(m.verdict, ModificationVerdict::Allowed, "{}", describe(&m));
}

/// A second signature (or document timestamp) in field `name`, objects 12 to 14.
fn second_signature(pdf: &[u8], doc_ts: bool, perms: &str) -> Vec<u8> {
    let sig = if doc_ts {
        "<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 /ByteRange [0 0 0 0] /Contents <3000> >>"
    } else {
        "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 0 0 0] /Contents <3000> >>"
    };
    update(
        pdf,
        &[
            (12, sig),
            (13, &stream("/Type /XObject /Subtype /Form /BBox [0 0 100 20]", "")),
            (14, "<< /FT /Sig /T (Signature2) /V 12 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /AP << /N 13 0 R >> >>"),
            (3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 6 0 R /Resources 10 0 R /Annots [4 0 R 7 0 R 14 0 R] >>"),
            (1, &format!("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 7 0 R 14 0 R] /SigFlags 3 >> {perms} >>")),
        ],
        "",
    )
}

#[test]
fn a_later_signature_needs_docmdp_level_two() {
    let m = modifications_of(&second_signature(&base(Certify::No), false, ""));
    assert_eq!(m.verdict, ModificationVerdict::Allowed, "{}", describe(&m));
    assert_eq!(
        m.kinds(),
        [ChangeKind::Signature].into(),
        "{}",
        describe(&m)
    );
    for expected in [
        "signature field 'Signature2' added to AcroForm /Fields",
        "widget of signature field 'Signature2' added to page 1 /Annots",
        "signature dictionary of signature field 'Signature2' 12 0 added",
        "appearance of signature field 'Signature2' 13 0 added",
    ] {
        assert!(
            m.changes.iter().any(|c| c.description == expected),
            "{expected}\n{}",
            describe(&m)
        );
    }
    let perms = "/Perms << /DocMDP 5 0 R >>";
    let m = modifications_of(&second_signature(
        &base(Certify::DocMdp(Some(2))),
        false,
        perms,
    ));
    assert_eq!(m.verdict, ModificationVerdict::Allowed, "{}", describe(&m));
    let m = modifications_of(&second_signature(
        &base(Certify::DocMdp(Some(1))),
        false,
        perms,
    ));
    assert_eq!(m.verdict, ModificationVerdict::Modified, "{}", describe(&m));
}

#[test]
fn a_document_timestamp_is_allowed_at_every_level() {
    let perms = "/Perms << /DocMDP 5 0 R >>";
    let pdf = second_signature(&base(Certify::DocMdp(Some(1))), true, perms);
    let m = modifications_of(&pdf);
    assert_eq!(m.verdict, ModificationVerdict::Allowed, "{}", describe(&m));
    assert_eq!(
        m.kinds(),
        [ChangeKind::DocumentTimestamp].into(),
        "{}",
        describe(&m)
    );
    let sigs = PdfSignatures::read(&pdf, &PdfLimits::default()).unwrap();
    assert_eq!(
        sigs.signatures[1].dict_type,
        SignatureDictType::DocTimeStamp
    );
}

#[test]
fn changing_an_earlier_signature_is_a_modification() {
    // Its dictionary rewritten (the /M date), under the same number.
    let pdf = base(Certify::No);
    let at = find(&pdf, b"/Type /Sig").unwrap();
    let end = at + find(&pdf[at..], b"endobj").unwrap();
    let old = std::str::from_utf8(&pdf[at - 3..end])
        .unwrap()
        .trim()
        .to_string();
    let rewritten = old.replace("D:20260101120000Z", "D:20990101120000Z");
    let m = modifications_of(&update(&pdf, &[(5, &rewritten)], ""));
    assert_eq!(m.verdict, ModificationVerdict::Modified, "{}", describe(&m));
    assert!(m.changes[0]
        .description
        .contains("signature dictionary 5 0 of signature field 'Signature1' was changed"));

    // The field given another value.
    let pdf = update(
        &base(Certify::No),
        &[
            (12, "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 0 0 0] /Contents <3000> >>"),
            (4, "<< /FT /Sig /T (Signature1) /V 12 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>"),
        ],
        "",
    );
    let sigs = PdfSignatures::read(&pdf, &PdfLimits::default()).unwrap();
    // The field now holds the new dictionary, whose byte range is not valid; the old
    // signature is not reachable any more, which is the point of the attack.
    assert!(sigs.signatures[0].byte_range.is_err());
}

/// A signature field whose widget is a separate kid: changing the widget's appearance after
/// the field was signed is a modification (it can make the signature show something else);
/// giving an unsigned field's widget an appearance when signing it is part of signing.
#[test]
fn the_appearance_of_a_signed_field_in_its_kid_widget() {
    let objects: Vec<String> = vec![
        "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 9 0 R] /SigFlags 3 >> >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [6 0 R 10 0 R] >>".into(),
        "<< /FT /Sig /T (Signature1) /V 5 0 R /Kids [6 0 R] >>".into(),
        format!(
            "<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange {PLACEHOLDER} /Contents <{}> >>",
            hex(CONTENTS)
        ),
        "<< /Type /Annot /Subtype /Widget /Parent 4 0 R /Rect [0 0 50 20] /P 3 0 R /AP << /N 7 0 R >> >>".into(),
        stream("/Type /XObject /Subtype /Form /BBox [0 0 50 20]", "(Signed by A) Tj"),
        "null".into(),
        "<< /FT /Sig /T (Signature2) /Kids [10 0 R] >>".into(),
        "<< /Type /Annot /Subtype /Widget /Parent 9 0 R /Rect [0 30 50 50] /P 3 0 R >>".into(),
    ];
    let mut pdf = build(&objects, "");
    let start = find(&pdf, b"/Contents <").unwrap() + b"/Contents ".len();
    let end = start + find(&pdf[start..], b">").unwrap() + 1;
    let range = [0, start as i64, end as i64, (pdf.len() - end) as i64];
    set_byte_range(&mut pdf, range);
    let appearance = stream(
        "/Type /XObject /Subtype /Form /BBox [0 0 50 20]",
        "(Signed by B) Tj",
    );
    let m = modifications_of(&update(
        &pdf,
        &[
            (11, &appearance),
            (6, "<< /Type /Annot /Subtype /Widget /Parent 4 0 R /Rect [0 0 50 20] /P 3 0 R /AP << /N 11 0 R >> >>"),
        ],
        "",
    ));
    assert_eq!(m.verdict, ModificationVerdict::Modified, "{}", describe(&m));
    assert!(
        m.changes.iter().any(
            |c| c.description == "signature field 'Signature1' /AP changed"
                && c.kind == ChangeKind::Other
        ),
        "{}",
        describe(&m)
    );
    // Signing Signature2, with an appearance on its widget.
    let m = modifications_of(&update(
        &pdf,
        &[
            (12, "<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange [0 0 0 0] /Contents <3000> >>"),
            (11, &appearance),
            (9, "<< /FT /Sig /T (Signature2) /V 12 0 R /Kids [10 0 R] >>"),
            (10, "<< /Type /Annot /Subtype /Widget /Parent 9 0 R /Rect [0 30 50 50] /P 3 0 R /AP << /N 11 0 R >> >>"),
        ],
        "",
    ));
    assert_eq!(m.verdict, ModificationVerdict::Allowed, "{}", describe(&m));
    assert_eq!(
        m.kinds(),
        [ChangeKind::Signature].into(),
        "{}",
        describe(&m)
    );
}

#[test]
fn removing_a_signature_widget_is_a_modification() {
    let pdf = update(
        &base(Certify::No),
        &[(3, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 6 0 R /Resources 10 0 R /Annots [7 0 R] >>")],
        "",
    );
    let m = modifications_of(&pdf);
    assert_eq!(m.verdict, ModificationVerdict::Modified);
    assert_eq!(
        m.changes[0].description,
        "a form widget removed from page 1 /Annots"
    );
}

#[test]
fn filling_a_reference_that_named_nothing_is_caught() {
    // The signed catalog names object 20, which does not exist (so reads as null) when signed;
    // the update defines it. The catalog itself does not change.
    let pdf = base_with(Certify::No, "/OpenAction 20 0 R");
    let pdf = update(
        &pdf,
        &[(20, "<< /S /JavaScript /JS (app.alert\\('changed'\\)) >>")],
        "",
    );
    let m = modifications_of(&pdf);
    assert_eq!(m.verdict, ModificationVerdict::Modified);
    assert_eq!(m.changes.len(), 1, "{}", describe(&m));
    assert_eq!(m.changes[0].description, "catalog /OpenAction 20 0 added");
}

#[test]
fn unreferenced_objects_change_nothing_shown() {
    let pdf = update(
        &base(Certify::DocMdp(Some(1))),
        &[(12, "<< /Anything (here) >>")],
        "",
    );
    let m = modifications_of(&pdf);
    assert_eq!(
        m.kinds(),
        [ChangeKind::Unreferenced].into(),
        "{}",
        describe(&m)
    );
    assert_eq!(m.verdict, ModificationVerdict::Allowed);
}

#[test]
fn metadata_is_allowed() {
    let pdf = update(
        &base(Certify::DocMdp(Some(1))),
        &[(12, "<< /Producer (Stele) /ModDate (D:20270101) >>")],
        "/Info 12 0 R",
    );
    let m = modifications_of(&pdf);
    assert_eq!(m.kinds(), [ChangeKind::Metadata].into(), "{}", describe(&m));
    assert_eq!(m.verdict, ModificationVerdict::Allowed);
}

#[test]
fn replacing_the_catalog_is_a_modification() {
    let pdf = update(
        &base(Certify::No),
        &[(12, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 7 0 R] /SigFlags 3 >> /PageMode /UseNone >>")],
        "/Root 12 0 R",
    );
    let m = modifications_of(&pdf);
    assert_eq!(m.verdict, ModificationVerdict::Modified, "{}", describe(&m));
    assert_eq!(
        m.changes[0].description,
        "the trailer names another object (12 0) as the document catalog"
    );
    assert!(
        m.changes
            .iter()
            .any(|c| c.description == "catalog /PageMode added"),
        "{}",
        describe(&m)
    );
}

#[test]
fn errors_name_the_problem() {
    let pdf = update(&base(Certify::No), &[(12, "<< >>")], "");
    let sigs = PdfSignatures::read(&pdf, &PdfLimits::default()).unwrap();
    let limits = PdfLimits::default();
    assert_eq!(
        sigs.modifications(&pdf, 7, &limits).unwrap_err(),
        ModificationError::NoSuchSignature(7)
    );
    assert!(matches!(
        sigs.modifications(&pdf[1..], 0, &limits).unwrap_err(),
        ModificationError::OtherFile { .. }
    ));
    let tiny = PdfLimits {
        max_compared_objects: 5,
        ..PdfLimits::default()
    };
    assert_eq!(
        sigs.modifications(&pdf, 0, &tiny).unwrap_err(),
        ModificationError::TooManyObjects(5)
    );
    let mut broken = sigs.clone();
    broken.signatures[0].byte_range = Err(ByteRangeError::Missing);
    assert_eq!(
        broken.modifications(&pdf, 0, &limits).unwrap_err(),
        ModificationError::ByteRange(ByteRangeError::Missing)
    );
    let all = broken.all_modifications(&pdf, &limits);
    assert_eq!(all.len(), 1);
    assert!(all[0].is_err());
}

fn corpus_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for sub in [
        "pades",
        "pades/dss-1420",
        "pades/dss-PLAIN-ECDSA",
        "ers/dss/pades-evidence-record",
    ] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        files.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("pdf"))),
        );
    }
    files.sort();
    files
}

/// The interop corpus, judged against its manifest: no signature of a file DSS validates is
/// "modified"; a signature followed only by document timestamps has only DSS, timestamp and
/// metadata changes after it; one followed by a signature has a `Signature` change; the three
/// files modified after signing (a page added, a spoofing attack that drops the signed field
/// for another, content and annotations edited) are `Modified`.
#[test]
fn interop_corpus_classification() {
    let Some(dir) = stele_tests::interop_dir() else {
        return;
    };
    let manifest = stele_tests::manifest(&dir);
    let cases = manifest["cases"].as_array().unwrap();
    let preservation: BTreeSet<ChangeKind> = [
        ChangeKind::Unreferenced,
        ChangeKind::Metadata,
        ChangeKind::Dss,
        ChangeKind::DocumentTimestamp,
    ]
    .into();
    let mut judged = 0;
    for path in corpus_files(&dir) {
        let rel = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let verdict = cases
            .iter()
            .find(|c| c["files"][0].as_str() == Some(rel.as_str()))
            .and_then(|c| c["expected"]["verdict"].as_str())
            .unwrap_or("unknown");
        let mut bytes = std::fs::read(&path).unwrap();
        if rel == "pades/pdf-spoofing-attack.pdf" {
            // Its updates write `/Encrypt null` in the trailer, which PdfSignatures::read
            // refuses (lopdf takes any /Encrypt as encryption). Null is the same as absent
            // (ISO 32000-1 7.3.7): blank it (same length, offsets hold) to judge the changes.
            assert!(PdfSignatures::read(&bytes, &PdfLimits::default()).is_err());
            let key = b"/Encrypt null";
            while let Some(at) = bytes.windows(key.len()).position(|w| w == key) {
                bytes[at..at + key.len()].fill(b' ');
            }
        }
        let Ok(sigs) = PdfSignatures::read(&bytes, &PdfLimits::default()) else {
            continue;
        };
        let all = sigs.all_modifications(&bytes, &PdfLimits::default());
        for (i, (sig, m)) in sigs.signatures.iter().zip(&all).enumerate() {
            let Ok(m) = m else {
                assert!(sig.byte_range.is_err(), "{rel} [{i}]: {m:?}");
                continue;
            };
            judged += 1;
            let end = m.revision_end;
            let later: Vec<&_> = sigs
                .signatures
                .iter()
                .filter(|s| s.revision_end().is_some_and(|e| e > end))
                .collect();
            if verdict == "valid" {
                assert_ne!(
                    m.verdict,
                    ModificationVerdict::Modified,
                    "{rel} [{i}]\n{}",
                    describe(m)
                );
                if later.iter().all(|s| s.is_document_timestamp()) {
                    assert!(
                        m.kinds().is_subset(&preservation),
                        "{rel} [{i}]\n{}",
                        describe(m)
                    );
                }
                if later.iter().any(|s| !s.is_document_timestamp()) {
                    assert!(
                        m.kinds().contains(&ChangeKind::Signature),
                        "{rel} [{i}]\n{}",
                        describe(m)
                    );
                }
            }
            if later.is_empty() && !sig.covers_whole_file() {
                // Only a DSS (doc-firmado-LT.pdf) or an edit came after the last signature.
                assert_ne!(m.verdict, ModificationVerdict::None, "{rel} [{i}]");
            }
        }
        let modified = [
            "pades/pdf-signed-added-page.pdf",
            "pades/pdf-spoofing-attack.pdf",
            "pades/modified_after_signature.pdf",
        ];
        if modified.contains(&rel.as_str()) {
            let m = all[0].as_ref().unwrap();
            assert_eq!(
                m.verdict,
                ModificationVerdict::Modified,
                "{rel}\n{}",
                describe(m)
            );
        }
        if rel == "pades/doc-firmado-LT.pdf" {
            // PAdES_BASELINE_LT: a DSS appended after the signature, nothing else.
            let m = all[0].as_ref().unwrap();
            assert_eq!(m.kinds(), [ChangeKind::Dss].into(), "{}", describe(m));
        }
    }
    assert!(judged >= 60, "only {judged} signatures judged");
}
