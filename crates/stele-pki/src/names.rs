//! Distinguished-name comparison (RFC 5280 §7.1: case-insensitive, whitespace-insensitive for
//! string attributes) and name-constraint matching (§4.2.1.10, §6.1.4 (g)).

use der::{Encode, Tag, Tagged};
use x509_cert::ext::pkix::constraints::name::GeneralSubtrees;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

use crate::oids;

/// One attribute in comparable form: its type and either the folded string or the raw DER.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Atv {
    oid: Vec<u8>,
    value: Result<String, Vec<u8>>,
}

/// A name reduced to a comparable form: RDNs in order, attributes within an RDN sorted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NormName(Vec<Vec<Atv>>);

fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn atv_string(tag: Tag, bytes: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::TeletexString
        | Tag::VisibleString => std::str::from_utf8(bytes).ok().map(fold),
        Tag::BmpString => {
            if bytes.len() & 1 == 1 {
                return None;
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok().map(|s| fold(&s))
        }
        _ => None,
    }
}

impl NormName {
    pub(crate) fn new(name: &Name) -> NormName {
        NormName(
            name.0
                .iter()
                .map(|rdn| {
                    let mut v: Vec<Atv> = rdn
                        .0
                        .iter()
                        .map(|atv| Atv {
                            oid: atv.oid.as_bytes().to_vec(),
                            value: atv_string(atv.value.tag(), atv.value.value())
                                .ok_or_else(|| atv.value.to_der().unwrap_or_default()),
                        })
                        .collect();
                    v.sort();
                    v
                })
                .collect(),
        )
    }

    /// True when `prefix` is an initial sequence of RDNs of `self`.
    fn starts_with(&self, prefix: &NormName) -> bool {
        prefix.0.len() <= self.0.len() && self.0[..prefix.0.len()] == prefix.0[..]
    }
}

/// RFC 5280 name equality.
pub(crate) fn same_name(a: &Name, b: &Name) -> bool {
    a == b || NormName::new(a) == NormName::new(b)
}

/// Result of checking one name against constraints.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NcOutcome {
    Ok,
    Violated,
    /// A constraint of a form this crate does not evaluate applies to the name.
    Unsupported(&'static str),
}

