//! A small DER reader and writer for the parts of CMS and RFC 3161 that must be handled byte by
//! byte: signed attributes are verified over the bytes the signer wrote, TSTInfo carries
//! fractional-second GeneralizedTime and over-long policy OIDs (EuroCert) that the strict `der`
//! types refuse. Input here is always the output of `stele_asn1::to_der`, so lengths are definite.

use std::fmt::Write as _;

use time::OffsetDateTime;

use crate::error::ParseError;

pub(crate) const TAG_BOOLEAN: u8 = 0x01;
pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_BIT_STRING: u8 = 0x03;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_NULL: u8 = 0x05;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_UTF8_STRING: u8 = 0x0c;
pub(crate) const TAG_IA5_STRING: u8 = 0x16;
pub(crate) const TAG_GENERALIZED_TIME: u8 = 0x18;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
pub(crate) const TAG_SET: u8 = 0x31;

/// One decoded TLV: its single-byte tag, its value and the whole encoding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub value: &'a [u8],
    pub raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Reader over the children of a constructed value.
    pub fn children(&self) -> Reader<'a> {
        Reader::new(self.value)
    }

    pub fn expect(self, tag: u8, what: &str) -> Result<Self, ParseError> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(ParseError::malformed(format!(
                "{what}: expected tag 0x{tag:02x}, found 0x{:02x}",
                self.tag
            )))
        }
    }
}

/// Sequential reader over DER siblings.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    pub fn read(&mut self, what: &str) -> Result<Tlv<'a>, ParseError> {
        let start = self.pos;
        let trunc = || ParseError::malformed(format!("{what}: truncated at byte {start}"));
        let tag = *self.data.get(self.pos).ok_or_else(trunc)?;
        if tag & 0x1f == 0x1f {
            return Err(ParseError::malformed(format!(
                "{what}: unsupported high tag number"
            )));
        }
        let l0 = *self.data.get(self.pos + 1).ok_or_else(trunc)?;
        let mut p = self.pos + 2;
        let len = if l0 < 0x80 {
            l0 as usize
        } else {
            let n = (l0 & 0x7f) as usize;
            if n == 0 || n > 4 {
                return Err(ParseError::malformed(format!("{what}: bad length form")));
            }
            let mut v = 0usize;
            for _ in 0..n {
                v = (v << 8) | *self.data.get(p).ok_or_else(trunc)? as usize;
                p += 1;
            }
            v
        };
        let end = p
            .checked_add(len)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| {
                ParseError::malformed(format!("{what}: length {len} overruns the input"))
            })?;
        self.pos = end;
        Ok(Tlv {
            tag,
            value: &self.data[p..end],
            raw: &self.data[start..end],
        })
    }

    pub fn read_tag(&mut self, tag: u8, what: &str) -> Result<Tlv<'a>, ParseError> {
        self.read(what)?.expect(tag, what)
    }

    /// Reads the next value only if it has the given tag.
    pub fn optional(&mut self, tag: u8, what: &str) -> Result<Option<Tlv<'a>>, ParseError> {
        if self.peek_tag() == Some(tag) {
            self.read(what).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn finish(&self, what: &str) -> Result<(), ParseError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(ParseError::malformed(format!(
                "{what}: unexpected trailing data"
            )))
        }
    }
}

/// Parses exactly one TLV spanning all of `data`.
pub(crate) fn single<'a>(data: &'a [u8], what: &str) -> Result<Tlv<'a>, ParseError> {
    let mut r = Reader::new(data);
    let t = r.read(what)?;
    r.finish(what)?;
    Ok(t)
}

