//! CMaps: ToUnicode (bfchar, bfrange incl. the array form) and the codespace ranges that say how
//! many bytes each character code takes (1–4). Entries are capped so a hostile CMap costs at
//! most [`MAX_ENTRIES`] map slots.

use std::collections::HashMap;

use super::lexer::{Lexer, Operand, Token};

const MAX_ENTRIES: usize = 1 << 17;
/// Ranges wider than this stay ranges (looked up by scan) instead of being expanded.
const EXPAND_RANGE: u32 = 256;
const MAX_RANGES: usize = 4096;

#[derive(Debug, Default)]
pub(super) struct CMap {
    /// (code length in bytes, low, high)
    pub(super) codespace: Vec<(u8, u32, u32)>,
    chars: HashMap<(u8, u32), String>,
    /// (length, low, high, destination of low as UTF-16 units)
    ranges: Vec<(u8, u32, u32, Vec<u16>)>,
}

fn code_of(bytes: &[u8]) -> Option<(u8, u32)> {
    if bytes.is_empty() || bytes.len() > 4 {
        return None;
    }
    Some((
        bytes.len() as u8,
        bytes.iter().fold(0u32, |a, &b| a << 8 | u32::from(b)),
    ))
}

pub(super) fn utf16_units(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks(2)
        .map(|c| u16::from(c[0]) << 8 | u16::from(*c.get(1).unwrap_or(&0)))
        .collect()
}

pub(super) fn utf16_string(units: &[u16]) -> String {
    char::decode_utf16(units.iter().copied())
        .map(|r| r.unwrap_or('\u{fffd}'))
        .collect()
}

impl CMap {
    /// Roughly the heap the parsed CMap holds, for the document's memory budget: a hostile
    /// ToUnicode of a few KB can expand to [`MAX_ENTRIES`] strings.
    pub(super) fn heap_bytes(&self) -> usize {
        let chars: usize = self.chars.values().map(|s| 48 + s.len()).sum();
        let ranges: usize = self.ranges.iter().map(|r| 40 + 2 * r.3.len()).sum();
        chars + ranges + 16 * self.codespace.len()
    }

    pub(super) fn parse(data: &[u8]) -> CMap {
        let mut cmap = CMap::default();
        let mut lexer = Lexer::new(data);
        let mut section: &[u8] = b"";
        let mut pending: Vec<Operand> = Vec::new();
        let mut entries = 0usize;
        while let Some(token) = lexer.next_token() {
            match token {
                Token::Operand(op) => {
                    if !section.is_empty() {
                        pending.push(op);
                        let want = if section == b"bfrange" { 3 } else { 2 };
                        if pending.len() == want {
                            entries += 1;
                            if entries <= MAX_ENTRIES {
                                cmap.add(section, &pending, &mut entries);
                            }
                            pending.clear();
                        }
                    }
                }
                Token::Operator(op) => {
                    pending.clear();
                    section = match op {
                        b"begincodespacerange" => b"codespace",
                        b"beginbfchar" => b"bfchar",
                        b"beginbfrange" => b"bfrange",
                        _ if op.starts_with(b"end") => b"",
                        _ => section,
                    };
                }
            }
        }
        // Sorted once, so each glyph's lookup is a binary search, not a scan of 4096 ranges.
        cmap.ranges.sort_by_key(|r| (r.0, r.1));
        cmap
    }

