//! The document security store: validation material a PAdES file carries for its signatures
//! (ETSI EN 319 142-1 §5.4.2; ISO 32000-2 12.8.4.3).
//!
//! `/DSS` in the catalog holds `/Certs`, `/CRLs` and `/OCSPs` (arrays of streams, each one DER
//! certificate, CRL or OCSP response) for every signature, and optionally `/VRI`: per-signature
//! dictionaries keyed by the upper-case hex SHA-1 of the signature, listing the material that
//! validates that one (`/Cert`, `/CRL`, `/OCSP`), when it was gathered (`/TU`) or a timestamp
//! over it (`/TS`).
//!
//! Everything is read from untrusted bytes and bounded: the number of entries and the bytes
//! they decode to are capped ([`PdfLimits`]), and every stream is decoded with lopdf's bounded
//! decoder. An entry that cannot be read is not fatal: it is left out and the reason kept in
//! [`Dss::problems`], so the signatures can still be judged with the rest.

use std::collections::HashMap;

use lopdf::{Dictionary, Document, Object, ObjectId};
use stele_asn1::DigestAlgorithm;

use super::{resolve, PdfLimits, PdfSignature};

/// The `/DSS` dictionary of a file's last revision.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dss {
    /// The dictionary's object, if it is indirect.
    pub dictionary_id: Option<(u32, u16)>,
    /// `/Certs`: DER certificates.
    pub certificates: Vec<DssEntry>,
    /// `/CRLs`: DER certificate revocation lists.
    pub crls: Vec<DssEntry>,
    /// `/OCSPs`: DER OCSP responses (`OCSPResponse`; some producers write the inner
    /// `BasicOCSPResponse`, which a consumer should accept too).
    pub ocsps: Vec<DssEntry>,
    /// `/VRI` entries, in the order written.
    pub vris: Vec<Vri>,
    /// Entries left out, and why.
    pub problems: Vec<DssProblem>,
}

/// One stream of the DSS, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DssEntry {
    /// The stream's object (DSS streams are indirect objects).
    pub object: Option<(u32, u16)>,
    /// The decoded stream content: one DER value.
    pub der: Vec<u8>,
}

/// One validation-related information dictionary (`/VRI` entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vri {
    /// The key as written: the upper-case hex SHA-1 of the signature it belongs to.
    pub key: String,
    /// `/Cert`.
    pub certificates: Vec<DssEntry>,
    /// `/CRL`.
    pub crls: Vec<DssEntry>,
    /// `/OCSP`.
    pub ocsps: Vec<DssEntry>,
    /// `/TU`: when the material was gathered, as a PDF date string (as claimed by whoever
    /// wrote it; not evidence).
    pub time: Option<String>,
    /// `/TS`: a DER timestamp token over the material, if any.
    pub timestamp: Option<DssEntry>,
}

/// Why part of the `/DSS` was left out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DssProblem {
    #[error("/DSS is not a dictionary")]
    NotADictionary,
    #[error("{location} is not what ISO 32000-2 says it holds ({expected})")]
    WrongType {
        location: String,
        expected: &'static str,
    },
    #[error("{location} cannot be read: {reason}")]
    Unreadable { location: String, reason: String },
    #[error("{location} cannot be decoded: {reason}")]
    Undecodable { location: String, reason: String },
    #[error("more than {max} DSS entries; the rest were not read")]
    TooManyEntries { max: usize },
    #[error("the DSS streams decode to more than {max} bytes; the rest were not read")]
    TooManyBytes { max: usize },
}

/// The DSS material that bears on one signature (see [`Dss::material_for`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DssMaterial<'a> {
    /// The signature's own VRI entry, if there is one.
    pub vri: Option<&'a Vri>,
    /// Certificates: the VRI's first, then the rest of the DSS's, each value once.
    pub certificates: Vec<&'a [u8]>,
    /// CRLs, in the same order.
    pub crls: Vec<&'a [u8]>,
    /// OCSP responses, in the same order.
    pub ocsps: Vec<&'a [u8]>,
}

impl Dss {
    /// The VRI entry of `signature`, if the DSS has one.
    ///
    /// ISO 32000-2 (Table 261) and ETSI EN 319 142-1 key a VRI entry by "the SHA-1 digest of
    /// the signature to which it applies", which producers read more than one way. In the
    /// interop corpus EU DSS, iText and most plugtest producers hash the `/Contents` string as
    /// stored, zero padding included; one (a document timestamp's VRI) hashes the CMS value
    /// alone, without the padding; the Slovak plugtest file uses SHA-256 of the padded string.
    /// All of these are accepted, compared ignoring case: the key only says which signature
    /// the entry is for, it is not evidence of anything.
    pub fn vri_for(&self, signature: &PdfSignature) -> Option<&Vri> {
        let keys = vri_keys(signature);
        self.vris
            .iter()
            .find(|v| keys.iter().any(|k| k.eq_ignore_ascii_case(&v.key)))
    }

