//! Arbitrary query strings and filters never panic: the answer is results or a query error.

use std::sync::OnceLock;

use proptest::prelude::*;
use stele_index::{
    Clearance, Confidentiality, Filters, IndexError, IndexedRecord, SearchIndex, SearchRequest,
};

fn index() -> &'static SearchIndex {
    static INDEX: OnceLock<SearchIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let index = SearchIndex::create_in_ram().unwrap();
        let mut w = index.writer(1, 20_000_000).unwrap();
        for (i, text) in [
            "Về việc triển khai chữ ký số",
            "Giá xăng dầu",
            "Quyết định 25/QĐ-UBND",
        ]
        .iter()
        .enumerate()
        {
            w.add(&IndexedRecord {
                id: format!("{i:02x}"),
                text: text.repeat(3),
                subject: text.to_string(),
                organ_id: Some("H12.01".into()),
                organ_name: "Văn phòng".into(),
                type_name: Some("Công văn".into()),
                code_number: Some(format!("{}", 100 + i)),
                code_notation: Some("UBND-CNTT".into()),
                issued_date: time::Date::from_calendar_date(2024, time::Month::March, 1 + i as u8)
                    .unwrap(),
                signers: vec!["Nguyễn Văn An".into()],
                confidentiality: Confidentiality::ALL[i % 4],
                retention: "01".into(),
                file_notation: None,
            })
            .unwrap();
        }
        w.commit().unwrap();
        index
    })
}

fn query_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        // Pieces that exercise the parser: quotes, slashes, marks, combining characters.
        proptest::collection::vec(
            prop_oneof![
                Just("\"".to_string()),
                Just("“".to_string()),
                Just("/".to_string()),
                Just(" ".to_string()),
                Just("-".to_string()),
                Just("\u{301}".to_string()),
                Just("chữ".to_string()),
                Just("ký".to_string()),
                Just("QĐ-UBND".to_string()),
                Just("1500/".to_string()),
                "[a-zđĐ0-9]{1,8}",
                "\\PC{1,4}",
            ],
            0..60
        )
        .prop_map(|v| v.concat()),
    ]
}

fn opt_string() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![any::<String>(), "[A-Za-z0-9 .đ]{0,12}"])
}

fn date() -> impl Strategy<Value = Option<time::Date>> {
    proptest::option::of(
        (-9999i32..9999, 1u16..=366).prop_filter_map("valid date", |(y, d)| {
            time::Date::from_ordinal_date(y, d).ok()
        }),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn arbitrary_queries_never_panic(
        query in query_text(),
        agency in opt_string(),
        type_name in opt_string(),
        signer in opt_string(),
        retention in opt_string(),
        file_notation in opt_string(),
        from in date(),
        to in date(),
        year in proptest::option::of(any::<i32>()),
        conf in proptest::option::of(0usize..4),
        clearance in 0usize..4,
        limit in 0usize..2000,
        offset in 0usize..200_000,
        facets in any::<bool>(),
    ) {
        let req = SearchRequest {
            query,
            filters: Filters {
                agency, type_name, from, to, year, signer,
                confidentiality: conf.map(|c| Confidentiality::ALL[c]),
                retention, file_notation,
            },
            limit, offset,
            clearance: Clearance(Confidentiality::ALL[clearance]),
            facets,
        };
        match index().search(&req) {
            Ok(res) => {
                prop_assert!(res.hits.len() <= limit);
                for h in &res.hits {
                    prop_assert!(req.clearance.allows(h.confidentiality));
                    for &(a, b) in &h.snippet.highlights {
                        prop_assert!(h.snippet.text.get(a..b).is_some());
                    }
                }
            }
            Err(IndexError::Query(msg)) => prop_assert!(!msg.is_empty()),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
