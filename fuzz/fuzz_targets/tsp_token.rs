#![no_main]
// Time-stamp tokens (from evidence records, responses and files) and RFC 5544 TimeStampedData.
use stele_tsp::{verify_token, TimeStampToken, TimeStampedData, TokenVerifyOptions};
use time::OffsetDateTime;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let at = OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("time");
    if let Ok(token) = TimeStampToken::from_ber(data) {
        let _ = token.tst_info().serial_decimal();
        let _ = token.tst_info().tsa_name_string();
        let _ = token.accuracy().map(|a| a.as_duration());
        let _ = token.signer_id().to_string();
        let _ = token.message_imprint().covers(data);
        // Integrity only (signature, messageDigest, signer binding).
        let v = verify_token(&token, &TokenVerifyOptions::integrity_only(at));
        let _ = (v.is_intact(), v.is_trusted());
        // And path building, trusting whatever certificates the token carries.
        let anchors = token.certificates().to_vec();
        if !anchors.is_empty() {
            let _ = verify_token(&token, &TokenVerifyOptions::with_anchors(anchors, at));
        }
        // The normalised DER reads back to the same token.
        let again = TimeStampToken::from_ber(token.to_der()).expect("token DER must parse");
        assert_eq!(again.to_der(), token.to_der());
        assert_eq!(again.tst_info_der(), token.tst_info_der());
    }
    if let Ok(tsd) = TimeStampedData::from_ber(data) {
        for t in tsd.tokens() {
            let _ = verify_token(t, &TokenVerifyOptions::integrity_only(at));
        }
        let _ = tsd.check_imprints(Some(data));
    }
});
