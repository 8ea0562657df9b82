//! Detailed validation: revocation from CRLs and OCSP (embedded, then fetched), and a report of
//! every piece of validation material the decision relied on, ready to be sealed with a record.
//!
//! Order of evidence for one certificate: embedded CRLs, then embedded OCSP responses, then,
//! with a fetcher, the AIA OCSP responders and last the CRL distribution points. Embedded
//! material comes first because it is what the signer or an earlier ingest captured; among
//! fetched material OCSP comes first because one response is a few kilobytes per certificate
//! while a CA's CRL can be megabytes, and everything relied upon is archived for decades.
//! The first source that settles the certificate wins; later sources are not consulted, so
//! `used` holds what was needed and no more.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use der::{Decode, Encode};
use time::OffsetDateTime;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::CrlReason;
use x509_cert::Certificate;
use x509_ocsp::BasicOcspResponse;

use crate::fetch::{self, RevocationFetcher};
use crate::ocsp::{self, OcspCheckOptions, OcspError, OcspStatus, OcspVerified};
use crate::validate::Ctx;
use crate::{crl, ext, PathError, PathValidation};

/// Most embedded CRLs and OCSP responses accepted in one [`RevocationInput`].
pub const MAX_EMBEDDED_REVOCATION: usize = 512;
/// Most network fetches (CRL or OCSP) one detailed validation may start.
const MAX_FETCHES: usize = 16;
/// Most embedded OCSP responses looked at per certificate.
const MAX_OCSP_PER_CERT: usize = 64;

/// Why embedded revocation material was refused when added to a [`RevocationInput`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RevocationInputError {
    #[error("the embedded CRL is malformed: {0}")]
    Crl(String),
    #[error("the embedded OCSP response is not usable: {0}")]
    Ocsp(OcspError),
    #[error("more than {max} embedded revocation items were given")]
    TooMany { max: usize },
}

#[derive(Clone, Debug)]
pub(crate) struct OcspItem {
    /// A full OCSPResponse (bare BasicOCSPResponses are wrapped).
    pub(crate) der: Vec<u8>,
    basic: BasicOcspResponse,
}

/// Revocation material for [`crate::PathValidator::validate_detailed`]: embedded CRLs and OCSP
/// responses, and optionally a fetcher for what they do not settle. An offline fetcher only
/// serves its cache.
#[derive(Clone, Debug, Default)]
pub struct RevocationInput<'a> {
    crls: Vec<CertificateList>,
    crl_der: Vec<Vec<u8>>,
    ocsp: Vec<OcspItem>,
    fetcher: Option<&'a RevocationFetcher>,
}

impl<'a> RevocationInput<'a> {
    /// No material, no fetcher.
    pub fn new() -> Self {
        Self::default()
    }

    fn room(&self) -> Result<(), RevocationInputError> {
        if self.crls.len() + self.ocsp.len() >= MAX_EMBEDDED_REVOCATION {
            return Err(RevocationInputError::TooMany {
                max: MAX_EMBEDDED_REVOCATION,
            });
        }
        Ok(())
    }

    /// Adds a CRL as DER; these bytes are what `used` reports when it is relied upon.
    pub fn add_crl_der(&mut self, der: &[u8]) -> Result<(), RevocationInputError> {
        self.room()?;
        let crl =
            CertificateList::from_der(der).map_err(|e| RevocationInputError::Crl(e.to_string()))?;
        self.crls.push(crl);
        self.crl_der.push(der.to_vec());
        Ok(())
    }

    /// Adds a parsed CRL (reported in `used` re-encoded as DER).
    pub fn add_crl(&mut self, crl: CertificateList) -> Result<(), RevocationInputError> {
        self.room()?;
        let der = crl
            .to_der()
            .map_err(|e| RevocationInputError::Crl(e.to_string()))?;
        self.crls.push(crl);
        self.crl_der.push(der);
        Ok(())
    }

