//! `payload_shape`: a payload with its values replaced by type tokens.
//!
//! Why: a stateless attack against a function is one *template* sprayed with varying
//! values — `' OR 1=1--`, `' OR 2=2--`, `' OR 7=7--` from one scanner, or one
//! path-traversal string with every depth of `../`. Grouping invocations by their raw
//! payload sees thousands of unique values; grouping by shape sees one new, rare group,
//! which is what the baselines score. The shape must therefore
//!
//! - collapse the values benign traffic varies on (ids, numbers, timestamps, names,
//!   e-mail addresses, tokens) into one token each, and
//! - keep what distinguishes an attack from a benign value: punctuation, operators and
//!   a small set of keywords (`or`, `union`, `sleep`, `script`, `jndi`, `passwd`, …).
//!
//! Rules, applied recursively:
//! - objects keep their keys, sorted, so key order does not matter; keys that are
//!   themselves ids (uuids, numbers) become tokens, and identical `key:shape` members
//!   collapse;
//! - numbers → `<n>`, booleans → `<b>`, null → `<null>`;
//! - arrays → the distinct shapes of their elements, sorted (bounded);
//! - strings holding a JSON object or array (an API Gateway `body`) are parsed and
//!   shaped; `a=1&b=x` form or query strings shape each value under its key;
//! - other strings are classified — `<uuid>`, `<ip>` (`<metadata-ip>` for the instance
//!   metadata address, `<loopback-ip>` for loopback), `<email>`, `<ts>`, `<int>`,
//!   `<dec>`, `<hex>`, `<b64>`, `<word>` — or else reduced to a character-class
//!   template: digit runs → `0`, letter runs → `a` except the attack keywords (kept,
//!   lower-cased), whitespace runs → one space (`\n` when they hold a line break),
//!   punctuation kept, a unit of 1–3 characters repeated three or more times cut to two
//!   repeats (`../../../../` → `../../`), percent-encoding decoded once; at most
//!   [`MAX_STRING_SHAPE`] characters per string;
//! - the whole shape is at most [`MAX_SHAPE`] bytes, then `…`.
//!
//! Changing digits inside values never changes a shape (a property test checks it),
//! except where the digits are the point: the metadata and loopback addresses, and
//! percent-escapes.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::net::Ipv6Addr;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

/// Longest shape, in bytes; a longer one is cut and ends with `…`.
pub const MAX_SHAPE: usize = 1024;

/// Longest template of one string value, in characters; a longer one ends with `…`.
pub const MAX_STRING_SHAPE: usize = 64;

/// Nesting depth (objects, arrays, JSON inside strings) shaped before `…`.
const MAX_DEPTH: usize = 12;
/// Array elements looked at.
const MAX_ARRAY_ITEMS: usize = 64;
/// Distinct element shapes kept per array.
const MAX_ARRAY_SHAPES: usize = 8;
/// Longest object key kept, in characters.
const MAX_KEY: usize = 48;
/// Longest string classified as a `<word>`.
const MAX_WORD: usize = 64;

/// Keywords kept verbatim (lower-cased) in templates: SQL injection, XSS, JNDI/SSRF
/// schemes and targets, file inclusion targets, shell commands, prototype pollution
/// and template injection. Everything else made of letters becomes `a`.
#[rustfmt::skip]
const KEYWORDS: &[&str] = &[
    // SQL injection
    "or", "and", "not", "union", "select", "from", "where", "order", "by", "insert", "into",
    "update", "delete", "drop", "exec", "execute", "declare", "cast", "convert", "concat",
    "char", "chr", "sleep", "benchmark", "waitfor", "delay", "pg_sleep", "xp_cmdshell",
    "information_schema", "load_file", "outfile", "dumpfile", "null",
    // XSS
    "script", "javascript", "vbscript", "alert", "prompt", "confirm", "onerror", "onload",
    "onmouseover", "onfocus", "img", "svg", "iframe", "eval", "document", "cookie",
    "fromcharcode", "atob",
    // JNDI / SSRF / file inclusion schemes and targets
    "jndi", "ldap", "ldaps", "rmi", "dns", "iiop", "corba", "env", "sys", "lower", "upper",
    "http", "https", "file", "gopher", "dict", "ftp", "php", "phar", "data", "expect", "input",
    "filter", "localhost", "metadata", "computemetadata", "internal", "latest", "iam",
    "credentials",
    // Local files
    "etc", "passwd", "shadow", "hosts", "proc", "self", "environ", "cmdline", "windows",
    "system32", "win", "ini", "boot", "tmp", "dev",
    // Shell
    "bin", "sh", "bash", "zsh", "cmd", "powershell", "curl", "wget", "nc", "ncat", "netcat",
    "whoami", "id", "uname", "cat", "ls", "echo", "ping", "nslookup", "python", "perl", "ruby",
    "chmod", "rm", "mkfifo", "base64",
    // Prototype pollution, template and deserialisation injection
    "__proto__", "constructor", "prototype", "__class__", "__globals__", "__import__",
    "__builtins__", "os", "system", "popen", "subprocess", "getruntime", "runtime", "class",
];