/// Dotted form of an OID's content octets, with arcs of any size (2.25 UUID arcs, EuroCert's
/// text-in-an-OID policy). `None` when the encoding is not a valid OID.
pub(crate) fn oid_to_string(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() || bytes.len() > 256 || bytes[bytes.len() - 1] & 0x80 != 0 {
        return None;
    }
    let mut arcs: Vec<u128> = Vec::new();
    let mut cur: u128 = 0;
    let mut fresh = true;
    for &b in bytes {
        if fresh && b == 0x80 {
            return None; // non-minimal arc
        }
        if cur > (u128::MAX >> 7) {
            return None;
        }
        cur = (cur << 7) | u128::from(b & 0x7f);
        fresh = b & 0x80 == 0;
        if fresh {
            arcs.push(cur);
            cur = 0;
        }
    }
    let first = arcs[0];
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut s = format!("{a}.{b}");
    for arc in &arcs[1..] {
        let _ = write!(s, ".{arc}");
    }
    Some(s)
}

/// Content octets of a dotted OID; `None` if the string is not a valid OID.
pub(crate) fn oid_from_string(s: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u128> = s
        .split('.')
        .map(|p| {
            if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
                None
            } else {
                p.parse().ok()
            }
        })
        .collect::<Option<_>>()?;
    if arcs.len() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39) || arcs.len() > 64 {
        return None;
    }
    let mut out = Vec::new();
    let first = arcs[0].checked_mul(40)?.checked_add(arcs[1])?;
    for arc in std::iter::once(first).chain(arcs[2..].iter().copied()) {
        let mut tmp = vec![(arc & 0x7f) as u8];
        let mut v = arc >> 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        tmp.reverse();
        out.extend(tmp);
    }
    Some(out)
}

/// GeneralizedTime `YYYYMMDDHHMMSS[.f*]Z` as RFC 3161 requires (UTC, seconds present).
pub(crate) fn parse_generalized_time(v: &[u8]) -> Result<OffsetDateTime, ParseError> {
    let bad = || {
        ParseError::malformed(format!(
            "genTime {:?} is not YYYYMMDDHHMMSS[.fff]Z",
            String::from_utf8_lossy(&v[..v.len().min(40)])
        ))
    };
    if v.len() < 15 || v.len() > 40 || v[v.len() - 1] != b'Z' {
        return Err(bad());
    }
    let digits = |r: std::ops::Range<usize>| -> Result<u32, ParseError> {
        let s = &v[r];
        if !s.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        Ok(s.iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0')))
    };
    let year = digits(0..4)? as i32;
    let month = digits(4..6)? as u8;
    let day = digits(6..8)? as u8;
    let hour = digits(8..10)? as u8;
    let min = digits(10..12)? as u8;
    let sec = digits(12..14)? as u8;
    let mut nanos = 0u32;
    let rest = &v[14..v.len() - 1];
    if !rest.is_empty() {
        if rest[0] != b'.' || rest.len() < 2 || !rest[1..].iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        let frac = &rest[1..];
        for i in 0..9 {
            nanos = nanos * 10 + frac.get(i).map_or(0, |&d| u32::from(d - b'0'));
        }
    }
    let month = time::Month::try_from(month).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
    let t = time::Time::from_hms_nano(hour, min, sec, nanos).map_err(|_| bad())?;
    Ok(time::PrimitiveDateTime::new(date, t).assume_utc())
}

/// `YYYYMMDDHHMMSSZ`, the whole-second genTime the built-in TSA writes.
pub(crate) fn format_generalized_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Value octets of a non-negative INTEGER with the sign octet removed (for display and
/// comparison); negative integers are refused because serials and nonces are never negative.
pub(crate) fn unsigned_integer<'a>(t: &Tlv<'a>, what: &str) -> Result<&'a [u8], ParseError> {
    let v = t.value;
    if v.is_empty() {
        return Err(ParseError::malformed(format!("{what}: empty INTEGER")));
    }
    if v[0] & 0x80 != 0 {
        return Err(ParseError::malformed(format!("{what}: negative INTEGER")));
    }
    Ok(if v.len() > 1 && v[0] == 0 { &v[1..] } else { v })
}

