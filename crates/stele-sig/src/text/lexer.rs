//! Tokens of content streams and CMaps (PDF 32000-1 7.2, 7.8.2). Never panics; every value is
//! bounded by the input it came from, and nesting by [`MAX_NESTING`].

/// Deepest array/dictionary nesting parsed; deeper values become [`Operand::Other`].
const MAX_NESTING: usize = 16;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Operand {
    Number(f32),
    Name(Vec<u8>),
    Str(Vec<u8>),
    Array(Vec<Operand>),
    Dict(Vec<(Vec<u8>, Operand)>),
    Other,
}

impl Operand {
    pub(super) fn number(&self) -> Option<f32> {
        match self {
            Operand::Number(n) if n.is_finite() => Some(*n),
            _ => None,
        }
    }
}

#[derive(Debug, PartialEq)]
pub(super) enum Token<'a> {
    Operand(Operand),
    Operator(&'a [u8]),
}

pub(super) struct Lexer<'a> {
    data: &'a [u8],
    pos: usize,
}

fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

impl<'a> Lexer<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
        Lexer { data, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b) = self.peek() {
            if is_white(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    pub(super) fn next_token(&mut self) -> Option<Token<'a>> {
        self.skip_space();
        let b = self.peek()?;
        match b {
            b'[' | b'(' | b'/' | b'<' | b'+' | b'-' | b'.' | b'0'..=b'9' => {
                if b == b'<' && self.data.get(self.pos + 1) != Some(&b'<') {
                    return Some(Token::Operand(self.hex_string()));
                }
                Some(Token::Operand(self.operand(0)))
            }
            b']' | b')' | b'>' | b'{' | b'}' => {
                // Stray closers and PostScript braces (CMaps): one-byte operators.
                self.pos += 1;
                Some(Token::Operator(&self.data[self.pos - 1..self.pos]))
            }
            _ => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if is_white(c) || is_delim(c) {
                        break;
                    }
                    self.pos += 1;
                }
                if self.pos == start {
                    self.pos += 1;
                }
                Some(Token::Operator(&self.data[start..self.pos]))
            }
        }
    }

    fn operand(&mut self, depth: usize) -> Operand {
        self.skip_space();
        let Some(b) = self.peek() else {
            return Operand::Other;
        };
        match b {
            b'(' => self.literal_string(),
            b'/' => {
                self.pos += 1;
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if is_white(c) || is_delim(c) {
                        break;
                    }
                    self.pos += 1;
                }
                Operand::Name(decode_name(&self.data[start..self.pos]))
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    match self.peek() {
                        None => break,
                        Some(b']') => {
                            self.pos += 1;
                            break;
                        }
                        Some(_) if depth >= MAX_NESTING => {
                            self.pos += 1;
                        }
                        Some(_) => {
                            let before = self.pos;
                            items.push(self.operand(depth + 1));
                            if self.pos == before {
                                self.pos += 1;
                            }
                        }
                    }
                }
                if depth >= MAX_NESTING {
                    Operand::Other
                } else {
                    Operand::Array(items)
                }
            }
            b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                let mut entries = Vec::new();
                loop {
                    self.skip_space();
                    match self.peek() {
                        None => break,
                        Some(b'>') => {
                            self.pos += 1;
                            if self.peek() == Some(b'>') {
                                self.pos += 1;
                            }
                            break;
                        }
                        Some(_) if depth >= MAX_NESTING => self.pos += 1,
                        Some(_) => {
                            let before = self.pos;
                            let key = self.operand(depth + 1);
                            let value = self.operand(depth + 1);
                            if let Operand::Name(k) = key {
                                entries.push((k, value));
                            }
                            if self.pos == before {
                                self.pos += 1;
                            }
                        }
                    }
                }
                if depth >= MAX_NESTING {
                    Operand::Other
                } else {
                    Operand::Dict(entries)
                }
            }
            b'<' => self.hex_string(),
            b'+' | b'-' | b'.' | b'0'..=b'9' => {
                let start = self.pos;
                self.pos += 1;
                while let Some(c) = self.peek() {
                    if c.is_ascii_digit() || c == b'.' || c == b'-' {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                let text = std::str::from_utf8(&self.data[start..self.pos]).unwrap_or("");
                Operand::Number(parse_number(text))
            }
            _ => {
                // A keyword inside an array or dictionary (true, false, null, or junk).
                while let Some(c) = self.peek() {
                    if is_white(c) || is_delim(c) {
                        break;
                    }
                    self.pos += 1;
                }
                Operand::Other
            }
        }
    }

    fn hex_string(&mut self) -> Operand {
        self.pos += 1;
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == b'>' {
                break;
            }
            let v = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => continue,
            };
            match high.take() {
                Some(h) => out.push(h << 4 | v),
                None => high = Some(v),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        Operand::Str(out)
    }

    fn literal_string(&mut self) -> Operand {
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth = 1usize;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(c);
                }
                b'\\' => {
                    let Some(e) = self.peek() else { break };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(c),
            }
        }
        Operand::Str(out)
    }

    /// Skips an inline image after `BI`: up to and past `EI` standing alone after `ID`.
    pub(super) fn skip_inline_image(&mut self) {
        let data = self.data;
        let Some(id) = find(data, self.pos, b"ID") else {
            self.pos = data.len();
            return;
        };
        let mut at = id + 2;
        while let Some(ei) = find(data, at, b"EI") {
            let before_ok = ei > 0 && is_white(data[ei - 1]);
            let after_ok = data.get(ei + 2).is_none_or(|&c| is_white(c));
            if before_ok && after_ok {
                self.pos = ei + 2;
                return;
            }
            at = ei + 1;
        }
        self.pos = data.len();
    }
}

