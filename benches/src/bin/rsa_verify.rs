//! RSA-2048 PKCS#1 v1.5 signature verification per second: the `rsa` crate (what Stele verifies
//! timestamp tokens and signatures with) against `openssl speed rsa2048`, in the same run.

use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use std::process::Command;
use std::time::Duration;

fn main() {
    let mut rng = rand_core::OsRng;
    // Key generation and signing are only setup here; Stele itself never signs with RSA
    // (RUSTSEC-2023-0071 concerns private-key operations).
    let key = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("generate RSA-2048 key");
    let signing = SigningKey::<sha2::Sha256>::new(key.clone());
    let verifying = VerifyingKey::<sha2::Sha256>::new(key.to_public_key());
    let msg = b"Stele benchmark message";
    let sig: Signature = signing.sign(msg);
    let sig = Signature::try_from(sig.to_bytes().as_ref()).expect("signature bytes");

    let stele = stele_benches::ops_per_sec(Duration::from_secs(3), || {
        verifying.verify(msg, &sig).expect("verify");
    });
    println!("rsa crate (Rust)   RSA-2048 verify: {stele:>10.0} /s");

    match openssl_rsa2048_verify_per_sec() {
        Some(openssl) => {
            println!("openssl speed      RSA-2048 verify: {openssl:>10.0} /s");
            println!("ratio rust/openssl: {:.2}", stele / openssl);
        }
        None => println!("openssl speed rsa2048 not available: no peer figure"),
    }
}

/// Parses the `verify/s` column of `openssl speed -seconds 3 rsa2048` (single process).
fn openssl_rsa2048_verify_per_sec() -> Option<f64> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "3", "rsa2048"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // Line: "rsa 2048 bits 0.000617s 0.000018s   1621.5  55090.4"
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("rsa 2048 bits"))?;
    line.split_whitespace().last()?.parse().ok()
}
