//! The built-in TSA: a local ECDSA P-256 key and certificate that time-stamp on demand, for
//! deployments without an external TSA and for tests that travel through time.
//!
//! It is explicitly **not an accredited TSA**: its certificate says so in its subject, and its
//! tokens carry [`BUILTIN_TSA_POLICY`]. Its time is the injected [`Clock`].
//!
//! Files in the TSA directory: `root.pem` (self-signed root CA), `tsa.pem` (TSA certificate),
//! `tsa.key` (PKCS#8 PEM, mode 0600) and `serial` (last serial issued, decimal). The root key is
//! discarded after signing the TSA certificate, so nobody can issue further certificates under
//! this root; a new TSA certificate means a new `tsa_init` in a new directory.
//!
//! One process should serve one directory: the serial is serialised within a process and
//! persisted with write-temp-and-rename, but two processes on one directory are not coordinated.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use der::asn1::{BitString, OctetString};
use der::{Decode, Encode, EncodePem};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rand_core::{OsRng, RngCore};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use stele_asn1::DigestAlgorithm;
use time::OffsetDateTime;
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

use crate::asn1;
use crate::clock::Clock;
use crate::error::ParseError;
use crate::oids;
use crate::path;
use crate::request::{RequestError, TimeStampRequest};
use crate::response::{FailureInfo, TimeStampResponse};
use crate::token::TimeStampToken;
use crate::verify::{verify_response, ResponseError};

/// Policy of the built-in TSA: an X.667 UUID OID (2.25.<uuid>.1), unique without registration.
///
/// Policy statement: "Stele built-in TSA, not accredited. genTime is the host clock (or the
/// clock injected by the operator) at the moment of signing, to the second, accuracy ±1 s;
/// serial numbers are unique and increasing per TSA directory; keys are ECDSA P-256 held in a
/// local file; no revocation service is provided."
pub const BUILTIN_TSA_POLICY: &str = "2.25.131698337416464300614683015783302960523.1";

/// Subject organisation of the built-in TSA's certificates, saying what it is.
pub const BUILTIN_TSA_ORGANIZATION: &str = "Stele built-in TSA (not accredited)";

/// Imprint algorithms the built-in TSA accepts (SHA-1 is refused: collisions are practical).
pub const ACCEPTED_DIGESTS: [DigestAlgorithm; 7] = [
    DigestAlgorithm::Sha224,
    DigestAlgorithm::Sha256,
    DigestAlgorithm::Sha384,
    DigestAlgorithm::Sha512,
    DigestAlgorithm::Sha3_256,
    DigestAlgorithm::Sha3_384,
    DigestAlgorithm::Sha3_512,
];

const ROOT_FILE: &str = "root.pem";
const TSA_CERT_FILE: &str = "tsa.pem";
const TSA_KEY_FILE: &str = "tsa.key";
const SERIAL_FILE: &str = "serial";

