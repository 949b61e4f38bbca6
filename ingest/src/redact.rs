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

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
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
/// which is the common case and keeps redaction off the ingest hot path.
fn needles() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build([
                "auth",
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
                "eyJ",
                "-----BEGIN",
            ])
            // The needles are fixed literals; building can only fail on absurd sizes.
            .expect("static needles build")
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
    if !needles().is_match(s) {
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
/// after parsing when nothing in it is a secret.
pub fn json_text(raw: &str) -> Cow<'_, str> {
    if !needles().is_match(raw) {
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
