//! X.509 certification path validation at a point in time (RFC 5280 §6.1 core, CRLs per §6.3,
//! OCSP per RFC 6960).
//!
//! **Why not `certval`.** `certval` (carl-wallace/rust-pki) covers RFC 5280 path building and
//! validation, CRL/OCSP revocation and PKITS, and its API can validate at an injected time with
//! supplied CRLs. But its only published release, 0.2.0-rc.1, is a release candidate built on
//! der 0.8 / x509-cert 0.3, so it cannot share the workspace's der 0.7.10 / x509-cert 0.2.5
//! (a second `der` and duplicate certificate types at every boundary, which the workspace
//! forbids); no der-0.7 release exists. Its defaults also pull in reqwest and webpki-roots.
//! The core of §6.1 plus CRL and OCSP checking is a few hundred lines on x509-cert, which we own, keep bounded against hostile input, and test with
//! PKITS; so Stele writes its own validator here and keeps the door open to certval later.
//!
//! **What is covered.** Path building by issuer name (AKI/SKI as ordering hint; depth ≤ 10,
//! ≤ 8 issuer candidates per step, ≤ 32 paths, ≤ 5 000 signature checks per call); RFC 5280
//! §6.1 basic checks, basicConstraints/pathLen, keyUsage, unknown critical extensions, the
//! certificate-policy tree (explicit policy, mapping and anyPolicy inhibition), name
//! constraints (directoryName, rfc822Name incl. emailAddress in the DN, dNSName, URI,
//! iPAddress); CRLs (§6.3): direct and indirect (cRLIssuer, certificateIssuer), issuing
//! distribution points, reason partitions, CRL signers with their own validated path, delta
//! CRLs. Signatures: RSA PKCS#1 v1.5, RSA-PSS, ECDSA P-256/P-384 ([`crypto`]).
//!
//! **Two entry points.** [`PathValidator::validate`] is RFC 5280 with the CRLs given (what
//! PKITS exercises). [`PathValidator::validate_detailed`] adds OCSP (embedded responses, full
//! or bare BasicOCSPResponse; a delegated responder must be certified by the issuer for
//! id-kp-OCSPSigning), fetching through a [`fetch::RevocationFetcher`] when embedded material
//! does not settle a certificate (OCSP first, then CRL distribution points; order argued in
//! the `detail` module), the [`AlgorithmPolicy`] on every certificate signature at `opts.at`
//! ([`PathError::AlgorithmRetired`]), optional acceptance of evidence issued after `opts.at`
//! for historical validation, and a [`PathReport`]: the chain, the status used per
//! certificate (good, revoked after the time, revoked), every CRL, OCSP response and
//! certificate relied upon as DER, and why fetches failed. On PKITS both decide alike.
//!
//! **What is refused as [`PathError::Unsupported`].** DSA (and any other algorithm), name
//! forms other than the ones above when a constraint of that form applies, policy trees beyond
//! 4 096 nodes, exhausted work limits (OCSP verifications count against the same signature
//! budget; ≤ 16 fetches per detailed validation). Delegated OCSP responder certificates are not
//! themselves checked for revocation (id-pkix-ocsp-nocheck is not required). Trust anchors are
//! not checked for expiry (RFC 5280 semantics), except when the end entity itself is an anchor.
//!
//! Depth convention in errors: 0 is the end-entity certificate, counting up toward the anchor.

pub mod algorithm_policy;
mod anchors;
mod crl;
pub mod crypto;
mod detail;
mod ext;
pub mod fetch;
mod names;
pub mod ocsp;
mod oids;
mod path;
mod policy;
mod validate;

use const_oid::ObjectIdentifier;
use time::OffsetDateTime;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::CrlReason;
use x509_cert::Certificate;

pub use algorithm_policy::{
    Acceptability, Algorithm, AlgorithmPolicy, AlgorithmUse, SignatureVerdict,
};
pub use anchors::{TrustAnchor, TrustStore, TrustStoreError};
pub use crypto::SignatureError;
pub use detail::{
    CertRevocation, PathReport, RevocationInput, RevocationInputError, RevocationSource,
    RevocationState, ValidationMaterial, MAX_EMBEDDED_REVOCATION,
};

/// anyPolicy (2.5.29.32.0), the default initial policy set.
pub const ANY_POLICY: ObjectIdentifier = oids::ANY_POLICY;

/// Inputs of RFC 5280 §6.1.1 that a caller chooses. The time is always injected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationOptions {
    /// The moment at which the path must be valid (validity periods, CRL freshness, revocation).
    pub at: OffsetDateTime,
    /// user-initial-policy-set; `[anyPolicy]` accepts any policy.
    pub initial_policy_set: Vec<ObjectIdentifier>,
    /// initial-explicit-policy: the path must be valid for at least one policy of the set.
    pub initial_explicit_policy: bool,
    /// initial-policy-mapping-inhibit: policy mappings are not allowed.
    pub initial_policy_mapping_inhibit: bool,
    /// initial-any-policy-inhibit: anyPolicy in certificates is not honoured.
    pub initial_any_policy_inhibit: bool,
    /// When true, every certificate below the anchor needs a usable CRL saying it is not revoked.
    pub require_revocation: bool,
    /// use-deltas of RFC 5280 §6.3: apply delta CRLs on top of their complete CRLs.
    pub use_delta_crls: bool,
    /// Historical validation: a CRL or OCSP response issued at or after `at` (while the
    /// certificate was still within its validity period) also proves the status at `at`; a
    /// revocation dated after `at` is then a fact, not a failure. Off by default, which keeps
    /// RFC 5280 semantics (evidence must be current at `at`); material current at `at` is
    /// accepted either way.
    pub accept_revocation_issued_after: bool,
}

