#![no_main]
// PDFs arrive from anyone, and the index extracts text from every one. Extraction must end with
// text or an error, never a panic; the library turns lopdf's panics into TextError::ParserPanic,
// which would hide bugs from the fuzzer, so that error is a crash here.
use stele_sig::{extract_text, TextError, TextLimits};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Small bounds keep each run short; the code paths are the same as with the defaults.
    let limits = TextLimits {
        max_pages: 50,
        max_stream_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        max_operators: 200_000,
        max_output_chars: 200_000,
        max_form_depth: 6,
        ..TextLimits::default()
    };
    match extract_text(data, &limits) {
        Ok(t) => {
            assert!(t.pages as usize <= limits.max_pages);
            // Output chars are counted before layout adds spaces, newlines and form feeds.
            assert!(t.pages_without_text <= t.pages);
        }
        Err(e) => assert!(!matches!(e, TextError::ParserPanic(_)), "{e}"),
    }
});
