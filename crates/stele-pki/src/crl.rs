//! Revocation status from CRLs at the validation time (RFC 5280 §6.3, complete CRLs only).
//!
//! A CRL is used when it is in scope for the certificate (issuer or indirect cRLIssuer,
//! issuingDistributionPoint), current at `at` (thisUpdate ≤ at ≤ nextUpdate), correctly signed
//! by a key allowed to sign CRLs, and has no critical extension we do not process. Entries with
//! a revocationDate after `at` do not count (the certificate was still good at `at`). When
//! `use_delta_crls` is set, the newest usable delta CRL for a complete CRL is applied
//! (removeFromCRL lifts a hold); a delta without a usable complete CRL is not enough.
//!
//! With `accept_revocation_issued_after`, a CRL issued at or after `at` is usable too, as long
//! as it was issued while the certificate was still valid (or its expiredCertsOnCRL date says
//! it keeps expired certificates from before the certificate's notAfter): only then would it
//! still list the certificate had it been revoked.

use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::crl::dp::{DistributionPoint, IssuingDistributionPoint};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName, GeneralNames};
use x509_cert::ext::pkix::{
    BaseCrlNumber, BasicConstraints, CrlDistributionPoints, CrlNumber, CrlReason, KeyUsage,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence};
use x509_cert::Certificate;

use time::OffsetDateTime;

use crate::detail::{CertRevocation, CrlSrc, RevocationSource, RevocationState};
use crate::names::same_name;
use crate::validate::{validate_at_level, Ctx};
use crate::{crypto, ext, oids, PathError, ValidationOptions};

/// Most CRLs looked at per certificate.
const MAX_CRLS: usize = 512;
/// Most entries scanned per CRL.
const MAX_ENTRIES: usize = 1_000_000;
/// How deep CRL-signer validation may recurse (a CRL signer's own CRL signer, ...).
const MAX_LEVEL: usize = 2;
/// Most alternative CRL signer certificates tried per CRL.
const MAX_SIGNERS: usize = 4;
/// Bits 1..=8 of ReasonFlags: every reason.
const ALL_REASONS: u16 = 0x1fe;

const CRL_EXTS: [const_oid::ObjectIdentifier; 7] = [
    oids::CE_EXPIRED_CERTS_ON_CRL,
    oids::CE_CRL_NUMBER,
    oids::CE_ISSUING_DISTRIBUTION_POINT,
    oids::CE_DELTA_CRL_INDICATOR,
    oids::CE_AUTHORITY_KEY_IDENTIFIER,
    oids::CE_FRESHEST_CRL,
    oids::CE_ISSUER_ALT_NAME,
];
const ENTRY_EXTS: [const_oid::ObjectIdentifier; 3] = [
    oids::CE_CRL_REASON,
    oids::CE_INVALIDITY_DATE,
    oids::CE_CERTIFICATE_ISSUER,
];

/// One distribution point of the certificate, names resolved to full names.
struct Dp {
    names: Option<Vec<GeneralName>>,
    crl_issuer: Option<Vec<Name>>,
    reasons: Option<u16>,
}

