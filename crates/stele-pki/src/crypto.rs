//! Signature verification for X.509 certificates, CRLs and CMS signers: RSA PKCS#1 v1.5
//! (SHA-1/2/3), RSA-PSS and ECDSA on P-256/P-384. This is meant to be the single place in Stele
//! where a public-key signature is checked. DSA (and anything else) is reported as
//! [`SignatureError::UnsupportedAlgorithm`], never as a silent pass.

use der::{Decode, Encode, Tagged};
use signature::hazmat::PrehashVerifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use stele_asn1::DigestAlgorithm;
use x509_cert::crl::CertificateList;
use x509_cert::Certificate;

use crate::oids;

/// Why a signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The algorithm (e.g. DSA) is not implemented; the signature was not checked.
    #[error("unsupported signature algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// The public key cannot be used (unknown curve, malformed, too large).
    #[error("unsupported or malformed public key: {0}")]
    UnsupportedKey(String),
    /// The signature or its parameters are not well formed.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// The key type does not fit the signature algorithm.
    #[error("the {0} key does not match a {1} signature")]
    KeyMismatch(&'static str, &'static str),
    /// The signature value does not verify.
    #[error("the signature value does not verify")]
    Invalid,
}

impl SignatureError {
    /// True when the failure means "not checked" rather than "checked and wrong".
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self,
            SignatureError::UnsupportedAlgorithm(_) | SignatureError::UnsupportedKey(_)
        )
    }
}

/// RSA moduli above this are refused (cost bound); real CA keys are ≤ 4096 bits.
const MAX_RSA_BITS: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Pkcs1(DigestAlgorithm),
    Pss {
        hash: DigestAlgorithm,
        salt_len: usize,
    },
    Ecdsa(DigestAlgorithm),
}

impl Scheme {
    fn hash(&self) -> DigestAlgorithm {
        match *self {
            Scheme::Pkcs1(h) | Scheme::Ecdsa(h) | Scheme::Pss { hash: h, .. } => h,
        }
    }
}

fn unsupported(alg: &AlgorithmIdentifierOwned) -> SignatureError {
    SignatureError::UnsupportedAlgorithm(alg.oid.to_string())
}

/// Works out scheme and hash. `digest_alg` is the CMS SignerInfo digestAlgorithm, which decides
/// the hash when a producer writes a bare key OID (`rsaEncryption`, `id-ecPublicKey`) as the
/// signature algorithm, as many TSAs do; X.509 callers pass `None`.
fn scheme(
    alg: &AlgorithmIdentifierOwned,
    digest_alg: Option<DigestAlgorithm>,
) -> Result<Scheme, SignatureError> {
    use DigestAlgorithm as D;
    let need_digest = || digest_alg.ok_or_else(|| unsupported(alg));
    let o = alg.oid;
    Ok(match o {
        _ if o == oids::RSA_ENCRYPTION => Scheme::Pkcs1(need_digest()?),
        _ if o == oids::SHA1_WITH_RSA => Scheme::Pkcs1(D::Sha1),
        _ if o == oids::SHA224_WITH_RSA => Scheme::Pkcs1(D::Sha224),
        _ if o == oids::SHA256_WITH_RSA => Scheme::Pkcs1(D::Sha256),
        _ if o == oids::SHA384_WITH_RSA => Scheme::Pkcs1(D::Sha384),
        _ if o == oids::SHA512_WITH_RSA => Scheme::Pkcs1(D::Sha512),
        _ if o == oids::RSA_WITH_SHA3_256 => Scheme::Pkcs1(D::Sha3_256),
        _ if o == oids::RSA_WITH_SHA3_384 => Scheme::Pkcs1(D::Sha3_384),
        _ if o == oids::RSA_WITH_SHA3_512 => Scheme::Pkcs1(D::Sha3_512),
        _ if o == oids::ID_RSASSA_PSS => pss_params(alg)?,
        _ if o == oids::ID_EC_PUBLIC_KEY => Scheme::Ecdsa(need_digest()?),
        _ if o == oids::ECDSA_WITH_SHA1 => Scheme::Ecdsa(D::Sha1),
        _ if o == oids::ECDSA_WITH_SHA224 => Scheme::Ecdsa(D::Sha224),
        _ if o == oids::ECDSA_WITH_SHA256 => Scheme::Ecdsa(D::Sha256),
        _ if o == oids::ECDSA_WITH_SHA384 => Scheme::Ecdsa(D::Sha384),
        _ if o == oids::ECDSA_WITH_SHA512 => Scheme::Ecdsa(D::Sha512),
        _ if o == oids::ECDSA_WITH_SHA3_256 => Scheme::Ecdsa(D::Sha3_256),
        _ if o == oids::ECDSA_WITH_SHA3_384 => Scheme::Ecdsa(D::Sha3_384),
        _ if o == oids::ECDSA_WITH_SHA3_512 => Scheme::Ecdsa(D::Sha3_512),
        _ => return Err(unsupported(alg)),
    })
}

