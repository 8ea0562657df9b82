//! Build, renew and verify against the fake TSA of [`crate::testutil`]; hostile input.

use crate::testutil::{t, token, token_with, FakeVerifier, BROKEN};
use crate::*;
use proptest::prelude::*;

const S256: DigestAlgorithm = DigestAlgorithm::Sha256;
const S512: DigestAlgorithm = DigestAlgorithm::Sha512;

/// Data object `i` of the fixtures, and its group members.
fn doc(i: usize) -> Vec<u8> {
    format!("document {i}").into_bytes()
}

/// Leaf `i`: every third leaf is a group of three documents.
fn fixture(n: usize) -> Vec<Vec<Vec<u8>>> {
    (0..n)
        .map(|i| {
            if i % 3 == 2 {
                (0..3).map(|k| doc(i * 10 + k)).collect()
            } else {
                vec![doc(i)]
            }
        })
        .collect()
}

fn leaf(alg: DigestAlgorithm, docs: &[Vec<u8>]) -> Leaf {
    let hashes: Vec<Vec<u8>> = docs.iter().map(|d| alg.digest(d)).collect();
    if hashes.len() == 1 {
        Leaf::Hash(hashes[0].clone())
    } else {
        Leaf::Group(hashes)
    }
}

/// Seals every record of `records` under one timestamp at `when`.
fn seal(
    alg: DigestAlgorithm,
    records: &[Vec<Vec<u8>>],
    when: time::OffsetDateTime,
) -> Vec<EvidenceRecord> {
    let leaves: Vec<Leaf> = records.iter().map(|r| leaf(alg, r)).collect();
    let tree = HashTree::build(alg, &leaves).unwrap();
    let tok = token(alg, when, tree.root());
    (0..records.len())
        .map(|i| {
            EvidenceRecord::new(
                ArchiveTimeStamp::new(alg, &tree.reduced(i).unwrap(), &tok).unwrap(),
            )
            .unwrap()
        })
        .collect()
}

fn objects(docs: &[Vec<u8>]) -> Vec<DataObject<'_>> {
    docs.iter().map(|d| DataObject::from_bytes(d)).collect()
}

fn check(er: &EvidenceRecord, docs: &[Vec<u8>]) -> ErsVerification {
    verify(er, &objects(docs), &FakeVerifier::default(), t(100_000))
}

fn codes(v: &ErsVerification) -> Vec<&'static str> {
    v.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn sealed_records_verify_for_1_to_n_leaves() {
    for n in 1..=17 {
        let records = fixture(n);
        let ers = seal(S256, &records, t(0));
        for (i, (er, docs)) in ers.iter().zip(&records).enumerate() {
            let der = er.to_der().unwrap();
            assert_eq!(EvidenceRecord::from_ber(&der).unwrap(), *er);
            let v = check(er, docs);
            assert_eq!(v.verdict, Verdict::Valid, "n={n} i={i}: {:?}", v.findings);
            assert!(v.data_objects.iter().all(|d| d.covered));
            // Each member of a group alone is covered too.
            assert_eq!(check(er, &docs[docs.len() - 1..]).verdict, Verdict::Valid);
            // Data outside the batch is not.
            let v = check(er, &[b"not in the batch".to_vec()]);
            assert_eq!(v.verdict, Verdict::Invalid);
            assert_eq!(v.failure().unwrap().code, FailureCode::DataNotCovered);
            assert!(v.data_objects.iter().all(|d| !d.covered));
        }
    }
}