/// Errors of the built-in TSA.
#[derive(Debug, thiserror::Error)]
pub enum LocalTsaError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} already holds a TSA key; refusing to overwrite it")]
    AlreadyInitialised(PathBuf),
    #[error("invalid TSA options: {0}")]
    InvalidOptions(String),
    #[error("{path}: {reason}")]
    BadFile { path: PathBuf, reason: String },
    #[error("could not build the TSA certificates: {0}")]
    Certificate(String),
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error("the built-in TSA refused: {0}")]
    Rejected(String),
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("the built-in TSA produced an unusable token: {0}")]
    Response(#[from] ResponseError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> LocalTsaError + '_ {
    move |source| LocalTsaError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What `tsa_init` creates.
#[derive(Clone, Debug)]
pub struct TsaInitOptions {
    /// Common name of the TSA certificate (the root gets "<name> Root CA").
    pub common_name: String,
    pub not_before: OffsetDateTime,
    /// End of the TSA certificate: tokens are refused after it.
    pub not_after: OffsetDateTime,
    /// End of the root certificate; defaults to `not_after`.
    pub root_not_after: Option<OffsetDateTime>,
}

/// The certificates `tsa_init` wrote.
#[derive(Clone, Debug)]
pub struct TsaCertificates {
    pub root: Certificate,
    pub tsa: Certificate,
}

fn cert_err(e: impl std::fmt::Display) -> LocalTsaError {
    LocalTsaError::Certificate(e.to_string())
}

fn name(common_name: &str) -> Result<Name, LocalTsaError> {
    use x509_cert::attr::AttributeTypeAndValue;
    use x509_cert::name::{RdnSequence, RelativeDistinguishedName};
    let atv = |oid, v: &str| -> Result<RelativeDistinguishedName, LocalTsaError> {
        let value = der::Any::new(der::Tag::Utf8String, v.as_bytes()).map_err(cert_err)?;
        let set = der::asn1::SetOfVec::try_from(vec![AttributeTypeAndValue { oid, value }])
            .map_err(cert_err)?;
        Ok(RelativeDistinguishedName(set))
    };
    Ok(RdnSequence(vec![
        atv(const_oid::db::rfc4519::O, BUILTIN_TSA_ORGANIZATION)?,
        atv(const_oid::db::rfc4519::CN, common_name)?,
    ]))
}

fn x509_time(t: OffsetDateTime) -> Result<Time, LocalTsaError> {
    let secs = u64::try_from(t.unix_timestamp())
        .map_err(|_| LocalTsaError::InvalidOptions("certificate dates before 1970".into()))?;
    let d = std::time::Duration::from_secs(secs);
    if t.year() < 2050 {
        Ok(Time::UtcTime(
            der::asn1::UtcTime::from_unix_duration(d).map_err(cert_err)?,
        ))
    } else {
        Ok(Time::GeneralTime(
            der::asn1::GeneralizedTime::from_unix_duration(d).map_err(cert_err)?,
        ))
    }
}

fn ext(
    oid: const_oid::ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension, LocalTsaError> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der().map_err(cert_err)?).map_err(cert_err)?,
    })
}

fn ecdsa_sha256() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: oids::ECDSA_WITH_SHA256,
        parameters: None,
    }
}

fn random_serial() -> Result<SerialNumber, LocalTsaError> {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[0] = (b[0] & 0x7f) | 0x40;
    SerialNumber::new(&b).map_err(cert_err)
}

fn spki_of(key: &VerifyingKey) -> Result<SubjectPublicKeyInfoOwned, LocalTsaError> {
    let der = key.to_public_key_der().map_err(cert_err)?;
    SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(cert_err)
}

fn key_id(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    // RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
    DigestAlgorithm::Sha1.digest(spki.subject_public_key.raw_bytes())
}

#[allow(clippy::too_many_arguments)]
fn make_cert(
    issuer: Name,
    subject: Name,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    spki: SubjectPublicKeyInfoOwned,
    extensions: Vec<Extension>,
    signer: &SigningKey,
) -> Result<Certificate, LocalTsaError> {
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: random_serial()?,
        signature: ecdsa_sha256(),
        issuer,
        validity: Validity {
            not_before: x509_time(not_before)?,
            not_after: x509_time(not_after)?,
        },
        subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let tbs_der = tbs.to_der().map_err(cert_err)?;
    let sig: DerSignature = signer.sign(&tbs_der);
    Ok(Certificate {
        tbs_certificate: tbs,
        signature_algorithm: ecdsa_sha256(),
        signature: BitString::from_bytes(sig.as_bytes()).map_err(cert_err)?,
    })
}

fn write_file(path: &Path, data: &[u8], private: bool) -> Result<(), LocalTsaError> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = o.open(path).map_err(io_err(path))?;
    f.write_all(data).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

