//! Who runs a job: a holder id naming the host and process, so a lease left behind by a
//! process that was killed on this host can be taken over at once instead of waiting for it to
//! expire (a rerun after a crash must complete, DESIGN §4).

use stele_store::{LeaseOutcome, Store, StoreError};
use time::OffsetDateTime;

/// `<host>/<pid>/<nonce>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobHolder(String);

impl JobHolder {
    /// This process on this host.
    pub fn this_process() -> Self {
        let nonce: u64 = {
            let t = OffsetDateTime::now_utc().unix_timestamp_nanos();
            (t as u64) ^ u64::from(std::process::id()).rotate_left(32)
        };
        JobHolder(format!(
            "{}/{}/{nonce:016x}",
            host_name(),
            std::process::id()
        ))
    }

    /// A holder with an explicit id (tests, and nodes that name themselves).
    pub fn named(id: impl Into<String>) -> Self {
        JobHolder(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `other` names a process on this host that no longer runs.
    fn is_gone_local(other: &str) -> bool {
        let mut parts = other.split('/');
        let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
            return false;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            return false;
        };
        host == host_name()
            && pid != std::process::id()
            && std::path::Path::new("/proc/self").exists()
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().replace('/', "_"))
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Takes the lease `name`, taking it over when its holder is a dead process on this host.
pub async fn acquire_job_lease(
    store: &Store,
    name: &str,
    holder: &JobHolder,
    ttl: time::Duration,
    now: OffsetDateTime,
) -> Result<LeaseOutcome, StoreError> {
    match store.acquire_lease(name, holder.as_str(), ttl, now).await? {
        LeaseOutcome::Held { holder: other, .. } if JobHolder::is_gone_local(&other) => {
            store
                .take_over_lease(name, &other, holder.as_str(), ttl, now)
                .await
        }
        outcome => Ok(outcome),
    }
}
