//! [`CheckpointStore`]: per-shard progress and leases of consumer groups.

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
mod memory;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use memory::MemoryCheckpointStore;

use std::time::Duration;

use crate::error::Result;

/// The state of one shard of a consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The shard (or `global` for a single-cursor source such as the SQLite outbox).
    pub shard: String,
    /// Who holds the lease (`None`: free).
    pub owner: Option<String>,
    /// When the lease expires, in milliseconds since the Unix epoch.
    pub expires_at_ms: u64,
    /// The last checkpointed position (a sequence number), if any.
    pub checkpoint: Option<String>,
    /// Whether the shard was read to its end (a closed shard after a reshard).
    pub finished: bool,
}

impl Lease {
    /// Whether someone other than `owner` holds an unexpired lease at `now_ms`.
    pub fn held_by_other(&self, owner: &str, now_ms: u64) -> bool {
        self.owner.as_deref().is_some_and(|o| o != owner) && self.expires_at_ms >= now_ms
    }
}

/// Where consumers keep their progress and leases, per group (a consumer application reading
/// one stream, e.g. `billing/orders`) and shard. Semantics (checked by
/// `pbjx::testkit::checkpoint::run`):
///
/// - [`Self::acquire`] takes the lease when it is free, expired or already the owner's (then it
///   renews it) and returns the lease with its checkpoint; it returns `None` while another
///   owner's lease is valid. Leases expire by the wall clock (keep consumers' clocks in sync
///   well within the lease time).
/// - [`Self::checkpoint`] records progress and renews the lease only while `owner` still holds
///   it (`false` otherwise: the shard was taken over; stop reading it).
/// - [`Self::release`] frees the lease and keeps the checkpoint.
#[async_trait::async_trait]
pub trait CheckpointStore: Send + Sync + 'static {
    /// The backend's name, e.g. `sqlite`.
    fn name(&self) -> &str;
    /// Creates the table(s) if missing.
    async fn create_storage(&self) -> Result<()>;
    /// Every lease of the group, by shard.
    async fn leases(&self, group: &str) -> Result<Vec<Lease>>;
    /// Takes or renews the lease of `shard` for `owner` until now + `ttl`.
    async fn acquire(
        &self,
        group: &str,
        shard: &str,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<Lease>>;
    /// Records `checkpoint` (and `finished`) and renews the lease, if `owner` holds it.
    async fn checkpoint(
        &self,
        group: &str,
        shard: &str,
        owner: &str,
        checkpoint: &str,
        finished: bool,
        ttl: Duration,
    ) -> Result<bool>;
    /// Frees the lease of `owner` (the checkpoint stays).
    async fn release(&self, group: &str, shard: &str, owner: &str) -> Result<()>;
}

/// `ttl` in milliseconds after `now_ms`.
pub(crate) fn expiry(now_ms: u64, ttl: Duration) -> u64 {
    now_ms.saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX))
}
