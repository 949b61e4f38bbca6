//! Secret redaction at ingest, so that no token, password or `Authorization` header
//! reaches the lake, the quarantine, an alert or a log line.
//!
//! Two complementary rules: a value is replaced when its *key* names a secret
//! (`Authorization`, `password`, `sessionToken`, `x-api-key`, …), and a secret-looking
//! *value* is replaced wherever it appears (`Bearer …` credentials, JWTs, PEM private
//! keys, `key=value` pairs in query strings and free text). Identifiers that are not
//! secrets — access key ids, secret *names* and ARNs — are kept: responders pivot on
//! them.

use std::borrow::Cow;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use jiter::{Jiter, JiterResult, Peek};
use regex::Regex;
use serde_json::Value;

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Keys (lower-cased, without `-` and `_`) whose values are always secrets.
const SECRET_KEYS: &[&str] = &[
    "authorization",
    "proxyauthorization",
    "cookie",
    "cookies",
    "setcookie",
    "password",
    "passwd",
    "pwd",
    "secret",
    "secretstring",
    "secretbinary",
    "secretaccesskey",
    "clientsecret",
    "privatekey",
    "token",
    "apikey",
    "xapikey",
    "xamzsecuritytoken",
    "credential",
    "passphrase",
];

/// `…token` keys that are pagination or idempotency handles, not credentials.
const NON_SECRET_TOKENS: &[&str] = &[
    "nexttoken",
    "paginationtoken",
    "continuationtoken",
    "starttoken",
    "clienttoken",
    "idempotencytoken",
    "nextcontinuationtoken",
];

/// True when a JSON key or header name names a secret.
///
/// Called for every key of every redacted document, so the normalised key (lower-case,
/// without `-`, `_` and `.`) is built on the stack; only absurdly long or non-ASCII
/// keys take the allocating path.
pub fn is_secret_key(key: &str) -> bool {
    let mut buf = [0u8; 64];
    let mut n = 0;
    for b in key.bytes() {
        if matches!(b, b'-' | b'_' | b'.') {
            continue;
        }
        if !b.is_ascii() || n == buf.len() {
            return is_secret_normalised(&normalise_slow(key));
        }
        buf[n] = b.to_ascii_lowercase();
        n += 1;
    }
    // Only ASCII bytes were copied, so this cannot fail.
    std::str::from_utf8(&buf[..n]).is_ok_and(is_secret_normalised)
}

fn normalise_slow(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '-' && *c != '_' && *c != '.')
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_secret_normalised(k: &str) -> bool {
    if SECRET_KEYS.contains(&k) {
        return true;
    }
    if k.ends_with("token") {
        return !NON_SECRET_TOKENS.contains(&k);
    }
    k.ends_with("password")
        || k.ends_with("passwd")
        || k.ends_with("apikey")
        || k.ends_with("clientsecret")
}

/// Cheap pre-filter: text that contains none of these needles has nothing to redact,
/// which is the common case and keeps redaction off the ingest hot path. Each needle
/// is in a secret key of [`SECRET_KEYS`] or a trigger of a value pattern;
/// `authoriz` rather than `auth`, which every CloudTrail identity's
/// `mfaAuthenticated` holds.
const NEEDLES: &[&str] = &[
    "authoriz",
    "cookie",
    "pass",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "private",
    "credential",
    "bearer",
    "eyj",
    "-----begin",
];

/// The needles, searched in lower-cased text. A case-insensitive automaton gets no
/// SIMD prefilter and walks every byte (a tenth of `tripline detect` went there);
/// lower-casing a copy is a vectorised pass, after which the case-sensitive,
/// leftmost-first search uses the packed (Teddy) SIMD prefilter. ASCII lower-casing matches exactly what ASCII
/// case-insensitive matching would.
fn needles() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            // Leftmost-first: the packed prefilter supports no other match kind (and
            // a yes/no search cares for none).
            .match_kind(MatchKind::LeftmostFirst)
            .build(NEEDLES)
            // The needles are fixed literals; building can only fail on absurd sizes.
            .expect("static needles build")
    })
}

