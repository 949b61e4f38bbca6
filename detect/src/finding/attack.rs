//! MITRE ATT&CK (Enterprise) as data: the 14 tactics and the techniques that matter
//! in AWS, so that rule tags (`attack.privilege_escalation`, `attack.t1078.004`)
//! become the OCSF `attacks` objects a SOC pivots on.
//!
//! The table is `attack.yml` beside this file (the ATT&CK version, the tactics in
//! kill-chain order, the techniques with their tactic tags), embedded in the crate and
//! parsed once. Unknown technique ids are kept, named by their id: a rule tagged with
//! a technique the table lacks still says which one.

use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{json, Map, Value};

/// An ATT&CK tactic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tactic {
    /// Sigma tag suffix (`privilege_escalation`).
    pub tag: &'static str,
    /// `TA0004`.
    pub uid: &'static str,
    /// `Privilege Escalation`.
    pub name: &'static str,
}

/// `attack.yml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttackFile {
    version: String,
    tactics: Vec<TacticRow>,
    techniques: Vec<TechniqueRow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TacticRow {
    tag: String,
    uid: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TechniqueRow {
    id: String,
    name: String,
    /// Empty for a sub-technique, which inherits its parent's.
    #[serde(default)]
    tactics: Vec<String>,
}

/// One technique of the table, borrowing from the parsed file.
struct Row {
    id: &'static str,
    name: &'static str,
    tactics: Vec<&'static str>,
}

/// The table, resolved for lookups.
struct AttackTable {
    version: &'static str,
    tactics: Vec<Tactic>,
    techniques: Vec<Row>,
}

fn parse_file(text: &str) -> Result<AttackFile, String> {
    yaml_serde::from_str(text).map_err(|e| e.to_string())
}

/// The table, parsed on first use.
fn table() -> &'static AttackTable {
    // The parsed file lives as long as the program, so the table borrows its strings.
    static FILE: OnceLock<AttackFile> = OnceLock::new();
    static TABLE: OnceLock<AttackTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let file = FILE.get_or_init(|| {
            // Compiled in and parsed by `table_is_consistent`: failing here is a bug
            // in the build, not something input can cause.
            parse_file(include_str!("attack.yml"))
                .unwrap_or_else(|e| panic!("finding/attack.yml: {e}"))
        });
        AttackTable {
            version: &file.version,
            tactics: file
                .tactics
                .iter()
                .map(|t| Tactic {
                    tag: &t.tag,
                    uid: &t.uid,
                    name: &t.name,
                })
                .collect(),
            techniques: file
                .techniques
                .iter()
                .map(|t| Row {
                    id: &t.id,
                    name: &t.name,
                    tactics: t.tactics.iter().map(String::as_str).collect(),
                })
                .collect(),
        }
    })
}

/// The ATT&CK version the names come from (OCSF `attack.version`), e.g. `v16`.
pub fn version() -> &'static str {
    table().version
}

/// The 14 Enterprise tactics, in kill-chain order.
pub fn tactics() -> &'static [Tactic] {
    &table().tactics
}

/// A technique or sub-technique, named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Technique {
    /// `T1078.004` (upper case).
    pub uid: String,
    /// Full name, `Valid Accounts: Cloud Accounts`; the id itself when unknown.
    pub name: String,
    /// For a sub-technique, its own name (`Cloud Accounts`).
    pub sub_name: Option<&'static str>,
    /// Tactic tags the technique belongs to (its parent's, for a sub-technique); empty
    /// when unknown.
    pub tactics: &'static [&'static str],
}

/// One OCSF `attacks` entry: a tactic, a technique, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attack {
    /// The tactic, when the rule names one (or the technique has only one).
    pub tactic: Option<Tactic>,
    /// The technique.
    pub technique: Option<Technique>,
}

