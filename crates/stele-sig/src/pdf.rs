//! PDF signature dictionaries and their byte ranges.
//!
//! A PDF signature signs the bytes of one revision of the file except the hole that holds the
//! signature itself: `/ByteRange [0 b c d]` names the two signed pieces and the gap between them
//! must be exactly the hex string `<…>` of `/Contents`. Anything else (a gap that leaves other
//! bytes unsigned, pieces outside the file, a first piece that starts late) is how signed PDFs
//! are attacked, so [`ByteRange::validate`] accepts only that shape.
//!
//! lopdf reads the object structure (cross-reference tables and streams, object streams,
//! incremental updates, encryption); the byte ranges are checked against the raw bytes, which
//! are what a signature covers. Problems with one signature (its byte range, its `/Contents`) are
//! reported on that [`PdfSignature`], so a validator can still judge the others; problems with
//! the file as a whole are a [`PdfError`].
//!
//! Two submodules read what a PAdES validator needs beyond the signature dictionaries: the
//! document security store ([`Dss`], ETSI EN 319 142-1 §5.4) and what the incremental updates
//! after a signature changed ([`Modifications`], ISO 32000-1 7.5.6 and 12.8.2.2).

mod changes;
mod dss;

pub use changes::{
    Change, ChangeKind, DocMdp, DocMdpPermissions, FieldLock, FieldLockAction, ModificationError,
    ModificationVerdict, Modifications,
};
pub use dss::{Dss, DssEntry, DssMaterial, DssProblem, Vri};

use std::collections::HashSet;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};

use lopdf::xref::XrefEntry;
use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};

/// Largest PDF accepted by default: 512 MiB. Real signed records are far smaller; the cap bounds
/// the memory a hostile upload can make the parser use.
pub const DEFAULT_MAX_FILE_LEN: usize = 512 * 1024 * 1024;

/// Bounds on the work one PDF may cause. The defaults suit an archive of signed office documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PdfLimits {
    /// Largest input accepted, in bytes.
    pub max_file_len: usize,
    /// Largest size one object or cross-reference stream may inflate to while loading; bounds
    /// decompression bombs (lopdf decodes those streams eagerly).
    pub max_decompressed_stream_len: usize,
    /// Deepest form-field tree (`/Kids` nesting) followed.
    pub max_field_depth: usize,
    /// Most form-field nodes visited in one document.
    pub max_field_nodes: usize,
    /// Most objects compared when finding what changed after a signature, and most steps
    /// each walk of a revision's object graph may take (a few per object); a revision with
    /// more cannot be judged and [`PdfSignatures::modifications`] says so.
    pub max_compared_objects: usize,
    /// Most certificates, CRLs, OCSP responses and VRI entries read from the `/DSS`.
    pub max_dss_entries: usize,
    /// Most bytes the `/DSS` streams may decode to in total.
    pub max_dss_bytes: usize,
}

