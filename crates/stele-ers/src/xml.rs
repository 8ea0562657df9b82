//! RFC 6283 XML evidence records, for what needs no XML canonicalisation.
//!
//! An XMLERS record with one chain of one archive timestamp is checked exactly like its ASN.1
//! twin: the `HashTree`'s `Sequence` elements (in `Order`) are the partial hash trees, the
//! chain's `DigestMethod` is the algorithm, and `TimeStampToken` (base64 DER/BER) is the token.
//! So it is mapped onto [`EvidenceRecord`] and verified by [`crate::verify()`].
//!
//! Renewals are another matter: RFC 6283 §3.2.2/§3.2.3 hash the *canonicalised XML* of earlier
//! `ArchiveTimeStamp`/`ArchiveTimeStampChain` elements (per the chain's
//! `CanonicalizationMethod`), which Stele does not implement. A record with more than one chain
//! or archive timestamp is therefore [`ErsError::XmlUnsupported`], never a wrong verdict.
//! `Attributes`, `CryptographicInformationList` and `SupportingInformationList` only carry
//! material for other checks and are skipped.

use crate::asn1::{ArchiveTimeStamp, EvidenceRecord, PartialHashtree};
use crate::record::{alg_id, parse_token};
use crate::ErsError;
use base64::Engine as _;
use der::asn1::OctetString;
use roxmltree::{Document, Node, ParsingOptions};
use stele_asn1::DigestAlgorithm;

/// The XMLERS namespace.
pub const NS: &str = "urn:ietf:params:xml:ns:ers";

/// Largest XML evidence record accepted (XML with base64 tokens is bulkier than DER).
pub const MAX_XML_LEN: usize = 16 << 20;

/// Most XML nodes parsed; a one-ATS record has a few dozen.
const MAX_NODES: u32 = 100_000;

/// The digest algorithm named by an XML Signature / XML Encryption URI (RFC 6931).
pub fn algorithm_from_uri(uri: &str) -> Option<DigestAlgorithm> {
    Some(match uri.trim() {
        "http://www.w3.org/2000/09/xmldsig#sha1" => DigestAlgorithm::Sha1,
        "http://www.w3.org/2001/04/xmldsig-more#sha224" => DigestAlgorithm::Sha224,
        "http://www.w3.org/2001/04/xmlenc#sha256"
        | "http://www.w3.org/2001/04/xmldsig-more#sha256" => DigestAlgorithm::Sha256,
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => DigestAlgorithm::Sha384,
        "http://www.w3.org/2001/04/xmlenc#sha512"
        | "http://www.w3.org/2001/04/xmldsig-more#sha512" => DigestAlgorithm::Sha512,
        "http://www.w3.org/2007/05/xmldsig-more#sha3-256" => DigestAlgorithm::Sha3_256,
        "http://www.w3.org/2007/05/xmldsig-more#sha3-384" => DigestAlgorithm::Sha3_384,
        "http://www.w3.org/2007/05/xmldsig-more#sha3-512" => DigestAlgorithm::Sha3_512,
        _ => return None,
    })
}

fn xml_err(msg: impl Into<String>) -> ErsError {
    ErsError::Xml(msg.into())
}

fn children<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |n| {
        n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == Some(NS)
    })
}

fn one<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> Result<Node<'a, 'i>, ErsError> {
    let mut it = children(node, name);
    match (it.next(), it.next()) {
        (Some(n), None) => Ok(n),
        (None, _) => Err(xml_err(format!("no {name} element"))),
        (Some(_), Some(_)) => Err(xml_err(format!("more than one {name} element"))),
    }
}

fn base64_text(node: Node<'_, '_>) -> Result<Vec<u8>, ErsError> {
    let text: String = node
        .text()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| xml_err(format!("{} is not base64: {e}", node.tag_name().name())))
}

