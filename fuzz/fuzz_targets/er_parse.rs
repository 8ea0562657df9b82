#![no_main]
// Evidence records arrive from archives, other systems and attackers: ASN.1 (BER/DER) or XML.
use stele_ers::{
    verify, DataObject, DigestAlgorithm, EvidenceRecord, TimeStampVerifier, TokenCheck, TokenFacts,
    TokenIntegrity, TokenTrust,
};
use time::OffsetDateTime;

/// Refuses every token, as a verifier does for unreadable ones.
struct RejectAll;

impl TimeStampVerifier for RejectAll {
    fn check(&self, _token_der: &[u8], _valid_at: OffsetDateTime) -> Result<TokenCheck, String> {
        Err("rejected by the fuzz verifier".into())
    }
}

/// Reads the token with stele-tsp and vouches for it, so that the hash-tree, renewal and
/// coverage checks after the token check run on fuzzed input too.
struct AcceptParsed;

impl TimeStampVerifier for AcceptParsed {
    fn check(&self, token_der: &[u8], _valid_at: OffsetDateTime) -> Result<TokenCheck, String> {
        let token = stele_tsp::TimeStampToken::from_ber(token_der).map_err(|e| e.to_string())?;
        let mi = token.message_imprint();
        Ok(TokenCheck {
            facts: TokenFacts {
                gen_time: token.gen_time(),
                imprint_algorithm: mi.algorithm,
                imprint: mi.digest.clone(),
                tsa: token.tst_info().tsa_name_string(),
                serial: Some(token.tst_info().serial_decimal()),
            },
            integrity: TokenIntegrity::Intact,
            trust: TokenTrust::NotEvaluated,
        })
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(er) = EvidenceRecord::from_bytes(data) else {
        return;
    };
    // Whatever was read (BER, DER or XML) re-encodes to DER that reads back to the same value.
    let der = er.to_der().expect("a parsed evidence record must encode");
    let again = EvidenceRecord::from_ber(&der).expect("the DER of a parsed record must parse");
    assert_eq!(again, er, "DER round trip changed the record");
    assert_eq!(again.to_der().as_deref(), Ok(der.as_slice()));

    // Accessors used by verification and renewal.
    let _ = er.algorithms();
    for c in 0..er.chains().len() {
        let _ = er.chain_algorithm(c);
        let _ = er.sequence_der(c + 1);
    }

    let at = OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("time");
    let report = verify(&er, &[], &RejectAll, at);
    let _ = report.summary();

    // The same with a token verifier that accepts whatever parses, and a data object taken
    // from the input, so the reduction and coverage paths see hostile hash trees.
    let object = &data[..data.len().min(32)];
    let objects = [
        DataObject::from_bytes(object),
        DataObject::from_digest(
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha256.digest(object),
        ),
    ];
    let report = verify(&er, &objects, &AcceptParsed, at);
    let _ = report.summary();
});