impl Default for PdfLimits {
    fn default() -> Self {
        Self {
            max_file_len: DEFAULT_MAX_FILE_LEN,
            max_decompressed_stream_len: 64 * 1024 * 1024,
            max_field_depth: 32,
            max_field_nodes: 100_000,
            max_compared_objects: 1_000_000,
            max_dss_entries: 10_000,
            max_dss_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Why a PDF could not be read at all. Problems confined to one signature are not errors of the
/// file: see [`PdfSignature::byte_range`] and [`PdfSignature::contents`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    #[error("the file is {len} bytes, more than the {max} accepted")]
    TooLarge { len: usize, max: usize },
    #[error("not a PDF: no %PDF- header in the first 1024 bytes")]
    NotPdf,
    #[error("the PDF is encrypted and cannot be opened without its password ({0})")]
    Encrypted(String),
    #[error("the PDF structure cannot be read: {0}")]
    Malformed(String),
    /// A stream lopdf must decode to load the file (an object or cross-reference stream)
    /// inflates past [`PdfLimits::max_decompressed_stream_len`]: a decompression bomb, or a
    /// file far outside what the limits are set for.
    #[error("a stream inflates to more than the {limit} bytes allowed (a decompression bomb?)")]
    DecompressionLimit { limit: usize },
    #[error("the PDF has no document catalog (/Root)")]
    NoCatalog,
    #[error("the form field tree is malformed: {0}")]
    FieldTree(String),
    /// lopdf panicked on this input. It is caught at the boundary (see [`PdfSignatures::read`])
    /// and reported like any other unreadable file.
    #[error("the PDF parser failed on malformed input: {0}")]
    ParserPanic(String),
}

/// What `/Type` says a signature dictionary is. `/Type` is optional in ISO 32000-1, so a
/// dictionary without it is still reported (one real encrypted file in the corpus has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureDictType {
    /// `/Type /Sig`: a signature (or, with `/SubFilter /ETSI.RFC3161`, a token some producers
    /// wrote as one).
    Sig,
    /// `/Type /DocTimeStamp`: a PAdES document timestamp (ETSI EN 319 142-1).
    DocTimeStamp,
    /// No `/Type` entry.
    Untyped,
    /// Any other `/Type` name.
    Other(String),
}

/// Why a `/ByteRange` does not have the one shape an honest signature has.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ByteRangeError {
    #[error("the signature dictionary has no /ByteRange")]
    Missing,
    #[error("/ByteRange is not an array")]
    NotArray,
    #[error("/ByteRange has {0} entries, not 4")]
    WrongCount(usize),
    #[error("/ByteRange entry {index} is not an integer")]
    NotInteger { index: usize },
    #[error("/ByteRange entry {index} is negative ({value})")]
    Negative { index: usize, value: i64 },
    #[error("the first signed range starts at byte {0}, not at the start of the file")]
    FirstOffsetNotZero(u64),
    #[error("the signed ranges overlap or are out of order (first ends at {first_end}, second starts at {second_start})")]
    Overlapping { first_end: u64, second_start: u64 },
    #[error("the signed ranges end at byte {end}, beyond the end of the {file_len}-byte file")]
    OutsideFile { end: u64, file_len: usize },
    #[error("the unsigned gap at byte {offset} is not exactly the hex /Contents string: {reason}")]
    GapNotHexString { offset: usize, reason: &'static str },
    #[error("the unsigned gap does not hold this dictionary's /Contents")]
    ContentsMismatch,
}

/// Why a signature dictionary's `/Contents` could not be taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContentsError {
    #[error("the signature dictionary has no /Contents")]
    Missing,
    #[error("/Contents is not a string")]
    NotAString,
}

/// A validated `/ByteRange [0 b c d]`: the signed bytes are `0..b` and `c..c+d`, and `b..c` is
/// exactly the hex `/Contents` string including its angle brackets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    first_len: usize,
    second_start: usize,
    second_len: usize,
    file_len: usize,
}

impl ByteRange {
    /// Checks the four `/ByteRange` numbers against the raw file: four non-negative integers,
    /// the first 0, ascending, inside the file, and the gap exactly one hex string `<…>` (PDF
    /// white space allowed inside it). Does not compare the gap with the dictionary's
    /// `/Contents`; [`PdfSignatures::read`] does that.
    pub fn validate(values: &[i64], file: &[u8]) -> Result<ByteRange, ByteRangeError> {
        if values.len() != 4 {
            return Err(ByteRangeError::WrongCount(values.len()));
        }
        let mut v = [0u64; 4];
        for (index, (&value, slot)) in values.iter().zip(v.iter_mut()).enumerate() {
            *slot = u64::try_from(value).map_err(|_| ByteRangeError::Negative { index, value })?;
        }
        let [start, first_len, second_start, second_len] = v;
        if start != 0 {
            return Err(ByteRangeError::FirstOffsetNotZero(start));
        }
        if second_start < first_len {
            return Err(ByteRangeError::Overlapping {
                first_end: first_len,
                second_start,
            });
        }
        let file_len = file.len();
        let end = second_start.saturating_add(second_len);
        let end_usize = usize::try_from(end)
            .ok()
            .filter(|&e| e <= file_len)
            .ok_or(ByteRangeError::OutsideFile { end, file_len })?;
        // All offsets are now at most `end_usize`, so they fit in usize.
        let first_len = first_len as usize;
        let second_start = second_start as usize;
        let range = ByteRange {
            first_len,
            second_start,
            second_len: end_usize - second_start,
            file_len,
        };
        check_gap(&file[first_len..second_start], first_len)?;
        Ok(range)
    }