/// Ordered by the `Order` attribute, which RFC 6283 makes the only source of order.
fn ordered<'a, 'i>(
    nodes: impl Iterator<Item = Node<'a, 'i>>,
) -> Result<Vec<Node<'a, 'i>>, ErsError> {
    let mut v = nodes
        .map(|n| {
            let order: u32 = n
                .attribute("Order")
                .and_then(|o| o.trim().parse().ok())
                .ok_or_else(|| {
                    xml_err(format!("{} without a numeric Order", n.tag_name().name()))
                })?;
            Ok((order, n))
        })
        .collect::<Result<Vec<_>, ErsError>>()?;
    v.sort_by_key(|(o, _)| *o);
    if v.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(xml_err("two elements share one Order"));
    }
    Ok(v.into_iter().map(|(_, n)| n).collect())
}

/// Reads an RFC 6283 evidence record of one chain with one archive timestamp into the ASN.1
/// types. More than that is [`ErsError::XmlUnsupported`] (see the module note).
pub fn from_xml(bytes: &[u8]) -> Result<EvidenceRecord, ErsError> {
    if bytes.len() > MAX_XML_LEN {
        return Err(ErsError::TooLarge {
            len: bytes.len(),
            max: MAX_XML_LEN,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| xml_err(format!("not UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = Document::parse_with_options(
        text,
        ParsingOptions {
            allow_dtd: false,
            nodes_limit: MAX_NODES,
        },
    )
    .map_err(|e| xml_err(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "EvidenceRecord" || root.tag_name().namespace() != Some(NS) {
        return Err(xml_err(format!(
            "the root element is not {{{NS}}}EvidenceRecord"
        )));
    }
    match root.attribute("Version").map(str::trim) {
        Some("1.0") => {}
        other => {
            return Err(xml_err(format!(
                "unsupported Version {other:?} (only 1.0 exists)"
            )))
        }
    }
    if children(root, "EncryptionInformation").next().is_some() {
        return Err(ErsError::XmlUnsupported(
            "EncryptionInformation: the archived data was encrypted before hashing".into(),
        ));
    }
    let seq = one(root, "ArchiveTimeStampSequence")?;
    let chains = ordered(children(seq, "ArchiveTimeStampChain"))?;
    let [chain] = chains.as_slice() else {
        return Err(ErsError::XmlUnsupported(format!(
            "{} chains: hash-tree renewal in XML hashes canonicalised XML, which Stele does not implement",
            chains.len()
        )));
    };
    let uri = one(*chain, "DigestMethod")?
        .attribute("Algorithm")
        .ok_or_else(|| xml_err("DigestMethod without Algorithm"))?;
    let alg =
        algorithm_from_uri(uri).ok_or_else(|| ErsError::UnsupportedAlgorithm(uri.to_string()))?;
    let stamps = ordered(children(*chain, "ArchiveTimeStamp"))?;
    let [ats] = stamps.as_slice() else {
        return Err(ErsError::XmlUnsupported(format!(
            "{} archive timestamps in one chain: timestamp renewal in XML hashes canonicalised XML, which Stele does not implement",
            stamps.len()
        )));
    };

    let reduced_hashtree = match children(*ats, "HashTree").next() {
        None => None,
        Some(tree) => {
            let lists = ordered(children(tree, "Sequence"))?
                .into_iter()
                .map(|s| {
                    children(s, "DigestValue")
                        .map(|d| {
                            let v = base64_text(d)?;
                            OctetString::new(v).map_err(|e| xml_err(e.to_string()))
                        })
                        .collect::<Result<PartialHashtree, ErsError>>()
                })
                .collect::<Result<Vec<_>, _>>()?;
            Some(lists)
        }
    };

    let ts = one(*ats, "TimeStamp")?;
    let token = one(ts, "TimeStampToken")?;
    match token.attribute("Type").map(str::trim) {
        Some("RFC3161") | None => {}
        Some(other) => {
            return Err(ErsError::XmlUnsupported(format!(
                "time-stamp token type {other}"
            )))
        }
    }
    let time_stamp = parse_token(&base64_text(token)?)?;

    let er = EvidenceRecord {
        version: 1,
        digest_algorithms: vec![alg_id(alg)],
        crypto_infos: None,
        encryption_info: None,
        archive_time_stamp_sequence: vec![vec![ArchiveTimeStamp {
            digest_algorithm: Some(alg_id(alg)),
            attributes: None,
            reduced_hashtree,
            time_stamp,
        }]],
    };
    er.validate_structure()?;
    Ok(er)
}