    /// Everything in the DSS that may validate `signature`: its VRI entry's material first,
    /// then the DSS-wide lists (the VRI is optional and often incomplete, and ETSI EN 319 142-1
    /// puts the validation data of every signature in the DSS-wide lists), without repeats.
    pub fn material_for(&self, signature: &PdfSignature) -> DssMaterial<'_> {
        let vri = self.vri_for(signature);
        fn merge<'a>(own: Option<&'a [DssEntry]>, all: &'a [DssEntry]) -> Vec<&'a [u8]> {
            let mut out: Vec<&[u8]> = Vec::new();
            for entry in own.unwrap_or_default().iter().chain(all) {
                if !out.contains(&entry.der.as_slice()) {
                    out.push(&entry.der);
                }
            }
            out
        }
        let certificates = merge(vri.map(|v| v.certificates.as_slice()), &self.certificates);
        DssMaterial {
            vri,
            crls: merge(vri.map(|v| v.crls.as_slice()), &self.crls),
            ocsps: merge(vri.map(|v| v.ocsps.as_slice()), &self.ocsps),
            certificates,
        }
    }
}

/// The keys a VRI entry of `signature` may have (see [`Dss::vri_for`]), upper-case hex: SHA-1
/// of the `/Contents` string as stored and of the CMS value alone, then SHA-256 of both (some
/// producers, e.g. the Slovak plugtest files, key their VRI that way).
pub(super) fn vri_keys(signature: &PdfSignature) -> Vec<String> {
    let mut values: Vec<&[u8]> = Vec::new();
    if let Ok(contents) = &signature.contents {
        values.push(contents);
    }
    if let Some(cms) = signature.cms_bytes() {
        values.push(cms);
    }
    let mut keys = Vec::new();
    for algorithm in [DigestAlgorithm::Sha1, DigestAlgorithm::Sha256] {
        for value in &values {
            let key = hex_upper(&algorithm.digest(value));
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Reads the catalog's `/DSS`, if any. Never fails: what cannot be read is a problem entry.
pub(super) fn read(doc: &Document, limits: &PdfLimits) -> Option<Dss> {
    let catalog = doc.catalog().ok()?;
    let mut reader = Reader {
        doc,
        limits,
        entries: 0,
        bytes: 0,
        decoded: HashMap::new(),
        dss: Dss::default(),
        stopped: false,
    };
    let (id, obj) = match resolve(doc, catalog.get(b"DSS").ok()) {
        Ok(Some(found)) => found,
        Ok(None) => return None,
        Err(e) => {
            reader.dss.problems.push(DssProblem::Unreadable {
                location: "/DSS".into(),
                reason: e.to_string(),
            });
            return Some(reader.dss);
        }
    };
    reader.dss.dictionary_id = id;
    let Ok(dict) = obj.as_dict() else {
        reader.dss.problems.push(DssProblem::NotADictionary);
        return Some(reader.dss);
    };
    reader.dss.certificates = reader.list(dict, b"Certs", "/DSS /Certs");
    reader.dss.crls = reader.list(dict, b"CRLs", "/DSS /CRLs");
    reader.dss.ocsps = reader.list(dict, b"OCSPs", "/DSS /OCSPs");
    reader.vris(dict);
    Some(reader.dss)
}

struct Reader<'a> {
    doc: &'a Document,
    limits: &'a PdfLimits,
    /// Entries read so far (list items and VRI entries), against `max_dss_entries`.
    entries: usize,
    /// Decoded bytes so far, against `max_dss_bytes`; each stream counts once.
    bytes: usize,
    /// Streams already decoded: VRI lists repeat the DSS-wide ones.
    decoded: HashMap<ObjectId, Vec<u8>>,
    dss: Dss,
    /// A cap was reached; nothing more is read (the problem is recorded once).
    stopped: bool,
}

impl<'a> Reader<'a> {
    /// Counts one entry against the cap; false once it is reached.
    fn admit(&mut self) -> bool {
        if self.stopped {
            return false;
        }
        self.entries += 1;
        if self.entries > self.limits.max_dss_entries {
            self.stop(DssProblem::TooManyEntries {
                max: self.limits.max_dss_entries,
            });
            return false;
        }
        true
    }

    fn stop(&mut self, problem: DssProblem) {
        self.stopped = true;
        self.dss.problems.push(problem);
    }

    fn problem(&mut self, problem: DssProblem) {
        // A hostile DSS could otherwise fill memory with problem reports.
        if self.dss.problems.len() < self.limits.max_dss_entries {
            self.dss.problems.push(problem);
        }
    }

    fn resolve(
        &mut self,
        obj: Option<&'a Object>,
        location: &str,
    ) -> Option<(Option<ObjectId>, &'a Object)> {
        match resolve(self.doc, obj) {
            Ok(found) => found,
            Err(e) => {
                self.problem(DssProblem::Unreadable {
                    location: location.into(),
                    reason: e.to_string(),
                });
                None
            }
        }
    }

    /// The streams of array `key` of `dict`.
    fn list(&mut self, dict: &'a Dictionary, key: &[u8], location: &str) -> Vec<DssEntry> {
        let mut out = Vec::new();
        let Some((_, array)) = self.resolve(dict.get(key).ok(), location) else {
            return out;
        };
        let Ok(items) = array.as_array() else {
            self.problem(DssProblem::WrongType {
                location: location.into(),
                expected: "an array of streams",
            });
            return out;
        };
        for (index, item) in items.iter().enumerate() {
            if !self.admit() {
                break;
            }
            if let Some(entry) = self.stream(item, &format!("{location} [{index}]")) {
                out.push(entry);
            }
        }
        out
    }

    /// One stream, decoded within the limits.
    fn stream(&mut self, item: &'a Object, location: &str) -> Option<DssEntry> {
        let (id, obj) = self.resolve(Some(item), location)?;
        let Object::Stream(stream) = obj else {
            self.problem(DssProblem::WrongType {
                location: location.into(),
                expected: "a stream",
            });
            return None;
        };
        if let Some(der) = id.and_then(|id| self.decoded.get(&id)) {
            return Some(DssEntry {
                object: id,
                der: der.clone(),
            });
        }
        let remaining = self.limits.max_dss_bytes.saturating_sub(self.bytes);
        let cap = self.limits.max_decompressed_stream_len.min(remaining);
        let der = match stream.get_plain_content_with_limit(cap) {
            Ok(der) => der,
            Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                ..
            })) if cap == remaining => {
                self.stop(DssProblem::TooManyBytes {
                    max: self.limits.max_dss_bytes,
                });
                return None;
            }
            Err(e) => {
                // lopdf's own message for decoding errors ("couldn't decompress stream") hides
                // the cause; the inner error names it.
                let reason = match e {
                    lopdf::Error::Decompress(inner) => inner.to_string(),
                    other => other.to_string(),
                };
                self.problem(DssProblem::Undecodable {
                    location: location.into(),
                    reason,
                });
                return None;
            }
        };
        if der.is_empty() {
            // lopdf's decoders are lenient: a stream that does not decode may come out empty.
            self.problem(DssProblem::Undecodable {
                location: location.into(),
                reason: "it holds nothing once decoded".into(),
            });
            return None;
        }
        self.bytes += der.len();
        if let Some(id) = id {
            self.decoded.insert(id, der.clone());
        }
        Some(DssEntry { object: id, der })
    }

    fn vris(&mut self, dss: &'a Dictionary) {
        let Some((_, vri)) = self.resolve(dss.get(b"VRI").ok(), "/DSS /VRI") else {
            return;
        };
        let Ok(vri) = vri.as_dict() else {
            self.problem(DssProblem::WrongType {
                location: "/DSS /VRI".into(),
                expected: "a dictionary",
            });
            return;
        };
        for (key, value) in vri.iter() {
            if !self.admit() {
                break;
            }
            let key = String::from_utf8_lossy(key).into_owned();
            let location = format!("/VRI /{key}");
            let Some((_, entry)) = self.resolve(Some(value), &location) else {
                continue;
            };
            let Ok(entry) = entry.as_dict() else {
                self.problem(DssProblem::WrongType {
                    location,
                    expected: "a dictionary",
                });
                continue;
            };
            let certificates = self.list(entry, b"Cert", &format!("{location} /Cert"));
            let crls = self.list(entry, b"CRL", &format!("{location} /CRL"));
            let ocsps = self.list(entry, b"OCSP", &format!("{location} /OCSP"));
            let time = match self.resolve(entry.get(b"TU").ok(), &location) {
                Some((_, Object::String(s, _))) => Some(String::from_utf8_lossy(s).into_owned()),
                _ => None,
            };
            let ts_location = format!("{location} /TS");
            let timestamp = match entry.get(b"TS").ok() {
                Some(ts) if self.admit() => self.stream(ts, &ts_location),
                _ => None,
            };
            self.dss.vris.push(Vri {
                key,
                certificates,
                crls,
                ocsps,
                time,
                timestamp,
            });
            if self.stopped {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests;
