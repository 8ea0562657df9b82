//! Leases for jobs that must run once at a time (renewal), built from create-only writes.
//!
//! A lease is a sequence of generations `leases/<name>/<g>` (g zero-padded to 20 digits); the
//! highest one says who holds the lease and until when. Taking, renewing or releasing it means
//! creating generation g+1 with a create-only put, so of any number of nodes that saw the same
//! generation exactly one succeeds. This needs only `PutMode::Create`, which every backend here
//! supports; the compare-and-swap alternative (one object updated with `If-Match`) would fail
//! on object_store's local file system, which does not implement `PutMode::Update`.
//!
//! Old generations are deleted once two newer ones exist. A writer working from a stale listing
//! could then recreate a deleted generation below the highest, so after each create the lease
//! is listed again and the write counts only if it is still the highest.
//!
//! Time is never read here: callers pass `now` (the archive's clock), so tests can step through
//! expiry and take-over.

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::ObjectStoreExt;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::record::check_name;
use crate::{Creation, Result, Store, StoreError};

/// Rounds of read-decide-create before giving up under heavy contention.
const ATTEMPTS: u32 = 8;

/// A lease this node holds. Keep it to renew or release; it is only as good as `until`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    pub until: OffsetDateTime,
    pub generation: u64,
}

/// The answer to a request for a lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseOutcome {
    Acquired(Lease),
    /// Someone else holds it (for renewals: the lease was lost to them).
    Held {
        holder: String,
        until: OffsetDateTime,
    },
}

/// One generation's content.
#[derive(Serialize, Deserialize)]
struct State {
    holder: String,
    #[serde(with = "time::serde::rfc3339")]
    until: OffsetDateTime,
    released: bool,
}

fn dir(name: &str) -> Path {
    Path::from(format!("leases/{name}"))
}

fn generation_path(name: &str, generation: u64) -> Path {
    Path::from(format!("leases/{name}/{generation:020}"))
}

impl Store {
    /// Takes the lease `name` for `holder` until `now + ttl`, unless another holder's lease is
    /// live at `now`. An expired or released lease is taken over. A live lease is `Held` even
    /// when `holder` is the same string: give every process its own holder id.
    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<LeaseOutcome> {
        check_name("lease name", name)?;
        for _ in 0..ATTEMPTS {
            let current = self.current_generation(name).await?;
            let next = match &current {
                Some((_, s)) if !s.released && now < s.until => {
                    return Ok(LeaseOutcome::Held {
                        holder: s.holder.clone(),
                        until: s.until,
                    });
                }
                Some((g, _)) => g + 1,
                None => 1,
            };
            if let Some(lease) = self
                .write_generation(name, next, holder, now + ttl, false)
                .await?
            {
                return Ok(LeaseOutcome::Acquired(lease));
            }
        }
        Err(StoreError::LeaseContention {
            name: name.to_string(),
            attempts: ATTEMPTS,
        })
    }