fn dir_names(g: &[GeneralName]) -> Vec<Name> {
    g.iter()
        .filter_map(|n| match n {
            GeneralName::DirectoryName(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

fn full_names(dpn: &DistributionPointName, base: &Name) -> Vec<GeneralName> {
    match dpn {
        DistributionPointName::FullName(g) => g.clone(),
        DistributionPointName::NameRelativeToCRLIssuer(rdn) => {
            let mut seq = base.0.clone();
            seq.push(rdn.clone());
            vec![GeneralName::DirectoryName(RdnSequence(seq))]
        }
    }
}

fn general_eq(a: &GeneralName, b: &GeneralName) -> bool {
    match (a, b) {
        (GeneralName::DirectoryName(x), GeneralName::DirectoryName(y)) => same_name(x, y),
        _ => a == b,
    }
}

fn cert_dps(cert: &Certificate, depth: usize) -> Result<Vec<Dp>, PathError> {
    let dps = ext::get::<CrlDistributionPoints>(cert, oids::CE_CRL_DISTRIBUTION_POINTS)
        .map_err(|what| PathError::Malformed { depth, what })?;
    let Some(dps) = dps else {
        return Ok(vec![Dp {
            names: None,
            crl_issuer: None,
            reasons: None,
        }]);
    };
    Ok(dps
        .0
        .iter()
        .map(|d: &DistributionPoint| {
            let crl_issuer = d.crl_issuer.as_ref().map(|g| dir_names(g));
            let base = crl_issuer
                .as_ref()
                .and_then(|v| v.first().cloned())
                .unwrap_or_else(|| ext::issuer(cert).clone());
            Dp {
                names: d.distribution_point.as_ref().map(|n| full_names(n, &base)),
                crl_issuer,
                reasons: d.reasons.map(|r| r.bits()),
            }
        })
        .collect())
}

fn is_ca(cert: &Certificate) -> bool {
    ext::get::<BasicConstraints>(cert, oids::CE_BASIC_CONSTRAINTS)
        .ok()
        .flatten()
        .is_some_and(|b| b.ca)
}

/// A CRL signer certificate: KU with cRLSign explicitly present.
fn is_ca_or_crl_issuer(cert: &Certificate) -> bool {
    matches!(ext::get::<KeyUsage>(cert, oids::CE_KEY_USAGE), Ok(Some(ku)) if ku.crl_sign())
}

fn may_sign_crls(cert: &Certificate) -> bool {
    match ext::get::<KeyUsage>(cert, oids::CE_KEY_USAGE) {
        Ok(Some(ku)) => ku.crl_sign(),
        Ok(None) => true,
        Err(_) => false,
    }
}

/// The reasons a CRL covers for this certificate via distribution point `dp`, or `None` when
/// the CRL is not in scope (RFC 5280 §6.3.3 (b), (d)).
fn scope(
    crl: &CertificateList,
    idp: Option<&IssuingDistributionPoint>,
    cert: &Certificate,
    dp: &Dp,
) -> Option<u16> {
    let crl_issuer = &crl.tbs_cert_list.issuer;
    match &dp.crl_issuer {
        Some(ci) => {
            if !ci.iter().any(|n| same_name(n, crl_issuer)) || !idp.is_some_and(|i| i.indirect_crl)
            {
                return None;
            }
        }
        None => {
            if !same_name(crl_issuer, ext::issuer(cert)) {
                return None;
            }
        }
    }
    let mut reasons = dp.reasons.unwrap_or(ALL_REASONS);
    if let Some(idp) = idp {
        if let Some(dpn) = &idp.distribution_point {
            let idp_names = full_names(dpn, crl_issuer);
            let ok = match (&dp.names, &dp.crl_issuer) {
                (Some(names), _) => names
                    .iter()
                    .any(|a| idp_names.iter().any(|b| general_eq(a, b))),
                (None, Some(ci)) => dir_names(&idp_names)
                    .iter()
                    .any(|a| ci.iter().any(|b| same_name(a, b))),
                (None, None) => dir_names(&idp_names)
                    .iter()
                    .any(|a| same_name(a, ext::issuer(cert))),
            };
            if !ok {
                return None;
            }
        }
        let ca = is_ca(cert);
        if (idp.only_contains_user_certs && ca)
            || (idp.only_contains_ca_certs && !ca)
            || idp.only_contains_attribute_certs
        {
            return None;
        }
        if let Some(r) = idp.only_some_reasons {
            reasons &= r.bits();
        }
    }
    Some(reasons & ALL_REASONS)
}

fn unknown_critical(exts: Option<&[Extension]>, known: &[const_oid::ObjectIdentifier]) -> bool {
    exts.unwrap_or(&[])
        .iter()
        .any(|x| x.critical && !known.contains(&x.extn_id))
}

/// Is the CRL signed by a key we trust to sign it? The certificate's issuer from the path is
/// tried first; then an anchor; then the checked certificate itself when it is the CRL issuer
/// (an indirect CRL issuer vouching for its own certificate: its path is already validated
/// apart from revocation, and the CRL it signs can still list it); then other certificates of
/// the CRL issuer with cRLSign, each validated in turn (bounded recursion).
fn signer_ok(
    ctx: &Ctx<'_>,
    crl: &CertificateList,
    checked: &Certificate,
    path_issuer: &Certificate,
    level: usize,
) -> bool {
    let crl_issuer = &crl.tbs_cert_list.issuer;
    let verifies = |c: &Certificate| {
        same_name(ext::subject(c), crl_issuer)
            && may_sign_crls(c)
            && ctx.spend()
            && crypto::verify_crl(crl, &c.tbs_certificate.subject_public_key_info).is_ok()
    };
    if verifies(checked) && is_ca_or_crl_issuer(checked) {
        return true;
    }
    if verifies(path_issuer) {
        return true;
    }
    if let Some(a) = ctx.anchors.iter().find(|a| verifies(&a.certificate)) {
        // An anchor other than the path's: it belongs to the material relied upon.
        if let Some(d) = ctx.detail {
            d.record_cert(&a.certificate);
        }
        return true;
    }
    if level + 1 > MAX_LEVEL {
        return false;
    }
    let signers = ctx
        .intermediates
        .iter()
        .filter(|c| *c != path_issuer && *c != checked && verifies(c))
        .take(MAX_SIGNERS);
    // The CRL signer's own path: same time and revocation rules, no policy requirements.
    let opts = ValidationOptions {
        use_delta_crls: ctx.opts.use_delta_crls,
        accept_revocation_issued_after: ctx.opts.accept_revocation_issued_after,
        ..ValidationOptions::at(ctx.opts.at)
    };
    let sub = Ctx {
        opts: &opts,
        ..*ctx
    };
    for s in signers {
        if validate_at_level(&sub, s, level + 1).is_ok() {
            return true;
        }
    }
    false
}

/// The CRL's extensions.
fn crl_exts(crl: &CertificateList) -> Option<&[Extension]> {
    crl.tbs_cert_list.crl_extensions.as_deref()
}

fn is_delta(crl: &CertificateList) -> bool {
    crl_exts(crl)
        .unwrap_or(&[])
        .iter()
        .any(|x| x.extn_id == oids::CE_DELTA_CRL_INDICATOR)
}

/// An INTEGER's magnitude as comparable bytes (leading zeros removed).
fn number(bytes: &[u8]) -> (usize, Vec<u8>) {
    let b: Vec<u8> = bytes.iter().copied().skip_while(|&x| x == 0).collect();
    (b.len(), b)
}

fn crl_number(crl: &CertificateList) -> Option<(usize, Vec<u8>)> {
    ext::get_in::<CrlNumber>(crl_exts(crl), oids::CE_CRL_NUMBER)
        .ok()
        .flatten()
        .map(|n| number(n.0.as_bytes()))
}

/// The expiredCertsOnCRL date (X.509 (2016) §9.3.7, 2.5.29.60), if present and well-formed.
fn expired_certs_on_crl(crl: &CertificateList) -> Option<OffsetDateTime> {
    let t = ext::get_in::<der::asn1::GeneralizedTime>(crl_exts(crl), oids::CE_EXPIRED_CERTS_ON_CRL)
        .ok()
        .flatten()?;
    Some(ext::to_odt(&x509_cert::time::Time::GeneralTime(t)))
}

/// Usable for `cert` at the validation time: current then, or (when the options allow it)
/// issued at or after it while `cert` was still listed if revoked.
fn usable(ctx: &Ctx<'_>, crl: &CertificateList, cert: &Certificate) -> bool {
    let at = ctx.opts.at;
    if current(crl, at) {
        return true;
    }
    if !ctx.opts.accept_revocation_issued_after {
        return false;
    }
    let this_update = ext::to_odt(&crl.tbs_cert_list.this_update);
    let not_after = ext::to_odt(&cert.tbs_certificate.validity.not_after);
    this_update >= at
        && (this_update <= not_after || expired_certs_on_crl(crl).is_some_and(|c| c <= not_after))
}

/// A CRL of the validation's pool with its origin (for the report).
pub(crate) struct Pooled<'a> {
    crl: &'a CertificateList,
    src: CrlSrc,
}

/// Current at `at`: thisUpdate ≤ at ≤ nextUpdate (when given).
fn current(crl: &CertificateList, at: time::OffsetDateTime) -> bool {
    let tbs = &crl.tbs_cert_list;
    ext::to_odt(&tbs.this_update) <= at
        && tbs
            .next_update
            .as_ref()
            .is_none_or(|n| ext::to_odt(n) >= at)
}

/// Not usable at all: an unknown critical CRL or entry extension (RFC 5280 §5.2, §5.3).
fn has_unknown_critical(crl: &CertificateList) -> bool {
    unknown_critical(crl_exts(crl), &CRL_EXTS)
        || crl
            .tbs_cert_list
            .revoked_certificates
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .take(MAX_ENTRIES)
            .any(|e| unknown_critical(e.crl_entry_extensions.as_deref(), &ENTRY_EXTS))
}

/// The entry for `cert` in `crl`, if any: revocation date and reason.
fn lookup(
    crl: &CertificateList,
    cert: &Certificate,
    indirect: bool,
) -> Option<(time::OffsetDateTime, Option<CrlReason>)> {
    let tbs = &crl.tbs_cert_list;
    let mut entry_issuer: Name = tbs.issuer.clone();
    for e in tbs
        .revoked_certificates
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .take(MAX_ENTRIES)
    {
        let eexts = e.crl_entry_extensions.as_deref();
        if indirect {
            if let Ok(Some(ci)) = ext::get_in::<GeneralNames>(eexts, oids::CE_CERTIFICATE_ISSUER) {
                if let Some(n) = dir_names(&ci).into_iter().next() {
                    entry_issuer = n;
                }
            }
        }
        if e.serial_number == cert.tbs_certificate.serial_number
            && same_name(&entry_issuer, ext::issuer(cert))
        {
            let reason = ext::get_in::<CrlReason>(eexts, oids::CE_CRL_REASON)
                .ok()
                .flatten();
            return Some((ext::to_odt(&e.revocation_date), reason));
        }
    }
    None
}

/// The newest usable delta CRL for complete CRL `base` (RFC 5280 §5.2.4, §6.3.3 (c)): same
/// issuer and scope, BaseCRLNumber ≤ the complete CRL's number, usable, correctly signed.
fn find_delta<'p, 'a>(
    ctx: &Ctx<'_>,
    pool: &'p [Pooled<'a>],
    base: &CertificateList,
    idp: Option<&IssuingDistributionPoint>,
    cert: &Certificate,
    issuer: &Certificate,
    level: usize,
) -> Option<&'p Pooled<'a>> {
    let base_no = crl_number(base)?;
    let mut best: Option<(&Pooled<'a>, (usize, Vec<u8>))> = None;
    for p in pool {
        let d = p.crl;
        if !is_delta(d) || !same_name(&d.tbs_cert_list.issuer, &base.tbs_cert_list.issuer) {
            continue;
        }
        let Ok(Some(ind)) = ext::get_in::<BaseCrlNumber>(crl_exts(d), oids::CE_DELTA_CRL_INDICATOR)
        else {
            continue;
        };
        let Ok(d_idp) = ext::get_in::<IssuingDistributionPoint>(
            crl_exts(d),
            oids::CE_ISSUING_DISTRIBUTION_POINT,
        ) else {
            continue;
        };
        let Some(d_no) = crl_number(d) else { continue };
        if number(ind.0.as_bytes()) > base_no
            || d_idp.as_ref() != idp
            || !usable(ctx, d, cert)
            || has_unknown_critical(d)
            || best.as_ref().is_some_and(|(_, n)| *n >= d_no)
            || !signer_ok(ctx, d, cert, issuer, level)
        {
            continue;
        }
        best = Some((p, d_no));
    }
    best.map(|(d, _)| d)
}

/// What the CRLs relied upon say, for the report.
#[derive(Default)]
struct Found {
    issued: Option<OffsetDateTime>,
    next_update: Option<OffsetDateTime>,
    revoked_after: Option<(OffsetDateTime, Option<CrlReason>)>,
    evidence: Vec<usize>,
}

impl Found {
    fn status(&self, depth: usize, status: RevocationState) -> Option<CertRevocation> {
        Some(CertRevocation {
            depth,
            source: RevocationSource::Crl,
            issued: self.issued?,
            produced_at: None,
            next_update: self.next_update,
            status,
            evidence: self.evidence.clone(),
        })
    }
}

/// Revocation status of `cert` (at `depth`, issued by `issuer`) at `ctx.opts.at`, from the
/// embedded CRLs and, in a detailed validation, those fetched so far. In a detailed validation
/// the CRLs relied upon are recorded, and (for the caller's own path, `level` 0) the status.
pub(crate) fn check(
    ctx: &Ctx<'_>,
    cert: &Certificate,
    issuer: &Certificate,
    depth: usize,
    level: usize,
) -> Result<(), PathError> {
    let at = ctx.opts.at;
    let dps = cert_dps(cert, depth)?;
    let fetched = ctx.detail.map(|d| d.fetched_crls()).unwrap_or_default();
    let pool: Vec<Pooled<'_>> = ctx
        .crls
        .iter()
        .enumerate()
        .map(|(i, crl)| Pooled {
            crl,
            src: CrlSrc::Embedded(i),
        })
        .chain(fetched.iter().enumerate().map(|(i, f)| Pooled {
            crl: &f.crl,
            src: CrlSrc::Fetched(i),
        }))
        .take(MAX_CRLS)
        .collect();
    let mut covered: u16 = 0;
    let mut found = Found::default();
    for p in &pool {
        let crl = p.crl;
        if is_delta(crl) {
            continue;
        }
        let Ok(idp) = ext::get_in::<IssuingDistributionPoint>(
            crl_exts(crl),
            oids::CE_ISSUING_DISTRIBUTION_POINT,
        ) else {
            continue;
        };
        let Some(reasons) = dps
            .iter()
            .filter_map(|dp| scope(crl, idp.as_ref(), cert, dp))
            .max_by_key(|r| r.count_ones())
        else {
            continue;
        };
        if !usable(ctx, crl, cert) || has_unknown_critical(crl) {
            continue;
        }
        let mark = ctx.detail.map(|d| d.mark());
        if !signer_ok(ctx, crl, cert, issuer, level) {
            continue;
        }
        let indirect = idp.as_ref().is_some_and(|i| i.indirect_crl);
        let delta = if ctx.opts.use_delta_crls {
            find_delta(ctx, &pool, crl, idp.as_ref(), cert, issuer, level)
        } else {
            None
        };
        // The delta's word is newer: removeFromCRL there lifts a hold on the complete CRL.
        let entry = match delta.and_then(|d| lookup(d.crl, cert, indirect)) {
            Some((_, Some(CrlReason::RemoveFromCRL))) => None,
            Some(e) => Some(e),
            None => {
                lookup(crl, cert, indirect).filter(|(_, r)| *r != Some(CrlReason::RemoveFromCRL))
            }
        };
        let decides = entry.is_some_and(|(date, _)| date <= at);
        if !decides && reasons & !covered == 0 {
            // Adds nothing: not relied upon, so nothing its signer check recorded stays.
            if let (Some(d), Some(m)) = (ctx.detail, mark) {
                d.rollback(m);
            }
            continue;
        }
        if let Some(d) = ctx.detail {
            let tbs = &crl.tbs_cert_list;
            let this_update = ext::to_odt(&tbs.this_update);
            found.issued = Some(found.issued.map_or(this_update, |t| t.min(this_update)));
            if let Some(n) = tbs.next_update.as_ref().map(ext::to_odt) {
                found.next_update = Some(found.next_update.map_or(n, |t| t.min(n)));
            }
            found.evidence.extend(d.record_crl(p.src));
            if let Some(dl) = delta {
                found.evidence.extend(d.record_crl(dl.src));
            }
        }
        if let Some((date, reason)) = entry {
            if date <= at {
                if let (Some(d), 0) = (ctx.detail, level) {
                    d.record_status_opt(
                        found.status(depth, RevocationState::Revoked { date, reason }),
                    );
                }
                return Err(PathError::Revoked {
                    depth,
                    date,
                    reason,
                });
            }
            found.revoked_after = Some((date, reason));
        }
        covered |= reasons;
    }
    if covered == ALL_REASONS {
        if let (Some(d), 0) = (ctx.detail, level) {
            let status = match found.revoked_after {
                Some((date, reason)) => RevocationState::RevokedAfter { date, reason },
                None => RevocationState::Good,
            };
            d.record_status_opt(found.status(depth, status));
        }
        Ok(())
    } else {
        Err(PathError::RevocationUnknown { depth })
    }
}
