use super::*;
use ::cms::content_info::CmsVersion;
use ::cms::signed_data::{
    EncapsulatedContentInfo, SignerIdentifier, SignerInfos, UnsignedAttributes,
};
use der::asn1::{OctetString, SetOfVec};
use der::Any;
use proptest::prelude::*;
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::SubjectKeyIdentifier;

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA256_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SIGNATURE_TIME_STAMP: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");

fn signer(unsigned: Vec<Attribute>) -> SignerInfo {
    SignerInfo {
        version: CmsVersion::V3,
        sid: SignerIdentifier::SubjectKeyIdentifier(SubjectKeyIdentifier(
            OctetString::new(vec![1, 2, 3]).unwrap(),
        )),
        digest_alg: AlgorithmIdentifierOwned {
            oid: SHA256,
            parameters: None,
        },
        signed_attrs: None,
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: SHA256_RSA,
            parameters: None,
        },
        signature: OctetString::new(vec![0xAA; 8]).unwrap(),
        unsigned_attrs: (!unsigned.is_empty())
            .then(|| UnsignedAttributes::try_from(unsigned).unwrap()),
    }
}

fn attribute(oid: ObjectIdentifier, values: Vec<Any>) -> Attribute {
    Attribute {
        oid,
        values: SetOfVec::try_from(values).unwrap(),
    }
}

/// DER of a ContentInfo/SignedData with the given signers and encapsulated content.
fn content_info(signers: Vec<SignerInfo>, econtent: Option<&[u8]>) -> Vec<u8> {
    let sd = SignedData {
        version: CmsVersion::V3,
        digest_algorithms: SetOfVec::try_from(vec![AlgorithmIdentifierOwned {
            oid: SHA256,
            parameters: None,
        }])
        .unwrap(),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: econtent.map(|c| Any::encode_from(&OctetString::new(c).unwrap()).unwrap()),
        },
        certificates: None,
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(signers).unwrap()),
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&sd).unwrap(),
    }
    .to_der()
    .unwrap()
}

/// The same value with its outermost length made indefinite (BER).
fn indefinite(der: &[u8]) -> Vec<u8> {
    let header = match der[1] {
        n if n < 0x80 => 2,
        n => 2 + usize::from(n & 0x7f),
    };
    let mut out = vec![der[0], 0x80];
    out.extend_from_slice(&der[header..]);
    out.extend_from_slice(&[0, 0]);
    out
}

#[test]
fn reads_a_detached_signed_data() {
    let der = content_info(vec![signer(vec![])], None);
    let parts = SignedDataParts::from_ber(&der).unwrap();
    assert_eq!(parts.der(), der.as_slice());
    assert!(parts.input_was_der());
    assert!(parts.is_detached());
    assert_eq!(parts.econtent(), None);
    assert_eq!(parts.econtent_type(), ID_DATA);
    assert_eq!(parts.signer_infos().len(), 1);
    assert_eq!(parts.certificates().count(), 0);
    assert_eq!(parts.crls().count(), 0);
    assert_eq!(parts.other_revocation_info().count(), 0);
    assert!(parts.signed_attributes(0).is_empty());
    assert!(parts.unsigned_attributes(0).is_empty());
    assert!(parts.unsigned_attributes(7).is_empty());
    assert!(embedded_evidence_records(&parts).is_empty());
}

#[test]
fn reads_encapsulated_content() {
    let der = content_info(vec![], Some(b"hello"));
    let parts = SignedDataParts::from_ber(&der).unwrap();
    assert!(!parts.is_detached());
    assert_eq!(parts.econtent(), Some(&b"hello"[..]));
}

#[test]
fn zero_padding_is_ignored_but_other_trailing_bytes_are_not() {
    let der = content_info(vec![signer(vec![])], None);
    let mut padded = der.clone();
    padded.extend_from_slice(&[0; 100]);
    let parts = SignedDataParts::from_ber(&padded).unwrap();
    assert_eq!(parts.der(), der.as_slice());
    assert!(parts.input_was_der());
    let mut trailing = der;
    trailing.extend_from_slice(&[0, 0, 1]);
    assert!(matches!(
        SignedDataParts::from_ber(&trailing),
        Err(CmsError::Ber(BerError::TrailingData(_)))
    ));
}

#[test]
fn ber_is_normalised() {
    let der = content_info(vec![signer(vec![])], None);
    let ber = indefinite(&der);
    assert_ne!(ber, der);
    let parts = SignedDataParts::from_ber(&ber).unwrap();
    assert_eq!(parts.der(), der.as_slice());
    assert!(!parts.input_was_der());
}

#[test]
fn garbage_is_an_error() {
    assert_eq!(
        SignedDataParts::from_ber(&[]),
        Err(CmsError::Ber(BerError::Empty))
    );
    assert!(matches!(
        SignedDataParts::from_ber(b"not a signature at all"),
        Err(CmsError::Ber(_))
    ));
    // Valid DER that is not a ContentInfo.
    assert!(matches!(
        SignedDataParts::from_ber(&[0x02, 0x01, 0x05]),
        Err(CmsError::Decode(_))
    ));
    // A ContentInfo of another type.
    let data = ContentInfo {
        content_type: ID_DATA,
        content: Any::encode_from(&OctetString::new(b"x".to_vec()).unwrap()).unwrap(),
    }
    .to_der()
    .unwrap();
    assert_eq!(
        SignedDataParts::from_ber(&data),
        Err(CmsError::NotSignedData(ID_DATA))
    );
    let huge = vec![0u8; MAX_CMS_LEN + 1];
    assert!(matches!(
        SignedDataParts::from_ber(&huge),
        Err(CmsError::TooLarge { .. })
    ));
}

