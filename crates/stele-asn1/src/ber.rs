//! BER to DER normalisation.
//!
//! Time-stamp tokens and CMS signatures in the wild are often BER: indefinite lengths (Java and
//! streaming producers), constructed OCTET STRINGs (EuroCert's eContent), long-form lengths where
//! a short one would do, and zero padding after the value (PDF `/Contents`). The `der` crate
//! refuses all of these, as it should, so untrusted input goes through [`to_der`] first.
//!
//! What this does not do: reorder SET OF elements. A signature over signed attributes is made over
//! the bytes the signer wrote; sorting them here would turn a producer's encoding quirk into a
//! signature failure that is not really there.

/// Deepest nesting accepted. Real CMS goes to about 15; anything far deeper is an attack.
pub const MAX_DEPTH: usize = 64;

/// Why a byte string is not acceptable BER.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BerError {
    #[error("the input is empty")]
    Empty,
    #[error("the encoding ends early at byte {0}")]
    Truncated(usize),
    #[error("the length at byte {0} does not fit in the input")]
    LengthOverrun(usize),
    #[error("the length at byte {0} uses a reserved or oversized form")]
    BadLength(usize),
    #[error("the tag at byte {0} is too long")]
    BadTag(usize),
    #[error("a primitive value at byte {0} has an indefinite length")]
    IndefinitePrimitive(usize),
    #[error("values nest deeper than {MAX_DEPTH} levels at byte {0}")]
    TooDeep(usize),
    #[error("a constructed string at byte {0} holds a segment of another type")]
    BadStringSegment(usize),
    #[error("{0} bytes of data follow the value")]
    TrailingData(usize),
}

struct Tlv<'a> {
    /// Identifier octets as written (tag number form is kept; only the constructed bit may change).
    ident: &'a [u8],
    constructed: bool,
    body: Body<'a>,
}