/// Seals, renews the timestamps twice (batch form) and the hash tree once.
fn renewed(records: &[Vec<Vec<u8>>]) -> Vec<EvidenceRecord> {
    let mut ers = seal(S256, records, t(0));
    for (k, when) in [(1, t(1000)), (2, t(2000))] {
        let leaves: Vec<Leaf> = ers
            .iter()
            .map(|er| er.timestamp_renewal_leaf(S256).unwrap())
            .collect();
        let tree = HashTree::build(S256, &leaves).unwrap();
        let tok = token(S256, when, tree.root());
        for (i, er) in ers.iter_mut().enumerate() {
            let r = tree.reduced(i).unwrap();
            if records.len() > 1 {
                // The group of every earlier timeStamp is the first list.
                assert_eq!(r.shape()[0], if k == 1 { 2 } else { k });
            }
            er.append_timestamp_renewal(ArchiveTimeStamp::new(S256, &r, &tok).unwrap())
                .unwrap();
        }
    }
    let leaves: Vec<Leaf> = ers
        .iter()
        .zip(records)
        .map(|(er, docs)| er.hash_tree_renewal_leaf(S512, &objects(docs)).unwrap())
        .collect();
    let tree = HashTree::build(S512, &leaves).unwrap();
    let tok = token(S512, t(3000), tree.root());
    for (i, er) in ers.iter_mut().enumerate() {
        er.append_hash_tree_renewal(
            ArchiveTimeStamp::new(S512, &tree.reduced(i).unwrap(), &tok).unwrap(),
        )
        .unwrap();
    }
    ers
}

#[test]
fn timestamp_and_hash_tree_renewals_verify() {
    for n in [1, 2, 5] {
        let records = fixture(n);
        for (er, docs) in renewed(&records).iter().zip(&records) {
            let v = check(er, docs);
            assert_eq!(v.verdict, Verdict::Valid, "n={n}: {:?}", v.findings);
            assert_eq!(v.chains.len(), 2);
            assert_eq!(v.chains[0].archive_timestamps.len(), 3);
            assert_eq!(v.chains[1].digest_algorithm, Some(S512));
            for a in v.chains.iter().flat_map(|c| &c.archive_timestamps) {
                assert_eq!(a.coverage, Check::Passed, "{a:?}");
            }
            let concat = v.chains[1].archive_timestamps[0].renewal_concat;
            assert!(
                matches!(
                    concat,
                    Some(RenewalConcat::Sorted | RenewalConcat::DataFirst)
                ),
                "{concat:?}"
            );
            assert_eq!(er.algorithms(), vec![S256, S512]);
            let der = er.to_der().unwrap();
            assert_eq!(
                EvidenceRecord::from_ber(&der).unwrap().to_der().unwrap(),
                der
            );
            // Wrong data fails in the first chain.
            let v = check(er, &[b"nope".to_vec()]);
            assert_eq!(v.failure().unwrap().code, FailureCode::DataNotCovered);
            // Digests for the first algorithm only: the renewal cannot be checked.
            let d: Vec<DataObject> = docs
                .iter()
                .map(|d| DataObject::from_digest(S256, S256.digest(d)))
                .collect();
            let v = verify(er, &d, &FakeVerifier::default(), t(100_000));
            assert_eq!(v.verdict, Verdict::Indeterminate);
            assert_eq!(v.failure().unwrap().code, FailureCode::DigestUnavailable);
            let d: Vec<DataObject> = docs
                .iter()
                .map(|d| {
                    DataObject::from_digest(S256, S256.digest(d)).with_digest(S512, S512.digest(d))
                })
                .collect();
            assert_eq!(
                verify(er, &d, &FakeVerifier::default(), t(100_000)).verdict,
                Verdict::Valid
            );
        }
    }
}

