//! RFC 5280 §6.1 processing of one candidate path, and the loop over candidate paths.

use std::cell::Cell;

use x509_cert::certificate::Version;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::constraints::NameConstraints;
use x509_cert::ext::pkix::{
    BasicConstraints, CertificatePolicies, InhibitAnyPolicy, KeyUsage, PolicyConstraints,
    PolicyMappings, SubjectAltName,
};
use x509_cert::Certificate;

use crate::algorithm_policy::{Acceptability, AlgorithmPolicy};
use crate::anchors::TrustAnchor;
use crate::detail::{self, Detail};
use crate::names::{self, CertName, NcOutcome};
use crate::path::{self, Candidate};
use crate::policy::PolicyState;
use crate::{crl, crypto, ext, oids, PathError, PathValidation, ValidatedPath, ValidationOptions};

/// Everything a validation run reads.
pub(crate) struct Ctx<'a> {
    pub(crate) anchors: &'a [TrustAnchor],
    pub(crate) intermediates: &'a [Certificate],
    pub(crate) crls: &'a [CertificateList],
    pub(crate) opts: &'a ValidationOptions,
    /// Signature checks left for this whole validation, CRL signers included.
    pub(crate) budget: &'a Cell<usize>,
    /// Present in a detailed validation: OCSP and fetching, and the record of what was used.
    pub(crate) detail: Option<&'a Detail<'a>>,
    /// Judges every certificate signature of every path at `opts.at`.
    pub(crate) policy: Option<&'a AlgorithmPolicy>,
}

impl Clone for Ctx<'_> {
    fn clone(&self) -> Self {
        *self
    }
}
impl Copy for Ctx<'_> {}

/// Most signature verifications one `validate` call may perform (hostile-input bound).
pub(crate) const MAX_SIGNATURE_CHECKS: usize = 5_000;

impl Ctx<'_> {
    /// Takes one signature check from the budget; false once it is spent.
    pub(crate) fn spend(&self) -> bool {
        let left = self.budget.get();
        if left == 0 {
            return false;
        }
        self.budget.set(left - 1);
        true
    }
}

/// Extensions this validator processes, so they may be critical.
const KNOWN_CRITICAL: [const_oid::ObjectIdentifier; 14] = [
    oids::CE_SUBJECT_KEY_IDENTIFIER,
    oids::CE_KEY_USAGE,
    oids::CE_SUBJECT_ALT_NAME,
    oids::CE_ISSUER_ALT_NAME,
    oids::CE_BASIC_CONSTRAINTS,
    oids::CE_NAME_CONSTRAINTS,
    oids::CE_CRL_DISTRIBUTION_POINTS,
    oids::CE_CERTIFICATE_POLICIES,
    oids::CE_POLICY_MAPPINGS,
    oids::CE_AUTHORITY_KEY_IDENTIFIER,
    oids::CE_POLICY_CONSTRAINTS,
    // Accepted as understood: this validator is purpose-neutral; callers check the EKU.
    oids::CE_EXT_KEY_USAGE,
    oids::CE_FRESHEST_CRL,
    oids::CE_INHIBIT_ANY_POLICY,
];

/// Validates `ee` (recursion `level` 0 for the caller's certificate, 1+ for CRL signers).
pub(crate) fn validate_at_level(ctx: &Ctx<'_>, ee: &Certificate, level: usize) -> PathValidation {
    if ctx.anchors.iter().any(|a| a.certificate == *ee) {
        // A trusted certificate validates by itself, but only inside its validity period.
        let v = &ee.tbs_certificate.validity;
        let (not_before, not_after) = (ext::to_odt(&v.not_before), ext::to_odt(&v.not_after));
        if ctx.opts.at < not_before {
            return Err(PathError::NotYetValid {
                depth: 0,
                not_before,
            });
        }
        if ctx.opts.at > not_after {
            return Err(PathError::Expired {
                depth: 0,
                not_after,
            });
        }
        if let Some(d) = ctx.detail {
            d.record_cert(ee);
        }
        return Ok(ValidatedPath {
            chain: vec![ee.clone()],
        });
    }
    let candidates = path::build(ee, ctx.intermediates, ctx.anchors);
    let mut first = None;
    let mut first_record = None;
    for c in &candidates {
        let mark = ctx.detail.map(|d| d.mark());
        match process(ctx, c, level) {
            Ok(()) => {
                let mut chain: Vec<Certificate> = c.certs.iter().map(|&x| x.clone()).collect();
                chain.push(c.anchor.certificate.clone());
                if let Some(d) = ctx.detail {
                    chain.iter().for_each(|x| d.record_cert(x));
                }
                return Ok(ValidatedPath { chain });
            }
            Err(e) => {
                if let (Some(d), Some(m)) = (ctx.detail, mark) {
                    // What a failed path recorded goes, except for the caller's first failed
                    // path: its failure is the one reported, with the material behind it.
                    if first.is_none() && level == 0 {
                        let mut chain = c.certs.clone();
                        chain.push(&c.anchor.certificate);
                        chain.iter().for_each(|x| d.record_cert(x));
                        d.set_first_chain(&chain);
                        first_record = Some(d.split_off(m));
                    } else {
                        d.rollback(m);
                    }
                }
                if first.is_none() {
                    first = Some(e);
                }
            }
        }
    }
    if let (Some(d), Some(r)) = (ctx.detail, first_record) {
        d.restore(r);
    }
    Err(first.unwrap_or(PathError::NoPathToAnchor))
}