    /// Adds an OCSP response: a full OCSPResponse, or a bare BasicOCSPResponse as found in
    /// CAdES revocation values and some PDF DSS entries. Only successful responses are kept.
    pub fn add_ocsp_der(&mut self, der: &[u8]) -> Result<(), RevocationInputError> {
        self.room()?;
        let full = ocsp::to_full_response(der).map_err(RevocationInputError::Ocsp)?;
        let (basic, _) = ocsp::parse_response(&full).map_err(RevocationInputError::Ocsp)?;
        self.ocsp.push(OcspItem { der: full, basic });
        Ok(())
    }

    /// Uses `fetcher` for certificates the embedded material does not settle.
    pub fn with_fetcher(mut self, fetcher: &'a RevocationFetcher) -> Self {
        self.fetcher = Some(fetcher);
        self
    }

    /// The embedded CRLs, in the order added.
    pub fn crls(&self) -> &[CertificateList] {
        &self.crls
    }

    /// Number of embedded OCSP responses.
    pub fn ocsp_count(&self) -> usize {
        self.ocsp.len()
    }
}

/// Where a certificate's revocation status came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevocationSource {
    Crl,
    Ocsp,
}

/// The revocation status of a certificate at the validation time, as the evidence states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevocationState {
    /// Not revoked (at least until the evidence was issued).
    Good,
    /// Revoked, but only after the validation time: the certificate was good then. A signature
    /// proven to exist before `date` is not affected (ETSI EN 319 102-1).
    RevokedAfter {
        date: OffsetDateTime,
        reason: Option<CrlReason>,
    },
    /// Revoked at or before the validation time.
    Revoked {
        date: OffsetDateTime,
        reason: Option<CrlReason>,
    },
}

/// The revocation status used for one certificate of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertRevocation {
    /// 0 for the end entity, counting up toward the anchor.
    pub depth: usize,
    pub source: RevocationSource,
    /// thisUpdate of the CRL (the earliest, when several cover different reasons) or of the
    /// OCSP SingleResponse.
    pub issued: OffsetDateTime,
    /// producedAt of the OCSP response.
    pub produced_at: Option<OffsetDateTime>,
    /// nextUpdate (the earliest, for several CRLs).
    pub next_update: Option<OffsetDateTime>,
    pub status: RevocationState,
    /// Indices into `used.crls` (source `Crl`, delta CRLs included) or `used.ocsp_responses`.
    pub evidence: Vec<usize>,
}

/// Validation material, each item as DER and each once, ready to archive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationMaterial {
    /// The chain, CRL signers' and OCSP responders' certificates and their paths.
    pub certificates: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
    /// Full OCSPResponses (bare BasicOCSPResponses given as input are wrapped).
    pub ocsp_responses: Vec<Vec<u8>>,
}

/// The result of [`crate::PathValidator::validate_detailed`].
#[derive(Clone, Debug)]
pub struct PathReport {
    pub outcome: PathValidation,
    /// DER of the chain decided on (end entity first, anchor last); on failure the first path
    /// tried, whose failure `outcome` reports. Empty when no path to an anchor was built.
    pub chain: Vec<Vec<u8>>,
    /// Per certificate below the anchor (by depth), the status relied upon. On failure, those
    /// established before validation stopped.
    pub revocation: Vec<CertRevocation>,
    /// Everything the decision relied on, fetched material included.
    pub used: ValidationMaterial,
    /// Fetches that failed, as sentences (a caller may answer "try later").
    pub fetch_failures: Vec<String>,
    /// Material that was looked at but not used, and algorithms the policy does not know.
    pub notes: Vec<String>,
}

/// A fetched CRL, kept for the rest of the validation (other certificates, other paths).
pub(crate) struct FetchedCrl {
    pub(crate) crl: CertificateList,
    pub(crate) der: Vec<u8>,
}

/// Where a CRL in the validation's pool came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CrlSrc {
    Embedded(usize),
    Fetched(usize),
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Record {
    certs: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    ocsp: Vec<Vec<u8>>,
    statuses: Vec<CertRevocation>,
}

/// Lengths of the record's lists, to undo what a failed attempt added.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark([usize; 4]);

