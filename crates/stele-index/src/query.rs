//! From the user's query string and filters to a tantivy query.
//!
//! The query language is deliberately small: words (all required), `"quoted phrases"` and
//! compound tokens such as numbers and notations (`1500/UBND-CNTT`, `QĐ-UBND`). Every unit must
//! match the folded field (so unaccented queries find accented text); scoring clauses on the
//! exact, subject and notation fields and adjacent-word phrases then order the matches.
//!
//! A search counts the matches with [`matching`] and ranks candidates from
//! [`candidate_passes`] (or from the counting pass) by the sum of [`scoring_clauses`], which
//! equals the score of [`build`]'s query plus its adjacency bonus.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Term};

use crate::analyzer;
use crate::model::{Clearance, Confidentiality, Filters};
use crate::schema::Fields;
use crate::IndexError;

/// Longest accepted query string, in bytes.
pub const MAX_QUERY_BYTES: usize = 1024;
/// Most words (tokens) a query may have.
pub const MAX_QUERY_TERMS: usize = 32;
/// Longest accepted filter value, in bytes.
pub const MAX_FILTER_BYTES: usize = 256;

// Boosts: an exact spelling outweighs the folded match of the same word; the subject and the number
// and notation weigh more than body text; adjacent pairs lift phrase-like matches.
const BOOST_EXACT: f32 = 2.0;
const BOOST_FOLDED_OF_ACCENTED: f32 = 0.5;
const BOOST_SUBJECT: f32 = 1.5;
const BOOST_NOTATION_WORD: f32 = 3.0;
const BOOST_NOTATION_KEY: f32 = 20.0;
const BOOST_PAIR: f32 = 3.0;

/// One clause of a boolean query.
pub type Clause = (Occur, Box<dyn Query>);

/// One unit of the query; all units are required.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A single word.
    Word { exact: String, folded: String },
    /// A quoted phrase of two or more words.
    Phrase {
        exact: Vec<String>,
        folded: Vec<String>,
    },
    /// A compound token such as `1500/UBND-CNTT` or `QĐ-UBND`: its notation key, or its words
    /// as a phrase.
    Compound {
        key: String,
        exact: Vec<String>,
        folded: Vec<String>,
    },
}

impl Unit {
    fn folded(&self) -> &[String] {
        match self {
            Unit::Word { folded, .. } => std::slice::from_ref(folded),
            Unit::Phrase { folded, .. } | Unit::Compound { folded, .. } => folded,
        }
    }
    fn exact(&self) -> &[String] {
        match self {
            Unit::Word { exact, .. } => std::slice::from_ref(exact),
            Unit::Phrase { exact, .. } | Unit::Compound { exact, .. } => exact,
        }
    }
}

/// A parsed query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub units: Vec<Unit>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Every folded word of the query (snippets highlight these).
    pub fn folded_terms(&self) -> impl Iterator<Item = &String> {
        self.units.iter().flat_map(|u| u.folded().iter())
    }
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '„' | '″')
}