enum Body<'a> {
    Primitive(&'a [u8]),
    Constructed(Vec<Tlv<'a>>),
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn byte(&mut self) -> Result<u8, BerError> {
        let b = *self
            .input
            .get(self.pos)
            .ok_or(BerError::Truncated(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn tlv(&mut self, depth: usize) -> Result<Tlv<'a>, BerError> {
        let start = self.pos;
        if depth > MAX_DEPTH {
            return Err(BerError::TooDeep(start));
        }
        let first = self.byte()?;
        if first & 0x1f == 0x1f {
            // High tag number form: base-128 continuation bytes. Four is more than any OID-free
            // schema Stele reads will ever use.
            let mut n = 0;
            loop {
                let b = self.byte()?;
                n += 1;
                if n > 4 {
                    return Err(BerError::BadTag(start));
                }
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let ident = &self.input[start..self.pos];
        let constructed = first & 0x20 != 0;
        let len_pos = self.pos;
        let l0 = self.byte()?;
        let len = match l0 {
            0x80 => None,
            l if l < 0x80 => Some(l as usize),
            0xff => return Err(BerError::BadLength(len_pos)),
            l => {
                let n = (l & 0x7f) as usize;
                if n > 4 {
                    return Err(BerError::BadLength(len_pos));
                }
                let mut v = 0usize;
                for _ in 0..n {
                    v = (v << 8) | self.byte()? as usize;
                }
                Some(v)
            }
        };
        let body = match (len, constructed) {
            (None, false) => return Err(BerError::IndefinitePrimitive(start)),
            (None, true) => {
                let mut children = Vec::new();
                loop {
                    if self.input.get(self.pos..self.pos + 2) == Some(&[0, 0]) {
                        self.pos += 2;
                        break;
                    }
                    if self.pos >= self.input.len() {
                        return Err(BerError::Truncated(self.pos));
                    }
                    children.push(self.tlv(depth + 1)?);
                }
                Body::Constructed(children)
            }
            (Some(len), constructed) => {
                let end = self
                    .pos
                    .checked_add(len)
                    .filter(|&e| e <= self.input.len())
                    .ok_or(BerError::LengthOverrun(len_pos))?;
                if constructed {
                    let mut sub = Parser {
                        input: &self.input[..end],
                        pos: self.pos,
                    };
                    let mut children = Vec::new();
                    while sub.pos < end {
                        children.push(sub.tlv(depth + 1)?);
                    }
                    self.pos = end;
                    Body::Constructed(children)
                } else {
                    let v = &self.input[self.pos..end];
                    self.pos = end;
                    Body::Primitive(v)
                }
            }
        };
        Ok(Tlv {
            ident,
            constructed,
            body,
        })
    }
}

/// Universal string types that BER allows in constructed form and DER requires primitive.
fn is_universal_string(ident: &[u8]) -> bool {
    ident.len() == 1
        && ident[0] & 0xc0 == 0
        && matches!(ident[0] & 0x1f, 3 | 4 | 12 | 18..=22 | 25..=30)
}

/// Appends a DER length (short form below 128, else minimal long form).
pub fn write_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Collects the content of a (possibly nested) constructed string; `bit` marks BIT STRING,
/// whose segments each start with an unused-bits octet.
fn flatten_string(
    node: &Tlv<'_>,
    tag: u8,
    out: &mut Vec<u8>,
    unused: &mut u8,
) -> Result<(), BerError> {
    match &node.body {
        Body::Primitive(v) => {
            if node.ident[0] & 0x1f != tag {
                return Err(BerError::BadStringSegment(0));
            }
            if tag == 3 {
                let (&u, rest) = v.split_first().ok_or(BerError::BadStringSegment(0))?;
                if *unused != 0 || u > 7 {
                    // Only the last segment may have unused bits.
                    return Err(BerError::BadStringSegment(0));
                }
                *unused = u;
                out.extend_from_slice(rest);
            } else {
                out.extend_from_slice(v);
            }
        }
        Body::Constructed(children) => {
            for c in children {
                flatten_string(c, tag, out, unused)?;
            }
        }
    }
    Ok(())
}

fn encode(node: &Tlv<'_>, out: &mut Vec<u8>) -> Result<(), BerError> {
    match &node.body {
        Body::Primitive(v) => {
            out.extend_from_slice(node.ident);
            write_len(out, v.len());
            out.extend_from_slice(v);
        }
        Body::Constructed(_) if is_universal_string(node.ident) => {
            let tag = node.ident[0] & 0x1f;
            let mut content = Vec::new();
            let mut unused = 0u8;
            flatten_string(node, tag, &mut content, &mut unused)?;
            out.push(node.ident[0] & !0x20);
            if tag == 3 {
                write_len(out, content.len() + 1);
                out.push(unused);
            } else {
                write_len(out, content.len());
            }
            out.extend_from_slice(&content);
        }
        Body::Constructed(children) => {
            let mut content = Vec::new();
            for c in children {
                encode(c, &mut content)?;
            }
            debug_assert!(node.constructed);
            out.extend_from_slice(node.ident);
            write_len(out, content.len());
            out.extend_from_slice(&content);
        }
    }
    Ok(())
}

/// Re-encodes exactly one BER value as DER (definite minimal lengths, primitive strings).
/// Anything after the value is an error; use [`strip_padding`] first for padded input.
pub fn to_der(input: &[u8]) -> Result<Vec<u8>, BerError> {
    if input.is_empty() {
        return Err(BerError::Empty);
    }
    let mut p = Parser { input, pos: 0 };
    let tlv = p.tlv(0)?;
    if p.pos != input.len() {
        return Err(BerError::TrailingData(input.len() - p.pos));
    }
    let mut out = Vec::with_capacity(input.len());
    encode(&tlv, &mut out)?;
    Ok(out)
}

/// Returns the one BER value at the start of `input`, allowing only zero bytes after it, as PDF
/// `/Contents` and some files on disk carry. Non-zero bytes after the value are an error: they
/// are either a second value or corruption, and silently ignoring either would be wrong.
pub fn strip_padding(input: &[u8]) -> Result<&[u8], BerError> {
    if input.is_empty() {
        return Err(BerError::Empty);
    }
    let mut p = Parser { input, pos: 0 };
    p.tlv(0)?;
    let rest = &input[p.pos..];
    if rest.iter().any(|&b| b != 0) {
        return Err(BerError::TrailingData(rest.len()));
    }
    Ok(&input[..p.pos])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    #[test]
    fn indefinite_sequence_becomes_definite() {
        // SEQUENCE (indefinite) { INTEGER 1, OCTET STRING constructed { "ab", "c" } }
        let ber = h("30 80 02 01 01 24 80 04 02 61 62 04 01 63 00 00 00 00");
        assert_eq!(to_der(&ber).unwrap(), h("30 08 02 01 01 04 03 61 62 63"));
    }

    #[test]
    fn long_form_length_is_minimised() {
        assert_eq!(to_der(&h("04 81 02 aa bb")).unwrap(), h("04 02 aa bb"));
        assert_eq!(to_der(&h("04 82 00 01 aa")).unwrap(), h("04 01 aa"));
    }

    #[test]
    fn der_is_unchanged() {
        let der = h("30 0a 06 03 2a 03 04 a0 03 02 01 05");
        assert_eq!(to_der(&der).unwrap(), der);
    }

    #[test]
    fn constructed_bit_string_merges() {
        let ber = h("23 80 03 02 00 aa 03 02 04 b0 00 00");
        assert_eq!(to_der(&ber).unwrap(), h("03 03 04 aa b0"));
        // Unused bits in a segment other than the last is malformed.
        assert!(to_der(&h("23 08 03 02 04 aa 03 02 00 b0")).is_err());
    }

    #[test]
    fn hostile_inputs_are_errors() {
        assert_eq!(to_der(&[]), Err(BerError::Empty));
        assert!(matches!(
            to_der(&h("30 05 02 01")),
            Err(BerError::LengthOverrun(_))
        ));
        assert!(matches!(
            to_der(&h("30 80 02 01 01")),
            Err(BerError::Truncated(_))
        ));
        assert!(matches!(
            to_der(&h("04 80 00 00")),
            Err(BerError::IndefinitePrimitive(_))
        ));
        assert!(matches!(
            to_der(&h("04 85 01 00 00 00 00")),
            Err(BerError::BadLength(_))
        ));
        assert!(matches!(
            to_der(&h("04 01 00 ff")),
            Err(BerError::TrailingData(1))
        ));
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 200).flatten().collect();
        assert!(matches!(to_der(&deep), Err(BerError::TooDeep(_))));
    }

    #[test]
    fn padding_is_stripped_but_garbage_is_not() {
        assert_eq!(
            strip_padding(&h("04 01 aa 00 00 00")).unwrap(),
            h("04 01 aa")
        );
        assert!(strip_padding(&h("04 01 aa 00 01")).is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_der_is_a_fixed_point(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256)) {
            if let Ok(der) = to_der(&bytes) {
                proptest::prop_assert_eq!(to_der(&der).unwrap(), der.clone());
            }
            let _ = strip_padding(&bytes);
        }
    }
}
