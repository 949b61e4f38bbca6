//! [`Allowlist`]: findings the SOC has decided not to see, applied before output.
//!
//! The allowlist is a YAML list of entries; every field an entry sets must match:
//!
//! ```yaml
//! - rule: 4a7c…            # rule id or Sigma name, or a glob over them ("aws_iam_*")
//!   principal: "arn:aws:iam::111122223333:role/ci-*"   # glob
//!   function: "billing-*"  # glob
//!   ip: 10.0.0.0/8         # CIDR, an address, or a glob
//!   account: "111122223333"
//!   region: "eu-*"
//!   expires: 2025-12-31    # last day (UTC) it suppresses; required
//!   reason: CI deploys attach policies (TICKET-123)   # required
//! ```
//!
//! Globs: `*` any run of characters, `?` one character, case-sensitive (ARNs are).
//! Principal, function, IP, account and region are matched against the finding's
//! context (its first event). Every entry must expire and say why it exists: an
//! allowlist is a decision with an owner, not a permanent blind spot. Expired entries
//! suppress nothing, and [`Allowlist::warnings`] names them so they are renewed or
//! removed. Unknown fields are errors, so a typo (`principle:`) cannot silently widen an
//! entry.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::error::DetectError;
use crate::model::Finding;

/// One allowlist entry, as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Rule (or correlation, or detector) id or Sigma `name`, or a glob over them.
    pub rule: String,
    /// Glob over the principal ARN.
    #[serde(default)]
    pub principal: Option<String>,
    /// Glob over the Lambda function name.
    #[serde(default)]
    pub function: Option<String>,
    /// Source IP: a CIDR block (`10.0.0.0/8`, `2001:db8::/32`), an address, or a glob.
    #[serde(default)]
    pub ip: Option<String>,
    /// Glob over the AWS account id.
    #[serde(default)]
    pub account: Option<String>,
    /// Glob over the AWS region.
    #[serde(default)]
    pub region: Option<String>,
    /// Last day the entry suppresses, `YYYY-MM-DD` (UTC, inclusive).
    pub expires: String,
    /// Why the entry exists (a ticket, an owner): required.
    pub reason: String,
}

#[derive(Debug, Clone)]
struct Compiled {
    entry: Entry,
    expires: NaiveDate,
    ip: Option<IpMatch>,
    suppressed: u64,
    expired_matches: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum IpMatch {
    Cidr(IpAddr, u8),
    Exact(IpAddr),
    Glob(String),
}

/// How often one entry applied during a run, for the run summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryStats<'a> {
    /// The entry.
    pub entry: &'a Entry,
    /// Findings it suppressed.
    pub suppressed: u64,
    /// Findings it would have suppressed had it not expired.
    pub expired_matches: u64,
}

/// The loaded allowlist.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    entries: Vec<Compiled>,
}

impl Allowlist {
    /// An allowlist that suppresses nothing.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Reads an allowlist file. The error names the file, the entry and the problem.
    pub fn load(path: &Path) -> Result<Self, DetectError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| allowlist_error(path, format!("cannot read: {e}")))?;
        Self::from_yaml(&text, path)
    }

    /// Parses allowlist YAML; `origin` names it in errors. An empty document is an
    /// empty allowlist.
    pub fn from_yaml(text: &str, origin: &Path) -> Result<Self, DetectError> {
        if text.trim().is_empty() {
            return Ok(Self::empty());
        }
        let raw: Vec<Entry> = yaml_serde::from_str(text)
            .map_err(|e| allowlist_error(origin, format!("expected a list of entries: {e}")))?;
        let entries = raw
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                compile(e).map_err(|(rule, problem)| {
                    allowlist_error(
                        origin,
                        format!("entry {} (rule '{rule}'): {problem}", i + 1),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Allowlist { entries })
    }

    /// Entries in file order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().map(|c| &c.entry)
    }

    /// The first entry, in file order, that is in force at `now` and matches `f`.
    pub fn check(&self, f: &Finding, now: DateTime<Utc>) -> Option<&Entry> {
        let today = now.date_naive();
        self.entries
            .iter()
            .find(|c| c.expires >= today && c.matches(f))
            .map(|c| &c.entry)
    }

    /// Keeps the findings no entry suppresses at `now`, counting per entry what it
    /// suppressed (and what expired entries would have).
    pub fn apply(&mut self, findings: Vec<Finding>, now: DateTime<Utc>) -> Vec<Finding> {
        if self.entries.is_empty() {
            return findings;
        }
        let today = now.date_naive();
        findings
            .into_iter()
            .filter(|f| {
                for c in &mut self.entries {
                    if !c.matches(f) {
                        continue;
                    }
                    if c.expires >= today {
                        c.suppressed += 1;
                        return false;
                    }
                    c.expired_matches += 1;
                }
                true
            })
            .collect()
    }

    /// One line per entry expired at `now`, naming it, with how many findings it would
    /// have suppressed in this run.
    pub fn warnings(&self, now: DateTime<Utc>) -> Vec<String> {
        let today = now.date_naive();
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, c)| c.expires < today)
            .map(|(i, c)| {
                let mut w = format!(
                    "allowlist entry {} (rule '{}', reason: {}) expired on {} and no longer suppresses",
                    i + 1,
                    c.entry.rule,
                    c.entry.reason,
                    c.entry.expires
                );
                if c.expired_matches > 0 {
                    w.push_str(&format!(
                        "; it matched {} finding(s) in this run",
                        c.expired_matches
                    ));
                }
                w
            })
            .collect()
    }

    /// Per-entry counts for the run summary, in file order.
    pub fn stats(&self) -> Vec<EntryStats<'_>> {
        self.entries
            .iter()
            .map(|c| EntryStats {
                entry: &c.entry,
                suppressed: c.suppressed,
                expired_matches: c.expired_matches,
            })
            .collect()
    }
}

