use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use stele_asn1::DigestAlgorithm;
use stele_ers::{TimeStampVerifier, TokenCheck, TokenFacts, TokenIntegrity, TokenTrust};
use stele_tsp::{verify_token, Integrity, TimeStampToken, TokenVerifyOptions, Trust};
use time::OffsetDateTime;
use x509_cert::Certificate;

/// Checks the tokens of evidence records with `stele-tsp`: signature, messageDigest and
/// signer-certificate binding always; the TSA certificate path to the anchors when asked.
///
/// One seal batch shares one token among all its records, so results are remembered per
/// (token, time) for the life of the checker: verifying a batch costs one token check, not one
/// per record.
#[derive(Clone, Debug, Default)]
pub struct TokenChecker {
    anchors: Vec<Certificate>,
    extra_certs: Vec<Certificate>,
    evaluate_trust: bool,
    seen: Arc<Mutex<Remembered>>,
}

/// Check results by (SHA-256 of the token, time the TSA had to be trustworthy).
type Remembered = HashMap<(Vec<u8>, OffsetDateTime), Result<TokenCheck, String>>;

/// Results kept per checker; past this the memory is cleared rather than grown.
const MAX_REMEMBERED: usize = 4096;

impl TokenChecker {
    /// Trust evaluated against `anchors` (root CAs or pinned TSA certificates).
    pub fn trusting(anchors: Vec<Certificate>) -> Self {
        TokenChecker {
            anchors,
            evaluate_trust: true,
            ..TokenChecker::default()
        }
    }

    /// Integrity only: TSA trust is not evaluated (`--no-tsa-trust`).
    pub fn without_trust() -> Self {
        TokenChecker::default()
    }

    /// Intermediates, and TSA certificates for tokens that carry none.
    pub fn with_extra_certs(mut self, certs: Vec<Certificate>) -> Self {
        self.extra_certs = certs;
        self
    }

    pub fn evaluates_trust(&self) -> bool {
        self.evaluate_trust
    }
}

impl TimeStampVerifier for TokenChecker {
    fn check(&self, token_der: &[u8], valid_at: OffsetDateTime) -> Result<TokenCheck, String> {
        let key = (DigestAlgorithm::Sha256.digest(token_der), valid_at);
        if let Some(hit) = self.seen.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return hit;
        }
        let result = self.check_uncached(token_der, valid_at);
        if let Ok(mut m) = self.seen.lock() {
            if m.len() >= MAX_REMEMBERED {
                m.clear();
            }
            m.insert(key, result.clone());
        }
        result
    }
}

impl TokenChecker {
    fn check_uncached(
        &self,
        token_der: &[u8],
        valid_at: OffsetDateTime,
    ) -> Result<TokenCheck, String> {
        let token = TimeStampToken::from_ber(token_der).map_err(|e| e.to_string())?;
        let opts = TokenVerifyOptions {
            trust_anchors: self.anchors.clone(),
            extra_certs: self.extra_certs.clone(),
            valid_at,
            evaluate_trust: self.evaluate_trust,
        };
        let v = verify_token(&token, &opts);
        let imprint = token.message_imprint();
        let tsa = v
            .signer_certificate
            .as_ref()
            .map(|c| c.tbs_certificate.subject.to_string())
            .or_else(|| token.tst_info().tsa_name_string());
        let integrity = match v.integrity {
            Integrity::Intact => TokenIntegrity::Intact,
            Integrity::Broken(reason) => TokenIntegrity::Broken(reason),
            Integrity::SignerCertificateMissing => TokenIntegrity::Unchecked(
                "the token carries no TSA certificate and none was supplied".into(),
            ),
        };
        let trust = match v.trust {
            Trust::Trusted { anchor } => TokenTrust::Trusted { anchor },
            Trust::NotEvaluated => TokenTrust::NotEvaluated,
            Trust::Untrusted { reason } => TokenTrust::Untrusted { reason },
        };
        Ok(TokenCheck {
            facts: TokenFacts {
                gen_time: token.gen_time(),
                imprint_algorithm: imprint.algorithm,
                imprint: imprint.digest.clone(),
                tsa,
                serial: Some(token.tst_info().serial_decimal()),
            },
            integrity,
            trust,
        })
    }
}