#[test]
fn valid_at_is_the_next_gen_time_and_trust_follows_it() {
    let records = fixture(3);
    let er = &renewed(&records)[1];
    let fake = FakeVerifier::default();
    let v = verify(er, &objects(&records[1]), &fake, t(5000));
    // Called newest first.
    assert_eq!(
        *fake.calls.lock().unwrap(),
        vec![t(5000), t(3000), t(2000), t(1000)]
    );
    let at: Vec<_> = v
        .chains
        .iter()
        .flat_map(|c| &c.archive_timestamps)
        .map(|a| a.valid_at)
        .collect();
    assert_eq!(at, vec![t(1000), t(2000), t(3000), t(5000)]);

    // A TSA certificate that expired before its renewal: indeterminate, naming the expiry.
    let leaves = vec![leaf(S256, &records[0])];
    let tree = HashTree::build(S256, &leaves).unwrap();
    let tok = token_with(S256, t(0), t(500), 0, tree.root());
    let mut er =
        EvidenceRecord::new(ArchiveTimeStamp::new(S256, &tree.reduced(0).unwrap(), &tok).unwrap())
            .unwrap();
    assert_eq!(check(&er, &records[0]).verdict, Verdict::Indeterminate);
    let v = verify(&er, &objects(&records[0]), &FakeVerifier::default(), t(400));
    assert_eq!(v.verdict, Verdict::Valid, "before expiry");
    // Renewed in time (at 400), the old token is judged at 400 and is fine.
    let l = er.timestamp_renewal_leaf(S256).unwrap();
    let tree = HashTree::build(S256, &[l]).unwrap();
    let tok = token(S256, t(400), tree.root());
    er.append_timestamp_renewal(
        ArchiveTimeStamp::new(S256, &tree.reduced(0).unwrap(), &tok).unwrap(),
    )
    .unwrap();
    let v = check(&er, &records[0]);
    assert_eq!(v.verdict, Verdict::Valid, "{:?}", v.findings);
    let f = verify(&er, &objects(&records[0]), &FakeVerifier::default(), t(100)).findings;
    assert_eq!(f[0].code, FailureCode::GenTimeAfterVerification);
}

#[test]
fn broken_links_and_tokens_are_named_with_their_place() {
    let records = fixture(4);
    let ers = renewed(&records);
    let docs = &records[3];

    // Tamper with the second ATS's first partial hash tree (all records of one seal batch
    // share the renewed timeStamp, so each of its values is that timeStamp's hash).
    let mut er = ers[3].clone();
    let tree = er.archive_time_stamp_sequence[0][1]
        .reduced_hashtree
        .as_mut()
        .unwrap();
    for v in tree[0].iter_mut() {
        let mut x = v.as_bytes().to_vec();
        x[0] ^= 1;
        *v = der::asn1::OctetString::new(x).unwrap();
    }
    let r = check(&er, docs);
    assert_eq!(r.verdict, Verdict::Invalid);
    // Chain 0 changed, so the hash-tree renewal over it breaks as well.
    assert_eq!(
        codes(&r),
        vec![
            "HASH_TREE_MISMATCH",
            "TIMESTAMP_RENEWAL_BROKEN",
            "HASHTREE_RENEWAL_BROKEN"
        ]
    );
    let f = r.failure().unwrap();
    assert_eq!((f.chain, f.archive_timestamp), (Some(0), Some(1)));
    assert!(
        f.message.contains("archive timestamp 1 of chain 0"),
        "{}",
        f.message
    );

    // Change chain 0 after the hash-tree renewal: the new chain no longer covers it.
    let mut er = ers[3].clone();
    er.archive_time_stamp_sequence[0][0].attributes = Some(vec![]);
    let r = check(&er, docs);
    assert_eq!(codes(&r), vec!["HASHTREE_RENEWAL_BROKEN"]);
    assert_eq!(r.failure().unwrap().chain, Some(1));

    // A broken token signature.
    let mut er = ers[3].clone();
    let ats = &er.archive_time_stamp_sequence[1][0];
    let root = ats
        .reduced_hashtree
        .as_ref()
        .map(|t| hashtree::reduce_partial_hashtrees(S512, t, ReductionRule::Rfc4998).unwrap());
    let tok = token_with(S512, t(3000), t(1_000_000_000), BROKEN, &root.unwrap());
    er.archive_time_stamp_sequence[1][0].time_stamp = crate::record::parse_token(&tok).unwrap();
    let r = check(&er, docs);
    assert_eq!(codes(&r), vec!["TOKEN_INVALID"]);
    assert_eq!(
        r.chains[1].archive_timestamps[0].token_integrity.as_str(),
        "BROKEN"
    );

    // genTime going backwards.
    let mut er = ers[3].clone();
    let tok = token(S512, t(1500), &root_of(&er, 1, 0, S512));
    er.archive_time_stamp_sequence[1][0].time_stamp = crate::record::parse_token(&tok).unwrap();
    assert_eq!(codes(&check(&er, docs)), vec!["GEN_TIME_ORDER"]);

    // An ATS naming an algorithm its token does not use.
    let mut er = ers[3].clone();
    let tok = token(DigestAlgorithm::Sha384, t(3000), &root_of(&er, 1, 0, S512));
    er.archive_time_stamp_sequence[1][0].time_stamp = crate::record::parse_token(&tok).unwrap();
    assert!(codes(&check(&er, docs)).contains(&"ALGORITHM_MISMATCH"));

    // An unknown digest algorithm OID: indeterminate, not a crash.
    let mut er = ers[3].clone();
    er.archive_time_stamp_sequence[1][0].digest_algorithm = Some(spki::AlgorithmIdentifierOwned {
        oid: der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4"),
        parameters: None,
    });
    let r = check(&er, docs);
    assert_eq!(r.verdict, Verdict::Indeterminate);
    assert_eq!(codes(&r), vec!["UNSUPPORTED_ALGORITHM"]);

    // Garbage instead of a token.
    let mut er = ers[3].clone();
    er.archive_time_stamp_sequence[0][2].time_stamp.content =
        der::Any::new(der::Tag::Null, vec![]).unwrap();
    let r = check(&er, docs);
    assert_eq!(r.verdict, Verdict::Invalid);
    assert_eq!(r.failure().unwrap().code, FailureCode::TokenUnreadable);
}

