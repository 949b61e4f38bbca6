//! MITRE ATT&CK (Enterprise, v16) as data: the 14 tactics and the techniques that
//! matter in AWS, so that rule tags (`attack.privilege_escalation`,
//! `attack.t1078.004`) become the OCSF `attacks` objects a SOC pivots on.
//!
//! Unknown technique ids are kept, named by their id: a rule tagged with a technique
//! this table lacks still says which one.

use serde_json::{json, Map, Value};

/// The ATT&CK version the names below come from (OCSF `attack.version`).
pub const ATTACK_VERSION: &str = "v16";

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

/// The 14 Enterprise tactics, in kill-chain order.
pub const TACTICS: [Tactic; 14] = [
    t("reconnaissance", "TA0043", "Reconnaissance"),
    t("resource_development", "TA0042", "Resource Development"),
    t("initial_access", "TA0001", "Initial Access"),
    t("execution", "TA0002", "Execution"),
    t("persistence", "TA0003", "Persistence"),
    t("privilege_escalation", "TA0004", "Privilege Escalation"),
    t("defense_evasion", "TA0005", "Defense Evasion"),
    t("credential_access", "TA0006", "Credential Access"),
    t("discovery", "TA0007", "Discovery"),
    t("lateral_movement", "TA0008", "Lateral Movement"),
    t("collection", "TA0009", "Collection"),
    t("command_and_control", "TA0011", "Command and Control"),
    t("exfiltration", "TA0010", "Exfiltration"),
    t("impact", "TA0040", "Impact"),
];

const fn t(tag: &'static str, uid: &'static str, name: &'static str) -> Tactic {
    Tactic { tag, uid, name }
}

// Tactic sets of the techniques below (by tag).
const VALID: &[&str] = &[
    "defense_evasion",
    "persistence",
    "privilege_escalation",
    "initial_access",
];
const MANIP: &[&str] = &["persistence", "privilege_escalation"];
const PERS: &[&str] = &["persistence"];
const DISC: &[&str] = &["discovery"];
const COLL: &[&str] = &["collection"];
const EXFIL: &[&str] = &["exfiltration"];
const EVADE: &[&str] = &["defense_evasion"];
const EVADE_LAT: &[&str] = &["defense_evasion", "lateral_movement"];
const EVADE_PRIV: &[&str] = &["defense_evasion", "privilege_escalation"];
const PRIV: &[&str] = &["privilege_escalation"];
const CRED: &[&str] = &["credential_access"];
const AUTH: &[&str] = &["credential_access", "defense_evasion", "persistence"];
const INIT: &[&str] = &["initial_access"];
const PERS_INIT: &[&str] = &["persistence", "initial_access"];
const EXEC: &[&str] = &["execution"];
const EVADE_EXEC: &[&str] = &["defense_evasion", "execution"];
const LAT: &[&str] = &["lateral_movement"];
const IMPACT: &[&str] = &["impact"];
const C2: &[&str] = &["command_and_control"];
const RESDEV: &[&str] = &["resource_development"];
const RECON: &[&str] = &["reconnaissance"];

