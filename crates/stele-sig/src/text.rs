//! Text of a PDF for full-text search, with correct Vietnamese (issue 4).
//!
//! lopdf gives the object model; the content streams are interpreted here: text state and CTM,
//! Form XObjects, ToUnicode CMaps, Type0/Identity-H and simple-font encodings, and marked
//! content with `/ActualText` — which is what makes LibreOffice's Vietnamese right, since it
//! draws some accents as separate glyphs and states the real letters in `/ActualText`.
//!
//! Annotations are drawn after the page as viewers and `pdftotext` draw them: the normal
//! appearance of every annotation not hidden (signature widgets, stamps, free text), fitted to
//! its `/Rect` — so the text of visible signatures is found.
//!
//! Glyphs are then laid out the way `pdftotext` does in its default mode: grouped into blocks
//! (columns, table cells, stamps) put in reading order (see `layout`), each block's glyphs into
//! lines by baseline, top to bottom and left to right (right-to-left script is put back in
//! logical order), a space where the gap between glyphs is a fair part of the font size; pages
//! end with a form feed. The result is NFC, so base letters and separately drawn marks combine.
//!
//! Every limit in [`TextLimits`] is enforced while working; a hostile file gives a [`TextError`],
//! never a panic (lopdf's panics are caught, see `pdf::guarded`).

mod cmap;
mod encodings;
mod font;
mod glyph_names;
mod layout;
mod lexer;

use std::collections::HashMap;
use std::rc::Rc;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use unicode_normalization::UnicodeNormalization;

use self::font::Font;
use self::lexer::{Lexer, Operand, Token};

/// Bounds on the work and memory one document may cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextLimits {
    /// Largest input accepted, in bytes.
    pub max_file_len: usize,
    /// Most pages read.
    pub max_pages: usize,
    /// Largest size one stream (content, form, CMap, object stream) may decode to.
    pub max_stream_bytes: usize,
    /// Most bytes all content streams, forms and CMaps of the document may decode to together.
    pub max_total_bytes: usize,
    /// Most content-stream operators interpreted in the whole document.
    pub max_operators: usize,
    /// Most characters of output (a glyph that maps to no text counts as one).
    pub max_output_chars: usize,
    /// Deepest nesting of Form XObjects.
    pub max_form_depth: usize,
}

impl Default for TextLimits {
    fn default() -> Self {
        TextLimits {
            max_file_len: crate::pdf::DEFAULT_MAX_FILE_LEN,
            max_pages: 10_000,
            max_stream_bytes: 64 << 20,
            max_total_bytes: 512 << 20,
            max_operators: 20_000_000,
            max_output_chars: 16 << 20,
            max_form_depth: 12,
        }
    }
}

/// Which of [`TextLimits`] a document exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextLimit {
    FileLen,
    Pages,
    StreamBytes,
    TotalBytes,
    Operators,
    OutputChars,
    FormDepth,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("not a PDF: no %PDF- header in the first 1024 bytes")]
    NotPdf,
    #[error("the PDF is encrypted and cannot be opened without its password ({0})")]
    Encrypted(String),
    #[error("the PDF structure cannot be read: {0}")]
    Malformed(String),
    #[error("the document exceeds the text-extraction limit on {0:?}")]
    LimitExceeded(TextLimit),
    /// lopdf panicked on this input; caught and reported like any unreadable file.
    #[error("the PDF parser failed on malformed input: {0}")]
    ParserPanic(String),
}

/// The text of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtractedText {
    /// NFC text; lines end with `\n`, pages with `\f`.
    pub text: String,
    /// Pages read.
    pub pages: u32,
    /// Pages on which no text was found (scanned images, say).
    pub pages_without_text: u32,
}

/// Extracts the text of `pdf` within `limits`.
pub fn extract_text(pdf: &[u8], limits: &TextLimits) -> Result<ExtractedText, TextError> {
    crate::pdf::guarded(|| extract_unguarded(pdf, limits))
        .unwrap_or_else(|panic| Err(TextError::ParserPanic(panic)))
}

