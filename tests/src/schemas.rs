//! Stele's JSON schemas (`schemas/`) as validators, for the tests that check what the commands
//! print.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The repository's `schemas/` folder.
pub fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

/// Serves `https://stele.example/schemas/NAME` from `schemas/NAME`, so one schema's `$ref` to
/// another resolves offline.
pub struct SchemaFolder;

impl jsonschema::Retrieve for SchemaFolder {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri
            .as_str()
            .strip_prefix("https://stele.example/schemas/")
            .filter(|n| !n.contains('/'))
            .ok_or_else(|| format!("{} is not one of Stele's schemas", uri.as_str()))?;
        Ok(serde_json::from_str(&std::fs::read_to_string(
            schemas_dir().join(name),
        )?)?)
    }
}

/// A draft 2020-12 validator of `schemas/NAME` (itself checked against the meta-schema).
pub fn validator(name: &str) -> jsonschema::Validator {
    let path = schemas_dir().join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("schema"))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    jsonschema::meta::validate(&schema)
        .unwrap_or_else(|e| panic!("{name} is not valid draft 2020-12: {e}"));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .with_retriever(SchemaFolder)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{name} does not compile: {e}"))
}

/// Asserts that `doc` follows the schema; `what` names it in the failure.
pub fn assert_valid(v: &jsonschema::Validator, what: &str, doc: &Value) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\n{doc:#}");
}