fn root_of(er: &EvidenceRecord, c: usize, i: usize, alg: DigestAlgorithm) -> Vec<u8> {
    let t = er.archive_time_stamp_sequence[c][i]
        .reduced_hashtree
        .as_ref()
        .unwrap();
    hashtree::reduce_partial_hashtrees(alg, t, ReductionRule::Rfc4998).unwrap()
}

#[test]
fn without_data_only_structure_links_and_tokens_are_checked() {
    let records = fixture(3);
    let er = &renewed(&records)[0];
    let v = verify(er, &[], &FakeVerifier::default(), t(100_000));
    assert_eq!(v.verdict, Verdict::Valid);
    assert!(!v.data_checked);
    assert!(v.notes.iter().any(|n| n.contains("No data object")));
    assert!(v.summary().contains("not checked"));
    let a = &v.chains[0].archive_timestamps;
    assert_eq!(
        (a[0].coverage, a[0].hash_tree, a[1].coverage),
        (Check::NotChecked, Check::Passed, Check::Passed)
    );
    assert_eq!(
        v.chains[1].archive_timestamps[0].coverage,
        Check::NotChecked
    );
}

#[test]
fn renewal_rejects_switching_the_chain_algorithm() {
    let er = &seal(S256, &fixture(2), t(0))[0];
    assert!(er.timestamp_renewal_leaf(S512).is_err());
    assert!(er.hash_tree_renewal_leaf(S512, &[]).is_err());
    let digest_only = [DataObject::from_digest(S256, S256.digest(b"x"))];
    assert!(er.hash_tree_renewal_leaf(S512, &digest_only).is_err());
}

