//! Highlighted fragments of the original (accented) text around the matches.
//!
//! The highlighter re-tokenises stored text with the folded analyzer and marks tokens whose
//! folded form is a query word, so `chu ky so` highlights `chữ ký số` as written.

use std::collections::BTreeMap;

use serde::Serialize;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Searcher, Term};

use crate::analyzer;
use crate::query::Plan;
use crate::schema::Fields;
use crate::IndexError;

/// Longest fragment, in characters.
pub const SNIPPET_CHARS: usize = 200;
/// Stored text beyond this many bytes is not searched for a fragment (bounds the per-hit work).
pub const MAX_SNIPPET_SOURCE_BYTES: usize = 256 * 1024;

/// A fragment of a record's text with the matched words marked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Snippet {
    pub text: String,
    /// Byte ranges in `text`, sorted and not overlapping.
    pub highlights: Vec<(usize, usize)>,
}

impl Snippet {
    /// `text` with each highlight wrapped in `open`/`close` (no escaping).
    pub fn marked(&self, open: &str, close: &str) -> String {
        self.marked_with(open, close, |s, out| out.push_str(s))
    }

    /// `text` with each highlight wrapped in `open`/`close`, every piece of text written by
    /// `push` (an HTML page passes its escape, so the markup is the caller's alone).
    pub fn marked_with(&self, open: &str, close: &str, push: impl Fn(&str, &mut String)) -> String {
        let mut out = String::with_capacity(self.text.len() + 16);
        let mut at = 0;
        for &(a, b) in &self.highlights {
            // Ranges come from our own tokenizer; still, never slice outside char boundaries.
            if a < at || b < a || self.text.get(a..b).is_none() {
                continue;
            }
            push(&self.text[at..a], &mut out);
            out.push_str(open);
            push(&self.text[a..b], &mut out);
            out.push_str(close);
            at = b;
        }
        push(&self.text[at..], &mut out);
        out
    }
}

/// Cuts snippets for the hits of one search.
pub struct Snippeter {
    generator: Option<SnippetGenerator>,
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Snippeter {
    pub fn new(searcher: &Searcher, fields: &Fields, plan: &Plan) -> Result<Self, IndexError> {
        if plan.is_empty() {
            return Ok(Snippeter { generator: None });
        }
        // Rarer words weigh more when choosing the fragment (as tantivy's own generator does).
        let mut terms = BTreeMap::new();
        for w in plan.folded_terms() {
            let df = searcher.doc_freq(&Term::from_field_text(fields.folded, w))?;
            terms.insert(w.clone(), 1.0 / (1.0 + df as f32));
        }
        let generator = SnippetGenerator::new(
            terms,
            analyzer::folded_analyzer(),
            fields.folded,
            SNIPPET_CHARS,
        );
        Ok(Snippeter {
            generator: Some(generator),
        })
    }

    /// The best fragment of `body`, else of `subject`, else the start of the body or subject.
    pub fn snippet(&self, subject: &str, body: &str) -> Snippet {
        let body = &body[..floor_char_boundary(body, MAX_SNIPPET_SOURCE_BYTES)];
        if let Some(g) = &self.generator {
            for source in [body, subject] {
                let s = g.snippet(source);
                if !s.highlighted().is_empty() {
                    return Snippet {
                        text: s.fragment().to_string(),
                        highlights: s.highlighted().iter().map(|r| (r.start, r.end)).collect(),
                    };
                }
            }
        }
        let source = if body.trim().is_empty() {
            subject
        } else {
            body
        };
        Snippet {
            text: lead(source, SNIPPET_CHARS),
            highlights: Vec::new(),
        }
    }
}

/// The first `chars` characters of `text`, whitespace collapsed, cut at a word boundary.
fn lead(text: &str, chars: usize) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        if out.chars().count() + word.chars().count() + 1 > chars {
            if out.is_empty() {
                out.extend(word.chars().take(chars));
            }
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_and_marks() {
        let s = Snippet {
            text: "a <b> chữ ký & số".into(),
            highlights: vec![(6, 11), (12, 15)],
        };
        assert_eq!(s.marked("[", "]"), "a <b> [chữ] [ký] & số");
        let html = s.marked_with("<mark>", "</mark>", |t, out| {
            out.push_str(
                &t.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;"),
            )
        });
        assert_eq!(
            html,
            "a &lt;b&gt; <mark>chữ</mark> <mark>ký</mark> &amp; số"
        );
        let bad = Snippet {
            text: "chữ".into(),
            highlights: vec![(1, 3), (0, 99)],
        };
        assert_eq!(bad.marked("[", "]"), "chữ");
    }

    #[test]
    fn lead_cuts_at_words() {
        assert_eq!(lead("  một  hai\nba ", 7), "một hai");
        assert_eq!(lead("abcdefgh", 3), "abc");
    }
}