fn extract_unguarded(pdf: &[u8], limits: &TextLimits) -> Result<ExtractedText, TextError> {
    let load_limits = crate::pdf::PdfLimits {
        max_file_len: limits.max_file_len,
        max_decompressed_stream_len: limits.max_stream_bytes,
        ..crate::pdf::PdfLimits::default()
    };
    let doc = crate::pdf::load_document(pdf, &load_limits).map_err(load_error)?;
    let mut budget = Budget {
        limits: limits.clone(),
        total_bytes: 0,
        operators: 0,
        output_chars: 0,
    };
    let mut fonts = HashMap::new();
    let mut text = String::new();
    let mut pages = 0u32;
    let mut empty = 0u32;
    for page_id in doc.page_iter() {
        if pages as usize >= limits.max_pages {
            return Err(TextError::LimitExceeded(TextLimit::Pages));
        }
        pages += 1;
        let mut page = PageText::default();
        let mut content = Vec::new();
        for id in doc.get_page_contents(page_id) {
            if let Ok(Object::Stream(s)) = doc.get_object(id) {
                content.extend_from_slice(&budget.decode(s)?);
                content.push(b'\n');
            }
        }
        let resources = page_resources(&doc, page_id);
        let mut interp = Interpreter {
            doc: &doc,
            budget: &mut budget,
            fonts: &mut fonts,
            page: &mut page,
            forms: Vec::new(),
            marked: Vec::new(),
            metrics: (0.95, -0.35),
        };
        interp.run(&content, &resources, IDENTITY)?;
        interp.annotations(page_id)?;
        let before = text.len();
        page.lay_out(&mut text);
        if text.len() == before {
            empty += 1;
        }
        text.push('\u{c}');
    }
    // Most documents are NFC already: skip the copy then.
    let text = match unicode_normalization::is_nfc_quick(text.chars()) {
        unicode_normalization::IsNormalized::Yes => text,
        _ => text.nfc().collect(),
    };
    Ok(ExtractedText {
        text,
        pages,
        pages_without_text: empty,
    })
}

/// The reasons the PDF reader gives for a document it cannot open, as text-extraction errors.
fn load_error(e: crate::pdf::PdfError) -> TextError {
    use crate::pdf::PdfError;
    match e {
        PdfError::TooLarge { .. } => TextError::LimitExceeded(TextLimit::FileLen),
        PdfError::NotPdf => TextError::NotPdf,
        PdfError::Encrypted(why) => TextError::Encrypted(why),
        PdfError::DecompressionLimit { .. } => TextError::LimitExceeded(TextLimit::StreamBytes),
        PdfError::ParserPanic(why) => TextError::ParserPanic(why),
        PdfError::Malformed(why) => TextError::Malformed(why),
        other => TextError::Malformed(other.to_string()),
    }
}

/// The page's resource dictionaries, nearest first (inherited ones after).
fn page_resources(doc: &Document, page_id: ObjectId) -> Vec<&Dictionary> {
    let Ok((direct, ids)) = doc.get_page_resources(page_id) else {
        return Vec::new();
    };
    direct
        .into_iter()
        .chain(ids.into_iter().filter_map(|id| doc.get_dictionary(id).ok()))
        .collect()
}

/// What the document has used of its limits so far.
pub(crate) struct Budget {
    limits: TextLimits,
    total_bytes: usize,
    operators: usize,
    output_chars: usize,
}

impl Budget {
    fn decode(&mut self, s: &Stream) -> Result<Vec<u8>, TextError> {
        let bytes = match s.get_plain_content_with_limit(self.limits.max_stream_bytes) {
            Ok(bytes) => bytes,
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                ..
            })) => return Err(TextError::LimitExceeded(TextLimit::StreamBytes)),
            // An undecodable stream carries no text we can read; treat it as empty, as
            // viewers do, rather than losing the rest of the document.
            Err(_) => Vec::new(),
        };
        self.charge(bytes.len())?;
        Ok(bytes)
    }

    /// Counts `bytes` of decoded or derived data against `max_total_bytes`.
    fn charge(&mut self, bytes: usize) -> Result<(), TextError> {
        self.total_bytes = self.total_bytes.saturating_add(bytes);
        if self.total_bytes > self.limits.max_total_bytes {
            return Err(TextError::LimitExceeded(TextLimit::TotalBytes));
        }
        Ok(())
    }

    /// A parsed CMap, its heap charged to the budget.
    fn parsed(&mut self, cmap: cmap::CMap) -> Result<cmap::CMap, TextError> {
        self.charge(cmap.heap_bytes())?;
        Ok(cmap)
    }
}

