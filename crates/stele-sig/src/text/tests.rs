//! Hand-made PDFs for each piece: ToUnicode and Identity-H, simple encodings with
//! /Differences, /ActualText over separate accent glyphs, spacing, forms, limits, hostile bytes.

use super::*;
use proptest::prelude::*;

/// A PDF with one page per content stream; `fonts` are object bodies referenced as /F1, /F2…
/// (object numbers from 10), `extra` more objects numbered from 30.
fn pdf(pages: &[&str], fonts: &[&str], extra: &[&str]) -> Vec<u8> {
    let mut objects: Vec<(usize, String)> = Vec::new();
    let font_refs: String = (0..fonts.len())
        .map(|i| format!("/F{} {} 0 R ", i + 1, 10 + i))
        .collect();
    let xobjects: String = (0..extra.len())
        .map(|i| format!("/X{} {} 0 R ", i + 1, 30 + i))
        .collect();
    let kids: String = (0..pages.len())
        .map(|i| format!("{} 0 R ", 100 + 2 * i))
        .collect();
    objects.push((1, "<< /Type /Catalog /Pages 2 0 R >>".into()));
    objects.push((
        2,
        format!(
            "<< /Type /Pages /Count {} /Kids [{kids}] /Resources << /Font << {font_refs}>> /XObject << {xobjects}>> >> >>",
            pages.len()
        ),
    ));
    for (i, f) in fonts.iter().enumerate() {
        objects.push((10 + i, f.to_string()));
    }
    for (i, x) in extra.iter().enumerate() {
        objects.push((30 + i, x.to_string()));
    }
    for (i, content) in pages.iter().enumerate() {
        objects.push((
            100 + 2 * i,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {} 0 R >>",
                101 + 2 * i
            ),
        ));
        objects.push((101 + 2 * i, stream(content)));
    }
    let mut out = b"%PDF-1.7\n".to_vec();
    let max = objects.iter().map(|o| o.0).max().unwrap_or(0);
    let mut offsets = vec![None; max + 1];
    for (n, body) in &objects {
        offsets[*n] = Some(out.len());
        out.extend_from_slice(format!("{n} 0 obj\n{body}\nendobj\n").as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n", max + 1).as_bytes());
    for o in &offsets {
        match o {
            Some(off) => out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes()),
            None => out.extend_from_slice(b"0000000000 65535 f \n"),
        }
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            max + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(content: &str) -> String {
    format!(
        "<< /Length {} >>\nstream\n{content}\nendstream",
        content.len()
    )
}

fn text_of(bytes: &[u8]) -> String {
    extract_text(bytes, &TextLimits::default())
        .expect("extracts")
        .text
}

const HELVETICA: &str = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding /FirstChar 32 /LastChar 126 /Widths [278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 334 260 334 584] >>";

#[test]
fn simple_font_lines_and_pages() {
    let doc = pdf(
        &[
            "BT /F1 12 Tf 72 700 Td (Hello world) Tj 0 -14 Td (second line) Tj ET",
            "BT /F1 12 Tf 72 700 Td (page two) Tj ET",
        ],
        &[HELVETICA],
        &[],
    );
    let t = extract_text(&doc, &TextLimits::default()).unwrap();
    assert_eq!(t.pages, 2);
    assert_eq!(t.text, "Hello world\nsecond line\n\u{c}page two\n\u{c}");
}

#[test]
fn tj_gaps_and_positions_make_spaces() {
    // Kerning stays inside the word; a gap of a third of an em is a word break.
    let doc = pdf(
        &["BT /F1 10 Tf 72 700 Td [(Ch) 20 (uy) -10 (en) -400 (mon)] TJ 200 0 Td (far) Tj ET"],
        &[HELVETICA],
        &[],
    );
    // Text 14 ems further along the line is another block (a column), read after it, as
    // pdftotext does.
    assert_eq!(text_of(&doc), "Chuyen mon\nfar\n\u{c}");
}

#[test]
fn lines_sorted_top_to_bottom() {
    let doc = pdf(
        &["BT /F1 12 Tf 72 600 Td (below) Tj ET BT /F1 12 Tf 72 700 Td (above) Tj ET"],
        &[HELVETICA],
        &[],
    );
    assert_eq!(text_of(&doc), "above\nbelow\n\u{c}");
}

#[test]
fn differences_glyph_names() {
    let font = "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /BaseEncoding /WinAnsiEncoding /Differences [128 /dcroat /Ohornacute /uni1EA1 /u1EF9 /hookabovecomb] >> >>";
    let doc = pdf(
        &["BT /F1 12 Tf 72 700 Td <808182838461> Tj ET"],
        &[font],
        &[],
    );
    // Separate hook glyph after `a`-less base: NFC composes what it can.
    assert_eq!(text_of(&doc), "đỚạỹ\u{309}a\n\u{c}");
}

const IDENTITY_H: &str = "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /DescendantFonts [20 0 R] /ToUnicode 21 0 R >>";

#[test]
fn type0_identity_h_with_tounicode() {
    let cid =
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /DW 500 /W [1 [600 600] 3 5 250] >>";
    let cmap = stream(
        "begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
         3 beginbfchar <0001> <0043> <0002> <1EEF> <0003> <0020> endbfchar\n\
         1 beginbfrange <0004> <0006> [<0063> <0068> <1EEF>] endbfrange endcmap",
    );
    let mut doc = pdf(
        &["BT /F1 12 Tf 72 700 Td <000100020003000400050006> Tj ET"],
        &[IDENTITY_H],
        &[],
    );
    // Add objects 20 and 21 by rebuilding with them as extra fonts is awkward; splice them in.
    doc = splice(&doc, &[(20, cid), (21, &cmap)]);
    assert_eq!(text_of(&doc), "Cữ chữ\n\u{c}");
}

/// Rebuilds `doc` with extra numbered objects (a new xref section appended as an update).
fn splice(doc: &[u8], objects: &[(usize, &str)]) -> Vec<u8> {
    let mut out = doc.to_vec();
    let prev = String::from_utf8_lossy(doc)
        .rsplit("startxref\n")
        .next()
        .and_then(|s| s.lines().next())
        .and_then(|s| s.trim().parse::<usize>().ok())
        .unwrap();
    let mut entries = Vec::new();
    for (n, body) in objects {
        entries.push((*n, out.len()));
        out.extend_from_slice(format!("{n} 0 obj\n{body}\nendobj\n").as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    for (n, off) in &entries {
        out.extend_from_slice(format!("{n} 1\n{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size 200 /Root 1 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n")
            .as_bytes(),
    );
    out
}

#[test]
fn actual_text_replaces_separate_accent_glyphs() {
    // As LibreOffice writes it: `y` and a raised hook glyph, wrapped in /ActualText "ỷ"
    // (UTF-16BE with BOM), and a PDFDocEncoding ActualText.
    let font = "<< /Type /Font /Subtype /TrueType /BaseFont /M /FirstChar 32 /Widths [600 600 600 600] /ToUnicode 40 0 R >>";
    let content = "BT /F1 12 Tf 72 700 Td <21>Tj\n\
        /Span<</ActualText<FEFF1EF7>>> BDC 1 0 0 1 79.2 700 Tm <22>Tj 1 0 0 1 79.2 702.2 Tm <23>Tj EMC\n\
        1 0 0 1 86.4 700 Tm <20>Tj\n\
        /Span<</ActualText(d)>> BDC 1 0 0 1 93.6 700 Tm <23> Tj EMC ET";
    let cmap = stream(
        "begincmap 1 begincodespacerange <00> <FF> endcodespacerange\n\
         4 beginbfchar <20> <0020> <21> <0074> <22> <0079> <23> <0309> endbfchar endcmap",
    );
    let doc = splice(&pdf(&[content], &[font], &[]), &[(40, &cmap)]);
    assert_eq!(text_of(&doc), "tỷ d\n\u{c}");
}

#[test]
fn decomposed_marks_are_composed() {
    // Base letter and a separate combining glyph, no /ActualText: NFC joins them, no space.
    let font = "<< /Type /Font /Subtype /TrueType /BaseFont /M /FirstChar 32 /Widths [600 600 600 600] /ToUnicode 40 0 R >>";
    let cmap = stream(
        "begincmap 1 begincodespacerange <00> <FF> endcodespacerange\n\
         2 beginbfchar <21> <0061> <22> <0323> endbfchar endcmap",
    );
    let content = "BT /F1 12 Tf 72 700 Td <21> Tj 1 0 0 1 79 700 Tm <22> Tj ET";
    let doc = splice(&pdf(&[content], &[font], &[]), &[(40, &cmap)]);
    assert_eq!(text_of(&doc), "ạ\n\u{c}");
}

#[test]
fn form_xobjects_and_cycles() {
    let form = stream("BT /F1 12 Tf 0 0 Td (in form) Tj ET /X1 Do");
    let form = form.replacen(
        "<<",
        "<< /Type /XObject /Subtype /Form /BBox [0 0 500 500] /Matrix [1 0 0 1 72 500]",
        1,
    );
    let doc = pdf(
        &["q /X1 Do Q BT /F1 12 Tf 72 700 Td (page) Tj ET"],
        &[HELVETICA],
        &[&form],
    );
    assert_eq!(text_of(&doc), "page\nin form\n\u{c}");
}

#[test]
fn inline_images_are_skipped() {
    let doc = pdf(
        &["BI /W 2 /H 1 /BPC 8 /CS /G ID \u{1}(Tj EI BT /F1 12 Tf 72 700 Td (after) Tj ET"],
        &[HELVETICA],
        &[],
    );
    assert_eq!(text_of(&doc), "after\n\u{c}");
}

#[test]
fn limits_are_named() {
    let doc = pdf(
        &["BT /F1 12 Tf 72 700 Td (one) Tj ET", "BT ET"],
        &[HELVETICA],
        &[],
    );
    let small = |f: fn(&mut TextLimits)| {
        let mut l = TextLimits::default();
        f(&mut l);
        extract_text(&doc, &l)
    };
    assert_eq!(
        small(|l| l.max_pages = 1),
        Err(TextError::LimitExceeded(TextLimit::Pages))
    );
    assert_eq!(
        small(|l| l.max_operators = 3),
        Err(TextError::LimitExceeded(TextLimit::Operators))
    );
    assert_eq!(
        small(|l| l.max_output_chars = 2),
        Err(TextError::LimitExceeded(TextLimit::OutputChars))
    );
    assert_eq!(
        small(|l| l.max_total_bytes = 10),
        Err(TextError::LimitExceeded(TextLimit::TotalBytes))
    );
    assert_eq!(
        extract_text(b"hello", &TextLimits::default()),
        Err(TextError::NotPdf)
    );
    let form = stream("/X1 Do").replacen("<<", "<< /Subtype /Form", 1);
    let nested = pdf(&["/X1 Do"], &[HELVETICA], &[&form]);
    // A form that draws itself is a cycle, skipped quietly.
    assert!(extract_text(&nested, &TextLimits::default()).is_ok());
}

#[test]
fn glyphs_without_text_count_against_the_output_limit() {
    // Code 0 maps to nothing in StandardEncoding: a page of them yields no text but still
    // costs a glyph each, so it cannot grow memory past the limit unnoticed.
    let zeros = format!("BT /F1 12 Tf 72 700 Td ({}) Tj ET", "\\000".repeat(5000));
    let doc = pdf(&[&zeros], &[HELVETICA], &[]);
    let limits = TextLimits {
        max_output_chars: 1000,
        ..TextLimits::default()
    };
    assert_eq!(
        extract_text(&doc, &limits),
        Err(TextError::LimitExceeded(TextLimit::OutputChars))
    );
}

#[test]
fn a_tounicode_cmap_is_charged_by_what_it_expands_to() {
    // A short bfrange line per 256 codes expands to many map entries; the expansion counts
    // against max_total_bytes, not just the CMap's source bytes.
    let mut cmap =
        String::from("begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange\n");
    for block in 0..64u32 {
        let lo = block * 256;
        cmap.push_str(&format!(
            "1 beginbfrange <{lo:04X}> <{:04X}> <{:04X}> endbfrange\n",
            lo + 255,
            0x4e00 + lo
        ));
    }
    cmap.push_str("endcmap");
    let source_len = cmap.len();
    let font = "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H \
                /DescendantFonts [] /ToUnicode 40 0 R >>";
    let doc = pdf(&["BT /F1 12 Tf 72 700 Td <0001> Tj ET"], &[font], &[]);
    let doc = splice(&doc, &[(40, &stream(&cmap))]);
    let limits = TextLimits {
        max_total_bytes: source_len * 4,
        ..TextLimits::default()
    };
    assert_eq!(
        extract_text(&doc, &limits),
        Err(TextError::LimitExceeded(TextLimit::TotalBytes))
    );
    assert!(extract_text(&doc, &TextLimits::default()).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let mut input = b"%PDF-1.7\n".to_vec();
        input.extend_from_slice(&bytes);
        let r = extract_text(&input, &TextLimits::default());
        prop_assert!(!matches!(r, Err(TextError::ParserPanic(_))), "{r:?}");
    }

    #[test]
    fn mutated_pdfs_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let font = "<< /Type /Font /Subtype /TrueType /BaseFont /M /FirstChar 32 /Widths [600 600 600 600] /ToUnicode 40 0 R >>";
        let cmap = stream("begincmap 1 begincodespacerange <00> <FF> endcodespacerange\n1 beginbfrange <20> <23> <0041> endbfrange endcmap");
        let mut doc = splice(&pdf(&["BT /F1 12 Tf 72 700 Td [<2122> -300 <23>] TJ /Span<</ActualText<FEFF1EF7>>> BDC <22> Tj EMC ET"], &[font], &[]), &[(40, &cmap)]);
        for (at, b) in flips {
            let n = doc.len();
            doc[at % n] = b;
        }
        let r = extract_text(&doc, &TextLimits::default());
        prop_assert!(!matches!(r, Err(TextError::ParserPanic(_))), "{r:?}");
    }
}
