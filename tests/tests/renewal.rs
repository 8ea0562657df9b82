//! Evidence kept alive across TSA generations with real tokens: sealed in 2026 by TSA A,
//! timestamp-renewed in 2028 by TSA B, hash-tree-renewed to SHA-512 in 2032 by TSA C, verified
//! in 2039 by Stele and by Bouncy Castle. Without the renewals the same evidence is not provable
//! in 2039, and the report names TSA A's expired certificate.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use stele_archive::{seal_groups, TokenChecker};
use stele_asn1::DigestAlgorithm::{Sha256, Sha512};
use stele_ers::{verify, ArchiveTimeStamp, DataObject, EvidenceRecord, HashTree, Leaf, Verdict};
use stele_tests::{bouncy_castle_ers_verifier, describe};
use stele_tsp::{tsa_init, Clock, FixedClock, LocalTsa, TsaInitOptions};
use time::macros::datetime;
use time::OffsetDateTime;

fn make_tsa(
    dir: &Path,
    cn: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
    clock: &Arc<FixedClock>,
) -> LocalTsa {
    let opts = TsaInitOptions {
        common_name: cn.into(),
        not_before: from,
        not_after: to,
        root_not_after: None,
    };
    tsa_init(dir, &opts, clock.as_ref()).expect("tsa init");
    let clock: Arc<dyn Clock> = clock.clone();
    LocalTsa::open(dir, clock).expect("open tsa")
}

/// One renewal epoch: a tree over every record's leaf, one token, one new ATS per record.
fn renew(
    ers: &mut [EvidenceRecord],
    alg: stele_asn1::DigestAlgorithm,
    leaves: Vec<Leaf>,
    tsa: &LocalTsa,
    hash_tree_renewal: bool,
) {
    let tree = HashTree::build(alg, &leaves).expect("renewal tree");
    let imprint = tree.imprint();
    let token = tsa
        .timestamp(imprint.algorithm, &imprint.digest)
        .expect("renewal token");
    for (i, er) in ers.iter_mut().enumerate() {
        let ats = ArchiveTimeStamp::new(alg, &tree.reduced(i).expect("reduced"), token.to_der())
            .expect("ats");
        if hash_tree_renewal {
            er.append_hash_tree_renewal(ats).expect("append chain");
        } else {
            er.append_timestamp_renewal(ats).expect("append ats");
        }
    }
}

#[test]
fn sealed_2026_renewed_2028_and_2032_verifies_in_2039() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(FixedClock::new(datetime!(2026-03-02 09:00 UTC)));
    let tsa_a = make_tsa(
        &tmp.path().join("a"),
        "TSA A",
        datetime!(2026-01-01 0:00 UTC),
        datetime!(2029-01-01 0:00 UTC),
        &clock,
    );
    let tsa_b = make_tsa(
        &tmp.path().join("b"),
        "TSA B",
        datetime!(2028-01-01 0:00 UTC),
        datetime!(2033-01-01 0:00 UTC),
        &clock,
    );
    let tsa_c = make_tsa(
        &tmp.path().join("c"),
        "TSA C",
        datetime!(2032-01-01 0:00 UTC),
        datetime!(2040-01-01 0:00 UTC),
        &clock,
    );
    let anchors = vec![
        tsa_a.root_certificate().clone(),
        tsa_b.root_certificate().clone(),
        tsa_c.root_certificate().clone(),
    ];

    let docs: Vec<Vec<u8>> = (0..5)
        .map(|i| {
            format!("Quyết định số {i}/QĐ-UBND về lưu trữ văn bản điện tử có chữ ký số")
                .into_bytes()
        })
        .collect();
    let groups: Vec<Vec<Vec<u8>>> = docs.iter().map(|d| vec![Sha256.digest(d)]).collect();
    let batch = seal_groups(Sha256, &groups, &tsa_a).expect("seal 2026");
    let sealed: Vec<EvidenceRecord> = (0..docs.len())
        .map(|i| batch.evidence_record(i).expect("er"))
        .collect();
    let mut ers = sealed.clone();

    clock.set(datetime!(2028-06-01 02:00 UTC));
    let leaves = ers
        .iter()
        .map(|er| er.timestamp_renewal_leaf(Sha256).expect("leaf"))
        .collect();
    renew(&mut ers, Sha256, leaves, &tsa_b, false);

    clock.set(datetime!(2032-06-01 02:00 UTC));
    let leaves = ers
        .iter()
        .zip(&docs)
        .map(|(er, d)| {
            er.hash_tree_renewal_leaf(Sha512, &[DataObject::from_bytes(d)])
                .expect("leaf")
        })
        .collect();
    renew(&mut ers, Sha512, leaves, &tsa_c, true);

    let in_2039 = datetime!(2039-06-01 0:00 UTC);
    let checker = TokenChecker::trusting(anchors.clone());
    for (i, (er, doc)) in ers.iter().zip(&docs).enumerate() {
        // Stored and read back as any archive would.
        let er = EvidenceRecord::from_ber(&er.to_der().expect("der")).expect("reparse");
        assert_eq!(er.chains().len(), 2);
        let r = verify(&er, &[DataObject::from_bytes(doc)], &checker, in_2039);
        assert_eq!(r.verdict, Verdict::Valid, "record {i}: {}", r.summary());
        // Someone else's document is not covered.
        let other = docs[(i + 2) % docs.len()].as_slice();
        let r = verify(&er, &[DataObject::from_bytes(other)], &checker, in_2039);
        assert_eq!(
            r.verdict,
            Verdict::Invalid,
            "record {i} covers record {}",
            (i + 2) % docs.len()
        );
    }

    // The same evidence never renewed: TSA A's certificate expired in 2029.
    let r = verify(
        &sealed[0],
        &[DataObject::from_bytes(&docs[0])],
        &checker,
        in_2039,
    );
    assert_eq!(r.verdict, Verdict::Indeterminate, "{}", r.summary());
    let why = r.failure().map(|f| f.message.clone()).unwrap_or_default();
    assert!(
        why.contains("TSA A") && why.contains("2029"),
        "reason names TSA A's expiry: {why}"
    );

    // Bouncy Castle agrees on the renewed records.
    let Some(bc) = bouncy_castle_ers_verifier(tmp.path()) else {
        return;
    };
    for (i, (er, doc)) in ers.iter().zip(&docs).enumerate() {
        let er_path = tmp.path().join(format!("record-{i}.ers"));
        let doc_path = tmp.path().join(format!("record-{i}.txt"));
        std::fs::write(&er_path, er.to_der().expect("der")).unwrap();
        std::fs::write(&doc_path, doc).unwrap();
        let out = Command::new(&bc[0])
            .args(&bc[1..])
            .arg("--at=2039-06-01T00:00:00Z")
            .arg(&er_path)
            .arg(&doc_path)
            .output()
            .expect("java");
        assert!(
            out.status.success(),
            "Bouncy Castle rejects renewed record {i}:\n{}",
            describe(&out)
        );
    }
}