#[test]
fn hostile_der_is_an_error_never_a_panic() {
    let er = renewed(&fixture(3)).remove(2);
    let der = er.to_der().unwrap();
    for len in 0..der.len() {
        assert!(
            EvidenceRecord::from_ber(&der[..len]).is_err(),
            "prefix {len}"
        );
    }
    let mut padded = der.clone();
    padded.extend_from_slice(&[0, 0, 0]);
    assert_eq!(EvidenceRecord::from_ber(&padded).unwrap(), er);
    padded.push(1);
    assert!(EvidenceRecord::from_ber(&padded).is_err());
    // Absurd lengths, deep nesting, wrong outer tag, empty, version 2, no chains.
    for bad in [
        &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff][..],
        &[0x30, 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0],
        &[0x31, 0x03, 0x02, 0x01, 0x01],
        &[],
        &[0x30, 0x03, 0x02, 0x01, 0x01],
        &[0x30, 0x07, 0x02, 0x01, 0x02, 0x30, 0x00, 0x30, 0x00],
        &[0x30, 0x07, 0x02, 0x01, 0x01, 0x30, 0x00, 0x30, 0x00],
        &[
            0x30, 0x09, 0x02, 0x01, 0x01, 0x30, 0x00, 0x30, 0x02, 0x30, 0x00,
        ],
    ] {
        assert!(EvidenceRecord::from_ber(bad).is_err(), "{bad:02x?}");
    }
    let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 10_000)
        .flatten()
        .collect();
    assert!(EvidenceRecord::from_ber(&deep).is_err());
    let huge = vec![0u8; MAX_EVIDENCE_RECORD_LEN + 1];
    assert!(matches!(
        EvidenceRecord::from_ber(&huge),
        Err(ErsError::TooLarge { .. })
    ));
    // A context tag the derive would otherwise skip silently ([0] twice): rejected.
    let mut twice = er.clone();
    twice.archive_time_stamp_sequence[0][0].attributes = Some(vec![]);
    let mut bytes = twice.to_der().unwrap();
    let pos = bytes.windows(2).position(|w| w == [0xa1, 0x00]).unwrap();
    bytes[pos] = 0xa0;
    assert!(EvidenceRecord::from_ber(&bytes).is_err());
    // BER (indefinite length) is normalised.
    let mut ber = vec![0x30, 0x80];
    ber.extend_from_slice(&der[crate_header_len(&der)..]);
    ber.extend_from_slice(&[0, 0]);
    assert_eq!(EvidenceRecord::from_ber(&ber).unwrap(), er);
}

fn crate_header_len(der: &[u8]) -> usize {
    match der[1] {
        l if l < 0x80 => 2,
        l => 2 + (l & 0x7f) as usize,
    }
}

#[test]
fn hostile_xml_is_an_error() {
    let cases: [&[u8]; 6] = [
        b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>",
        b"<EvidenceRecord Version=\"1.0\"/>",
        b"<ers:EvidenceRecord xmlns:ers=\"urn:ietf:params:xml:ns:ers\" Version=\"2.0\"/>",
        b"<ers:EvidenceRecord xmlns:ers=\"urn:ietf:params:xml:ns:ers\" Version=\"1.0\"><ers:ArchiveTimeStampSequence/></ers:EvidenceRecord>",
        b"\xff\xfe<",
        b"<a>",
    ];
    for c in cases {
        assert!(
            EvidenceRecord::from_bytes(c).is_err(),
            "{}",
            String::from_utf8_lossy(c)
        );
    }
    let mut many =
        b"<ers:EvidenceRecord xmlns:ers=\"urn:ietf:params:xml:ns:ers\" Version=\"1.0\">".to_vec();
    for _ in 0..200_000 {
        many.extend_from_slice(b"<a/>");
    }
    assert!(EvidenceRecord::from_bytes(&many).is_err());
}

