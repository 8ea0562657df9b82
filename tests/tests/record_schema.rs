//! `schemas/record.schema.json` and `RecordMetadata::from_json` say the same thing: a table of
//! metadata documents (Phụ lục VI of NĐ 30/2020/NĐ-CP, with Vietnamese text) that both accept or
//! both reject, every rejection naming the offending field; what `to_json` writes validates; and
//! the few rules JSON Schema cannot express are listed and checked on the Rust side.

use serde_json::{json, Value};
use stele_archive::{MetadataError, RecordMetadata};

fn schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/record.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("schema file")).expect("schema JSON")
}

fn validator() -> jsonschema::Validator {
    let schema = schema();
    jsonschema::meta::validate(&schema).expect("the schema is valid draft 2020-12");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        // `format` is only an annotation by default; IssuedDate "2026-02-30" must be refused.
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}

/// Every field, as a document-management system would export it.
fn full() -> Value {
    json!({
        "OrganId": "000.00.00.H12",
        "FileCatalog": 2026,
        "FileNotation": "01.TH",
        "DocOrdinal": 7,
        "TypeName": "Quyết định",
        "CodeNumber": "45",
        "CodeNotation": "QĐ-UBND",
        "IssuedDate": "2026-03-15",
        "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
        "Subject": concat!(
            "Về việc phê duyệt Kế hoạch chuyển đổi số, phát triển kinh tế số ",
            "và xã hội số tỉnh Hà Giang năm 2026"
        ),
        "Language": "vi",
        "PageAmount": 3,
        "Description": "Bản gốc điện tử, ký số bởi người có thẩm quyền và cơ quan ban hành",
        "SignerInfo": [{"Position": "Chủ tịch", "FullName": "Nguyễn Văn An"}],
        "To": [
            {"OrganId": "000.00.12.H12", "OrganName": "Sở Nội vụ"},
            {"OrganName": "Văn phòng Ủy ban nhân dân tỉnh"}
        ],
        "Priority": 1,
        "IssuedAmount": 12,
        "DueDate": "2026-04-01",
        "Confidentiality": "none",
        "Retention": "01",
        "AccessMode": "01"
    })
}

/// Only what is required.
fn minimal() -> Value {
    json!({
        "IssuedDate": "2025-12-31",
        "OrganName": "Bộ Nội vụ",
        "Subject": "Hướng dẫn lập hồ sơ điện tử",
        "Confidentiality": "none",
        "Retention": "06",
        "AccessMode": "02"
    })
}

fn edit(mut doc: Value, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    f(doc.as_object_mut().unwrap());
    doc
}

fn set(doc: Value, key: &str, value: Value) -> Value {
    edit(doc, |m| {
        m.insert(key.into(), value);
    })
}

fn without(doc: Value, key: &str) -> Value {
    edit(doc, |m| {
        m.remove(key);
    })
}

/// One metadata document and what both sides must say about it.
struct Case {
    what: &'static str,
    doc: Value,
    /// `None` if valid, else the field the Rust error names.
    refused: Option<&'static str>,
}

fn ok(what: &'static str, doc: Value) -> Case {
    Case {
        what,
        doc,
        refused: None,
    }
}

fn bad(what: &'static str, doc: Value, field: &'static str) -> Case {
    Case {
        what,
        doc,
        refused: Some(field),
    }
}