    /// Extends a lease this node holds to `now + ttl`. `Held` means it was lost: another holder
    /// took it over after it expired, and the job must stop.
    pub async fn renew_lease(
        &self,
        lease: &Lease,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<LeaseOutcome> {
        for _ in 0..ATTEMPTS {
            match self.current_generation(&lease.name).await? {
                Some((g, s))
                    if g == lease.generation && s.holder == lease.holder && !s.released =>
                {
                    let next = self
                        .write_generation(&lease.name, g + 1, &lease.holder, now + ttl, false)
                        .await?;
                    if let Some(renewed) = next {
                        return Ok(LeaseOutcome::Acquired(renewed));
                    }
                }
                Some((_, s)) => {
                    return Ok(LeaseOutcome::Held {
                        holder: s.holder,
                        until: s.until,
                    })
                }
                None => {
                    return Err(StoreError::NotFound {
                        key: dir(&lease.name).to_string(),
                    })
                }
            }
        }
        Err(StoreError::LeaseContention {
            name: lease.name.clone(),
            attempts: ATTEMPTS,
        })
    }

    /// Takes over a live lease whose holder is known to be gone (the caller established it,
    /// e.g. a process on this host that no longer runs). Only succeeds while `gone_holder` is
    /// still the current holder, so two nodes cannot both take it over.
    pub async fn take_over_lease(
        &self,
        name: &str,
        gone_holder: &str,
        holder: &str,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<LeaseOutcome> {
        check_name("lease name", name)?;
        match self.current_generation(name).await? {
            Some((g, s)) if s.holder == gone_holder || s.released || now >= s.until => {
                match self
                    .write_generation(name, g + 1, holder, now + ttl, false)
                    .await?
                {
                    Some(lease) => Ok(LeaseOutcome::Acquired(lease)),
                    None => self.acquire_lease(name, holder, ttl, now).await,
                }
            }
            Some((_, s)) => Ok(LeaseOutcome::Held {
                holder: s.holder,
                until: s.until,
            }),
            None => self.acquire_lease(name, holder, ttl, now).await,
        }
    }

    /// Gives a lease up so others need not wait for it to expire. Returns false when it was no
    /// longer this node's to release.
    pub async fn release_lease(&self, lease: &Lease) -> Result<bool> {
        match self.current_generation(&lease.name).await? {
            Some((g, s)) if g == lease.generation && s.holder == lease.holder && !s.released => {
                Ok(self
                    .write_generation(&lease.name, g + 1, &lease.holder, s.until, true)
                    .await?
                    .is_some())
            }
            _ => Ok(false),
        }
    }

    /// Creates generation `g`; `None` when another writer got there first or got further.
    async fn write_generation(
        &self,
        name: &str,
        g: u64,
        holder: &str,
        until: OffsetDateTime,
        released: bool,
    ) -> Result<Option<Lease>> {
        let state = State {
            holder: holder.to_string(),
            until,
            released,
        };
        let bytes = Bytes::from(serde_json::to_vec(&state).expect("serializable"));
        let path = generation_path(name, g);
        if let Creation::AlreadyExists(_) = self.create_only(&path, bytes).await? {
            return Ok(None);
        }
        let generations = self.generations(name).await?;
        if generations.last() != Some(&g) {
            // Recreated a collected generation from a stale view: not the lease. Undo it.
            let _ = self.inner.delete(&path).await;
            return Ok(None);
        }
        for old in generations.iter().filter(|&&old| old + 2 <= g) {
            let _ = self.inner.delete(&generation_path(name, *old)).await; // best effort
        }
        Ok(Some(Lease {
            name: name.to_string(),
            holder: holder.to_string(),
            until,
            generation: g,
        }))
    }

    /// Generations present, ascending.
    async fn generations(&self, name: &str) -> Result<Vec<u64>> {
        let prefix = dir(name);
        let mut gens: Vec<u64> = self
            .inner
            .list(Some(&prefix))
            .map_err(|e| StoreError::backend("list", &prefix, e))
            .try_filter_map(|meta| async move {
                Ok(meta.location.filename().and_then(|f| f.parse::<u64>().ok()))
            })
            .try_collect()
            .await?;
        gens.sort_unstable();
        Ok(gens)
    }

    /// The highest generation and its state, if the lease was ever taken.
    async fn current_generation(&self, name: &str) -> Result<Option<(u64, State)>> {
        for _ in 0..ATTEMPTS {
            let Some(&g) = self.generations(name).await?.last() else {
                return Ok(None);
            };
            let path = generation_path(name, g);
            match self.get_bytes(&path).await {
                Ok(bytes) => {
                    let state =
                        serde_json::from_slice(&bytes).map_err(|e| StoreError::Malformed {
                            key: path.to_string(),
                            reason: e.to_string(),
                        })?;
                    return Ok(Some((g, state)));
                }
                // Collected between listing and reading: a newer generation exists; look again.
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::LeaseContention {
            name: name.to_string(),
            attempts: ATTEMPTS,
        })
    }
}