fn keywords() -> &'static HashSet<&'static str> {
    static K: OnceLock<HashSet<&'static str>> = OnceLock::new();
    K.get_or_init(|| KEYWORDS.iter().copied().collect())
}

/// True when `run` (letters and `_`) is an attack keyword.
fn is_keyword(run: &str) -> bool {
    // The longest keyword is 18 bytes: longer runs cannot match, so skip lower-casing.
    run.len() <= 20 && keywords().contains(run.to_ascii_lowercase().as_str())
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    // The patterns are literals of this file; the unit tests compile every one.
    cell.get_or_init(|| Regex::new(pattern).expect("static shape regex compiles"))
}

fn ts_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(
        &R,
        r"^(?:\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?|\d{2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} ?[+-]\d{4})$",
    )
}

fn email_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(
        &R,
        r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$",
    )
}

/// IPv4 addresses and uuids inside longer strings (URLs, free text).
fn embedded_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    regex(
        &R,
        r"\b\d{1,3}(?:\.\d{1,3}){3}\b|\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
    )
}

/// The shape of a JSON value (see the module documentation).
pub fn shape(v: &Value) -> String {
    let mut out = String::new();
    value(v, 0, &mut out);
    cap(out, MAX_SHAPE)
}

/// The shape of one string value: a JSON document, a form or query string, a
/// classified token or a template (see the module documentation).
pub fn shape_text(s: &str) -> String {
    let mut out = String::new();
    string(s, 0, &mut out);
    cap(out, MAX_SHAPE)
}

/// Cuts `s` to at most `max` bytes (on a character boundary) and marks the cut.
fn cap(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

fn full(out: &str) -> bool {
    out.len() > MAX_SHAPE
}

fn value(v: &Value, depth: usize, out: &mut String) {
    if full(out) {
        return;
    }
    match v {
        Value::Null => out.push_str("<null>"),
        Value::Bool(_) => out.push_str("<b>"),
        Value::Number(_) => out.push_str("<n>"),
        Value::String(s) => string(s, depth, out),
        Value::Array(items) => array(items, depth, out),
        Value::Object(map) => object(map, depth, out),
    }
}

fn array(items: &[Value], depth: usize, out: &mut String) {
    if depth >= MAX_DEPTH {
        out.push_str("[…]");
        return;
    }
    let shapes: BTreeSet<String> = items
        .iter()
        .take(MAX_ARRAY_ITEMS)
        .map(|item| {
            let mut s = String::new();
            value(item, depth + 1, &mut s);
            cap(s, MAX_SHAPE)
        })
        .collect();
    out.push('[');
    for (i, s) in shapes.iter().take(MAX_ARRAY_SHAPES).enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(s);
    }
    if shapes.len() > MAX_ARRAY_SHAPES {
        out.push_str(",…");
    }
    out.push(']');
}

/// An object key as it appears in a shape: ids become tokens, long keys are cut.
fn key(k: &str) -> Cow<'_, str> {
    match classify(k) {
        Some(t @ ("<uuid>" | "<int>" | "<dec>" | "<hex>" | "<ip>" | "<email>" | "<ts>")) => {
            Cow::Borrowed(t)
        }
        _ if k.chars().count() > MAX_KEY => {
            Cow::Owned(k.chars().take(MAX_KEY).chain(['…']).collect())
        }
        _ => Cow::Borrowed(k),
    }
}