/// RSASSA-PSS-params (RFC 4055) with their defaults (SHA-1, MGF1-SHA-1, salt 20, trailer 1).
/// The MGF hash must equal the message hash (an rsa 0.9 limit).
fn pss_params(alg: &AlgorithmIdentifierOwned) -> Result<Scheme, SignatureError> {
    let bad = |m: String| SignatureError::Malformed(format!("RSASSA-PSS parameters: {m}"));
    let Some(params) = &alg.parameters else {
        return Ok(Scheme::Pss {
            hash: DigestAlgorithm::Sha1,
            salt_len: 20,
        });
    };
    if params.tag() == der::Tag::Null {
        return Ok(Scheme::Pss {
            hash: DigestAlgorithm::Sha1,
            salt_len: 20,
        });
    }
    let der = params.to_der().map_err(|e| bad(e.to_string()))?;
    let p = rsa::pkcs1::RsaPssParams::from_der(&der).map_err(|e| bad(e.to_string()))?;
    let hash = DigestAlgorithm::from_oid(&p.hash.oid).map_err(|e| bad(e.to_string()))?;
    if p.mask_gen.oid != oids::ID_MGF1 {
        return Err(bad("mask generation function is not MGF1".into()));
    }
    let mgf_hash = p
        .mask_gen
        .parameters
        .as_ref()
        .map(|a| DigestAlgorithm::from_oid(&a.oid))
        .transpose()
        .map_err(|e| bad(e.to_string()))?
        .unwrap_or(DigestAlgorithm::Sha1);
    if mgf_hash != hash {
        return Err(SignatureError::UnsupportedAlgorithm(format!(
            "RSA-PSS with {hash} and MGF1-{mgf_hash}"
        )));
    }
    Ok(Scheme::Pss {
        hash,
        salt_len: usize::from(p.salt_len),
    })
}

/// Verifies `signature` over `message` with the key in `spki` under algorithm `alg`.
/// `digest_alg` only matters for CMS signers that name a bare key algorithm.
pub fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    alg: &AlgorithmIdentifierOwned,
    digest_alg: Option<DigestAlgorithm>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let scheme = scheme(alg, digest_alg)?;
    let hashed = scheme.hash().digest(message);
    let key_oid = spki.algorithm.oid;
    let key_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| SignatureError::UnsupportedKey("public key has unused bits".into()))?;
    let memo_key = verified::key(spki, alg, &hashed, signature);
    if verified::contains(&memo_key) {
        return Ok(());
    }
    let result = match scheme {
        Scheme::Pkcs1(h) => rsa_verify(key_oid, key_bytes, &hashed, signature, pkcs1_scheme(h)),
        Scheme::Pss { hash, salt_len } => rsa_verify(
            key_oid,
            key_bytes,
            &hashed,
            signature,
            pss_scheme(hash, salt_len),
        ),
        Scheme::Ecdsa(_) => ecdsa_verify(spki, key_bytes, &hashed, signature),
    };
    if result.is_ok() {
        verified::insert(memo_key);
    }
    result
}

