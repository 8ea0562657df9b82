//! Fonts as text extraction needs them: how a string splits into codes, each code's Unicode
//! text (ToUnicode first, then the simple-font encoding and glyph names) and advance width.

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Object};

use super::cmap::CMap;
use super::encodings::{
    MAC_ROMAN_ENCODING, PDF_DOC_ENCODING, STANDARD_ENCODING, SYMBOL_ENCODING, WIN_ANSI_ENCODING,
};
use super::glyph_names::GLYPH_NAMES;
use super::Budget;
use super::TextError;

/// Ascent and descent of a font that states neither (Poppler's defaults).
const DEFAULT_ASCENT: f32 = 0.95;
const DEFAULT_DESCENT: f32 = -0.35;

/// Most `/W` entries read from a CID font.
const MAX_WIDTHS: usize = 1 << 16;

#[derive(Debug)]
pub(super) struct Font {
    composite: bool,
    to_unicode: Option<CMap>,
    /// A composite font's embedded encoding CMap (its codespace splits the codes).
    encoding_cmap: Option<CMap>,
    /// Simple fonts: code → text from the encoding and /Differences.
    simple: Vec<Option<String>>,
    first_char: u32,
    widths: Vec<f32>,
    cid_widths: HashMap<u32, f32>,
    cid_ranges: Vec<(u32, u32, f32)>,
    default_width: f32,
    /// Glyph space → text space (1/1000, or a Type 3 font's /FontMatrix).
    scale: f32,
    /// Height above and depth below the baseline, per unit of font size (descent negative).
    pub(super) ascent: f32,
    pub(super) descent: f32,
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Object> {
    doc.dereference(o).ok().map(|(_, o)| o)
}

fn num(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) if r.is_finite() => Some(*r),
        _ => None,
    }
}

pub(super) fn stream_bytes(
    doc: &Document,
    o: &Object,
    budget: &mut Budget,
) -> Result<Option<Vec<u8>>, TextError> {
    match deref(doc, o) {
        Some(Object::Stream(s)) => budget.decode(s).map(Some),
        _ => Ok(None),
    }
}

impl Font {
    pub(super) fn load(
        doc: &Document,
        dict: &Dictionary,
        budget: &mut Budget,
    ) -> Result<Font, TextError> {
        let subtype = dict
            .get(b"Subtype")
            .and_then(Object::as_name)
            .unwrap_or(b"");
        let composite = subtype == b"Type0";
        let to_unicode = match dict.get(b"ToUnicode") {
            Ok(o) => match stream_bytes(doc, o, budget)? {
                Some(b) => Some(budget.parsed(CMap::parse(&b))?),
                None => None,
            },
            Err(_) => None,
        };
        let mut font = Font {
            composite,
            to_unicode,
            encoding_cmap: None,
            simple: Vec::new(),
            first_char: 0,
            widths: Vec::new(),
            cid_widths: HashMap::new(),
            cid_ranges: Vec::new(),
            default_width: 1000.0,
            scale: 0.001,
            ascent: DEFAULT_ASCENT,
            descent: DEFAULT_DESCENT,
        };
        if composite {
            if let Ok(o) = dict.get(b"Encoding") {
                if let Some(bytes) = stream_bytes(doc, o, budget)? {
                    font.encoding_cmap = Some(budget.parsed(CMap::parse(&bytes))?);
                }
            }
            let descendant = dict
                .get(b"DescendantFonts")
                .ok()
                .and_then(|o| deref(doc, o))
                .and_then(|o| o.as_array().ok())
                .and_then(|a| a.first())
                .and_then(|o| deref(doc, o))
                .and_then(|o| o.as_dict().ok());
            if let Some(cid) = descendant {
                font.read_metrics(doc, cid);
                font.default_width = cid.get(b"DW").ok().and_then(num).unwrap_or(1000.0);
                if let Some(Object::Array(w)) = cid.get(b"W").ok().and_then(|o| deref(doc, o)) {
                    font.read_cid_widths(doc, w);
                }
            }
        } else {
            font.read_metrics(doc, dict);
            font.simple = simple_encoding(doc, dict, subtype);
            // Each font builds its own 256-entry table: charge it like decoded bytes.
            budget.charge(font.simple.len() * 32)?;
            font.first_char = dict
                .get(b"FirstChar")
                .ok()
                .and_then(num)
                .map_or(0, |f| f.clamp(0.0, 255.0) as u32);
            if let Some(Object::Array(w)) = dict.get(b"Widths").ok().and_then(|o| deref(doc, o)) {
                font.widths = w
                    .iter()
                    .take(256)
                    .map(|o| deref(doc, o).and_then(num).unwrap_or(0.0))
                    .collect();
            }
            font.default_width = dict
                .get(b"FontDescriptor")
                .ok()
                .and_then(|o| deref(doc, o))
                .and_then(|o| o.as_dict().ok())
                .and_then(|d| d.get(b"MissingWidth").ok())
                .and_then(num)
                // No metrics at all (a standard 14 font): half an em keeps positions plausible.
                .unwrap_or(if font.widths.is_empty() { 500.0 } else { 0.0 });
            if subtype == b"Type3" {
                if let Some(Object::Array(m)) =
                    dict.get(b"FontMatrix").ok().and_then(|o| deref(doc, o))
                {
                    if let Some(a) = m.first().and_then(num) {
                        font.scale = a;
                    }
                }
            }
        }
        Ok(font)
    }

