//! Vietnamese analysis: word tokens that keep their combining marks, NFC, lowercase, and the three
//! index forms — exact and folded (marks removed, đ→d). Adjacent syllables are ranked with
//! phrases on the folded field (positions), not with a pair field, which indexes faster.
//!
//! Vietnamese text arrives in any Unicode form: PDFs and keyboards (VNI, Telex with decomposed
//! output) often emit NFD, where a tone mark is a separate code point. A tokenizer that splits on
//! "not alphanumeric" would cut `chữ` into `chu` + `̃`; so a word runs over letters, digits and
//! combining marks, and only the finished token is normalised.

use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use unicode_normalization::char::{decompose_canonical, is_combining_mark};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Tokenizer name of the exact (NFC, lowercase) form.
pub const EXACT: &str = "stele_vi_exact";
/// Tokenizer name of the folded form.
pub const FOLDED: &str = "stele_vi_folded";

/// Words longer than this (bytes) are dropped: no real word is, and they bloat the dictionary.
pub const MAX_WORD_BYTES: usize = 120;

/// Which form a [`VietTokenizer`] emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// NFC, lowercase. Pure-ASCII words are skipped: their exact form equals their folded form,
    /// which the folded field already indexes, and the exact field exists only to reward marks.
    Exact,
    /// Marks removed, đ→d, lowercase.
    Folded,
}

/// The Stele tokenizer for one [`Form`].
#[derive(Clone)]
pub struct VietTokenizer {
    form: Form,
    token: Token,
}

impl VietTokenizer {
    pub fn new(form: Form) -> Self {
        VietTokenizer {
            form,
            token: Token::default(),
        }
    }
}

/// Registers the analyzers on an index.
pub fn register(index: &tantivy::Index) {
    let m = index.tokenizers();
    m.register(EXACT, TextAnalyzer::from(VietTokenizer::new(Form::Exact)));
    m.register(FOLDED, TextAnalyzer::from(VietTokenizer::new(Form::Folded)));
}

/// The folded analyzer alone (snippets re-tokenise stored text with it).
pub fn folded_analyzer() -> TextAnalyzer {
    TextAnalyzer::from(VietTokenizer::new(Form::Folded))
}

impl Tokenizer for VietTokenizer {
    type TokenStream<'a> = VietTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VietTokenStream<'a> {
        self.token.reset();
        VietTokenStream {
            words: Words::new(text),
            form: self.form,
            token: &mut self.token,
        }
    }
}

pub struct VietTokenStream<'a> {
    words: Words<'a>,
    form: Form,
    token: &'a mut Token,
}

impl TokenStream for VietTokenStream<'_> {
    fn advance(&mut self) -> bool {
        while let Some(w) = self.words.next() {
            if w.end - w.start > MAX_WORD_BYTES {
                continue;
            }
            let word = &self.words.text[w.start..w.end];
            match self.form {
                Form::Exact => {
                    if word.is_ascii() {
                        continue;
                    }
                    self.token.text.clear();
                    normalize_word(word, &mut self.token.text);
                }
                Form::Folded => {
                    self.token.text.clear();
                    fold_word(word, &mut self.token.text);
                    if self.token.text.is_empty() {
                        continue;
                    }
                }
            }
            self.token.offset_from = w.start;
            self.token.offset_to = w.end;
            self.token.position = self.token.position.wrapping_add(1);
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// One word of the input: its byte range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordSpan {
    pub start: usize,
    pub end: usize,
}

/// Iterator over word spans: a word starts at a letter or digit and continues over letters,
/// digits and combining marks (so NFD marks stay inside their word).
pub struct Words<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Words<'a> {
    pub fn new(text: &'a str) -> Self {
        Words { text, pos: 0 }
    }
}

/// What the tokenizer needs to know of one character.
#[derive(Clone, Copy)]
struct CharInfo {
    /// Letter or digit: starts or continues a word.
    word: bool,
    /// Combining mark: continues a word.
    mark: bool,
    /// Folded form (one char), or `None` when the folded form is empty (a mark) or longer
    /// than one char (then the slow path folds it).
    fold: Option<char>,
    /// Lowercase form when it is one char.
    lower: Option<char>,
    /// NFC quick check "yes" and combining class 0: any string of such characters is NFC.
    nfc_safe: bool,
}

/// Characters below this have a precomputed [`CharInfo`]: ASCII, Latin-1, Latin Extended,
/// combining diacritics and Latin Extended Additional (all Vietnamese letters, composed or not).
const TABLE_END: u32 = 0x2000;