    fn add(&mut self, section: &[u8], ops: &[Operand], entries: &mut usize) {
        match (section, ops) {
            (b"codespace", [Operand::Str(lo), Operand::Str(hi)]) => {
                if let (Some((n, lo)), Some((m, hi))) = (code_of(lo), code_of(hi)) {
                    if n == m && self.codespace.len() < MAX_RANGES {
                        self.codespace.push((n, lo, hi));
                    }
                }
            }
            (b"bfchar", [Operand::Str(src), Operand::Str(dst)]) => {
                if let Some(key) = code_of(src) {
                    self.chars.insert(key, utf16_string(&utf16_units(dst)));
                }
            }
            (b"bfrange", [Operand::Str(lo), Operand::Str(hi), dst]) => {
                let (Some((n, lo)), Some((m, hi))) = (code_of(lo), code_of(hi)) else {
                    return;
                };
                if n != m || hi < lo {
                    return;
                }
                match dst {
                    Operand::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            let code = lo.saturating_add(i as u32);
                            if code > hi || *entries >= MAX_ENTRIES {
                                break;
                            }
                            if let Operand::Str(d) = item {
                                *entries += 1;
                                self.chars.insert((n, code), utf16_string(&utf16_units(d)));
                            }
                        }
                    }
                    Operand::Str(d) if !d.is_empty() => {
                        let base = utf16_units(d);
                        if hi - lo < EXPAND_RANGE {
                            for code in lo..=hi {
                                *entries += 1;
                                self.chars
                                    .insert((n, code), utf16_string(&offset(&base, code - lo)));
                            }
                        } else if self.ranges.len() < MAX_RANGES {
                            self.ranges.push((n, lo, hi, base));
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// The Unicode text of one code of `len` bytes, if the CMap maps it.
    pub(super) fn lookup(&self, len: u8, code: u32) -> Option<String> {
        if let Some(s) = self.chars.get(&(len, code)) {
            return Some(s.clone());
        }
        // The range starting last at or before `code` (overlapping ranges are malformed).
        let i = self.ranges.partition_point(|r| (r.0, r.1) <= (len, code));
        let (n, lo, hi, base) = self.ranges.get(i.checked_sub(1)?)?;
        (*n == len && (*lo..=*hi).contains(&code)).then(|| utf16_string(&offset(base, code - lo)))
    }

    /// Length of the code starting at `bytes[0]` by the codespace ranges, if any match.
    pub(super) fn code_len(&self, bytes: &[u8]) -> Option<u8> {
        for n in 1..=4u8 {
            let Some(head) = bytes.get(..usize::from(n)) else {
                break;
            };
            let (_, code) = code_of(head)?;
            if self
                .codespace
                .iter()
                .any(|&(m, lo, hi)| m == n && (lo..=hi).contains(&code))
            {
                return Some(n);
            }
        }
        None
    }
}

/// `base` with its last UTF-16 unit advanced by `by` (bfrange semantics).
fn offset(base: &[u16], by: u32) -> Vec<u16> {
    let mut v = base.to_vec();
    if let Some(last) = v.last_mut() {
        *last = (u32::from(*last).wrapping_add(by) & 0xffff) as u16;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bfchar_bfrange_and_codespace() {
        let cmap = CMap::parse(
            b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n\
              2 begincodespacerange <00> <7F> <8000> <FFFF> endcodespacerange\n\
              2 beginbfchar <01> <1EE6> <8001> <0066006C> endbfchar\n\
              2 beginbfrange <10> <12> <0041> <20> <21> [<00E0> <0111>] endbfrange\n\
              1 beginbfrange <9000> <9FFF> <4E00> endbfrange\n\
              endcmap CMapName currentdict /CMap defineresource pop end end",
        );
        assert_eq!(cmap.lookup(1, 1).as_deref(), Some("Ủ"));
        assert_eq!(cmap.lookup(2, 0x8001).as_deref(), Some("fl"));
        assert_eq!(cmap.lookup(1, 0x12).as_deref(), Some("C"));
        assert_eq!(cmap.lookup(1, 0x21).as_deref(), Some("đ"));
        assert_eq!(cmap.lookup(2, 0x9001).as_deref(), Some("\u{4e01}"));
        assert_eq!(cmap.lookup(1, 0x30), None);
        assert_eq!(cmap.code_len(&[0x41, 0x80]), Some(1));
        assert_eq!(cmap.code_len(&[0x80, 0x01]), Some(2));
        assert_eq!(cmap.code_len(&[0x80]), None);
    }

    #[test]
    fn hostile_ranges_are_bounded() {
        let cmap = CMap::parse(b"1 beginbfrange <00000000> <FFFFFFFF> <0041> endbfrange");
        assert_eq!(cmap.lookup(4, 0x10).as_deref(), Some("Q"));
        assert!(cmap.chars.is_empty());
    }
}