    /// The four numbers as written: `[0, b, c, d]`.
    pub fn as_array(&self) -> [usize; 4] {
        [0, self.first_len, self.second_start, self.second_len]
    }

    /// The two signed pieces, in file order.
    pub fn signed_ranges(&self) -> [Range<usize>; 2] {
        [
            0..self.first_len,
            self.second_start..self.second_start + self.second_len,
        ]
    }

    /// The unsigned gap: the hex `/Contents` string with its brackets.
    pub fn gap(&self) -> Range<usize> {
        self.first_len..self.second_start
    }

    /// Where the signed revision ends: every byte from here on was added after signing.
    pub fn revision_end(&self) -> usize {
        self.second_start + self.second_len
    }

    /// Whether the signature covers the file as it is, not only an earlier revision of it.
    pub fn covers_whole_file(&self) -> bool {
        self.revision_end() == self.file_len
    }

    /// The signed bytes of `file` (the file this range was validated against), to be hashed in
    /// order. Returns `None` for a file of another length.
    pub fn signed_bytes<'a>(&self, file: &'a [u8]) -> Option<[&'a [u8]; 2]> {
        if file.len() != self.file_len {
            return None;
        }
        let [a, b] = self.signed_ranges();
        Some([&file[a], &file[b]])
    }

    /// The bytes of the hex string in the gap of `file`, decoded as PDF does (white space
    /// ignored, an odd final digit followed by 0). `None` for a file of another length.
    pub fn gap_contents(&self, file: &[u8]) -> Option<Vec<u8>> {
        if file.len() != self.file_len {
            return None;
        }
        let gap = &file[self.gap()];
        Some(decode_hex_body(&gap[1..gap.len() - 1]))
    }
}

/// PDF white space (ISO 32000-1, 7.2.2).
fn is_pdf_space(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

fn check_gap(gap: &[u8], offset: usize) -> Result<(), ByteRangeError> {
    let err = |reason| Err(ByteRangeError::GapNotHexString { offset, reason });
    if gap.len() < 2 {
        return err("the gap is shorter than \"<>\"");
    }
    if gap[0] != b'<' {
        return err("it does not start with '<'");
    }
    if gap[gap.len() - 1] != b'>' {
        return err("it does not end with '>'");
    }
    if !gap[1..gap.len() - 1]
        .iter()
        .all(|&b| b.is_ascii_hexdigit() || is_pdf_space(b))
    {
        return err("it holds bytes other than hex digits");
    }
    Ok(())
}

fn decode_hex_body(body: &[u8]) -> Vec<u8> {
    let digits: Vec<u8> = body
        .iter()
        .filter_map(|&b| (b as char).to_digit(16).map(|d| d as u8))
        .collect();
    digits
        .chunks(2)
        .map(|pair| (pair[0] << 4) | pair.get(1).copied().unwrap_or(0))
        .collect()
}

/// One signature or document timestamp: the `/V` dictionary of a signature field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PdfSignature {
    /// The field's partial name (`/T`).
    pub field_name: Option<String>,
    /// The fully qualified field name (parents' `/T` joined with '.'), as ISO 32000-1 12.7.3.2
    /// defines it; this is what identifies the field in a form.
    pub qualified_field_name: Option<String>,
    /// The signature dictionary's object, if it is indirect. Two fields sharing one dictionary
    /// show up as two signatures with the same id.
    pub dictionary_id: Option<(u32, u16)>,
    pub dict_type: SignatureDictType,
    /// `/Filter`, e.g. `Adobe.PPKLite`.
    pub filter: Option<String>,
    /// `/SubFilter`, e.g. `ETSI.CAdES.detached`, `adbe.pkcs7.detached`, `ETSI.RFC3161`.
    pub sub_filter: Option<String>,
    /// `/M`, the claimed signing time as a PDF date string (not trusted: anyone can write it).
    pub signing_time: Option<String>,
    /// `/Name`.
    pub name: Option<String>,
    /// `/Reason`.
    pub reason: Option<String>,
    /// `/Location`.
    pub location: Option<String>,
    /// `/ContactInfo`.
    pub contact_info: Option<String>,
    /// `/ByteRange` as written, when it is four integers (kept for reports even when invalid).
    pub raw_byte_range: Option<[i64; 4]>,
    /// The validated byte range, or why it is not acceptable.
    pub byte_range: Result<ByteRange, ByteRangeError>,
    /// The `/Contents` string as stored: the CMS (BER or DER) followed by zero padding. Use
    /// [`crate::SignedDataParts::from_ber`] on it, which strips the padding.
    pub contents: Result<Vec<u8>, ContentsError>,
}