    /// Ascent and descent as Poppler takes them: the font descriptor's when plausible, else
    /// the standard 14 fonts' own, else 0.95 and -0.35.
    fn read_metrics(&mut self, doc: &Document, dict: &Dictionary) {
        let base = dict
            .get(b"BaseFont")
            .and_then(Object::as_name)
            .unwrap_or(b"");
        let base = base.get(base.iter().position(|&b| b == b'+').map_or(0, |p| p + 1)..);
        let builtin: &[(&[u8], f32, f32)] = &[
            (b"Helvetica", 0.718, -0.207),
            (b"Arial", 0.718, -0.207),
            (b"Times", 0.683, -0.217),
            (b"Courier", 0.629, -0.157),
            (b"Symbol", 1.010, -0.293),
            (b"ZapfDingbats", 0.820, -0.143),
        ];
        if let Some(&(_, a, d)) = builtin
            .iter()
            .find(|(name, _, _)| base.is_some_and(|b| b.starts_with(name)))
        {
            (self.ascent, self.descent) = (a, d);
        }
        let descriptor = dict
            .get(b"FontDescriptor")
            .ok()
            .and_then(|o| deref(doc, o))
            .and_then(|o| o.as_dict().ok());
        if let Some(fd) = descriptor {
            let value = |key: &[u8]| fd.get(key).ok().and_then(|o| deref(doc, o)).and_then(num);
            if let Some(a) = value(b"Ascent")
                .map(|a| a / 1000.0)
                .filter(|a| *a > 0.0 && *a < 3.0)
            {
                self.ascent = a;
            }
            if let Some(d) = value(b"Descent")
                .map(|d| d / 1000.0)
                .filter(|d| *d < 0.0 && *d > -3.0)
            {
                self.descent = d;
            }
        }
    }

    fn read_cid_widths(&mut self, doc: &Document, w: &[Object]) {
        let mut i = 0;
        let mut count = 0;
        while i + 1 < w.len() && count < MAX_WIDTHS {
            let Some(first) = num(&w[i]).filter(|f| *f >= 0.0).map(|f| f as u32) else {
                break;
            };
            match deref(doc, &w[i + 1]) {
                Some(Object::Array(list)) => {
                    for (k, o) in list.iter().enumerate() {
                        count += 1;
                        if count >= MAX_WIDTHS {
                            break;
                        }
                        if let Some(v) = num(o) {
                            self.cid_widths.insert(first.saturating_add(k as u32), v);
                        }
                    }
                    i += 2;
                }
                Some(o) => {
                    let last = num(o).filter(|f| *f >= 0.0).map(|f| f as u32);
                    let width = w.get(i + 2).and_then(num);
                    if let (Some(last), Some(width)) = (last, width) {
                        self.cid_ranges.push((first, last, width));
                    }
                    count += 1;
                    i += 3;
                }
                None => break,
            }
        }
        self.cid_ranges.sort_by_key(|r| r.0);
    }

