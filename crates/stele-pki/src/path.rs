//! Path building: from the end entity up to an anchor, by issuer name, with the authority key
//! identifier as an ordering hint. Bounded so that hostile certificate sets cannot explode.

use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};
use x509_cert::Certificate;

use crate::anchors::TrustAnchor;
use crate::ext;
use crate::names::NormName;
use crate::oids;

/// Longest path considered, in certificates below the anchor.
pub(crate) const MAX_DEPTH: usize = 10;
/// Most issuer candidates tried per certificate.
const MAX_CANDIDATES: usize = 8;
/// Most complete paths returned.
const MAX_PATHS: usize = 32;
/// Most search steps overall.
const MAX_STEPS: usize = 2_000;

/// A candidate path: `certs[0]` is the end entity; the last one was issued by `anchor`.
pub(crate) struct Candidate<'a> {
    pub(crate) certs: Vec<&'a Certificate>,
    pub(crate) anchor: &'a TrustAnchor,
}

struct Builder<'a> {
    intermediates: Vec<(&'a Certificate, NormName)>,
    anchors: Vec<(&'a TrustAnchor, NormName)>,
    out: Vec<Candidate<'a>>,
    steps: usize,
}

fn aki(cert: &Certificate) -> Option<Vec<u8>> {
    ext::get::<AuthorityKeyIdentifier>(cert, oids::CE_AUTHORITY_KEY_IDENTIFIER)
        .ok()
        .flatten()
        .and_then(|a| a.key_identifier.map(|k| k.as_bytes().to_vec()))
}

fn ski(cert: &Certificate) -> Option<Vec<u8>> {
    ext::get::<SubjectKeyIdentifier>(cert, oids::CE_SUBJECT_KEY_IDENTIFIER)
        .ok()
        .flatten()
        .map(|s| s.0.as_bytes().to_vec())
}

/// 0 when the key identifiers match, 1 when unknown, 2 when they differ (tried last).
fn key_id_rank(child: &Certificate, issuer: &Certificate) -> u8 {
    match (aki(child), ski(issuer)) {
        (Some(a), Some(s)) if a == s => 0,
        (Some(_), Some(_)) => 2,
        _ => 1,
    }
}

impl<'a> Builder<'a> {
    fn walk(&mut self, path: &mut Vec<&'a Certificate>) {
        self.steps += 1;
        if self.steps > MAX_STEPS || self.out.len() >= MAX_PATHS {
            return;
        }
        let Some(&cur) = path.last() else { return };
        let iss = NormName::new(ext::issuer(cur));
        let mut anchors: Vec<_> = self
            .anchors
            .iter()
            .filter(|(_, n)| *n == iss)
            .map(|(a, _)| *a)
            .collect();
        anchors.sort_by_key(|a| key_id_rank(cur, &a.certificate));
        for a in anchors {
            // A path never runs through a copy of its own anchor.
            if path.iter().any(|c| **c == a.certificate) {
                continue;
            }
            if self.out.len() < MAX_PATHS {
                self.out.push(Candidate {
                    certs: path.clone(),
                    anchor: a,
                });
            }
        }
        if path.len() >= MAX_DEPTH {
            return;
        }
        let mut next: Vec<&'a Certificate> = self
            .intermediates
            .iter()
            .filter(|(c, n)| {
                *n == iss
                    && !path.contains(c)
                    && !self.anchors.iter().any(|(a, _)| a.certificate == **c)
            })
            .map(|(c, _)| *c)
            .collect();
        next.sort_by_key(|c| key_id_rank(cur, c));
        next.truncate(MAX_CANDIDATES);
        for c in next {
            path.push(c);
            self.walk(path);
            path.pop();
        }
    }
}

/// Candidate paths for `ee`, shortest-first within each branch, at most `MAX_PATHS`.
pub(crate) fn build<'a>(
    ee: &'a Certificate,
    intermediates: &'a [Certificate],
    anchors: &'a [TrustAnchor],
) -> Vec<Candidate<'a>> {
    let mut b = Builder {
        intermediates: intermediates
            .iter()
            .map(|c| (c, NormName::new(ext::subject(c))))
            .collect(),
        anchors: anchors
            .iter()
            .map(|a| (a, NormName::new(ext::subject(&a.certificate))))
            .collect(),
        out: Vec::new(),
        steps: 0,
    };
    let mut path = vec![ee];
    b.walk(&mut path);
    b.out
}
