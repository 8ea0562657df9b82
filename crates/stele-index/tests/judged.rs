//! Judged search quality: a hand-written Vietnamese corpus (`judged/corpus.json`) and queries
//! (`judged/queries.json`) each naming the records that must appear in the top 10, which must
//! rank above which, and which must not match at all. Both files are written by the Python
//! scripts beside them.

use serde::Deserialize;
use stele_index::{Clearance, Confidentiality, Filters, IndexedRecord, SearchIndex, SearchRequest};
use time::macros::format_description;
use time::Date;

#[derive(Deserialize)]
struct Doc {
    id: String,
    organ_id: String,
    organ_name: String,
    type_name: String,
    code_number: String,
    code_notation: String,
    issued_date: String,
    signers: Vec<String>,
    subject: String,
    text: String,
    confidentiality: String,
    retention: String,
    file_notation: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
struct JudgedFilters {
    agency: Option<String>,
    type_name: Option<String>,
    from: Option<String>,
    to: Option<String>,
    year: Option<i32>,
    signer: Option<String>,
    confidentiality: Option<String>,
    retention: Option<String>,
    file_notation: Option<String>,
}

#[derive(Deserialize)]
struct Judged {
    name: String,
    query: String,
    filters: JudgedFilters,
    clearance: String,
    top10: Vec<String>,
    first: Option<String>,
    above: Vec<(String, String)>,
    absent: Vec<String>,
    total: Option<u64>,
}

fn date(s: &str) -> Date {
    Date::parse(s, format_description!("[year]-[month]-[day]")).expect("date in test data")
}

fn record(d: Doc) -> IndexedRecord {
    IndexedRecord {
        id: d.id,
        text: d.text,
        subject: d.subject,
        organ_id: Some(d.organ_id),
        organ_name: d.organ_name,
        type_name: Some(d.type_name),
        code_number: Some(d.code_number),
        code_notation: Some(d.code_notation),
        issued_date: date(&d.issued_date),
        signers: d.signers,
        confidentiality: d.confidentiality.parse().expect("confidentiality"),
        retention: d.retention,
        file_notation: d.file_notation,
    }
}

fn corpus() -> Vec<IndexedRecord> {
    let docs: Vec<Doc> =
        serde_json::from_str(include_str!("judged/corpus.json")).expect("corpus.json");
    docs.into_iter().map(record).collect()
}

fn index() -> SearchIndex {
    let index = SearchIndex::create_in_ram().unwrap();
    let mut w = index.writer(2, 40_000_000).unwrap();
    for r in corpus() {
        w.add(&r).unwrap();
    }
    w.commit().unwrap();
    index
}

fn filters(f: JudgedFilters) -> Filters {
    Filters {
        agency: f.agency,
        type_name: f.type_name,
        from: f.from.as_deref().map(date),
        to: f.to.as_deref().map(date),
        year: f.year,
        signer: f.signer,
        confidentiality: f
            .confidentiality
            .map(|c| c.parse::<Confidentiality>().unwrap()),
        retention: f.retention,
        file_notation: f.file_notation,
    }
}

#[test]
fn judged_queries() {
    let index = index();
    let judged: Vec<Judged> =
        serde_json::from_str(include_str!("judged/queries.json")).expect("queries.json");
    assert!(judged.len() >= 30);
    let mut failures = Vec::new();
    for j in judged {
        let req = SearchRequest {
            query: j.query.clone(),
            filters: filters(j.filters),
            limit: 100,
            offset: 0,
            clearance: match j.clearance.as_str() {
                "public" => Clearance::PUBLIC,
                _ => Clearance::FULL,
            },
            facets: false,
        };
        let res = match index.search(&req) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: {e}", j.name));
                continue;
            }
        };
        let ids: Vec<&str> = res.hits.iter().map(|h| h.id.as_str()).collect();
        let rank = |id: &str| ids.iter().position(|h| *h == id);
        let mut problems = Vec::new();
        for id in &j.top10 {
            if rank(id).is_none_or(|r| r >= 10) {
                problems.push(format!("{id} not in top 10"));
            }
        }
        if let Some(first) = &j.first {
            if ids.first() != Some(&first.as_str()) {
                problems.push(format!("{first} not first"));
            }
        }
        for (a, b) in &j.above {
            match (rank(a), rank(b)) {
                (Some(ra), Some(rb)) if ra < rb => {}
                (Some(_), None) => {}
                (ra, rb) => problems.push(format!("{a} ({ra:?}) not above {b} ({rb:?})")),
            }
        }
        for id in &j.absent {
            if rank(id).is_some() {
                problems.push(format!("{id} should not match"));
            }
        }
        if let Some(total) = j.total {
            if res.total != total {
                problems.push(format!("total {} != {total}", res.total));
            }
        }
        if res.total as usize != ids.len() {
            problems.push(format!("total {} but {} hits", res.total, ids.len()));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{} ({:?}): {} — got {:?}",
                j.name,
                j.query,
                problems.join("; "),
                &ids[..ids.len().min(12)]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "judged failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn secret_record_never_reaches_a_public_caller() {
    let index = index();
    let mut req = SearchRequest::new("Bạch Hổ");
    req.facets = true;
    req.clearance = Clearance::PUBLIC;
    let public = index.search(&req).unwrap();
    assert_eq!(public.total, 0);
    assert!(public.hits.is_empty());
    assert_eq!(public.facets, Default::default());
    // Listing everything with facets: no secret record in any count.
    let mut all = SearchRequest::new("");
    all.facets = true;
    all.limit = 1000;
    let listed = index.search(&all).unwrap();
    assert_eq!(listed.total, index.num_records(Clearance::PUBLIC).unwrap());
    assert!(listed
        .hits
        .iter()
        .all(|h| h.confidentiality == Confidentiality::None));
    assert_eq!(
        listed.facets.confidentiality,
        vec![stele_index::FacetCount {
            value: "none".into(),
            count: listed.total
        }]
    );
    let facet_total: u64 = listed.facets.year.iter().map(|f| f.count).sum();
    assert_eq!(facet_total, listed.total);

    req.clearance = Clearance::FULL;
    let full = index.search(&req).unwrap();
    assert_eq!(full.total, 1);
    assert_eq!(full.hits[0].id, "d43");
    assert_eq!(full.hits[0].confidentiality, Confidentiality::Mat);
    assert!(full.hits[0]
        .snippet
        .marked("[", "]")
        .contains("[Bạch] [Hổ]"));
    assert_eq!(
        full.facets.confidentiality,
        vec![stele_index::FacetCount {
            value: "Mật".into(),
            count: 1
        }]
    );
    // Mật clearance sees Mật but not Tối mật.
    let k9 = SearchRequest {
        clearance: Clearance(Confidentiality::Mat),
        ..SearchRequest::new("K9")
    };
    assert_eq!(index.search(&k9).unwrap().total, 0);
    assert_eq!(index.num_records(Clearance::FULL).unwrap(), 44);
    assert_eq!(index.num_records(Clearance::PUBLIC).unwrap(), 41);
}

#[test]
fn facets_count_the_matching_records() {
    let index = index();
    let req = SearchRequest {
        facets: true,
        clearance: Clearance::PUBLIC,
        ..SearchRequest::new("ngân sách")
    };
    let res = index.search(&req).unwrap();
    let agency = &res.facets.agency;
    assert_eq!(agency[0].value, "H12.05");
    let sum: u64 = agency.iter().map(|f| f.count).sum();
    assert_eq!(sum, res.total);
    // Sorted by count, then value.
    for w in agency.windows(2) {
        assert!(w[0].count > w[1].count || (w[0].count == w[1].count && w[0].value < w[1].value));
    }
    assert!(res.facets.signer.iter().any(|f| f.value == "Trần Thị Bích"));
    assert!(res.facets.year.iter().any(|f| f.value == "2024"));
    assert!(!res.facets.type_name.is_empty());
    assert!(!res.facets.retention.is_empty());
}

#[test]
fn snippets_highlight_accented_text_for_unaccented_queries() {
    let index = index();
    let res = index.search(&SearchRequest::new("chu ky so")).unwrap();
    let hit = res.hits.iter().find(|h| h.id == "d01").unwrap();
    let marked = hit.snippet.marked("[", "]");
    assert!(marked.contains("[chữ] [ký] [số]"), "{marked}");
    assert!(hit
        .snippet
        .marked("<mark>", "</mark>")
        .contains("<mark>chữ</mark>"));
    // NFD text is stored as NFC, so snippets are NFC.
    let res = index.search(&SearchRequest::new("thiet bi")).unwrap();
    let marked = res.hits[0].snippet.marked("[", "]");
    assert!(marked.contains("[thiết] [bị]"), "{marked}");
    // Match only in the subject: the snippet comes from the subject.
    let res = index.search(&SearchRequest::new("hội khỏe")).unwrap();
    assert_eq!(res.hits[0].id, "d33");
    let marked = res.hits[0].snippet.marked("[", "]");
    assert!(marked.contains("[hội] [khỏe]"), "{marked}");
    // Listing without words: the start of the text, nothing highlighted.
    let list = SearchRequest {
        filters: Filters {
            agency: Some("H12.20".into()),
            ..Default::default()
        },
        ..SearchRequest::new("")
    };
    let res = index.search(&list).unwrap();
    assert!(res
        .hits
        .iter()
        .all(|h| h.snippet.highlights.is_empty() && !h.snippet.text.is_empty()));
}

#[test]
fn re_adding_an_id_replaces_the_record() {
    let index = SearchIndex::create_in_ram().unwrap();
    let mut w = index.writer(1, 20_000_000).unwrap();
    let mut r = corpus().remove(0);
    w.add(&r).unwrap();
    w.commit().unwrap();
    r.text = "Nội dung mới về thủy lợi.".into();
    w.add(&r).unwrap();
    w.commit().unwrap();
    assert_eq!(index.num_records(Clearance::FULL).unwrap(), 1);
    assert!(index.contains(&r.id).unwrap());
    assert!(!index.contains("nope").unwrap());
    assert_eq!(
        index.search(&SearchRequest::new("thuy loi")).unwrap().total,
        1
    );
    assert_eq!(
        index
            .search(&SearchRequest::new("chứng thư"))
            .unwrap()
            .total,
        0
    );
    w.delete_all().unwrap();
    w.commit().unwrap();
    assert_eq!(index.num_records(Clearance::FULL).unwrap(), 0);
}

#[test]
fn results_serialize_with_iso_dates_and_labels() {
    let index = index();
    let res = index
        .search(&SearchRequest {
            facets: true,
            ..SearchRequest::new("1500/UBND-CNTT")
        })
        .unwrap();
    let json = serde_json::to_value(&res).unwrap();
    let hit = &json["hits"][0];
    assert_eq!(hit["id"], "d01");
    assert_eq!(hit["issued_date"], "2024-03-15");
    assert_eq!(hit["number_notation"], "1500/UBND-CNTT");
    assert_eq!(hit["confidentiality"], "none");
    assert!(hit["snippet"]["highlights"].is_array());
    assert!(json["facets"]["agency"].is_array());
}

#[test]
fn on_disk_index_reopens_and_locks() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open_or_create(dir.path()).unwrap();
        let mut w = index.writer(1, 20_000_000).unwrap();
        w.add(&corpus().remove(0)).unwrap();
        w.commit().unwrap();
        let second = index.writer(1, 20_000_000);
        assert!(matches!(second, Err(stele_index::IndexError::Locked(_))));
        let e = second.err().unwrap().to_string();
        assert!(e.contains("locked"), "{e}");
    }
    let index = SearchIndex::open_or_create(dir.path()).unwrap();
    assert_eq!(index.num_records(Clearance::FULL).unwrap(), 1);
    drop(index);
    std::fs::write(dir.path().join("stele-index-version"), "0\n").unwrap();
    let e = SearchIndex::open_or_create(dir.path()).unwrap_err();
    assert!(matches!(e, stele_index::IndexError::SchemaChanged { .. }));
    assert!(e.to_string().contains("stele reindex"), "{e}");
    let index = SearchIndex::recreate(dir.path()).unwrap();
    assert_eq!(index.num_records(Clearance::FULL).unwrap(), 0);
}

