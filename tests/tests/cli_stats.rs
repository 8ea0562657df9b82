//! The signing-rate statistics as an archivist meets them (issue 5 item 5): `stele init`, then
//! documents of two agencies over two months ingested with their metadata sidecars — CMS letters
//! signed by a personal certificate (`UID=CCCD:`), by an organisation certificate (`UID=MST:`),
//! by both (two SignerInfos), a PDF signed by both (pyHanko), an unsigned PDF — plus two secret
//! documents, one in a month nothing else was issued in. `stele stats --json` gives exactly the
//! expected counts with the secret ones nowhere and follows `schemas/stats.schema.json`; `--csv`
//! parses to the same figures; `--by month` sums the agencies; the filters, the table, the chart
//! and the usage errors.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Value};
use stele_tests::archive::{fresh_archive, json, json_lines, ok, stele_at};
use stele_tests::describe;
use stele_tests::pki::{openssl, pyhanko, TestPki};
use stele_tests::schemas::{assert_valid, validator};

const HA_GIANG: &str = "Ủy ban nhân dân tỉnh Hà Giang";
const HA_GIANG_ID: &str = "000.00.00.H12";
/// No OrganId; a comma and quotes, for the CSV.
const TU_PHAP: &str = "Sở Tư pháp, \"tỉnh\" Hà Giang";

/// OrganId, OrganName, IssuedDate, Confidentiality.
type Sidecar<'a> = (Option<&'a str>, &'a str, &'a str, &'a str);

fn sidecar(organ_id: Option<&str>, organ: &str, date: &str, confidentiality: &str) -> String {
    let mut meta = json!({
        "OrganName": organ, "IssuedDate": date, "Subject": "Về việc thống kê chữ ký số",
        "TypeName": "Công văn", "Confidentiality": confidentiality, "Retention": "01",
        "AccessMode": if confidentiality == "none" { "01" } else { "03" },
    });
    if let Some(id) = organ_id {
        meta["OrganId"] = json!(id);
    }
    meta.to_string()
}

/// A CMS letter signed by the leader (personal) and the agency (organisation) together: two
/// SignerInfos, as `openssl cms -sign` makes with two `-signer`.
fn signed_by_both(pki: &TestPki, dir: &Path, text: &str) -> Vec<u8> {
    let content = dir.join("both-content.txt");
    let out = dir.join("both.p7m");
    std::fs::write(&content, text).unwrap();
    let path = |p: &Path| p.to_str().unwrap().to_string();
    openssl(
        dir,
        [
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-cades",
            "-md",
            "sha256",
            "-outform",
            "DER",
        ]
        .map(String::from)
        .into_iter()
        .chain([
            "-in".into(),
            path(&content),
            "-signer".into(),
            path(&pki.leader.cert_pem),
            "-inkey".into(),
            path(&pki.leader.key_pem),
            "-signer".into(),
            path(&pki.agency.cert_pem),
            "-inkey".into(),
            path(&pki.agency.key_pem),
            "-certfile".into(),
            path(pki.chain_pem()),
            "-out".into(),
            path(&out),
        ]),
    );
    std::fs::read(&out).unwrap()
}

/// RFC 4180 records (quoted fields with doubled quotes, CRLF line ends).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => assert_eq!(chars.next(), Some('\n'), "CR without LF"),
            (false, '\n') => panic!("a line ends without CR:\n{text}"),
            (false, c) => field.push(c),
        }
        if !quoted && c == '\r' {
            row.push(std::mem::take(&mut field));
            rows.push(std::mem::take(&mut row));
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "no CRLF at the end:\n{text}"
    );
    rows
}

/// (agency, month) → [issued, personal, organisation, both, none] from `--json` rows.
fn counts(stats: &Value) -> HashMap<(Value, Value), [u64; 5]> {
    stats["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap();
            (
                (r["agency"].clone(), r["month"].clone()),
                [
                    n("issued"),
                    n("personal"),
                    n("organisation"),
                    n("both"),
                    n("none"),
                ],
            )
        })
        .collect()
}

