//! Attack families and the tokens that betray them in a payload shape.
//!
//! A shape keeps punctuation and attack keywords verbatim (see
//! `tripline_ingest::shape`), so `' OR 7=7--` shapes to `' or 0=0--` and `${jndi:…}`
//! keeps `${jndi:`. The tokens below are matched case-insensitively, in one
//! Aho–Corasick pass, against the shape (and optionally the raw payload). They are
//! deliberately specific (`union select`, not `select`) so benign text rarely
//! matches; the spray detector also requires the shape to be rare for the function.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// One attack family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// Short name used in findings, e.g. `sqli`.
    pub name: &'static str,
    /// Severity weight 1 (nuisance) – 3 (remote code execution, credential theft).
    pub severity: u8,
    /// ATT&CK tags beyond `attack.initial_access` / `attack.t1190`.
    pub tags: &'static [&'static str],
    /// Tokens, lower-case.
    pub tokens: &'static [&'static str],
}

/// The families, in bit order (a shape's families are a bitmask over this table).
#[rustfmt::skip]
pub const FAMILIES: &[Family] = &[
    Family { name: "sqli", severity: 2, tags: &[], tokens: &[
        "' or ", "\" or ", "or 0=0", "' and ", "union select", "union all select",
        "sleep(", "benchmark(", "waitfor delay", "pg_sleep", "information_schema",
        "xp_cmdshell", "load_file(", "into outfile", "' --", "'--", "';--", "' #",
    ]},
    Family { name: "command_injection", severity: 3, tags: &["attack.execution", "attack.t1059"], tokens: &[
        "; cat ", ";cat ", "| cat ", "|cat ", "$(", "`id`", "`whoami`", "&& ", "|| ",
        "/bin/sh", "/bin/bash", "; id", "| id", "whoami", "; ls", "| sh", "mkfifo",
        "| nc ", "nc -", "wget http", "curl http", "; ping", "& ping", "powershell",
    ]},
    Family { name: "path_traversal", severity: 2, tags: &[], tokens: &[
        "../", "..\\", "..%2f", "%2e%2e", "/etc/passwd", "/etc/shadow", "/proc/self",
        "win.ini", "system32", "boot.ini",
    ]},
    Family { name: "ssrf", severity: 3, tags: &["attack.credential_access", "attack.t1552.005"], tokens: &[
        "<metadata-ip>", "<loopback-ip>", "metadata.google.internal", "computemetadata",
        "://localhost", "gopher://", "dict://", "file://", "latest/meta-data", "latest/a-data",
        "169.254.169.254", "169.254.170.2",
    ]},
    Family { name: "template_injection", severity: 3, tags: &["attack.execution"], tokens: &[
        "{{", "<%=", "#{", "*{", "__class__", "__globals__", "__import__", "__builtins__",
        "getruntime", "freemarker",
    ]},
    Family { name: "jndi", severity: 3, tags: &["attack.execution"], tokens: &[
        "${jndi:", "jndi:ldap", "jndi:rmi", "jndi:dns", "jndi:iiop", "${env:", "${sys:",
        "${lower:", "${upper:",
    ]},
    Family { name: "xss", severity: 1, tags: &[], tokens: &[
        "<script", "javascript:", "onerror=", "onload=", "onmouseover=", "<svg", "<iframe",
        "alert(", "document.cookie", "fromcharcode",
    ]},
    Family { name: "nosql_injection", severity: 2, tags: &[], tokens: &[
        "{$ne:", "{$gt:", "{$where:", "{$regex:", "[$ne]", "[$gt]", "[$regex]",
    ]},
    Family { name: "prototype_pollution", severity: 2, tags: &[], tokens: &[
        "__proto__", "constructor[prototype]", "constructor.prototype",
    ]},
    Family { name: "xxe", severity: 3, tags: &[], tokens: &[
        "<!entity", "<!doctype", "system \"file", "system 'file",
    ]},
];

/// A set of families as a bitmask over [`FAMILIES`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FamilySet(pub u32);

impl FamilySet {
    /// True when no family matched.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The families, in table order.
    pub fn families(self) -> impl Iterator<Item = &'static Family> {
        FAMILIES
            .iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, f)| f)
    }

    /// Family names, e.g. `["sqli", "xss"]`.
    pub fn names(self) -> Vec<&'static str> {
        self.families().map(|f| f.name).collect()
    }

    /// Highest severity (0 when empty).
    pub fn severity(self) -> u8 {
        self.families().map(|f| f.severity).max().unwrap_or(0)
    }
}

struct Matcher {
    ac: AhoCorasick,
    /// Pattern index → family index.
    family_of: Vec<u8>,
}

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| {
        let mut patterns = Vec::new();
        let mut family_of = Vec::new();
        for (i, f) in FAMILIES.iter().enumerate() {
            for t in f.tokens {
                patterns.push(*t);
                family_of.push(i as u8);
            }
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            // The patterns are the literals above; a unit test builds them.
            .expect("attack tokens compile");
        Matcher { ac, family_of }
    })
}

/// The families whose tokens occur in `text` (overlapping matches count).
pub fn classify(text: &str) -> FamilySet {
    let m = matcher();
    let mut set = 0u32;
    for found in m.ac.find_overlapping_iter(text) {
        set |= 1 << m.family_of[found.pattern().as_usize()];
    }
    FamilySet(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_of_attacks_are_classified() {
        // Shapes as `tripline_ingest::shape` writes them.
        let cases = [
            ("{q:' or 0=0--}", "sqli"),
            ("{q:0 union select a,a from a}", "sqli"),
            ("{q:; cat /etc/passwd}", "command_injection"),
            ("{q:$(whoami)}", "command_injection"),
            ("{q:../../etc/passwd}", "path_traversal"),
            ("{q:http://<metadata-ip>/latest/a-data/iam/}", "ssrf"),
            ("{q:{{0*0}}}", "template_injection"),
            ("{q:${jndi:ldap://a.a/a}}", "jndi"),
            ("{q:<script>alert(0)</script>}", "xss"),
            ("{q:{$ne:<null>}}", "nosql_injection"),
            ("{q:__proto__[admin]=<int>}", "prototype_pollution"),
        ];
        for (shape, family) in cases {
            let set = classify(shape);
            assert!(set.names().contains(&family), "{shape}: {:?}", set.names());
        }
        assert!(classify("{q:../../etc/passwd; cat a}").names().len() >= 2);
    }

    #[test]
    fn benign_shapes_are_not() {
        for shape in [
            "GET {headers:{user-agent:curl/0},path:/a,query:{q:<word>}}",
            "POST {body:{id:<int>,items:[{sku:<word>,qty:<n>}],note:a a. a a?}}",
            "{q:a-a-a}",
            "{q:<ts>}",
            "{a:{b:{c:<n>}}}",
        ] {
            assert!(
                classify(shape).is_empty(),
                "{shape}: {:?}",
                classify(shape).names()
            );
        }
    }
}
