//! Shards of a stream with lineage (Kinesis, DynamoDB Streams) and which of them a consumer
//! may take.

use std::collections::{HashMap, HashSet};

use crate::consumer::Lease;

/// A shard and its parents (after a reshard, a child is read only once its parents are
/// finished).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShardInfo {
    pub(crate) id: String,
    pub(crate) parents: Vec<String>,
    /// The last sequence number of a closed shard (`None` while it is open).
    pub(crate) ending_sequence: Option<String>,
}

/// Compares two Kinesis sequence numbers (decimal strings of up to 128 digits).
pub(crate) fn sequence_at_least(sequence: &str, bound: &str) -> bool {
    let (a, b) = (
        sequence.trim_start_matches('0'),
        bound.trim_start_matches('0'),
    );
    (a.len(), a) >= (b.len(), b)
}

/// The shards `owner` should try to take, in order: unfinished shards whose parents are
/// finished (or no longer listed), not validly held by another owner, up to a fair share of
/// the unfinished shards among the live owners (and at most `max_shards` in total, counting
/// `held`).
pub(crate) fn candidates(
    shards: &[ShardInfo],
    leases: &[Lease],
    owner: &str,
    held: &HashSet<String>,
    max_shards: usize,
    now_ms: u64,
) -> Vec<String> {
    let by_shard: HashMap<&str, &Lease> = leases.iter().map(|l| (l.shard.as_str(), l)).collect();
    let listed: HashSet<&str> = shards.iter().map(|s| s.id.as_str()).collect();
    let finished = |id: &str| by_shard.get(id).is_some_and(|l| l.finished);
    let open: Vec<&ShardInfo> = shards.iter().filter(|s| !finished(&s.id)).collect();
    let mut owners: HashSet<&str> = leases
        .iter()
        .filter(|l| !l.finished && l.expires_at_ms >= now_ms)
        .filter_map(|l| l.owner.as_deref())
        .collect();
    owners.insert(owner);
    let fair_share = open.len().div_ceil(owners.len().max(1));
    let target = fair_share.min(max_shards);
    let mut room = target.saturating_sub(held.len());
    let mut picked = Vec::new();
    for shard in open {
        if room == 0 {
            break;
        }
        if held.contains(&shard.id) {
            continue;
        }
        let parents_done = shard
            .parents
            .iter()
            .all(|p| !listed.contains(p.as_str()) || finished(p));
        let taken = by_shard
            .get(shard.id.as_str())
            .is_some_and(|l| l.held_by_other(owner, now_ms));
        if parents_done && !taken {
            picked.push(shard.id.clone());
            room -= 1;
        }
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(id: &str, parents: &[&str]) -> ShardInfo {
        ShardInfo {
            id: id.into(),
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
            ending_sequence: None,
        }
    }

    fn lease(shard: &str, owner: Option<&str>, finished: bool) -> Lease {
        Lease {
            shard: shard.into(),
            owner: owner.map(str::to_owned),
            expires_at_ms: if owner.is_some() { 2_000 } else { 0 },
            checkpoint: None,
            finished,
        }
    }

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert!(sequence_at_least("120", "99"));
        assert!(sequence_at_least("99", "99"));
        assert!(!sequence_at_least("99", "120"));
        assert!(sequence_at_least(
            "49590338271490256608559692538361571095921575989136588898",
            "49590338271490256608559692538361571095921575989136588897"
        ));
    }

    #[test]
    fn children_wait_for_their_parents() {
        let shards = [shard("p", &[]), shard("c1", &["p"]), shard("c2", &["p"])];
        let none = HashSet::new();
        assert_eq!(candidates(&shards, &[], "me", &none, 10, 1_000), ["p"]);
        let done = [lease("p", None, true)];
        assert_eq!(
            candidates(&shards, &done, "me", &none, 10, 1_000),
            ["c1", "c2"]
        );
        // A parent that is no longer listed (expired) does not block its children.
        assert_eq!(
            candidates(&shards[1..], &[], "me", &none, 10, 1_000),
            ["c1", "c2"]
        );
    }

    #[test]
    fn shards_are_shared_fairly_and_valid_leases_are_respected() {
        let shards = [
            shard("a", &[]),
            shard("b", &[]),
            shard("c", &[]),
            shard("d", &[]),
        ];
        let leases = [lease("a", Some("other"), false)];
        let none = HashSet::new();
        // Two live owners, four open shards: two each; "a" is taken.
        assert_eq!(
            candidates(&shards, &leases, "me", &none, 10, 1_000),
            ["b", "c"]
        );
        // Expired: "a" may be taken over.
        assert_eq!(
            candidates(&shards, &leases, "me", &none, 10, 3_000),
            ["a", "b", "c", "d"]
        );
        assert_eq!(candidates(&shards, &leases, "me", &none, 1, 1_000), ["b"]);
    }
}