#[test]
fn xml_with_renewal_is_unsupported_and_single_ats_maps() {
    let docs = [b"xml data".to_vec()];
    let h = S256.digest(&docs[0]);
    let other = S256.digest(b"other");
    let tree = HashTree::build(S256, &[Leaf::Hash(h.clone()), Leaf::Hash(other.clone())]).unwrap();
    let tok = token(S256, t(0), tree.root());
    let b64 = |b: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b);
    let ats = format!(
        r#"<ers:ArchiveTimeStamp Order="1"><ers:HashTree><ers:Sequence Order="1"><ers:DigestValue>{}</ers:DigestValue>
        <ers:DigestValue>{}</ers:DigestValue></ers:Sequence></ers:HashTree><ers:TimeStamp><ers:TimeStampToken Type="RFC3161">
        {}</ers:TimeStampToken></ers:TimeStamp></ers:ArchiveTimeStamp>"#,
        b64(&h),
        b64(&other),
        b64(&tok)
    );
    let chain = |ats: &str, order: u32| {
        format!(
            r#"<ers:ArchiveTimeStampChain Order="{order}"><ers:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
            <ers:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>{ats}</ers:ArchiveTimeStampChain>"#
        )
    };
    let record = |chains: &str| {
        format!(
            r#"<?xml version="1.0"?>
            <ers:EvidenceRecord Version="1.0" xmlns:ers="urn:ietf:params:xml:ns:ers"><ers:ArchiveTimeStampSequence>{chains}</ers:ArchiveTimeStampSequence></ers:EvidenceRecord>"#
        )
    };
    let one = record(&chain(&ats, 1));
    assert_eq!(detect_format(one.as_bytes()), ErFormat::Xml);
    let er = EvidenceRecord::from_bytes(one.as_bytes()).unwrap();
    assert_eq!(check(&er, &docs).verdict, Verdict::Valid);
    assert_eq!(check(&er, &[b"x".to_vec()]).verdict, Verdict::Invalid);
    let two_ats = record(&chain(
        &format!(
            "{ats}{}",
            ats.replace("Order=\"1\"><ers:HashTree", "Order=\"2\"><ers:HashTree")
        ),
        1,
    ));
    assert!(matches!(
        EvidenceRecord::from_bytes(two_ats.as_bytes()),
        Err(ErsError::XmlUnsupported(_))
    ));
    let two_chains = record(&format!("{}{}", chain(&ats, 1), chain(&ats, 2)));
    assert!(matches!(
        EvidenceRecord::from_bytes(two_chains.as_bytes()),
        Err(ErsError::XmlUnsupported(_))
    ));
}

#[derive(Debug, Clone)]
struct Batch {
    alg: DigestAlgorithm,
    /// Per leaf, the seeds of its data objects (1 = single, more = group).
    leaves: Vec<Vec<u32>>,
}

fn batch() -> impl Strategy<Value = Batch> {
    (
        prop::sample::select(vec![
            DigestAlgorithm::Sha1,
            S256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha3_256,
        ]),
        prop::collection::vec(prop::collection::vec(any::<u32>(), 1..4), 1..24),
    )
        .prop_map(|(alg, leaves)| Batch { alg, leaves })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Every record of a random batch verifies; one flipped byte anywhere in its reduced hash
    /// tree, its token's imprint or its data makes it fail.
    #[test]
    fn every_reduced_tree_verifies_and_any_flip_fails(b in batch(), pick in any::<prop::sample::Index>(), flip in any::<prop::sample::Index>()) {
        let records: Vec<Vec<Vec<u8>>> = b.leaves.iter().map(|l| l.iter().map(|s| s.to_be_bytes().to_vec()).collect()).collect();
        let ers = seal(b.alg, &records, t(0));
        for (er, docs) in ers.iter().zip(&records) {
            let v = check(er, docs);
            prop_assert_eq!(v.verdict, Verdict::Valid, "{:?}", v.findings);
        }
        let i = pick.index(records.len());
        let (er, docs) = (&ers[i], &records[i]);
        // Flip one byte of the reduced hash tree (if any), the data, or the imprint.
        let mut bad = er.clone();
        let mut bad_docs = docs.clone();
        let ats = &mut bad.archive_time_stamp_sequence[0][0];
        match ats.reduced_hashtree.as_mut() {
            Some(tree) => {
                let values: Vec<(usize, usize)> = tree.iter().enumerate().flat_map(|(l, p)| (0..p.len()).map(move |v| (l, v))).collect();
                let (l, v) = values[flip.index(values.len())];
                let mut x = tree[l][v].as_bytes().to_vec();
                let n = x.len();
                x[flip.index(n)] ^= 0x80;
                tree[l][v] = der::asn1::OctetString::new(x).unwrap();
            }
            None => {
                let d = &mut bad_docs[0];
                let n = d.len();
                d[flip.index(n)] ^= 0x80;
            }
        }
        prop_assert_ne!(check(&bad, &bad_docs).verdict, Verdict::Valid);
        let mut bad_data = docs.clone();
        bad_data[0].push(0);
        prop_assert_ne!(check(er, &bad_data).verdict, Verdict::Valid);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = EvidenceRecord::from_bytes(&bytes);
        let mut x = b"<ers:EvidenceRecord xmlns:ers=\"urn:ietf:params:xml:ns:ers\" Version=\"1.0\">".to_vec();
        x.extend_from_slice(&bytes);
        let _ = EvidenceRecord::from_bytes(&x);
    }
}