fn object(map: &serde_json::Map<String, Value>, depth: usize, out: &mut String) {
    if depth >= MAX_DEPTH {
        out.push_str("{…}");
        return;
    }
    // Shaped members, sorted and deduplicated: `{"<uuid>":1,"<uuid>":2}` is one member.
    let mut members = BTreeSet::new();
    let mut size = 0;
    for (k, v) in map {
        if size > MAX_SHAPE {
            break;
        }
        let mut s = String::new();
        value(v, depth + 1, &mut s);
        let s = cap(s, MAX_SHAPE);
        size += k.len() + s.len() + 2;
        members.insert((key(k).into_owned(), s));
    }
    out.push('{');
    for (i, (k, s)) in members.iter().enumerate() {
        if full(out) {
            break;
        }
        if i > 0 {
            out.push(',');
        }
        out.push_str(k);
        out.push(':');
        out.push_str(s);
    }
    out.push('}');
}

fn string(s: &str, depth: usize, out: &mut String) {
    if depth >= MAX_DEPTH {
        out.push('…');
        return;
    }
    let t = s.trim();
    if t.is_empty() {
        out.push_str("<empty>");
        return;
    }
    if (t.starts_with('{') && t.ends_with('}')) || (t.starts_with('[') && t.ends_with(']')) {
        if let Ok(v @ (Value::Object(_) | Value::Array(_))) = serde_json::from_str::<Value>(t) {
            value(&v, depth + 1, out);
            return;
        }
    }
    if let Some(token) = classify(t) {
        out.push_str(token);
        return;
    }
    if let Some(pairs) = form(t) {
        let shaped: BTreeSet<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| {
                let mut s = String::new();
                string(&v, depth + 1, &mut s);
                (k, cap(s, MAX_SHAPE))
            })
            .collect();
        for (i, (k, v)) in shaped.iter().enumerate() {
            if full(out) {
                break;
            }
            if i > 0 {
                out.push('&');
            }
            out.push_str(k);
            out.push('=');
            out.push_str(v);
        }
        return;
    }
    out.push_str(&template(t));
}

/// The token of a benign value kind, or `None` when the string needs a template.
fn classify(s: &str) -> Option<&'static str> {
    let b = s.as_bytes();
    if is_uuid(b) {
        return Some("<uuid>");
    }
    if let Some(t) = ip_token(s) {
        return Some(t);
    }
    if ts_re().is_match(s) {
        return Some("<ts>");
    }
    let unsigned = b.strip_prefix(b"-").unwrap_or(b);
    if !unsigned.is_empty() && unsigned.iter().all(u8::is_ascii_digit) {
        return Some("<int>");
    }
    if let Some((i, f)) = s.strip_prefix('-').unwrap_or(s).split_once('.') {
        let digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
        if digits(i) && digits(f) {
            return Some("<dec>");
        }
    }
    if s.contains('@') && email_re().is_match(s) {
        return Some("<email>");
    }
    if b.len() >= 8 && b.iter().all(u8::is_ascii_hexdigit) && b.iter().any(u8::is_ascii_digit) {
        return Some("<hex>");
    }
    if is_b64(b) {
        return Some("<b64>");
    }
    if is_word(s) {
        return Some("<word>");
    }
    None
}

fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `<ip>`, `<metadata-ip>` or `<loopback-ip>` for a whole-string IP address. IPv4 is
/// recognised by syntax (1–3 digits, four times) so that changing digits keeps it
/// an `<ip>`.
fn ip_token(s: &str) -> Option<&'static str> {
    if s.contains(':') {
        let ip: Ipv6Addr = s
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        return Some(match ip.to_ipv4_mapped() {
            Some(v4) => ipv4_token(&v4.octets().map(u16::from)),
            None if ip.is_loopback() => "<loopback-ip>",
            None if ip.segments() == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254] => "<metadata-ip>",
            None => "<ip>",
        });
    }
    let mut octets = [0u16; 4];
    let mut parts = s.split('.');
    for o in &mut octets {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        *o = p.parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(ipv4_token(&octets))
}

fn ipv4_token(o: &[u16; 4]) -> &'static str {
    match o {
        [169, 254, 169, 254] => "<metadata-ip>",
        [127, ..] => "<loopback-ip>",
        _ => "<ip>",
    }
}

/// Long base64 (or base64url) text: at least 20 characters of the alphabet, with
/// upper- and lower-case letters and digits, padding only at the end.
fn is_b64(b: &[u8]) -> bool {
    if b.len() < 20 {
        return false;
    }
    let body = b
        .strip_suffix(b"==")
        .or_else(|| b.strip_suffix(b"="))
        .unwrap_or(b);
    body.iter()
        .all(|c| c.is_ascii_alphanumeric() || b"+/_-".contains(c))
        && body.iter().any(u8::is_ascii_digit)
        && body.iter().any(u8::is_ascii_uppercase)
        && body.iter().any(u8::is_ascii_lowercase)
        && !b.starts_with(b"/")
}