/// Creates the built-in TSA in `dir`: a P-256 root CA and a P-256 TSA certificate (critical EKU
/// id-kp-timeStamping, critical keyUsage digitalSignature), with the given validity dates.
pub fn tsa_init(
    dir: &Path,
    opts: &TsaInitOptions,
    clock: &dyn Clock,
) -> Result<TsaCertificates, LocalTsaError> {
    let root_not_after = opts.root_not_after.unwrap_or(opts.not_after);
    if opts.common_name.trim().is_empty() || opts.common_name.len() > 64 {
        return Err(LocalTsaError::InvalidOptions(
            "the common name must be 1 to 64 characters".into(),
        ));
    }
    if opts.not_before >= opts.not_after {
        return Err(LocalTsaError::InvalidOptions(
            "not_before must be before not_after".into(),
        ));
    }
    if root_not_after < opts.not_after {
        return Err(LocalTsaError::InvalidOptions(
            "the root certificate must not expire before the TSA certificate".into(),
        ));
    }
    if opts.not_after <= clock.now() {
        return Err(LocalTsaError::InvalidOptions(format!(
            "the TSA certificate would already have expired (not_after {} is not after now {})",
            path::fmt_time(opts.not_after),
            path::fmt_time(clock.now())
        )));
    }
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    for f in [TSA_KEY_FILE, TSA_CERT_FILE, ROOT_FILE] {
        if dir.join(f).exists() {
            return Err(LocalTsaError::AlreadyInitialised(dir.to_path_buf()));
        }
    }

    let root_key = SigningKey::random(&mut OsRng);
    let tsa_key = SigningKey::random(&mut OsRng);
    let root_spki = spki_of(root_key.verifying_key())?;
    let tsa_spki = spki_of(tsa_key.verifying_key())?;
    let root_kid = key_id(&root_spki);
    let tsa_kid = key_id(&tsa_spki);
    let root_name = name(&format!("{} Root CA", opts.common_name.trim()))?;
    let tsa_name = name(opts.common_name.trim())?;

    let root = make_cert(
        root_name.clone(),
        root_name.clone(),
        opts.not_before,
        root_not_after,
        root_spki,
        vec![
            ext(
                oids::ID_CE_BASIC_CONSTRAINTS,
                true,
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(0),
                },
            )?,
            ext(
                oids::ID_CE_KEY_USAGE,
                true,
                &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
            )?,
            ext(
                oids::ID_CE_SUBJECT_KEY_IDENTIFIER,
                false,
                &SubjectKeyIdentifier(OctetString::new(root_kid.clone()).map_err(cert_err)?),
            )?,
        ],
        &root_key,
    )?;
    let tsa = make_cert(
        root_name,
        tsa_name,
        opts.not_before,
        opts.not_after,
        tsa_spki,
        vec![
            ext(
                oids::ID_CE_BASIC_CONSTRAINTS,
                false,
                &BasicConstraints {
                    ca: false,
                    path_len_constraint: None,
                },
            )?,
            ext(
                oids::ID_CE_KEY_USAGE,
                true,
                &KeyUsage(KeyUsages::DigitalSignature.into()),
            )?,
            ext(
                oids::ID_CE_EXT_KEY_USAGE,
                true,
                &ExtendedKeyUsage(vec![oids::ID_KP_TIME_STAMPING]),
            )?,
            ext(
                oids::ID_CE_SUBJECT_KEY_IDENTIFIER,
                false,
                &SubjectKeyIdentifier(OctetString::new(tsa_kid).map_err(cert_err)?),
            )?,
            ext(
                oids::ID_CE_AUTHORITY_KEY_IDENTIFIER,
                false,
                &AuthorityKeyIdentifier {
                    key_identifier: Some(OctetString::new(root_kid).map_err(cert_err)?),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
            )?,
        ],
        &root_key,
    )?;
    drop(root_key);

    let key_pem = tsa_key.to_pkcs8_pem(LineEnding::LF).map_err(cert_err)?;
    write_file(&dir.join(TSA_KEY_FILE), key_pem.as_bytes(), true)?;
    write_file(
        &dir.join(TSA_CERT_FILE),
        tsa.to_pem(LineEnding::LF).map_err(cert_err)?.as_bytes(),
        false,
    )?;
    write_file(
        &dir.join(ROOT_FILE),
        root.to_pem(LineEnding::LF).map_err(cert_err)?.as_bytes(),
        false,
    )?;
    Ok(TsaCertificates { root, tsa })
}

/// Reads the first PEM certificate of a file.
pub fn read_pem_certificate(path: &Path) -> Result<Certificate, LocalTsaError> {
    let pem = fs::read_to_string(path).map_err(io_err(path))?;
    Certificate::load_pem_chain(pem.as_bytes())
        .map_err(|e| LocalTsaError::BadFile {
            path: path.into(),
            reason: format!("not a PEM certificate: {e}"),
        })?
        .into_iter()
        .next()
        .ok_or_else(|| LocalTsaError::BadFile {
            path: path.into(),
            reason: "no certificate in file".into(),
        })
}