fn table() -> Vec<Case> {
    let long = "Trích yếu ".repeat(410); // 4100 characters
    let mut at_limit = long.clone();
    at_limit.truncate(at_limit.char_indices().nth(4096).unwrap().0);
    let optional = [
        "OrganId",
        "FileCatalog",
        "TypeName",
        "PageAmount",
        "Description",
        "Priority",
        "DueDate",
    ];
    let joint_signers = json!([
        {"Position": "KT. Bộ trưởng – Thứ trưởng", "FullName": "Trần Thị Bích Ngọc"},
        {"FullName": "Lê Hoàng Phúc"}
    ]);
    let as_array = json!([
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        "2025-12-31",
        "Bộ Nội vụ",
        "Hướng dẫn lập hồ sơ điện tử",
        null,
        null,
        null,
        [],
        [],
        null,
        null,
        null,
        "none",
        "06",
        "02"
    ]);
    vec![
        // ---- accepted ----
        ok("every field, Vietnamese text", full()),
        ok("only the required fields", minimal()),
        ok(
            "a Tuyệt mật document is used as 03 (Mật)",
            edit(minimal(), |m| {
                m.insert("Confidentiality".into(), json!("Tuyệt mật"));
                m.insert("AccessMode".into(), json!("03"));
                m.insert("Retention".into(), json!("01"));
            }),
        ),
        ok(
            "Tối mật, 03",
            edit(full(), |m| {
                m.insert("Confidentiality".into(), json!("Tối mật"));
                m.insert("AccessMode".into(), json!("03"));
            }),
        ),
        ok(
            "optional fields given as null",
            edit(minimal(), |m| {
                for k in optional {
                    m.insert(k.into(), Value::Null);
                }
            }),
        ),
        ok(
            "empty Description; Subject over two lines with a tab",
            edit(minimal(), |m| {
                m.insert("Description".into(), json!(""));
                let subject = "Báo cáo tổng kết công tác văn thư, lưu trữ\n\tnăm 2025";
                m.insert("Subject".into(), json!(subject));
            }),
        ),
        ok(
            "joint document: two signers, one without Position; empty To; Priority 0; \
             DueDate = IssuedDate on 29/02",
            edit(minimal(), |m| {
                m.insert("TypeName".into(), json!("Thông tư liên tịch"));
                m.insert("IssuedDate".into(), json!("2028-02-29"));
                m.insert("DueDate".into(), json!("2028-02-29"));
                m.insert("Priority".into(), json!(0));
                m.insert("To".into(), json!([]));
                m.insert("SignerInfo".into(), joint_signers);
            }),
        ),
        ok(
            "Retention 07 (Khác)",
            set(minimal(), "Retention", json!("07")),
        ),
        ok(
            "Subject of exactly 4096 characters",
            set(minimal(), "Subject", json!(at_limit)),
        ),
        ok(
            "Priority 4 (hỏa tốc hẹn giờ)",
            set(full(), "Priority", json!(4)),
        ),
        // ---- refused ----
        bad(
            "Confidentiality in lower case",
            set(full(), "Confidentiality", json!("mật")),
            "Confidentiality",
        ),
        bad(
            "Confidentiality in English",
            set(full(), "Confidentiality", json!("Secret")),
            "Confidentiality",
        ),
        bad(
            "Confidentiality null",
            set(full(), "Confidentiality", Value::Null),
            "Confidentiality",
        ),
        bad(
            "Retention 08",
            set(full(), "Retention", json!("08")),
            "Retention",
        ),
        bad(
            "Confidentiality as an externally tagged enum",
            set(full(), "Confidentiality", json!({"Mật": null})),
            "Confidentiality",
        ),
        bad(
            "Retention as an externally tagged enum",
            set(full(), "Retention", json!({"01": null})),
            "Retention",
        ),
        bad(
            "Retention as a number",
            set(full(), "Retention", json!(1)),
            "Retention",
        ),
        bad(
            "AccessMode 04",
            set(full(), "AccessMode", json!("04")),
            "AccessMode",
        ),
        bad("missing Subject", without(full(), "Subject"), "Subject"),
        bad(
            "missing IssuedDate",
            without(minimal(), "IssuedDate"),
            "IssuedDate",
        ),
        bad(
            "missing Retention",
            without(minimal(), "Retention"),
            "Retention",
        ),
        bad(
            "IssuedDate as dd/mm/yyyy",
            set(full(), "IssuedDate", json!("15/03/2026")),
            "IssuedDate",
        ),
        bad(
            "IssuedDate 30/02",
            set(full(), "IssuedDate", json!("2026-02-30")),
            "IssuedDate",
        ),
        bad(
            "IssuedDate without zero padding",
            set(full(), "IssuedDate", json!("2026-3-15")),
            "IssuedDate",
        ),
        bad(
            "IssuedDate with a time",
            set(full(), "IssuedDate", json!("2026-03-15T08:00:00+07:00")),
            "IssuedDate",
        ),
        bad(
            "IssuedDate with a sign",
            set(full(), "IssuedDate", json!("+2026-03-15")),
            "IssuedDate",
        ),
        bad(
            "DueDate month 13",
            set(full(), "DueDate", json!("2026-13-01")),
            "DueDate",
        ),
        bad(
            "negative PageAmount",
            set(full(), "PageAmount", json!(-1)),
            "PageAmount",
        ),
        bad(
            "PageAmount 0",
            set(full(), "PageAmount", json!(0)),
            "PageAmount",
        ),
        bad(
            "PageAmount in words",
            set(full(), "PageAmount", json!("ba")),
            "PageAmount",
        ),
        bad(
            "FileCatalog above u32",
            set(full(), "FileCatalog", json!(4_294_967_296_u64)),
            "FileCatalog",
        ),
        bad("Priority 5", set(full(), "Priority", json!(5)), "Priority"),
        bad(
            "Priority 300",
            set(full(), "Priority", json!(300)),
            "Priority",
        ),
        bad("unknown field", set(full(), "Subjct", json!("x")), "Subjct"),
        bad(
            "a field in English",
            set(minimal(), "Title", json!("Decision")),
            "Title",
        ),
        bad(
            "To entry missing OrganName",
            set(full(), "To", json!([{"OrganId": "000.00.12.H12"}])),
            "To[0].OrganName",
        ),
        bad(
            "blank To[1].OrganName",
            set(
                full(),
                "To",
                json!([{"OrganName": "Sở Tài chính"}, {"OrganName": "  "}]),
            ),
            "To[1].OrganName",
        ),
        bad(
            "empty To[0].OrganId",
            set(
                full(),
                "To",
                json!([{"OrganId": "", "OrganName": "Sở Tài chính"}]),
            ),
            "To[0].OrganId",
        ),
        bad(
            "unknown field in To",
            set(
                full(),
                "To",
                json!([{"OrganName": "Sở Y tế", "Email": "syt@hagiang.gov.vn"}]),
            ),
            "To[0].Email",
        ),
        bad(
            "To as one object",
            set(full(), "To", json!({"OrganName": "Sở Y tế"})),
            "To",
        ),
        bad(
            "SignerInfo null",
            set(full(), "SignerInfo", Value::Null),
            "SignerInfo",
        ),
        bad(
            "SignerInfo without FullName",
            set(full(), "SignerInfo", json!([{"Position": "Chủ tịch"}])),
            "SignerInfo[0].FullName",
        ),
        bad(
            "FullName of ideographic spaces",
            set(
                full(),
                "SignerInfo",
                json!([{"FullName": "\u{3000}\u{3000}"}]),
            ),
            "SignerInfo[0].FullName",
        ),
        bad(
            "Position with a bell character",
            set(
                full(),
                "SignerInfo",
                json!([{"Position": "Chủ tịch\u{7}", "FullName": "Nguyễn Văn An"}]),
            ),
            "SignerInfo[0].Position",
        ),
        bad(
            "Subject of spaces and a line feed",
            set(full(), "Subject", json!("  \n ")),
            "Subject",
        ),
        bad(
            "Subject with NUL",
            set(full(), "Subject", json!("Về việc\u{0}")),
            "Subject",
        ),
        bad(
            "Subject with a carriage return",
            set(full(), "Subject", json!("Về việc\r\nphê duyệt")),
            "Subject",
        ),
        bad(
            "Subject null",
            set(full(), "Subject", Value::Null),
            "Subject",
        ),
        bad(
            "OrganName of 4100 characters",
            set(full(), "OrganName", json!(long)),
            "OrganName",
        ),
        bad(
            "Description with a C1 control",
            set(full(), "Description", json!("Ghi chú\u{85}")),
            "Description",
        ),
        bad(
            "empty CodeNotation",
            set(full(), "CodeNotation", json!("")),
            "CodeNotation",
        ),
        bad(
            "Mật document marked public",
            set(full(), "Confidentiality", json!("Mật")),
            "AccessMode",
        ),
        bad(
            "Tối mật document for conditional use",
            edit(full(), |m| {
                m.insert("Confidentiality".into(), json!("Tối mật"));
                m.insert("AccessMode".into(), json!("02"));
            }),
            "AccessMode",
        ),
        bad(
            "03 (Mật) without a secrecy level",
            set(minimal(), "AccessMode", json!("03")),
            "AccessMode",
        ),
        bad("an array, not an object", json!([full()]), "(top level)"),
        bad(
            "the values as an array in field order",
            as_array,
            "(top level)",
        ),
        bad(
            "SignerInfo entry as [Position, FullName]",
            set(full(), "SignerInfo", json!([["Chủ tịch", "Nguyễn Văn An"]])),
            "SignerInfo[0]",
        ),
        bad(
            "To entry as [OrganId, OrganName]",
            set(full(), "To", json!([[null, "Sở Nội vụ"]])),
            "To[0]",
        ),
    ]
}