/// Names of a certificate that name constraints apply to.
pub(crate) enum CertName<'a> {
    Dn(&'a Name),
    Email(String),
    General(&'a GeneralName),
}

/// The email addresses in a subject DN (PKCS#9 emailAddress attributes).
pub(crate) fn dn_emails(name: &Name) -> Vec<String> {
    let mut out = Vec::new();
    for rdn in &name.0 {
        for atv in rdn.0.iter() {
            if atv.oid == oids::EMAIL_ADDRESS {
                if let Ok(s) = std::str::from_utf8(atv.value.value()) {
                    out.push(s.to_string());
                }
            }
        }
    }
    out
}

fn kind(n: &GeneralName) -> u8 {
    match n {
        GeneralName::OtherName(_) => 0,
        GeneralName::Rfc822Name(_) => 1,
        GeneralName::DnsName(_) => 2,
        GeneralName::DirectoryName(_) => 4,
        GeneralName::EdiPartyName(_) => 5,
        GeneralName::UniformResourceIdentifier(_) => 6,
        GeneralName::IpAddress(_) => 7,
        GeneralName::RegisteredId(_) => 8,
    }
}

fn dns_match(name: &str, base: &str) -> bool {
    let (n, b) = (name.to_ascii_lowercase(), base.to_ascii_lowercase());
    let b = b.trim_start_matches('.');
    b.is_empty() || n == b || n.ends_with(&format!(".{b}"))
}

fn email_match(addr: &str, base: &str) -> bool {
    let Some((_, host)) = addr.rsplit_once('@') else {
        return false;
    };
    if base.contains('@') {
        addr.eq_ignore_ascii_case(base)
    } else if base.starts_with('.') {
        host.to_ascii_lowercase()
            .ends_with(&base.to_ascii_lowercase())
    } else {
        host.eq_ignore_ascii_case(base)
    }
}

fn uri_host(uri: &str) -> Option<&str> {
    let rest = uri.split_once("://")?.1;
    let auth = rest.split(['/', '?', '#']).next()?;
    let host = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    let host = host.split(':').next()?;
    (!host.is_empty()).then_some(host)
}

fn uri_match(uri: &str, base: &str) -> bool {
    let Some(host) = uri_host(uri) else {
        return false;
    };
    if base.starts_with('.') {
        host.to_ascii_lowercase()
            .ends_with(&base.to_ascii_lowercase())
    } else {
        host.eq_ignore_ascii_case(base)
    }
}

fn ip_match(addr: &[u8], base: &[u8]) -> bool {
    if base.len() != addr.len() * 2 {
        return false;
    }
    let (net, mask) = base.split_at(addr.len());
    addr.iter()
        .zip(net)
        .zip(mask)
        .all(|((a, n), m)| a & m == n & m)
}

/// Does `name` fall inside subtree `base`? `None`: the base has a form this crate skips.
fn within(name: &CertName<'_>, base: &GeneralName) -> Option<bool> {
    Some(match (name, base) {
        (CertName::Dn(dn), GeneralName::DirectoryName(b)) => {
            NormName::new(dn).starts_with(&NormName::new(b))
        }
        (CertName::Email(e), GeneralName::Rfc822Name(b)) => email_match(e, b.as_str()),
        (CertName::General(GeneralName::Rfc822Name(n)), GeneralName::Rfc822Name(b)) => {
            email_match(n.as_str(), b.as_str())
        }
        (CertName::General(GeneralName::DnsName(n)), GeneralName::DnsName(b)) => {
            dns_match(n.as_str(), b.as_str())
        }
        (CertName::General(GeneralName::DirectoryName(n)), GeneralName::DirectoryName(b)) => {
            NormName::new(n).starts_with(&NormName::new(b))
        }
        (
            CertName::General(GeneralName::UniformResourceIdentifier(n)),
            GeneralName::UniformResourceIdentifier(b),
        ) => uri_match(n.as_str(), b.as_str()),
        (CertName::General(GeneralName::IpAddress(n)), GeneralName::IpAddress(b)) => {
            ip_match(n.as_bytes(), b.as_bytes())
        }
        _ => return None,
    })
}

fn name_kind(name: &CertName<'_>) -> u8 {
    match name {
        CertName::Dn(_) => 4,
        CertName::Email(_) => 1,
        CertName::General(g) => kind(g),
    }
}

/// Checks `name` against one certificate's permitted and excluded subtrees. Keeping each CA's
/// subtrees separately and requiring all of them is the intersection of §6.1.4 (g).
pub(crate) fn check(
    name: &CertName<'_>,
    permitted: Option<&GeneralSubtrees>,
    excluded: Option<&GeneralSubtrees>,
) -> NcOutcome {
    let k = name_kind(name);
    if let Some(p) = permitted {
        let same: Vec<_> = p.iter().filter(|s| kind(&s.base) == k).collect();
        if !same.is_empty() {
            let mut any = false;
            for s in same {
                match within(name, &s.base) {
                    Some(true) => any = true,
                    Some(false) => {}
                    None => return NcOutcome::Unsupported("name form in permitted subtrees"),
                }
            }
            if !any {
                return NcOutcome::Violated;
            }
        }
    }
    if let Some(e) = excluded {
        for s in e.iter().filter(|s| kind(&s.base) == k) {
            match within(name, &s.base) {
                Some(true) => return NcOutcome::Violated,
                Some(false) => {}
                None => return NcOutcome::Unsupported("name form in excluded subtrees"),
            }
        }
    }
    NcOutcome::Ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn names_compare_case_and_space_insensitively() {
        let a = Name::from_str("CN=Test  CA,O=Example").unwrap();
        let b = Name::from_str("CN=test ca,O=EXAMPLE").unwrap();
        let c = Name::from_str("CN=Other,O=Example").unwrap();
        assert!(same_name(&a, &b));
        assert!(!same_name(&a, &c));
    }

    #[test]
    fn name_forms_match_subtrees() {
        assert!(dns_match("host.example.com", "example.com"));
        assert!(!dns_match("badexample.com", "example.com"));
        assert!(email_match("a@mail.example.com", ".example.com"));
        assert!(!email_match("a@example.com", ".example.com"));
        assert!(email_match("a@Example.com", "example.com"));
        assert!(uri_match(
            "http://user@host.example.com:80/x",
            ".example.com"
        ));
        assert!(!uri_match("urn:isbn:1", "example.com"));
        assert!(ip_match(&[10, 1, 2, 3], &[10, 0, 0, 0, 255, 0, 0, 0]));
        assert!(!ip_match(&[11, 1, 2, 3], &[10, 0, 0, 0, 255, 0, 0, 0]));
    }
}
