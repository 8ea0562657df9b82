//! Search as an archivist meets it (issue 4): a folder of Vietnamese PDFs made by LibreOffice in
//! several fonts, each with its metadata sidecar, plus a signed CMS letter, ingested with
//! `stele ingest`; then `stele search` finds them without accents, ranks the phrase above
//! scattered syllables and exact spellings above folded ones, looks up a number and notation,
//! filters by metadata, shows highlighted snippets, includes the secret record (the local CLI has
//! full clearance) and prints JSON that follows `schemas/search.schema.json`. `stele reindex`
//! rebuilds a lost index from the store with the same results.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use stele_tests::archive::{
    archived_ids, fresh_archive, json, ok, signed_cong_van, stele_at, with_config,
};
use stele_tests::office;
use stele_tests::pki::TestPki;
use stele_tests::schemas::{assert_valid, validator};
use stele_tests::{describe, stele_bin};

/// name, font, text, metadata (the JSON sidecar).
struct Doc {
    name: &'static str,
    font: &'static str,
    text: &'static str,
    meta: String,
}

/// The sidecar: `[OrganId, OrganName, CodeNumber, CodeNotation, TypeName, IssuedDate, Subject,
/// signer's FullName, Confidentiality]`.
fn meta(fields: [&str; 9]) -> String {
    let [organ_id, organ, number, notation, type_name, date, subject, signer, confidentiality] =
        fields;
    let access = if confidentiality == "none" {
        "01"
    } else {
        "03"
    };
    serde_json::json!({
        "OrganId": organ_id, "OrganName": organ, "CodeNumber": number, "CodeNotation": notation,
        "TypeName": type_name, "IssuedDate": date, "Subject": subject,
        "SignerInfo": [{"Position": "Chủ tịch", "FullName": signer}],
        "Confidentiality": confidentiality, "Retention": "01", "AccessMode": access,
    })
    .to_string()
}

fn docs() -> Vec<Doc> {
    vec![
        Doc {
            name: "qd-1500",
            font: "DejaVu Sans",
            text: "ỦY BAN NHÂN DÂN TỈNH HÀ GIANG\n\nQUYẾT ĐỊNH\n\nVề việc triển khai chữ ký số trong các cơ quan nhà nước của tỉnh\n\nCác sở, ban, ngành sử dụng chữ ký số chuyên dùng cho văn bản điện tử gửi đi.",
            meta: meta(["000.00.00.H12", "Ủy ban nhân dân tỉnh Hà Giang", "1500", "UBND-CNTT", "Quyết định", "2026-03-15", "Triển khai chữ ký số trong cơ quan nhà nước", "Nguyễn Văn An", "none"]),
        },
        Doc {
            name: "cv-625",
            font: "Liberation Serif",
            text: "ỦY BAN NHÂN DÂN TỈNH CAO BẰNG\n\nCÔNG VĂN\n\nVề việc hỗ trợ giống đậu tương cho nông dân vụ đông năm 2025.\n\nSở Nông nghiệp phối hợp kiểm tra chất lượng giống đậu tương trước khi cấp phát.",
            meta: meta(["000.00.00.H13", "Ủy ban nhân dân tỉnh Cao Bằng", "625", "UBND", "Công văn", "2025-10-02", "Hỗ trợ giống đậu tương vụ đông", "Trần Thị Bình", "none"]),
        },
        Doc {
            name: "cv-dau",
            font: "DejaVu Serif",
            text: "SỞ CÔNG THƯƠNG TỈNH CAO BẰNG\n\nCÔNG VĂN\n\nVề việc bình ổn giá dầu hỏa và dầu diesel trên địa bàn tỉnh.\n\nCác cửa hàng xăng dầu niêm yết giá bán công khai.",
            meta: meta(["000.00.00.H13", "Sở Công Thương tỉnh Cao Bằng", "88", "SCT-QLTM", "Công văn", "2025-11-20", "Bình ổn giá xăng dầu", "Trần Thị Bình", "none"]),
        },
        Doc {
            name: "tb-scattered",
            font: "Liberation Sans",
            text: "ỦY BAN NHÂN DÂN TỈNH HÀ GIANG\n\nTHÔNG BÁO\n\nChữ viết trên biển hiệu phải rõ ràng. Người đứng đầu ký duyệt danh sách. Số lượng biển hiệu được kiểm tra hằng quý.",
            meta: meta(["000.00.00.H12", "Ủy ban nhân dân tỉnh Hà Giang", "12", "TB-UBND", "Thông báo", "2026-01-05", "Quản lý biển hiệu quảng cáo", "Lê Văn Cường", "none"]),
        },
        Doc {
            name: "kh-mat",
            font: "Liberation Mono",
            text: "CÔNG AN TỈNH HÀ GIANG\n\nKẾ HOẠCH\n\nBảo vệ hệ thống chứng thư số và chữ ký số của lực lượng trong đợt cao điểm.",
            meta: meta(["000.00.00.H12", "Công an tỉnh Hà Giang", "7", "KH-CAT", "Kế hoạch", "2026-02-01", "Kế hoạch bảo vệ hệ thống chứng thư số", "Phạm Văn Dũng", "Mật"]),
        },
    ]
}