fn allowlist_error(path: &Path, reason: String) -> DetectError {
    DetectError::Allowlist {
        path: PathBuf::from(path),
        reason,
    }
}

/// Checks and prepares an entry; the error is (rule, problem).
fn compile(entry: Entry) -> Result<Compiled, (String, String)> {
    let fail = |problem: String| (entry.rule.clone(), problem);
    if entry.rule.trim().is_empty() {
        return Err(fail("`rule` is empty".to_owned()));
    }
    if entry.reason.trim().is_empty() {
        return Err(fail(
            "`reason` is empty: say why the entry exists".to_owned(),
        ));
    }
    let expires = NaiveDate::parse_from_str(entry.expires.trim(), "%Y-%m-%d").map_err(|e| {
        fail(format!(
            "`expires: {}` is not a date (YYYY-MM-DD): {e}",
            entry.expires
        ))
    })?;
    let ip = entry
        .ip
        .as_deref()
        .map(parse_ip)
        .transpose()
        .map_err(fail)?;
    Ok(Compiled {
        entry,
        expires,
        ip,
        suppressed: 0,
        expired_matches: 0,
    })
}

fn parse_ip(s: &str) -> Result<IpMatch, String> {
    let s = s.trim();
    if let Some((addr, bits)) = s.split_once('/') {
        let addr: IpAddr = addr
            .parse()
            .map_err(|e| format!("`ip: {s}`: bad CIDR address: {e}"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits: u8 = bits
            .parse()
            .ok()
            .filter(|b| *b <= max)
            .ok_or_else(|| format!("`ip: {s}`: prefix length must be 0–{max}"))?;
        return Ok(IpMatch::Cidr(canonical(addr), bits));
    }
    match s.parse::<IpAddr>() {
        Ok(addr) => Ok(IpMatch::Exact(canonical(addr))),
        Err(_) => Ok(IpMatch::Glob(s.to_owned())),
    }
}

/// IPv4-mapped IPv6 (`::ffff:10.0.0.1`) as IPv4.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

impl IpMatch {
    fn matches(&self, ip: &str) -> bool {
        match self {
            IpMatch::Glob(g) => glob(g, ip),
            IpMatch::Exact(want) => ip.parse().map(canonical).is_ok_and(|a| a == *want),
            IpMatch::Cidr(net, bits) => match (ip.parse().map(canonical), net) {
                (Ok(IpAddr::V4(a)), IpAddr::V4(n)) => prefix_eq(
                    u128::from(u32::from(a)),
                    u128::from(u32::from(*n)),
                    *bits,
                    32,
                ),
                (Ok(IpAddr::V6(a)), IpAddr::V6(n)) => {
                    prefix_eq(u128::from(a), u128::from(*n), *bits, 128)
                }
                _ => false,
            },
        }
    }
}

/// True when the first `bits` of two `width`-bit numbers agree.
fn prefix_eq(a: u128, b: u128, bits: u8, width: u32) -> bool {
    let bits = u32::from(bits).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (a >> shift) == (b >> shift)
}

impl Compiled {
    fn matches(&self, f: &Finding) -> bool {
        let e = &self.entry;
        let rule_ok =
            glob(&e.rule, &f.rule.id) || f.rule.name.as_deref().is_some_and(|n| glob(&e.rule, n));
        let ctx = &f.context;
        rule_ok
            && field(&e.principal, ctx.principal.as_deref())
            && field(&e.function, ctx.function.as_deref())
            && field(&e.account, ctx.account.as_deref())
            && field(&e.region, ctx.region.as_deref())
            && match &self.ip {
                None => true,
                Some(m) => ctx.source_ip.as_deref().is_some_and(|ip| m.matches(ip)),
            }
    }
}

/// An unset pattern matches anything; a set one needs a value that matches.
fn field(pattern: &Option<String>, value: Option<&str>) -> bool {
    match pattern {
        None => true,
        Some(p) => value.is_some_and(|v| glob(p, v)),
    }
}

/// Glob match: `*` any run (also empty), `?` one character; everything else literal.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it currently covers up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            // Let the last `*` swallow one more character and retry.
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
#[path = "suppress_tests.rs"]
mod tests;