type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

#[derive(Clone)]
struct GState {
    ctm: Matrix,
    font: Option<Rc<Font>>,
    size: f32,
    char_space: f32,
    word_space: f32,
    hscale: f32,
    leading: f32,
    rise: f32,
}

/// One drawn glyph (or one `/ActualText` span) in device space.
#[derive(Clone, Copy, Debug)]
struct Glyph {
    x: f32,
    y: f32,
    end: f32,
    size: f32,
    /// The font's ascent and descent, per unit of size.
    ascent: f32,
    descent: f32,
    /// Byte range of its text in [`PageText::chars`].
    start: u32,
    len: u32,
    space: bool,
}

#[derive(Default)]
struct PageText {
    glyphs: Vec<Glyph>,
    chars: String,
}

/// Where an `/ActualText` span's glyphs were drawn: x, baseline y, right end, font size.
type Extent = (f32, f32, f32, f32);

/// An open marked-content span; `actual` holds its `/ActualText` and the glyphs' extent.
struct Marked {
    actual: Option<(String, Option<Extent>)>,
}

struct Interpreter<'a, 'b> {
    doc: &'a Document,
    budget: &'b mut Budget,
    fonts: &'b mut HashMap<usize, Rc<Font>>,
    page: &'b mut PageText,
    /// Form XObjects being run, outermost first (cycle guard and depth).
    forms: Vec<ObjectId>,
    marked: Vec<Marked>,
    /// Ascent and descent of the font last shown.
    metrics: (f32, f32),
}

/// Most graphics states saved by `q` that are kept; deeper `q`s still balance their `Q`s.
const MAX_SAVED: usize = 256;
const MAX_MARKED: usize = 256;