/// True when `s` holds a needle, in any ASCII case.
fn might_hold_secret(s: &str) -> bool {
    // Every needle has a letter past `f` (`authoriz`: `u`, `eyj`: `y`, `-----begin`:
    // `g`, …), so text without one (event ids, UUIDs, IPs, account ids, times,
    // numbers: most short strings of a finding) cannot hold any. One vectorised pass,
    // instead of a copy, a lower-casing and an automaton per string.
    if !s.bytes().any(|b| matches!(b | 0x20, b'g'..=b'z')) {
        return false;
    }
    thread_local! {
        static LOWER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    LOWER.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        buf.extend_from_slice(s.as_bytes());
        buf.make_ascii_lowercase();
        let found = needles().is_match(&buf[..]);
        if buf.capacity() > 1 << 20 {
            // Do not keep a huge payload's copy for the life of the thread.
            *buf = Vec::new();
        }
        found
    })
}

fn value_patterns() -> &'static [(Regex, &'static str)] {
    static P: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    P.get_or_init(|| {
        let r = |s: &str| Regex::new(s).expect("static regex compiles");
        vec![
            // HTTP credentials: `Bearer <token>`, `Basic <b64>`, `Digest …`.
            (r(r"(?i)\b(bearer|basic|digest|token)\s+[A-Za-z0-9\-._~+/]{8,}=*"), "$1 [REDACTED]"),
            // JSON Web Tokens.
            (r(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), "[REDACTED]"),
            // PEM private keys.
            (
                r(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)"),
                "[REDACTED]",
            ),
            // `key=value` / `key: value` pairs whose key names a secret (query strings,
            // form bodies, free text). Not after `:` — `arn:…:secret:<name>` names a
            // Secrets Manager secret, which responders pivot on; it is not one.
            (
                r(r#"(?i)(^|[^:])((?:access_?token|refresh_?token|id_?token|auth_?token|session_?token|api_?key|x-api-key|client_?secret|secret_?access_?key|password|passwd|pwd|secret)["']?\s*[=:]\s*["']?)[^&\s"',;}]+"#),
                "${1}${2}[REDACTED]",
            ),
        ]
    })
}

/// Redacts secret-looking values inside free text (log messages, query strings,
/// non-JSON bodies). Borrowed when there is nothing to redact.
pub fn text(s: &str) -> Cow<'_, str> {
    if !might_hold_secret(s) {
        return Cow::Borrowed(s);
    }
    let mut out = Cow::Borrowed(s);
    for (re, rep) in value_patterns() {
        if re.is_match(&out) {
            out = Cow::Owned(re.replace_all(&out, *rep).into_owned());
        }
    }
    out
}

/// Redacts a JSON value in place: values under secret keys, and secret-looking text in
/// every string.
pub fn value(v: &mut Value) {
    redact_value(v);
}