/// A plain identifier or word (`alice`, `order-42`, `example.com`) holding no attack
/// keyword.
fn is_word(s: &str) -> bool {
    s.len() <= MAX_WORD
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c))
        && s.bytes().any(|c| c.is_ascii_alphabetic())
        && !s
            .split(|c: char| !(c.is_ascii_alphabetic() || c == '_'))
            .any(|run| !run.is_empty() && is_keyword(run))
}

/// Splits `a=1&b=x` into decoded `(key, value)` pairs, keys with digit runs as `0`
/// (`a[0]`, `a[1]` are one key). `None` unless every key looks like a parameter name.
fn form(s: &str) -> Option<Vec<(String, String)>> {
    if !s.contains('=') {
        return None;
    }
    let mut pairs = Vec::new();
    // The first parameters are enough for a shape; a huge form stays cheap.
    for part in s.split('&').filter(|p| !p.is_empty()).take(MAX_ARRAY_ITEMS) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let k = percent_decode(k, true);
        let first = k.chars().next()?;
        if k.len() > MAX_KEY
            || !(first.is_ascii_alphabetic() || first == '_')
            || !k
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.[]".contains(c))
        {
            return None;
        }
        pairs.push((zero_digits(&k), percent_decode(v, true).into_owned()));
    }
    (!pairs.is_empty()).then_some(pairs)
}

fn zero_digits(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_digit = false;
    for c in s.chars() {
        let d = c.is_ascii_digit();
        if !(d && prev_digit) {
            out.push(if d { '0' } else { c });
        }
        prev_digit = d;
    }
    out
}

/// Decodes `%XX` escapes once (and `+` as a space in form encoding), leaving a `%`
/// that starts no escape as it is. Borrowed when there is nothing to decode.
pub(crate) fn percent_decode(s: &str, plus_as_space: bool) -> Cow<'_, str> {
    if plus_as_space && s.contains('+') {
        // `+` is replaced before decoding, so an escaped `%2B` stays a plus.
        let spaced = s.replace('+', " ");
        return Cow::Owned(
            percent_encoding::percent_decode_str(&spaced)
                .decode_utf8_lossy()
                .into_owned(),
        );
    }
    percent_encoding::percent_decode_str(s).decode_utf8_lossy()
}

/// The character-class template of a string that is no benign value kind.
fn template(s: &str) -> String {
    let decoded = percent_decode(s, false);
    let s = decoded.as_ref();
    let mut t = String::with_capacity(s.len().min(4 * MAX_STRING_SHAPE));
    let mut last = 0;
    for m in embedded_re().find_iter(s) {
        classes(&s[last..m.start()], &mut t);
        t.push_str(if is_uuid(m.as_str().as_bytes()) {
            "<uuid>"
        } else {
            ip_token(m.as_str()).unwrap_or("<ip>")
        });
        last = m.end();
        if t.len() > 8 * MAX_STRING_SHAPE {
            break;
        }
    }
    if t.len() <= 8 * MAX_STRING_SHAPE {
        classes(&s[last..], &mut t);
    }
    let t = collapse_repeats(&t);
    if t.chars().count() > MAX_STRING_SHAPE {
        t.chars().take(MAX_STRING_SHAPE).chain(['…']).collect()
    } else {
        t
    }
}

/// Appends the character classes of `s`: `0` per digit run, `a` per letter run (or
/// the keyword), one space per whitespace run (`\n` if it breaks a line), `\c` per
/// run of control characters, punctuation as is.
fn classes(s: &str, out: &mut String) {
    let mut it = s.char_indices().peekable();
    while let Some((start, c)) = it.next() {
        if out.len() > 8 * MAX_STRING_SHAPE {
            return;
        }
        if c.is_ascii_digit() {
            while it.next_if(|(_, c)| c.is_ascii_digit()).is_some() {}
            out.push('0');
        } else if c.is_alphabetic() || c == '_' {
            let mut end = start + c.len_utf8();
            while let Some((i, c)) = it.next_if(|(_, c)| c.is_alphabetic() || *c == '_') {
                end = i + c.len_utf8();
            }
            let run = &s[start..end];
            if is_keyword(run) {
                out.push_str(&run.to_ascii_lowercase());
            } else {
                out.push('a');
            }
        } else if c.is_whitespace() {
            let mut newline = c == '\n' || c == '\r';
            while let Some((_, c)) = it.next_if(|(_, c)| c.is_whitespace()) {
                newline |= c == '\n' || c == '\r';
            }
            out.push_str(if newline { "\\n" } else { " " });
        } else if c.is_control() {
            while it
                .next_if(|(_, c)| c.is_control() && !c.is_whitespace())
                .is_some()
            {}
            out.push_str("\\c");
        } else {
            out.push(c);
        }
    }
}