#[test]
fn a_value_that_is_not_an_evidence_record_is_listed_with_the_reason() {
    let five = Any::from_der(&[0x02, 0x01, 0x05]).unwrap();
    let der = content_info(
        vec![signer(vec![
            attribute(SIGNATURE_TIME_STAMP, vec![five.clone()]),
            attribute(ID_AA_ER_INTERNAL, vec![five]),
        ])],
        None,
    );
    let parts = SignedDataParts::from_ber(&der).unwrap();
    assert_eq!(parts.unsigned_attributes(0).len(), 2);
    let ers = embedded_evidence_records(&parts);
    assert_eq!(ers.len(), 1);
    assert_eq!(ers[0].attribute, EvidenceRecordAttribute::Internal);
    assert_eq!(ers[0].attribute_oid(), ID_AA_ER_INTERNAL);
    assert_eq!(ers[0].der, vec![0x02, 0x01, 0x05]);
    assert!(ers[0].record.is_err());
}

#[test]
fn attribute_oids() {
    assert_eq!(
        EvidenceRecordAttribute::from_oid(&ID_AA_ER_INTERNAL),
        Some(EvidenceRecordAttribute::Internal)
    );
    assert_eq!(
        EvidenceRecordAttribute::from_oid(&ID_AA_ER_EXTERNAL),
        Some(EvidenceRecordAttribute::External)
    );
    assert_eq!(EvidenceRecordAttribute::from_oid(&ID_DATA), None);
    assert_eq!(ID_AA_ER_INTERNAL.to_string(), "1.2.840.113549.1.9.16.2.49");
    assert_eq!(ID_AA_ER_EXTERNAL.to_string(), "1.2.840.113549.1.9.16.2.50");
}

/// A real RFC 4998 record (EU DSS test data) embedded by each signer of a two-signer CMS.
#[test]
fn evidence_records_are_found_per_signer_and_value() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/interop/ers/dss/pades-evidence-record/evidence-record-7da49953-d837-4f0b-8f38-aa5aa4181e3c.ers"
    );
    let dir = std::env::var_os("STELE_INTEROP_DIR").map(std::path::PathBuf::from);
    let path = dir
        .map(|d| {
            d.join("ers/dss/pades-evidence-record/evidence-record-7da49953-d837-4f0b-8f38-aa5aa4181e3c.ers")
        })
        .unwrap_or_else(|| path.into());
    let Ok(er_bytes) = std::fs::read(&path) else {
        println!(
            "skipped: interop corpus not found at {} (set STELE_INTEROP_DIR)",
            path.display()
        );
        return;
    };
    let er_der = EvidenceRecord::from_ber(&er_bytes)
        .unwrap()
        .to_der()
        .unwrap();
    let er = Any::from_der(&er_der).unwrap();
    let other = Any::from_der(&[0x02, 0x01, 0x05]).unwrap();
    let mut second = signer(vec![attribute(ID_AA_ER_EXTERNAL, vec![er.clone(), other])]);
    second.signature = OctetString::new(vec![0xBB; 8]).unwrap();
    let der = content_info(
        vec![signer(vec![attribute(ID_AA_ER_INTERNAL, vec![er])]), second],
        None,
    );
    let parts = SignedDataParts::from_ber(&der).unwrap();
    let ers = embedded_evidence_records(&parts);
    assert_eq!(ers.len(), 3, "{ers:#?}");
    let ok: Vec<_> = ers.iter().filter(|e| e.record.is_ok()).collect();
    assert_eq!(ok.len(), 2);
    for e in &ok {
        assert_eq!(e.der, er_der);
    }
    let kinds: Vec<_> = ok.iter().map(|e| e.attribute).collect();
    assert!(kinds.contains(&EvidenceRecordAttribute::Internal));
    assert!(kinds.contains(&EvidenceRecordAttribute::External));
    // One signer carries one internal record; the other two external values (in DER order).
    let internal = ers
        .iter()
        .find(|e| e.attribute == EvidenceRecordAttribute::Internal)
        .unwrap();
    let external: Vec<_> = ers
        .iter()
        .filter(|e| e.attribute == EvidenceRecordAttribute::External)
        .collect();
    assert_eq!(external.len(), 2);
    assert!(external
        .iter()
        .all(|e| e.signer_index != internal.signer_index));
    assert_eq!(
        external.iter().map(|e| e.value_index).collect::<Vec<_>>(),
        vec![0, 1]
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(parts) = SignedDataParts::from_ber(&bytes) {
            let _ = embedded_evidence_records(&parts);
        }
    }

    #[test]
    fn damaged_signed_data_never_panics(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let five = Any::from_der(&[0x02, 0x01, 0x05]).unwrap();
        let mut der = content_info(
            vec![signer(vec![attribute(ID_AA_ER_EXTERNAL, vec![five])])],
            Some(b"content"),
        );
        for (at, byte) in edits {
            let i = at.index(der.len());
            der[i] = byte;
        }
        if let Ok(parts) = SignedDataParts::from_ber(&der) {
            let _ = embedded_evidence_records(&parts);
            let _ = parts.certificates().count();
        }
    }
}
