//! RFC 3161 time-stamp tokens: a CMS ContentInfo holding SignedData over a TSTInfo.
//!
//! Decoding is done by hand over the DER normal form so that the exact bytes that were signed
//! (signed attributes, eContent, certificates) are kept for verification, and so that real-world
//! quirks decode: fractional-second genTime, OIDs with arcs beyond 32 bits, OCSP responses in
//! `crls`, certificates that another parser would choke on.

use crate::oids::{ID_CT_TST_INFO, ID_SIGNED_DATA};
use der::Decode;
use spki::AlgorithmIdentifierOwned;
use stele_asn1::DigestAlgorithm;
use time::OffsetDateTime;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::Certificate;

use crate::asn1::{self, Tlv};
use crate::error::{normalise, ParseError};

/// Largest token accepted. Real tokens with full chains and embedded OCSP are under 64 KiB.
pub const MAX_TOKEN_BYTES: usize = 2 * 1024 * 1024;
/// More certificates than this in one token is not a time stamp but an attack.
const MAX_CERTIFICATES: usize = 64;
const MAX_SIGNED_ATTRIBUTES: usize = 64;

/// What was time-stamped: a hash and the algorithm that made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageImprint {
    pub algorithm: DigestAlgorithm,
    pub digest: Vec<u8>,
}

impl MessageImprint {
    /// An imprint over `data`.
    pub fn of(algorithm: DigestAlgorithm, data: &[u8]) -> Self {
        MessageImprint {
            algorithm,
            digest: algorithm.digest(data),
        }
    }

    /// True when this imprint is the hash of `data`.
    pub fn covers(&self, data: &[u8]) -> bool {
        self.algorithm.digest(data) == self.digest
    }

    pub(crate) fn to_der(&self) -> Vec<u8> {
        // Parameters NULL, as RFC 5754 allows and OpenSSL writes.
        let alg = asn1::seq(&[&asn1::oid(&self.algorithm.oid()), &[asn1::TAG_NULL, 0]]);
        asn1::seq(&[&alg, &asn1::tlv(asn1::TAG_OCTET_STRING, &self.digest)])
    }

    /// Decodes a MessageImprint SEQUENCE. `Err(Unsupported)` for an unknown hash algorithm, so
    /// that a TSA can answer badAlg rather than badDataFormat.
    pub(crate) fn decode(t: &Tlv<'_>) -> Result<Self, ParseError> {
        let t = t.expect(asn1::TAG_SEQUENCE, "MessageImprint")?;
        let mut r = t.children();
        let alg = r.read_tag(asn1::TAG_SEQUENCE, "MessageImprint.hashAlgorithm")?;
        let oid_t = alg
            .children()
            .read_tag(asn1::TAG_OID, "MessageImprint.hashAlgorithm")?;
        let digest = r.read_tag(asn1::TAG_OCTET_STRING, "MessageImprint.hashedMessage")?;
        r.finish("MessageImprint")?;
        let oid_str = asn1::oid_to_string(oid_t.value)
            .ok_or_else(|| ParseError::malformed("MessageImprint: invalid algorithm OID"))?;
        let algorithm = DigestAlgorithm::ALL
            .into_iter()
            .find(|a| a.oid().as_bytes() == oid_t.value)
            .ok_or(ParseError::Unsupported {
                what: "message imprint hash algorithm",
                oid: oid_str,
            })?;
        Ok(MessageImprint {
            algorithm,
            digest: digest.value.to_vec(),
        })
    }
}

/// TSTInfo accuracy: how far genTime may be from the true time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accuracy {
    pub seconds: u64,
    pub millis: u16,
    pub micros: u16,
}

impl Accuracy {
    pub fn as_duration(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.seconds)
            + std::time::Duration::from_millis(u64::from(self.millis))
            + std::time::Duration::from_micros(u64::from(self.micros))
    }
}

/// The facts a TSA asserted in a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TstInfo {
    /// TSA policy in dotted form (kept as text because real policies overflow 32-bit arcs).
    pub policy: String,
    pub message_imprint: MessageImprint,
    /// serialNumber as an unsigned big-endian magnitude.
    pub serial: Vec<u8>,
    pub gen_time: OffsetDateTime,
    pub accuracy: Option<Accuracy>,
    pub ordering: bool,
    /// nonce as an unsigned big-endian magnitude.
    pub nonce: Option<Vec<u8>>,
    /// The TSA's name as it wrote it, if it decodes as a GeneralName.
    pub tsa: Option<GeneralName>,
    pub has_extensions: bool,
}

