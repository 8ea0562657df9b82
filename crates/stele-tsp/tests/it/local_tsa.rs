//! The built-in TSA: certificates, tokens, serials, rejections, time travel, tampering.

use std::sync::Arc;

use der::Decode;
use stele_tsp::{
    verify_token, Clock, DigestAlgorithm, FailureInfo, Integrity, LocalTsa, PkiStatus,
    TimeStampRequest, TimeStampResponse, TimeStampToken, TokenVerifyOptions, Trust,
    BUILTIN_TSA_POLICY,
};
use time::macros::datetime;
use time::Duration;

use crate::common::local_tsa;

fn sha256(data: &[u8]) -> Vec<u8> {
    DigestAlgorithm::Sha256.digest(data)
}

#[test]
fn certificates_say_what_they_are() {
    let (dir, _clock, tsa) = local_tsa(datetime!(2026-01-01 0:00 UTC), 3);
    let cert = tsa.certificate();
    let subject = cert.tbs_certificate.subject.to_string();
    assert!(subject.contains("not accredited"), "{subject}");
    let exts = cert.tbs_certificate.extensions.as_ref().unwrap();
    let eku = exts
        .iter()
        .find(|e| e.extn_id.to_string() == "2.5.29.37")
        .unwrap();
    assert!(eku.critical);
    let ku = exts
        .iter()
        .find(|e| e.extn_id.to_string() == "2.5.29.15")
        .unwrap();
    assert!(ku.critical);
    let ku = x509_cert::ext::pkix::KeyUsage::from_der(ku.extn_value.as_bytes()).unwrap();
    assert!(ku.digital_signature() && !ku.key_cert_sign());
    let (nb, na) = stele_tsp::certificate_validity(cert);
    assert_eq!(nb, datetime!(2026-01-01 0:00 UTC));
    assert_eq!(na, datetime!(2026-01-01 0:00 UTC) + Duration::days(365 * 3));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("tsa.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A second init into the same directory is refused rather than destroying the key.
    let again = stele_tsp::tsa_init(
        dir.path(),
        &stele_tsp::TsaInitOptions {
            common_name: "x".into(),
            not_before: datetime!(2026-01-01 0:00 UTC),
            not_after: datetime!(2027-01-01 0:00 UTC),
            root_not_after: None,
        },
        &stele_tsp::FixedClock::new(datetime!(2026-01-02 0:00 UTC)),
    );
    assert!(matches!(
        again,
        Err(stele_tsp::LocalTsaError::AlreadyInitialised(_))
    ));
}

#[test]
fn tokens_verify_and_trust_follows_time() {
    let start = datetime!(2026-03-01 0:00 UTC);
    let (_dir, clock, tsa) = local_tsa(start, 3);
    let token = tsa
        .timestamp(DigestAlgorithm::Sha256, &sha256(b"record"))
        .unwrap();
    assert_eq!(token.gen_time(), clock.now());
    assert_eq!(token.policy(), BUILTIN_TSA_POLICY);
    assert!(token.message_imprint().covers(b"record"));
    assert_eq!(token.certificates().len(), 2);

    let root = tsa.root_certificate().clone();
    let v = verify_token(
        &token,
        &TokenVerifyOptions::with_anchors(vec![root.clone()], token.gen_time()),
    );
    assert_eq!(v.integrity, Integrity::Intact);
    assert!(
        matches!(&v.trust, Trust::Trusted { anchor } if anchor.contains("Root CA")),
        "{:?}",
        v.trust
    );

    // A pinned TSA certificate is an anchor too.
    let pinned =
        TokenVerifyOptions::with_anchors(vec![tsa.certificate().clone()], token.gen_time());
    assert!(verify_token(&token, &pinned).is_trusted());

    // Thirty years later the TSA certificate has expired: intact, but not trusted at that time,
    // and the reason names the certificate and its dates.
    let later = start + Duration::days(365 * 30);
    let v = verify_token(
        &token,
        &TokenVerifyOptions::with_anchors(vec![root.clone()], later),
    );
    assert_eq!(v.integrity, Integrity::Intact);
    match &v.trust {
        Trust::Untrusted { reason } => {
            assert!(reason.contains("expired"), "{reason}");
            assert!(reason.contains("Test TSA"), "{reason}");
            assert!(reason.contains("2026-03-01T00:00:00Z"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Before the certificate existed: not yet valid.
    let v = verify_token(
        &token,
        &TokenVerifyOptions::with_anchors(vec![root], start - Duration::days(1)),
    );
    assert!(matches!(&v.trust, Trust::Untrusted { reason } if reason.contains("not yet valid")));

    // An unrelated root of the same name is no anchor for this token.
    let (_d2, _c2, other) = local_tsa(start, 3);
    let v = verify_token(
        &token,
        &TokenVerifyOptions::with_anchors(vec![other.root_certificate().clone()], token.gen_time()),
    );
    assert!(
        matches!(&v.trust, Trust::Untrusted { reason } if reason.contains("does not verify")),
        "{:?}",
        v.trust
    );

    // A root of another name: no path at all.
    let odir = tempfile::tempdir().unwrap();
    let other = stele_tsp::tsa_init(
        odir.path(),
        &stele_tsp::TsaInitOptions {
            common_name: "Elsewhere".into(),
            not_before: start,
            not_after: start + Duration::days(365),
            root_not_after: None,
        },
        clock.as_ref(),
    )
    .unwrap();
    let v = verify_token(
        &token,
        &TokenVerifyOptions::with_anchors(vec![other.root], token.gen_time()),
    );
    assert!(
        matches!(&v.trust, Trust::Untrusted { reason } if reason.contains("no path")),
        "{:?}",
        v.trust
    );

    // And the TSA refuses to sign once its certificate has expired.
    clock.set(later);
    let err = tsa
        .timestamp(DigestAlgorithm::Sha256, &sha256(b"late"))
        .unwrap_err();
    assert!(err.to_string().contains("not valid"), "{err}");
}

#[test]
fn serials_are_unique_monotonic_and_survive_restarts() {
    let start = datetime!(2026-05-01 12:00 UTC);
    let (dir, clock, tsa) = local_tsa(start, 2);
    let mut serials = Vec::new();
    for i in 0..5u8 {
        let t = tsa
            .timestamp(DigestAlgorithm::Sha256, &sha256(&[i]))
            .unwrap();
        serials.push(t.tst_info().serial_decimal().parse::<u128>().unwrap());
    }
    drop(tsa);
    // Restart with the clock moved backwards: serials still increase.
    clock.set(start);
    let reopened = LocalTsa::open(dir.path(), clock.clone()).unwrap();
    let t = reopened
        .timestamp(DigestAlgorithm::Sha256, &sha256(b"after restart"))
        .unwrap();
    serials.push(t.tst_info().serial_decimal().parse::<u128>().unwrap());
    assert!(serials.windows(2).all(|w| w[0] < w[1]), "{serials:?}");
    // Time-derived: at least the genTime in microseconds.
    assert!(serials[0] >= (start + Duration::days(1)).unix_timestamp() as u128 * 1_000_000);

    // Concurrent requests in one process get distinct serials.
    let tsa = Arc::new(reopened);
    let handles: Vec<_> = (0..4u8)
        .map(|i| {
            let tsa = tsa.clone();
            std::thread::spawn(move || {
                (0..5u8)
                    .map(|j| {
                        tsa.timestamp(DigestAlgorithm::Sha256, &sha256(&[i, j]))
                            .unwrap()
                            .tst_info()
                            .serial_decimal()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n);
}

fn rejection(tsa: &LocalTsa, req: &[u8]) -> TimeStampResponse {
    let resp = TimeStampResponse::from_ber(&tsa.respond(req).unwrap()).unwrap();
    assert_eq!(resp.status, PkiStatus::Rejection, "{}", resp.describe());
    assert!(resp.token.is_none());
    resp
}

#[test]
fn bad_requests_get_proper_rejections() {
    let (_dir, _clock, tsa) = local_tsa(datetime!(2026-01-01 0:00 UTC), 1);
    // SHA-1 imprint: badAlg.
    let req =
        TimeStampRequest::new(DigestAlgorithm::Sha1, &DigestAlgorithm::Sha1.digest(b"x")).unwrap();
    assert_eq!(
        rejection(&tsa, &req.to_der()).failure_info,
        vec![FailureInfo::BadAlg]
    );
    // Unknown algorithm (MD5): badAlg.
    let md5 = hex::decode(
        "3028020101302030 0c06082a864886f70d02050500 0410 00112233445566778899aabbccddeeff 0101ff"
            .replace(' ', ""),
    )
    .unwrap();
    let r = rejection(&tsa, &md5);
    assert_eq!(r.failure_info, vec![FailureInfo::BadAlg]);
    assert!(
        r.describe().contains("1.2.840.113549.2.5"),
        "{}",
        r.describe()
    );
    // SHA-256 OID with a 31-byte digest: badDataFormat.
    let mut good = TimeStampRequest::new(DigestAlgorithm::Sha256, &sha256(b"x")).unwrap();
    good.message_imprint.digest.pop();
    let r = rejection(&tsa, &good.to_der());
    assert_eq!(r.failure_info, vec![FailureInfo::BadDataFormat]);
    assert!(r.describe().contains("32 bytes"), "{}", r.describe());
    // Garbage and empty bodies: badDataFormat.
    for g in [
        &b""[..],
        b"hello",
        &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        &[0u8; 100],
    ] {
        assert_eq!(
            rejection(&tsa, g).failure_info,
            vec![FailureInfo::BadDataFormat]
        );
    }
    // Another policy: unacceptedPolicy.
    let req = TimeStampRequest::new(DigestAlgorithm::Sha256, &sha256(b"x"))
        .unwrap()
        .with_policy("1.2.3.4")
        .unwrap();
    assert_eq!(
        rejection(&tsa, &req.to_der()).failure_info,
        vec![FailureInfo::UnacceptedPolicy]
    );
    // Our own policy is fine.
    let req = TimeStampRequest::new(
        DigestAlgorithm::Sha512,
        &DigestAlgorithm::Sha512.digest(b"x"),
    )
    .unwrap()
    .with_policy(BUILTIN_TSA_POLICY)
    .unwrap();
    let resp = TimeStampResponse::from_ber(&tsa.respond(&req.to_der()).unwrap()).unwrap();
    stele_tsp::verify_response(&resp, &req).unwrap();
}

#[test]
fn tampering_breaks_integrity_and_missing_certificates_are_not_failures() {
    let (_dir, _clock, tsa) = local_tsa(datetime!(2026-01-01 0:00 UTC), 1);
    let token = tsa
        .timestamp(DigestAlgorithm::Sha256, &sha256(b"doc"))
        .unwrap();
    let der = token.to_der().to_vec();
    let at = TokenVerifyOptions::integrity_only(token.gen_time());

    // Change one byte of the imprint inside the TSTInfo.
    let digest = token.message_imprint().digest.clone();
    let pos = der
        .windows(32)
        .position(|w| w == digest.as_slice())
        .unwrap();
    let mut t = der.clone();
    t[pos] ^= 1;
    let v = verify_token(&TimeStampToken::from_ber(&t).unwrap(), &at);
    assert!(
        matches!(&v.integrity, Integrity::Broken(r) if r.contains("messageDigest")),
        "{:?}",
        v.integrity
    );

    // Change the genTime.
    let gt = der.windows(4).position(|w| w == b"2026").unwrap();
    let mut t = der.clone();
    t[gt + 3] = b'7';
    let v = verify_token(&TimeStampToken::from_ber(&t).unwrap(), &at);
    assert!(matches!(v.integrity, Integrity::Broken(_)));

    // A token without certificates (certReq false) is unchecked, not broken; with the TSA
    // certificate supplied it verifies.
    let mut req = TimeStampRequest::new(DigestAlgorithm::Sha256, &sha256(b"doc")).unwrap();
    req.cert_req = false;
    let resp = TimeStampResponse::from_ber(&tsa.respond(&req.to_der()).unwrap()).unwrap();
    let bare = resp.token.clone().unwrap();
    assert!(bare.certificates().is_empty());
    assert_eq!(
        verify_token(&bare, &at).integrity,
        Integrity::SignerCertificateMissing
    );
    assert_eq!(
        stele_tsp::verify_response(&resp, &req).unwrap_err(),
        stele_tsp::ResponseError::SignerCertificateMissing
    );
    let mut with_cert = at.clone();
    with_cert.extra_certs.push(tsa.certificate().clone());
    assert_eq!(verify_token(&bare, &with_cert).integrity, Integrity::Intact);
    // The wrong certificate under the right name would not verify.
    let (_d2, _c2, other) = local_tsa(datetime!(2026-01-01 0:00 UTC), 1);
    let mut wrong = at.clone();
    wrong.extra_certs.push(other.certificate().clone());
    assert_eq!(
        verify_token(&bare, &wrong).integrity,
        Integrity::SignerCertificateMissing
    );
}