/// A built-in TSA opened from its directory.
pub struct LocalTsa {
    dir: PathBuf,
    clock: Arc<dyn Clock>,
    key: SigningKey,
    tsa_cert: Certificate,
    tsa_der: Vec<u8>,
    root_cert: Certificate,
    root_der: Vec<u8>,
    /// The signingCertificateV2 attribute, the same for every token.
    ess_attr: Vec<u8>,
    /// TSTInfo.tsa: [0] directoryName of the TSA subject.
    tsa_field: Vec<u8>,
    /// SignerInfo.sid: issuerAndSerialNumber of the TSA certificate.
    sid: Vec<u8>,
    serial_lock: Mutex<()>,
}

impl std::fmt::Debug for LocalTsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTsa")
            .field("dir", &self.dir)
            .field(
                "subject",
                &self.tsa_cert.tbs_certificate.subject.to_string(),
            )
            .finish_non_exhaustive()
    }
}

impl LocalTsa {
    /// Opens the TSA in `dir` (created by [`tsa_init`]); `clock` gives every token's genTime.
    pub fn open(dir: &Path, clock: Arc<dyn Clock>) -> Result<Self, LocalTsaError> {
        let key_path = dir.join(TSA_KEY_FILE);
        let key_pem = fs::read_to_string(&key_path).map_err(io_err(&key_path))?;
        let key = SigningKey::from_pkcs8_pem(&key_pem).map_err(|e| LocalTsaError::BadFile {
            path: key_path.clone(),
            reason: format!("not a PKCS#8 P-256 private key: {e}"),
        })?;
        let tsa_path = dir.join(TSA_CERT_FILE);
        let tsa_cert = read_pem_certificate(&tsa_path)?;
        let root_cert = read_pem_certificate(&dir.join(ROOT_FILE))?;
        if spki_of(key.verifying_key())? != tsa_cert.tbs_certificate.subject_public_key_info {
            return Err(LocalTsaError::BadFile {
                path: tsa_path,
                reason: "the certificate does not belong to the key in tsa.key".into(),
            });
        }
        path::check_tsa_eku(&tsa_cert).map_err(|reason| LocalTsaError::BadFile {
            path: tsa_path.clone(),
            reason,
        })?;
        let tsa_der = tsa_cert.to_der().map_err(cert_err)?;
        let root_der = root_cert.to_der().map_err(cert_err)?;
        let issuer_der = tsa_cert.tbs_certificate.issuer.to_der().map_err(cert_err)?;
        let subject_der = tsa_cert
            .tbs_certificate
            .subject
            .to_der()
            .map_err(cert_err)?;
        let serial_der = tsa_cert
            .tbs_certificate
            .serial_number
            .to_der()
            .map_err(cert_err)?;

        // ESSCertIDv2 with the default hash (SHA-256, so hashAlgorithm is omitted) and
        // issuerSerial, binding the signature to exactly this certificate.
        let issuer_serial = asn1::seq(&[&asn1::seq(&[&asn1::tlv(0xa4, &issuer_der)]), &serial_der]);
        let cert_id = asn1::seq(&[
            &asn1::tlv(
                asn1::TAG_OCTET_STRING,
                &DigestAlgorithm::Sha256.digest(&tsa_der),
            ),
            &issuer_serial,
        ]);
        let ess_attr = attribute(
            &oids::ID_AA_SIGNING_CERTIFICATE_V2,
            &asn1::seq(&[&asn1::seq(&[&cert_id])]),
        );
        Ok(LocalTsa {
            dir: dir.to_path_buf(),
            clock,
            key,
            tsa_field: asn1::tlv(0xa0, &asn1::tlv(0xa4, &subject_der)),
            sid: asn1::seq(&[&issuer_der, &serial_der]),
            tsa_cert,
            tsa_der,
            root_cert,
            root_der,
            ess_attr,
            serial_lock: Mutex::new(()),
        })
    }

    pub fn certificate(&self) -> &Certificate {
        &self.tsa_cert
    }

    pub fn root_certificate(&self) -> &Certificate {
        &self.root_cert
    }

