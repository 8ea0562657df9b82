//! A record's descriptive metadata: the fields of NĐ 30/2020/NĐ-CP Phụ lục VI (the metadata of an
//! electronic document), plus how secret it is, how long it is kept and who may read it.
//!
//! Field names are those of Phụ lục VI (`OrganId`, `CodeNumber`, …) so that metadata exported
//! by a document-management system can be passed as is. The JSON form is described by
//! `schemas/record.schema.json`; [`RecordMetadata::from_json`] refuses anything else with a
//! message that names the field.

use serde::{Deserialize, Serialize};
use time::Date;
use unicode_normalization::UnicodeNormalization;

/// Độ mật (Luật Bảo vệ bí mật nhà nước 2018, Điều 8): none, Mật, Tối mật, Tuyệt mật.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Confidentiality {
    #[serde(rename = "none")]
    None,
    #[serde(rename = "Mật")]
    Mat,
    #[serde(rename = "Tối mật")]
    ToiMat,
    #[serde(rename = "Tuyệt mật")]
    TuyetMat,
}

impl Confidentiality {
    /// Whether the document is a state secret at any level.
    pub fn is_secret(self) -> bool {
        self != Confidentiality::None
    }

    /// The value as written in the metadata.
    pub fn label(self) -> &'static str {
        match self {
            Confidentiality::None => "none",
            Confidentiality::Mat => "Mật",
            Confidentiality::ToiMat => "Tối mật",
            Confidentiality::TuyetMat => "Tuyệt mật",
        }
    }
}

/// Thời hạn bảo quản, as coded for digital archives: 01 Vĩnh viễn (permanent), 02 70 năm,
/// 03 50 năm, 04 30 năm, 05 20 năm, 06 10 năm, 07 Khác (other).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Retention {
    #[serde(rename = "01")]
    Permanent,
    #[serde(rename = "02")]
    Years70,
    #[serde(rename = "03")]
    Years50,
    #[serde(rename = "04")]
    Years30,
    #[serde(rename = "05")]
    Years20,
    #[serde(rename = "06")]
    Years10,
    #[serde(rename = "07")]
    Other,
}

impl Retention {
    /// The code as written in the metadata, `01`..`07`.
    pub fn code(self) -> &'static str {
        match self {
            Retention::Permanent => "01",
            Retention::Years70 => "02",
            Retention::Years50 => "03",
            Retention::Years30 => "04",
            Retention::Years20 => "05",
            Retention::Years10 => "06",
            Retention::Other => "07",
        }
    }

    /// Years kept, `None` for permanent and other.
    pub fn years(self) -> Option<u32> {
        match self {
            Retention::Years70 => Some(70),
            Retention::Years50 => Some(50),
            Retention::Years30 => Some(30),
            Retention::Years20 => Some(20),
            Retention::Years10 => Some(10),
            Retention::Permanent | Retention::Other => None,
        }
    }
}

/// Chế độ sử dụng: 01 Công khai (public), 02 Sử dụng có điều kiện (conditional), 03 Mật
/// (secret). 03 exactly when [`Confidentiality`] is a secrecy level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccessMode {
    #[serde(rename = "01")]
    Public,
    #[serde(rename = "02")]
    Conditional,
    #[serde(rename = "03")]
    Secret,
}

impl AccessMode {
    /// The code and its name, e.g. `02 (Sử dụng có điều kiện)`.
    pub fn label(self) -> &'static str {
        match self {
            AccessMode::Public => "01 (Công khai)",
            AccessMode::Conditional => "02 (Sử dụng có điều kiện)",
            AccessMode::Secret => "03 (Mật)",
        }
    }
}

/// The signer named on the document (Phụ lục VI `SignerInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerInfo {
    /// Chức vụ, e.g. "Chủ tịch".
    #[serde(rename = "Position", default)]
    pub position: Option<String>,
    /// Họ và tên.
    #[serde(rename = "FullName")]
    pub full_name: String,
}

/// A recipient (Phụ lục VI `To`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    #[serde(rename = "OrganId", default)]
    pub organ_id: Option<String>,
    #[serde(rename = "OrganName")]
    pub organ_name: String,
}

