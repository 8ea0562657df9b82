//! Ingest into a local store: pyHanko-signed PDFs from the test PKI, validated online against
//! the loopback OCSP responder; duplicates, refusals and the audit afterwards.

use std::sync::Arc;

use futures::TryStreamExt;
use stele_archive::{Archive, IngestError, IngestOutcome, IngestPolicy, RecordMetadata};
use stele_pki::fetch::{FetchConfig, RevocationFetcher};
use stele_pki::TrustStore;
use stele_sig::{Indication, SignatureValidator};
use stele_store::{Store, StoreConfig};
use stele_tests::pki::{pyhanko, TestPki};
use stele_tsp::SystemClock;

const METADATA: &str = r#"{
    "CodeNumber": "45", "CodeNotation": "QĐ-UBND", "TypeName": "Quyết định",
    "IssuedDate": "2026-03-15", "OrganName": "Ủy ban nhân dân tỉnh Hà Giang",
    "Subject": "Về việc phê duyệt kế hoạch chuyển đổi số",
    "Confidentiality": "none", "Retention": "01", "AccessMode": "01"
}"#;

fn submission(path: &std::path::Path) -> stele_archive::Submission {
    stele_archive::Submission {
        name: path.file_name().unwrap().to_string_lossy().into_owned(),
        bytes: std::fs::read(path).unwrap(),
        detached_content: None,
        metadata: RecordMetadata::from_json(METADATA).unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_signed_pdfs_once_and_refuse_broken_ones() {
    let Some(ph) = pyhanko() else { return };
    let pki = TestPki::shared();
    let _services = pki.start_services();
    let pdfs = ph.shared_pdfs();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(
        dir.path().join("store").to_str().unwrap(),
        &StoreConfig::default(),
    )
    .unwrap();
    let trust = TrustStore::from_bytes(&std::fs::read(pki.trust_anchor()).unwrap()).unwrap();
    // reqwest's blocking client (what the fetcher uses) is built off the async runtime.
    let config = FetchConfig {
        cache_dir: Some(dir.path().join("cache")),
        ..FetchConfig::default()
    };
    let fetcher = std::thread::spawn(move || RevocationFetcher::new(config))
        .join()
        .unwrap()
        .unwrap();
    let validator = SignatureValidator::new(trust).with_fetcher(Arc::new(fetcher));
    let archive = Archive::new(
        store.clone(),
        validator.clone(),
        Arc::new(SystemClock),
        IngestPolicy::default(),
    );

    // The leader's and the agency's signatures: archived, PASSED.
    let outcome = archive
        .ingest(submission(&pdfs.leader_agency))
        .await
        .unwrap();
    let IngestOutcome::Archived { id, indication, .. } = outcome else {
        panic!("not archived: {outcome:?}")
    };
    assert_eq!(indication, Indication::Passed);
    let original = std::fs::read(&pdfs.leader_agency).unwrap();
    assert_eq!(id.as_str(), stele_store::BlobRef::of(&original).hex());
    let manifest = archive.manifest(&id).await.unwrap();
    assert_eq!(manifest.validation.indication, "PASSED");
    assert_eq!(manifest.validation.signatures.len(), 2);
    let holders: Vec<_> = manifest
        .validation
        .signatures
        .iter()
        .map(|s| s.holder.clone().unwrap())
        .collect();
    assert_eq!(holders, ["personal", "organisation"]);
    assert!(manifest.material.iter().any(|m| m.kind == "ocsp_response"));
    // The original comes back byte for byte; every data object is stored.
    let blob = manifest.files[0].blob;
    assert_eq!(store.get_blob(&blob).await.unwrap().as_ref(), &original[..]);
    for b in &manifest.data_objects {
        assert!(store.has_blob(b).await.unwrap());
    }

    // The same bytes again: a duplicate, nothing new.
    let again = archive
        .ingest(submission(&pdfs.leader_agency))
        .await
        .unwrap();
    assert_eq!(again, IngestOutcome::Duplicate { id: id.clone() });

    // Changed after signing: refused with the reason, nothing stored.
    let err = archive
        .ingest(submission(&pdfs.modified_after_signing))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, IngestError::Rejected { reason, .. } if reason.contains("MODIFIED_AFTER_SIGNING")),
        "{err}"
    );
    // Unsigned: refused unless allowed.
    let err = archive
        .ingest(submission(&pdfs.unsigned))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no signature"), "{err}");
    let records: Vec<_> = store.list_records().try_collect().await.unwrap();
    assert_eq!(records.len(), 1);

    let lenient = Archive::new(
        store.clone(),
        validator,
        Arc::new(SystemClock),
        IngestPolicy {
            allow_unsigned: true,
        },
    );
    let outcome = lenient.ingest(submission(&pdfs.unsigned)).await.unwrap();
    assert!(
        matches!(
            outcome,
            IngestOutcome::Archived {
                indication: Indication::Indeterminate,
                ..
            }
        ),
        "{outcome:?}"
    );
    let records: Vec<_> = store.list_records().try_collect().await.unwrap();
    assert_eq!(records.len(), 2);

    // Everything written is whole.
    let audit = store.audit(4).await.unwrap();
    assert!(audit.is_clean(), "{audit:?}");
}
