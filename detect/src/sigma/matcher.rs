//! Value tests: one compiled test per field condition, applied to one text value.
//!
//! A list of values ORed on one field becomes one [`StrMatcher`]: exact values,
//! prefixes and suffixes are compared in place (ASCII case folding, no allocation),
//! every substring needle goes into one Aho-Corasick automaton (30 payload keywords
//! cost one scan, not 30), and only true wildcard patterns (`a*b`, `?`) fall back to
//! one combined regular expression.

use std::net::IpAddr;

use aho_corasick::AhoCorasick;
use regex::{Regex, RegexBuilder};

use super::pattern::{Pattern, Shape};
use crate::model::CmpOp;

/// Largest compiled regular expression, bytes (keeps a hostile rule from eating memory).
const REGEX_SIZE_LIMIT: usize = 4 << 20;

/// ORed string patterns on one field.
#[derive(Debug, Clone)]
pub(crate) struct StrMatcher {
    cased: bool,
    any: bool,
    exact: Vec<String>,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
    contains: Option<AhoCorasick>,
    regexes: Vec<Regex>,
    key: String,
}

impl StrMatcher {
    /// Matches any of `patterns`. Case-insensitive unless `cased`. With `json_text`
    /// (values are JSON text), each literal is also tried JSON-escaped.
    pub(crate) fn new(patterns: &[Pattern], cased: bool, json_text: bool) -> Result<Self, String> {
        let mut all: Vec<Pattern> = patterns.to_vec();
        if json_text {
            for p in patterns {
                let escaped = p.map_literals(json_escape);
                if escaped != *p {
                    all.push(escaped);
                }
            }
        }
        let mut m = StrMatcher {
            cased,
            any: false,
            exact: Vec::new(),
            prefixes: Vec::new(),
            suffixes: Vec::new(),
            contains: None,
            regexes: Vec::new(),
            key: format!("s{}{}{:?}", u8::from(cased), u8::from(json_text), patterns),
        };
        let mut needles = Vec::new();
        let mut globs = Vec::new();
        for p in &all {
            let shape = p.shape();
            let text = match shape {
                Shape::Exact(t) | Shape::Prefix(t) | Shape::Suffix(t) | Shape::Contains(t) => t,
                Shape::Any | Shape::Glob => "",
            };
            // ASCII case folding is exact for ASCII needles; others need Unicode folding.
            if !cased && !text.is_ascii() {
                globs.push(p.to_regex());
                continue;
            }
            match shape {
                Shape::Any => m.any = true,
                Shape::Exact(t) => m.exact.push(t.to_owned()),
                Shape::Prefix(t) => m.prefixes.push(t.to_owned()),
                Shape::Suffix(t) => m.suffixes.push(t.to_owned()),
                Shape::Contains(t) => needles.push(t.to_owned()),
                Shape::Glob => globs.push(p.to_regex()),
            }
        }
        if !needles.is_empty() {
            let ac = AhoCorasick::builder()
                .ascii_case_insensitive(!cased)
                .build(&needles)
                .map_err(|e| format!("cannot build the substring matcher: {e}"))?;
            m.contains = Some(ac);
        }
        if !globs.is_empty() {
            let alternation = globs
                .iter()
                .map(|g| format!("(?:{g})"))
                .collect::<Vec<_>>()
                .join("|");
            let re = RegexBuilder::new(&alternation)
                .case_insensitive(!cased)
                .dot_matches_new_line(true)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| format!("cannot compile the wildcard pattern: {e}"))?;
            m.regexes.push(re);
        }
        Ok(m)
    }

    /// Matches any of the regular expressions `patterns` (Sigma `re`), searched
    /// anywhere in the value.
    pub(crate) fn regexes(patterns: &[String], flags: ReFlags) -> Result<Self, String> {
        let mut regexes = Vec::new();
        for p in patterns {
            let re = RegexBuilder::new(p)
                .case_insensitive(flags.insensitive)
                .multi_line(flags.multi_line)
                .dot_matches_new_line(flags.dot_all)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| format!("invalid regular expression {p:?}: {e}"))?;
            regexes.push(re);
        }
        Ok(StrMatcher {
            cased: true,
            any: false,
            exact: Vec::new(),
            prefixes: Vec::new(),
            suffixes: Vec::new(),
            contains: None,
            regexes,
            key: format!("r{flags:?}{patterns:?}"),
        })
    }

    /// A key identifying what the matcher accepts, for caching results.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// True when the matcher uses a regular expression (costlier).
    pub(crate) fn uses_regex(&self) -> bool {
        !self.regexes.is_empty()
    }

    /// True when `s` matches any pattern.
    #[inline]
    pub(crate) fn is_match(&self, s: &str) -> bool {
        if self.any {
            return true;
        }
        let eq = |a: &[u8], b: &[u8]| {
            if self.cased {
                a == b
            } else {
                a.eq_ignore_ascii_case(b)
            }
        };
        let b = s.as_bytes();
        if self.exact.iter().any(|e| eq(b, e.as_bytes())) {
            return true;
        }
        if self
            .prefixes
            .iter()
            .any(|p| b.len() >= p.len() && eq(&b[..p.len()], p.as_bytes()))
        {
            return true;
        }
        if self
            .suffixes
            .iter()
            .any(|p| b.len() >= p.len() && eq(&b[b.len() - p.len()..], p.as_bytes()))
        {
            return true;
        }
        if let Some(ac) = &self.contains {
            if ac.is_match(s) {
                return true;
            }
        }
        self.regexes.iter().any(|r| r.is_match(s))
    }
}

/// `re` sub-modifiers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ReFlags {
    /// `i`
    pub(crate) insensitive: bool,
    /// `m`
    pub(crate) multi_line: bool,
    /// `s`
    pub(crate) dot_all: bool,
}