fn rust_verdict(doc: &Value) -> Result<RecordMetadata, MetadataError> {
    RecordMetadata::from_json(&serde_json::to_string_pretty(doc).unwrap())
}

#[test]
fn schema_and_rust_agree_on_every_document() {
    let v = validator();
    let table = table();
    assert!(table.len() >= 15);
    let mut failures = Vec::new();
    for Case { what, doc, refused } in &table {
        let schema_errors: Vec<String> = v
            .iter_errors(doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        let rust = rust_verdict(doc);
        match (refused, schema_errors.is_empty(), &rust) {
            (None, true, Ok(_)) => {}
            (Some(field), false, Err(e)) => match e {
                MetadataError::Field { field: named, .. } if named == field => {}
                _ => failures.push(format!("{what}: the Rust error should name {field}: {e}")),
            },
            _ => failures.push(format!(
                "{what}: expected {}; schema says {:?}, Rust says {:?}",
                if refused.is_some() {
                    "rejection"
                } else {
                    "acceptance"
                },
                schema_errors,
                rust.as_ref().map(|_| "ok").map_err(|e| e.to_string()),
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn to_json_validates_and_round_trips() {
    let v = validator();
    for Case { what, doc, refused } in table() {
        if refused.is_some() {
            continue;
        }
        let meta = rust_verdict(&doc).unwrap();
        let text = meta.to_json();
        let out: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = v.iter_errors(&out).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{what}: to_json does not validate: {errors:?}\n{text}"
        );
        assert_eq!(
            RecordMetadata::from_json(&text).unwrap(),
            meta,
            "{what}: round trip"
        );
    }
}

/// The schema lists exactly the fields the Rust type writes, and requires what it requires.
#[test]
fn schema_covers_every_field() {
    let schema = schema();
    let mut declared: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    declared.sort_unstable();
    let written: Value = serde_json::from_str(
        &RecordMetadata::from_json(&full().to_string())
            .unwrap()
            .to_json(),
    )
    .unwrap();
    let mut fields: Vec<&str> = written
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(declared, fields);

    let mut required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    required.sort_unstable();
    // `full()` has every field: leaving out one at a time shows which ones Rust requires.
    let mut rust_required: Vec<&str> = fields
        .iter()
        .copied()
        .filter(|f| RecordMetadata::from_json(&without(full(), f).to_string()).is_err())
        .collect();
    rust_required.sort_unstable();
    assert_eq!(required, rust_required);
}

/// One character as the whole of a text field: the schema's pattern for blank and control
/// characters is Rust's `char::is_whitespace` and `char::is_control`, character for character.
#[test]
fn text_rules_agree_character_by_character() {
    let v = validator();
    let mut differ = Vec::new();
    let chars = (0u32..=0x3100).chain([
        0x180e, 0x200b, 0x2060, 0xfeff, 0xfffd, 0xffff, 0x1f600, 0x10ffff,
    ]);
    for c in chars.filter_map(char::from_u32) {
        for field in ["Subject", "Description"] {
            let doc = set(minimal(), field, json!(c.to_string()));
            let schema_ok = v.is_valid(&doc);
            let rust_ok = rust_verdict(&doc).is_ok();
            if schema_ok != rust_ok {
                differ.push(format!(
                    "{field} = U+{:04X}: schema {schema_ok}, Rust {rust_ok}",
                    c as u32
                ));
            }
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// What JSON Schema cannot say: the schema accepts these, `from_json` refuses them by name.
/// Documented in the schema's description.
#[test]
fn rules_beyond_json_schema_are_checked_by_rust() {
    let v = validator();
    let due_before = set(full(), "DueDate", json!("2026-03-14")).to_string();
    let twice = r#"{
        "IssuedDate": "2026-03-15", "OrganName": "Bộ Nội vụ",
        "Subject": "Lần một", "Subject": "Lần hai",
        "Confidentiality": "none", "Retention": "01", "AccessMode": "01"
    }"#;
    let pages = |written: &str| {
        let with = format!("\"PageAmount\":{written}");
        full().to_string().replace("\"PageAmount\":3", &with)
    };
    let cases = [
        ("DueDate before IssuedDate", due_before, "DueDate"),
        ("a key given twice", twice.to_string(), "Subject"),
        ("an integer written 3.0", pages("3.0"), "PageAmount"),
        ("an integer written 1e2", pages("1e2"), "PageAmount"),
    ];
    for (what, text, field) in cases {
        let value: Value = serde_json::from_str(&text).unwrap();
        assert!(
            v.is_valid(&value),
            "{what}: the schema was expected to accept it"
        );
        match RecordMetadata::from_json(&text) {
            Err(MetadataError::Field { field: named, .. }) if named == field => {}
            other => panic!("{what}: expected an error naming {field}, got {other:?}"),
        }
    }
}

/// Not JSON at all, or JSON followed by more text: a syntax error, not a field error.
#[test]
fn text_that_is_not_one_json_value_is_refused() {
    let good = minimal().to_string();
    assert!(RecordMetadata::from_json(&good).is_ok());
    for text in [
        String::new(),
        "{".into(),
        format!("{good} {{"),
        format!("{good} x"),
        format!("{good}{good}"),
    ] {
        let e = RecordMetadata::from_json(&text).expect_err(&text);
        assert!(matches!(e, MetadataError::Json(_)), "{text}: {e}");
    }
}
