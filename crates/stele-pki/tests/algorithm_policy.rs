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
    assert_eq!(
        p.is_acceptable(
            U::Signature,
            Algorithm::Hash(D::Sha1),
            datetime!(2010-06-01 0:00 UTC)
        ),
        Acceptability::Acceptable
    );
    assert_eq!(
        p.is_acceptable(U::HashTree, Algorithm::Hash(D::Sha256), now),
        Acceptability::Acceptable
    );
    assert_eq!(
        p.is_acceptable(U::Signature, Algorithm::Rsa { bits: 4096 }, now),
        Acceptability::Acceptable
    );
    assert_eq!(
        p.is_acceptable(U::Signature, Algorithm::Rsa { bits: 2048 }, now),
        Acceptability::Expired {
            since: datetime!(2024-01-01 0:00 UTC)
        }
    );
    assert_eq!(
        p.is_acceptable(U::HashTree, Algorithm::EcdsaP256, now),
        Acceptability::Unknown
    );
    // BSI thresholds: < 2000 bits is the 1024 class, ≥ 3000 bits the 3072 class.
    assert_eq!(
        p.retirement_date(U::Signature, Algorithm::Rsa { bits: 1999 }),
        Some(Some(datetime!(2010-01-01 0:00 UTC)))
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
        Some(Some(datetime!(2011-01-01 0:00 UTC)))
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
        Some(Some(datetime!(2010-01-01 0:00 UTC)))
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