/// The pruned search (candidate passes, re-scored clause by clause) ranks exactly as the full
/// query over every match whenever the candidates hold every match, as in this small corpus:
/// same hits in the same order, same scores up to rounding, same totals.
#[test]
fn pruned_ranking_equals_the_full_query() {
    let index = index();
    let judged: Vec<Judged> =
        serde_json::from_str(include_str!("judged/queries.json")).expect("queries.json");
    let mut checked = 0;
    for j in judged {
        for clearance in [Clearance::PUBLIC, Clearance::FULL] {
            for (limit, offset) in [(100, 0), (3, 0), (3, 2)] {
                let req = SearchRequest {
                    query: j.query.clone(),
                    filters: filters(j.filters.clone()),
                    limit,
                    offset,
                    clearance,
                    facets: true,
                };
                let (Ok(fast), Ok(full)) = (index.search(&req), index.search_exhaustive(&req))
                else {
                    continue;
                };
                let ids = |r: &stele_index::SearchResults| -> Vec<String> {
                    r.hits.iter().map(|h| h.id.clone()).collect()
                };
                assert_eq!(ids(&fast), ids(&full), "{} ({:?})", j.name, j.query);
                for (a, b) in fast.hits.iter().zip(&full.hits) {
                    assert!(
                        (a.score - b.score).abs() <= 1e-3 * b.score.abs().max(1.0),
                        "{}: {} scored {} and {}",
                        j.name,
                        a.id,
                        a.score,
                        b.score
                    );
                }
                assert_eq!(fast.total, full.total, "{}", j.name);
                assert_eq!(fast.facets, full.facets, "{}", j.name);
                checked += 1;
            }
        }
    }
    assert!(checked >= 100, "{checked}");
}