/// Signatures already found valid in this process. Every document of an agency repeats the
/// same CA certificates, CRL and OCSP-responder signatures, and an RSA verification costs far
/// more than hashing its inputs, so each (key, algorithm, message hash, signature) is verified
/// once. Only successes are remembered; the key covers everything the verdict depends on
/// (the message enters through its hash under the signature's own hash algorithm, which is
/// exactly what the signature binds).
mod verified {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};

    use der::Encode;
    use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
    use stele_asn1::DigestAlgorithm;

    /// Entries kept before the set is emptied (32 bytes each: about 2 MiB at most).
    const CAPACITY: usize = 65_536;

    fn set() -> &'static Mutex<HashSet<[u8; 32]>> {
        static SET: OnceLock<Mutex<HashSet<[u8; 32]>>> = OnceLock::new();
        SET.get_or_init(|| Mutex::new(HashSet::new()))
    }

    pub(super) fn key(
        spki: &SubjectPublicKeyInfoOwned,
        alg: &AlgorithmIdentifierOwned,
        hashed: &[u8],
        signature: &[u8],
    ) -> [u8; 32] {
        let mut h = DigestAlgorithm::Sha256.hasher();
        for part in [
            spki.to_der().unwrap_or_default().as_slice(),
            alg.to_der().unwrap_or_default().as_slice(),
            hashed,
            signature,
        ] {
            // Length-prefixed, so no two different inputs concatenate alike.
            h.update(&(part.len() as u64).to_be_bytes());
            h.update(part);
        }
        let mut out = [0u8; 32];
        out.copy_from_slice(&h.finalize());
        out
    }

    pub(super) fn contains(k: &[u8; 32]) -> bool {
        set().lock().map(|s| s.contains(k)).unwrap_or(false)
    }

    pub(super) fn insert(k: [u8; 32]) {
        if let Ok(mut s) = set().lock() {
            if s.len() >= CAPACITY {
                s.clear();
            }
            s.insert(k);
        }
    }
}

/// Checks that `cert` was signed with the key `issuer_key`.
pub fn verify_certificate(
    cert: &Certificate,
    issuer_key: &SubjectPublicKeyInfoOwned,
) -> Result<(), SignatureError> {
    let tbs = cert
        .tbs_certificate
        .to_der()
        .map_err(|e| SignatureError::Malformed(e.to_string()))?;
    verify_signed(
        issuer_key,
        &cert.signature_algorithm,
        &cert.tbs_certificate.signature,
        &tbs,
        &cert.signature,
    )
}

/// The check every signed X.509 structure shares: the outer algorithm must equal the one inside
/// the signed part (or the signer could be made to vouch for another algorithm), then the
/// signature over the to-be-signed bytes.
fn verify_signed(
    issuer_key: &SubjectPublicKeyInfoOwned,
    outer_alg: &AlgorithmIdentifierOwned,
    inner_alg: &AlgorithmIdentifierOwned,
    tbs: &[u8],
    signature: &der::asn1::BitString,
) -> Result<(), SignatureError> {
    if outer_alg != inner_alg {
        return Err(SignatureError::Malformed(
            "outer and inner signature algorithms differ".into(),
        ));
    }
    let sig = signature
        .as_bytes()
        .ok_or_else(|| SignatureError::Malformed("signature has unused bits".into()))?;
    verify_signature(issuer_key, outer_alg, None, tbs, sig)
}

/// The first element (with its header) inside the outer SEQUENCE of `signed`: the exact
/// to-be-signed bytes as received, which a re-encoding might not reproduce.
pub fn tbs_bytes(signed: &[u8]) -> Result<&[u8], SignatureError> {
    let bad = || SignatureError::Malformed("not a DER SEQUENCE of signed data".into());
    let (_, content) = tlv(signed).ok_or_else(bad)?;
    let (whole, _) = tlv(content).ok_or_else(bad)?;
    Ok(whole)
}

