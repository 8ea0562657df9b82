//! Certificate policy processing: the valid_policy_tree of RFC 5280 §6.1.2 (a), §6.1.3 (d)-(f),
//! §6.1.4 (a), (b), (h)-(j) and §6.1.5 (a), (b), (g). The tree is bounded in size.

use const_oid::ObjectIdentifier as Oid;
use x509_cert::ext::pkix::{CertificatePolicies, PolicyConstraints, PolicyMappings};

use crate::oids::ANY_POLICY;
use crate::PathError;

/// Most nodes the tree may hold; beyond it the path is refused as unsupported.
const MAX_NODES: usize = 4_096;
/// Most policies or mappings one certificate may list (real ones list a handful).
const MAX_PER_CERT: usize = 256;

fn too_many() -> PathError {
    PathError::Unsupported("a certificate lists too many policies or policy mappings".into())
}

struct Node {
    depth: usize,
    policy: Oid,
    expected: Vec<Oid>,
    parent: Option<usize>,
    alive: bool,
}

/// State variables for policies, over a path of `n` certificates.
pub(crate) struct PolicyState {
    nodes: Vec<Node>,
    null: bool,
    pub(crate) explicit_policy: usize,
    pub(crate) policy_mapping: usize,
    pub(crate) inhibit_any: usize,
    n: usize,
}

impl PolicyState {
    pub(crate) fn new(n: usize, explicit: bool, inhibit_map: bool, inhibit_any: bool) -> Self {
        let v = |flag: bool| if flag { 0 } else { n + 1 };
        PolicyState {
            nodes: vec![Node {
                depth: 0,
                policy: ANY_POLICY,
                expected: vec![ANY_POLICY],
                parent: None,
                alive: true,
            }],
            null: false,
            explicit_policy: v(explicit),
            policy_mapping: v(inhibit_map),
            inhibit_any: v(inhibit_any),
            n,
        }
    }