    /// Answers a DER TimeStampReq with a DER TimeStampResp. Bad requests get a TSP rejection
    /// (badAlg, badDataFormat, unacceptedPolicy, unacceptedExtension); `Err` only for local
    /// failures (the serial file cannot be written).
    pub fn respond(&self, request_der: &[u8]) -> Result<Vec<u8>, LocalTsaError> {
        let reject = |text: String, fail| Ok(TimeStampResponse::rejection_der(&text, fail));
        let req = match TimeStampRequest::from_der(request_der) {
            Ok(r) => r,
            Err(RequestError::Parse(ParseError::Unsupported { oid, .. })) => {
                return reject(
                    format!("unsupported hash algorithm {oid}"),
                    FailureInfo::BadAlg,
                )
            }
            Err(e @ RequestError::DigestLength { .. }) => {
                return reject(e.to_string(), FailureInfo::BadDataFormat)
            }
            Err(e) => {
                return reject(
                    format!("malformed request: {e}"),
                    FailureInfo::BadDataFormat,
                )
            }
        };
        let alg = req.message_imprint.algorithm;
        if !ACCEPTED_DIGESTS.contains(&alg) {
            return reject(
                format!("hash algorithm {alg} is not accepted by this TSA"),
                FailureInfo::BadAlg,
            );
        }
        if req.has_extensions {
            return reject(
                "request extensions are not supported".into(),
                FailureInfo::UnacceptedExtension,
            );
        }
        if let Some(p) = &req.policy {
            if p != BUILTIN_TSA_POLICY {
                return reject(
                    format!("policy {p} is not offered; this TSA uses {BUILTIN_TSA_POLICY}"),
                    FailureInfo::UnacceptedPolicy,
                );
            }
        }
        let now = self.clock.now();
        let (nb, na) = path::validity(&self.tsa_cert);
        if now < nb || now > na {
            return reject(
                format!(
                    "the TSA certificate is not valid at {} (valid from {} to {})",
                    path::fmt_time(now),
                    path::fmt_time(nb),
                    path::fmt_time(na)
                ),
                FailureInfo::SystemFailure,
            );
        }
        let serial = self.next_serial(now)?;
        Ok(TimeStampResponse::granted_der(
            &self.sign(&req, now, serial),
        ))
    }

    /// Time-stamps a digest directly, checking the result as a client would.
    pub fn timestamp(
        &self,
        algorithm: DigestAlgorithm,
        digest: &[u8],
    ) -> Result<TimeStampToken, LocalTsaError> {
        let req = TimeStampRequest::new(algorithm, digest)?;
        let resp = TimeStampResponse::from_ber(&self.respond(&req.to_der())?)?;
        if !resp.status.is_granted() {
            return Err(LocalTsaError::Rejected(resp.describe()));
        }
        verify_response(&resp, &req)?;
        resp.token
            .ok_or(LocalTsaError::Response(ResponseError::MissingToken))
    }