/// Value octets of a nonce INTEGER, for comparison only. RFC 3161 calls it a large random number
/// and does not forbid a negative one; Java producers (EU DSS test TSAs, for example) write
/// negative nonces from `BigInteger`, so the sign is kept rather than refused. A positive
/// nonce is returned without its sign octet, exactly as [`unsigned_integer`] does.
pub(crate) fn nonce_integer<'a>(t: &Tlv<'a>, what: &str) -> Result<&'a [u8], ParseError> {
    let v = t.value;
    if v.is_empty() {
        return Err(ParseError::malformed(format!("{what}: empty INTEGER")));
    }
    Ok(if v.len() > 1 && v[0] == 0 { &v[1..] } else { v })
}

/// Decimal rendering of a big-endian unsigned magnitude (serial numbers are up to 160 bits).
pub(crate) fn to_decimal(mag: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::new(); // little-endian base-10
    for &byte in mag {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    if digits.is_empty() {
        return "0".into();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

// ---------------------------------------------------------------------------------------------
// Writer

pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    stele_asn1::ber::write_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

pub(crate) fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(TAG_SEQUENCE, &parts.concat())
}

/// INTEGER from an unsigned big-endian magnitude, minimally encoded.
pub(crate) fn uint(mag: &[u8]) -> Vec<u8> {
    let skip = mag.iter().take_while(|&&b| b == 0).count();
    let mag = &mag[skip..];
    let mut v = Vec::with_capacity(mag.len() + 1);
    if mag.is_empty() || mag[0] & 0x80 != 0 {
        v.push(0);
    }
    v.extend_from_slice(mag);
    tlv(TAG_INTEGER, &v)
}

pub(crate) fn oid(o: &const_oid::ObjectIdentifier) -> Vec<u8> {
    tlv(TAG_OID, o.as_bytes())
}

/// BIT STRING for a set of named bits (PKIFailureInfo), trailing zero bits dropped as DER asks.
pub(crate) fn named_bits(bits: &[u32]) -> Vec<u8> {
    let Some(&max) = bits.iter().max() else {
        return tlv(TAG_BIT_STRING, &[0]);
    };
    let nbytes = (max / 8 + 1) as usize;
    let mut b = vec![0u8; nbytes];
    for &bit in bits {
        b[(bit / 8) as usize] |= 0x80 >> (bit % 8);
    }
    let unused = 7 - (max % 8) as u8;
    let mut content = vec![unused];
    content.extend(b);
    tlv(TAG_BIT_STRING, &content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_round_trip_with_big_arcs() {
        for s in [
            "1.2.840.113549.1.9.16.1.4",
            "2.25.131698337416464300614683015783302960523.1",
            "0.4.0.2023.1.1",
        ] {
            let b = oid_from_string(s).unwrap();
            assert_eq!(oid_to_string(&b).unwrap(), s);
        }
        assert!(oid_from_string("1.40").is_none());
        assert!(oid_from_string("1..2").is_none());
        assert!(oid_to_string(&[0x2a, 0x83]).is_none());
    }

    #[test]
    fn generalized_time_fractions() {
        let t = parse_generalized_time(b"20161128131626.266Z").unwrap();
        assert_eq!(t.millisecond(), 266);
        assert_eq!(t.unix_timestamp(), 1480338986);
        assert!(parse_generalized_time(b"20161128131626+0100").is_err());
        assert!(parse_generalized_time(b"20161328131626Z").is_err());
        assert_eq!(format_generalized_time(t), "20161128131626Z");
    }

    #[test]
    fn decimal_and_bits() {
        assert_eq!(to_decimal(&[0x01, 0x00]), "256");
        assert_eq!(to_decimal(&[]), "0");
        assert_eq!(named_bits(&[0]), vec![3, 2, 7, 0x80]);
        assert_eq!(named_bits(&[5]), vec![3, 2, 2, 0x04]);
        assert_eq!(named_bits(&[25]), vec![3, 5, 6, 0, 0, 0, 0x40]);
    }
}