impl PdfSignature {
    /// Whether the byte range is valid and covers the whole file.
    pub fn covers_whole_file(&self) -> bool {
        self.byte_range
            .as_ref()
            .is_ok_and(ByteRange::covers_whole_file)
    }

    /// Where the signed revision ends, if the byte range is valid.
    pub fn revision_end(&self) -> Option<usize> {
        self.byte_range.as_ref().ok().map(ByteRange::revision_end)
    }

    /// The `/Contents` bytes without the zero padding after the CMS value.
    pub fn cms_bytes(&self) -> Option<&[u8]> {
        let contents = self.contents.as_ref().ok()?;
        stele_asn1::strip_padding(contents).ok()
    }

    /// Whether this is a document timestamp: `/Type /DocTimeStamp` or `/SubFilter
    /// /ETSI.RFC3161` (which some producers put in a `/Type /Sig` dictionary).
    pub fn is_document_timestamp(&self) -> bool {
        self.dict_type == SignatureDictType::DocTimeStamp
            || self.sub_filter.as_deref() == Some("ETSI.RFC3161")
    }
}

/// The signatures of one PDF, in form-field order, and what was noticed about the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PdfSignatures {
    pub signatures: Vec<PdfSignature>,
    /// The file's length; every [`ByteRange`] was checked against it.
    pub file_len: usize,
    /// The file is encrypted (and could be opened with the empty user password). Signature
    /// `/Contents` strings are not encrypted in PDF, so they are still as signed.
    pub encrypted: bool,
    /// The cross-reference data was damaged and lopdf rebuilt it: the objects read may not be
    /// the ones a conforming reader sees, which a validator should say.
    pub xref_repaired: bool,
    /// The document security store of the file as it is (its last revision), if it has one.
    pub dss: Option<Dss>,
}

impl PdfSignatures {
    /// Every signature dictionary reachable from the AcroForm fields, with default limits.
    pub fn extract(bytes: &[u8]) -> Result<Vec<PdfSignature>, PdfError> {
        Self::read(bytes, &PdfLimits::default()).map(|s| s.signatures)
    }

    /// Reads the signatures (and the `/DSS`) of `bytes` within `limits`.
    ///
    /// Every lopdf call runs inside `catch_unwind` (see `guarded`): a panic in the parser on
    /// crafted input becomes [`PdfError::ParserPanic`] instead of taking the archive down.
    pub fn read(bytes: &[u8], limits: &PdfLimits) -> Result<Self, PdfError> {
        guarded(|| read_unguarded(bytes, limits))
            .unwrap_or_else(|message| Err(PdfError::ParserPanic(message)))
    }