fn char_info_slow(c: char) -> CharInfo {
    let mut folded = String::new();
    fold_char_slow(c, &mut folded);
    let mut fc = folded.chars();
    let fold = match (fc.next(), fc.next()) {
        (Some(f), None) => Some(f),
        _ => None,
    };
    let mut lc = c.to_lowercase();
    let lower = match (lc.next(), lc.next()) {
        (Some(l), None) => Some(l),
        _ => None,
    };
    CharInfo {
        nfc_safe: is_nfc_quick(std::iter::once(c)) == IsNormalized::Yes
            && unicode_normalization::char::canonical_combining_class(c) == 0,
        word: c.is_alphanumeric(),
        mark: is_combining_mark(c),
        fold,
        lower,
    }
}

fn table() -> &'static [CharInfo] {
    static TABLE: std::sync::OnceLock<Vec<CharInfo>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..TABLE_END)
            .map(|u| char_info_slow(char::from_u32(u).unwrap_or('\u{FFFD}')))
            .collect()
    })
}

/// The precomputed info of a character below [`TABLE_END`].
#[inline]
fn info(c: char) -> Option<CharInfo> {
    table().get(c as usize).copied()
}

#[inline]
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        info(c).map_or_else(|| c.is_alphanumeric(), |i| i.word)
    }
}

#[inline]
fn continues_word(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        info(c).map_or_else(
            || c.is_alphanumeric() || is_combining_mark(c),
            |i| i.word || i.mark,
        )
    }
}

impl Iterator for Words<'_> {
    type Item = WordSpan;
    fn next(&mut self) -> Option<WordSpan> {
        let rest = &self.text[self.pos..];
        let mut start = None;
        for (i, c) in rest.char_indices() {
            if is_word_char(c) {
                start = Some(self.pos + i);
                break;
            }
        }
        let start = match start {
            Some(s) => s,
            None => {
                self.pos = self.text.len();
                return None;
            }
        };
        let mut end = self.text.len();
        for (i, c) in self.text[start..].char_indices() {
            if !continues_word(c) {
                end = start + i;
                break;
            }
        }
        self.pos = end;
        Some(WordSpan { start, end })
    }
}

/// Whether `s` is in NFC, quickly for Vietnamese text (a table lookup per character; the full
/// quick check only when a character outside the table or a combining character appears).
pub fn is_nfc(s: &str) -> bool {
    for c in s.chars() {
        if c.is_ascii() {
            continue;
        }
        match info(c) {
            Some(i) if i.nfc_safe => {}
            _ => return is_nfc_quick(s.chars()) == IsNormalized::Yes,
        }
    }
    true
}

/// Appends the exact form of `word` (NFC, lowercase) to `out`.
pub fn normalize_word(word: &str, out: &mut String) {
    if word.is_ascii() {
        out.extend(word.chars().map(|c| c.to_ascii_lowercase()));
    } else if is_nfc(word) {
        for c in word.chars() {
            match info(c).and_then(|i| i.lower) {
                Some(l) => out.push(l),
                None => out.extend(c.to_lowercase()),
            }
        }
    } else {
        // Lowercasing can in principle denormalise; NFC after lowercasing settles it.
        let lower: String = word.chars().flat_map(char::to_lowercase).collect();
        out.extend(lower.nfc());
    }
}

/// Folds one character into `out`: canonical decomposition with marks dropped, the D with
/// stroke (đ, Đ, and the look-alike Ð/ð that some fonts and keyboards produce) to `d`, lowercase.
#[inline]
pub fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    if let Some(i) = info(c) {
        match i.fold {
            Some(f) => out.push(f),
            // Marks fold to nothing; the rare multi-char folds take the slow path.
            None if i.mark => {}
            None => fold_char_slow(c, out),
        }
        return;
    }
    fold_char_slow(c, out);
}

fn fold_char_slow(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    match c {
        'đ' | 'Đ' | 'Ð' | 'ð' | 'Ɖ' | 'ɖ' => out.push('d'),
        _ => decompose_canonical(c, |d| {
            if !is_combining_mark(d) {
                out.extend(d.to_lowercase());
            }
        }),
    }
}

/// Appends the folded form of `word` to `out`.
pub fn fold_word(word: &str, out: &mut String) {
    for c in word.chars() {
        fold_char(c, out);
    }
}