/// Parses a query string. Errors name the problem: too long, unbalanced quote, too many words.
pub fn parse(query: &str) -> Result<Plan, IndexError> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(IndexError::Query(format!(
            "query too long ({} bytes; at most {MAX_QUERY_BYTES})",
            query.len()
        )));
    }
    let quotes = query.chars().filter(|&c| is_quote(c)).count();
    if quotes % 2 == 1 {
        return Err(IndexError::Query(
            "unbalanced quote: a phrase needs a closing \"".to_string(),
        ));
    }
    let mut units = Vec::new();
    let mut terms = 0usize;
    for (i, part) in query.split(is_quote).enumerate() {
        if i % 2 == 1 {
            // Inside quotes: one phrase.
            let exact = analyzer::exact_words(part);
            let folded: Vec<String> = exact.iter().map(|w| analyzer::fold(w)).collect();
            terms += folded.len();
            match folded.len() {
                0 => {}
                1 => units.push(Unit::Word {
                    exact: exact[0].clone(),
                    folded: folded[0].clone(),
                }),
                _ => units.push(Unit::Phrase { exact, folded }),
            }
        } else {
            for chunk in part.split_whitespace() {
                let exact = analyzer::exact_words(chunk);
                let folded: Vec<String> = exact.iter().map(|w| analyzer::fold(w)).collect();
                terms += folded.len();
                if folded.is_empty() {
                    continue;
                }
                if folded.len() == 1 && !chunk.contains('/') {
                    units.push(Unit::Word {
                        exact: exact[0].clone(),
                        folded: folded[0].clone(),
                    });
                } else {
                    units.push(Unit::Compound {
                        key: notation_key(chunk),
                        exact,
                        folded,
                    });
                }
            }
        }
        if terms > MAX_QUERY_TERMS {
            return Err(IndexError::Query(format!(
                "too many words in the query (at most {MAX_QUERY_TERMS})"
            )));
        }
    }
    Ok(Plan { units })
}

/// Key of a number/notation as written in a query or record: folded, lowercase, no spaces,
/// without leading or trailing punctuation (`(1500/UBND-CNTT),` → `1500/ubnd-cntt`).
pub fn notation_key(s: &str) -> String {
    let k: String = analyzer::fold(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    k.trim_matches(|c: char| !c.is_alphanumeric()).to_string()
}

/// The notation keys a record is found by: `1500/ubnd-cntt`, `ubnd-cntt`, `1500`.
pub fn record_notation_keys(number: Option<&str>, notation: Option<&str>) -> Vec<String> {
    let mut keys = Vec::new();
    let number = number.map(notation_key).filter(|k| !k.is_empty());
    let notation = notation.map(notation_key).filter(|k| !k.is_empty());
    if let (Some(n), Some(k)) = (&number, &notation) {
        keys.push(format!("{n}/{k}"));
    }
    keys.extend(number);
    keys.extend(notation);
    keys
}

fn term_query(term: Term, boost: f32) -> Box<dyn Query> {
    let q: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
    if boost == 1.0 {
        q
    } else {
        Box::new(BoostQuery::new(q, boost))
    }
}

fn filter(q: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
}

fn filter_term(term: Term) -> (Occur, Box<dyn Query>) {
    filter(Box::new(TermQuery::new(term, IndexRecordOption::Basic)))
}

fn check_filter<'a>(name: &str, value: &'a Option<String>) -> Result<Option<&'a str>, IndexError> {
    match value.as_deref().map(str::trim) {
        Some(v) if v.len() > MAX_FILTER_BYTES => Err(IndexError::Query(format!(
            "{name} filter too long (at most {MAX_FILTER_BYTES} bytes)"
        ))),
        Some("") | None => Ok(None),
        Some(v) => Ok(Some(v)),
    }
}