/// Splits one DER TLV at the start of `b` into (whole TLV, its content).
fn tlv(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let first = *b.get(1)?;
    let (hdr, len) = if first < 0x80 {
        (2usize, usize::from(first))
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let len = b
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |a, &x| (a << 8) | usize::from(x));
        (2 + n, len)
    };
    let end = hdr.checked_add(len)?;
    Some((b.get(..end)?, b.get(hdr..end)?))
}

/// Like [`verify_certificate`], but over the TBS bytes exactly as found in `cert_der` (for
/// certificates taken from CMS or other containers whose encoding must not be re-derived).
pub fn verify_certificate_der(
    cert_der: &[u8],
    issuer_key: &SubjectPublicKeyInfoOwned,
) -> Result<(), SignatureError> {
    let cert = Certificate::from_der(cert_der)
        .map_err(|e| SignatureError::Malformed(format!("certificate: {e}")))?;
    verify_signed(
        issuer_key,
        &cert.signature_algorithm,
        &cert.tbs_certificate.signature,
        tbs_bytes(cert_der)?,
        &cert.signature,
    )
}

/// Checks that `crl` was signed with the key `issuer_key`.
pub fn verify_crl(
    crl: &CertificateList,
    issuer_key: &SubjectPublicKeyInfoOwned,
) -> Result<(), SignatureError> {
    let tbs = crl
        .tbs_cert_list
        .to_der()
        .map_err(|e| SignatureError::Malformed(e.to_string()))?;
    verify_signed(
        issuer_key,
        &crl.signature_algorithm,
        &crl.tbs_cert_list.signature,
        &tbs,
        &crl.signature,
    )
}

fn ecdsa_verify(
    spki: &SubjectPublicKeyInfoOwned,
    key_bytes: &[u8],
    hashed: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    if spki.algorithm.oid != oids::ID_EC_PUBLIC_KEY {
        return Err(SignatureError::KeyMismatch("non-EC", "ECDSA"));
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<const_oid::ObjectIdentifier>().ok())
        .ok_or_else(|| SignatureError::UnsupportedKey("EC key without a named curve".into()))?;
    let malformed =
        || SignatureError::Malformed("ECDSA signature is not DER Ecdsa-Sig-Value".into());
    if curve == oids::SECP256R1 {
        let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
            .map_err(|_| SignatureError::UnsupportedKey("invalid P-256 point".into()))?;
        let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| malformed())?;
        vk.verify_prehash(&pad_prehash(hashed, 32), &sig)
            .map_err(|_| SignatureError::Invalid)
    } else if curve == oids::SECP384R1 {
        let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
            .map_err(|_| SignatureError::UnsupportedKey("invalid P-384 point".into()))?;
        let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| malformed())?;
        vk.verify_prehash(&pad_prehash(hashed, 48), &sig)
            .map_err(|_| SignatureError::Invalid)
    } else {
        Err(SignatureError::UnsupportedKey(format!("EC curve {curve}")))
    }
}

/// A hash shorter than the curve order is used as an integer (FIPS 186-4 §6.4), i.e. zero
/// padded on the left; the ecdsa crate refuses short prehashes (SHA-1 with P-384) otherwise.
fn pad_prehash(h: &[u8], field: usize) -> Vec<u8> {
    if h.len() >= field {
        return h.to_vec();
    }
    let mut v = vec![0u8; field - h.len()];
    v.extend_from_slice(h);
    v
}