fn find(data: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    data.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn parse_number(text: &str) -> f32 {
    if let Ok(v) = text.parse::<f32>() {
        return v;
    }
    // Producers write things like `--5` or `5.-`; read what can be read, as readers do.
    let cleaned: String = text
        .chars()
        .enumerate()
        .filter(|&(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && c == '-'))
        .map(|(_, c)| c)
        .collect();
    let mut seen_dot = false;
    let cleaned: String = cleaned
        .chars()
        .filter(|&c| {
            if c == '.' {
                let keep = !seen_dot;
                seen_dot = true;
                keep
            } else {
                true
            }
        })
        .collect();
    cleaned.parse().unwrap_or(0.0)
}

fn decode_name(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'#' && i + 2 < raw.len() {
            let hex = std::str::from_utf8(&raw[i + 1..i + 3]).unwrap_or("g");
            if let Ok(v) = u8::from_str_radix(hex, 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &[u8]) -> Vec<Token<'_>> {
        let mut l = Lexer::new(s);
        std::iter::from_fn(|| l.next_token()).collect()
    }

    #[test]
    fn reads_operands_and_operators() {
        let t =
            tokens(b"/F1 12 Tf [(a\\)b) -250 <0102>] TJ <</ActualText <FEFF0041>>> BDC %c\n-.5 Tc");
        assert_eq!(t[0], Token::Operand(Operand::Name(b"F1".to_vec())));
        assert_eq!(t[1], Token::Operand(Operand::Number(12.0)));
        assert_eq!(t[2], Token::Operator(b"Tf"));
        assert_eq!(
            t[3],
            Token::Operand(Operand::Array(vec![
                Operand::Str(b"a)b".to_vec()),
                Operand::Number(-250.0),
                Operand::Str(vec![1, 2])
            ]))
        );
        assert_eq!(
            t[5],
            Token::Operand(Operand::Dict(vec![(
                b"ActualText".to_vec(),
                Operand::Str(vec![0xfe, 0xff, 0, 0x41])
            )]))
        );
        assert_eq!(t[7], Token::Operand(Operand::Number(-0.5)));
    }

    #[test]
    fn skips_inline_images() {
        let mut l = Lexer::new(b"BI /W 1 /H 1 ID \x01EI\xff EI Q");
        assert_eq!(l.next_token(), Some(Token::Operator(b"BI")));
        l.skip_inline_image();
        assert_eq!(l.next_token(), Some(Token::Operator(b"Q")));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = [b"[".repeat(10_000), b"]".repeat(10_000)].concat();
        let _ = tokens(&deep);
    }
}
