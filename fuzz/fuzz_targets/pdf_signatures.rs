#![no_main]
// PDFs arrive from anyone. Reads the signatures, the /DSS, and what changed after each
// signature; every entry point must end with a value or an error, never a panic (the library
// turns parser panics into PdfError::ParserPanic, which would hide its own bugs from the
// fuzzer, so that error is a crash here).
use stele_sig::{
    ChangeKind, ModificationError, ModificationVerdict, PdfError, PdfLimits, PdfSignatures,
};

fn no_panic(e: &PdfError) {
    assert!(!matches!(e, PdfError::ParserPanic(_)), "{e}");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Smaller bounds than the defaults keep each run short; the code paths are the same.
    let limits = PdfLimits {
        max_decompressed_stream_len: 1 << 20,
        max_compared_objects: 200_000,
        max_dss_bytes: 4 << 20,
        ..PdfLimits::default()
    };
    let sigs = match PdfSignatures::read(data, &limits) {
        Ok(sigs) => sigs,
        Err(e) => return no_panic(&e),
    };
    let all = sigs.all_modifications(data, &limits);
    assert_eq!(all.len(), sigs.signatures.len());
    for (index, (sig, result)) in sigs.signatures.iter().zip(&all).enumerate() {
        match result {
            Ok(m) => {
                assert_eq!(m.signature_index, index);
                assert_eq!(Some(m.revision_end), sig.revision_end());
                // The verdict is what the changes say.
                let expected = if m.changes.is_empty() {
                    ModificationVerdict::None
                } else if m.changes.iter().all(|c| c.permitted) {
                    ModificationVerdict::Allowed
                } else {
                    ModificationVerdict::Modified
                };
                assert_eq!(m.verdict, expected);
                assert!(m
                    .changes
                    .iter()
                    .all(|c| c.kind != ChangeKind::Other || !c.permitted));
                if sig.covers_whole_file() {
                    assert!(m.changes.is_empty());
                }
            }
            Err(ModificationError::File(e) | ModificationError::SignedRevision(e)) => no_panic(e),
            Err(ModificationError::ByteRange(_)) => assert!(sig.byte_range.is_err()),
            Err(_) => {}
        }
    }
    // One signature at a time gives the same answer as all at once.
    if let Some(first) = all.first() {
        assert_eq!(&sigs.modifications(data, 0, &limits), first);
    }
    if let Some(dss) = &sigs.dss {
        for sig in &sigs.signatures {
            let material = dss.material_for(sig);
            assert_eq!(material.vri, dss.vri_for(sig));
        }
    }
    for sig in &sigs.signatures {
        if let Ok(range) = &sig.byte_range {
            let [a, b] = range
                .signed_bytes(data)
                .expect("validated against this file");
            assert_eq!(a.len() + b.len() + range.gap().len(), range.revision_end());
        }
    }
});