    fn at(&self, depth: usize) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].alive && self.nodes[i].depth == depth)
            .collect()
    }

    fn push(
        &mut self,
        depth: usize,
        policy: Oid,
        expected: Vec<Oid>,
        parent: usize,
    ) -> Result<(), PathError> {
        if self.nodes.len() >= MAX_NODES {
            return Err(PathError::Unsupported(
                "certificate policy tree too large".into(),
            ));
        }
        self.nodes.push(Node {
            depth,
            policy,
            expected,
            parent: Some(parent),
            alive: true,
        });
        Ok(())
    }

    fn has_child(&self, idx: usize) -> bool {
        self.nodes.iter().any(|c| c.alive && c.parent == Some(idx))
    }

    /// Removes nodes above `depth` that have no children, bottom-up; an empty tree is NULL.
    fn prune(&mut self, depth: usize) {
        for d in (0..depth).rev() {
            for i in self.at(d) {
                if !self.has_child(i) {
                    self.nodes[i].alive = false;
                }
            }
        }
        self.propagate_deaths();
        if self.at(0).is_empty() {
            self.null = true;
        }
    }

    /// A node whose parent was deleted is deleted too (parents always precede children).
    fn propagate_deaths(&mut self) {
        for i in 0..self.nodes.len() {
            if let Some(p) = self.nodes[i].parent {
                if !self.nodes[p].alive {
                    self.nodes[i].alive = false;
                }
            }
        }
    }

    /// §6.1.3 (d)-(f) for certificate `i` (1-based from the anchor).
    pub(crate) fn process(
        &mut self,
        i: usize,
        policies: Option<&CertificatePolicies>,
        self_issued: bool,
    ) -> Result<(), PathError> {
        match policies {
            Some(cp) if cp.0.len() > MAX_PER_CERT => return Err(too_many()),
            Some(cp) if !self.null => {
                let parents = self.at(i - 1);
                let mut any_info = false;
                for pi in &cp.0 {
                    let p = pi.policy_identifier;
                    if p == ANY_POLICY {
                        any_info = true;
                        continue;
                    }
                    let matched: Vec<usize> = parents
                        .iter()
                        .copied()
                        .filter(|&q| self.nodes[q].expected.contains(&p))
                        .collect();
                    let targets = if matched.is_empty() {
                        parents
                            .iter()
                            .copied()
                            .filter(|&q| self.nodes[q].policy == ANY_POLICY)
                            .collect()
                    } else {
                        matched
                    };
                    for q in targets {
                        self.push(i, p, vec![p], q)?;
                    }
                }
                if any_info && (self.inhibit_any > 0 || (i < self.n && self_issued)) {
                    for q in parents {
                        let expected = self.nodes[q].expected.clone();
                        for e in expected {
                            let exists = self
                                .nodes
                                .iter()
                                .any(|c| c.alive && c.parent == Some(q) && c.policy == e);
                            if !exists {
                                self.push(i, e, vec![e], q)?;
                            }
                        }
                    }
                }
                self.prune(i);
            }
            Some(_) => {}
            None => self.null = true,
        }
        if self.explicit_policy == 0 && self.null {
            return Err(PathError::Policy);
        }
        Ok(())
    }

    /// §6.1.4 (a), (b), (h)-(j) after certificate `i` (not the last).
    pub(crate) fn prepare(
        &mut self,
        i: usize,
        mappings: Option<&PolicyMappings>,
        constraints: Option<&PolicyConstraints>,
        inhibit_any: Option<u32>,
        self_issued: bool,
    ) -> Result<(), PathError> {
        if let Some(m) = mappings {
            if m.0.len() > MAX_PER_CERT {
                return Err(too_many());
            }
            if m.0.iter().any(|x| {
                x.issuer_domain_policy == ANY_POLICY || x.subject_domain_policy == ANY_POLICY
            }) {
                return Err(PathError::Policy);
            }
            if !self.null {
                let mut issuers: Vec<Oid> = m.0.iter().map(|x| x.issuer_domain_policy).collect();
                issuers.sort();
                issuers.dedup();
                for p in issuers {
                    let subjects: Vec<Oid> =
                        m.0.iter()
                            .filter(|x| x.issuer_domain_policy == p)
                            .map(|x| x.subject_domain_policy)
                            .collect();
                    let here = self.at(i);
                    let with_p: Vec<usize> = here
                        .iter()
                        .copied()
                        .filter(|&q| self.nodes[q].policy == p)
                        .collect();
                    if self.policy_mapping > 0 {
                        if !with_p.is_empty() {
                            for q in with_p {
                                self.nodes[q].expected = subjects.clone();
                            }
                        } else if let Some(&a) =
                            here.iter().find(|&&q| self.nodes[q].policy == ANY_POLICY)
                        {
                            if let Some(parent) = self.nodes[a].parent {
                                self.push(i, p, subjects.clone(), parent)?;
                            }
                        }
                    } else {
                        for q in with_p {
                            self.nodes[q].alive = false;
                        }
                    }
                }
                if self.policy_mapping == 0 {
                    self.prune(i);
                }
            }
        }
        if !self_issued {
            self.explicit_policy = self.explicit_policy.saturating_sub(1);
            self.policy_mapping = self.policy_mapping.saturating_sub(1);
            self.inhibit_any = self.inhibit_any.saturating_sub(1);
        }
        if let Some(pc) = constraints {
            if let Some(r) = pc.require_explicit_policy {
                self.explicit_policy = self.explicit_policy.min(r as usize);
            }
            if let Some(r) = pc.inhibit_policy_mapping {
                self.policy_mapping = self.policy_mapping.min(r as usize);
            }
        }
        if let Some(r) = inhibit_any {
            self.inhibit_any = self.inhibit_any.min(r as usize);
        }
        Ok(())
    }

    /// §6.1.5 (a), (b), (g): final explicit-policy check against the user's initial set.
    pub(crate) fn wrap_up(
        &mut self,
        constraints: Option<&PolicyConstraints>,
        user_set: &[Oid],
    ) -> Result<(), PathError> {
        self.explicit_policy = self.explicit_policy.saturating_sub(1);
        if constraints.and_then(|c| c.require_explicit_policy) == Some(0) {
            self.explicit_policy = 0;
        }
        if !self.null && !user_set.contains(&ANY_POLICY) {
            let n = self.n;
            let set: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| {
                    self.nodes[i].alive
                        && self.nodes[i]
                            .parent
                            .is_some_and(|p| self.nodes[p].policy == ANY_POLICY)
                })
                .collect();
            let mut present: Vec<Oid> = Vec::new();
            for &q in &set {
                let p = self.nodes[q].policy;
                if p != ANY_POLICY && !user_set.contains(&p) {
                    self.nodes[q].alive = false;
                } else {
                    present.push(p);
                }
            }
            self.propagate_deaths();
            if let Some(&leaf) = self
                .at(n)
                .iter()
                .find(|&&q| self.nodes[q].policy == ANY_POLICY)
            {
                if let Some(parent) = self.nodes[leaf].parent {
                    for &p in user_set {
                        if !present.contains(&p) {
                            self.push(n, p, vec![p], parent)?;
                        }
                    }
                }
                self.nodes[leaf].alive = false;
            }
            self.prune(n);
            if self.at(n).is_empty() {
                self.null = true;
            }
        }
        if self.explicit_policy == 0 && self.null {
            return Err(PathError::Policy);
        }
        Ok(())
    }
}
