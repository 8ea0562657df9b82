#![no_main]
// BER normalisation is the first thing untrusted tokens and records go through.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(der) = stele_asn1::to_der(data) {
        // DER is a fixed point of normalisation.
        assert_eq!(stele_asn1::to_der(&der).as_deref(), Ok(der.as_slice()));
    }
    let _ = stele_asn1::strip_padding(data);
});