/// Clauses that restrict the result set: the clearance first (so every collector — hits,
/// total, facets — sees only what the caller may see), then the metadata filters.
pub fn restrictions(
    f: &Fields,
    filters: &Filters,
    clearance: Clearance,
) -> Result<Vec<Clause>, IndexError> {
    // Clearance: every level above the caller's is excluded by the indexed level term. Secret
    // records are few, so the exclusion reads short posting lists (a range over the level fast
    // field would scan every document); at full clearance there is nothing to exclude, and the
    // query stays a plain disjunction that tantivy can prune with block-max WAND.
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Confidentiality::ALL
        .iter()
        .filter(|c| !clearance.allows(**c))
        .map(|c| {
            (
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_u64(f.conf, c.level()),
                    IndexRecordOption::Basic,
                )) as Box<dyn Query>,
            )
        })
        .collect();
    if let Some(v) = check_filter("agency", &filters.agency)? {
        clauses.push(filter_term(Term::from_field_text(
            f.organ_id,
            &v.to_uppercase(),
        )));
    }
    if let Some(v) = check_filter("type", &filters.type_name)? {
        clauses.push(filter_term(Term::from_field_text(
            f.type_key,
            &analyzer::key(v),
        )));
    }
    if let Some(v) = check_filter("signer", &filters.signer)? {
        clauses.push(filter_term(Term::from_field_text(
            f.signer_key,
            &analyzer::key(v),
        )));
    }
    if let Some(v) = check_filter("retention", &filters.retention)? {
        clauses.push(filter_term(Term::from_field_text(f.retention, v)));
    }
    if let Some(v) = check_filter("file", &filters.file_notation)? {
        clauses.push(filter_term(Term::from_field_text(
            f.file_notation,
            &analyzer::key(v),
        )));
    }
    if let Some(c) = filters.confidentiality {
        clauses.push(filter_term(Term::from_field_u64(f.conf, c.level())));
    }
    if let Some(y) = filters.year {
        clauses.push(filter_term(Term::from_field_i64(f.year, i64::from(y))));
    }
    if filters.from.is_some() || filters.to.is_some() {
        let bound = |d: Option<time::Date>| match d {
            Some(d) => {
                Bound::Included(Term::from_field_i64(f.issued, i64::from(d.to_julian_day())))
            }
            None => Bound::Unbounded,
        };
        match (filters.from, filters.to) {
            // An empty range matches nothing (RangeQuery would be fine too, but say it plainly).
            (Some(a), Some(b)) if a > b => clauses.push((Occur::Must, Box::new(EmptyQuery))),
            _ => clauses.push(filter(Box::new(RangeQuery::new(
                bound(filters.from),
                bound(filters.to),
            )))),
        }
    }
    Ok(clauses)
}

/// A built search: the query that selects and scores records, and the adjacency bonus that
/// re-scores the best of them.
pub struct Built {
    pub query: Box<dyn Query>,
    /// Adjacent query words as phrases. Reading positions for every match of two common words
    /// is what made multi-word queries slow, so searches only add it to the candidates' scores
    /// (see [`scoring_clauses`]).
    pub adjacency: Option<Box<dyn Query>>,
}

/// The full query: the plan's units (or all records when the plan is empty) plus restrictions.
pub fn build(
    f: &Fields,
    plan: &Plan,
    filters: &Filters,
    clearance: Clearance,
) -> Result<Built, IndexError> {
    let mut clauses = restrictions(f, filters, clearance)?;
    if plan.is_empty() {
        clauses.push((Occur::Must, Box::new(AllQuery)));
        return Ok(Built {
            query: Box::new(BooleanQuery::new(clauses)),
            adjacency: None,
        });
    }
    // Each unit is one required clause: its folded match plus the clauses that only add score.
    // A query of one word at full clearance without filters is a plain disjunction of term
    // queries, which tantivy prunes with block-max WAND.
    let single = plan.units.len() == 1 && clauses.is_empty();
    for unit in &plan.units {
        let parts = unit_parts(f, unit);
        // For a word, the scoring clauses imply the folded match, so a disjunction matches the
        // same records; a phrase or notation must match as such, the rest only adds score.
        let is_word = matches!(unit, Unit::Word { .. });
        let occur = if is_word { Occur::Should } else { Occur::Must };
        let mut any: Vec<(Occur, Box<dyn Query>)> = vec![(occur, parts.matching)];
        any.extend(parts.extra.into_iter().map(|q| (Occur::Should, q)));
        if single && is_word {
            return Ok(Built {
                query: Box::new(BooleanQuery::new(any)),
                adjacency: None,
            });
        }
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
    }
    Ok(Built {
        query: Box::new(BooleanQuery::new(clauses)),
        adjacency: adjacency(f, plan),
    })
}

