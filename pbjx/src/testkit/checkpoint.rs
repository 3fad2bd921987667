//! The conformance suite for [`CheckpointStore`] backends.
//!
//! ```ignore
//! // pbjx/tests/integration/consumer_<backend>.rs
//! pbjx::testkit::checkpoint::run_all(&my_store).await;
//! ```
//!
//! Semantics pinned down (the [`crate::consumer::checkpoint`] docs state them): a free shard
//! is taken with no checkpoint; a valid lease of another owner is not taken; the owner renews
//! its own lease; checkpoints are written only by the owner and kept across releases and
//! take-overs; an expired lease is taken over and the old owner's checkpoints are refused; the
//! `finished` flag is kept; `leases` lists a group's shards and nothing of other groups.
//! Each run uses its own group names, so the suite can run against a shared table.

use std::time::Duration;

use crate::consumer::CheckpointStore;

/// Runs every check against `store` (its storage must exist); panics on the first violation.
pub async fn run_all(store: &dyn CheckpointStore) {
    let group = format!("conformance-{:012x}", fastrand::u64(..) >> 16);
    let other_group = format!("{group}-other");
    let long = Duration::from_secs(60);
    let short = Duration::from_millis(300);

    let lease = store.acquire(&group, "s1", "a", long).await.unwrap();
    let lease = lease.expect("a free shard is taken");
    assert_eq!(lease.owner.as_deref(), Some("a"));
    assert_eq!((lease.checkpoint, lease.finished), (None, false));
    assert!(
        store
            .acquire(&group, "s1", "b", long)
            .await
            .unwrap()
            .is_none(),
        "a valid lease of another owner is not taken"
    );
    assert!(
        store
            .acquire(&group, "s1", "a", long)
            .await
            .unwrap()
            .is_some(),
        "the owner renews its lease"
    );

    assert!(
        store
            .checkpoint(&group, "s1", "a", "100", false, long)
            .await
            .unwrap()
    );
    assert!(
        !store
            .checkpoint(&group, "s1", "b", "999", false, long)
            .await
            .unwrap(),
        "only the owner checkpoints"
    );
    store.release(&group, "s1", "b").await.unwrap(); // not the owner: no effect
    assert!(
        store
            .acquire(&group, "s1", "b", long)
            .await
            .unwrap()
            .is_none()
    );
    store.release(&group, "s1", "a").await.unwrap();
    let lease = store
        .acquire(&group, "s1", "b", long)
        .await
        .unwrap()
        .expect("a released lease is free");
    assert_eq!(
        lease.checkpoint.as_deref(),
        Some("100"),
        "the checkpoint survives the release"
    );
    assert!(
        !store
            .checkpoint(&group, "s1", "a", "101", false, long)
            .await
            .unwrap(),
        "the old owner is refused"
    );

    // Expiry: "c" takes s2 with a short lease and dies; "d" takes over after it expired.
    store
        .acquire(&group, "s2", "c", short)
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .checkpoint(&group, "s2", "c", "7", false, short)
            .await
            .unwrap()
    );
    assert!(
        store
            .acquire(&group, "s2", "d", long)
            .await
            .unwrap()
            .is_none()
    );
    tokio::time::sleep(short + Duration::from_millis(200)).await;
    let lease = store
        .acquire(&group, "s2", "d", long)
        .await
        .unwrap()
        .expect("an expired lease is taken over");
    assert_eq!(lease.checkpoint.as_deref(), Some("7"));
    assert!(
        !store
            .checkpoint(&group, "s2", "c", "8", false, long)
            .await
            .unwrap(),
        "the expired owner is refused"
    );
    assert!(
        store
            .checkpoint(&group, "s2", "d", "SHARD_END", true, long)
            .await
            .unwrap()
    );

    store
        .acquire(&other_group, "s1", "z", long)
        .await
        .unwrap()
        .unwrap();
    let mut leases = store.leases(&group).await.unwrap();
    leases.sort_by(|x, y| x.shard.cmp(&y.shard));
    let summary: Vec<(&str, Option<&str>, Option<&str>, bool)> = leases
        .iter()
        .map(|l| {
            (
                l.shard.as_str(),
                l.owner.as_deref(),
                l.checkpoint.as_deref(),
                l.finished,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("s1", Some("b"), Some("100"), false),
            ("s2", Some("d"), Some("SHARD_END"), true)
        ]
    );
}
