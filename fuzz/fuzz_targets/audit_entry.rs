#![no_main]
// Audit-log entries and segment markers come from the store, which may have been tampered with:
// parsed or refused, never a panic, and what a marker names is a range with a successor.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = stele_archive::audit_log::AuditEntry::parse(data) {
        // What parses serialises again.
        let _ = serde_json::to_vec(&entry).expect("an entry serialises");
    }
    if let Some((head, body)) = data.split_first_chunk::<8>() {
        let first = u64::from_le_bytes(*head);
        if let Ok(m) = stele_archive::audit_log::parse_marker(first, body) {
            assert_eq!(m.first, first);
            assert!(m.first <= m.last && m.last < u64::MAX, "{m:?}");
        }
    }
});