/// The tactic of a tag: `attack.privilege_escalation`, `privilege_escalation` or
/// `privilege-escalation`, any case.
pub fn tactic(tag: &str) -> Option<Tactic> {
    let tag = strip_attack(tag).to_ascii_lowercase().replace('-', "_");
    tactics().iter().copied().find(|t| t.tag == tag)
}

/// The technique of a tag (`attack.t1078.004`) or id (`T1078.004`); `None` when the tag
/// is not a technique id. Unknown ids are named by themselves.
pub fn technique(tag: &str) -> Option<Technique> {
    let id = strip_attack(tag).to_ascii_uppercase();
    if !is_technique_id(&id) {
        return None;
    }
    let (parent, _) = id.split_once('.').unwrap_or((&id, ""));
    let find = |uid: &str| table().techniques.iter().find(|r| r.id == uid);
    let tech = match (find(&id), find(parent)) {
        (Some(row), None) => Technique {
            uid: id.clone(),
            name: row.name.to_owned(),
            sub_name: None,
            tactics: &row.tactics,
        },
        (Some(sub), Some(p)) if parent != id => Technique {
            uid: id.clone(),
            name: format!("{}: {}", p.name, sub.name),
            sub_name: Some(sub.name),
            tactics: &p.tactics,
        },
        (Some(row), Some(_)) => Technique {
            uid: id.clone(),
            name: row.name.to_owned(),
            sub_name: None,
            tactics: &row.tactics,
        },
        (None, Some(p)) => Technique {
            uid: id.clone(),
            name: format!("{}: {id}", p.name),
            sub_name: None,
            tactics: &p.tactics,
        },
        (None, None) => Technique {
            uid: id.clone(),
            name: id.clone(),
            sub_name: None,
            tactics: &[],
        },
    };
    Some(tech)
}

/// The attacks a rule's tags describe: one entry per technique (paired with the rule's
/// tactic that the technique belongs to, else its only tactic, else the rule's first
/// tactic), then one per tactic that no technique used. Other tags (`attack.g0016`,
/// `cve.…`) are ignored; repeats count once.
pub fn attacks(tags: &[String]) -> Vec<Attack> {
    let mut tactics: Vec<Tactic> = Vec::new();
    let mut techniques: Vec<Technique> = Vec::new();
    for tag in tags {
        if !tag.to_ascii_lowercase().starts_with("attack.") {
            continue;
        }
        if let Some(t) = tactic(tag) {
            if !tactics.contains(&t) {
                tactics.push(t);
            }
        } else if let Some(t) = technique(tag) {
            if !techniques.iter().any(|x| x.uid == t.uid) {
                techniques.push(t);
            }
        }
    }
    let mut used: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for tech in techniques {
        let paired = tactics
            .iter()
            .find(|t| tech.tactics.contains(&t.tag))
            .copied()
            .or_else(|| match tech.tactics {
                [only] => tactic(only),
                _ => None,
            })
            .or_else(|| tactics.first().copied());
        if let Some(t) = paired {
            used.push(t.tag);
        }
        out.push(Attack {
            tactic: paired,
            technique: Some(tech),
        });
    }
    for t in tactics {
        if !used.contains(&t.tag) {
            out.push(Attack {
                tactic: Some(t),
                technique: None,
            });
        }
    }
    out
}

impl Attack {
    /// The OCSF `attack` object: `tactic`, `technique` (`uid` is the full id, e.g.
    /// `T1078.004`, as DESIGN.md promises), `sub_technique` for a sub-technique, and
    /// `version`.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        if let Some(t) = &self.tactic {
            obj.insert("tactic".into(), json!({"uid": t.uid, "name": t.name}));
        }
        if let Some(t) = &self.technique {
            obj.insert("technique".into(), json!({"uid": t.uid, "name": t.name}));
            if let Some(sub) = t.sub_name {
                obj.insert("sub_technique".into(), json!({"uid": t.uid, "name": sub}));
            }
        }
        obj.insert("version".into(), Value::from(version()));
        Value::Object(obj)
    }
}

