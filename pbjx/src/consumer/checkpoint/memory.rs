//! [`MemoryCheckpointStore`]: the executable specification of [`CheckpointStore`].

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use super::{CheckpointStore, Lease, expiry};
use crate::consumer::now_millis;
use crate::error::Result;

/// Leases and checkpoints in this process's memory (tests, single-process setups that
/// re-read from the start after a restart anyway).
///
/// ```
/// use std::time::Duration;
/// use pbjx::consumer::{CheckpointStore, MemoryCheckpointStore};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryCheckpointStore::default();
/// let ttl = Duration::from_secs(10);
/// assert!(store.acquire("app/orders", "shard-0", "a", ttl).await?.is_some());
/// assert!(store.acquire("app/orders", "shard-0", "b", ttl).await?.is_none());
/// assert!(store.checkpoint("app/orders", "shard-0", "a", "42", false, ttl).await?);
/// store.release("app/orders", "shard-0", "a").await?;
/// let lease = store.acquire("app/orders", "shard-0", "b", ttl).await?.unwrap();
/// assert_eq!(lease.checkpoint.as_deref(), Some("42"));
/// # Ok::<(), pbjx::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Default)]
pub struct MemoryCheckpointStore {
    leases: Mutex<BTreeMap<(String, String), Lease>>,
}

impl MemoryCheckpointStore {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<(String, String), Lease>) -> T) -> T {
        f(&mut self.leases.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

#[async_trait::async_trait]
impl CheckpointStore for MemoryCheckpointStore {
    fn name(&self) -> &str {
        "memory"
    }

    async fn create_storage(&self) -> Result<()> {
        Ok(())
    }

    async fn leases(&self, group: &str) -> Result<Vec<Lease>> {
        Ok(self.with(|leases| {
            leases
                .iter()
                .filter(|((g, _), _)| g == group)
                .map(|(_, lease)| lease.clone())
                .collect()
        }))
    }

    async fn acquire(
        &self,
        group: &str,
        shard: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>> {
        let now = now_millis();
        Ok(self.with(|leases| {
            let lease = leases
                .entry((group.to_owned(), shard.to_owned()))
                .or_insert_with(|| Lease {
                    shard: shard.to_owned(),
                    owner: None,
                    expires_at_ms: 0,
                    checkpoint: None,
                    finished: false,
                });
            if lease.held_by_other(owner, now) {
                return None;
            }
            lease.owner = Some(owner.to_owned());
            lease.expires_at_ms = expiry(now, ttl);
            Some(lease.clone())
        }))
    }

    async fn checkpoint(
        &self,
        group: &str,
        shard: &str,
        owner: &str,
        checkpoint: &str,
        finished: bool,
        ttl: Duration,
    ) -> Result<bool> {
        let now = now_millis();
        Ok(self.with(
            |leases| match leases.get_mut(&(group.to_owned(), shard.to_owned())) {
                Some(lease) if lease.owner.as_deref() == Some(owner) => {
                    lease.checkpoint = Some(checkpoint.to_owned());
                    lease.finished = finished;
                    lease.expires_at_ms = expiry(now, ttl);
                    true
                }
                _ => false,
            },
        ))
    }

    async fn release(&self, group: &str, shard: &str, owner: &str) -> Result<()> {
        self.with(|leases| {
            if let Some(lease) = leases.get_mut(&(group.to_owned(), shard.to_owned()))
                && lease.owner.as_deref() == Some(owner)
            {
                lease.owner = None;
                lease.expires_at_ms = 0;
            }
        });
        Ok(())
    }
}