impl ValidationOptions {
    /// Defaults of RFC 5280 (anyPolicy, no flags), revocation checking required, deltas used.
    pub fn at(at: OffsetDateTime) -> Self {
        ValidationOptions {
            at,
            initial_policy_set: vec![oids::ANY_POLICY],
            initial_explicit_policy: false,
            initial_policy_mapping_inhibit: false,
            initial_any_policy_inhibit: false,
            require_revocation: true,
            use_delta_crls: true,
            accept_revocation_issued_after: false,
        }
    }
}

/// A path that validated: certificates from the end entity to the trust anchor's certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedPath {
    /// `chain[0]` is the end entity, the last element the anchor certificate.
    pub chain: Vec<Certificate>,
}

/// Why a certificate did not validate. Each message reads as a sentence for non-specialists.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("no chain of issuing certificates leads from this certificate to a trusted root")]
    NoPathToAnchor,
    #[error("the signature on the certificate at depth {depth} does not match its issuer's key, so it may have been forged or altered")]
    SignatureInvalid { depth: usize },
    #[error(
        "the certificate at depth {depth} had expired ({not_after}) at the time of validation"
    )]
    Expired {
        depth: usize,
        not_after: OffsetDateTime,
    },
    #[error("the certificate at depth {depth} was not yet valid (only from {not_before}) at the time of validation")]
    NotYetValid {
        depth: usize,
        not_before: OffsetDateTime,
    },
    #[error("the certificate at depth {depth} is used to issue certificates but is not marked as a certification authority")]
    NotACa { depth: usize },
    #[error("the chain is longer than an authority in it allows (path length constraint)")]
    PathLengthExceeded,
    #[error(
        "the certificate at depth {depth} is not allowed to be used for this purpose (key usage)"
    )]
    KeyUsage { depth: usize },
    #[error(
        "the issuer named in a certificate is not the subject of the next certificate in the chain"
    )]
    NameChaining,
    #[error("the certificate at depth {depth} carries a critical extension {oid} that must be understood but is not")]
    UnknownCriticalExtension { depth: usize, oid: String },
    #[error("the certificate at depth {depth} was revoked on {date}{}", reason.map(|r| format!(" (reason: {r:?})")).unwrap_or_default())]
    Revoked {
        depth: usize,
        date: OffsetDateTime,
        reason: Option<CrlReason>,
    },
    #[error("whether the certificate at depth {depth} was revoked cannot be determined: no usable, correctly signed revocation list or OCSP response covers it at the time of validation")]
    RevocationUnknown { depth: usize },
    #[error("the certificate at depth {depth} is signed with {algorithm}, which is considered too weak from {retired} on, before the time of validation; its signature no longer proves who issued it")]
    AlgorithmRetired {
        depth: usize,
        algorithm: String,
        retired: OffsetDateTime,
    },
    #[error("the certificate at depth {depth} names a subject outside the names its issuing authority may certify (name constraints)")]
    NameConstraints { depth: usize },
    #[error("the chain is not valid for any acceptable certificate policy")]
    Policy,
    #[error("the certificate at depth {depth} is malformed: {what}")]
    Malformed { depth: usize, what: String },
    #[error("the chain uses a feature this validator does not support ({0}); it was not accepted")]
    Unsupported(String),
}

/// Outcome of a validation: the path, or the reason it failed.
pub type PathValidation = Result<ValidatedPath, PathError>;

/// Validates certificate paths against a trust store.
#[derive(Clone, Debug)]
pub struct PathValidator {
    store: TrustStore,
}

impl PathValidator {
    /// A validator trusting exactly the anchors in `store`.
    pub fn new(store: TrustStore) -> Self {
        PathValidator { store }
    }

    /// The trust store in use.
    pub fn trust_store(&self) -> &TrustStore {
        &self.store
    }

    /// Builds paths from `end_entity` through `intermediates` to an anchor and validates them
    /// at `opts.at` using `crls`. The first path that validates wins; otherwise the failure of
    /// the first path tried is returned. Work is bounded (depth, candidates, recursion).
    pub fn validate(
        &self,
        end_entity: &Certificate,
        intermediates: &[Certificate],
        crls: &[CertificateList],
        opts: &ValidationOptions,
    ) -> PathValidation {
        let budget = std::cell::Cell::new(validate::MAX_SIGNATURE_CHECKS);
        let ctx = validate::Ctx {
            anchors: self.store.anchors(),
            intermediates,
            crls,
            opts,
            budget: &budget,
            detail: None,
            policy: None,
        };
        validate::validate_at_level(&ctx, end_entity, 0)
    }

    /// Like [`Self::validate`], with revocation from CRLs and OCSP responses (embedded in
    /// `revocation`, then fetched by its fetcher if it has one), every certificate signature of
    /// every path judged by `policy` at `opts.at`, and a report of everything the decision
    /// relied upon. For historical validation at a signature's best signature time, set
    /// `opts.at` to that time and usually `opts.accept_revocation_issued_after`.
    pub fn validate_detailed(
        &self,
        end_entity: &Certificate,
        intermediates: &[Certificate],
        revocation: &RevocationInput<'_>,
        opts: &ValidationOptions,
        policy: Option<&AlgorithmPolicy>,
    ) -> PathReport {
        let budget = std::cell::Cell::new(validate::MAX_SIGNATURE_CHECKS);
        let detail = detail::Detail::new(revocation);
        let ctx = validate::Ctx {
            anchors: self.store.anchors(),
            intermediates,
            crls: revocation.crls(),
            opts,
            budget: &budget,
            detail: Some(&detail),
            policy,
        };
        let outcome = validate::validate_at_level(&ctx, end_entity, 0);
        detail.into_report(outcome)
    }
}