    /// What changed after signature `index` was made: the objects of its signed revision
    /// (`bytes[..revision_end]`) compared with those of the whole file, each change classified
    /// and judged against the DocMDP permissions in force. `bytes` must be the file these
    /// signatures were read from.
    pub fn modifications(
        &self,
        bytes: &[u8],
        index: usize,
        limits: &PdfLimits,
    ) -> Result<Modifications, ModificationError> {
        let signature = self
            .signatures
            .get(index)
            .ok_or(ModificationError::NoSuchSignature(index))?;
        if bytes.len() != self.file_len {
            return Err(ModificationError::OtherFile {
                expected: self.file_len,
                len: bytes.len(),
            });
        }
        let range = signature
            .byte_range
            .clone()
            .map_err(ModificationError::ByteRange)?;
        if range.covers_whole_file() {
            return Ok(Modifications::unchanged(index, range.revision_end()));
        }
        guarded(|| {
            let new = load_document(bytes, limits).map_err(ModificationError::File)?;
            changes::compare_revisions(bytes, range.revision_end(), &new, index, limits)
        })
        .unwrap_or_else(|message| Err(ModificationError::File(PdfError::ParserPanic(message))))
    }

    /// [`Self::modifications`] for every signature, reading the whole file once. Signatures
    /// that cover the whole file have no changes; those with an invalid byte range an error.
    pub fn all_modifications(
        &self,
        bytes: &[u8],
        limits: &PdfLimits,
    ) -> Vec<Result<Modifications, ModificationError>> {
        let mut new: Option<Result<Document, ModificationError>> = None;
        let mut out = Vec::with_capacity(self.signatures.len());
        for (index, signature) in self.signatures.iter().enumerate() {
            let range = match (&signature.byte_range, bytes.len() == self.file_len) {
                (_, false) => {
                    out.push(Err(ModificationError::OtherFile {
                        expected: self.file_len,
                        len: bytes.len(),
                    }));
                    continue;
                }
                (Err(e), _) => {
                    out.push(Err(ModificationError::ByteRange(e.clone())));
                    continue;
                }
                (Ok(range), _) if range.covers_whole_file() => {
                    out.push(Ok(Modifications::unchanged(index, range.revision_end())));
                    continue;
                }
                (Ok(range), _) => *range,
            };
            let new = new.get_or_insert_with(|| {
                guarded(|| load_document(bytes, limits).map_err(ModificationError::File))
                    .unwrap_or_else(|m| Err(ModificationError::File(PdfError::ParserPanic(m))))
            });
            out.push(match new {
                Ok(doc) => guarded(|| {
                    changes::compare_revisions(bytes, range.revision_end(), doc, index, limits)
                })
                .unwrap_or_else(|m| Err(ModificationError::File(PdfError::ParserPanic(m)))),
                Err(e) => Err(e.clone()),
            });
        }
        out
    }
}

/// Runs `f`, turning a panic into its message. lopdf is built to return errors, and 0.47
/// bounds nesting, reference chains and decompression, but it is a large parser fed hostile
/// bytes; a panic anywhere in it (an arithmetic overflow or an index out of range on a crafted
/// offset) must not take the archive down. `f` only reads its input and builds new values, so
/// no state is left half-updated (hence `AssertUnwindSafe`). The process's panic hook still
/// runs (printing the message to stderr by default); a library must not replace that global
/// hook. With `panic = "abort"` the guard cannot help; the workspace keeps unwinding.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