    /// Splits `bytes` into (code, length) pairs.
    pub(super) fn codes<'b>(&'b self, bytes: &'b [u8]) -> impl Iterator<Item = (u32, u8)> + 'b {
        let mut pos = 0;
        std::iter::from_fn(move || {
            let rest = bytes.get(pos..).filter(|r| !r.is_empty())?;
            let len = if self.composite {
                self.encoding_cmap
                    .as_ref()
                    .and_then(|c| c.code_len(rest))
                    .or_else(|| {
                        // Identity-H and the predefined CMaps we meet are two-byte; a ToUnicode
                        // codespace is the next best guide.
                        self.to_unicode.as_ref().and_then(|c| {
                            c.codespace
                                .iter()
                                .any(|r| r.0 == 2)
                                .then_some(2)
                                .or(c.code_len(rest))
                        })
                    })
                    .unwrap_or(2)
            } else {
                1
            };
            let len = usize::from(len).min(rest.len());
            pos += len;
            let code = rest[..len].iter().fold(0u32, |a, &b| a << 8 | u32::from(b));
            Some((code, len as u8))
        })
    }

    /// The Unicode text of one code, if known.
    pub(super) fn text(&self, code: u32, len: u8) -> Option<String> {
        if let Some(t) = self.to_unicode.as_ref().and_then(|c| c.lookup(len, code)) {
            return Some(t);
        }
        if self.composite {
            return None;
        }
        self.simple.get(code as usize).cloned().flatten()
    }

    /// Advance of one code in text space units per unit of font size.
    pub(super) fn width(&self, code: u32) -> f32 {
        let w = if self.composite {
            self.cid_widths.get(&code).copied().unwrap_or_else(|| {
                // Sorted by first CID at load: the range starting last at or before `code`.
                let i = self.cid_ranges.partition_point(|r| r.0 <= code);
                i.checked_sub(1)
                    .and_then(|i| self.cid_ranges.get(i))
                    .filter(|r| code <= r.1)
                    .map_or(self.default_width, |r| r.2)
            })
        } else {
            code.checked_sub(self.first_char)
                .and_then(|i| self.widths.get(i as usize).copied())
                .unwrap_or(self.default_width)
        };
        w * self.scale
    }

    /// Whether the code is the single-byte code 32 (word spacing applies, PDF 9.3.3).
    pub(super) fn is_word_space(&self, code: u32, len: u8) -> bool {
        len == 1 && code == 32
    }
}