/// Techniques: (id, name, tactic tags). Sub-techniques (`T1078.004`) carry their own
/// name only ("Cloud Accounts") and inherit the tactics of their parent (`&[]`).
const TECHNIQUES: &[(&str, &str, &[&str])] = &[
    ("T1078", "Valid Accounts", VALID),
    ("T1078.001", "Default Accounts", &[]),
    ("T1078.004", "Cloud Accounts", &[]),
    ("T1098", "Account Manipulation", MANIP),
    ("T1098.001", "Additional Cloud Credentials", &[]),
    ("T1098.003", "Additional Cloud Roles", &[]),
    ("T1098.006", "Additional Container Cluster Roles", &[]),
    ("T1136", "Create Account", PERS),
    ("T1136.003", "Cloud Account", &[]),
    ("T1087", "Account Discovery", DISC),
    ("T1087.004", "Cloud Account", &[]),
    ("T1069", "Permission Groups Discovery", DISC),
    ("T1069.003", "Cloud Groups", &[]),
    ("T1580", "Cloud Infrastructure Discovery", DISC),
    ("T1526", "Cloud Service Discovery", DISC),
    ("T1538", "Cloud Service Dashboard", DISC),
    ("T1619", "Cloud Storage Object Discovery", DISC),
    ("T1654", "Log Enumeration", DISC),
    ("T1082", "System Information Discovery", DISC),
    ("T1518", "Software Discovery", DISC),
    ("T1518.001", "Security Software Discovery", &[]),
    ("T1201", "Password Policy Discovery", DISC),
    ("T1046", "Network Service Discovery", DISC),
    ("T1613", "Container and Resource Discovery", DISC),
    ("T1530", "Data from Cloud Storage", COLL),
    ("T1119", "Automated Collection", COLL),
    ("T1074", "Data Staged", COLL),
    ("T1074.002", "Remote Data Staging", &[]),
    ("T1537", "Transfer Data to Cloud Account", EXFIL),
    ("T1567", "Exfiltration Over Web Service", EXFIL),
    ("T1567.002", "Exfiltration to Cloud Storage", &[]),
    ("T1048", "Exfiltration Over Alternative Protocol", EXFIL),
    ("T1020", "Automated Exfiltration", EXFIL),
    ("T1562", "Impair Defenses", EVADE),
    ("T1562.001", "Disable or Modify Tools", &[]),
    ("T1562.007", "Disable or Modify Cloud Firewall", &[]),
    ("T1562.008", "Disable or Modify Cloud Logs", &[]),
    ("T1578", "Modify Cloud Compute Infrastructure", EVADE),
    ("T1578.001", "Create Snapshot", &[]),
    ("T1578.002", "Create Cloud Instance", &[]),
    ("T1578.003", "Delete Cloud Instance", &[]),
    ("T1578.004", "Revert Cloud Instance", &[]),
    ("T1578.005", "Modify Cloud Compute Configurations", &[]),
    ("T1666", "Modify Cloud Resource Hierarchy", EVADE),
    ("T1535", "Unused/Unsupported Cloud Regions", EVADE),
    ("T1070", "Indicator Removal", EVADE),
    ("T1036", "Masquerading", EVADE),
    ("T1027", "Obfuscated Files or Information", EVADE),
    ("T1140", "Deobfuscate/Decode Files or Information", EVADE),
    ("T1211", "Exploitation for Defense Evasion", EVADE),
    ("T1550", "Use Alternate Authentication Material", EVADE_LAT),
    ("T1550.001", "Application Access Token", &[]),
    ("T1484", "Domain or Tenant Policy Modification", EVADE_PRIV),
    ("T1548", "Abuse Elevation Control Mechanism", EVADE_PRIV),
    ("T1548.005", "Temporary Elevated Cloud Access", &[]),
    ("T1068", "Exploitation for Privilege Escalation", PRIV),
    ("T1611", "Escape to Host", PRIV),
    ("T1546", "Event Triggered Execution", MANIP),
    ("T1552", "Unsecured Credentials", CRED),
    ("T1552.001", "Credentials In Files", &[]),
    ("T1552.005", "Cloud Instance Metadata API", &[]),
    ("T1552.007", "Container API", &[]),
    ("T1555", "Credentials from Password Stores", CRED),
    ("T1555.006", "Cloud Secrets Management Stores", &[]),
    ("T1528", "Steal Application Access Token", CRED),
    ("T1539", "Steal Web Session Cookie", CRED),
    ("T1606", "Forge Web Credentials", CRED),
    ("T1606.002", "SAML Tokens", &[]),
    ("T1110", "Brute Force", CRED),
    ("T1110.001", "Password Guessing", &[]),
    ("T1110.003", "Password Spraying", &[]),
    ("T1110.004", "Credential Stuffing", &[]),
    ("T1212", "Exploitation for Credential Access", CRED),
    (
        "T1621",
        "Multi-Factor Authentication Request Generation",
        CRED,
    ),
    ("T1556", "Modify Authentication Process", AUTH),
    ("T1556.006", "Multi-Factor Authentication", &[]),
    ("T1556.007", "Hybrid Identity", &[]),
    ("T1190", "Exploit Public-Facing Application", INIT),
    ("T1133", "External Remote Services", PERS_INIT),
    ("T1199", "Trusted Relationship", INIT),
    ("T1648", "Serverless Execution", EXEC),
    ("T1059", "Command and Scripting Interpreter", EXEC),
    ("T1059.009", "Cloud API", &[]),
    ("T1651", "Cloud Administration Command", EXEC),
    ("T1204", "User Execution", EXEC),
    ("T1204.003", "Malicious Image", &[]),
    ("T1609", "Container Administration Command", EXEC),
    ("T1610", "Deploy Container", EVADE_EXEC),
    ("T1525", "Implant Internal Image", PERS),
    ("T1505", "Server Software Component", PERS),
    ("T1505.003", "Web Shell", &[]),
    ("T1021", "Remote Services", LAT),
    ("T1021.007", "Cloud Services", &[]),
    ("T1496", "Resource Hijacking", IMPACT),
    ("T1496.001", "Compute Hijacking", &[]),
    ("T1496.002", "Bandwidth Hijacking", &[]),
    ("T1496.003", "SMS Pumping", &[]),
    ("T1496.004", "Cloud Service Hijacking", &[]),
    ("T1485", "Data Destruction", IMPACT),
    ("T1485.001", "Lifecycle-Triggered Deletion", &[]),
    ("T1486", "Data Encrypted for Impact", IMPACT),
    ("T1490", "Inhibit System Recovery", IMPACT),
    ("T1531", "Account Access Removal", IMPACT),
    ("T1498", "Network Denial of Service", IMPACT),
    ("T1499", "Endpoint Denial of Service", IMPACT),
    ("T1499.003", "Application Exhaustion Flood", &[]),
    ("T1657", "Financial Theft", IMPACT),
    ("T1105", "Ingress Tool Transfer", C2),
    ("T1071", "Application Layer Protocol", C2),
    ("T1071.001", "Web Protocols", &[]),
    ("T1090", "Proxy", C2),
    ("T1090.003", "Multi-hop Proxy", &[]),
    ("T1102", "Web Service", C2),
    ("T1583", "Acquire Infrastructure", RESDEV),
    ("T1585", "Establish Accounts", RESDEV),
    ("T1585.003", "Cloud Accounts", &[]),
    ("T1586", "Compromise Accounts", RESDEV),
    ("T1586.003", "Cloud Accounts", &[]),
    ("T1595", "Active Scanning", RECON),
    ("T1595.002", "Vulnerability Scanning", &[]),
    ("T1595.003", "Wordlist Scanning", &[]),
    ("T1589", "Gather Victim Identity Information", RECON),
    ("T1589.001", "Credentials", &[]),
];

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
    TACTICS.iter().copied().find(|t| t.tag == tag)
}