/// Loads `bytes` with lopdf within `limits`, after the cheap checks that need no parser. Call
/// it inside [`guarded`].
pub(crate) fn load_document(bytes: &[u8], limits: &PdfLimits) -> Result<Document, PdfError> {
    if bytes.len() > limits.max_file_len {
        return Err(PdfError::TooLarge {
            len: bytes.len(),
            max: limits.max_file_len,
        });
    }
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(PdfError::NotPdf);
    }
    let options = LoadOptions {
        max_decompressed_size: Some(limits.max_decompressed_stream_len),
        ..LoadOptions::default()
    };
    let doc = Document::load_mem_with_options(bytes, options).map_err(load_error)?;
    // lopdf takes any /Encrypt entry, even `null`, as encryption and then loads no objects
    // unless it can decrypt; say which of the two happened rather than "no catalog". After a
    // successful decryption lopdf drops /Encrypt from the trailer and keeps its state.
    if let Ok(entry) = doc.trailer.get(b"Encrypt") {
        if !matches!(doc.dereference(entry), Ok((_, Object::Dictionary(_)))) {
            return Err(PdfError::Malformed(
                "the trailer's /Encrypt is not an encryption dictionary".into(),
            ));
        }
        if doc.encryption_state.is_none() {
            return Err(PdfError::Encrypted(
                "the empty user password does not open it".into(),
            ));
        }
    }
    Ok(doc)
}

fn read_unguarded(bytes: &[u8], limits: &PdfLimits) -> Result<PdfSignatures, PdfError> {
    let doc = load_document(bytes, limits)?;
    let encrypted = doc.encryption_state.is_some();
    let catalog = doc.catalog().map_err(|_| PdfError::NoCatalog)?;
    let mut walker = FieldWalker {
        doc: &doc,
        file: bytes,
        limits,
        visited: HashSet::new(),
        nodes: 0,
        out: Vec::new(),
    };
    if let Some(acroform) = walker.resolve(catalog.get(b"AcroForm").ok())? {
        let acroform = acroform
            .as_dict()
            .map_err(|_| PdfError::FieldTree("/AcroForm is not a dictionary".into()))?;
        if let Some(fields) = walker.resolve(acroform.get(b"Fields").ok())? {
            let fields = fields
                .as_array()
                .map_err(|_| PdfError::FieldTree("/Fields is not an array".into()))?;
            let mut path = Vec::new();
            for field in fields {
                walker.walk(field, None, None, 0, &mut path)?;
            }
        }
    }
    let dss = dss::read(&doc, limits);
    Ok(PdfSignatures {
        signatures: walker.out,
        file_len: bytes.len(),
        encrypted,
        xref_repaired: doc.xref_recovery.is_some(),
        dss,
    })
}

/// Follows references. A reference to a free or absent object is `null` in PDF, so it reads as
/// absent; one the cross-reference data lists as in use but lopdf could not parse (lopdf drops
/// such objects) is an error. A chain that does not end (a reference loop) is an error.
fn resolve<'a>(
    doc: &'a Document,
    obj: Option<&'a Object>,
) -> Result<Option<(Option<ObjectId>, &'a Object)>, PdfError> {
    let Some(obj) = obj else { return Ok(None) };
    match doc.dereference(obj) {
        Ok((_, Object::Null)) => Ok(None),
        Ok(found) => Ok(Some(found)),
        Err(lopdf::Error::ObjectNotFound(id)) if in_use(doc, id) => Err(unreadable(id)),
        Err(lopdf::Error::ObjectNotFound(_)) => Ok(None),
        Err(e) => Err(PdfError::Malformed(format!(
            "a reference cannot be followed: {e}"
        ))),
    }
}

/// Whether the cross-reference data lists `id` as in use.
fn in_use(doc: &Document, id: ObjectId) -> bool {
    match doc.reference_table.get(id.0) {
        Some(XrefEntry::Normal { generation, .. }) => *generation == id.1,
        Some(XrefEntry::Compressed { .. }) => id.1 == 0,
        _ => false,
    }
}

fn unreadable(id: ObjectId) -> PdfError {
    PdfError::Malformed(format!(
        "object {} {} is in use but cannot be parsed",
        id.0, id.1
    ))
}

