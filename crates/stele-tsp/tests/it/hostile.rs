//! Hostile input: truncated, mutated and absurd encodings give errors, never panics.

use std::sync::LazyLock;

use proptest::prelude::*;
use stele_tsp::{
    verify_token, DigestAlgorithm, ParseError, TimeStampRequest, TimeStampResponse, TimeStampToken,
    TimeStampedData, TokenVerifyOptions,
};
use time::macros::datetime;

use crate::common::local_tsa;

/// A real token and response from the built-in TSA, made once.
static SAMPLE: LazyLock<(Vec<u8>, Vec<u8>)> = LazyLock::new(|| {
    let (_dir, _clock, tsa) = local_tsa(datetime!(2026-01-01 0:00 UTC), 1);
    let req = TimeStampRequest::new(
        DigestAlgorithm::Sha256,
        &DigestAlgorithm::Sha256.digest(b"x"),
    )
    .unwrap();
    let resp = tsa.respond(&req.to_der()).unwrap();
    let token = TimeStampResponse::from_ber(&resp)
        .unwrap()
        .token
        .unwrap()
        .to_der()
        .to_vec();
    (token, resp)
});

fn exercise(bytes: &[u8]) {
    if let Ok(t) = TimeStampToken::from_ber(bytes) {
        let _ = verify_token(&t, &TokenVerifyOptions::integrity_only(t.gen_time()));
    }
    if let Ok(r) = TimeStampResponse::from_ber(bytes) {
        let _ = r.describe();
        if let Some(t) = &r.token {
            let _ = verify_token(t, &TokenVerifyOptions::integrity_only(t.gen_time()));
        }
    }
    let _ = TimeStampRequest::from_der(bytes);
    let _ = TimeStampedData::from_ber(bytes);
}

#[test]
fn every_truncation_is_an_error() {
    let (token, resp) = &*SAMPLE;
    for n in 0..token.len() {
        assert!(TimeStampToken::from_ber(&token[..n]).is_err(), "prefix {n}");
    }
    for n in 0..resp.len() {
        assert!(
            TimeStampResponse::from_ber(&resp[..n]).is_err(),
            "prefix {n}"
        );
    }
    // Zero padding (as in PDF /Contents) is fine, other trailing bytes are not.
    let mut padded = token.clone();
    padded.extend([0u8; 500]);
    assert!(TimeStampToken::from_ber(&padded).is_ok());
    let mut trailing = token.clone();
    trailing.push(1);
    assert!(TimeStampToken::from_ber(&trailing).is_err());
}

#[test]
fn clear_errors_for_wrong_structures() {
    // Garbage.
    let e = TimeStampToken::from_ber(b"not a token").unwrap_err();
    assert!(matches!(e, ParseError::Ber(_)), "{e}");
    // Absurd length.
    let e = TimeStampToken::from_ber(&[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01])
        .unwrap_err();
    assert!(
        e.to_string().contains("BER") || e.to_string().contains("length"),
        "{e}"
    );
    // A ContentInfo of type id-data.
    let data_ci = hex::decode("300f06092a864886f70d010701a0020400").unwrap();
    let e = TimeStampToken::from_ber(&data_ci).unwrap_err();
    assert!(
        matches!(&e, ParseError::WrongContentType { found, .. } if found == "1.2.840.113549.1.7.1"),
        "{e}"
    );
    // A response whose "token" is a SEQUENCE of garbage.
    let e =
        TimeStampResponse::from_ber(&hex::decode("30073003020100 3000".replace(' ', "")).unwrap())
            .unwrap_err();
    assert!(e.to_string().contains("malformed"), "{e}");
    // Oversized input.
    let mut big = vec![0x04, 0x84, 0x00, 0x40, 0x00, 0x00];
    big.resize(6 + 0x0040_0000, 0xaa);
    assert!(matches!(
        TimeStampToken::from_ber(&big),
        Err(ParseError::TooLarge { .. })
    ));
    assert!(matches!(
        TimeStampResponse::from_ber(&big),
        Err(ParseError::TooLarge { .. })
    ));
    // Deep nesting.
    let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 500).flatten().collect();
    assert!(TimeStampToken::from_ber(&deep).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }

    #[test]
    fn mutated_tokens_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        which in 0usize..2,
    ) {
        let (token, resp) = &*SAMPLE;
        let mut b = if which == 0 { token.clone() } else { resp.clone() };
        for (i, v) in &edits {
            let i = i.index(b.len());
            b[i] = *v;
        }
        exercise(&b);
        let c = cut.index(b.len());
        exercise(&b[..c]);
    }
}