/// Folded form of a whole string (non-word characters kept), e.g. `Quyết định` → `quyet dinh`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// Matching key of a metadata value: folded, lowercase, whitespace collapsed to single spaces.
/// `Nguyễn  Văn An` and `nguyen van an` share the key `nguyen van an`.
pub fn key(text: &str) -> String {
    let folded = fold(text);
    let mut out = String::with_capacity(folded.len());
    for part in folded.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// The exact form of each word of `text` (ASCII words included, unlike [`Form::Exact`]).
pub fn exact_words(text: &str) -> Vec<String> {
    Words::new(text)
        .filter(|w| w.end - w.start <= MAX_WORD_BYTES)
        .map(|w| {
            let mut s = String::new();
            normalize_word(&text[w.start..w.end], &mut s);
            s
        })
        .collect()
}

/// Tokens of `text` in one form, as the index sees them.
pub fn tokens(text: &str, form: Form) -> Vec<String> {
    let mut tok = VietTokenizer::new(form);
    let mut stream = tok.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfc_and_nfd_give_the_same_tokens() {
        let nfc = "Chữ ký số của Ủy ban nhân dân tỉnh Đắk Lắk, quyết định.";
        let nfd: String = nfc.nfd().collect();
        assert_ne!(nfc, nfd);
        for form in [Form::Exact, Form::Folded] {
            assert_eq!(tokens(nfc, form), tokens(&nfd, form), "{form:?}");
        }
        // "ban" is ASCII: the exact field leaves it to the folded one.
        assert_eq!(
            tokens(&nfd, Form::Exact),
            [
                "chữ", "ký", "số", "của", "ủy", "nhân", "dân", "tỉnh", "đắk", "lắk", "quyết",
                "định"
            ]
        );
    }

    #[test]
    fn decomposed_marks_stay_inside_the_word() {
        let nfd: String = "chữ ký".nfd().collect();
        assert_eq!(tokens(&nfd, Form::Folded), ["chu", "ky"]);
        let spans: Vec<_> = Words::new(&nfd).collect();
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].end - spans[0].start, "chu\u{31b}\u{303}".len());
    }

    #[test]
    fn exact_is_nfc_lowercase() {
        assert_eq!(tokens("ĐẤT ĐAI Dấu", Form::Exact), ["đất", "đai", "dấu"]);
        assert_eq!(exact_words("ĐẤT ĐAI Dau"), ["đất", "đai", "dau"]);
    }

    #[test]
    fn folding_table() {
        // Every vowel with all five tone marks, plus the modified vowels, folds to its base.
        let rows = [
            ("aàáảãạ", "aaaaaa"),
            ("ăằắẳẵặ", "aaaaaa"),
            ("âầấẩẫậ", "aaaaaa"),
            ("eèéẻẽẹ", "eeeeee"),
            ("êềếểễệ", "eeeeee"),
            ("iìíỉĩị", "iiiiii"),
            ("oòóỏõọ", "oooooo"),
            ("ôồốổỗộ", "oooooo"),
            ("ơờớởỡợ", "oooooo"),
            ("uùúủũụ", "uuuuuu"),
            ("ưừứửữự", "uuuuuu"),
            ("yỳýỷỹỵ", "yyyyyy"),
            ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", "aaaaaaaaaaaaaaaaa"),
            ("ỲÝỶỸỴ", "yyyyy"),
            ("ƯỪỨỬỮỰƠỜỚỞỠỢ", "uuuuuuoooooo"),
            ("đĐÐð", "dddd"),
        ];
        for (input, want) in rows {
            assert_eq!(fold(input), want, "{input}");
            let nfd: String = input.nfd().collect();
            assert_eq!(fold(&nfd), want, "NFD {input}");
        }
        assert_eq!(key("  Nguyễn   Văn  AN "), "nguyen van an");
        assert_eq!(key("QĐ-UBND"), "qd-ubnd");
        assert_eq!(tokens("Đường ĐẮK", Form::Folded), ["duong", "dak"]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "Về chữ ký số";
        let mut tok = VietTokenizer::new(Form::Folded);
        let mut s = tok.token_stream(text);
        let mut seen = Vec::new();
        while s.advance() {
            let t = s.token();
            seen.push(&text[t.offset_from..t.offset_to]);
        }
        assert_eq!(seen, ["Về", "chữ", "ký", "số"]);
    }

    #[test]
    fn nfc_check() {
        assert!(is_nfc("Chữ ký số ĐẮK"));
        assert!(!is_nfc(&"Chữ ký số".nfd().collect::<String>()));
        assert!(!is_nfc("A\u{30A}"));
        assert!(is_nfc("Å"));
    }

    #[test]
    fn table_agrees_with_the_slow_path() {
        for u in 0..TABLE_END + 16 {
            let Some(c) = char::from_u32(u) else { continue };
            let (mut fast, mut slow) = (String::new(), String::new());
            fold_char(c, &mut fast);
            fold_char_slow(c, &mut slow);
            assert_eq!(fast, slow, "U+{u:04X}");
            assert_eq!(is_word_char(c), c.is_alphanumeric(), "U+{u:04X}");
            assert_eq!(
                continues_word(c),
                c.is_alphanumeric() || is_combining_mark(c)
            );
        }
    }

    #[test]
    fn long_words_and_lone_marks_are_dropped() {
        let long = "a".repeat(MAX_WORD_BYTES + 1);
        assert!(tokens(&long, Form::Folded).is_empty());
        assert!(tokens("\u{301}\u{300}", Form::Folded).is_empty());
    }
}
