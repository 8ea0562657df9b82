//! API behaviour on PKITS material: injected time, revocation switch, trust store loading, and
//! bounded path building over a large pool of unrelated certificates.

use std::path::{Path, PathBuf};

use der::{Decode, Encode, EncodePem};
use stele_pki::{PathError, PathValidator, TrustStore, ValidationOptions};
use x509_cert::crl::CertificateList;
use x509_cert::Certificate;

fn corpus() -> Option<PathBuf> {
    stele_tests::interop_dir().map(|d| d.join("pkits"))
}

fn cert(dir: &Path, name: &str) -> Certificate {
    Certificate::from_der(&std::fs::read(dir.join("certs").join(name)).unwrap()).unwrap()
}

fn crl(dir: &Path, name: &str) -> CertificateList {
    CertificateList::from_der(&std::fs::read(dir.join("crls").join(name)).unwrap()).unwrap()
}

fn validator(dir: &Path) -> PathValidator {
    let bytes = std::fs::read(dir.join("certs/TrustAnchorRootCertificate.crt")).unwrap();
    PathValidator::new(TrustStore::from_bytes(&bytes).unwrap())
}

fn at_2010() -> ValidationOptions {
    ValidationOptions::at(time::macros::datetime!(2010-02-01 00:00 UTC))
}

#[test]
fn validity_follows_the_injected_time() {
    let Some(dir) = corpus() else { return };
    let v = validator(&dir);
    let ee = cert(&dir, "ValidCertificatePathTest1EE.crt");
    let ca = [cert(&dir, "GoodCACert.crt")];
    let crls = [
        crl(&dir, "GoodCACRL.crl"),
        crl(&dir, "TrustAnchorRootCRL.crl"),
    ];
    let ok = v.validate(&ee, &ca, &crls, &at_2010()).unwrap();
    assert_eq!(ok.chain.len(), 3);
    assert_eq!(ok.chain[0], ee);

    let later = ValidationOptions::at(time::macros::datetime!(2012-01-01 00:00 UTC));
    let err = v.validate(&ee, &ca, &crls, &later).unwrap_err();
    assert!(matches!(err, PathError::Expired { .. }), "{err:?}");
    assert!(err.to_string().contains("expired"));

    let earlier = ValidationOptions::at(time::macros::datetime!(2000-01-01 00:00 UTC));
    let err = v.validate(&ee, &ca, &crls, &earlier).unwrap_err();
    assert!(matches!(err, PathError::NotYetValid { .. }), "{err:?}");
}

#[test]
fn revocation_is_required_unless_switched_off() {
    let Some(dir) = corpus() else { return };
    let v = validator(&dir);
    let ee = cert(&dir, "InvalidRevokedEETest3EE.crt");
    let ca = [cert(&dir, "GoodCACert.crt")];
    let crls = [
        crl(&dir, "GoodCACRL.crl"),
        crl(&dir, "TrustAnchorRootCRL.crl"),
    ];
    let err = v.validate(&ee, &ca, &crls, &at_2010()).unwrap_err();
    assert!(
        matches!(err, PathError::Revoked { depth: 0, .. }),
        "{err:?}"
    );
    let err = v.validate(&ee, &ca, &[], &at_2010()).unwrap_err();
    assert!(
        matches!(err, PathError::RevocationUnknown { .. }),
        "{err:?}"
    );
    let mut opts = at_2010();
    opts.require_revocation = false;
    assert!(v.validate(&ee, &ca, &[], &opts).is_ok());
    // Before the revocation date the certificate was still good.
    let mut before = ValidationOptions::at(time::macros::datetime!(2001-04-19 14:57:00 UTC));
    before.require_revocation = true;
    let r = v.validate(&ee, &ca, &crls, &before);
    assert!(!matches!(r, Err(PathError::Revoked { .. })), "{r:?}");
}

