//! The per-window maps of detectors: groups keyed by a string ([`Groups`]) and
//! bounded value counts ([`TopCounts`]), both indexed by one keyed hash per lookup
//! ([`key_hash`]) so that scoring never allocates for a key it has seen.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::OnceLock;

/// The hash every group key is looked up by: SipHash with keys drawn once per
/// process, so attacker-chosen values (paths, shapes) cannot force collisions.
/// Detectors that look one key up in several maps hash it once.
#[inline]
pub(crate) fn key_hash(key: &str) -> u64 {
    static STATE: OnceLock<RandomState> = OnceLock::new();
    STATE.get_or_init(RandomState::new).hash_one(key)
}

/// A hasher for keys that are already hashes ([`key_hash`]): passes them through.
#[derive(Default, Clone, Copy)]
pub(crate) struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in rather than panic.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// `HashMap`/`HashSet` state for pre-hashed `u64` keys.
pub(crate) type PreHashedState = BuildHasherDefault<PreHashed>;

/// Groups of one window keyed by a string, bounded by `max_entities`: an index from
/// the key's hash to its slot, so a lookup hashes the key once and never allocates.
#[derive(Debug)]
pub(crate) struct Groups<V> {
    index: HashMap<u64, u32, PreHashedState>,
    entries: Vec<(Box<str>, V)>,
    /// Events of groups not tracked because the window was full.
    pub(crate) dropped: u64,
}

impl<V> Default for Groups<V> {
    fn default() -> Self {
        Groups {
            index: HashMap::default(),
            entries: Vec::new(),
            dropped: 0,
        }
    }
}

impl<V: Default> Groups<V> {
    /// The group of `key`, created when there is room.
    #[inline]
    pub(crate) fn get(&mut self, key: &str, max: usize) -> Option<&mut V> {
        self.get_hashed(key_hash(key), key, max)
    }

    /// The group of `key` whose [`key_hash`] is `hash`.
    #[inline]
    pub(crate) fn get_hashed(&mut self, hash: u64, key: &str, max: usize) -> Option<&mut V> {
        if let Some(&slot) = self.index.get(&hash) {
            let (k, v) = &mut self.entries[slot as usize];
            // A 64-bit keyed-hash collision: vanishingly rare; never merge two keys.
            if &**k != key {
                self.dropped += 1;
                return None;
            }
            return Some(v);
        }
        if self.entries.len() >= max.min(u32::MAX as usize) {
            self.dropped += 1;
            return None;
        }
        self.index.insert(hash, self.entries.len() as u32);
        self.entries.push((key.into(), V::default()));
        self.entries.last_mut().map(|(_, v)| v)
    }
}

impl<V> Groups<V> {
    /// The existing group of `key`.
    pub(crate) fn existing_mut(&mut self, key: &str) -> Option<&mut V> {
        let slot = *self.index.get(&key_hash(key))?;
        let (k, v) = &mut self.entries[slot as usize];
        (&**k == key).then_some(v)
    }

    /// Groups tracked.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The groups, in order of first appearance.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Box<str>, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The groups' values.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }
}

impl<V> IntoIterator for Groups<V> {
    type Item = (Box<str>, V);
    type IntoIter = std::vec::IntoIter<(Box<str>, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

/// Counts per value, bounded: the top contributors of a finding (sources, APIs…).
#[derive(Debug, Default)]
pub(crate) struct TopCounts {
    counts: Groups<u64>,
    /// Occurrences of values not tracked because the map was full.
    pub(crate) overflow: u64,
}

impl TopCounts {
    /// Most distinct values tracked.
    pub(crate) const CAP: usize = 4096;

    /// Counts one occurrence of `value`.
    #[inline]
    pub(crate) fn add(&mut self, value: &str) {
        match self.counts.get(value, Self::CAP) {
            Some(c) => *c += 1,
            None => self.overflow += 1,
        }
    }

    /// Distinct values tracked.
    pub(crate) fn len(&self) -> usize {
        self.counts.len()
    }

    /// The `n` largest, as `(value, count)`, largest first (ties by value).
    pub(crate) fn top(&self, n: usize) -> Vec<(String, u64)> {
        let mut all: Vec<(&str, u64)> = self.counts.iter().map(|(k, &v)| (&**k, v)).collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        all.into_iter()
            .take(n)
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
    }

    /// The counts, for medians and the like.
    pub(crate) fn values(&self) -> impl Iterator<Item = u64> + '_ {
        self.counts.values().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_counts_are_bounded_and_sorted() {
        let mut t = TopCounts::default();
        for i in 0..(TopCounts::CAP + 10) {
            t.add(&i.to_string());
        }
        t.add("0");
        assert_eq!(t.len(), TopCounts::CAP);
        assert_eq!(t.overflow, 10);
        assert_eq!(t.top(1), vec![("0".to_owned(), 2)]);
    }

    #[test]
    fn groups_are_bounded_and_keep_first_appearance_order() {
        let mut g: Groups<u32> = Groups::default();
        *g.get("a", 2).unwrap() += 1;
        *g.get("b", 2).unwrap() += 1;
        *g.get("a", 2).unwrap() += 1;
        assert!(g.get("c", 2).is_none());
        assert_eq!(g.dropped, 1);
        assert_eq!(g.existing_mut("a").copied(), Some(2));
        assert!(g.existing_mut("c").is_none());
        let all: Vec<(Box<str>, u32)> = g.into_iter().collect();
        assert_eq!(all, vec![("a".into(), 2), ("b".into(), 1)]);
    }
}
