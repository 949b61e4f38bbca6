//! Stable finding ids: the same rule, group key and window always give the same uid, so
//! a replay of the same input (or a restart of the streaming service) re-emits findings
//! the SOC has already seen under the ids it already knows.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// Domain separator: a uid is never equal to a blake3 hash of anything else, and a
/// change of the encoding below changes it (bump the version then).
const DOMAIN: &[u8] = b"tripline.finding.uid.v1\0";

/// Hex characters in a uid (128 bits).
pub const UID_LEN: usize = 32;

/// The uid of the finding of `rule_id` for `group` in the window starting at
/// `window_start_us`: 32 hex characters of a blake3 hash of a canonical encoding.
///
/// The encoding is unambiguous (every string is length-prefixed, the group is taken in
/// its key order), so distinct inputs cannot collide by concatenation, e.g. group
/// `{a: "b=c"}` and `{a: "b", …}` hash differently.
pub fn finding_uid(
    rule_id: &str,
    group: &BTreeMap<String, String>,
    window_start_us: i64,
) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(DOMAIN);
    put_str(&mut hasher, rule_id);
    hasher.update(&(group.len() as u64).to_le_bytes());
    for (key, value) in group {
        put_str(&mut hasher, key);
        put_str(&mut hasher, value);
    }
    hasher.update(&window_start_us.to_le_bytes());
    let hex = hasher.finalize().to_hex();
    hex[..UID_LEN].to_owned()
}

fn put_str(hasher: &mut blake3::Hasher, s: &str) {
    hasher.update(&(s.len() as u64).to_le_bytes());
    hasher.update(s.as_bytes());
}

/// A 64-bit digest of an event id, for duplicate detection without keeping every id.
///
/// `DefaultHasher::new()` uses fixed keys, so the digest is the same in every run. Two
/// distinct ids collide with probability about 2⁻⁶⁴ per pair (about 3·10⁻⁸ among a
/// million events of one window): the cost is one event counted once instead of twice.
pub(crate) fn event_digest(event_uid: &str) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    event_uid.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn same_input_same_uid() {
        let g = group(&[("userIdentity.arn", "arn:aws:iam::1:user/bob")]);
        let a = finding_uid("rule-1", &g, 1_700_000_000_000_000);
        let b = finding_uid("rule-1", &g.clone(), 1_700_000_000_000_000);
        assert_eq!(a, b);
        assert_eq!(a.len(), UID_LEN);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
    }

    #[test]
    fn rule_group_and_window_all_matter() {
        let g = group(&[("user", "bob")]);
        let base = finding_uid("r", &g, 0);
        assert_ne!(base, finding_uid("r2", &g, 0));
        assert_ne!(base, finding_uid("r", &group(&[("user", "alice")]), 0));
        assert_ne!(base, finding_uid("r", &group(&[("actor", "bob")]), 0));
        assert_ne!(base, finding_uid("r", &g, 1));
        assert_ne!(base, finding_uid("r", &BTreeMap::new(), 0));
    }

    #[test]
    fn encoding_is_unambiguous() {
        // Without length prefixes these two would hash the same bytes.
        let a = finding_uid("r", &group(&[("a", "bc")]), 0);
        let b = finding_uid("r", &group(&[("ab", "c")]), 0);
        assert_ne!(a, b);
        let c = finding_uid("ra", &group(&[("b", "c")]), 0);
        assert_ne!(a, c);
    }

    #[test]
    fn event_digest_is_stable_and_discriminates() {
        assert_eq!(event_digest("e-1"), event_digest("e-1"));
        assert_ne!(event_digest("e-1"), event_digest("e-2"));
    }
}