fn push_unique(list: &mut Vec<Vec<u8>>, der: &[u8]) -> usize {
    match list.iter().position(|x| x.as_slice() == der) {
        Some(i) => i,
        None => {
            list.push(der.to_vec());
            list.len() - 1
        }
    }
}

impl Record {
    fn mark(&self) -> Mark {
        Mark([
            self.certs.len(),
            self.crls.len(),
            self.ocsp.len(),
            self.statuses.len(),
        ])
    }

    fn split_off(&mut self, m: Mark) -> Record {
        Record {
            certs: self.certs.split_off(m.0[0].min(self.certs.len())),
            crls: self.crls.split_off(m.0[1].min(self.crls.len())),
            ocsp: self.ocsp.split_off(m.0[2].min(self.ocsp.len())),
            statuses: self.statuses.split_off(m.0[3].min(self.statuses.len())),
        }
    }
}

/// State of one detailed validation, shared by every path tried and every nested validation.
pub(crate) struct Detail<'a> {
    input: &'a RevocationInput<'a>,
    fetched_crls: RefCell<Vec<Rc<FetchedCrl>>>,
    rec: RefCell<Record>,
    fetch_failures: RefCell<Vec<String>>,
    notes: RefCell<Vec<String>>,
    fetches: Cell<usize>,
    /// OCSP fetches already made (the answer, or `None` after a failure), by URL and
    /// certificate, so that other paths do not repeat them.
    ocsp_tried: RefCell<HashMap<String, Option<FetchedOcspAnswer>>>,
    /// CRL URLs already fetched or failed.
    crl_tried: RefCell<HashSet<String>>,
    first_chain: RefCell<Vec<Vec<u8>>>,
}

#[derive(Clone)]
struct FetchedOcspAnswer {
    der: Vec<u8>,
    nonce: Option<Vec<u8>>,
}