/// The metadata of one record. Only `Confidentiality`, `Retention` and `AccessMode` are required
/// besides what identifies the document (`OrganName`, `Subject`, `IssuedDate`): an archive must
/// know how to protect and how long to keep everything it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordMetadata {
    /// Mã định danh của cơ quan, tổ chức (e.g. `H12.01`).
    #[serde(rename = "OrganId", default, skip_serializing_if = "Option::is_none")]
    pub organ_id: Option<String>,
    /// Mục lục số / phông.
    #[serde(
        rename = "FileCatalog",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub file_catalog: Option<u32>,
    /// Số và ký hiệu hồ sơ.
    #[serde(
        rename = "FileNotation",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub file_notation: Option<String>,
    /// Số thứ tự văn bản trong hồ sơ.
    #[serde(
        rename = "DocOrdinal",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub doc_ordinal: Option<u32>,
    /// Tên loại văn bản (Quyết định, Công văn, …).
    #[serde(rename = "TypeName", default, skip_serializing_if = "Option::is_none")]
    pub type_name: Option<String>,
    /// Số của văn bản.
    #[serde(
        rename = "CodeNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub code_number: Option<String>,
    /// Ký hiệu của văn bản (e.g. `QĐ-UBND`).
    #[serde(
        rename = "CodeNotation",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub code_notation: Option<String>,
    /// Ngày, tháng, năm văn bản (YYYY-MM-DD).
    #[serde(rename = "IssuedDate", with = "iso_date")]
    pub issued_date: Date,
    /// Tên cơ quan, tổ chức ban hành văn bản.
    #[serde(rename = "OrganName")]
    pub organ_name: String,
    /// Trích yếu nội dung.
    #[serde(rename = "Subject")]
    pub subject: String,
    /// Ngôn ngữ (e.g. `vi`).
    #[serde(rename = "Language", default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Số lượng trang.
    #[serde(
        rename = "PageAmount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub page_amount: Option<u32>,
    /// Ghi chú.
    #[serde(
        rename = "Description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// Người ký.
    #[serde(rename = "SignerInfo", default, skip_serializing_if = "Vec::is_empty")]
    pub signer_info: Vec<SignerInfo>,
    /// Nơi nhận.
    #[serde(rename = "To", default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<Recipient>,
    /// Độ khẩn: 0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc, 4 hỏa tốc hẹn giờ.
    #[serde(rename = "Priority", default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// Số lượng bản phát hành.
    #[serde(
        rename = "IssuedAmount",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub issued_amount: Option<u32>,
    /// Hạn xử lý (YYYY-MM-DD).
    #[serde(
        rename = "DueDate",
        default,
        with = "iso_date_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub due_date: Option<Date>,
    #[serde(rename = "Confidentiality")]
    pub confidentiality: Confidentiality,
    #[serde(rename = "Retention")]
    pub retention: Retention,
    #[serde(rename = "AccessMode")]
    pub access_mode: AccessMode,
}

/// Why metadata was refused; the message names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("metadata field {field}: {problem}")]
    Field { field: String, problem: String },
    #[error("metadata is not valid JSON: {0}")]
    Json(String),
}

/// Longest text accepted in one field: generous for a trích yếu, bounded for hostile input.
pub const MAX_FIELD_CHARS: usize = 4096;

impl RecordMetadata {
    /// Số, ký hiệu as written on the document: `1500/QĐ-UBND`, or whichever part is given.
    pub fn number_notation(&self) -> Option<String> {
        stele_index::number_notation(self.code_number.as_deref(), self.code_notation.as_deref())
    }

