#![no_main]
// Search queries and filters against a small in-RAM index: results or a query error, never a
// panic, and never a hit above the request's clearance.
use std::sync::OnceLock;

use stele_index::{
    Clearance, Confidentiality, Filters, IndexError, IndexedRecord, SearchIndex, SearchRequest,
};

fn index() -> &'static SearchIndex {
    static INDEX: OnceLock<SearchIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let index = SearchIndex::create_in_ram().expect("in-RAM index");
        let mut w = index.writer(1, 20_000_000).expect("writer");
        let texts = [
            "Về việc triển khai chữ ký số trong cơ quan nhà nước",
            "Giá xăng dầu và con dấu, đậu tương",
            "Quyết định 25/QĐ-UBND giao dự toán ngân sách",
            "Kế hoạch Bạch Hổ: tài liệu mật",
        ];
        for (i, text) in texts.iter().enumerate() {
            w.add(&IndexedRecord {
                id: format!("{i:02x}"),
                text: text.repeat(4),
                subject: text.to_string(),
                organ_id: Some(format!("H12.{i:02}")),
                organ_name: "Văn phòng Ủy ban nhân dân tỉnh".into(),
                type_name: Some(["Công văn", "Quyết định"][i % 2].into()),
                code_number: Some(format!("{}", 1500 + i)),
                code_notation: Some("UBND-CNTT".into()),
                issued_date: time::Date::from_calendar_date(2020 + i as i32, time::Month::May, 1)
                    .expect("date"),
                signers: vec!["Nguyễn Văn An".into(), "Trần Thị Bích".into()],
                confidentiality: Confidentiality::ALL[i % 4],
                retention: format!("0{}", 1 + i % 7),
                file_notation: Some(format!("HS-{i}")),
            })
            .expect("add");
        }
        w.commit().expect("commit");
        index
    })
}

/// Splits `data` into a control byte block and text fields separated by 0xFF.
fn fields(data: &[u8]) -> (u64, Vec<String>) {
    let (head, rest) = data.split_at(data.len().min(8));
    let mut control = [0u8; 8];
    control[..head.len()].copy_from_slice(head);
    let texts = rest
        .split(|&b| b == 0xFF)
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .collect();
    (u64::from_le_bytes(control), texts)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (c, texts) = fields(data);
    let text = |i: usize| texts.get(i).cloned();
    let on = |bit: u32| c >> bit & 1 == 1;
    let date =
        |shift: u32| time::Date::from_julian_day(2_400_000 + (c >> shift & 0xFFFF) as i32 * 3).ok();
    let req = SearchRequest {
        query: text(0).unwrap_or_default(),
        filters: Filters {
            agency: text(1).filter(|_| on(0)),
            type_name: text(2).filter(|_| on(1)),
            signer: text(3).filter(|_| on(2)),
            retention: text(4).filter(|_| on(3)),
            file_notation: text(5).filter(|_| on(4)),
            from: date(8).filter(|_| on(5)),
            to: date(24).filter(|_| on(6)),
            year: on(7).then(|| (c >> 40 & 0xFF) as i32 + 1950),
            confidentiality: on(56).then(|| Confidentiality::ALL[(c >> 57 & 3) as usize]),
        },
        limit: (c >> 48 & 0xF) as usize * 3,
        offset: (c >> 63) as usize,
        clearance: Clearance(Confidentiality::ALL[(c >> 60 & 3) as usize]),
        facets: on(62),
    };
    match index().search(&req) {
        Ok(res) => {
            assert!(res.hits.len() <= req.limit);
            let visible = index().num_records(req.clearance).expect("count");
            assert!(res.total <= visible, "{} > {visible}", res.total);
            for f in &res.facets.confidentiality {
                let level: Confidentiality = f.value.parse().expect("a level");
                assert!(req.clearance.allows(level), "facet {}", f.value);
            }
            for h in &res.hits {
                assert!(req.clearance.allows(h.confidentiality));
                let _ = h.snippet.to_html();
            }
        }
        Err(IndexError::Query(_)) => {}
        Err(e) => panic!("unexpected error: {e}"),
    }
});
