//! `stele demo`: Stele's main job on embedded defaults, end to end — a built-in TSA served over
//! HTTP on loopback, sample documents sealed as one batch under one timestamp, and every
//! evidence record verified again as an independent verifier would.

use crate::{fmt_time, UsageError};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use stele_archive::{digest_file, seal_groups, write_atomically, TokenChecker};
use stele_asn1::DigestAlgorithm;
use stele_ers::{verify, DataObject, Verdict};
use stele_tsp::{ClientOptions, LocalTsa, SystemClock, TsaClient};
use time::OffsetDateTime;

#[derive(Args)]
pub struct DemoArgs {
    /// Working folder (created; reused on later runs).
    #[arg(long, default_value = "stele-demo")]
    dir: PathBuf,
}

const SAMPLES: [(&str, &str); 3] = [
    (
        "quyet-dinh-1500-QD-UBND.txt",
        "ỦY BAN NHÂN DÂN TỈNH\nQuyết định số 1500/QĐ-UBND\nVề việc áp dụng chữ ký số trong văn bản điện tử.\n",
    ),
    (
        "cong-van-625-UBND.txt",
        "Công văn số 625/UBND-CNTT\nV/v lưu trữ hồ sơ điện tử có chữ ký số của lãnh đạo và cơ quan.\n",
    ),
    (
        "giay-phep-xay-dung-42.txt",
        "Giấy phép xây dựng số 42/GPXD\nCấp cho: Nguyễn Văn A. Tra cứu bằng mã QR.\n",
    ),
];

pub fn run(args: DemoArgs) -> Result<ExitCode, UsageError> {
    let dir = &args.dir;
    let tsa_dir = dir.join("tsa");
    let docs_dir = dir.join("documents");
    let evidence_dir = dir.join("evidence");
    for d in [&docs_dir, &evidence_dir] {
        std::fs::create_dir_all(d)
            .map_err(|e| UsageError(format!("cannot create {}: {e}", d.display())))?;
    }

    if tsa_dir.join("tsa.key").exists() {
        println!("1. using the built-in TSA in {}", tsa_dir.display());
    } else {
        println!("1. creating a built-in TSA");
        let now = OffsetDateTime::now_utc();
        crate::tsa_cmd::init(
            &tsa_dir,
            "Stele demo TSA",
            now,
            now + time::Duration::days(3 * 365),
            None,
        )?;
    }
    let tsa = Arc::new(
        LocalTsa::open(&tsa_dir, Arc::new(SystemClock)).map_err(|e| {
            UsageError(format!("cannot open the TSA in {}: {e}", tsa_dir.display()))
        })?,
    );
    let root = tsa.root_certificate().clone();

    // Serve it over real HTTP on loopback, so sealing goes through the same client as with a
    // remote TSA.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| UsageError(format!("cannot start: {e}")))?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| UsageError(format!("cannot listen on loopback: {e}")))?;
    let url = format!("http://{}/", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(stele_tsp::serve(listener, tsa, async {
        let _ = stopped.await;
    }));
    println!("   serving it at {url} (RFC 3161 over HTTP)");

    let docs = sample_documents(&docs_dir)?;
    println!(
        "2. sealing {} documents from {} under one timestamp",
        docs.len(),
        docs_dir.display()
    );
    let alg = DigestAlgorithm::Sha256;
    let groups = docs
        .iter()
        .map(|p| {
            digest_file(p, &[alg])
                .map(|d| d.into_iter().map(|(_, v)| v).collect::<Vec<_>>())
                .map_err(|e| UsageError(format!("cannot read {}: {e}", p.display())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let client = TsaClient::new([url.as_str()], ClientOptions::default())
        .map_err(|e| UsageError(e.to_string()))?;
    let batch = seal_groups(alg, &groups, &client)
        .map_err(|e| UsageError(format!("sealing failed: {e}")))?;
    let mut records = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let er = batch
            .evidence_record(i)
            .map_err(|e| UsageError(e.to_string()))?;
        let path = evidence_dir.join(format!("{}.ers", file_name(doc)));
        let der = er.to_der().map_err(|e| UsageError(e.to_string()))?;
        write_atomically(&path, &der)
            .map_err(|e| UsageError(format!("cannot write {}: {e}", path.display())))?;
        println!("   {} -> {}", file_name(doc), path.display());
        records.push((doc.clone(), path, er));
    }
    let _ = stop.send(());
    let _ = rt.block_on(server);

    println!(
        "3. verifying every evidence record, trusting only {}",
        tsa_dir.join("root.pem").display()
    );
    let checker = TokenChecker::trusting(vec![root]);
    let now = OffsetDateTime::now_utc();
    let mut all_valid = true;
    for (doc, _, er) in &records {
        let data = [DataObject::Digests(digest_file(doc, &[alg])?)];
        let r = verify(er, &data, &checker, now);
        all_valid &= r.verdict == Verdict::Valid;
        println!(
            "   {:<9} {}: {}",
            r.verdict.as_str(),
            file_name(doc),
            r.summary()
        );
    }
    // The same document with one word changed must not verify.
    let tampered = {
        let (doc, _, er) = &records[0];
        let mut bytes = std::fs::read(doc)?;
        bytes.extend_from_slice(" (đã sửa)".as_bytes());
        let data = [DataObject::Digests(vec![(alg, alg.digest(&bytes))])];
        let r = verify(er, &data, &checker, now);
        println!(
            "4. the same evidence with {} altered after sealing: {} ({})",
            file_name(doc),
            r.verdict.as_str(),
            r.failure().map(|f| f.code.as_str()).unwrap_or("-")
        );
        r.verdict == Verdict::Invalid
    };

    let (doc, ers, _) = &records[0];
    println!(
        "\nVerify by hand at any date, e.g. thirty years on:\n  stele ers verify --er {} --data {} --trust-anchor {} --at {}",
        ers.display(),
        doc.display(),
        tsa_dir.join("root.pem").display(),
        fmt_time(now + time::Duration::days(365 * 30))
    );
    println!("(the demo TSA's certificate will have expired by then, so that answer is INDETERMINATE until the evidence is renewed)");
    Ok(if all_valid && tampered {
        println!("\ndemo: all {} evidence records VALID", records.len());
        ExitCode::SUCCESS
    } else {
        println!("\ndemo: FAILED");
        ExitCode::from(1)
    })
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The documents to seal: whatever is in the folder, or the samples written there first.
fn sample_documents(dir: &Path) -> Result<Vec<PathBuf>, UsageError> {
    let list = |d: &Path| -> Result<Vec<PathBuf>, UsageError> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(d)
            .map_err(|e| UsageError(format!("cannot list {}: {e}", d.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        v.sort();
        Ok(v)
    };
    let docs = list(dir)?;
    if !docs.is_empty() {
        return Ok(docs);
    }
    for (name, text) in SAMPLES {
        let p = dir.join(name);
        write_atomically(&p, text.as_bytes())
            .map_err(|e| UsageError(format!("cannot write {}: {e}", p.display())))?;
    }
    list(dir)
}