/// The scoring clauses of one unit.
struct UnitParts {
    /// The folded match, boosted (a notation: by its words or by its key).
    matching: Box<dyn Query>,
    /// The same match split into its alternatives, each boosted as in `matching`; the score of
    /// `matching` is the sum of theirs.
    matching_leaves: Vec<Box<dyn Query>>,
    /// Clauses that only add score: exact spelling, subject, notation word.
    extra: Vec<Box<dyn Query>>,
}

fn unit_parts(f: &Fields, unit: &Unit) -> UnitParts {
    // A query word typed with marks asks for that spelling: its folded match is only the
    // fallback, so it weighs less and the exact and exact-subject matches decide the order.
    // A word typed without marks may stand for any spelling: folded fields score it.
    let accented = unit.exact().iter().any(|w| !w.is_ascii());
    let boost = if accented {
        BOOST_FOLDED_OF_ACCENTED
    } else {
        1.0
    };
    let boosted = |q: Box<dyn Query>, b: f32| -> Box<dyn Query> {
        if b == 1.0 {
            q
        } else {
            Box::new(BoostQuery::new(q, b))
        }
    };
    let (matching, matching_leaves): (Box<dyn Query>, Vec<Box<dyn Query>>) = match unit {
        Unit::Word { folded, .. } => {
            let q = term_query(Term::from_field_text(f.folded, folded), 1.0);
            (boosted(q.box_clone(), boost), vec![boosted(q, boost)])
        }
        Unit::Phrase { folded, .. } => {
            let q = phrase(f, folded);
            (boosted(q.box_clone(), boost), vec![boosted(q, boost)])
        }
        Unit::Compound { key, folded, .. } => {
            let by_words = if folded.len() == 1 {
                term_query(Term::from_field_text(f.folded, &folded[0]), 1.0)
            } else {
                phrase(f, folded)
            };
            let mut either = vec![(Occur::Should, by_words.box_clone())];
            let mut leaves = vec![boosted(by_words, boost)];
            if !key.is_empty() {
                let by_key = Term::from_field_text(f.notation, key);
                either.push((
                    Occur::Should,
                    term_query(by_key.clone(), BOOST_NOTATION_KEY),
                ));
                leaves.push(term_query(by_key, BOOST_NOTATION_KEY * boost));
            }
            (boosted(Box::new(BooleanQuery::new(either)), boost), leaves)
        }
    };
    let mut extra: Vec<Box<dyn Query>> = Vec::new();
    for (exact, folded) in unit.exact().iter().zip(unit.folded()) {
        if exact.is_ascii() {
            extra.push(term_query(
                Term::from_field_text(f.subject, folded),
                BOOST_SUBJECT,
            ));
        } else {
            extra.push(term_query(
                Term::from_field_text(f.text, exact),
                BOOST_EXACT,
            ));
            extra.push(term_query(
                Term::from_field_text(f.subject_exact, exact),
                BOOST_SUBJECT,
            ));
        }
    }
    if let Unit::Word { folded, .. } = unit {
        extra.push(term_query(
            Term::from_field_text(f.notation, folded),
            BOOST_NOTATION_WORD,
        ));
    }
    UnitParts {
        matching,
        matching_leaves,
        extra,
    }
}

/// The score of [`build`]'s query and of the adjacency bonus, as separate clauses: for a record
/// that matches the query, the full score is the sum of the scores of the clauses it matches
/// (boolean queries add their clauses' scores). Re-scoring candidates clause by clause seeks
/// each clause's posting list to the candidates, where the nested query would fill its
/// disjunctions' buffers around every candidate.
pub fn scoring_clauses(f: &Fields, plan: &Plan) -> Vec<Box<dyn Query>> {
    let mut leaves = Vec::new();
    for unit in &plan.units {
        let parts = unit_parts(f, unit);
        leaves.extend(parts.matching_leaves);
        leaves.extend(parts.extra);
    }
    leaves.extend(adjacency_pairs(f, plan).into_iter().map(|(_, q)| q));
    leaves
}

