//! Facet counts over every matching record, read from fast-field columns.
//!
//! The collector runs under the same query as the hits and the total, clearance clause
//! included, so a record the caller may not see contributes to no count.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::model::{Confidentiality, FacetCount, Facets};
use crate::schema::names;

/// Counts per facet value, keyed by the value's text.
#[derive(Default)]
pub struct FacetFruit {
    agency: HashMap<String, u64>,
    type_name: HashMap<String, u64>,
    year: HashMap<String, u64>,
    signer: HashMap<String, u64>,
    confidentiality: HashMap<String, u64>,
    retention: HashMap<String, u64>,
}

impl FacetFruit {
    fn merge(&mut self, other: FacetFruit) {
        for (mine, theirs) in [
            (&mut self.agency, other.agency),
            (&mut self.type_name, other.type_name),
            (&mut self.year, other.year),
            (&mut self.signer, other.signer),
            (&mut self.confidentiality, other.confidentiality),
            (&mut self.retention, other.retention),
        ] {
            for (k, v) in theirs {
                *mine.entry(k).or_default() += v;
            }
        }
    }

    pub fn into_facets(self) -> Facets {
        fn sorted(m: HashMap<String, u64>) -> Vec<FacetCount> {
            let mut v: Vec<FacetCount> = m
                .into_iter()
                .filter(|(_, c)| *c > 0)
                .map(|(value, count)| FacetCount { value, count })
                .collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            v
        }
        Facets {
            agency: sorted(self.agency),
            type_name: sorted(merge_spellings(self.type_name)),
            year: sorted(self.year),
            signer: sorted(merge_spellings(self.signer)),
            confidentiality: sorted(self.confidentiality),
            retention: sorted(self.retention),
        }
    }
}

/// Values that differ only in case, marks or spacing ("Công văn", "Cong van", "CÔNG VĂN") are one
/// value to the filters, so they are one facet: counted together under the spelling most records
/// use (on a tie, the one with more marks, then the first in order).
fn merge_spellings(counts: HashMap<String, u64>) -> HashMap<String, u64> {
    let mut groups: HashMap<String, (u64, String, u64)> = HashMap::new();
    for (value, count) in counts {
        let group = groups
            .entry(crate::analyzer::key(&value))
            .or_insert_with(|| (0, value.clone(), 0));
        group.0 += count;
        let marks = |s: &str| s.chars().filter(|c| !c.is_ascii()).count();
        let better = (count, marks(&value), std::cmp::Reverse(value.as_str()))
            > (
                group.2,
                marks(&group.1),
                std::cmp::Reverse(group.1.as_str()),
            );
        if better {
            group.1 = value;
            group.2 = count;
        }
    }
    groups
        .into_values()
        .map(|(total, shown, _)| (shown, total))
        .collect()
}

/// The facet collector.
pub struct FacetsCollector;

/// One string column and its counts by term ordinal.
struct StrCounts {
    column: Option<StrColumn>,
    counts: Vec<u64>,
}

impl StrCounts {
    fn open(segment: &SegmentReader, field: &str) -> tantivy::Result<Self> {
        let column = segment.fast_fields().str(field)?;
        let n = column.as_ref().map_or(0, |c| c.num_terms());
        Ok(StrCounts {
            column,
            counts: vec![0; n],
        })
    }

    fn collect(&mut self, doc: DocId) {
        if let Some(c) = &self.column {
            for ord in c.term_ords(doc) {
                if let Some(slot) = usize::try_from(ord)
                    .ok()
                    .and_then(|o| self.counts.get_mut(o))
                {
                    *slot += 1;
                }
            }
        }
    }

    fn harvest(self) -> HashMap<String, u64> {
        let mut out = HashMap::new();
        let Some(column) = self.column else {
            return out;
        };
        let mut buf = String::new();
        for (ord, count) in self.counts.into_iter().enumerate() {
            if count == 0 {
                continue;
            }
            // An unreadable dictionary entry is skipped: facets are advisory.
            if let Ok(true) = column.ord_to_str(ord as u64, &mut buf) {
                *out.entry(buf.clone()).or_default() += count;
            }
        }
        out
    }
}

pub struct SegmentFacets {
    agency: StrCounts,
    type_name: StrCounts,
    signer: StrCounts,
    retention: StrCounts,
    year: Column<i64>,
    year_counts: HashMap<i64, u64>,
    conf: Column<u64>,
    conf_counts: [u64; 4],
}

impl Collector for FacetsCollector {
    type Fruit = FacetFruit;
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        Ok(SegmentFacets {
            agency: StrCounts::open(segment, names::ORGAN_ID)?,
            type_name: StrCounts::open(segment, names::TYPE_NAME)?,
            signer: StrCounts::open(segment, names::SIGNER)?,
            retention: StrCounts::open(segment, names::RETENTION)?,
            year: segment.fast_fields().i64(names::YEAR)?,
            year_counts: HashMap::new(),
            conf: segment.fast_fields().u64(names::CONF)?,
            conf_counts: [0; 4],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetFruit>) -> tantivy::Result<FacetFruit> {
        let mut all = FacetFruit::default();
        for f in fruits {
            all.merge(f);
        }
        Ok(all)
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = FacetFruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.agency.collect(doc);
        self.type_name.collect(doc);
        self.signer.collect(doc);
        self.retention.collect(doc);
        if let Some(y) = self.year.first(doc) {
            *self.year_counts.entry(y).or_default() += 1;
        }
        if let Some(c) = self.conf.first(doc) {
            if let Some(slot) = usize::try_from(c)
                .ok()
                .and_then(|c| self.conf_counts.get_mut(c))
            {
                *slot += 1;
            }
        }
    }

    fn harvest(self) -> FacetFruit {
        let mut confidentiality = HashMap::new();
        for (level, count) in self.conf_counts.into_iter().enumerate() {
            if let Some(c) = Confidentiality::from_level(level as u64) {
                if count > 0 {
                    confidentiality.insert(c.label().to_string(), count);
                }
            }
        }
        FacetFruit {
            agency: self.agency.harvest(),
            type_name: self.type_name.harvest(),
            signer: self.signer.harvest(),
            retention: self.retention.harvest(),
            year: self
                .year_counts
                .into_iter()
                .map(|(y, c)| (y.to_string(), c))
                .collect(),
            confidentiality,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_value_are_one_facet() {
        let counts: HashMap<String, u64> = [
            ("Công văn", 3),
            ("Cong van", 1),
            ("CÔNG VĂN", 1),
            ("Quyết định", 2),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let merged = merge_spellings(counts);
        assert_eq!(merged.len(), 2, "{merged:?}");
        assert_eq!(merged["Công văn"], 5);
        assert_eq!(merged["Quyết định"], 2);
        // A tie goes to the spelling with marks.
        let tie: HashMap<String, u64> = [("Cong van", 1), ("Công văn", 1)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(merge_spellings(tie)["Công văn"], 2);
    }
}