impl TstInfo {
    pub fn serial_decimal(&self) -> String {
        asn1::to_decimal(&self.serial)
    }

    /// The TSA name for people (`CN=…,O=…` for directory names).
    pub fn tsa_name_string(&self) -> Option<String> {
        self.tsa.as_ref().map(general_name_string)
    }

    pub(crate) fn decode(der: &[u8]) -> Result<Self, ParseError> {
        let top = asn1::single(der, "TSTInfo")?.expect(asn1::TAG_SEQUENCE, "TSTInfo")?;
        let mut r = top.children();
        let version = r.read_tag(asn1::TAG_INTEGER, "TSTInfo.version")?;
        if version.value != [1] {
            return Err(ParseError::malformed("TSTInfo: version is not 1"));
        }
        let policy_t = r.read_tag(asn1::TAG_OID, "TSTInfo.policy")?;
        let policy = asn1::oid_to_string(policy_t.value)
            .ok_or_else(|| ParseError::malformed("TSTInfo: invalid policy OID"))?;
        let message_imprint = MessageImprint::decode(&r.read("TSTInfo.messageImprint")?)?;
        let serial_t = r.read_tag(asn1::TAG_INTEGER, "TSTInfo.serialNumber")?;
        let serial = asn1::unsigned_integer(&serial_t, "TSTInfo.serialNumber")?;
        if serial.len() > 64 {
            return Err(ParseError::malformed(
                "TSTInfo: serialNumber longer than 64 bytes",
            ));
        }
        let gen_t = r.read_tag(asn1::TAG_GENERALIZED_TIME, "TSTInfo.genTime")?;
        let gen_time = asn1::parse_generalized_time(gen_t.value)?;
        let accuracy = match r.optional(asn1::TAG_SEQUENCE, "TSTInfo.accuracy")? {
            Some(t) => Some(decode_accuracy(&t)?),
            None => None,
        };
        let ordering = match r.optional(asn1::TAG_BOOLEAN, "TSTInfo.ordering")? {
            Some(t) => match t.value {
                [0] => false,
                [_] => true,
                _ => return Err(ParseError::malformed("TSTInfo: bad ordering BOOLEAN")),
            },
            None => false,
        };
        let nonce = match r.optional(asn1::TAG_INTEGER, "TSTInfo.nonce")? {
            Some(t) => {
                let n = asn1::nonce_integer(&t, "TSTInfo.nonce")?;
                if n.len() > 64 {
                    return Err(ParseError::malformed("TSTInfo: nonce longer than 64 bytes"));
                }
                Some(n.to_vec())
            }
            None => None,
        };
        let tsa = match r.optional(0xa0, "TSTInfo.tsa")? {
            Some(t) => GeneralName::from_der(t.value).ok(),
            None => None,
        };
        let has_extensions = r.optional(0xa1, "TSTInfo.extensions")?.is_some();
        r.finish("TSTInfo")?;
        Ok(TstInfo {
            policy,
            message_imprint,
            serial: serial.to_vec(),
            gen_time,
            accuracy,
            ordering,
            nonce,
            tsa,
            has_extensions,
        })
    }
}

fn decode_accuracy(t: &Tlv<'_>) -> Result<Accuracy, ParseError> {
    let mut r = t.children();
    let mut acc = Accuracy::default();
    let small = |t: &Tlv<'_>, what: &str| -> Result<u64, ParseError> {
        let v = asn1::unsigned_integer(t, what)?;
        if v.len() > 8 {
            return Err(ParseError::malformed(format!("{what}: too large")));
        }
        Ok(v.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b)))
    };
    if let Some(s) = r.optional(asn1::TAG_INTEGER, "Accuracy.seconds")? {
        acc.seconds = small(&s, "Accuracy.seconds")?;
    }
    if let Some(m) = r.optional(0x80, "Accuracy.millis")? {
        acc.millis = small(&m, "Accuracy.millis")?.min(999) as u16;
    }
    if let Some(m) = r.optional(0x81, "Accuracy.micros")? {
        acc.micros = small(&m, "Accuracy.micros")?.min(999) as u16;
    }
    r.finish("Accuracy")?;
    Ok(acc)
}

