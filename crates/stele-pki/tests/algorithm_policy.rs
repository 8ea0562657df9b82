use stele_asn1::DigestAlgorithm as D;
use stele_pki::algorithm_policy::PolicyError;
use stele_pki::{Acceptability, Algorithm, AlgorithmPolicy, AlgorithmUse as U};
use time::macros::datetime;

#[test]
fn defaults() {
    let p = AlgorithmPolicy::default();
    let now = datetime!(2026-11-23 0:00 UTC);
    assert!(matches!(
        p.is_acceptable(U::Signature, Algorithm::Hash(D::Sha1), now),
        Acceptability::Expired { .. }
    ));
    // SP 800-57 time frames: SHA-1 deprecated through 2013, disallowed from 2014.
    assert_eq!(
        p.is_acceptable(
            U::Signature,
            Algorithm::Hash(D::Sha1),
            datetime!(2013-12-31 23:59 UTC)
        ),
        Acceptability::Acceptable
    );
    assert_eq!(
        p.is_acceptable(U::Signature, Algorithm::Hash(D::Sha1), now),
        Acceptability::Expired {
            since: datetime!(2014-01-01 0:00 UTC)
        }
    );
    assert_eq!(
        p.is_acceptable(U::HashTree, Algorithm::Hash(D::Sha256), now),
        Acceptability::Acceptable
    );
    assert_eq!(
        p.is_acceptable(U::Signature, Algorithm::Rsa { bits: 4096 }, now),
        Acceptability::Acceptable
    );
    // RSA-2048 (112 bits) is acceptable through 2030: documents signed today still pass.
    assert_eq!(
        p.is_acceptable(U::Signature, Algorithm::Rsa { bits: 2048 }, now),
        Acceptability::Acceptable
    );
    assert_eq!(
        p.is_acceptable(
            U::Signature,
            Algorithm::Rsa { bits: 2048 },
            datetime!(2030-12-31 23:59 UTC)
        ),
        Acceptability::Acceptable
    );
    assert_eq!(
        p.is_acceptable(
            U::Signature,
            Algorithm::RsaPss { bits: 2047 },
            datetime!(2031-01-01 0:00 UTC)
        ),
        Acceptability::Expired {
            since: datetime!(2031-01-01 0:00 UTC)
        }
    );
    assert_eq!(
        p.retirement_date(U::HashTree, Algorithm::Hash(D::Sha224)),
        Some(Some(datetime!(2031-01-01 0:00 UTC)))
    );
    assert_eq!(
        p.is_acceptable(U::HashTree, Algorithm::EcdsaP256, now),
        Acceptability::Unknown
    );
    // BSI thresholds: < 2000 bits is the 1024 class, ≥ 3000 bits the 3072 class.
    assert_eq!(
        p.retirement_date(U::Signature, Algorithm::Rsa { bits: 1999 }),
        Some(Some(datetime!(2014-01-01 0:00 UTC)))
    );
    assert_eq!(
        p.retirement_date(U::Signature, Algorithm::RsaPss { bits: 3000 }),
        Some(None)
    );
    assert_eq!(
        p.is_acceptable(
            U::Signature,
            Algorithm::EcdsaP384,
            datetime!(2060-01-01 0:00 UTC)
        ),
        Acceptability::Acceptable
    );
    assert_eq!(
        p.retirement_date(U::HashTree, Algorithm::Hash(D::Sha1)),
        Some(Some(datetime!(2014-01-01 0:00 UTC)))
    );
    assert_eq!(
        p.retirement_date(U::HashTree, Algorithm::Hash(D::Sha512)),
        Some(None)
    );
}

#[test]
fn toml_override() {
    let p = AlgorithmPolicy::from_toml(
        "# site policy\n[signature]\nrsa-2048 = 2030-01-01\nSHA-1 = \"never\"\n\n[hash_tree]\nsha256 = 2040-01-01\n",
    )
    .unwrap();
    let now = datetime!(2026-11-23 0:00 UTC);
    assert_eq!(
        p.is_acceptable(U::Signature, Algorithm::Rsa { bits: 2048 }, now),
        Acceptability::Acceptable
    );
    assert_eq!(
        p.is_acceptable(U::Signature, Algorithm::Hash(D::Sha1), now),
        Acceptability::Acceptable
    );
    assert_eq!(
        p.retirement_date(U::HashTree, Algorithm::Hash(D::Sha256)),
        Some(Some(datetime!(2040-01-01 0:00 UTC)))
    );
    // Untouched entries keep their defaults.
    assert_eq!(
        p.retirement_date(U::Signature, Algorithm::Rsa { bits: 1024 }),
        Some(Some(datetime!(2014-01-01 0:00 UTC)))
    );
    // The EU catalogue dates from the module docs, loaded as an operator would.
    let eu = AlgorithmPolicy::from_toml(
        "[signature]\nrsa-2048 = 2026-01-01\nrsa-pss-2048 = 2026-01-01\n",
    )
    .unwrap();
    assert_eq!(
        eu.is_acceptable(U::Signature, Algorithm::Rsa { bits: 2048 }, now),
        Acceptability::Expired {
            since: datetime!(2026-01-01 0:00 UTC)
        }
    );
}

#[test]
fn bad_toml_names_the_entry() {
    let e = AlgorithmPolicy::from_toml("[signature]\nsha256 = \"never\"\nmd5 = 2000-01-01\n")
        .unwrap_err();
    match &e {
        PolicyError::Entry {
            line, table, entry, ..
        } => {
            assert_eq!(
                (*line, table.as_str(), entry.as_str()),
                (3, "signature", "md5")
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(e.to_string().contains("md5"), "{e}");

    let e = AlgorithmPolicy::from_toml("[hash_tree]\nrsa-2048 = 2030-01-01\n").unwrap_err();
    assert!(e.to_string().contains("rsa-2048"), "{e}");
    let e = AlgorithmPolicy::from_toml("[signature]\nsha256 = 42\n").unwrap_err();
    assert!(e.to_string().contains("line 2"), "{e}");
    let e = AlgorithmPolicy::from_toml("[signatures]\nsha256 = 2030-01-01\n").unwrap_err();
    assert!(matches!(e, PolicyError::Syntax(_)), "{e:?}");
    let e = AlgorithmPolicy::from_toml("[signature\n").unwrap_err();
    assert!(matches!(e, PolicyError::Syntax(_)), "{e:?}");
}

#[test]
fn names_in_reports() {
    assert_eq!(Algorithm::Hash(D::Sha256).to_string(), "SHA-256");
    assert_eq!(Algorithm::Hash(D::Sha3_384).to_string(), "SHA3-384");
    assert_eq!(Algorithm::Hash(D::Sha1).to_string(), "SHA-1");
    assert_eq!(Algorithm::Rsa { bits: 2048 }.to_string(), "RSA-2048");
    assert_eq!(Algorithm::EcdsaP384.to_string(), "ECDSA P-384");
}