/// `text` as it appears inside a JSON string (without the quotes).
fn json_escape(text: &str) -> String {
    let quoted = serde_json::Value::String(text.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// A numeric comparison (`gt`, …, or a plain number compared for equality).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NumTest {
    /// The comparison.
    pub(crate) op: CmpOp,
    /// The rule's number.
    pub(crate) value: f64,
    /// For equality, the number as written: a value that is not a number still
    /// matches when it is this text.
    pub(crate) text: Option<String>,
}

impl NumTest {
    /// True when `s` compares as required.
    pub(crate) fn is_match(&self, s: &str) -> bool {
        match s.trim().parse::<f64>() {
            Ok(x) => match self.op {
                CmpOp::Gt => x > self.value,
                CmpOp::Gte => x >= self.value,
                CmpOp::Lt => x < self.value,
                CmpOp::Lte => x <= self.value,
                CmpOp::Eq => x == self.value,
                CmpOp::Neq => x != self.value,
            },
            Err(_) => self
                .text
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(s)),
        }
    }
}

/// An IPv4 or IPv6 network (`cidr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Net {
    /// Address and mask.
    V4(u32, u32),
    /// Address and mask.
    V6(u128, u128),
}

impl Net {
    /// Parses `10.0.0.0/8`, `2001:db8::/32` or a single address.
    pub(crate) fn parse(s: &str) -> Result<Net, String> {
        let (addr, bits) = match s.trim().split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (s.trim(), None),
        };
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{s}` is not an IP network (e.g. 10.0.0.0/8, fd00::/8)"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let bits: u32 = match bits {
            None => max,
            Some(b) => b
                .parse()
                .ok()
                .filter(|b| *b <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0 to {max}"))?,
        };
        Ok(match ip {
            IpAddr::V4(a) => {
                let mask = if bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - bits)
                };
                Net::V4(u32::from(a) & mask, mask)
            }
            IpAddr::V6(a) => {
                let mask = if bits == 0 {
                    0
                } else {
                    u128::MAX << (128 - bits)
                };
                Net::V6(u128::from(a) & mask, mask)
            }
        })
    }

    /// True when the address `s` is in the network (IPv4-mapped IPv6 addresses count
    /// as IPv4).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self, ip) {
            (Net::V4(net, mask), IpAddr::V4(a)) => u32::from(a) & mask == *net,
            (Net::V6(net, mask), IpAddr::V6(a)) => u128::from(a) & mask == *net,
            _ => false,
        }
    }
}

/// True when `s` is an address in any of `nets`.
pub(crate) fn in_networks(nets: &[Net], s: &str) -> bool {
    match s.trim().parse::<IpAddr>() {
        Ok(ip) => nets.iter().any(|n| n.contains(ip)),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(patterns: &[&str], cased: bool) -> StrMatcher {
        let ps: Vec<Pattern> = patterns.iter().map(|p| Pattern::parse(p)).collect();
        StrMatcher::new(&ps, cased, false).unwrap()
    }

    #[test]
    fn each_shape_matches_case_insensitively_unless_cased() {
        let x = m(
            &["CreateUser", "Get*", "*Policy", "*secret*", "a*b?c"],
            false,
        );
        for yes in [
            "createuser",
            "GETOBJECT",
            "putrolepolicy",
            "xSeCrEtx",
            "AxxBzc",
        ] {
            assert!(x.is_match(yes), "{yes}");
        }
        for no in ["CreateUsers", "xGet", "Policyx", "secre", "abc"] {
            assert!(!x.is_match(no), "{no}");
        }
        let c = m(&["CreateUser"], true);
        assert!(c.is_match("CreateUser"));
        assert!(!c.is_match("createuser"));
    }

    #[test]
    fn non_ascii_needles_fold_unicode_case() {
        let x = m(&["*ÉTÉ*"], false);
        assert!(x.is_match("un été chaud"));
    }

    #[test]
    fn json_text_also_tries_escaped_literals() {
        let p = [Pattern::parse(r#"*"Allow"*"#)];
        let x = StrMatcher::new(&p, false, true).unwrap();
        assert!(x.is_match(r#"{"policy":"{\"Effect\":\"Allow\"}"}"#));
        let plain = StrMatcher::new(&p, false, false).unwrap();
        assert!(!plain.is_match(r#"{"policy":"{\"Effect\":\"Allow\"}"}"#));
    }

    #[test]
    fn networks_match_v4_v6_and_mapped_addresses() {
        let nets = [
            Net::parse("10.0.0.0/8").unwrap(),
            Net::parse("2001:db8::/32").unwrap(),
        ];
        assert!(in_networks(&nets, "10.1.2.3"));
        assert!(in_networks(&nets, "::ffff:10.9.9.9"));
        assert!(in_networks(&nets, "2001:db8:1::5"));
        assert!(!in_networks(&nets, "11.0.0.1"));
        assert!(!in_networks(&nets, "2001:db9::1"));
        assert!(!in_networks(&nets, "AWS Internal"));
        assert!(Net::parse("10.0.0.0/33").is_err());
        assert!(Net::parse("nope").is_err());
    }

    #[test]
    fn numbers_compare_numerically() {
        let gt = NumTest {
            op: CmpOp::Gt,
            value: 100.0,
            text: None,
        };
        assert!(gt.is_match("101"));
        assert!(gt.is_match(" 1e3 "));
        assert!(!gt.is_match("99"));
        assert!(!gt.is_match("abc"));
        let eq = NumTest {
            op: CmpOp::Eq,
            value: 500.0,
            text: Some("500".into()),
        };
        assert!(eq.is_match("500.0"));
        assert!(!eq.is_match("5000"));
    }
}
