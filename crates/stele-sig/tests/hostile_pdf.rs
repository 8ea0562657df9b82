//! Hostile PDFs: reference loops, broken cross-reference data, huge and highly compressed
//! streams, deep nesting. Each must give a clear error (or a report) quickly and within bounded
//! memory, never a panic, an abort or a stack overflow, through every entry point that reads a
//! PDF: `PdfSignatures::read`, `modifications` and the `/DSS`.
//!
//! The decompression bomb (1 GiB of zeros) is made in the test by a small Deflate writer that
//! emits the compressed form directly, 258 bytes per 13 bits, so nothing near a gigabyte is
//! ever held; its peak memory is measured in a child process (`VmHWM`).

use std::io::Write as _;
use std::time::{Duration, Instant};

use stele_sig::{ModificationVerdict, PdfError, PdfLimits, PdfSignatures};

/// How long any single hostile input may take (debug build, slow machine).
const TIME_LIMIT: Duration = Duration::from_secs(20);

/// A classic PDF from object bodies numbered from 1; `trailer_extra` goes in the trailer.
fn build(objects: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
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

fn text(objects: &[&str]) -> Vec<Vec<u8>> {
    objects.iter().map(|o| o.as_bytes().to_vec()).collect()
}

fn stream(dict: &str, content: &[u8]) -> Vec<u8> {
    let mut out = format!("<< {dict} /Length {} >>\nstream\n", content.len()).into_bytes();
    out.extend_from_slice(content);
    out.extend_from_slice(b"\nendstream");
    out
}

const PLACEHOLDER: &str = "[0000000000 0000000000 0000000000 0000000000]";

/// Catalog, page tree, page, signature field and its dictionary (objects 1 to 5), then
/// `more` from 6, signed honestly (byte range over the whole file as built).
fn signed(catalog_extra: &str, more: Vec<Vec<u8>>) -> Vec<u8> {
    let mut objects = text(&[
        &format!("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> {catalog_extra} >>"),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [4 0 R] >>",
        "<< /FT /Sig /T (Signature1) /V 5 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R >>",
        &format!("<< /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange {PLACEHOLDER} /Contents <3003020105000000> >>"),
    ]);
    objects.extend(more);
    let mut pdf = build(&objects, "");
    let at = find(&pdf, b"/Contents <").unwrap() + b"/Contents ".len();
    let end = at + find(&pdf[at..], b">").unwrap() + 1;
    let range = format!("[{:<10} {:<10} {:<10} {:<10}]", 0, at, end, pdf.len() - end);
    let p = find(&pdf, PLACEHOLDER.as_bytes()).unwrap();
    pdf[p..p + range.len()].copy_from_slice(range.as_bytes());
    pdf
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Objects of an incremental update: (number, body).
type Update = Vec<(u32, Vec<u8>)>;

/// Appends an incremental update (classic cross-reference section).
fn update(pdf: &[u8], objects: &[(u32, Vec<u8>)], trailer_extra: &str) -> Vec<u8> {
    let at = pdf.windows(9).rposition(|w| w == b"startxref").unwrap();
    let prev: usize = std::str::from_utf8(&pdf[at + 9..])
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut out = pdf.to_vec();
    let mut offsets = Vec::new();
    for (num, body) in objects {
        offsets.push((*num, out.len()));
        out.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n");
    for (num, offset) in &offsets {
        out.extend_from_slice(format!("{num} 1\n{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size 60 /Root 1 0 R /Prev {prev} {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

/// Runs every reading entry point on `pdf`, within the time limit; returns `read`'s result.
fn exercise(name: &str, pdf: &[u8], limits: &PdfLimits) -> Result<PdfSignatures, PdfError> {
    let start = Instant::now();
    let read = PdfSignatures::read(pdf, limits);
    if let Ok(sigs) = &read {
        for m in sigs.all_modifications(pdf, limits) {
            let _ = m.map(|m| m.verdict);
        }
        if let Some(dss) = &sigs.dss {
            for s in &sigs.signatures {
                let _ = dss.material_for(s);
            }
        }
    }
    let took = start.elapsed();
    assert!(took < TIME_LIMIT, "{name}: took {took:?}");
    println!(
        "{name}: {:?} in {took:?}",
        read.as_ref().map(|s| s.signatures.len())
    );
    read
}

// ---------------------------------------------------------------------------------------------
// Reference loops

#[test]
fn reference_loops() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // An object that is a reference to itself, used as the page tree.
        (
            "self reference",
            build(&text(&["<< /Type /Catalog /Pages 2 0 R >>", "2 0 R"]), ""),
        ),
        // Two objects naming each other.
        (
            "reference pair",
            build(
                &text(&[
                    "<< /Type /Catalog /Pages 2 0 R /AcroForm 3 0 R >>",
                    "3 0 R",
                    "2 0 R",
                ]),
                "",
            ),
        ),
        // A page tree node that is its own kid; a page whose parent is itself.
        (
            "kids cycle",
            build(
                &text(&[
                    "<< /Type /Catalog /Pages 2 0 R >>",
                    "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                    "<< /Type /Page /Parent 3 0 R >>",
                ]),
                "",
            ),
        ),
        // AcroForm fields whose kids name an ancestor.
        (
            "field kids cycle",
            build(
                &text(&[
                    "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>",
                    "<< /Type /Pages /Kids [] /Count 0 >>",
                    "<< /FT /Sig /T (a) /Kids [4 0 R] >>",
                    "<< /T (b) /Parent 3 0 R /Kids [3 0 R] >>",
                ]),
                "",
            ),
        ),
        // /Parent pointing down the field tree.
        (
            "field parent cycle",
            build(
                &text(&[
                    "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>",
                    "<< /Type /Pages /Kids [] /Count 0 >>",
                    "<< /T (a) /Parent 4 0 R /Kids [4 0 R] >>",
                    "<< /T (b) /Parent 3 0 R /Subtype /Widget /FT /Sig >>",
                ]),
                "",
            ),
        ),
        // The trailer's /Root is a reference to a reference to itself.
        ("root loop", build(&text(&["2 0 R", "1 0 R"]), "")),
    ];
    for (name, pdf) in cases {
        let result = exercise(name, &pdf, &PdfLimits::default());
        if let Err(e) = &result {
            assert!(!matches!(e, PdfError::ParserPanic(_)), "{name}: {e}");
        }
    }
}

/// Loops appended after a signature: every walk of `modifications` ends, and the verdict says
/// the document was changed.
#[test]
fn reference_loops_after_signing() {
    let base = signed("", Vec::new());
    let cases: Vec<(&str, Update)> = vec![
        (
            "page tree cycle",
            vec![(2, b"<< /Type /Pages /Kids [3 0 R 2 0 R 6 0 R] /Count 3 >>".to_vec()), (6, b"<< /Type /Pages /Kids [6 0 R 2 0 R] /Parent 6 0 R >>".to_vec())],
        ),
        (
            "outline cycle",
            vec![
                (1, b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> /Outlines 6 0 R >>".to_vec()),
                (6, b"<< /First 7 0 R /Last 7 0 R >>".to_vec()),
                (7, b"<< /Title (x) /Next 7 0 R /Prev 7 0 R /Parent 6 0 R /First 6 0 R >>".to_vec()),
            ],
        ),
        (
            "self-referencing DSS",
            vec![
                (1, b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> /DSS 6 0 R >>".to_vec()),
                (6, b"<< /Certs [6 0 R 7 0 R] /VRI << /AB 6 0 R >> >>".to_vec()),
                (7, b"7 0 R".to_vec()),
            ],
        ),
        (
            "annotation popup cycle",
            vec![
                (3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Annots [4 0 R 6 0 R 7 0 R] >>".to_vec()),
                (6, b"<< /Type /Annot /Subtype /Text /Rect [0 0 1 1] /Popup 7 0 R >>".to_vec()),
                (7, b"<< /Type /Annot /Subtype /Popup /Rect [0 0 1 1] /Parent 6 0 R /IRT 7 0 R >>".to_vec()),
            ],
        ),
        (
            "field kids cycle",
            vec![
                (1, b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R 6 0 R] /SigFlags 3 >> >>".to_vec()),
                (6, b"<< /T (loop) /FT /Tx /Kids [7 0 R] >>".to_vec()),
                (7, b"<< /T (inner) /Parent 6 0 R /Kids [6 0 R 7 0 R] >>".to_vec()),
            ],
        ),
    ];
    for (name, objects) in cases {
        let pdf = update(&base, &objects, "");
        let sigs = exercise(name, &pdf, &PdfLimits::default());
        match sigs {
            Ok(sigs) => {
                let m = sigs.modifications(&pdf, 0, &PdfLimits::default());
                match m {
                    Ok(m) => assert_ne!(m.verdict, ModificationVerdict::None, "{name}"),
                    Err(e) => println!("{name}: {e}"),
                }
            }
            // The field tree loop is refused when the signatures are read.
            Err(e) => assert!(matches!(e, PdfError::FieldTree(_)), "{name}: {e}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Broken cross-reference data

#[test]
fn broken_cross_reference_data() {
    let good = signed("", vec![stream("", b"BT ET")]);
    let xref_at = good.windows(5).rposition(|w| w == b"xref\n").unwrap();
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    // Every offset moved by 7 bytes.
    let shifted = String::from_utf8_lossy(&good)
        .lines()
        .map(|l| match l.strip_suffix(" 00000 n ") {
            Some(o) => format!("{:010} 00000 n ", o.parse::<usize>().unwrap() + 7),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    cases.push(("offsets shifted".into(), shifted.into_bytes()));
    // Offsets far beyond the end of the file.
    let beyond =
        String::from_utf8_lossy(&good).replacen("0000000015 00000 n", "9999999999 00000 n", 1);
    cases.push(("offset beyond the end".into(), beyond.into_bytes()));
    // startxref beyond the end, negative, not a number.
    for bad in ["99999999999", "-5", "xref", "18446744073709551616"] {
        let mut pdf = good[..good.windows(9).rposition(|w| w == b"startxref").unwrap()].to_vec();
        pdf.extend_from_slice(format!("startxref\n{bad}\n%%EOF\n").as_bytes());
        cases.push((format!("startxref {bad}"), pdf));
    }
    // Subsections claiming billions of entries, and a huge /Size.
    let mut huge = good[..xref_at].to_vec();
    huge.extend_from_slice(
        b"xref\n0 4000000000\n0000000000 65535 f \ntrailer\n<< /Size 4000000000 /Root 1 0 R >>\n",
    );
    huge.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
    cases.push(("huge subsection".into(), huge));
    // A cross-reference stream with absurd /W and /Index.
    let mut xs = good[..xref_at].to_vec();
    let at = xs.len();
    xs.extend_from_slice(b"99 0 obj\n");
    xs.extend_from_slice(&stream(
        "/Type /XRef /Size 2147483647 /W [8 8 8] /Index [0 2147483647] /Root 1 0 R",
        &[0; 48],
    ));
    xs.extend_from_slice(format!("\nendobj\nstartxref\n{at}\n%%EOF\n").as_bytes());
    cases.push(("absurd xref stream".into(), xs));
    // The file cut short at many places.
    for cut in (1..16).map(|i| good.len() * i / 16) {
        cases.push((format!("truncated at {cut}"), good[..cut].to_vec()));
    }
    for (name, pdf) in cases {
        if let Err(e) = exercise(&name, &pdf, &PdfLimits::default()) {
            assert!(!matches!(e, PdfError::ParserPanic(_)), "{name}: {e}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Huge and highly compressed streams

/// Writes Deflate bits least significant first (RFC 1951 3.1.1).
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code, which Deflate stores most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let reversed = (0..len).fold(0, |r, i| r | ((code >> i) & 1) << (len - 1 - i));
        self.put(reversed, len);
    }
}

/// zlib data inflating to `len` zeros (`len` ≥ 1), written directly in compressed form: one
/// fixed-Huffman block, a literal 0, then copies of 258 bytes at distance 1.
fn zlib_zeros(len: u64) -> Vec<u8> {
    let mut bits = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE 01: fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    let mut left = len - 1;
    while left >= 258 {
        bits.code(0xC5, 8); // length code 285: 258 bytes
        bits.code(0, 5); // distance code 0: distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.code(0x30, 8);
    }
    bits.code(0, 7); // end of block
    if bits.n > 0 {
        bits.out.push(bits.acc as u8);
    }
    // Adler-32 of `len` zeros: a stays 1, b adds 1 per byte.
    let b = (len % 65521) as u32;
    bits.out.extend_from_slice(&((b << 16) | 1).to_be_bytes());
    bits.out
}

const GIB: u64 = 1 << 30;

#[test]
fn the_deflate_writer_is_right() {
    let stream = lopdf::Stream::new(
        lopdf::dictionary! { "Filter" => "FlateDecode" },
        zlib_zeros(100_000),
    );
    assert_eq!(stream.decompressed_content().unwrap(), vec![0; 100_000]);
    let stream = lopdf::Stream::new(
        lopdf::dictionary! { "Filter" => "FlateDecode" },
        zlib_zeros(1),
    );
    assert_eq!(stream.decompressed_content().unwrap(), vec![0]);
}

/// A 1 GiB bomb where lopdf decodes eagerly (an object stream), where the DSS reader decodes
/// (a certificate), and where the change finder compares (a content stream replaced by the
/// same dictionary with another encoding): each is stopped at the decompression limit.
fn bomb_cases() -> Vec<(&'static str, Vec<u8>)> {
    let bomb = zlib_zeros(GIB);
    assert!(bomb.len() < 8 << 20, "{} bytes", bomb.len());
    let objstm = {
        let mut objects = text(&[
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [] /Count 0 >>",
        ]);
        objects.push(stream(
            "/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode",
            &bomb,
        ));
        build(&objects, "")
    };
    let dss = signed(
        "/DSS 6 0 R",
        vec![
            b"<< /Certs [7 0 R] >>".to_vec(),
            stream("/Filter /FlateDecode", &bomb),
        ],
    );
    // Object 6 (plain, unused when signed) replaced by the same dictionary, Flate-encoded: the
    // comparison decodes both to see whether the content is the same.
    let content = update(
        &signed("", vec![stream("", b"BT ET")]),
        &[(6, stream("/Filter /FlateDecode", &bomb))],
        "",
    );
    vec![
        ("object stream", objstm),
        ("DSS certificate", dss),
        ("content stream", content),
    ]
}

#[test]
fn decompression_bombs_are_stopped() {
    for (name, pdf) in bomb_cases() {
        match exercise(name, &pdf, &PdfLimits::default()) {
            Err(e) => assert_eq!(
                e,
                PdfError::DecompressionLimit {
                    limit: PdfLimits::default().max_decompressed_stream_len
                },
                "{name}"
            ),
            Ok(sigs) => {
                if let Some(dss) = &sigs.dss {
                    assert!(dss.certificates.is_empty(), "{name}");
                    assert_eq!(dss.problems.len(), 1, "{name}: {:?}", dss.problems);
                    println!("{name}: {}", dss.problems[0]);
                }
            }
        }
    }
}

/// Two Flate layers: the outer one stored (no compression), the inner the 1 GiB bomb; lopdf
/// bounds every layer, so the inner one stops at the limit too.
#[test]
fn nested_filters_are_bounded() {
    let inner = zlib_zeros(GIB);
    // Stored Deflate blocks of at most 65535 bytes.
    let mut outer = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = inner.chunks(65535).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        outer.push(u8::from(i + 1 == chunks.len()));
        let len = chunk.len() as u16;
        outer.extend_from_slice(&len.to_le_bytes());
        outer.extend_from_slice(&(!len).to_le_bytes());
        outer.extend_from_slice(chunk);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &inner {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    outer.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut objects = text(&[
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [] /Count 0 >>",
    ]);
    objects.push(stream(
        "/Type /ObjStm /N 1 /First 4 /Filter [/FlateDecode /FlateDecode]",
        &outer,
    ));
    let pdf = build(&objects, "");
    let err = exercise("nested filters", &pdf, &PdfLimits::default()).unwrap_err();
    assert!(matches!(err, PdfError::DecompressionLimit { .. }), "{err}");
}

#[test]
fn huge_stream_lengths_and_sizes() {
    let with = |third: Vec<u8>| {
        build(
            &[
                b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
                b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec(),
                third,
            ],
            "",
        )
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "length beyond the file",
            with(b"<< /Length 999999999999 >>\nstream\nabc\nendstream".to_vec()),
        ),
        (
            "no endstream",
            with(b"<< /Length 3 >>\nstream\nabc".to_vec()),
        ),
        (
            "negative length",
            with(b"<< /Length -9 >>\nstream\nabc\nendstream".to_vec()),
        ),
        (
            "object stream claiming a billion objects",
            with(stream(
                "/Type /ObjStm /N 1000000000 /First 999999999",
                b"1 0 2 5 ",
            )),
        ),
    ];
    for (name, pdf) in cases {
        if let Err(e) = exercise(name, &pdf, &PdfLimits::default()) {
            assert!(!matches!(e, PdfError::ParserPanic(_)), "{name}: {e}");
        }
    }
    // A big (but honest) stream above the file-size limit is refused before parsing.
    let big = build(
        &[
            b"<< /Type /Catalog >>".to_vec(),
            stream("", &vec![b'x'; 2 << 20]),
        ],
        "",
    );
    let limits = PdfLimits {
        max_file_len: 1 << 20,
        ..PdfLimits::default()
    };
    assert!(matches!(
        PdfSignatures::read(&big, &limits),
        Err(PdfError::TooLarge { .. })
    ));
}

/// Peak memory of reading each 1 GiB bomb, measured in a child process (this test binary run
/// on `bomb_child` alone) so that other tests' allocations do not count.
#[test]
fn bomb_peak_memory() {
    if !std::path::Path::new("/proc/self/status").exists() {
        println!("skipped: no /proc/self/status");
        return;
    }
    for (index, (name, _)) in bomb_cases().iter().enumerate() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "bomb_child", "--nocapture", "--test-threads=1"])
            .env("STELE_BOMB_CHILD", index.to_string())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{name}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let kb: u64 = stdout
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM-after:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name}: no measurement in {stdout}"));
        println!("{name}: peak resident memory {} MiB", kb / 1024);
        // The default limit lets one stream inflate to 64 MiB; the vector holding it may
        // double past that while growing, and the bomb itself is ~6.5 MiB.
        assert!(kb < 320 * 1024, "{name}: {kb} kB");
    }
}

#[test]
fn bomb_child() {
    let Ok(index) = std::env::var("STELE_BOMB_CHILD") else {
        return;
    };
    let (name, pdf) = bomb_cases().swap_remove(index.parse().unwrap());
    let result = exercise(name, &pdf, &PdfLimits::default());
    let _ = result.map(|s| s.signatures.len());
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap()
        .trim()
        .trim_end_matches(" kB")
        .to_string();
    println!("VmHWM-after: {hwm}");
    std::io::stdout().flush().unwrap();
}

// ---------------------------------------------------------------------------------------------
// Deep nesting

/// lopdf 0.47 stops nesting at 100 levels (`reader::MAX_NESTING_DEPTH`) and string parentheses
/// at 100 (`MAX_BRACKET`), so its recursive-descent parser cannot overflow the stack however
/// deep the input; no pre-scan is needed in front of it. These cases run on a thread with a
/// small (256 KiB) stack to show the margin: a stack overflow aborts the whole test binary.
#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let depth = 200_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let dicts = format!("{}{}", "<< /A ".repeat(depth), ">> ".repeat(depth));
    let mixed = format!("{}{}", "[<< /A ".repeat(depth / 2), ">>]".repeat(depth / 2));
    let parens = format!("({})", "(".repeat(depth) + &")".repeat(depth));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("arrays in an object", build(&[format!("<< /Type /Catalog /X {arrays} >>").into_bytes()], "")),
        ("dictionaries in an object", build(&[format!("<< /Type /Catalog /X {dicts} >>").into_bytes()], "")),
        ("mixed in an object", build(&[format!("<< /Type /Catalog /X {mixed} >>").into_bytes()], "")),
        ("string parentheses", build(&[format!("<< /Type /Catalog /X {parens} >>").into_bytes()], "")),
        ("arrays in the trailer", build(&text(&["<< /Type /Catalog >>"]), &format!("/X {arrays}"))),
        (
            "dictionaries in an object stream",
            build(
                &[
                    b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
                    b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec(),
                    stream("/Type /ObjStm /N 1 /First 4", format!("4 0 {dicts}").as_bytes()),
                ],
                "",
            ),
        ),
        (
            "arrays after signing",
            update(&signed("", Vec::new()), &[(6, arrays.clone().into_bytes()), (1, b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> /X 6 0 R >>".to_vec())], ""),
        ),
        (
            "just under the limit after signing",
            update(
                &signed("", Vec::new()),
                &[
                    (6, format!("{}{}", "[".repeat(95), "]".repeat(95)).into_bytes()),
                    (1, b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> /X 6 0 R >>".to_vec()),
                ],
                "",
            ),
        ),
    ];
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            for (name, pdf) in cases {
                if let Err(e) = exercise(name, &pdf, &PdfLimits::default()) {
                    assert!(!matches!(e, PdfError::ParserPanic(_)), "{name}: {e}");
                }
            }
        })
        .unwrap();
    handle.join().unwrap();
}

/// A long chain of references (each object names the next) and a very deep page tree.
#[test]
fn long_chains_are_bounded() {
    let n = 50_000;
    let mut chain = vec![
        b"<< /Type /Catalog /Pages 2 0 R /X 3 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec(),
    ];
    chain.extend((3..n).map(|i| format!("{} 0 R", i + 1).into_bytes()));
    chain.push(b"null".to_vec());
    let mut tree = vec![b"<< /Type /Catalog /Pages 2 0 R >>".to_vec()];
    tree.extend(
        (2..n).map(|i| format!("<< /Type /Pages /Kids [{} 0 R] /Count 1 >>", i + 1).into_bytes()),
    );
    tree.push(b"<< /Type /Page >>".to_vec());
    for (name, pdf) in [
        ("reference chain", build(&chain, "")),
        ("deep page tree", build(&tree, "")),
    ] {
        if let Err(e) = exercise(name, &pdf, &PdfLimits::default()) {
            assert!(!matches!(e, PdfError::ParserPanic(_)), "{name}: {e}");
        }
    }
    // The same, appended after a signature, where the change finder walks it.
    let base = signed("", Vec::new());
    let mut objects: Vec<(u32, Vec<u8>)> = (6..5_000u32)
        .map(|i| {
            (
                i,
                format!("<< /Type /Pages /Kids [{} 0 R] /Count 1 >>", i + 1).into_bytes(),
            )
        })
        .collect();
    objects.push((5_000, b"<< /Type /Page >>".to_vec()));
    objects.push((
        2,
        b"<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>".to_vec(),
    ));
    let pdf = update(&base, &objects, "");
    let sigs = exercise("deep page tree after signing", &pdf, &PdfLimits::default()).unwrap();
    let m = sigs.modifications(&pdf, 0, &PdfLimits::default()).unwrap();
    assert_eq!(m.verdict, ModificationVerdict::Modified);
}