#[test]
fn signing_rates_per_agency_and_month() {
    let Some(ph) = pyhanko() else { return };
    let schema = validator("stats.schema.json");
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let pdfs = ph.shared_pdfs();
    let now = pki.created_at + time::Duration::days(1);
    let (tmp, home) = fresh_archive(pki, now);

    let incoming = tmp.path().join("incoming");
    std::fs::create_dir_all(&incoming).unwrap();
    let letter = |n: u32| format!("ỦY BAN NHÂN DÂN TỈNH HÀ GIANG\nCông văn số {n}/UBND-VP\n");
    let hg = Some(HA_GIANG_ID);
    let docs: Vec<(&str, Vec<u8>, Sidecar)> = vec![
        (
            "hg-personal.p7m",
            pki.sign_cms_enveloping(letter(1).as_bytes(), &pki.leader, false),
            (hg, HA_GIANG, "2026-03-02", "none"),
        ),
        (
            "hg-organisation.p7m",
            pki.sign_cms_enveloping(letter(2).as_bytes(), &pki.agency, false),
            (hg, HA_GIANG, "2026-03-10", "none"),
        ),
        (
            "hg-both.pdf",
            std::fs::read(&pdfs.leader_agency).unwrap(),
            (hg, HA_GIANG, "2026-03-15", "none"),
        ),
        (
            "hg-unsigned.pdf",
            std::fs::read(&pdfs.unsigned).unwrap(),
            (hg, HA_GIANG, "2026-03-31", "none"),
        ),
        (
            "hg-both-april.p7m",
            signed_by_both(pki, tmp.path(), &letter(3)),
            (hg, HA_GIANG, "2026-04-01", "none"),
        ),
        (
            "hg-personal-april.p7m",
            pki.sign_cms_enveloping(letter(4).as_bytes(), &pki.leader, false),
            (hg, HA_GIANG, "2026-04-30", "none"),
        ),
        (
            "hg-secret.p7m",
            pki.sign_cms_enveloping(letter(5).as_bytes(), &pki.leader, false),
            (hg, HA_GIANG, "2026-03-20", "Mật"),
        ),
        (
            "tp-organisation.p7m",
            pki.sign_cms_enveloping(letter(6).as_bytes(), &pki.agency, false),
            (None, TU_PHAP, "2026-03-05", "none"),
        ),
        (
            "tp-both.p7m",
            signed_by_both(pki, tmp.path(), &letter(7)),
            (None, TU_PHAP, "2026-04-02", "none"),
        ),
        (
            "tp-personal.p7m",
            pki.sign_cms_enveloping(letter(8).as_bytes(), &pki.leader, false),
            (None, TU_PHAP, "2026-04-03", "none"),
        ),
        // The only document of May, and of its agency: neither may show.
        (
            "ca-secret.p7m",
            pki.sign_cms_enveloping(letter(9).as_bytes(), &pki.agency, false),
            (
                Some("CA.H12"),
                "Công an tỉnh Hà Giang",
                "2026-05-04",
                "Tối mật",
            ),
        ),
    ];
    for (name, bytes, (id, organ, date, conf)) in &docs {
        std::fs::write(incoming.join(name), bytes).unwrap();
        std::fs::write(
            incoming.join(format!("{name}.meta.json")),
            sidecar(*id, organ, date, conf),
        )
        .unwrap();
    }
    let out = ok(stele_at(
        &home,
        now,
        &[
            "ingest",
            "--json",
            "--recursive",
            "--allow-unsigned",
            incoming.to_str().unwrap(),
        ],
    ));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), docs.len(), "{}", describe(&out));
    for l in &lines {
        assert_eq!(l["status"], "archived", "{l}");
    }

    // Exactly the expected counts; the secret documents nowhere.
    let out = ok(stele_at(&home, now, &["stats", "--json"]));
    let stats = json(&out);
    assert_valid(&schema, "stats --json", &stats);
    let text = String::from_utf8_lossy(&out.stdout);
    for absent in ["2026-05", "Công an", "CA.H12"] {
        assert!(!text.contains(absent), "{absent} in {stats:#}");
    }
    assert_eq!(stats["by"], json!(["agency", "month"]));
    let expected: HashMap<(Value, Value), [u64; 5]> = [
        ((json!(HA_GIANG), json!("2026-03")), [4, 2, 2, 1, 1]),
        ((json!(HA_GIANG), json!("2026-04")), [2, 2, 1, 1, 0]),
        ((json!(TU_PHAP), json!("2026-03")), [1, 0, 1, 0, 0]),
        ((json!(TU_PHAP), json!("2026-04")), [2, 2, 1, 1, 0]),
    ]
    .into();
    assert_eq!(counts(&stats), expected, "{stats:#}");
    // Sorted by agency ("Sở" before "Ủy"), then month; the code beside the name.
    let order: Vec<(&str, &str)> = stats["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["agency"].as_str().unwrap(), r["month"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            (TU_PHAP, "2026-03"),
            (TU_PHAP, "2026-04"),
            (HA_GIANG, "2026-03"),
            (HA_GIANG, "2026-04")
        ]
    );
    assert_eq!(stats["rows"][2]["agency_id"], HA_GIANG_ID);
    assert_eq!(stats["rows"][0]["agency_id"], Value::Null);
    assert_eq!(stats["rows"][2]["personal_rate"], 0.5);
    assert_eq!(stats["rows"][2]["both_rate"], 0.25);
    let total = &stats["total"];
    assert_eq!(
        [
            &total["issued"],
            &total["personal"],
            &total["organisation"],
            &total["both"],
            &total["none"]
        ],
        [9, 6, 5, 3, 1].map(|n| json!(n)).each_ref()
    );
    assert_eq!(total["both_rate"], 0.3333);
    assert!(stats["rule"].as_str().unwrap().contains("INDETERMINATE"));

    // --csv: the same figures, the quoted name intact.
    let out = ok(stele_at(&home, now, &["stats", "--csv"]));
    let csv = parse_csv(std::str::from_utf8(&out.stdout).unwrap());
    assert_eq!(
        csv[0],
        [
            "agency",
            "agency_id",
            "month",
            "year",
            "issued",
            "personal",
            "organisation",
            "both",
            "none",
            "personal_rate",
            "organisation_rate",
            "both_rate"
        ]
    );
    assert_eq!(csv.len(), 5);
    for (line, row) in csv[1..].iter().zip(stats["rows"].as_array().unwrap()) {
        assert_eq!(line[0], row["agency"].as_str().unwrap());
        assert_eq!(line[2], row["month"].as_str().unwrap());
        for (i, k) in ["issued", "personal", "organisation", "both", "none"]
            .iter()
            .enumerate()
        {
            assert_eq!(line[4 + i], row[k].to_string(), "{k} of {line:?}");
        }
        for (i, k) in ["personal_rate", "organisation_rate", "both_rate"]
            .iter()
            .enumerate()
        {
            let v: f64 = line[9 + i].parse().unwrap();
            assert_eq!(v, row[k].as_f64().unwrap(), "{k} of {line:?}");
        }
    }
    assert_eq!(csv[1][0], TU_PHAP);

    // --by month: the agencies summed, per month.
    let by_month = json(&ok(stele_at(
        &home,
        now,
        &["stats", "--by", "month", "--json"],
    )));
    assert_valid(&schema, "stats --by month", &by_month);
    let months = counts(&by_month);
    assert_eq!(months.len(), 2, "{by_month:#}");
    for month in ["2026-03", "2026-04"] {
        let mut sum = [0u64; 5];
        for ((_, m), c) in &expected {
            if m == month {
                for i in 0..5 {
                    sum[i] += c[i];
                }
            }
        }
        assert_eq!(
            months[&(Value::Null, json!(month))],
            sum,
            "{month}: {by_month:#}"
        );
    }
    assert_eq!(by_month["total"], stats["total"]);

    // Filters: one agency by code, a month range, by year.
    let one = json(&ok(stele_at(
        &home,
        now,
        &[
            "stats",
            "--json",
            "--agency",
            "000.00.00.h12",
            "--from",
            "2026-04",
            "--to",
            "2026-04",
        ],
    )));
    assert_valid(&schema, "stats --agency --from --to", &one);
    assert_eq!(one["rows"].as_array().unwrap().len(), 1, "{one:#}");
    assert_eq!(one["total"]["issued"], 2);
    assert_eq!(
        one["filter"],
        json!({"from": "2026-04", "to": "2026-04", "agency": "000.00.00.h12"})
    );
    // Asking for the secret agency by name finds nothing, as if it did not exist.
    let secret = json(&ok(stele_at(
        &home,
        now,
        &["stats", "--json", "--agency", "Công an tỉnh Hà Giang"],
    )));
    assert_eq!(secret["rows"], json!([]));
    assert_eq!(secret["total"]["issued"], 0);
    assert_eq!(secret["total"]["both_rate"], Value::Null);
    assert_valid(&schema, "stats of nothing", &secret);
    let by_year = json(&ok(stele_at(
        &home,
        now,
        &["stats", "--json", "--by", "agency,year"],
    )));
    assert_valid(&schema, "stats --by agency,year", &by_year);
    assert_eq!(by_year["rows"].as_array().unwrap().len(), 2);
    assert_eq!(by_year["rows"][1]["year"], 2026);
    assert_eq!(by_year["rows"][1]["issued"], 6);

    // The table: names in full, the secret ones nowhere; and the chart.
    let svg = tmp.path().join("chart.svg");
    let out = ok(stele_at(
        &home,
        now,
        &["stats", "--svg", svg.to_str().unwrap()],
    ));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains(&format!("{HA_GIANG} ({HA_GIANG_ID})")),
        "{table}"
    );
    assert!(table.contains(TU_PHAP), "{table}");
    assert!(
        !table.contains("2026-05") && !table.contains("Công an"),
        "{table}"
    );
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(
        chart.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{chart}"
    );
    assert!(
        chart.contains("Sở Tư pháp, &quot;tỉnh&quot; Hà Giang"),
        "{chart}"
    );
    assert!(chart.contains("Chữ ký cá nhân"));
    assert!(!chart.contains("Công an") && !chart.contains("05/2026"));

    // Usage errors: exit 2 naming the problem, nothing on stdout.
    for (args, needle) in [
        (&["stats", "--by", "agency,week"][..], "week"),
        (&["stats", "--by", "month,month"][..], "month"),
        (&["stats", "--from", "2026-13"][..], "2026-13"),
        (
            &["stats", "--from", "2026-05", "--to", "2026-04"][..],
            "2026-05",
        ),
    ] {
        let out = stele_at(&home, now, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", describe(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{args:?}: {}",
            describe(&out)
        );
        assert!(out.stdout.is_empty(), "{args:?}: {}", describe(&out));
    }
}