    /// Next serial: one more than the last issued, or the time in microseconds if larger, so
    /// serials stay unique even if the serial file is lost and grow with time.
    fn next_serial(&self, now: OffsetDateTime) -> Result<u128, LocalTsaError> {
        let _guard = self.serial_lock.lock().unwrap_or_else(|e| e.into_inner());
        let path = self.dir.join(SERIAL_FILE);
        let last: u128 = match fs::read_to_string(&path) {
            Ok(s) => s.trim().parse().map_err(|_| LocalTsaError::BadFile {
                path: path.clone(),
                reason: "the serial file does not hold a decimal number".into(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(io_err(&path)(e)),
        };
        let micros = u128::try_from(now.unix_timestamp_nanos() / 1000).unwrap_or(0);
        let next = last.saturating_add(1).max(micros);
        let tmp = self.dir.join(format!("{SERIAL_FILE}.tmp"));
        {
            let mut f = fs::File::create(&tmp).map_err(io_err(&tmp))?;
            f.write_all(next.to_string().as_bytes())
                .map_err(io_err(&tmp))?;
            f.sync_all().map_err(io_err(&tmp))?;
        }
        fs::rename(&tmp, &path).map_err(io_err(&path))?;
        Ok(next)
    }

    fn sign(&self, req: &TimeStampRequest, now: OffsetDateTime, serial: u128) -> Vec<u8> {
        let policy = asn1::oid_from_string(BUILTIN_TSA_POLICY).unwrap_or_default();
        let mut tst: Vec<Vec<u8>> = vec![
            asn1::tlv(asn1::TAG_INTEGER, &[1]),
            asn1::tlv(asn1::TAG_OID, &policy),
            req.message_imprint.to_der(),
            asn1::uint(&serial.to_be_bytes()),
            asn1::tlv(
                asn1::TAG_GENERALIZED_TIME,
                asn1::format_generalized_time(now).as_bytes(),
            ),
            asn1::seq(&[&asn1::tlv(asn1::TAG_INTEGER, &[1])]), // accuracy: 1 s
        ];
        if let Some(n) = &req.nonce {
            tst.push(asn1::uint(n));
        }
        tst.push(self.tsa_field.clone());
        let tst_info = asn1::tlv(asn1::TAG_SEQUENCE, &tst.concat());

        let mut attrs = [
            attribute(&oids::ID_CONTENT_TYPE, &asn1::oid(&oids::ID_CT_TST_INFO)),
            attribute(
                &oids::ID_MESSAGE_DIGEST,
                &asn1::tlv(
                    asn1::TAG_OCTET_STRING,
                    &DigestAlgorithm::Sha256.digest(&tst_info),
                ),
            ),
            self.ess_attr.clone(),
        ];
        attrs.sort(); // DER SET OF order
        let signed_attrs = asn1::tlv(asn1::TAG_SET, &attrs.concat());
        let signature: DerSignature = self.key.sign(&signed_attrs);
        let mut implicit_attrs = signed_attrs.clone();
        implicit_attrs[0] = 0xa0;

        let sha256 = asn1::seq(&[&asn1::oid(&DigestAlgorithm::Sha256.oid())]);
        let signer_info = asn1::seq(&[
            &asn1::tlv(asn1::TAG_INTEGER, &[1]),
            &self.sid,
            &sha256,
            &implicit_attrs,
            &asn1::seq(&[&asn1::oid(&oids::ECDSA_WITH_SHA256)]),
            &asn1::tlv(asn1::TAG_OCTET_STRING, signature.as_bytes()),
        ]);
        let mut parts: Vec<Vec<u8>> = vec![
            asn1::tlv(asn1::TAG_INTEGER, &[3]),
            asn1::tlv(asn1::TAG_SET, &sha256),
            asn1::seq(&[
                &asn1::oid(&oids::ID_CT_TST_INFO),
                &asn1::tlv(0xa0, &asn1::tlv(asn1::TAG_OCTET_STRING, &tst_info)),
            ]),
        ];
        if req.cert_req {
            let mut certs = [self.tsa_der.clone(), self.root_der.clone()];
            certs.sort();
            parts.push(asn1::tlv(0xa0, &certs.concat()));
        }
        parts.push(asn1::tlv(asn1::TAG_SET, &signer_info));
        let signed_data = asn1::tlv(asn1::TAG_SEQUENCE, &parts.concat());
        asn1::seq(&[
            &asn1::oid(&oids::ID_SIGNED_DATA),
            &asn1::tlv(0xa0, &signed_data),
        ])
    }
}

fn attribute(oid: &const_oid::ObjectIdentifier, value: &[u8]) -> Vec<u8> {
    asn1::seq(&[&asn1::oid(oid), &asn1::tlv(asn1::TAG_SET, value)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use time::macros::datetime;

    #[test]
    fn root_is_not_a_tsa_and_options_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FixedClock::new(datetime!(2030-01-01 0:00 UTC));
        let mut opts = TsaInitOptions {
            common_name: "Unit".into(),
            not_before: datetime!(2030-01-01 0:00 UTC),
            not_after: datetime!(2029-01-01 0:00 UTC),
            root_not_after: None,
        };
        assert!(matches!(
            tsa_init(dir.path(), &opts, &clock),
            Err(LocalTsaError::InvalidOptions(_))
        ));
        opts.not_after = datetime!(2060-01-01 0:00 UTC); // GeneralizedTime from 2050 on
        let certs = tsa_init(dir.path(), &opts, &clock).unwrap();
        assert!(path::check_tsa_eku(&certs.tsa).is_ok());
        let err = path::check_tsa_eku(&certs.root).unwrap_err();
        assert!(err.contains("extendedKeyUsage"), "{err}");
        assert_eq!(path::validity(&certs.tsa).1, datetime!(2060-01-01 0:00 UTC));
        let tsa = LocalTsa::open(dir.path(), Arc::new(clock)).unwrap();
        assert_eq!(tsa.certificate(), &certs.tsa);
    }
}