fn strip_attack(tag: &str) -> &str {
    match tag.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("attack.") => &tag[7..],
        _ => tag,
    }
}

/// `T` + 4 digits, optionally `.` + 3 digits.
fn is_technique_id(id: &str) -> bool {
    let b = id.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b'T' && digits(&b[1..5]),
        9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..9]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_tactic_resolves_by_tag() {
        assert_eq!(tactics().len(), 14);
        for &t in tactics() {
            assert_eq!(tactic(&format!("attack.{}", t.tag)), Some(t));
        }
        assert_eq!(
            tactic("attack.Privilege-Escalation").map(|t| t.uid),
            Some("TA0004")
        );
        assert_eq!(tactic("attack.t1078"), None);
    }

    #[test]
    fn table_is_consistent() {
        let file = parse_file(include_str!("attack.yml")).expect("attack.yml parses");
        assert_eq!(file.version, "v16");
        let rows = &table().techniques;
        for row in rows {
            let id = row.id;
            assert!(is_technique_id(id), "{id}");
            assert!(!row.name.is_empty());
            match id.split_once('.') {
                Some((parent, _)) => {
                    assert!(row.tactics.is_empty(), "{id} inherits its tactics");
                    assert!(rows.iter().any(|p| p.id == parent), "{id}");
                }
                None => {
                    assert!(!row.tactics.is_empty(), "{id}");
                    for t in &row.tactics {
                        assert!(tactic(t).is_some(), "{id}: {t}");
                    }
                }
            }
            let dupes = rows.iter().filter(|r| r.id == id).count();
            assert_eq!(dupes, 1, "{id}");
        }
        assert!(rows.len() >= 60);
    }

    #[test]
    fn sub_techniques_are_named_with_their_parent() {
        let t = technique("attack.t1078.004").expect("a technique id");
        assert_eq!(t.uid, "T1078.004");
        assert_eq!(t.name, "Valid Accounts: Cloud Accounts");
        assert_eq!(t.sub_name, Some("Cloud Accounts"));
        assert!(t.tactics.contains(&"privilege_escalation"));
        let parent = technique("T1078").expect("a technique id");
        assert_eq!(parent.name, "Valid Accounts");
        assert_eq!(parent.sub_name, None);
    }

    #[test]
    fn unknown_ids_fall_back_to_the_id() {
        let t = technique("attack.t9999").expect("well-formed");
        assert_eq!(t.name, "T9999");
        let sub = technique("attack.t1078.999").expect("well-formed");
        assert_eq!(sub.name, "Valid Accounts: T1078.999");
        assert_eq!(technique("attack.g0016"), None);
        assert_eq!(technique("attack.t10"), None);
    }

    #[test]
    fn techniques_pair_with_their_tactic() {
        let a = attacks(&tags(&[
            "attack.persistence",
            "attack.privilege_escalation",
            "attack.t1098.003",
            "attack.t1530",
            "attack.exfiltration",
            "cve.2024.1234",
            "attack.t1098.003",
        ]));
        let summary: Vec<(Option<&str>, Option<String>)> = a
            .iter()
            .map(|x| {
                (
                    x.tactic.map(|t| t.uid),
                    x.technique.as_ref().map(|t| t.uid.clone()),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                // T1098 is persistence + privilege escalation: the rule's first match.
                (Some("TA0003"), Some("T1098.003".to_owned())),
                // T1530 is collection only, which the rule does not name.
                (Some("TA0009"), Some("T1530".to_owned())),
                (Some("TA0004"), None),
                (Some("TA0010"), None),
            ]
        );
        let json = a[0].to_json();
        assert_eq!(json["technique"]["uid"], "T1098.003");
        assert_eq!(json["sub_technique"]["name"], "Additional Cloud Roles");
        assert_eq!(json["version"], "v16");
    }
}