/// Whether the filters restrict the result set beyond the caller's clearance.
pub fn has_filters(filters: &Filters) -> bool {
    let set = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
    set(&filters.agency)
        || set(&filters.type_name)
        || set(&filters.signer)
        || set(&filters.retention)
        || set(&filters.file_notation)
        || filters.confidentiality.is_some()
        || filters.year.is_some()
        || filters.from.is_some()
        || filters.to.is_some()
}

/// The records a search matches, without the clauses that only add score: every unit's folded
/// match (word, phrase, or notation key or phrase), plus the restrictions. The same records as
/// [`build`]'s query, cheaper to count (a word is one posting list here, not four).
pub fn matching(
    f: &Fields,
    plan: &Plan,
    filters: &Filters,
    clearance: Clearance,
) -> Result<Box<dyn Query>, IndexError> {
    let mut clauses = restrictions(f, filters, clearance)?;
    if plan.is_empty() {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    for unit in &plan.units {
        let q: Box<dyn Query> = match unit {
            Unit::Word { folded, .. } => term_query(Term::from_field_text(f.folded, folded), 1.0),
            Unit::Phrase { folded, .. } => phrase(f, folded),
            Unit::Compound { key, folded, .. } => {
                let by_words = if folded.len() == 1 {
                    term_query(Term::from_field_text(f.folded, &folded[0]), 1.0)
                } else {
                    phrase(f, folded)
                };
                if key.is_empty() {
                    by_words
                } else {
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Should, by_words),
                        (
                            Occur::Should,
                            term_query(Term::from_field_text(f.notation, key), 1.0),
                        ),
                    ]))
                }
            }
        };
        clauses.push((Occur::Must, q));
    }
    Ok(Box::new(BooleanQuery::new(clauses)))
}

/// A conjunction of term queries (one term alone stays a term query): the shape tantivy's
/// block-max pruning handles (block-max WAND for a term, block-max intersection for more).
fn term_conjunction(mut terms: Vec<Term>) -> Option<Box<dyn Query>> {
    terms.sort();
    terms.dedup();
    match terms.len() {
        0 => None,
        1 => Some(term_query(terms.pop()?, 1.0)),
        _ => Some(Box::new(BooleanQuery::new(
            terms
                .into_iter()
                .map(|t| (Occur::Must, term_query(t, 1.0)))
                .collect(),
        ))),
    }
}

/// Candidate passes for a search with words: cheap top-k queries whose best records, re-scored
/// with [`build`]'s query, give the best records of that query. Each is a pure conjunction or
/// disjunction of term queries with frequencies, which tantivy answers with block-max pruning
/// instead of scoring every match. They carry no restriction (clauses other than terms would
/// turn the pruning off); re-scoring with the full query drops every record the caller may not
/// see or that does not match (a phrase whose words are there but apart).
///
/// 1. Every folded word required: the folded-field ranking.
/// 2. If the query has accented words: those words as written (exact field), the others
///    folded, all required: records with the exact spellings, which rank first.
/// 3. The words in the subject (folded, or as written when accented), any of them: records
///    whose subject matches, which the subject boost lifts.
pub fn candidate_passes(f: &Fields, plan: &Plan) -> Vec<Box<dyn Query>> {
    let mut passes = Vec::new();
    let pairs: Vec<(&String, &String)> = plan
        .units
        .iter()
        .flat_map(|u| u.exact().iter().zip(u.folded()))
        .collect();
    let folded: Vec<Term> = pairs
        .iter()
        .map(|(_, w)| Term::from_field_text(f.folded, w))
        .collect();
    passes.extend(term_conjunction(folded));
    if pairs.iter().any(|(e, _)| !e.is_ascii()) {
        let exact: Vec<Term> = pairs
            .iter()
            .map(|(e, w)| {
                if e.is_ascii() {
                    Term::from_field_text(f.folded, w)
                } else {
                    Term::from_field_text(f.text, e)
                }
            })
            .collect();
        passes.extend(term_conjunction(exact));
    }
    let mut subject: Vec<Term> = pairs
        .iter()
        .map(|(e, w)| {
            if e.is_ascii() {
                Term::from_field_text(f.subject, w)
            } else {
                Term::from_field_text(f.subject_exact, e)
            }
        })
        .collect();
    subject.sort();
    subject.dedup();
    if !subject.is_empty() {
        passes.push(Box::new(BooleanQuery::new(
            subject
                .into_iter()
                .map(|t| (Occur::Should, term_query(t, 1.0)))
                .collect(),
        )));
    }
    passes
}

