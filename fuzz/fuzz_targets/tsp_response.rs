#![no_main]
// What a TSA answers (client side) and what clients ask (the built-in TSA's server side).
use stele_tsp::{TimeStampRequest, TimeStampResponse};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(resp) = TimeStampResponse::from_ber(data) {
        let _ = resp.describe();
        let _ = resp.status.is_granted();
        if let Some(token) = &resp.token {
            // The token's normalised DER reads back.
            stele_tsp::TimeStampToken::from_ber(token.to_der())
                .expect("the DER of a parsed token must parse");
        }
    }
    if let Ok(req) = TimeStampRequest::from_der(data) {
        // What the server read re-encodes to a request that reads back the same (extensions
        // are not re-encoded: the built-in TSA refuses them).
        let again = TimeStampRequest::from_der(&req.to_der())
            .expect("the encoding of a parsed request must parse");
        assert_eq!(again.message_imprint, req.message_imprint);
        assert_eq!(again.policy, req.policy);
        assert_eq!(again.nonce, req.nonce);
        assert_eq!(again.cert_req, req.cert_req);
    }
});