fn malformed(depth: usize) -> impl Fn(String) -> PathError {
    move |what| PathError::Malformed { depth, what }
}

fn check_extensions(cert: &Certificate, depth: usize) -> Result<(), PathError> {
    let exts = cert.tbs_certificate.extensions.as_deref().unwrap_or(&[]);
    for (k, x) in exts.iter().enumerate() {
        if exts[..k].iter().any(|y| y.extn_id == x.extn_id) {
            return Err(PathError::Malformed {
                depth,
                what: format!("extension {} appears twice", x.extn_id),
            });
        }
        if x.critical && !KNOWN_CRITICAL.contains(&x.extn_id) {
            return Err(PathError::UnknownCriticalExtension {
                depth,
                oid: x.extn_id.to_string(),
            });
        }
    }
    Ok(())
}

fn check_names(
    cert: &Certificate,
    depth: usize,
    constraints: &[NameConstraints],
) -> Result<(), PathError> {
    if constraints.is_empty() {
        return Ok(());
    }
    let subject = ext::subject(cert);
    let mut list: Vec<CertName<'_>> = Vec::new();
    if !subject.0.is_empty() {
        list.push(CertName::Dn(subject));
    }
    let emails = names::dn_emails(subject);
    list.extend(emails.into_iter().map(CertName::Email));
    let san =
        ext::get::<SubjectAltName>(cert, oids::CE_SUBJECT_ALT_NAME).map_err(malformed(depth))?;
    if let Some(san) = &san {
        list.extend(san.0.iter().map(CertName::General));
    }
    for nc in constraints {
        for name in &list {
            match names::check(
                name,
                nc.permitted_subtrees.as_ref(),
                nc.excluded_subtrees.as_ref(),
            ) {
                NcOutcome::Ok => {}
                NcOutcome::Violated => return Err(PathError::NameConstraints { depth }),
                NcOutcome::Unsupported(w) => return Err(PathError::Unsupported(w.into())),
            }
        }
    }
    Ok(())
}

/// The algorithm policy on the signature of `cert` (made with `issuer_key`) at the validation
/// time: retired is a failure; unknown to the policy is noted and accepted.
fn check_algorithm(
    ctx: &Ctx<'_>,
    policy: &AlgorithmPolicy,
    cert: &Certificate,
    issuer_key: &spki::SubjectPublicKeyInfoOwned,
    depth: usize,
) -> Result<(), PathError> {
    let v = policy.judge_signature(&cert.signature_algorithm, issuer_key, None, ctx.opts.at);
    match v.acceptability {
        Acceptability::Acceptable => Ok(()),
        Acceptability::Expired { since } => Err(PathError::AlgorithmRetired {
            depth,
            algorithm: match v.retired {
                Some(part) if part.to_string() != v.algorithm => {
                    format!("{} ({part} is retired)", v.algorithm)
                }
                _ => v.algorithm,
            },
            retired: since,
        }),
        Acceptability::Unknown => {
            if let Some(d) = ctx.detail {
                d.note(format!(
                    "the algorithm policy does not cover the signature on '{}' ({}); it was accepted",
                    cert.tbs_certificate.subject, v.algorithm
                ));
            }
            Ok(())
        }
    }
}