impl<'a> Interpreter<'a, '_> {
    fn run(
        &mut self,
        content: &[u8],
        resources: &[&'a Dictionary],
        ctm: Matrix,
    ) -> Result<(), TextError> {
        let mut gs = GState {
            ctm,
            font: None,
            size: 0.0,
            char_space: 0.0,
            word_space: 0.0,
            hscale: 1.0,
            leading: 0.0,
            rise: 0.0,
        };
        let mut saved: Vec<GState> = Vec::new();
        let mut overflow = 0usize;
        let mut tm = IDENTITY;
        let mut tlm = IDENTITY;
        let mut ops: Vec<Operand> = Vec::new();
        let mut lexer = Lexer::new(content);
        while let Some(token) = lexer.next_token() {
            let op = match token {
                Token::Operand(o) => {
                    // Operators take at most a handful of operands; a longer run is junk.
                    if ops.len() < 64 {
                        ops.push(o);
                    }
                    continue;
                }
                Token::Operator(op) => op,
            };
            self.budget.operators += 1;
            if self.budget.operators > self.budget.limits.max_operators {
                return Err(TextError::LimitExceeded(TextLimit::Operators));
            }
            let n = |i: usize| ops.get(i).and_then(Operand::number).unwrap_or(0.0);
            match op {
                b"q" => {
                    if saved.len() < MAX_SAVED {
                        saved.push(gs.clone());
                    } else {
                        overflow += 1;
                    }
                }
                b"Q" => {
                    if overflow > 0 {
                        overflow -= 1;
                    } else if let Some(g) = saved.pop() {
                        gs = g;
                    }
                }
                b"cm" if ops.len() >= 6 => {
                    gs.ctm = mul(&[n(0), n(1), n(2), n(3), n(4), n(5)], &gs.ctm);
                }
                b"BT" => {
                    tm = IDENTITY;
                    tlm = IDENTITY;
                }
                b"Tf" => {
                    gs.size = n(1);
                    gs.font = match ops.first() {
                        Some(Operand::Name(name)) => self.font(resources, name)?,
                        _ => None,
                    };
                }
                b"Tc" => gs.char_space = n(0),
                b"Tw" => gs.word_space = n(0),
                b"Tz" => gs.hscale = n(0) / 100.0,
                b"TL" => gs.leading = n(0),
                b"Ts" => gs.rise = n(0),
                b"Td" | b"TD" => {
                    if op == b"TD" {
                        gs.leading = -n(1);
                    }
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, n(0), n(1)], &tlm);
                    tm = tlm;
                }
                b"Tm" if ops.len() >= 6 => {
                    tlm = [n(0), n(1), n(2), n(3), n(4), n(5)];
                    tm = tlm;
                }
                b"T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                    tm = tlm;
                }
                b"Tj" | b"'" | b"\"" => {
                    if op != b"Tj" {
                        if op == b"\"" {
                            gs.word_space = n(0);
                            gs.char_space = n(1);
                        }
                        tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.leading], &tlm);
                        tm = tlm;
                    }
                    if let Some(Operand::Str(s)) = ops.last() {
                        self.show(&gs, &mut tm, s)?;
                    }
                }
                b"TJ" => {
                    if let Some(Operand::Array(items)) = ops.first() {
                        for item in items {
                            match item {
                                Operand::Str(s) => self.show(&gs, &mut tm, s)?,
                                other => {
                                    let adj = other.number().unwrap_or(0.0);
                                    let tx = -adj / 1000.0 * gs.size * gs.hscale;
                                    tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &tm);
                                }
                            }
                        }
                    }
                }
                b"BDC" | b"BMC" => {
                    let actual = if op == b"BDC" {
                        self.actual_text(resources, ops.get(1))
                    } else {
                        None
                    };
                    // Only the outermost /ActualText replaces glyphs.
                    let outer = self.marked.iter().any(|m| m.actual.is_some());
                    if self.marked.len() < MAX_MARKED {
                        self.marked.push(Marked {
                            actual: actual.filter(|_| !outer).map(|t| (t, None)),
                        });
                    }
                }
                b"EMC" => {
                    if let Some(Marked {
                        actual: Some((text, Some((x, y, end, size)))),
                    }) = self.marked.pop()
                    {
                        self.push_glyph(x, y, end, size, &text)?;
                    }
                }
                b"BI" => lexer.skip_inline_image(),
                b"Do" => {
                    if let Some(Operand::Name(name)) = ops.first() {
                        self.form(resources, name, &gs.ctm)?;
                    }
                }
                _ => {}
            }
            ops.clear();
        }
        Ok(())
    }

    fn resource(
        &self,
        resources: &[&'a Dictionary],
        kind: &[u8],
        name: &[u8],
    ) -> Option<&'a Object> {
        resources.iter().find_map(|r| {
            let dict = self.deref(r.get(kind).ok()?)?.as_dict().ok()?;
            dict.get(name).ok()
        })
    }

    fn deref(&self, o: &'a Object) -> Option<&'a Object> {
        self.doc.dereference(o).ok().map(|(_, o)| o)
    }

    fn font(
        &mut self,
        resources: &[&'a Dictionary],
        name: &[u8],
    ) -> Result<Option<Rc<Font>>, TextError> {
        let Some(dict) = self
            .resource(resources, b"Font", name)
            .and_then(|o| self.deref(o))
            .and_then(|o| o.as_dict().ok())
        else {
            return Ok(None);
        };
        // The document is immutable while we work, so a dictionary's address names it.
        let key = dict as *const Dictionary as usize;
        if let Some(f) = self.fonts.get(&key) {
            return Ok(Some(f.clone()));
        }
        let font = Rc::new(Font::load(self.doc, dict, self.budget)?);
        self.fonts.insert(key, font.clone());
        Ok(Some(font))
    }

    fn actual_text(&self, resources: &[&'a Dictionary], props: Option<&Operand>) -> Option<String> {
        let bytes: Vec<u8> = match props? {
            Operand::Dict(entries) => entries.iter().find_map(|(k, v)| match v {
                Operand::Str(s) if k == b"ActualText" => Some(s.clone()),
                _ => None,
            })?,
            Operand::Name(name) => {
                let dict = self
                    .resource(resources, b"Properties", name)
                    .and_then(|o| self.deref(o))?
                    .as_dict()
                    .ok()?;
                self.deref(dict.get(b"ActualText").ok()?)?
                    .as_str()
                    .ok()?
                    .to_vec()
            }
            _ => return None,
        };
        Some(decode_text_string(&bytes))
    }

    fn form(
        &mut self,
        resources: &[&'a Dictionary],
        name: &[u8],
        ctm: &Matrix,
    ) -> Result<(), TextError> {
        let Some(Object::Reference(id)) = self.resource(resources, b"XObject", name) else {
            return Ok(());
        };
        let Ok(Object::Stream(stream)) = self.doc.get_object(*id) else {
            return Ok(());
        };
        if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form") {
            return Ok(());
        }
        let matrix = self.matrix(&stream.dict, b"Matrix").unwrap_or(IDENTITY);
        self.run_form(*id, stream, resources, mul(&matrix, ctm))
    }

    /// Runs a form XObject whose matrix is already folded into `ctm`.
    fn run_form(
        &mut self,
        id: ObjectId,
        stream: &'a Stream,
        resources: &[&'a Dictionary],
        ctm: Matrix,
    ) -> Result<(), TextError> {
        if self.forms.contains(&id) {
            return Ok(()); // a cycle: the form draws itself
        }
        if self.forms.len() >= self.budget.limits.max_form_depth {
            return Err(TextError::LimitExceeded(TextLimit::FormDepth));
        }
        let own = stream
            .dict
            .get(b"Resources")
            .ok()
            .and_then(|o| self.deref(o))
            .and_then(|o| o.as_dict().ok());
        let form_resources: Vec<&'a Dictionary> = match own {
            Some(d) => vec![d],
            None => resources.to_vec(),
        };
        let content = self.budget.decode(stream)?;
        self.forms.push(id);
        let result = self.run(&content, &form_resources, ctm);
        self.forms.pop();
        result
    }

    /// Six numbers under `key` (a `/Matrix`).
    fn matrix(&self, dict: &'a Dictionary, key: &[u8]) -> Option<Matrix> {
        let v = self.numbers(dict, key)?;
        (v.len() == 6).then(|| [v[0], v[1], v[2], v[3], v[4], v[5]])
    }

    /// A rectangle under `key` as (x0, y0, x1, y1) with x0 <= x1 and y0 <= y1.
    fn rect(&self, dict: &'a Dictionary, key: &[u8]) -> Option<[f32; 4]> {
        let v = self.numbers(dict, key)?;
        (v.len() == 4).then(|| {
            [
                v[0].min(v[2]),
                v[1].min(v[3]),
                v[0].max(v[2]),
                v[1].max(v[3]),
            ]
        })
    }

    fn numbers(&self, dict: &'a Dictionary, key: &[u8]) -> Option<Vec<f32>> {
        let Some(Object::Array(a)) = dict.get(key).ok().and_then(|o| self.deref(o)) else {
            return None;
        };
        if a.len() > 6 {
            return None;
        }
        a.iter()
            .map(|o| self.deref(o).and_then(|o| o.as_float().ok()))
            .map(|f| f.filter(|f| f.is_finite()))
            .collect()
    }

    /// Draws the page's annotations the way viewers (and `pdftotext`) do: the normal appearance
    /// (`/AP /N`, picked by `/AS` when it has states) of every annotation that is not hidden,
    /// its form's `/BBox` (through `/Matrix`) fitted to the annotation's `/Rect` (PDF 12.5.5).
    fn annotations(&mut self, page_id: ObjectId) -> Result<(), TextError> {
        let Ok(page) = self.doc.get_dictionary(page_id) else {
            return Ok(());
        };
        let Some(Object::Array(annots)) = page.get(b"Annots").ok().and_then(|o| self.deref(o))
        else {
            return Ok(());
        };
        for annot in annots {
            let Some(dict) = self.deref(annot).and_then(|o| o.as_dict().ok()) else {
                continue;
            };
            // Hidden (bit 2) and NoView (bit 6) annotations are not shown on screen.
            let flags = dict.get(b"F").ok().and_then(|o| self.deref(o));
            let flags = flags.and_then(|o| o.as_i64().ok()).unwrap_or(0);
            if flags & (2 | 32) != 0 {
                continue;
            }
            let Some(ap) = dict
                .get(b"AP")
                .ok()
                .and_then(|o| self.deref(o))
                .and_then(|o| o.as_dict().ok())
            else {
                continue;
            };
            let Ok(normal) = ap.get(b"N") else {
                continue;
            };
            let mut appearance = normal;
            if let Some(Object::Dictionary(states)) = self.deref(normal) {
                let state = dict.get(b"AS").ok().and_then(|o| self.deref(o));
                let Some(Ok(chosen)) = state
                    .and_then(|o| o.as_name().ok())
                    .map(|name| states.get(name))
                else {
                    continue;
                };
                appearance = chosen;
            }
            let Object::Reference(id) = appearance else {
                continue; // a direct stream cannot be told apart from its copies; rare
            };
            let Ok(Object::Stream(stream)) = self.doc.get_object(*id) else {
                continue;
            };
            let (Some(rect), Some(bbox)) =
                (self.rect(dict, b"Rect"), self.rect(&stream.dict, b"BBox"))
            else {
                continue;
            };
            let matrix = self.matrix(&stream.dict, b"Matrix").unwrap_or(IDENTITY);
            // The bounding box of BBox transformed by Matrix, mapped onto Rect.
            let corners = [
                (bbox[0], bbox[1]),
                (bbox[0], bbox[3]),
                (bbox[2], bbox[1]),
                (bbox[2], bbox[3]),
            ]
            .map(|(x, y)| {
                (
                    matrix[0] * x + matrix[2] * y + matrix[4],
                    matrix[1] * x + matrix[3] * y + matrix[5],
                )
            });
            let fold = |f: fn(f32, f32) -> f32, pick: fn(&(f32, f32)) -> f32| {
                corners.iter().map(pick).reduce(f).unwrap_or(0.0)
            };
            let (x0, x1) = (fold(f32::min, |c| c.0), fold(f32::max, |c| c.0));
            let (y0, y1) = (fold(f32::min, |c| c.1), fold(f32::max, |c| c.1));
            if x1 - x0 <= 0.0 || y1 - y0 <= 0.0 {
                continue;
            }
            let sx = (rect[2] - rect[0]) / (x1 - x0);
            let sy = (rect[3] - rect[1]) / (y1 - y0);
            let fit = [sx, 0.0, 0.0, sy, rect[0] - x0 * sx, rect[1] - y0 * sy];
            self.run_form(*id, stream, &[], mul(&matrix, &fit))?;
        }
        Ok(())
    }

    /// Shows the string `s`, advancing `tm` glyph by glyph.
    fn show(&mut self, gs: &GState, tm: &mut Matrix, s: &[u8]) -> Result<(), TextError> {
        let Some(font) = gs.font.clone() else {
            return Ok(());
        };
        self.metrics = (font.ascent, font.descent);
        for (code, len) in font.codes(s) {
            let trm = mul(
                &[gs.size * gs.hscale, 0.0, 0.0, gs.size, 0.0, gs.rise],
                &mul(tm, &gs.ctm),
            );
            let mut tx = font.width(code) * gs.size + gs.char_space;
            if font.is_word_space(code, len) {
                tx += gs.word_space;
            }
            tx *= gs.hscale;
            let m = mul(tm, &gs.ctm);
            let (x, y) = (trm[4], trm[5]);
            let end = x + tx * m[0];
            let size = (trm[2] * trm[2] + trm[3] * trm[3]).sqrt();
            *tm = mul(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], tm);
            if let Some(Marked {
                actual: Some((_, extent)),
            }) = self.marked.iter_mut().find(|m| m.actual.is_some())
            {
                // Inside /ActualText: the glyphs only give the span its place.
                *extent = Some(match *extent {
                    None => (x, y, end, size),
                    Some((x0, y0, e0, s0)) => (x0, y0, e0.max(end), s0),
                });
                continue;
            }
            let text = font.text(code, len).unwrap_or_default();
            self.push_glyph(x, y, end, size, &text)?;
        }
        Ok(())
    }

    fn push_glyph(
        &mut self,
        x: f32,
        y: f32,
        end: f32,
        size: f32,
        text: &str,
    ) -> Result<(), TextError> {
        if !(x.is_finite() && y.is_finite() && end.is_finite() && size.is_finite()) {
            return Ok(());
        }
        let text = expand_ligature(text);
        let space = !text.is_empty() && text.chars().all(char::is_whitespace);
        // A glyph without text still costs memory and layout work: count it as one.
        self.budget.output_chars += text.chars().count().max(1);
        if self.budget.output_chars > self.budget.limits.max_output_chars {
            return Err(TextError::LimitExceeded(TextLimit::OutputChars));
        }
        let start = self.page.chars.len() as u32;
        if !space {
            self.page.chars.push_str(text);
        }
        self.page.glyphs.push(Glyph {
            x,
            y,
            end,
            size: size.max(0.1),
            ascent: self.metrics.0,
            descent: self.metrics.1,
            start,
            len: self.page.chars.len() as u32 - start,
            space,
        });
        Ok(())
    }
}

fn expand_ligature(text: &str) -> &str {
    match text {
        "\u{fb00}" => "ff",
        "\u{fb01}" => "fi",
        "\u{fb02}" => "fl",
        "\u{fb03}" => "ffi",
        "\u{fb04}" => "ffl",
        "\u{fb05}" | "\u{fb06}" => "st",
        other => other,
    }
}

/// A PDF text string: UTF-16BE with BOM, UTF-8 with BOM, or PDFDocEncoding.
fn decode_text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        return cmap::utf16_string(&cmap::utf16_units(rest));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes
        .iter()
        .filter_map(|&b| match encodings::PDF_DOC_ENCODING[usize::from(b)] {
            0 => None,
            u => char::from_u32(u32::from(u)),
        })
        .collect()
}