fn rsa_verify<S: rsa::traits::SignatureScheme>(
    key_oid: const_oid::ObjectIdentifier,
    key_bytes: &[u8],
    hashed: &[u8],
    signature: &[u8],
    scheme: S,
) -> Result<(), SignatureError> {
    if key_oid != oids::RSA_ENCRYPTION && key_oid != oids::ID_RSASSA_PSS {
        return Err(SignatureError::KeyMismatch("non-RSA", "RSA"));
    }
    let key = rsa_key(key_bytes)?;
    let size = rsa::traits::PublicKeyParts::size(&key);
    if signature.len() > size {
        return Err(SignatureError::Invalid);
    }
    // Some producers drop leading zero octets of the signature; restore them.
    let mut sig = vec![0u8; size - signature.len()];
    sig.extend_from_slice(signature);
    key.verify(scheme, hashed, &sig)
        .map_err(|_| SignatureError::Invalid)
}

fn rsa_key(pkcs1: &[u8]) -> Result<rsa::RsaPublicKey, SignatureError> {
    let k = rsa::pkcs1::RsaPublicKey::from_der(pkcs1)
        .map_err(|e| SignatureError::UnsupportedKey(format!("RSA public key: {e}")))?;
    rsa::RsaPublicKey::new_with_max_size(
        rsa::BigUint::from_bytes_be(k.modulus.as_bytes()),
        rsa::BigUint::from_bytes_be(k.public_exponent.as_bytes()),
        MAX_RSA_BITS,
    )
    .map_err(|e| SignatureError::UnsupportedKey(format!("RSA public key: {e}")))
}

fn pkcs1_scheme(h: DigestAlgorithm) -> rsa::Pkcs1v15Sign {
    use DigestAlgorithm as D;
    match h {
        D::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
        D::Sha224 => rsa::Pkcs1v15Sign::new::<sha2::Sha224>(),
        D::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
        D::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
        D::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
        D::Sha3_256 => rsa::Pkcs1v15Sign::new::<sha3::Sha3_256>(),
        D::Sha3_384 => rsa::Pkcs1v15Sign::new::<sha3::Sha3_384>(),
        D::Sha3_512 => rsa::Pkcs1v15Sign::new::<sha3::Sha3_512>(),
    }
}

fn pss_scheme(h: DigestAlgorithm, salt: usize) -> rsa::Pss {
    use DigestAlgorithm as D;
    match h {
        D::Sha1 => rsa::Pss::new_with_salt::<sha1::Sha1>(salt),
        D::Sha224 => rsa::Pss::new_with_salt::<sha2::Sha224>(salt),
        D::Sha256 => rsa::Pss::new_with_salt::<sha2::Sha256>(salt),
        D::Sha384 => rsa::Pss::new_with_salt::<sha2::Sha384>(salt),
        D::Sha512 => rsa::Pss::new_with_salt::<sha2::Sha512>(salt),
        D::Sha3_256 => rsa::Pss::new_with_salt::<sha3::Sha3_256>(salt),
        D::Sha3_384 => rsa::Pss::new_with_salt::<sha3::Sha3_384>(salt),
        D::Sha3_512 => rsa::Pss::new_with_salt::<sha3::Sha3_512>(salt),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsa_is_reported_unsupported() {
        let alg = AlgorithmIdentifierOwned {
            oid: const_oid::ObjectIdentifier::new_unwrap("1.2.840.10040.4.3"),
            parameters: None,
        };
        let spki = SubjectPublicKeyInfoOwned {
            algorithm: alg.clone(),
            subject_public_key: der::asn1::BitString::from_bytes(&[1, 2, 3]).unwrap(),
        };
        let e = verify_signature(&spki, &alg, None, b"m", b"s").unwrap_err();
        assert!(e.is_unsupported(), "{e:?}");
    }

    #[test]
    fn tbs_bytes_is_bounded() {
        assert_eq!(
            tbs_bytes(&[0x30, 0x03, 0x02, 0x01, 0x05]).unwrap(),
            &[0x02, 0x01, 0x05]
        );
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x05, 0x02],
        ] {
            assert!(tbs_bytes(bad).is_err());
        }
    }
}