/// [`value`], telling whether anything changed (so callers keep the original text).
fn redact_value(v: &mut Value) -> bool {
    match v {
        Value::Object(map) => {
            let mut changed = false;
            for (k, child) in map.iter_mut() {
                if is_secret_key(k) && !child.is_null() {
                    if child.as_str() != Some(REDACTED) {
                        *child = Value::String(REDACTED.to_string());
                        changed = true;
                    }
                } else {
                    changed |= redact_value(child);
                }
            }
            changed
        }
        Value::Array(items) => items.iter_mut().fold(false, |c, i| redact_value(i) | c),
        Value::String(s) => match text(s) {
            Cow::Owned(r) if r != *s => {
                *s = r;
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// Redacts JSON text (e.g. CloudTrail `requestParameters`). Returns the input
/// unchanged — without parsing it — when the pre-filter finds nothing, and unchanged
/// after a walk that builds nothing when nothing in it is a secret (look-alikes such as
/// `nextToken` or `secretId` are common); only text with a secret is parsed, redacted
/// and written again.
pub fn json_text(raw: &str) -> Cow<'_, str> {
    if !might_hold_secret(raw) || !needs_redaction(raw) {
        return Cow::Borrowed(raw);
    }
    match serde_json::from_str::<Value>(raw) {
        Ok(mut v) => {
            if redact_value(&mut v) {
                Cow::Owned(v.to_string())
            } else {
                Cow::Borrowed(raw)
            }
        }
        // Not JSON after all: treat as text.
        Err(_) => text(raw),
    }
}

/// Whether [`redact_value`] would change the JSON text `raw`: a secret key over a
/// value that is neither null nor already redacted, or a string that [`text`]
/// rewrites. True as well whenever the walk cannot tell (invalid JSON, deep nesting),
/// so that the full path decides.
fn needs_redaction(raw: &str) -> bool {
    let mut j = Jiter::new(raw.as_bytes());
    let found = j.peek().and_then(|p| has_secret(&mut j, p, 0));
    !matches!(found, Ok(false)) || j.finish().is_err()
}

/// Nesting past which [`needs_redaction`] stops guessing.
const MAX_SCAN_DEPTH: usize = 64;

fn has_secret(j: &mut Jiter<'_>, peek: Peek, depth: usize) -> JiterResult<bool> {
    if depth > MAX_SCAN_DEPTH {
        return Ok(true);
    }
    match peek {
        Peek::Object => {
            let mut key = j.known_object()?.map(is_secret_key);
            while let Some(secret) = key {
                let value = j.peek()?;
                if secret {
                    match value {
                        Peek::Null => j.known_null()?,
                        Peek::String if j.known_str()? == REDACTED => {}
                        _ => return Ok(true),
                    }
                } else if has_secret(j, value, depth + 1)? {
                    return Ok(true);
                }
                key = j.next_key()?.map(is_secret_key);
            }
            Ok(false)
        }
        Peek::Array => {
            let mut item = j.known_array()?;
            while let Some(value) = item {
                if has_secret(j, value, depth + 1)? {
                    return Ok(true);
                }
                item = j.array_step()?;
            }
            Ok(false)
        }
        Peek::String => {
            let s = j.known_str()?;
            Ok(matches!(text(s), Cow::Owned(r) if r != s))
        }
        other => {
            j.known_skip(other)?;
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_that_name_secrets() {
        for k in [
            "Authorization",
            "x-api-key",
            "X-Amz-Security-Token",
            "sessionToken",
            "password",
            "db_password",
            "Cookie",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "nextToken",
            "secretId",
            "accessKeyId",
            "roleArn",
            "userName",
            "ClientToken",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn json_secrets_are_replaced_and_identifiers_kept() {
        let raw = r#"{"headers":{"Authorization":"Bearer abc.def.ghi","Host":"x"},"credentials":{"accessKeyId":"ASIAXXX","sessionToken":"FQoG..."},"secretId":"prod/db"}"#;
        let v: Value = serde_json::from_str(&json_text(raw)).unwrap();
        assert_eq!(v["headers"]["Authorization"], REDACTED);
        assert_eq!(v["headers"]["Host"], "x");
        assert_eq!(v["credentials"]["sessionToken"], REDACTED);
        assert_eq!(v["credentials"]["accessKeyId"], "ASIAXXX");
        assert_eq!(v["secretId"], "prod/db");
    }

    #[test]
    fn look_alikes_are_kept_without_a_rewrite() {
        for raw in [
            r#"{"maxResults":50,"nextToken":"AAEC","secretId":"prod/db"}"#,
            r#"{"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"false"}}}}"#,
            r#"{"credentials":{"accessKeyId":"ASIAX","sessionToken":"[REDACTED]"},"password":null}"#,
            r#"[{"privateIpAddress":"10.0.0.1"},{"passRole":true}]"#,
        ] {
            assert!(matches!(json_text(raw), Cow::Borrowed(_)), "{raw}");
        }
    }

    #[test]
    fn the_walk_finds_what_the_full_path_redacts() {
        for raw in [
            r#"{"a":{"b":[{"c":{"Authorization":"Basic dXNlcjpwYXNz"}}]}}"#,
            r#"{"items":["x","Bearer abcdefghijklmnopqrstuvwxyz"]}"#,
            r#"{"clientSecret":{"nested":1}}"#,
            r#"{"q":"page=1&access_token=s3cr3tvalue"}"#,
            r#"{"k\u0065y":"x","Pass\u0077ord":"hunter2"}"#,
        ] {
            assert!(needs_redaction(raw), "{raw}");
            let out = json_text(raw);
            assert!(
                matches!(out, Cow::Owned(_)) && out.contains(REDACTED),
                "{out}"
            );
        }
        // Not JSON: the full path redacts it as text.
        assert!(needs_redaction(r#"{"a":1} password=hunter2"#));
        assert_eq!(
            json_text(r#"{"a":1} password=hunter2"#),
            r#"{"a":1} password=[REDACTED]"#
        );
    }

    proptest::proptest! {
        /// Whatever the document, skipping the rewrite when the walk finds nothing
        /// never keeps a secret the full path would have replaced.
        #[test]
        fn the_walk_never_misses_a_change(
            keys in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just("token"), proptest::strategy::Just("nextToken"),
                proptest::strategy::Just("Authorization"), proptest::strategy::Just("id"),
                proptest::strategy::Just("x-api-key"), proptest::strategy::Just("secretId"),
            ], 1..6),
            values in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just(serde_json::json!(null)),
                proptest::strategy::Just(serde_json::json!("[REDACTED]")),
                proptest::strategy::Just(serde_json::json!("plain")),
                proptest::strategy::Just(serde_json::json!("Bearer abcdefghijklmnop")),
                proptest::strategy::Just(serde_json::json!({"password": "x"})),
                proptest::strategy::Just(serde_json::json!([1, "secret=hunter2"])),
            ], 1..6),
        ) {
            let doc: serde_json::Map<String, Value> =
                keys.iter().map(|k| k.to_string()).zip(values).collect();
            let raw = Value::Object(doc).to_string();
            let mut v: Value = serde_json::from_str(&raw).unwrap();
            if redact_value(&mut v) {
                proptest::prop_assert!(needs_redaction(&raw), "{}", raw);
            }
        }
    }

    #[test]
    fn needles_match_in_any_case() {
        for s in [
            "AUTHORIZATION: x",
            "x-Api-Key",
            "PassWord",
            "-----BEGIN RSA",
            "eYj0",
        ] {
            assert!(might_hold_secret(s), "{s}");
        }
        for s in ["mfaAuthenticated", "GetObject", "arn:aws:iam::1:role/r", ""] {
            assert!(!might_hold_secret(s), "{s}");
        }
        // Every needle is lower case, as the lower-cased text it is searched in.
        assert!(NEEDLES.iter().all(|n| n.to_ascii_lowercase() == *n));
    }

    #[test]
    fn text_without_a_letter_past_f_is_clean_without_a_search() {
        // The shortcut in `might_hold_secret` is sound only while every needle has one.
        for n in NEEDLES {
            assert!(n.bytes().any(|b| matches!(b, b'g'..=b'z')), "{n}");
        }
        for s in [
            "3f2a9c1e-0b4d-4e8f-9a7b-1c2d3e4f5a6b",
            "10.0.0.1",
            "1714521600000",
        ] {
            assert!(!might_hold_secret(s), "{s}");
            assert!(matches!(text(s), Cow::Borrowed(_)));
        }
    }

    proptest::proptest! {
        /// The shortcut answers as the automaton does, in any case.
        #[test]
        fn the_shortcut_agrees_with_the_automaton(s in "[a-fA-F0-9 :./_-]{0,40}(TOKEN|eyJ|Pwd|x)?[a-f0-9-]{0,8}") {
            let mut lower = s.as_bytes().to_vec();
            lower.make_ascii_lowercase();
            proptest::prop_assert_eq!(might_hold_secret(&s), needles().is_match(&lower[..]));
        }
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(
            json_text(r#"{"bucketName":"logs"}"#),
            Cow::Borrowed(_)
        ));
        assert!(matches!(text("GET /index.html"), Cow::Borrowed(_)));
    }

    #[test]
    fn secrets_inside_free_text() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig-nature_x";
        let s = format!("auth with {jwt} ok");
        let t = text(&s);
        assert!(!t.contains("eyJhbGci"), "{t}");
        let q = text("page=2&access_token=s3cr3tvalue&x=1");
        assert_eq!(q, "page=2&access_token=[REDACTED]&x=1");
        let h = text("Authorization: Bearer abcdefghijklmnop");
        assert!(!h.contains("abcdefghijklmnop"), "{h}");
        let mut v = json!({"body": "user=bob&password=hunter2"});
        value(&mut v);
        assert_eq!(v["body"], "user=bob&password=[REDACTED]");
        let arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbC123";
        assert_eq!(
            text(arn),
            arn,
            "a secret's ARN names it; it is not a secret"
        );
        assert_eq!(text("secret: hunter2"), "secret: [REDACTED]");
    }
}