pub(crate) fn general_name_string(g: &GeneralName) -> String {
    match g {
        GeneralName::DirectoryName(n) => n.to_string(),
        GeneralName::UniformResourceIdentifier(u) => u.to_string(),
        GeneralName::DnsName(d) => d.to_string(),
        GeneralName::Rfc822Name(m) => m.to_string(),
        other => format!("{other:?}"),
    }
}

/// How the SignerInfo names the TSA certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerId {
    IssuerAndSerial { issuer: Name, serial: SerialNumber },
    SubjectKeyId(Vec<u8>),
}

impl SignerId {
    /// True when `cert` is the certificate this identifier names.
    pub fn matches(&self, cert: &Certificate) -> bool {
        match self {
            SignerId::IssuerAndSerial { issuer, serial } => {
                cert.tbs_certificate.issuer == *issuer
                    && cert.tbs_certificate.serial_number.as_bytes() == serial.as_bytes()
            }
            SignerId::SubjectKeyId(ski) => {
                crate::path::subject_key_id(cert).as_deref() == Some(ski.as_slice())
            }
        }
    }
}

impl std::fmt::Display for SignerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignerId::IssuerAndSerial { issuer, serial } => {
                write!(f, "issuer {issuer}, serial {serial}")
            }
            SignerId::SubjectKeyId(k) => {
                f.write_str("subject key id ")?;
                k.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

/// One signed attribute: its type OID (content octets) and the encoded values.
#[derive(Clone, Debug)]
pub(crate) struct SignedAttribute {
    pub oid: Vec<u8>,
    pub values: Vec<Vec<u8>>,
}

#[derive(Clone, Debug)]
pub(crate) struct SignerParts {
    pub sid: SignerId,
    pub digest_alg: AlgorithmIdentifierOwned,
    /// The signed attributes re-tagged as `SET OF` (0x31): the bytes the signature covers.
    pub signed_attrs_der: Option<Vec<u8>>,
    pub signed_attrs: Vec<SignedAttribute>,
    pub signature_alg: AlgorithmIdentifierOwned,
    pub signature: Vec<u8>,
}

impl SignerParts {
    pub fn attribute(&self, oid: &const_oid::ObjectIdentifier) -> Option<&SignedAttribute> {
        self.signed_attrs.iter().find(|a| a.oid == oid.as_bytes())
    }
}

/// A parsed RFC 3161 time-stamp token.
#[derive(Clone, Debug)]
pub struct TimeStampToken {
    der: Vec<u8>,
    tst_info_der: Vec<u8>,
    info: TstInfo,
    certificates: Vec<Certificate>,
    certificate_ders: Vec<Vec<u8>>,
    unreadable_certificates: usize,
    pub(crate) signer: SignerParts,
}

impl TimeStampToken {
    /// Reads a token (ContentInfo) from BER or DER, with or without trailing zero padding.
    pub fn from_ber(bytes: &[u8]) -> Result<Self, ParseError> {
        let der = normalise(bytes, MAX_TOKEN_BYTES)?;
        Self::from_normalised(der)
    }

    pub(crate) fn from_normalised(der: Vec<u8>) -> Result<Self, ParseError> {
        let ci = asn1::single(&der, "ContentInfo")?.expect(asn1::TAG_SEQUENCE, "ContentInfo")?;
        let mut r = ci.children();
        let ct = r.read_tag(asn1::TAG_OID, "ContentInfo.contentType")?;
        if ct.value != ID_SIGNED_DATA.as_bytes() {
            return Err(ParseError::WrongContentType {
                found: asn1::oid_to_string(ct.value).unwrap_or_else(|| "(invalid OID)".into()),
                expected: "id-signedData (1.2.840.113549.1.7.2)",
            });
        }
        let content = r.read_tag(0xa0, "ContentInfo.content")?;
        r.finish("ContentInfo")?;
        let sd =
            asn1::single(content.value, "SignedData")?.expect(asn1::TAG_SEQUENCE, "SignedData")?;
        let mut r = sd.children();
        r.read_tag(asn1::TAG_INTEGER, "SignedData.version")?;
        r.read_tag(asn1::TAG_SET, "SignedData.digestAlgorithms")?;
        let eci = r.read_tag(asn1::TAG_SEQUENCE, "SignedData.encapContentInfo")?;
        let mut er = eci.children();
        let ect = er.read_tag(asn1::TAG_OID, "EncapsulatedContentInfo.eContentType")?;
        if ect.value != ID_CT_TST_INFO.as_bytes() {
            return Err(ParseError::WrongContentType {
                found: asn1::oid_to_string(ect.value).unwrap_or_else(|| "(invalid OID)".into()),
                expected: "id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4)",
            });
        }
        let econtent = er
            .optional(0xa0, "EncapsulatedContentInfo.eContent")?
            .ok_or_else(|| ParseError::malformed("SignedData: the TSTInfo eContent is absent"))?;
        er.finish("EncapsulatedContentInfo")?;
        let octets =
            asn1::single(econtent.value, "eContent")?.expect(asn1::TAG_OCTET_STRING, "eContent")?;
        let tst_info_der = octets.value.to_vec();
        let info = TstInfo::decode(&tst_info_der)?;

        let mut certificates = Vec::new();
        let mut certificate_ders = Vec::new();
        let mut unreadable_certificates = 0;
        if let Some(certs) = r.optional(0xa0, "SignedData.certificates")? {
            let mut cr = certs.children();
            let mut n = 0;
            while !cr.is_empty() {
                let c = cr.read("CertificateChoices")?;
                n += 1;
                if n > MAX_CERTIFICATES {
                    return Err(ParseError::malformed(format!(
                        "SignedData: more than {MAX_CERTIFICATES} certificates"
                    )));
                }
                if c.tag != asn1::TAG_SEQUENCE {
                    continue; // attribute or other certificate formats: not used for signing
                }
                match Certificate::from_der(c.raw) {
                    Ok(cert) => {
                        certificates.push(cert);
                        certificate_ders.push(c.raw.to_vec());
                    }
                    Err(_) => unreadable_certificates += 1,
                }
            }
        }
        // crls [1]: CRLs and RFC 5940 OCSP responses; revocation is stele-pki's business.
        r.optional(0xa1, "SignedData.crls")?;
        let sis = r.read_tag(asn1::TAG_SET, "SignedData.signerInfos")?;
        r.finish("SignedData")?;
        let mut sr = sis.children();
        let si = sr.read_tag(asn1::TAG_SEQUENCE, "SignerInfo")?;
        if !sr.is_empty() {
            return Err(ParseError::malformed(
                "SignedData: a time-stamp token must carry exactly one SignerInfo",
            ));
        }
        let signer = decode_signer_info(&si)?;
        Ok(TimeStampToken {
            der,
            tst_info_der,
            info,
            certificates,
            certificate_ders,
            unreadable_certificates,
            signer,
        })
    }

    /// The token as normalised DER (the ContentInfo); what an evidence record must hash.
    pub fn to_der(&self) -> &[u8] {
        &self.der
    }

    pub fn tst_info(&self) -> &TstInfo {
        &self.info
    }

    /// The DER TSTInfo (eContent) the TSA signed.
    pub fn tst_info_der(&self) -> &[u8] {
        &self.tst_info_der
    }

    pub fn gen_time(&self) -> OffsetDateTime {
        self.info.gen_time
    }

    pub fn accuracy(&self) -> Option<Accuracy> {
        self.info.accuracy
    }

    pub fn ordering(&self) -> bool {
        self.info.ordering
    }

    pub fn policy(&self) -> &str {
        &self.info.policy
    }

    pub fn serial(&self) -> &[u8] {
        &self.info.serial
    }

    pub fn nonce(&self) -> Option<&[u8]> {
        self.info.nonce.as_deref()
    }

    pub fn message_imprint(&self) -> &MessageImprint {
        &self.info.message_imprint
    }

    pub fn tsa_name(&self) -> Option<&GeneralName> {
        self.info.tsa.as_ref()
    }

    /// Certificates carried in SignedData.certificates (those that decode).
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// Certificates in SignedData that could not be decoded and were skipped.
    pub fn unreadable_certificates(&self) -> usize {
        self.unreadable_certificates
    }

    pub(crate) fn certificate_ders(&self) -> &[Vec<u8>] {
        &self.certificate_ders
    }

    pub fn signer_id(&self) -> &SignerId {
        &self.signer.sid
    }

    /// The SignerInfo's signature algorithm (renewal plans judge it against the policy).
    pub fn signature_algorithm(&self) -> &AlgorithmIdentifierOwned {
        &self.signer.signature_alg
    }

    /// The SignerInfo's digest algorithm.
    pub fn signer_digest_algorithm(&self) -> &AlgorithmIdentifierOwned {
        &self.signer.digest_alg
    }

    /// The embedded certificate the SignerInfo names, if the token carries it.
    pub fn signer_certificate(&self) -> Option<&Certificate> {
        self.certificates
            .iter()
            .find(|c| self.signer.sid.matches(c))
    }
}

fn decode_signer_info(si: &Tlv<'_>) -> Result<SignerParts, ParseError> {
    let mut r = si.children();
    r.read_tag(asn1::TAG_INTEGER, "SignerInfo.version")?;
    let sid_t = r.read("SignerInfo.sid")?;
    let sid = match sid_t.tag {
        asn1::TAG_SEQUENCE => {
            let ias = cms::cert::IssuerAndSerialNumber::from_der(sid_t.raw).map_err(|e| {
                ParseError::malformed(format!("SignerInfo.sid issuerAndSerialNumber: {e}"))
            })?;
            SignerId::IssuerAndSerial {
                issuer: ias.issuer,
                serial: ias.serial_number,
            }
        }
        0x80 => SignerId::SubjectKeyId(sid_t.value.to_vec()),
        t => {
            return Err(ParseError::malformed(format!(
                "SignerInfo.sid: unexpected tag 0x{t:02x}"
            )))
        }
    };
    let digest_alg = alg_id(&r.read_tag(asn1::TAG_SEQUENCE, "SignerInfo.digestAlgorithm")?)?;
    let (signed_attrs_der, signed_attrs) = match r.optional(0xa0, "SignerInfo.signedAttrs")? {
        Some(t) => {
            let mut set = t.raw.to_vec();
            set[0] = asn1::TAG_SET;
            let mut attrs = Vec::new();
            let mut ar = t.children();
            while !ar.is_empty() {
                if attrs.len() >= MAX_SIGNED_ATTRIBUTES {
                    return Err(ParseError::malformed(
                        "SignerInfo: too many signed attributes",
                    ));
                }
                let a = ar.read_tag(asn1::TAG_SEQUENCE, "Attribute")?;
                let mut a_r = a.children();
                let oid = a_r.read_tag(asn1::TAG_OID, "Attribute.attrType")?;
                let vals = a_r.read_tag(asn1::TAG_SET, "Attribute.attrValues")?;
                a_r.finish("Attribute")?;
                let mut values = Vec::new();
                let mut vr = vals.children();
                while !vr.is_empty() {
                    values.push(vr.read("AttributeValue")?.raw.to_vec());
                }
                attrs.push(SignedAttribute {
                    oid: oid.value.to_vec(),
                    values,
                });
            }
            (Some(set), attrs)
        }
        None => (None, Vec::new()),
    };
    let signature_alg = alg_id(&r.read_tag(asn1::TAG_SEQUENCE, "SignerInfo.signatureAlgorithm")?)?;
    let signature = r.read_tag(asn1::TAG_OCTET_STRING, "SignerInfo.signature")?;
    r.optional(0xa1, "SignerInfo.unsignedAttrs")?;
    r.finish("SignerInfo")?;
    Ok(SignerParts {
        sid,
        digest_alg,
        signed_attrs_der,
        signed_attrs,
        signature_alg,
        signature: signature.value.to_vec(),
    })
}

pub(crate) fn alg_id(t: &Tlv<'_>) -> Result<AlgorithmIdentifierOwned, ParseError> {
    AlgorithmIdentifierOwned::from_der(t.raw)
        .map_err(|e| ParseError::malformed(format!("AlgorithmIdentifier: {e}")))
}
