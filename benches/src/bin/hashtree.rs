//! Seal-batch hash tree: build a tree over 1,000,000 leaves and derive all 1,000,000 reduced
//! trees (SHA-256). The peer is the raw cost of the hashing itself: OpenSSL's SHA-256 rate on
//! 64-byte inputs (`openssl speed -bytes 64 sha256`), measured in the same run, scaled to the
//! number of node hashes the tree needs.

use rayon::prelude::*;
use std::process::Command;
use std::time::Instant;
use stele_asn1::DigestAlgorithm;
use stele_ers::HashTreeBuilder;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let alg = DigestAlgorithm::Sha256;
    let leaves: Vec<Vec<u8>> = (0..n as u64)
        .into_par_iter()
        .map(|i| alg.digest(&i.to_be_bytes()))
        .collect();

    let t0 = Instant::now();
    let mut builder = HashTreeBuilder::with_capacity(alg, n);
    for leaf in &leaves {
        builder.push_hash(leaf).expect("leaf");
    }
    let tree = builder.build().expect("tree");
    let build = t0.elapsed();
    let t1 = Instant::now();
    let total_values: usize = (0..n)
        .into_par_iter()
        .map(|i| {
            tree.reduced(i)
                .expect("reduced")
                .shape()
                .iter()
                .sum::<usize>()
        })
        .sum();
    let derive = t1.elapsed();
    let total = build + derive;
    assert!(total_values >= n);

    println!("leaves: {n}  threads: {}", rayon::current_num_threads());
    println!("build tree:            {:>8.3} s", build.as_secs_f64());
    println!("derive reduced trees:  {:>8.3} s", derive.as_secs_f64());
    println!(
        "total:                 {:>8.3} s  ({:.0} ns/leaf)",
        total.as_secs_f64(),
        total.as_nanos() as f64 / n as f64
    );
    if let Some(mb) = stele_benches::peak_rss_mib() {
        println!("peak memory:           {mb:>8.0} MiB");
    }
    // A binary tree over n leaves hashes n-1 inner nodes of 64 bytes each.
    if let Some(rate) = openssl_sha256_64byte_per_sec() {
        let floor = (n - 1) as f64 / rate;
        println!("openssl sha256 64-byte: {rate:.0} hashes/s on one core -> {floor:.3} s for the {} node hashes", n - 1);
        println!(
            "ratio build/openssl-hash-floor: {:.2}",
            build.as_secs_f64() / floor
        );
    }
}

fn openssl_sha256_64byte_per_sec() -> Option<f64> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "2", "-bytes", "64", "sha256"])
        .output()
        .ok()?;
    // "sha256   123456.78k" — thousands of bytes per second for 64-byte blocks.
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.starts_with("sha256"))?;
    let kbytes: f64 = line
        .split_whitespace()
        .last()?
        .trim_end_matches('k')
        .parse()
        .ok()?;
    Some(kbytes * 1000.0 / 64.0)
}