#[test]
fn mutated_records_never_panic_and_keep_verifying_safely() {
    let er = renewed(&fixture(3)).remove(2);
    let der = er.to_der().unwrap();
    let docs = &fixture(3)[2];
    // Flip each byte in turn (a stride keeps the test fast): parse errors or verdicts, no panics.
    for pos in (0..der.len()).step_by(7) {
        let mut m = der.clone();
        m[pos] ^= 0x41;
        if let Ok(er) = EvidenceRecord::from_ber(&m) {
            let _ = check(&er, docs);
        }
    }
}

/// An ER of one ATS with the given lists (as bytes) over a token whose imprint is `imprint`;
/// `declare`: whether the ATS names its digest algorithm.
fn hand_made(
    alg: DigestAlgorithm,
    lists: Vec<Vec<Vec<u8>>>,
    imprint: &[u8],
    declare: bool,
) -> EvidenceRecord {
    let tree: Vec<PartialHashtree> = lists
        .into_iter()
        .map(|l| {
            l.into_iter()
                .map(|v| der::asn1::OctetString::new(v).unwrap())
                .collect()
        })
        .collect();
    let ats = ArchiveTimeStamp {
        digest_algorithm: declare.then(|| record::alg_id(alg)),
        attributes: None,
        reduced_hashtree: (!tree.is_empty()).then_some(tree),
        time_stamp: record::parse_token(&token(alg, t(0), imprint)).unwrap(),
    };
    EvidenceRecord {
        version: 1,
        digest_algorithms: vec![record::alg_id(alg)],
        crypto_infos: None,
        encryption_info: None,
        archive_time_stamp_sequence: vec![vec![ats]],
    }
}