    /// Parses and checks metadata JSON (`schemas/record.schema.json`). A UTF-8 byte-order mark
    /// (Windows Notepad writes one) is skipped, and text in decomposed form (as macOS often
    /// writes Vietnamese) is read as NFC, so `Mật` matches however it was typed.
    pub fn from_json(text: &str) -> Result<Self, MetadataError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let composed: String;
        let text = if unicode_normalization::is_nfc(text) {
            text
        } else {
            composed = text.nfc().collect();
            &composed
        };
        // Whole-document syntax first (serde stops after the first value and would ignore
        // trailing text), then the shape serde is laxer about than the schema.
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| MetadataError::Json(e.to_string()))?;
        check_shape(&value)?;
        // From the text again, not the value: a key given twice is refused, not overwritten.
        let de = &mut serde_json::Deserializer::from_str(text);
        let meta: RecordMetadata = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let message = strip_position(&e.into_inner().to_string());
            // A missing or repeated field is named itself, not the object around it.
            for (prefix, problem) in [
                ("missing field `", "required but missing"),
                ("duplicate field `", "given more than once"),
            ] {
                if let Some(name) = message
                    .strip_prefix(prefix)
                    .and_then(|m| m.strip_suffix('`'))
                {
                    return MetadataError::Field {
                        field: if path == "." {
                            name.into()
                        } else {
                            format!("{path}.{name}")
                        },
                        problem: problem.into(),
                    };
                }
            }
            MetadataError::Field {
                field: if path == "." {
                    "(top level)".into()
                } else {
                    path
                },
                problem: message,
            }
        })?;
        meta.check()?;
        Ok(meta)
    }

    /// The rules JSON types cannot say.
    fn check(&self) -> Result<(), MetadataError> {
        let field = |f: &str, p: String| MetadataError::Field {
            field: f.into(),
            problem: p,
        };
        // Every text, nested ones included: bounded, free of control characters and, except
        // Description, not blank.
        let mut texts: Vec<(String, &str)> = Vec::new();
        for (name, value) in [
            ("OrganName", Some(&self.organ_name)),
            ("Subject", Some(&self.subject)),
            ("OrganId", self.organ_id.as_ref()),
            ("FileNotation", self.file_notation.as_ref()),
            ("TypeName", self.type_name.as_ref()),
            ("CodeNumber", self.code_number.as_ref()),
            ("CodeNotation", self.code_notation.as_ref()),
            ("Language", self.language.as_ref()),
            ("Description", self.description.as_ref()),
        ] {
            if let Some(v) = value {
                texts.push((name.into(), v));
            }
        }
        for (i, s) in self.signer_info.iter().enumerate() {
            if let Some(p) = &s.position {
                texts.push((format!("SignerInfo[{i}].Position"), p));
            }
            texts.push((format!("SignerInfo[{i}].FullName"), &s.full_name));
        }
        for (i, r) in self.to.iter().enumerate() {
            if let Some(id) = &r.organ_id {
                texts.push((format!("To[{i}].OrganId"), id));
            }
            texts.push((format!("To[{i}].OrganName"), &r.organ_name));
        }
        for (name, v) in texts {
            if v.trim().is_empty() && name != "Description" {
                return Err(field(&name, "must not be empty".into()));
            }
            if v.chars().count() > MAX_FIELD_CHARS {
                return Err(field(
                    &name,
                    format!("longer than {MAX_FIELD_CHARS} characters"),
                ));
            }
            if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                return Err(field(&name, "contains control characters".into()));
            }
        }
        if let Some(p) = self.priority {
            if p > 4 {
                return Err(field(
                    "Priority",
                    format!("{p} is not a code 0–4 (thường, khẩn, thượng khẩn, hỏa tốc, hỏa tốc hẹn giờ)"),
                ));
            }
        }
        if self.page_amount == Some(0) {
            return Err(field("PageAmount", "must be at least 1".into()));
        }
        if let Some(due) = self.due_date {
            if due < self.issued_date {
                return Err(field(
                    "DueDate",
                    format!("{due} is before IssuedDate {}", self.issued_date),
                ));
            }
        }
        // Chế độ sử dụng 03 (Mật) is the one for documents holding state secrets (Luật Bảo vệ bí
        // mật nhà nước 2018; Luật Lưu trữ 2024): a document with a secrecy level is used only as
        // 03, and 03 without a secrecy level leaves the archive unable to apply the right one.
        let (level, mode) = (self.confidentiality, self.access_mode);
        if level.is_secret() != (mode == AccessMode::Secret) {
            return Err(field(
                "AccessMode",
                if level.is_secret() {
                    format!(
                        "{} is not allowed for a document marked {} (Confidentiality): \
                         a state secret is used only as 03 (Mật)",
                        mode.label(),
                        level.label()
                    )
                } else {
                    "03 (Mật) needs a secrecy level: Confidentiality is none, \
                     not Mật, Tối mật or Tuyệt mật"
                        .into()
                },
            ));
        }
        Ok(())
    }

    /// The metadata as canonical JSON (stable field order), for the record manifest.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// What serde would accept but the schema does not: serde reads a struct from an array of its