fn search(home: &Path, now: time::OffsetDateTime, args: &[&str]) -> Value {
    let mut all = vec!["search", "--json"];
    all.extend_from_slice(args);
    json(&ok(stele_at(home, now, &all)))
}

fn ids(results: &Value) -> Vec<String> {
    results["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

fn failed(out: Output, code: i32, needle: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", describe(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(needle),
        "stderr lacks {needle:?}: {}",
        describe(&out)
    );
}

#[test]
fn ingested_vietnamese_pdfs_are_found_with_and_without_accents() {
    if office::soffice().is_none() {
        return;
    }
    let schema = validator("search.schema.json");
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let now = pki.created_at + time::Duration::days(1);
    let (tmp, home) = fresh_archive(pki, now);

    let folder = tmp.path().join("incoming");
    std::fs::create_dir_all(&folder).unwrap();
    let docs = docs();
    let specs: Vec<(String, String, String)> = docs
        .iter()
        .map(|d| (d.name.to_string(), d.text.to_string(), d.font.to_string()))
        .collect();
    let pdfs = office::vietnamese_pdfs(&folder, &specs);
    for (doc, pdf) in docs.iter().zip(&pdfs) {
        let mut sidecar = pdf.as_os_str().to_owned();
        sidecar.push(".meta.json");
        std::fs::write(&sidecar, &doc.meta).unwrap();
    }
    // A signed CMS letter: its text is the enveloped content.
    let p7m = signed_cong_van(pki, 210, "V/v lưu trữ hồ sơ điện tử của các xã biên giới.");
    let p7m_path = folder.join("cong-van-210.p7m");
    std::fs::write(&p7m_path, &p7m).unwrap();
    std::fs::write(
        folder.join("cong-van-210.p7m.meta.json"),
        meta([
            "000.00.00.H12",
            "Ủy ban nhân dân tỉnh Hà Giang",
            "210",
            "UBND-VP",
            "Công văn",
            "2026-04-01",
            "Lưu trữ hồ sơ điện tử",
            "Nguyễn Văn An",
            "none",
        ]),
    )
    .unwrap();
    // The LibreOffice working files are not documents.
    std::fs::remove_dir_all(folder.join("fodt")).unwrap();
    std::fs::remove_dir_all(folder.join("lo-profile")).unwrap();

    let out = ok(stele_at(
        &home,
        now,
        &[
            "ingest",
            "--json",
            "--recursive",
            "--allow-unsigned",
            folder.to_str().unwrap(),
        ],
    ));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("warning"),
        "{}",
        describe(&out)
    );
    let id_of = archived_ids(&out);
    assert_eq!(id_of.len(), 6, "{id_of:?}");
    let id = |name: &str| id_of[name].clone();

    // Unaccented words find the accented text; the documents with the phrase rank above the one
    // with the three syllables scattered; the secret plan is there (full clearance).
    let r = search(&home, now, &["chu ky so"]);
    assert_valid(&schema, "search chu ky so", &r);
    let found = ids(&r);
    assert_eq!(r["total"], 3, "{r:#}");
    assert!(found[..2].contains(&id("qd-1500")), "{r:#}");
    assert!(found[..2].contains(&id("kh-mat")), "{r:#}");
    assert_eq!(found[2], id("tb-scattered"), "{r:#}");
    let secret = &r["hits"][found.iter().position(|i| *i == id("kh-mat")).unwrap()];
    assert_eq!(secret["confidentiality"], "Mật");

    // Snippets carry the matched words, highlighted.
    let hit = &r["hits"][0];
    let text = hit["snippet"]["text"].as_str().unwrap();
    let marked: Vec<&str> = hit["snippet"]["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| &text[h[0].as_u64().unwrap() as usize..h[1].as_u64().unwrap() as usize])
        .collect();
    assert!(
        marked.iter().any(|w| w.to_lowercase() == "chữ"),
        "highlights {marked:?} in {text:?}"
    );
    // The human form: a numbered list with the snippet, matches in [brackets] when not on a
    // terminal.
    let human = ok(stele_at(&home, now, &["search", "chu ky so"]));
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(human.contains("3 record(s)"), "{human}");
    assert!(
        human.contains("[chữ]") || human.contains("[Chữ]"),
        "{human}"
    );
    assert!(human.contains("1500/UBND-CNTT"), "{human}");
    assert!(human.contains("[Mật]"), "{human}");
    // Into a pipe whose reader has gone (`stele search … | head` once head has its lines): the
    // command ends quietly, by SIGPIPE as grep does, instead of panicking about stdout.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = Command::new(stele_bin());
    cmd.stdout(writer);
    let out = with_config(cmd, &home.join("stele.toml"), now, &["search", "chu ky so"])
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(13), "{}", describe(&out));
    assert!(out.stderr.is_empty(), "{}", describe(&out));

    // Exact spelling ranks first: dầu (oil) above đậu (beans), and the other way round.
    let r = search(&home, now, &["dầu"]);
    assert_eq!(ids(&r).first(), Some(&id("cv-dau")), "{r:#}");
    let r = search(&home, now, &["đậu"]);
    assert_eq!(ids(&r).first(), Some(&id("cv-625")), "{r:#}");
    // A quoted phrase must appear as such.
    let r = search(&home, now, &["\"giống đậu tương\""]);
    assert_eq!(ids(&r), vec![id("cv-625")], "{r:#}");

    // Number and notation.
    let r = search(&home, now, &["1500/UBND-CNTT"]);
    assert_eq!(ids(&r).first(), Some(&id("qd-1500")), "{r:#}");
    let r = search(&home, now, &["625/UBND"]);
    assert_eq!(ids(&r).first(), Some(&id("cv-625")), "{r:#}");

    // The signed CMS letter is found by its enveloped text.
    let r = search(&home, now, &["xa bien gioi"]);
    assert_eq!(ids(&r), vec![id("cong-van-210")], "{r:#}");

    // Metadata filters, alone and with words; facets.
    let r = search(&home, now, &["--agency", "000.00.00.H13"]);
    let mut got = ids(&r);
    got.sort();
    let mut want = vec![id("cv-625"), id("cv-dau")];
    want.sort();
    assert_eq!(got, want, "{r:#}");
    let r = search(&home, now, &["chu ky so", "--type", "quyet dinh"]);
    assert_eq!(ids(&r), vec![id("qd-1500")], "{r:#}");
    let r = search(&home, now, &["--from", "2026-01-01", "--to", "2026-02-28"]);
    assert_eq!(ids(&r), vec![id("kh-mat"), id("tb-scattered")], "{r:#}");
    let r = search(&home, now, &["--signer", "tran thi binh", "--year", "2025"]);
    assert_eq!(r["total"], 2, "{r:#}");
    let r = search(&home, now, &["--confidentiality", "Mật"]);
    assert_eq!(ids(&r), vec![id("kh-mat")], "{r:#}");
    let r = search(&home, now, &["chu ky so", "--facets"]);
    assert_valid(&schema, "search --facets", &r);
    let years: Vec<(String, u64)> = r["facets"]["year"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["value"].as_str().unwrap().to_string(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(years, vec![("2026".to_string(), 3)], "{r:#}");

    // Bad input is a usage error naming the problem.
    failed(
        stele_at(&home, now, &["search", "x", "--from", "2026-13-01"]),
        2,
        "2026-13-01",
    );
    failed(
        stele_at(&home, now, &["search", "x", "--retention", "9"]),
        2,
        "retention",
    );

    // The index is derived: lost, it is rebuilt from the store with the same answers.
    let before = search(&home, now, &["chu ky so"]);
    let index_dir = home.join("index");
    assert!(
        index_dir.is_dir(),
        "the index lives in {}",
        index_dir.display()
    );
    std::fs::remove_dir_all(&index_dir).unwrap();
    failed(
        stele_at(&home, now, &["search", "chu ky so"]),
        2,
        "stele reindex",
    );
    let out = ok(stele_at(&home, now, &["reindex", "--json"]));
    let report = json(&out);
    assert_eq!(report["indexed"], 6, "{report:#}");
    assert_eq!(report["failed"], 0, "{report:#}");
    assert_eq!(report["without_text"], 0, "{report:#}");
    let after = search(&home, now, &["chu ky so"]);
    assert_eq!(ids(&after), ids(&before));
    // Catching up adds only what the index lacks: here nothing.
    let report = json(&ok(stele_at(
        &home,
        now,
        &["reindex", "--missing", "--json"],
    )));
    assert_eq!(report["indexed"], 0, "{report:#}");

    // Ingesting the same folder again adds nothing, and the index stays as it was.
    ok(stele_at(
        &home,
        now,
        &[
            "ingest",
            "--recursive",
            "--allow-unsigned",
            folder.to_str().unwrap(),
        ],
    ));
    let again = search(&home, now, &["chu ky so"]);
    assert_eq!(ids(&again), ids(&before));
    assert_eq!(again["total"], 3);
}
