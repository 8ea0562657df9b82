#![no_main]
// CMS SignedData from PDF /Contents, .p7s files and timestamp tokens: parsing, the embedded
// evidence records, the revocation data (RFC 5940 entries, adbe-revocationInfoArchival) and a
// full signer verification over empty content must never panic.
use stele_sig::{adobe_revocation_info, embedded_evidence_records, verify_signer, SignedDataParts};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(parts) = SignedDataParts::from_ber(data) else {
        return;
    };
    let _ = embedded_evidence_records(&parts);
    let ocsp = parts.ocsp_responses();
    assert!(ocsp.len() <= parts.revocation_choices().len());
    let _ = parts.certificates().count();
    let _ = parts.crls().count();
    // A real CMS has a handful of signers; a fuzzed one may list thousands.
    for index in 0..parts.signer_infos().len().min(8) {
        let _ = adobe_revocation_info(&parts, index);
        let verification = verify_signer(&parts, index, Some(&[]));
        let _ = (
            verification.status(),
            verification.is_valid(),
            verification.proven_time(),
        );
    }
    // The normalised DER reads back to the same value.
    let again = SignedDataParts::from_ber(parts.der()).expect("the DER of a SignedData reads");
    assert_eq!(again.der(), parts.der());
    assert_eq!(again.revocation_choices(), parts.revocation_choices());
});