/// The technique of a tag (`attack.t1078.004`) or id (`T1078.004`); `None` when the tag
/// is not a technique id. Unknown ids are named by themselves.
pub fn technique(tag: &str) -> Option<Technique> {
    let id = strip_attack(tag).to_ascii_uppercase();
    if !is_technique_id(&id) {
        return None;
    }
    let (parent, _) = id.split_once('.').unwrap_or((&id, ""));
    let find = |uid: &str| TECHNIQUES.iter().find(|(i, _, _)| *i == uid);
    let tech = match (find(&id), find(parent)) {
        (Some(&(_, name, tactics)), None) => Technique {
            uid: id.clone(),
            name: name.to_owned(),
            sub_name: None,
            tactics,
        },
        (Some(&(_, sub, _)), Some(&(_, pname, tactics))) if parent != id => Technique {
            uid: id.clone(),
            name: format!("{pname}: {sub}"),
            sub_name: Some(sub),
            tactics,
        },
        (Some(&(_, name, tactics)), Some(_)) => Technique {
            uid: id.clone(),
            name: name.to_owned(),
            sub_name: None,
            tactics,
        },
        (None, Some(&(_, pname, tactics))) => Technique {
            uid: id.clone(),
            name: format!("{pname}: {id}"),
            sub_name: None,
            tactics,
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
        obj.insert("version".into(), Value::from(ATTACK_VERSION));
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
        assert_eq!(TACTICS.len(), 14);
        for t in TACTICS {
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
        for (id, name, tactics) in TECHNIQUES {
            assert!(is_technique_id(id), "{id}");
            assert!(!name.is_empty());
            match id.split_once('.') {
                Some((parent, _)) => {
                    assert!(tactics.is_empty(), "{id} inherits its tactics");
                    assert!(TECHNIQUES.iter().any(|(p, _, _)| p == &parent), "{id}");
                }
                None => {
                    assert!(!tactics.is_empty(), "{id}");
                    for t in *tactics {
                        assert!(tactic(t).is_some(), "{id}: {t}");
                    }
                }
            }
            let dupes = TECHNIQUES.iter().filter(|(i, _, _)| i == id).count();
            assert_eq!(dupes, 1, "{id}");
        }
        assert!(TECHNIQUES.len() >= 60);
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