/// A key for one (certificate, issuer) pair: SHA-256 over both DER encodings.
fn cert_key(cert: &Certificate, issuer: &Certificate) -> String {
    let mut h = stele_asn1::DigestAlgorithm::Sha256.hasher();
    h.update(&cert.to_der().unwrap_or_default());
    h.update(&issuer.to_der().unwrap_or_default());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn subject(cert: &Certificate) -> String {
    cert.tbs_certificate.subject.to_string()
}

fn push_note(list: &RefCell<Vec<String>>, s: String) {
    let mut l = list.borrow_mut();
    // Bounded: a hostile input must not grow the report without limit.
    if l.len() < 256 && !l.contains(&s) {
        l.push(s);
    }
}

impl<'a> Detail<'a> {
    pub(crate) fn new(input: &'a RevocationInput<'a>) -> Self {
        Detail {
            input,
            fetched_crls: RefCell::default(),
            rec: RefCell::default(),
            fetch_failures: RefCell::default(),
            notes: RefCell::default(),
            fetches: Cell::new(0),
            ocsp_tried: RefCell::default(),
            crl_tried: RefCell::default(),
            first_chain: RefCell::default(),
        }
    }

    pub(crate) fn mark(&self) -> Mark {
        self.rec.borrow().mark()
    }

    pub(crate) fn rollback(&self, m: Mark) {
        let _ = self.rec.borrow_mut().split_off(m);
    }

    pub(crate) fn split_off(&self, m: Mark) -> Record {
        self.rec.borrow_mut().split_off(m)
    }

    /// Puts back a record taken with `split_off` (the state must be back at its mark).
    pub(crate) fn restore(&self, r: Record) {
        let mut rec = self.rec.borrow_mut();
        rec.certs.extend(r.certs);
        rec.crls.extend(r.crls);
        rec.ocsp.extend(r.ocsp);
        rec.statuses.extend(r.statuses);
    }

    pub(crate) fn record_cert(&self, c: &Certificate) {
        if let Ok(der) = c.to_der() {
            push_unique(&mut self.rec.borrow_mut().certs, &der);
        }
    }

    pub(crate) fn record_crl(&self, src: CrlSrc) -> Option<usize> {
        // No copy of a (possibly large) CRL unless it is new to the record.
        let mut rec = self.rec.borrow_mut();
        match src {
            CrlSrc::Embedded(i) => Some(push_unique(&mut rec.crls, self.input.crl_der.get(i)?)),
            CrlSrc::Fetched(i) => {
                let f = self.fetched_crls.borrow().get(i)?.clone();
                Some(push_unique(&mut rec.crls, &f.der))
            }
        }
    }

    fn record_ocsp(&self, der: &[u8]) -> usize {
        push_unique(&mut self.rec.borrow_mut().ocsp, der)
    }

    pub(crate) fn record_status(&self, s: CertRevocation) {
        let mut rec = self.rec.borrow_mut();
        rec.statuses.retain(|x| x.depth != s.depth);
        rec.statuses.push(s);
    }

    pub(crate) fn record_status_opt(&self, s: Option<CertRevocation>) {
        if let Some(s) = s {
            self.record_status(s);
        }
    }

    pub(crate) fn note(&self, s: String) {
        push_note(&self.notes, s);
    }

    fn fetch_failed(&self, s: String) {
        push_note(&self.fetch_failures, s);
    }

    pub(crate) fn set_first_chain(&self, chain: &[&Certificate]) {
        *self.first_chain.borrow_mut() = chain.iter().filter_map(|c| c.to_der().ok()).collect();
    }

    /// The fetched CRLs so far (cheap: reference-counted).
    pub(crate) fn fetched_crls(&self) -> Vec<Rc<FetchedCrl>> {
        self.fetched_crls.borrow().clone()
    }

    pub(crate) fn into_report(self, outcome: PathValidation) -> PathReport {
        let rec = self.rec.into_inner();
        let chain = match &outcome {
            Ok(p) => p.chain.iter().filter_map(|c| c.to_der().ok()).collect(),
            Err(_) => self.first_chain.into_inner(),
        };
        let mut revocation = rec.statuses;
        revocation.sort_by_key(|s| s.depth);
        PathReport {
            outcome,
            chain,
            revocation,
            used: ValidationMaterial {
                certificates: rec.certs,
                crls: rec.crls,
                ocsp_responses: rec.ocsp,
            },
            fetch_failures: self.fetch_failures.into_inner(),
            notes: self.notes.into_inner(),
        }
    }

    fn take_fetch(&self) -> bool {
        let n = self.fetches.get();
        if n >= MAX_FETCHES {
            return false;
        }
        self.fetches.set(n + 1);
        true
    }
}

/// Whether an OCSP answer speaks about the validation time: current then, or (when the options
/// allow it) issued at or after it while the certificate was still within its validity period
/// (after expiry a responder need not keep revocation information).
fn ocsp_usable(ctx: &Ctx<'_>, v: &OcspVerified, cert: &Certificate) -> Result<(), String> {
    let at = ctx.opts.at;
    if ocsp::check_fresh(v, &OcspCheckOptions::at(at)).is_ok() {
        return Ok(());
    }
    let not_after = ext::to_odt(&cert.tbs_certificate.validity.not_after);
    if ctx.opts.accept_revocation_issued_after && v.this_update >= at {
        if v.this_update <= not_after {
            return Ok(());
        }
        return Err(format!(
            "it was issued on {} after the certificate expired ({not_after})",
            v.this_update
        ));
    }
    Err(format!(
        "it is not current at {at} (thisUpdate {}, nextUpdate {})",
        v.this_update,
        v.next_update
            .map(|t| t.to_string())
            .unwrap_or_else(|| "none".into())
    ))
}

/// Records the status an OCSP answer gives and turns it into the path outcome; `None` when the
/// answer does not settle the certificate (`unknown`).
fn apply_ocsp(
    ctx: &Ctx<'_>,
    d: &Detail<'_>,
    v: &OcspVerified,
    der: &[u8],
    depth: usize,
    level: usize,
) -> Option<Result<(), PathError>> {
    let at = ctx.opts.at;
    let (status, result) = match v.status {
        OcspStatus::Unknown => return None,
        OcspStatus::Good => (RevocationState::Good, Ok(())),
        OcspStatus::Revoked { time, reason } if time <= at => (
            RevocationState::Revoked { date: time, reason },
            Err(PathError::Revoked {
                depth,
                date: time,
                reason,
            }),
        ),
        OcspStatus::Revoked { time, reason } => {
            (RevocationState::RevokedAfter { date: time, reason }, Ok(()))
        }
    };
    let i = d.record_ocsp(der);
    d.record_cert(&v.responder);
    if level == 0 {
        d.record_status(CertRevocation {
            depth,
            source: RevocationSource::Ocsp,
            issued: v.this_update,
            produced_at: Some(v.produced_at),
            next_update: v.next_update,
            status,
            evidence: vec![i],
        });
    }
    Some(result)
}

/// Does `basic` hold a SingleResponse for `cert`'s serial number? A cheap filter before hashing
/// and signature work.
fn mentions_serial(basic: &BasicOcspResponse, cert: &Certificate) -> bool {
    basic
        .tbs_response_data
        .responses
        .iter()
        .any(|s| s.cert_id.serial_number == cert.tbs_certificate.serial_number)
}

/// One OCSP answer judged for `cert`: verified (signature, responder), usable at the time,
/// then applied. Rejections become notes.
#[allow(clippy::too_many_arguments)]
fn try_ocsp(
    ctx: &Ctx<'_>,
    d: &Detail<'_>,
    der: &[u8],
    nonce: Option<&[u8]>,
    cert: &Certificate,
    issuer: &Certificate,
    depth: usize,
    level: usize,
    origin: &str,
) -> Option<Result<(), PathError>> {
    // Up to two signatures: a delegated responder's certificate and the response.
    if !ctx.spend() || !ctx.spend() {
        return Some(Err(PathError::Unsupported(
            "the work limit for signature checks was reached".into(),
        )));
    }
    let v = match ocsp::verify_authentic(der, cert, issuer, nonce, false) {
        Ok(v) => v,
        Err(OcspError::CertIdMismatch) => return None,
        Err(e) => {
            d.note(format!(
                "an OCSP response ({origin}) for '{}' was not used: {e}",
                subject(cert)
            ));
            return None;
        }
    };
    if let Err(why) = ocsp_usable(ctx, &v, cert) {
        d.note(format!(
            "an OCSP response ({origin}) for '{}' was not used: {why}",
            subject(cert)
        ));
        return None;
    }
    let r = apply_ocsp(ctx, d, &v, der, depth, level);
    if r.is_none() {
        d.note(format!(
            "the OCSP responder ({origin}) answered 'unknown' for '{}'",
            subject(cert)
        ));
    }
    r
}

/// Revocation of `cert` (at `depth`, issued by `issuer`) in a detailed validation: embedded
/// CRLs, embedded OCSP, fetched OCSP, fetched CRLs, in that order.
pub(crate) fn check(
    ctx: &Ctx<'_>,
    d: &Detail<'_>,
    cert: &Certificate,
    issuer: &Certificate,
    depth: usize,
    level: usize,
) -> Result<(), PathError> {
    // CRLs already at hand (embedded, and fetched for an earlier certificate or path).
    let m = d.mark();
    match crl::check(ctx, cert, issuer, depth, level) {
        Err(PathError::RevocationUnknown { .. }) => d.rollback(m),
        other => return other,
    }
    for item in d.input.ocsp.iter().take(MAX_OCSP_PER_CERT) {
        if !mentions_serial(&item.basic, cert) {
            continue;
        }
        if let Some(r) = try_ocsp(
            ctx, d, &item.der, None, cert, issuer, depth, level, "embedded",
        ) {
            return r;
        }
    }
    let Some(fetcher) = d.input.fetcher else {
        return Err(PathError::RevocationUnknown { depth });
    };
    if fetch::ocsp_urls(cert).is_empty() && fetch::crl_urls(cert).is_empty() {
        d.note(format!(
            "'{}' names neither an HTTP OCSP responder nor an HTTP CRL distribution point, so nothing could be fetched",
            subject(cert)
        ));
    }
    if let Some(r) = fetch_ocsp(ctx, d, fetcher, cert, issuer, depth, level) {
        return r;
    }
    if fetch_crls(ctx, d, fetcher, cert) {
        let m = d.mark();
        match crl::check(ctx, cert, issuer, depth, level) {
            Err(PathError::RevocationUnknown { .. }) => {
                d.rollback(m);
                d.note(format!(
                    "the CRLs fetched for '{}' do not settle its status at {}",
                    subject(cert),
                    ctx.opts.at
                ));
            }
            other => return other,
        }
    }
    Err(PathError::RevocationUnknown { depth })
}

fn fetch_ocsp(
    ctx: &Ctx<'_>,
    d: &Detail<'_>,
    fetcher: &RevocationFetcher,
    cert: &Certificate,
    issuer: &Certificate,
    depth: usize,
    level: usize,
) -> Option<Result<(), PathError>> {
    let urls = fetch::ocsp_urls(cert);
    for url in urls.iter().take(4) {
        let key = format!("{url} {}", cert_key(cert, issuer));
        let known = d.ocsp_tried.borrow().get(&key).cloned();
        let answer = match known {
            Some(Some(a)) => a,
            Some(None) => continue,
            None => {
                if !d.take_fetch() {
                    d.fetch_failed(format!(
                        "OCSP for '{}' from {url}: not tried, the limit of {MAX_FETCHES} fetches per validation was reached",
                        subject(cert)
                    ));
                    continue;
                }
                match fetcher.fetch_ocsp(url, cert, issuer, ctx.opts.at) {
                    Ok(f) => {
                        let a = FetchedOcspAnswer {
                            der: f.der,
                            nonce: f.nonce,
                        };
                        // Authentic answers are cached for later validations and offline use.
                        if !f.from_cache
                            && ocsp::verify_authentic(
                                &a.der,
                                cert,
                                issuer,
                                a.nonce.as_deref(),
                                false,
                            )
                            .is_ok()
                        {
                            let _ = fetcher.insert_ocsp(url, cert, issuer, a.der.clone());
                        }
                        d.ocsp_tried.borrow_mut().insert(key, Some(a.clone()));
                        a
                    }
                    Err(e) => {
                        d.fetch_failed(format!("OCSP for '{}': {e}", subject(cert)));
                        d.ocsp_tried.borrow_mut().insert(key, None);
                        continue;
                    }
                }
            }
        };
        let origin = format!("from {url}");
        if let Some(r) = try_ocsp(
            ctx,
            d,
            &answer.der,
            answer.nonce.as_deref(),
            cert,
            issuer,
            depth,
            level,
            &origin,
        ) {
            return Some(r);
        }
    }
    None
}

/// Fetches the CRLs of `cert`'s HTTP distribution points into the pool; true when at least one
/// new CRL was added.
fn fetch_crls(
    ctx: &Ctx<'_>,
    d: &Detail<'_>,
    fetcher: &RevocationFetcher,
    cert: &Certificate,
) -> bool {
    let urls = fetch::crl_urls(cert);
    let mut added = false;
    for url in urls.iter().take(4) {
        if !d.crl_tried.borrow_mut().insert(url.clone()) {
            continue;
        }
        if !d.take_fetch() {
            d.fetch_failed(format!(
                "CRL for '{}' from {url}: not tried, the limit of {MAX_FETCHES} fetches per validation was reached",
                subject(cert)
            ));
            continue;
        }
        let r = fetcher.fetch_crl_der(url, ctx.opts.at).and_then(|der| {
            CertificateList::from_der(&der)
                .map(|crl| FetchedCrl { crl, der })
                .map_err(|e| fetch::FetchError::BadCrl {
                    url: url.clone(),
                    msg: e.to_string(),
                })
        });
        match r {
            Ok(f) => {
                let mut pool = d.fetched_crls.borrow_mut();
                if !pool.iter().any(|x| x.der == f.der) {
                    pool.push(Rc::new(f));
                    added = true;
                }
            }
            Err(e) => d.fetch_failed(format!("CRL for '{}': {e}", subject(cert))),
        }
    }
    added
}