fn load_error(e: lopdf::Error) -> PdfError {
    match e {
        lopdf::Error::Decryption(_)
        | lopdf::Error::InvalidPassword
        | lopdf::Error::UnsupportedSecurityHandler(_) => PdfError::Encrypted(e.to_string()),
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { limit }) => {
            PdfError::DecompressionLimit { limit }
        }
        // lopdf's message for the other decoding failures names no cause; add it.
        lopdf::Error::Decompress(inner) => {
            PdfError::Malformed(format!("a stream cannot be decoded: {inner}"))
        }
        other => PdfError::Malformed(other.to_string()),
    }
}

struct FieldWalker<'a> {
    doc: &'a Document,
    file: &'a [u8],
    limits: &'a PdfLimits,
    visited: HashSet<ObjectId>,
    nodes: usize,
    out: Vec<PdfSignature>,
}

impl<'a> FieldWalker<'a> {
    /// Follows references. A reference to a free or absent object is `null` in PDF, so it reads
    /// as absent; one the cross-reference data lists as in use but lopdf could not parse (lopdf
    /// drops such objects) is an error, or a damaged signature dictionary would silently make a
    /// signed field look unsigned. A chain that does not end (a reference loop) is an error.
    fn resolve(&self, obj: Option<&'a Object>) -> Result<Option<&'a Object>, PdfError> {
        Ok(self.resolve_with_id(obj)?.map(|(_, o)| o))
    }

    fn resolve_with_id(
        &self,
        obj: Option<&'a Object>,
    ) -> Result<Option<(Option<ObjectId>, &'a Object)>, PdfError> {
        resolve(self.doc, obj)
    }

    fn get(&self, dict: &'a Dictionary, key: &[u8]) -> Result<Option<&'a Object>, PdfError> {
        self.resolve(dict.get(key).ok())
    }

    fn walk(
        &mut self,
        node: &'a Object,
        inherited_ft: Option<&'a [u8]>,
        parent_name: Option<&str>,
        depth: usize,
        path: &mut Vec<ObjectId>,
    ) -> Result<(), PdfError> {
        if depth >= self.limits.max_field_depth {
            return Err(PdfError::FieldTree(format!(
                "fields nest deeper than {} levels",
                self.limits.max_field_depth
            )));
        }
        self.nodes += 1;
        if self.nodes > self.limits.max_field_nodes {
            return Err(PdfError::FieldTree(format!(
                "more than {} form field nodes",
                self.limits.max_field_nodes
            )));
        }
        let Some((id, obj)) = self.resolve_with_id(Some(node))? else {
            return Ok(());
        };
        if let Some(id) = id {
            if path.contains(&id) {
                return Err(PdfError::FieldTree(format!(
                    "field {} {} is its own ancestor (a /Kids loop)",
                    id.0, id.1
                )));
            }
            // Reached again through another parent: already reported once.
            if !self.visited.insert(id) {
                return Ok(());
            }
        }
        // Widget annotations and junk in /Kids are not fields; skip what is not a dictionary.
        let Ok(dict) = obj.as_dict() else {
            return Ok(());
        };
        let ft = match self.get(dict, b"FT")? {
            Some(Object::Name(n)) => Some(n.as_slice()),
            _ => inherited_ft,
        };
        let partial = self.get(dict, b"T")?.map(text);
        let qualified = match (parent_name, &partial) {
            (Some(p), Some(t)) => Some(format!("{p}.{t}")),
            (None, Some(t)) => Some(t.clone()),
            (Some(p), None) => Some(p.to_string()),
            (None, None) => None,
        };
        if ft == Some(b"Sig".as_slice()) {
            if let Some((sig_id, Object::Dictionary(sig))) =
                self.resolve_with_id(dict.get(b"V").ok())?
            {
                let signature = self.signature(sig, sig_id, partial.clone(), qualified.clone())?;
                self.out.push(signature);
            }
        }
        if let Some(kids) = self.get(dict, b"Kids")? {
            if let Ok(kids) = kids.as_array() {
                if let Some(id) = id {
                    path.push(id);
                }
                for kid in kids {
                    self.walk(kid, ft, qualified.as_deref(), depth + 1, path)?;
                }
                if id.is_some() {
                    path.pop();
                }
            }
        }
        Ok(())
    }

    fn signature(
        &self,
        dict: &'a Dictionary,
        id: Option<ObjectId>,
        field_name: Option<String>,
        qualified_field_name: Option<String>,
    ) -> Result<PdfSignature, PdfError> {
        let name_of = |key: &[u8]| -> Result<Option<String>, PdfError> {
            Ok(match self.get(dict, key)? {
                Some(Object::Name(n)) => Some(String::from_utf8_lossy(n).into_owned()),
                _ => None,
            })
        };
        let text_of =
            |key: &[u8]| -> Result<Option<String>, PdfError> { Ok(self.get(dict, key)?.map(text)) };
        let dict_type = match self.get(dict, b"Type")? {
            None => SignatureDictType::Untyped,
            Some(Object::Name(n)) if n == b"Sig" => SignatureDictType::Sig,
            Some(Object::Name(n)) if n == b"DocTimeStamp" => SignatureDictType::DocTimeStamp,
            Some(Object::Name(n)) => SignatureDictType::Other(String::from_utf8_lossy(n).into()),
            Some(_) => SignatureDictType::Other("(not a name)".into()),
        };
        let contents = match self.get(dict, b"Contents")? {
            None => Err(ContentsError::Missing),
            Some(Object::String(s, _)) => Ok(s.clone()),
            Some(_) => Err(ContentsError::NotAString),
        };
        let (raw_byte_range, byte_range) = self.byte_range(dict)?;
        let byte_range =
            byte_range.and_then(|range| match (&contents, range.gap_contents(self.file)) {
                (Ok(c), Some(gap)) if *c != gap => Err(ByteRangeError::ContentsMismatch),
                _ => Ok(range),
            });
        Ok(PdfSignature {
            field_name,
            qualified_field_name,
            dictionary_id: id,
            dict_type,
            filter: name_of(b"Filter")?,
            sub_filter: name_of(b"SubFilter")?,
            signing_time: text_of(b"M")?,
            name: text_of(b"Name")?,
            reason: text_of(b"Reason")?,
            location: text_of(b"Location")?,
            contact_info: text_of(b"ContactInfo")?,
            raw_byte_range,
            byte_range,
            contents,
        })
    }

    /// The raw four numbers (if they are four integers) and the validation outcome.
    #[allow(clippy::type_complexity)]
    fn byte_range(
        &self,
        dict: &'a Dictionary,
    ) -> Result<(Option<[i64; 4]>, Result<ByteRange, ByteRangeError>), PdfError> {
        let Some(obj) = self.get(dict, b"ByteRange")? else {
            return Ok((None, Err(ByteRangeError::Missing)));
        };
        let Ok(items) = obj.as_array() else {
            return Ok((None, Err(ByteRangeError::NotArray)));
        };
        if items.len() != 4 {
            return Ok((None, Err(ByteRangeError::WrongCount(items.len()))));
        }
        let mut values = [0i64; 4];
        for (index, (item, slot)) in items.iter().zip(values.iter_mut()).enumerate() {
            match self.resolve(Some(item))? {
                Some(Object::Integer(i)) => *slot = *i,
                _ => return Ok((None, Err(ByteRangeError::NotInteger { index }))),
            }
        }
        Ok((Some(values), ByteRange::validate(&values, self.file)))
    }
}

/// A PDF text string (PDFDocEncoding, UTF-16BE or UTF-8 with BOM); other objects and
/// undecodable strings are shown lossily rather than dropped, since they are only shown.
fn text(obj: &Object) -> String {
    match obj {
        Object::String(bytes, _) => lopdf::decode_text_string(obj)
            .unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned()),
        Object::Name(n) => String::from_utf8_lossy(n).into_owned(),
        Object::Integer(i) => i.to_string(),
        other => format!("({})", other.enum_variant()),
    }
}

#[cfg(test)]
mod tests;