/// Candidate passes run without the clearance (it would turn tantivy's pruning off), so the best
/// candidates can all be secret: the re-scoring drops them, and a public caller still gets the
/// best public records, never a secret one, in hits, total or facets.
#[test]
fn secret_records_crowding_the_candidates_never_reach_a_public_caller() {
    let index = SearchIndex::create_in_ram().unwrap();
    let mut w = index.writer(1, 20_000_000).unwrap();
    let base = corpus().into_iter().next().unwrap();
    for i in 0..700 {
        let secret = i < 600;
        let text = if secret {
            // Strong matches: the words many times, in the subject too.
            "chữ ký số chứng thư số ".repeat(20)
        } else {
            format!("Văn bản {i} về chữ ký số và chứng thư số của cơ quan.")
        };
        w.add(&IndexedRecord {
            id: format!("r{i:04}"),
            subject: if secret {
                "Chữ ký số".into()
            } else {
                format!("Công văn {i}")
            },
            text,
            confidentiality: if secret {
                Confidentiality::TuyetMat
            } else {
                Confidentiality::None
            },
            ..base.clone()
        })
        .unwrap();
    }
    w.commit().unwrap();
    for query in ["chữ ký số", "chu ky so", "ký số chứng thư", "\"chữ ký số\""] {
        let req = SearchRequest {
            limit: 20,
            facets: true,
            ..SearchRequest::new(query)
        };
        let res = index.search(&req).unwrap();
        assert_eq!(res.total, 100, "{query}");
        assert_eq!(res.hits.len(), 20, "{query}");
        assert!(
            res.hits
                .iter()
                .all(|h| h.confidentiality == Confidentiality::None && h.id.as_str() >= "r0600"),
            "{query}"
        );
        let conf: u64 = res.facets.confidentiality.iter().map(|f| f.count).sum();
        assert_eq!(conf, 100, "{query}");
        let full = index.search_exhaustive(&req).unwrap();
        let ids = |r: &stele_index::SearchResults| -> Vec<String> {
            r.hits.iter().map(|h| h.id.clone()).collect()
        };
        assert_eq!(ids(&res), ids(&full), "{query}");
    }
}
