//! The records handed to the index and the requests and results of a search.

use serde::{Serialize, Serializer};
use time::Date;

use crate::snippet::Snippet;

/// Confidentiality level of a record (Độ mật), ordered from public to most secret.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidentiality {
    /// Not classified.
    #[default]
    None,
    /// Mật.
    Mat,
    /// Tối mật.
    ToiMat,
    /// Tuyệt mật.
    TuyetMat,
}

impl Confidentiality {
    pub const ALL: [Confidentiality; 4] = [
        Confidentiality::None,
        Confidentiality::Mat,
        Confidentiality::ToiMat,
        Confidentiality::TuyetMat,
    ];

    /// Level 0..=3 as stored in the index.
    pub fn level(self) -> u64 {
        self as u64
    }

    pub fn from_level(level: u64) -> Option<Self> {
        Self::ALL.get(usize::try_from(level).ok()?).copied()
    }

    /// Display label: `none`, `Mật`, `Tối mật`, `Tuyệt mật` (also the JSON form).
    pub fn label(self) -> &'static str {
        match self {
            Confidentiality::None => "none",
            Confidentiality::Mat => "Mật",
            Confidentiality::ToiMat => "Tối mật",
            Confidentiality::TuyetMat => "Tuyệt mật",
        }
    }
}

impl std::fmt::Display for Confidentiality {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl std::str::FromStr for Confidentiality {
    type Err = String;
    /// Accepts the labels with or without marks, any case (`Tối mật`, `toi mat`), snake_case
    /// names (`toi_mat`) and levels `0`..`3`.
    fn from_str(s: &str) -> Result<Self, String> {
        let k = crate::analyzer::key(&s.replace('_', " "));
        let k = k.replace(' ', "");
        Ok(match k.as_str() {
            "none" | "0" | "" | "thuong" | "khong" => Confidentiality::None,
            "mat" | "1" => Confidentiality::Mat,
            "toimat" | "2" => Confidentiality::ToiMat,
            "tuyetmat" | "3" => Confidentiality::TuyetMat,
            _ => {
                return Err(format!(
                    "unknown confidentiality {s:?} (expected none, Mật, Tối mật or Tuyệt mật)"
                ))
            }
        })
    }
}

impl Serialize for Confidentiality {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

/// The highest confidentiality a caller may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Clearance(pub Confidentiality);

impl Clearance {
    /// Unclassified records only.
    pub const PUBLIC: Clearance = Clearance(Confidentiality::None);
    /// Everything (the local CLI).
    pub const FULL: Clearance = Clearance(Confidentiality::TuyetMat);

    pub fn allows(self, c: Confidentiality) -> bool {
        c <= self.0
    }
}

impl Default for Clearance {
    /// Public: a caller that forgets to say sees nothing secret.
    fn default() -> Self {
        Clearance::PUBLIC
    }
}

/// One archived record as the archive hands it to the index.
#[derive(Clone, Debug)]
pub struct IndexedRecord {
    /// Record id (hex); adding the same id again replaces the record.
    pub id: String,
    /// Full text of the document, any Unicode normalisation form.
    pub text: String,
    /// Trích yếu.
    pub subject: String,
    /// Agency code (OrganId), e.g. `H12.01`.
    pub organ_id: Option<String>,
    pub organ_name: String,
    /// `Quyết định`, `Công văn`, …
    pub type_name: Option<String>,
    /// `1500`.
    pub code_number: Option<String>,
    /// `UBND-CNTT`.
    pub code_notation: Option<String>,
    pub issued_date: Date,
    /// Full names (metadata SignerInfo and signature certificates).
    pub signers: Vec<String>,
    pub confidentiality: Confidentiality,
    /// Retention code `01`..`07`.
    pub retention: String,
    /// Hồ sơ code.
    pub file_notation: Option<String>,
}

impl IndexedRecord {
    /// `1500/UBND-CNTT`, `1500`, `UBND-CNTT`, or none.
    pub fn number_notation(&self) -> Option<String> {
        number_notation(self.code_number.as_deref(), self.code_notation.as_deref())
    }
}

/// Số, ký hiệu as written on a document: `1500/UBND-CNTT`, or whichever part is given (blank
/// parts count as missing).
pub fn number_notation(number: Option<&str>, notation: Option<&str>) -> Option<String> {
    fn part(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|s| !s.is_empty())
    }
    match (part(number), part(notation)) {
        (Some(n), Some(k)) => Some(format!("{n}/{k}")),
        (n, k) => n.or(k).map(str::to_string),
    }
}

/// Metadata filters; `Default` filters nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    /// Agency code (OrganId), case-insensitive.
    pub agency: Option<String>,
    /// Type name, case- and accent-insensitive.
    pub type_name: Option<String>,
    /// Issued on or after.
    pub from: Option<Date>,
    /// Issued on or before.
    pub to: Option<Date>,
    pub year: Option<i32>,
    /// A signer's full name, case- and accent-insensitive.
    pub signer: Option<String>,
    pub confidentiality: Option<Confidentiality>,
    pub retention: Option<String>,
    /// Hồ sơ code, case- and accent-insensitive.
    pub file_notation: Option<String>,
}