/// Adjacent-syllable ranking (`chữ ký số` unquoted still rewards adjacency): each two adjacent
/// query words as a folded phrase, boosted. Pairs inside a quoted phrase or notation are left
/// out: that unit matches only adjacent words anyway. (Schema 1 indexed a pair field; phrases
/// on the positions the folded field has anyway cost less at indexing time.)
fn adjacency(f: &Fields, plan: &Plan) -> Option<Box<dyn Query>> {
    let pairs = adjacency_pairs(f, plan);
    if pairs.is_empty() {
        None
    } else {
        Some(Box::new(BooleanQuery::new(pairs)))
    }
}

fn adjacency_pairs(f: &Fields, plan: &Plan) -> Vec<Clause> {
    let mut pairs: Vec<Clause> = Vec::new();
    let mut previous: Option<&String> = None;
    for unit in &plan.units {
        let words = unit.folded();
        if let (Some(p), Some(first)) = (previous, words.first()) {
            if p != first {
                pairs.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        phrase(f, &[p.clone(), first.clone()]),
                        BOOST_PAIR,
                    )),
                ));
            }
        }
        previous = words.last();
    }
    pairs
}

fn phrase(f: &Fields, folded: &[String]) -> Box<dyn Query> {
    let terms: Vec<Term> = folded
        .iter()
        .map(|w| Term::from_field_text(f.folded, w))
        .collect();
    Box::new(PhraseQuery::new(terms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_words_phrases_and_notations() {
        let p = parse(r#"Chữ "ky so" 1500/UBND-CNTT QĐ-UBND"#).unwrap();
        assert_eq!(
            p.units,
            vec![
                Unit::Word {
                    exact: "chữ".into(),
                    folded: "chu".into()
                },
                Unit::Phrase {
                    exact: vec!["ky".into(), "so".into()],
                    folded: vec!["ky".into(), "so".into()]
                },
                Unit::Compound {
                    key: "1500/ubnd-cntt".into(),
                    exact: vec!["1500".into(), "ubnd".into(), "cntt".into()],
                    folded: vec!["1500".into(), "ubnd".into(), "cntt".into()]
                },
                Unit::Compound {
                    key: "qd-ubnd".into(),
                    exact: vec!["qđ".into(), "ubnd".into()],
                    folded: vec!["qd".into(), "ubnd".into()]
                },
            ]
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse("\"chữ ký").unwrap_err().to_string();
        assert!(e.contains("unbalanced quote"), "{e}");
        let e = parse(&"a".repeat(MAX_QUERY_BYTES + 1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("too long"), "{e}");
        let e = parse(&"từ ".repeat(MAX_QUERY_TERMS + 1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("too many words"), "{e}");
        assert!(parse("  ,;!  \"\" ").unwrap().is_empty());
    }

    #[test]
    fn notation_keys() {
        assert_eq!(notation_key("(1500/UBND-CNTT),"), "1500/ubnd-cntt");
        assert_eq!(
            record_notation_keys(Some("25"), Some("QĐ-UBND")),
            ["25/qd-ubnd", "25", "qd-ubnd"]
        );
        assert!(record_notation_keys(None, Some("  ")).is_empty());
    }
}