fn simple_encoding(doc: &Document, dict: &Dictionary, subtype: &[u8]) -> Vec<Option<String>> {
    let base_font = dict
        .get(b"BaseFont")
        .and_then(Object::as_name)
        .unwrap_or(b"");
    let symbolic = base_font.windows(6).any(|w| w == b"Symbol");
    let default: &[u16; 256] = if symbolic {
        &SYMBOL_ENCODING
    } else if subtype == b"TrueType" {
        &WIN_ANSI_ENCODING
    } else {
        &STANDARD_ENCODING
    };
    let enc = dict.get(b"Encoding").ok().and_then(|o| deref(doc, o));
    let by_name = |n: &[u8]| -> Option<&'static [u16; 256]> {
        match n {
            b"WinAnsiEncoding" => Some(&WIN_ANSI_ENCODING),
            b"MacRomanEncoding" => Some(&MAC_ROMAN_ENCODING),
            b"StandardEncoding" => Some(&STANDARD_ENCODING),
            b"PDFDocEncoding" => Some(&PDF_DOC_ENCODING),
            _ => None,
        }
    };
    let (base, differences) = match enc {
        Some(Object::Name(n)) => (by_name(n).unwrap_or(default), None),
        Some(Object::Dictionary(d)) => (
            d.get(b"BaseEncoding")
                .and_then(Object::as_name)
                .ok()
                .and_then(by_name)
                .unwrap_or(default),
            d.get(b"Differences").ok().and_then(|o| deref(doc, o)),
        ),
        _ => (default, None),
    };
    let mut table: Vec<Option<String>> = base
        .iter()
        .map(|&u| {
            (u != 0)
                .then(|| char::from_u32(u32::from(u)).map(String::from))
                .flatten()
        })
        .collect();
    if let Some(Object::Array(diffs)) = differences {
        let mut code: Option<usize> = None;
        for item in diffs {
            match item {
                Object::Integer(i) => code = usize::try_from(*i).ok(),
                Object::Name(name) => {
                    if let Some(c) = code.filter(|&c| c < 256) {
                        table[c] = glyph_text(name);
                        code = Some(c + 1);
                    }
                }
                _ => {}
            }
        }
    }
    table
}

/// Unicode text of a glyph name: the Adobe Glyph List, `uniXXXX…`, `uXXXX[XX]`, ligatures
/// written `f_i`, and suffixes such as `.sc` dropped.
pub(super) fn glyph_text(name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    let name = name.split('.').next().unwrap_or(name);
    if name.contains('_') {
        let parts: Option<String> = name.split('_').map(|p| glyph_text(p.as_bytes())).collect();
        return parts;
    }
    if let Ok(i) = GLYPH_NAMES.binary_search_by(|(n, _)| n.as_bytes().cmp(name.as_bytes())) {
        return Some(GLYPH_NAMES[i].1.to_string());
    }
    let hex_char = |h: &str| u32::from_str_radix(h, 16).ok().and_then(char::from_u32);
    if let Some(hex) = name.strip_prefix("uni") {
        if hex.len() >= 4 && hex.len() % 4 == 0 && hex.is_ascii() {
            let units: Vec<u16> = (0..hex.len() / 4)
                .filter_map(|i| u16::from_str_radix(&hex[i * 4..i * 4 + 4], 16).ok())
                .collect();
            let s: String = char::decode_utf16(units).filter_map(Result::ok).collect();
            return (!s.is_empty()).then_some(s);
        }
    }
    if let Some(hex) = name.strip_prefix('u') {
        if (4..=6).contains(&hex.len()) && hex.is_ascii() {
            return hex_char(hex).map(String::from);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyph_names_cover_vietnamese() {
        assert_eq!(glyph_text(b"Ohornacute").as_deref(), Some("Ớ"));
        assert_eq!(glyph_text(b"dcroat").as_deref(), Some("đ"));
        assert_eq!(glyph_text(b"hookabovecomb").as_deref(), Some("\u{309}"));
        assert_eq!(glyph_text(b"uni1EA0").as_deref(), Some("Ạ"));
        assert_eq!(glyph_text(b"uni00410042").as_deref(), Some("AB"));
        assert_eq!(glyph_text(b"u1EF9").as_deref(), Some("ỹ"));
        assert_eq!(glyph_text(b"f_i").as_deref(), Some("fi"));
        assert_eq!(glyph_text(b"a.sc").as_deref(), Some("a"));
        assert_eq!(glyph_text(b"g123"), None);
        assert_eq!(glyph_text(b"uniZZZZ"), None);
    }

    #[test]
    fn base_encodings() {
        assert_eq!(WIN_ANSI_ENCODING[0x80], 0x20ac);
        assert_eq!(STANDARD_ENCODING[0x27], 0x2019);
        assert_eq!(MAC_ROMAN_ENCODING[0x8e], 0xe9);
        assert_eq!(PDF_DOC_ENCODING[0x18], 0x02d8);
    }
}