/// values in field order as well as from an object, and a unit enum variant from `{"Mật": null}`
/// as well as from `"Mật"`.
fn check_shape(value: &serde_json::Value) -> Result<(), MetadataError> {
    let wrong = |field: String, expected: &str, v: &serde_json::Value| MetadataError::Field {
        field,
        problem: format!("invalid type: {}, expected {expected}", json_kind(v)),
    };
    let Some(top) = value.as_object() else {
        return Err(wrong("(top level)".into(), "a JSON object", value));
    };
    for key in ["SignerInfo", "To"] {
        if let Some(serde_json::Value::Array(items)) = top.get(key) {
            if let Some((i, item)) = items.iter().enumerate().find(|(_, v)| !v.is_object()) {
                return Err(wrong(format!("{key}[{i}]"), "a JSON object", item));
            }
        }
    }
    for key in ["Confidentiality", "Retention", "AccessMode"] {
        if let Some(v) = top.get(key).filter(|v| !v.is_string()) {
            return Err(wrong(key.into(), "a string", v));
        }
    }
    Ok(())
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// serde_json appends " at line L column C": the path already says where.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    const FORMAT: &[time::format_description::FormatItem<'_>] =
        time::macros::format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.format(FORMAT).map_err(serde::ser::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    /// Exactly `YYYY-MM-DD` (RFC 3339 full-date): `time` alone would also take a signed year.
    pub fn parse(text: &str) -> Result<Date, String> {
        let shape = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        shape
            .then(|| Date::parse(text, FORMAT).ok())
            .flatten()
            .ok_or_else(|| format!("\"{text}\" is not a date YYYY-MM-DD"))
    }
}

mod iso_date_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    pub fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::iso_date::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| super::iso_date::parse(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
        "OrganId": "H12.01",
        "CodeNumber": "45",
        "CodeNotation": "QĐ-UBND",
        "TypeName": "Quyết định",
        "IssuedDate": "2026-03-15",
        "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
        "Subject": "Về việc phê duyệt kế hoạch chuyển đổi số năm 2026",
        "Language": "vi",
        "PageAmount": 3,
        "SignerInfo": [{"Position": "Chủ tịch", "FullName": "Nguyễn Văn An"}],
        "To": [{"OrganId": "H12.02", "OrganName": "Sở Nội vụ"}],
        "Priority": 1,
        "DueDate": "2026-04-01",
        "Confidentiality": "none",
        "Retention": "01",
        "AccessMode": "01"
    }"#;

    #[test]
    fn reads_phu_luc_vi_metadata() {
        let m = RecordMetadata::from_json(GOOD).unwrap();
        assert_eq!(m.code_notation.as_deref(), Some("QĐ-UBND"));
        assert_eq!(m.retention, Retention::Permanent);
        assert_eq!(m.signer_info[0].full_name, "Nguyễn Văn An");
        // Round trip through the canonical form.
        assert_eq!(RecordMetadata::from_json(&m.to_json()).unwrap(), m);
    }

    #[test]
    fn a_byte_order_mark_and_decomposed_letters_read_as_typed() {
        let secret = GOOD
            .replace("\"none\"", "\"Mật\"")
            .replace("\"AccessMode\": \"01\"", "\"AccessMode\": \"03\"");
        let nfd: String = secret.nfd().collect();
        assert_ne!(nfd, secret);
        let m = RecordMetadata::from_json(&format!("\u{feff}{nfd}")).unwrap();
        assert!(m.confidentiality.is_secret());
        assert_eq!(m.signer_info[0].full_name, "Nguyễn Văn An");
    }

    fn error_of(edit: (&str, &str)) -> String {
        RecordMetadata::from_json(&GOOD.replace(edit.0, edit.1))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_the_field() {
        for (edit, field) in [
            (("\"2026-03-15\"", "\"15/03/2026\""), "IssuedDate"),
            (
                ("\"PageAmount\": 3", "\"PageAmount\": \"ba\""),
                "PageAmount",
            ),
            (("\"PageAmount\": 3", "\"PageAmount\": 0"), "PageAmount"),
            (
                ("\"Retention\": \"01\"", "\"Retention\": \"08\""),
                "Retention",
            ),
            (
                (
                    "\"Confidentiality\": \"none\"",
                    "\"Confidentiality\": \"Mật\"",
                ),
                "AccessMode",
            ),
            (
                (
                    "\"Confidentiality\": \"none\"",
                    "\"Confidentiality\": \"mật lắm\"",
                ),
                "Confidentiality",
            ),
            (("\"Priority\": 1", "\"Priority\": 9"), "Priority"),
            (
                ("\"DueDate\": \"2026-04-01\"", "\"DueDate\": \"2026-01-01\""),
                "DueDate",
            ),
            (
                ("\"FullName\": \"Nguyễn Văn An\"", "\"FullName\": \" \""),
                "SignerInfo[0].FullName",
            ),
            (
                (
                    "\"OrganName\": \"Sở Nội vụ\"",
                    "\"OrganNam\": \"Sở Nội vụ\"",
                ),
                "To[0]",
            ),
            (("\"Subject\"", "\"Subjct\""), "Subjct"),
        ] {
            let e = error_of(edit);
            assert!(e.contains(field), "{edit:?}: {e}");
        }
        let missing = RecordMetadata::from_json(r#"{"OrganName": "x"}"#).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "metadata field IssuedDate: required but missing"
        );
        assert!(matches!(
            RecordMetadata::from_json("{").unwrap_err(),
            MetadataError::Json(_)
        ));
    }
}