/// A gap wider than this fraction of the font size between two glyphs is a word break.
const WORD_GAP: f32 = 0.12;
/// Glyphs whose baselines differ by less than this fraction of the font size share a line.
const LINE_TOLERANCE: f32 = 0.5;

impl PageText {
    fn lay_out(&self, out: &mut String) {
        let rtl = self.right_to_left();
        let blocks = layout::blocks(&self.glyphs, &self.chars, rtl)
            .unwrap_or_else(|| vec![(0..self.glyphs.len()).collect()]);
        let mut page = String::new();
        for block in blocks {
            self.lay_out_block(block, rtl, &mut page);
        }
        if !page.is_empty() {
            out.push_str(&page);
            out.push('\n');
        }
    }

    /// Whether most of the page's letters are written right to left (Hebrew, Arabic).
    fn right_to_left(&self) -> bool {
        let (mut l, mut r) = (0usize, 0usize);
        for c in self.chars.chars() {
            if is_rtl(c) {
                r += 1;
            } else if c.is_alphabetic() {
                l += 1;
            }
        }
        r > l
    }

    /// Appends the lines of one block: glyphs grouped by baseline, top to bottom, each line left
    /// to right (or in logical order for right-to-left script).
    fn lay_out_block(&self, mut order: Vec<usize>, rtl: bool, page: &mut String) {
        let g = &self.glyphs;
        order.sort_by(|&a, &b| g[b].y.total_cmp(&g[a].y));
        let mut lines: Vec<Vec<usize>> = Vec::new();
        let mut line_y = f32::NAN;
        let mut line_size = 0.0f32;
        for i in order {
            let tol = LINE_TOLERANCE * line_size.min(g[i].size).max(1.0);
            match lines.last_mut() {
                Some(line) if (line_y - g[i].y).abs() <= tol => line.push(i),
                _ => {
                    lines.push(vec![i]);
                    line_y = g[i].y;
                    line_size = g[i].size;
                }
            }
        }
        for mut line in lines {
            line.sort_by(|&a, &b| g[a].x.total_cmp(&g[b].x));
            let mut text = String::new();
            let mut prev: Option<&Glyph> = None;
            let mut pending_space = false;
            for &i in &line {
                let glyph = &g[i];
                if glyph.space {
                    pending_space = true;
                    prev = Some(glyph);
                    continue;
                }
                let s = &self.chars[glyph.start as usize..(glyph.start + glyph.len) as usize];
                if s.is_empty() {
                    continue;
                }
                let combining = s.chars().next().is_some_and(is_combining_mark);
                if let Some(p) = prev {
                    let gap = glyph.x - p.end;
                    let size = glyph.size.max(p.size);
                    let wide = gap > WORD_GAP * size || gap < -size;
                    if (pending_space || wide) && !combining && !text.is_empty() {
                        text.push(' ');
                    }
                }
                text.push_str(s);
                pending_space = false;
                prev = Some(glyph);
            }
            let text = text.trim_end();
            if text.is_empty() {
                continue;
            }
            let text = if rtl {
                logical_order(text)
            } else {
                text.to_string()
            };
            // A line ending in a hyphen after a letter or digit continues on the next
            // (`1500/UBND-` / `CNTT`): keep the hyphen, drop the break. (pdftotext drops the
            // hyphen inside a block, which breaks codes like this one.)
            let joins =
                page.ends_with('-') && page.chars().rev().nth(1).is_some_and(char::is_alphanumeric);
            if !page.is_empty() && !joins {
                page.push('\n');
            }
            page.push_str(&text);
        }
    }
}