#[test]
fn each_leniency_is_accepted_and_reported() {
    let h = S256.digest(b"data");
    let (s1, a, b) = (S256.digest(b"s1"), S256.digest(b"a"), S256.digest(b"b"));
    let sorted = |v: Vec<&[u8]>| hashtree::hash_sorted(S256, v);
    let rule = |er: &EvidenceRecord| {
        let v = verify(
            er,
            &[DataObject::from_bytes(b"data")],
            &FakeVerifier::default(),
            t(10),
        );
        assert_eq!(v.verdict, Verdict::Valid, "{:?}", v.findings);
        v.chains[0].archive_timestamps[0].reduction_rule
    };
    // One-value first list taken as the value (DSS/BC), and hashed (RFC word for word).
    assert_eq!(
        rule(&hand_made(S256, vec![vec![h.clone()]], &h, true)),
        Some(ReductionRule::Rfc4998)
    );
    assert_eq!(
        rule(&hand_made(
            S256,
            vec![vec![h.clone()]],
            &S256.digest(&h),
            true
        )),
        Some(ReductionRule::Literal)
    );
    // A later list of two values: RFC folds the running value in; BC pairs it with their node.
    let rfc = sorted(vec![&sorted(vec![&h, &s1]), &a, &b]);
    let bc = sorted(vec![&sorted(vec![&h, &s1]), &sorted(vec![&a, &b])]);
    let lists = vec![vec![h.clone(), s1.clone()], vec![a.clone(), b.clone()]];
    assert_eq!(
        rule(&hand_made(S256, lists.clone(), &rfc, true)),
        Some(ReductionRule::Rfc4998)
    );
    assert_eq!(
        rule(&hand_made(S256, lists, &bc, true)),
        Some(ReductionRule::NodePairs)
    );
    // Duplicate leaves, no digestAlgorithm field, no reduced hash tree.
    assert_eq!(
        rule(&hand_made(
            S256,
            vec![vec![h.clone(), h.clone()]],
            &sorted(vec![&h, &h]),
            false
        )),
        Some(ReductionRule::Rfc4998)
    );
    assert_eq!(rule(&hand_made(S256, vec![], &h, false)), None);
    assert_eq!(
        rule(&hand_made(S512, vec![], &S512.digest(b"data"), false)),
        None
    );

    // Hash-tree renewal in all three concatenation orders.
    let base = hand_made(S256, vec![], &h, true);
    let ha = S512.digest(&base.sequence_der(1).unwrap());
    let hd = S512.digest(b"data");
    for (first, second, want) in [
        (&hd, &ha, RenewalConcat::DataFirst),
        (&ha, &hd, RenewalConcat::SequenceFirst),
    ] {
        let leaf = hashtree::hash_concat(S512, &[first, second]);
        let mut er = base.clone();
        er.append_hash_tree_renewal(
            ArchiveTimeStamp::new(
                S512,
                &HashTree::build(S512, &[Leaf::Hash(leaf.clone())])
                    .unwrap()
                    .reduced(0)
                    .unwrap(),
                &token(S512, t(5), &leaf),
            )
            .unwrap(),
        )
        .unwrap();
        let v = verify(
            &er,
            &[DataObject::from_bytes(b"data")],
            &FakeVerifier::default(),
            t(10),
        );
        assert_eq!(v.verdict, Verdict::Valid, "{:?}", v.findings);
        let got = v.chains[1].archive_timestamps[0].renewal_concat.unwrap();
        let sorted_is = if hd <= ha {
            RenewalConcat::DataFirst
        } else {
            RenewalConcat::SequenceFirst
        };
        assert_eq!(
            got,
            if want == sorted_is {
                RenewalConcat::Sorted
            } else {
                want
            }
        );
    }
}

#[test]
fn too_many_archive_timestamps_are_refused() {
    let mut er = seal(S256, &fixture(1), t(0)).remove(0);
    let ats = er.archive_time_stamp_sequence[0][0].clone();
    er.archive_time_stamp_sequence[0] = vec![ats; MAX_ARCHIVE_TIMESTAMPS + 1];
    let der = er.to_der().unwrap();
    assert!(EvidenceRecord::from_ber(&der).is_err());
}

#[test]
fn reduced_for_a_tree_of_leaf_values_matches_the_tree_built_with_groups() {
    for alg in [DigestAlgorithm::Sha256, DigestAlgorithm::Sha512] {
        for n in 1..12 {
            let leaves: Vec<Leaf> = (0..n)
                .map(|i| {
                    let members: Vec<Vec<u8>> = (0..(i % 4) + 1)
                        .map(|j| alg.digest(format!("{i}/{j}").as_bytes()))
                        .collect();
                    Leaf::Group(members)
                })
                .collect();
            let full = HashTree::build(alg, &leaves).unwrap();
            let values: Vec<Leaf> = leaves.iter().map(|l| Leaf::Hash(l.value(alg))).collect();
            let slim = HashTree::build(alg, &values).unwrap();
            assert_eq!(full.root(), slim.root());
            for (i, l) in leaves.iter().enumerate() {
                assert_eq!(slim.reduced_for(i, l), full.reduced(i), "n={n} leaf {i}");
            }
            // A leaf that is not the stored one gets nothing.
            let wrong = Leaf::Group(vec![alg.digest(b"x"), alg.digest(b"y")]);
            assert_eq!(slim.reduced_for(0, &wrong), None);
            assert_eq!(slim.reduced_for(n, &leaves[0]), None);
        }
    }
}