/// Cuts any unit of 1–3 characters repeated three or more times in a row to two
/// repeats: `../../../../` → `../../`, `-----` → `--`, `a a a a a` → `a a a`.
fn collapse_repeats(t: &str) -> String {
    let c: Vec<char> = t.chars().collect();
    let mut out = String::with_capacity(t.len());
    let mut i = 0;
    'outer: while i < c.len() {
        for len in 1..=3 {
            let unit = &c[i..(i + len).min(c.len())];
            if unit.len() < len {
                break;
            }
            let mut n = 1;
            while c.get(i + n * len..i + (n + 1) * len) == Some(unit) {
                n += 1;
            }
            if n >= 3 {
                for _ in 0..2 {
                    out.extend(unit);
                }
                i += n * len;
                continue 'outer;
            }
        }
        out.push(c[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn regexes_compile() {
        ts_re();
        email_re();
        embedded_re();
    }

    #[test]
    fn sql_injection_template_groups_and_differs_from_names() {
        let a = shape_text("' OR 1=1--");
        assert_eq!(a, shape_text("' OR 2=2--"));
        assert_eq!(a, shape_text("' or 77=77--"));
        assert_eq!(a, "' or 0=0--");
        assert_ne!(a, shape_text("alice"));
        assert_eq!(shape_text("alice"), "<word>");
        assert_eq!(shape_text("bob"), "<word>");
        assert_eq!(
            shape_text("1' UNION SELECT username, password FROM users--"),
            "0' union select a, a from a--"
        );
        assert_eq!(shape_text("1 AND SLEEP(5)"), "0 and sleep(0)");
    }

    #[test]
    fn benign_kinds_become_tokens() {
        assert_eq!(shape_text("6f1c3a2e-9b7d-4c1e-8a55-0d2b7e9f4a10"), "<uuid>");
        assert_eq!(shape_text("203.0.113.9"), "<ip>");
        assert_eq!(shape_text("2001:db8::7"), "<ip>");
        assert_eq!(shape_text("169.254.169.254"), "<metadata-ip>");
        assert_eq!(shape_text("127.0.0.1"), "<loopback-ip>");
        assert_eq!(shape_text("::1"), "<loopback-ip>");
        assert_eq!(shape_text("carol.smith+news@example.org"), "<email>");
        assert_eq!(shape_text("2024-03-05T10:11:12.345Z"), "<ts>");
        assert_eq!(shape_text("2024-03-05"), "<ts>");
        assert_eq!(shape_text("05/Mar/2024:10:11:12 +0000"), "<ts>");
        assert_eq!(shape_text("12345"), "<int>");
        assert_eq!(shape_text("-3.25"), "<dec>");
        assert_eq!(shape_text("9f86d081884c7d65"), "<hex>");
        assert_eq!(shape_text("dGhpcyBpcyBhIGxvbmcgdGVzdCBzdHJpbmc9"), "<b64>");
        assert_eq!(shape_text("item-42"), "<word>");
        assert_eq!(shape_text("example.com"), "<word>");
        assert_eq!(shape_text(""), "<empty>");
        // A keyword alone is kept: `passwd` is not a benign word.
        assert_eq!(shape_text("passwd"), "passwd");
    }

    #[test]
    fn attacks_keep_their_operators_and_keywords() {
        assert_eq!(shape_text("../../../../etc/passwd"), "../../etc/passwd");
        assert_eq!(shape_text("../../etc/passwd"), "../../etc/passwd");
        assert_eq!(
            shape_text("%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
            "../../etc/passwd"
        );
        assert_eq!(
            shape_text("${jndi:ldap://198.51.100.7:1389/a}"),
            "${jndi:ldap://<ip>:0/a}"
        );
        assert_eq!(
            shape_text("http://169.254.169.254/latest/meta-data/iam/"),
            "http://<metadata-ip>/latest/a-data/iam/"
        );
        assert_eq!(
            shape_text("<script>alert(1)</script>"),
            "<script>alert(0)</script>"
        );
        assert_eq!(shape_text("; cat /etc/passwd"), "; cat /etc/passwd");
        assert_eq!(shape_text("x\r\nSet-Cookie: a"), "a\\na-cookie: a");
        assert_eq!(shape_text("hello there, how are you today"), "a a, a a");
    }

    #[test]
    fn json_and_forms_inside_strings() {
        let body = shape_text(r#"{"user":"dave","age":31,"tags":["a","b",3]}"#);
        assert_eq!(body, "{age:<n>,tags:[<n>,<word>],user:<word>}");
        assert_eq!(shape_text("user=dave&id=7"), "id=<int>&user=<word>");
        assert_eq!(
            shape_text("q=%27+OR+1%3D1--&page=2"),
            "page=<int>&q=' or 0=0--"
        );
        assert_eq!(shape_text("a[0]=x&a[1]=y"), "a[0]=<word>");
    }

    #[test]
    fn objects_sort_keys_and_collapse_ids() {
        let a = shape(&json!({"b": 1, "a": "x"}));
        assert_eq!(a, "{a:<word>,b:<n>}");
        let ids = shape(
            &json!({"6f1c3a2e-9b7d-4c1e-8a55-0d2b7e9f4a10": {"n": 1}, "0d2b7e9f-9b7d-4c1e-8a55-6f1c3a2e4a10": {"n": 2}}),
        );
        assert_eq!(ids, "{<uuid>:{n:<n>}}");
        assert_eq!(shape(&json!([true, null, 1.5])), "[<b>,<n>,<null>]");
    }

    #[test]
    fn bounded() {
        let long = "x!".repeat(500);
        let s = shape_text(&long);
        assert!(s.chars().count() <= MAX_STRING_SHAPE + 1, "{s}");
        let many: serde_json::Map<String, Value> = (0..2000)
            .map(|i| {
                (
                    format!("key_{}", "k".repeat(i % 40) + &i.to_string()),
                    json!("a b!"),
                )
            })
            .collect();
        let s = shape(&Value::Object(many));
        assert!(s.len() <= MAX_SHAPE + '…'.len_utf8(), "{}", s.len());
        assert!(s.ends_with('…'));
        let mut deep = json!(1);
        for _ in 0..100 {
            deep = json!({ "d": deep });
        }
        assert!(shape(&deep).contains('…'));
    }

    fn special_ip(s: &str) -> bool {
        embedded_re()
            .find_iter(s)
            .any(|m| ip_token(m.as_str()).is_some_and(|t| t != "<ip>"))
            || s.split(|c: char| !(c.is_ascii_digit() || c == '.'))
                .any(|p| ip_token(p).is_some_and(|t| t != "<ip>"))
    }

    fn shift_digits(s: &str, k: u8) -> String {
        s.chars()
            .map(|c| match c {
                '0'..='9' => char::from(b'0' + (c as u8 - b'0' + k) % 10),
                c => c,
            })
            .collect()
    }

    fn shift_value(v: &Value, k: u8) -> Value {
        match v {
            Value::String(s) => Value::String(shift_digits(s, k)),
            Value::Array(a) => Value::Array(a.iter().map(|x| shift_value(x, k)).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(key, x)| (key.clone(), shift_value(x, k)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[a-zA-Z0-9 '=/._,;()<>&?!*-]{0,30}".prop_map(Value::String),
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}".prop_map(Value::String),
            "[a-z]{1,6}=[a-z0-9' ]{0,8}(&[a-z]{1,4}[0-9]?=[0-9]{1,4})?".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{1,8}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn shape_is_deterministic(v in arb_value()) {
            prop_assert_eq!(shape(&v), shape(&v.clone()));
        }

        #[test]
        fn shape_ignores_digit_changes(v in arb_value(), k in 1u8..10) {
            let w = shift_value(&v, k);
            prop_assume!(!special_ip(&v.to_string()) && !special_ip(&w.to_string()));
            prop_assert_eq!(shape(&v), shape(&w));
        }

        #[test]
        fn shape_is_bounded(s in ".{0,3000}") {
            prop_assert!(shape_text(&s).len() <= MAX_SHAPE + 3);
        }

        #[test]
        fn injected_templates_group(a in 0u32..100_000, b in 0u32..100_000) {
            let x = shape_text(&format!("' OR {a}={a}--"));
            let y = shape_text(&format!("' OR {b}={b}--"));
            prop_assert_eq!(&x, &y);
            prop_assert_ne!(x, shape_text("alice"));
        }
    }
}
