//! Scratch objects of resumable jobs (`work/<job>/<part>`): intermediate results a job may
//! lose without harm, kept so a rerun after a crash skips what was already done. Nothing
//! refers to them once the job has committed its result, and the audit ignores them.

use crate::record::check_name;
use crate::{Result, Store, StoreError};
use bytes::Bytes;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutPayload};

fn part_path(job: &str, part: &str) -> Result<Path> {
    check_name("job", job)?;
    check_name("part", part)?;
    Ok(Path::from(format!("work/{job}/{part}")))
}

impl Store {
    /// Writes (or overwrites) one part of a job's intermediate results.
    pub async fn put_work(&self, job: &str, part: &str, bytes: Bytes) -> Result<()> {
        let key = part_path(job, part)?;
        self.inner
            .put(&key, PutPayload::from(bytes))
            .await
            .map_err(|e| StoreError::backend("write", &key, e))?;
        Ok(())
    }

    /// One part, or `None` if it was never written.
    pub async fn get_work(&self, job: &str, part: &str) -> Result<Option<Bytes>> {
        let key = part_path(job, part)?;
        match self.inner.get(&key).await {
            Ok(got) => Ok(Some(
                got.bytes()
                    .await
                    .map_err(|e| StoreError::backend("read", &key, e))?,
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(StoreError::backend("read", &key, e)),
        }
    }

    /// Deletes every part of a job (after its result is committed). Best effort per part.
    pub async fn delete_work(&self, job: &str) -> Result<()> {
        check_name("job", job)?;
        let prefix = Path::from(format!("work/{job}"));
        let keys: Vec<Path> = self
            .inner
            .list(Some(&prefix))
            .map_ok(|m| m.location)
            .try_collect()
            .await
            .map_err(|e| StoreError::backend("list", &prefix, e))?;
        for k in keys {
            let _ = self.inner.delete(&k).await;
        }
        Ok(())
    }
}