/// RFC 5280 §6.1.2-§6.1.5 over one candidate path, then revocation of each certificate.
fn process(ctx: &Ctx<'_>, cand: &Candidate<'_>, level: usize) -> Result<(), PathError> {
    let opts = ctx.opts;
    let n = cand.certs.len();
    let anchor = &cand.anchor.certificate;
    let mut working_key = &anchor.tbs_certificate.subject_public_key_info;
    let mut working_name = ext::subject(anchor);
    let mut max_path = n;
    let mut policy = PolicyState::new(
        n,
        opts.initial_explicit_policy,
        opts.initial_policy_mapping_inhibit,
        opts.initial_any_policy_inhibit,
    );
    let mut constraints: Vec<NameConstraints> = Vec::new();
    for i in 1..=n {
        let depth = n - i;
        let cert = cand.certs[depth];
        let tbs = &cert.tbs_certificate;
        check_extensions(cert, depth)?;
        if !ctx.spend() {
            return Err(PathError::Unsupported(
                "the work limit for signature checks was reached".into(),
            ));
        }
        crypto::verify_certificate(cert, working_key).map_err(|e| {
            if e.is_unsupported() {
                PathError::Unsupported(e.to_string())
            } else {
                PathError::SignatureInvalid { depth }
            }
        })?;
        if let Some(p) = ctx.policy {
            check_algorithm(ctx, p, cert, working_key, depth)?;
        }
        let not_before = ext::to_odt(&tbs.validity.not_before);
        let not_after = ext::to_odt(&tbs.validity.not_after);
        if opts.at < not_before {
            return Err(PathError::NotYetValid { depth, not_before });
        }
        if opts.at > not_after {
            return Err(PathError::Expired { depth, not_after });
        }
        if !names::same_name(&tbs.issuer, working_name) {
            return Err(PathError::NameChaining);
        }
        let self_issued = ext::self_issued(cert);
        if !(self_issued && i < n) {
            check_names(cert, depth, &constraints)?;
        }
        let cp = ext::get::<CertificatePolicies>(cert, oids::CE_CERTIFICATE_POLICIES)
            .map_err(malformed(depth))?;
        policy.process(i, cp.as_ref(), self_issued)?;
        let pc = ext::get::<PolicyConstraints>(cert, oids::CE_POLICY_CONSTRAINTS)
            .map_err(malformed(depth))?;
        if i == n {
            policy.wrap_up(pc.as_ref(), &opts.initial_policy_set)?;
            break;
        }
        // §6.1.4: preparation for certificate i + 1.
        let pm =
            ext::get::<PolicyMappings>(cert, oids::CE_POLICY_MAPPINGS).map_err(malformed(depth))?;
        let iap = ext::get::<InhibitAnyPolicy>(cert, oids::CE_INHIBIT_ANY_POLICY)
            .map_err(malformed(depth))?;
        policy.prepare(i, pm.as_ref(), pc.as_ref(), iap.map(|x| x.0), self_issued)?;
        if let Some(nc) = ext::get::<NameConstraints>(cert, oids::CE_NAME_CONSTRAINTS)
            .map_err(malformed(depth))?
        {
            constraints.push(nc);
        }
        working_key = &tbs.subject_public_key_info;
        working_name = &tbs.subject;
        let bc = ext::get::<BasicConstraints>(cert, oids::CE_BASIC_CONSTRAINTS)
            .map_err(malformed(depth))?;
        let Some(bc) = bc.filter(|b| b.ca && tbs.version == Version::V3) else {
            return Err(PathError::NotACa { depth });
        };
        if !self_issued {
            if max_path == 0 {
                return Err(PathError::PathLengthExceeded);
            }
            max_path -= 1;
        }
        if let Some(l) = bc.path_len_constraint {
            max_path = max_path.min(usize::from(l));
        }
        if let Some(ku) =
            ext::get::<KeyUsage>(cert, oids::CE_KEY_USAGE).map_err(malformed(depth))?
        {
            if !ku.key_cert_sign() {
                return Err(PathError::KeyUsage { depth });
            }
        }
    }
    if opts.require_revocation {
        for depth in (0..n).rev() {
            let issuer = if depth + 1 < n {
                cand.certs[depth + 1]
            } else {
                anchor
            };
            match ctx.detail {
                Some(d) => detail::check(ctx, d, cand.certs[depth], issuer, depth, level)?,
                None => crl::check(ctx, cand.certs[depth], issuer, depth, level)?,
            }
        }
    }
    Ok(())
}