#[test]
fn trust_store_reads_pem_der_and_folders() {
    let Some(dir) = corpus() else { return };
    let root = cert(&dir, "TrustAnchorRootCertificate.crt");
    let pem = format!(
        "junk before\n{}{}",
        root.to_pem(der::pem::LineEnding::LF).unwrap(),
        cert(&dir, "GoodCACert.crt")
            .to_pem(der::pem::LineEnding::LF)
            .unwrap()
    );
    let s = TrustStore::from_bytes(pem.as_bytes());
    // Text before the first block is refused rather than guessed around.
    assert!(s.is_err() || s.unwrap().len() == 2);
    let pem_only = root.to_pem(der::pem::LineEnding::LF).unwrap();
    assert_eq!(
        TrustStore::from_bytes(pem_only.as_bytes()).unwrap().len(),
        1
    );
    let tmp = std::env::temp_dir().join(format!("stele-pki-anchors-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("root.crt"), root.to_der().unwrap()).unwrap();
    std::fs::write(tmp.join("root-copy.pem"), &pem_only).unwrap();
    std::fs::write(tmp.join("notes.txt"), b"ignored").unwrap();
    let folder = TrustStore::from_dir(&tmp).unwrap();
    assert_eq!(folder.len(), 1, "duplicates are merged");
    std::fs::write(tmp.join("bad.der"), b"\x30\x03\x02\x01").unwrap();
    assert!(
        TrustStore::from_dir(&tmp).is_err(),
        "a broken anchor file is an error"
    );
    std::fs::remove_dir_all(&tmp).unwrap();
    assert!(TrustStore::from_bytes(b"not a certificate").is_err());
}

#[test]
fn building_is_bounded_with_every_pkits_certificate_as_candidate() {
    let Some(dir) = corpus() else { return };
    let v = validator(&dir);
    let mut pool = Vec::new();
    for e in std::fs::read_dir(dir.join("certs")).unwrap() {
        if let Ok(c) = Certificate::from_der(&std::fs::read(e.unwrap().path()).unwrap()) {
            pool.push(c);
        }
    }
    let mut crls = Vec::new();
    for e in std::fs::read_dir(dir.join("crls")).unwrap() {
        if let Ok(c) = CertificateList::from_der(&std::fs::read(e.unwrap().path()).unwrap()) {
            crls.push(c);
        }
    }
    let started = std::time::Instant::now();
    let ee = cert(&dir, "ValidCertificatePathTest1EE.crt");
    assert!(v.validate(&ee, &pool, &crls, &at_2010()).is_ok());
    let ee = cert(&dir, "InvalidRevokedEETest3EE.crt");
    assert!(v.validate(&ee, &pool, &crls, &at_2010()).is_err());
    assert!(started.elapsed().as_secs() < 60);
}

#[test]
fn mutated_certificates_never_panic() {
    let Some(dir) = corpus() else { return };
    let v = validator(&dir);
    let ca = [cert(&dir, "GoodCACert.crt")];
    let crls = [
        crl(&dir, "GoodCACRL.crl"),
        crl(&dir, "TrustAnchorRootCRL.crl"),
    ];
    let der = std::fs::read(dir.join("certs/ValidCertificatePathTest1EE.crt")).unwrap();
    let mut decoded = 0;
    for i in 0..der.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut m = der.clone();
            m[i] ^= flip;
            if let Ok(c) = Certificate::from_der(&m) {
                decoded += 1;
                // Any change to a signed certificate must be refused.
                assert!(v.validate(&c, &ca, &crls, &at_2010()).is_err(), "byte {i}");
            }
        }
    }
    assert!(decoded > 0);
}

#[test]
fn trusted_end_entity_still_needs_its_validity_period() {
    let Some(dir) = corpus() else { return };
    let v = validator(&dir);
    let root = cert(&dir, "TrustAnchorRootCertificate.crt");
    assert!(v.validate(&root, &[], &[], &at_2010()).is_ok());
    let later = ValidationOptions::at(time::macros::datetime!(2040-01-01 00:00 UTC));
    assert!(matches!(
        v.validate(&root, &[], &[], &later),
        Err(PathError::Expired { .. })
    ));
}

#[test]
fn der_level_certificate_check_uses_the_received_bytes() {
    let Some(dir) = corpus() else { return };
    let ca = cert(&dir, "GoodCACert.crt");
    let key = &ca.tbs_certificate.subject_public_key_info;
    let der = std::fs::read(dir.join("certs/ValidCertificatePathTest1EE.crt")).unwrap();
    assert!(stele_pki::crypto::verify_certificate_der(&der, key).is_ok());
    let other = std::fs::read(dir.join("certs/InvalidEESignatureTest3EE.crt")).unwrap();
    assert_eq!(
        stele_pki::crypto::verify_certificate_der(&other, key),
        Err(stele_pki::SignatureError::Invalid)
    );
}
