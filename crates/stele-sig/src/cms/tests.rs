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

/// DER SEQUENCE `30 03 02 01 n`: stands in for a CRL or an OCSP response, whose content these
/// functions do not read.
fn blob(n: u8) -> Vec<u8> {
    vec![0x30, 0x03, 0x02, 0x01, n]
}

fn adbe_value(fields: &[(u8, Vec<Vec<u8>>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (tag, items) in fields {
        let list = encode_tlv(0x30, &items.concat());
        body.extend_from_slice(&encode_tlv(*tag, &list));
    }
    encode_tlv(0x30, &body)
}

fn with_signed_attributes(attrs: Vec<Attribute>) -> SignedDataParts {
    let mut s = signer(Vec::new());
    s.signed_attrs = Some(SetOfVec::try_from(attrs).unwrap());
    SignedDataParts::from_ber(&content_info(vec![s], None)).unwrap()
}

#[test]
fn adobe_revocation_info_archival_is_read() {
    let other = {
        let oid = encode_tlv(0x06, ID_RI_OCSP_RESPONSE.as_bytes());
        let octets = encode_tlv(0x04, b"opaque");
        encode_tlv(0x30, &[oid, octets].concat())
    };
    let value = adbe_value(&[
        (0xA0, vec![blob(1), blob(2)]),
        (0xA1, vec![blob(3)]),
        (0xA2, vec![other]),
    ]);
    let parts = with_signed_attributes(vec![attribute(
        ID_ADBE_REVOCATION_INFO_ARCHIVAL,
        vec![Any::from_der(&value).unwrap()],
    )]);
    let info = adobe_revocation_info(&parts, 0)
        .unwrap()
        .expect("the attribute");
    assert_eq!(info.crls, [blob(1), blob(2)]);
    assert_eq!(info.ocsp_responses, [blob(3)]);
    assert_eq!(info.other, [(ID_RI_OCSP_RESPONSE, b"opaque".to_vec())]);
    assert_eq!(
        ID_ADBE_REVOCATION_INFO_ARCHIVAL.to_string(),
        "1.2.840.113583.1.1.8"
    );

    // Only OCSP responses (no [0]), as most signers write it.
    let value = adbe_value(&[(0xA1, vec![blob(4), blob(5)])]);
    let parts = with_signed_attributes(vec![attribute(
        ID_ADBE_REVOCATION_INFO_ARCHIVAL,
        vec![Any::from_der(&value).unwrap()],
    )]);
    let info = adobe_revocation_info(&parts, 0).unwrap().unwrap();
    assert!(info.crls.is_empty());
    assert_eq!(info.ocsp_responses, [blob(4), blob(5)]);

    // No attribute, or no such signer.
    let parts = with_signed_attributes(vec![attribute(
        SIGNATURE_TIME_STAMP,
        vec![Any::from_der(&blob(1)).unwrap()],
    )]);
    assert_eq!(adobe_revocation_info(&parts, 0), Ok(None));
    assert_eq!(adobe_revocation_info(&parts, 3), Ok(None));
}

#[test]
fn a_malformed_adobe_revocation_info_archival_is_an_error() {
    for value in [
        blob(1),                                                  // a SEQUENCE of an INTEGER
        adbe_value(&[(0xA3, vec![blob(1)])]),                     // an unknown field
        encode_tlv(0x30, &encode_tlv(0xA0, &[0x02, 0x01, 0x01])), // not a SEQUENCE OF
    ] {
        let Ok(any) = Any::from_der(&value) else {
            continue;
        };
        let parts =
            with_signed_attributes(vec![attribute(ID_ADBE_REVOCATION_INFO_ARCHIVAL, vec![any])]);
        assert!(
            matches!(adobe_revocation_info(&parts, 0), Err(CmsError::Decode(_))),
            "{value:02x?}"
        );
    }
}

/// `der` (a ContentInfo/SignedData) with `crls [1]` set to `choices`, inserted before the
/// signerInfos.
fn with_revocation_choices(der: &[u8], choices: &[Vec<u8>]) -> Vec<u8> {
    let (_, ci, _) = tlv(der).unwrap();
    let ci_fields = children(ci).unwrap();
    let (_, explicit, _) = tlv(ci_fields[1]).unwrap();
    let (_, sd, _) = tlv(explicit).unwrap();
    let mut fields: Vec<Vec<u8>> = children(sd)
        .unwrap()
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    let signer_infos = fields.pop().unwrap();
    fields.push(encode_tlv(0xA1, &choices.concat()));
    fields.push(signer_infos);
    let sd = encode_tlv(0x30, &fields.concat());
    encode_tlv(
        0x30,
        &[ci_fields[0].to_vec(), encode_tlv(0xA0, &sd)].concat(),
    )
}

fn ocsp_choice(ocsp: &[u8]) -> Vec<u8> {
    let oid = encode_tlv(0x06, ID_RI_OCSP_RESPONSE.as_bytes());
    encode_tlv(0xA1, &[oid, ocsp.to_vec()].concat())
}

#[test]
fn ocsp_responses_in_revocation_info_choices_are_read() {
    let der = with_revocation_choices(
        &content_info(vec![signer(Vec::new())], None),
        &[ocsp_choice(&blob(7)), ocsp_choice(&blob(8))],
    );
    // The `cms` crate alone cannot read this SignedData.
    assert!(ContentInfo::from_der(&der)
        .unwrap()
        .content
        .decode_as::<SignedData>()
        .is_err());
    let parts = SignedDataParts::from_ber(&der).unwrap();
    assert_eq!(parts.der(), der.as_slice(), "the DER is kept as written");
    assert_eq!(
        parts.ocsp_responses(),
        [blob(7).as_slice(), blob(8).as_slice()]
    );
    assert_eq!(parts.revocation_choices().len(), 2);
    assert_eq!(parts.crls().count(), 0);
    assert_eq!(parts.signer_infos().len(), 1);
    // Another `other` format is listed but is not an OCSP response.
    let mut unknown = ocsp_choice(&blob(9));
    unknown[11] ^= 1; // the OID's last byte: A1 len 06 08 <8 bytes>
    let der = with_revocation_choices(&content_info(vec![signer(Vec::new())], None), &[unknown]);
    let parts = SignedDataParts::from_ber(&der).unwrap();
    assert!(parts.ocsp_responses().is_empty());
    assert_eq!(parts.revocation_choices().len(), 1);
}

fn interop(rel: &str) -> Option<Vec<u8>> {
    let dir = stele_tests::interop_dir()?;
    Some(std::fs::read(dir.join(rel)).unwrap())
}

/// A real CRL (PKITS) and an OCSP entry together: the CRL still decodes as a CRL.
#[test]
fn crls_survive_next_to_ocsp_entries() {
    let Some(crl) = interop("pkits/crls/TrustAnchorRootCRL.crl") else {
        return;
    };
    let der = with_revocation_choices(
        &content_info(vec![signer(Vec::new())], None),
        &[crl.clone(), ocsp_choice(&blob(7))],
    );
    let parts = SignedDataParts::from_ber(&der).unwrap();
    assert_eq!(parts.crls().count(), 1);
    assert_eq!(parts.crls().next().unwrap().to_der().unwrap(), crl);
    assert_eq!(parts.ocsp_responses(), [blob(7).as_slice()]);
}

/// Bouncy Castle's timestamp tokens carry OCSP responses as RFC 5940 entries (interop README);
/// they now read, and each response is an OCSPResponse SEQUENCE.
#[test]
fn interop_tokens_with_ocsp_entries() {
    for rel in ["tsp/BIN_ER.ers.0.0.tsr", "tsp/tst_with_broken_ocsp.tst"] {
        let Some(bytes) = interop(rel) else { return };
        let parts = SignedDataParts::from_ber(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let ocsp = parts.ocsp_responses();
        assert!(!ocsp.is_empty(), "{rel}");
        assert!(ocsp.iter().all(|o| o.first() == Some(&0x30)), "{rel}");
    }
}

/// Which interop PAdES signatures carry adbe-revocationInfoArchival: the manifest says
/// Signature-P-BG_BOR-2.pdf does (OCSP); every value found reads.
#[test]
fn interop_pades_adobe_revocation_info() {
    let Some(dir) = stele_tests::interop_dir() else {
        return;
    };
    let mut carriers = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir.join("pades"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(sigs) = crate::PdfSignatures::extract(&std::fs::read(&path).unwrap()) else {
            continue;
        };
        for sig in sigs {
            let Some(Ok(parts)) = sig.cms_bytes().map(SignedDataParts::from_ber) else {
                continue;
            };
            for i in 0..parts.signer_infos().len() {
                let info =
                    adobe_revocation_info(&parts, i).unwrap_or_else(|e| panic!("{name}: {e}"));
                if let Some(info) = info {
                    println!(
                        "{name} {:?}: {} CRL, {} OCSP, {} other",
                        sig.field_name,
                        info.crls.len(),
                        info.ocsp_responses.len(),
                        info.other.len()
                    );
                    carriers.push((name.clone(), info));
                }
            }
        }
    }
    let bg = carriers
        .iter()
        .find(|(n, _)| n == "Signature-P-BG_BOR-2.pdf")
        .expect("BG_BOR-2 carries adbe-revocationInfoArchival");
    assert!(!bg.1.ocsp_responses.is_empty());
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(parts) = SignedDataParts::from_ber(&bytes) {
            let _ = embedded_evidence_records(&parts);
            let _ = parts.ocsp_responses();
            let _ = adobe_revocation_info(&parts, 0);
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