/// One search.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    /// Words (AND), `"quoted phrases"`, numbers and notations (`1500/UBND-CNTT`). Empty lists
    /// the records matching the filters, newest issued first.
    pub query: String,
    pub filters: Filters,
    /// Hits to return (capped at [`crate::MAX_LIMIT`]).
    pub limit: usize,
    /// Hits to skip (capped at [`crate::MAX_OFFSET`]).
    pub offset: usize,
    /// What the caller may see; nothing above it is counted, faceted or returned.
    pub clearance: Clearance,
    /// Compute facet counts over all matching records.
    pub facets: bool,
}

impl SearchRequest {
    /// A query with no filters, top 10, public clearance, no facets.
    pub fn new(query: impl Into<String>) -> Self {
        SearchRequest {
            query: query.into(),
            filters: Filters::default(),
            limit: 10,
            offset: 0,
            clearance: Clearance::PUBLIC,
            facets: false,
        }
    }
}

pub(crate) fn serialize_date<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

/// The outcome of a search.
#[derive(Clone, Debug, Serialize)]
pub struct SearchResults {
    /// Matching records the caller may see: an exact count of every match, however few are
    /// returned as hits.
    pub total: u64,
    pub hits: Vec<SearchHit>,
    /// Empty unless the request asked for facets.
    pub facets: Facets,
}

/// One matching record.
#[derive(Clone, Debug, Serialize)]
pub struct SearchHit {
    pub id: String,
    /// Relevance (0 when listing by date).
    pub score: f32,
    pub subject: String,
    pub organ_id: Option<String>,
    pub organ_name: String,
    pub type_name: Option<String>,
    pub number_notation: Option<String>,
    #[serde(serialize_with = "serialize_date")]
    pub issued_date: Date,
    pub confidentiality: Confidentiality,
    pub snippet: Snippet,
}

/// One facet value and the number of matching records that have it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// Facet counts over all matching records, each sorted by count (descending), then value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    pub agency: Vec<FacetCount>,
    pub type_name: Vec<FacetCount>,
    pub year: Vec<FacetCount>,
    pub signer: Vec<FacetCount>,
    pub confidentiality: Vec<FacetCount>,
    pub retention: Vec<FacetCount>,
}

impl Facets {
    /// Keeps the `n` most frequent values of each facet (the lists are sorted that way): a
    /// broad query over a large archive has hundreds of signers, more than any answer needs.
    pub fn keep_top(&mut self, n: usize) {
        for list in [
            &mut self.agency,
            &mut self.type_name,
            &mut self.year,
            &mut self.signer,
            &mut self.confidentiality,
            &mut self.retention,
        ] {
            list.truncate(n);
        }
    }
}
