#![no_main]
// Audit-log entries and public verification paths come from the store and from anyone on the
// network: parsed or refused, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = stele_archive::audit_log::AuditEntry::parse(data) {
        // What parses serialises again.
        let _ = serde_json::to_vec(&entry).expect("an entry serialises");
    }
    if let Ok(path) = std::str::from_utf8(data) {
        if let Some((id, code)) = stele_archive::verification_code::parse_path(path) {
            assert!(!id.as_str().contains('/'), "{id:?}");
            assert!(code.len() <= stele_archive::verification_code::CODE_LEN, "{code}");
        }
    }
});