fn is_rtl(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08ff | 0xfb1d..=0xfdff | 0xfe70..=0xfefc | 0x10800..=0x10fff | 0x1e800..=0x1efff)
}

/// A line laid out left to right on the page, put back in logical order for a right-to-left
/// page: runs of right-to-left letters (with the neutral characters around them) are read right
/// to left, and runs of left-to-right text and numbers keep their inner order.
fn logical_order(visual: &str) -> String {
    let chars: Vec<char> = visual.chars().collect();
    // Each character's direction: Some(true) RTL, Some(false) LTR, None neutral.
    let dir: Vec<Option<bool>> = chars
        .iter()
        .map(|&c| {
            if is_rtl(c) {
                Some(true)
            } else if c.is_alphanumeric() {
                Some(false)
            } else {
                None
            }
        })
        .collect();
    // Neutrals between two LTR characters are LTR; all others take the page's direction.
    let mut resolved = vec![true; chars.len()];
    let mut last_strong: Option<(usize, bool)> = None;
    for (i, d) in dir.iter().enumerate() {
        if let Some(d) = *d {
            if let Some((j, false)) = last_strong {
                if !d {
                    resolved[j + 1..i].iter_mut().for_each(|r| *r = false);
                }
            }
            resolved[i] = d;
            last_strong = Some((i, d));
        }
    }
    let mut runs: Vec<(bool, Vec<char>)> = Vec::new();
    for (c, r) in chars.into_iter().zip(resolved) {
        match runs.last_mut() {
            Some((d, run)) if *d == r => run.push(c),
            _ => runs.push((r, vec![c])),
        }
    }
    let mut out = String::with_capacity(visual.len());
    for (rtl, run) in runs.into_iter().rev() {
        if rtl {
            out.extend(run.into_iter().rev().map(mirror));
        } else {
            out.extend(run);
        }
    }
    out
}

/// Mirrored brackets: what is drawn as `(` in right-to-left text is stored as `)`.
fn mirror(c: char) -> char {
    match c {
        '(' => ')',
        ')' => '(',
        '[' => ']',
        ']' => '[',
        '{' => '}',
        '}' => '{',
        '<' => '>',
        '>' => '<',
        '\u{ab}' => '\u{bb}',
        '\u{bb}' => '\u{ab}',
        other => other,
    }
}

fn is_combining_mark(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
}

#[cfg(test)]
mod tests;
