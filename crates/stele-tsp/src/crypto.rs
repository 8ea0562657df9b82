//! Signature verification for the algorithms real TSAs and their CAs use: RSA PKCS#1 v1.5,
//! RSA-PSS and ECDSA on P-256/P-384. Only public-key operations live here; the built-in TSA
//! signs with ECDSA P-256 (no RSA private-key operations: RUSTSEC-2023-0071).

use der::Encode;
use signature::hazmat::PrehashVerifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use stele_asn1::DigestAlgorithm;

use crate::asn1::{self, Reader};
use crate::oids;

/// Why a signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("unsupported signature algorithm {0}")]
    UnsupportedAlgorithm(String),
    #[error("unsupported or malformed public key: {0}")]
    UnsupportedKey(String),
    #[error("malformed signature: {0}")]
    Malformed(String),
    #[error("the {0} key of the certificate does not match a {1} signature")]
    KeyMismatch(&'static str, &'static str),
    #[error("the signature value does not verify")]
    Invalid,
}

/// RSA moduli above this are refused (cost bound); real TSA and CA keys are ≤ 4096 bits.
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
/// signature algorithm, as many TSAs do.
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

/// RSASSA-PSS-params (RFC 4055): hash [0] default SHA-1, MGF [1] default MGF1-SHA-1, salt [2]
/// default 20, trailer [3] must be 1. The MGF hash must equal the message hash (rsa 0.9 limit).
fn pss_params(alg: &AlgorithmIdentifierOwned) -> Result<Scheme, SignatureError> {
    let bad = |m: &str| SignatureError::Malformed(format!("RSASSA-PSS parameters: {m}"));
    let mut hash = DigestAlgorithm::Sha1;
    let mut mgf_hash = DigestAlgorithm::Sha1;
    let mut salt_len = 20usize;
    if let Some(params) = &alg.parameters {
        let der = params.to_der().map_err(|e| bad(&e.to_string()))?;
        let top = asn1::single(&der, "RSASSA-PSS-params").map_err(|e| bad(&e.to_string()))?;
        if top.tag == asn1::TAG_SEQUENCE {
            let mut r = top.children();
            let hash_of = |v: &[u8]| -> Result<DigestAlgorithm, SignatureError> {
                let alg =
                    asn1::single(v, "AlgorithmIdentifier").map_err(|e| bad(&e.to_string()))?;
                let o = alg
                    .children()
                    .read_tag(asn1::TAG_OID, "algorithm")
                    .map_err(|e| bad(&e.to_string()))?;
                DigestAlgorithm::ALL
                    .into_iter()
                    .find(|a| a.oid().as_bytes() == o.value)
                    .ok_or_else(|| bad("unsupported hash"))
            };
            while !r.is_empty() {
                let t = r
                    .read("RSASSA-PSS-params")
                    .map_err(|e| bad(&e.to_string()))?;
                match t.tag {
                    0xa0 => hash = hash_of(t.value)?,
                    0xa1 => {
                        let mgf = asn1::single(t.value, "maskGenAlgorithm")
                            .map_err(|e| bad(&e.to_string()))?;
                        let mut mr: Reader<'_> = mgf.children();
                        let o = mr
                            .read_tag(asn1::TAG_OID, "mgf")
                            .map_err(|e| bad(&e.to_string()))?;
                        if o.value != oids::ID_MGF1.as_bytes() {
                            return Err(bad("mask generation function is not MGF1"));
                        }
                        let p = mr.read("mgf hash").map_err(|e| bad(&e.to_string()))?;
                        mgf_hash = hash_of(p.raw)?;
                    }
                    0xa2 => {
                        let i =
                            asn1::single(t.value, "saltLength").map_err(|e| bad(&e.to_string()))?;
                        let v = asn1::unsigned_integer(&i, "saltLength")
                            .map_err(|e| bad(&e.to_string()))?;
                        if v.len() > 2 {
                            return Err(bad("salt length too large"));
                        }
                        salt_len = v.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
                    }
                    0xa3 => {
                        let i = asn1::single(t.value, "trailerField")
                            .map_err(|e| bad(&e.to_string()))?;
                        if i.value != [1] {
                            return Err(bad("trailer field is not 1"));
                        }
                    }
                    _ => return Err(bad("unexpected field")),
                }
            }
        } else if top.tag != asn1::TAG_NULL {
            return Err(bad("not a SEQUENCE"));
        }
    }
    if mgf_hash != hash {
        return Err(SignatureError::UnsupportedAlgorithm(format!(
            "RSA-PSS with {hash} and MGF1-{mgf_hash}"
        )));
    }
    Ok(Scheme::Pss { hash, salt_len })
}

/// Verifies `signature` over `message` with the key in `spki`.
pub(crate) fn verify_signature(
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
    match scheme {
        Scheme::Pkcs1(h) => rsa_verify(key_oid, key_bytes, &hashed, signature, pkcs1_scheme(h)),
        Scheme::Pss { hash, salt_len } => rsa_verify(
            key_oid,
            key_bytes,
            &hashed,
            signature,
            pss_scheme(hash, salt_len),
        ),
        Scheme::Ecdsa(_) => {
            if key_oid != oids::ID_EC_PUBLIC_KEY {
                return Err(SignatureError::KeyMismatch("non-EC", "ECDSA"));
            }
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<const_oid::ObjectIdentifier>().ok())
                .ok_or_else(|| {
                    SignatureError::UnsupportedKey("EC key without a named curve".into())
                })?;
            if curve == oids::SECP256R1 {
                let vk = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                    .map_err(|_| SignatureError::UnsupportedKey("invalid P-256 point".into()))?;
                let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| {
                    SignatureError::Malformed("ECDSA signature is not DER Ecdsa-Sig-Value".into())
                })?;
                vk.verify_prehash(&pad_prehash(&hashed, 32), &sig)
                    .map_err(|_| SignatureError::Invalid)
            } else if curve == oids::SECP384R1 {
                let vk = p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                    .map_err(|_| SignatureError::UnsupportedKey("invalid P-384 point".into()))?;
                let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| {
                    SignatureError::Malformed("ECDSA signature is not DER Ecdsa-Sig-Value".into())
                })?;
                vk.verify_prehash(&pad_prehash(&hashed, 48), &sig)
                    .map_err(|_| SignatureError::Invalid)
            } else {
                Err(SignatureError::UnsupportedKey(format!("EC curve {curve}")))
            }
        }
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
    use der::Decode;
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
