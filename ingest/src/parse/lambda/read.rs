//! Small readers shared by the trigger families: text of JSON values, times, ARNs,
//! headers, query strings and authorizer principals, each with a typed variant (over
//! `aws_lambda_events` types) and a lenient one (over the JSON value).

use std::collections::BTreeMap;

use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::query_map::QueryMap;
use serde_json::Value;

use crate::parse::time;
use crate::shape::percent_decode;

/// Trimmed text, `None` when empty or API Gateway's `-` placeholder.
pub(super) fn clean(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-")
        .map(str::to_string)
}

pub(super) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

/// A scalar as text (strings as is, numbers and booleans printed), `None` for
/// null, arrays and objects.
pub(super) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(super) fn text(v: &Value) -> Option<String> {
    clean(scalar(v).as_deref())
}

pub(super) fn text_at(v: &Value, path: &[&str]) -> Option<String> {
    at(v, path).and_then(text)
}

pub(super) fn int_at(v: &Value, path: &[&str]) -> Option<i64> {
    match at(v, path)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(super) fn bool_at(v: &Value, key: &str) -> bool {
    match v.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

pub(super) fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|c| c.is_ascii_digit())
}

/// A 12-digit account id (Function URLs say `anonymous` when unauthenticated).
pub(super) fn account(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| is_account(s))
        .map(str::to_string)
}

/// `(region, account)` of an ARN.
pub(super) fn arn_parts(arn: &str) -> (Option<String>, Option<String>) {
    let mut p = arn.split(':');
    if p.next() != Some("arn") {
        return (None, None);
    }
    let (_partition, _service) = (p.next(), p.next());
    let region = clean(p.next());
    (region, account(p.next()))
}

/// The region of an `*.execute-api.<region>.amazonaws.com` or
/// `*.lambda-url.<region>.on.aws` domain.
pub(super) fn domain_region(domain: &str) -> Option<String> {
    let labels: Vec<&str> = domain.split('.').collect();
    let i = labels
        .iter()
        .position(|l| *l == "execute-api" || *l == "lambda-url")?;
    let r = labels.get(i + 1)?;
    (r.contains('-') && r.ends_with(|c: char| c.is_ascii_digit())).then(|| r.to_string())
}

/// An epoch time in s/ms/µs; 0 (a type's default) is no time.
pub(super) fn epoch_time(n: i64) -> Option<i64> {
    (n > 0).then(|| time::epoch(n))
}

/// API Gateway `requestTime` (`01/Jun/2024:12:00:00 +0000`, also without the space).
pub(super) fn api_time(s: &str) -> Option<i64> {
    let s = s.trim();
    time::parse(s).or_else(|| {
        let n = s.len();
        (n > 5 && s.is_char_boundary(n - 5) && !s[..n - 5].ends_with(' '))
            .then(|| time::parse(&format!("{} {}", &s[..n - 5], &s[n - 5..])))
            .flatten()
    })
}

pub(super) fn push_header(out: &mut BTreeMap<String, String>, name: &str, value: &str) {
    let e = out.entry(name.to_ascii_lowercase()).or_default();
    if !e.is_empty() {
        e.push_str(", ");
    }
    e.push_str(value);
}

/// Headers of a typed event: the multi-value map when present, else the single one.
pub(super) fn header_map(single: &HeaderMap, multi: &HeaderMap) -> BTreeMap<String, String> {
    let src = if multi.is_empty() { single } else { multi };
    let mut out = BTreeMap::new();
    for (name, value) in src {
        push_header(
            &mut out,
            name.as_str(),
            &String::from_utf8_lossy(value.as_bytes()),
        );
    }
    out
}

/// Headers of an event read leniently (`multiValueHeaders`, else `headers`).
pub(super) fn header_value(v: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let multi = v
        .get("multiValueHeaders")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty());
    if let Some(m) = multi {
        for (k, vals) in m {
            match vals {
                Value::Array(items) => items
                    .iter()
                    .filter_map(scalar)
                    .for_each(|s| push_header(&mut out, k, &s)),
                other => scalar(other)
                    .into_iter()
                    .for_each(|s| push_header(&mut out, k, &s)),
            }
        }
    } else if let Some(m) = v.get("headers").and_then(Value::as_object) {
        for (k, val) in m {
            if let Some(s) = scalar(val) {
                push_header(&mut out, k, &s);
            }
        }
    }
    out
}

pub(super) fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    // Stable: repeated parameters keep their order.
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs
}

/// Query parameters of a typed event: the multi-value map when present.
pub(super) fn query_map(single: &QueryMap, multi: &QueryMap) -> Vec<(String, String)> {
    let src = if multi.is_empty() { single } else { multi };
    sorted(
        src.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// Query parameters read leniently (`multiValueQueryStringParameters`, else
/// `queryStringParameters`).
pub(super) fn query_value(v: &Value) -> Vec<(String, String)> {
    let multi = v
        .get("multiValueQueryStringParameters")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty());
    let Some(src) = multi.or_else(|| v.get("queryStringParameters").and_then(Value::as_object))
    else {
        return Vec::new();
    };
    let mut pairs = Vec::new();
    for (k, val) in src {
        match val {
            Value::Array(items) => {
                pairs.extend(items.iter().filter_map(scalar).map(|s| (k.clone(), s)))
            }
            other => pairs.extend(scalar(other).map(|s| (k.clone(), s))),
        }
    }
    sorted(pairs)
}

/// Decoded parameters of a raw query string.
pub(super) fn parse_query(raw: &str) -> Vec<(String, String)> {
    sorted(
        raw.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (
                    percent_decode(k, true).into_owned(),
                    percent_decode(v, true).into_owned(),
                )
            })
            .collect(),
    )
}

pub(super) fn join_query(pairs: &[(String, String)]) -> Option<String> {
    (!pairs.is_empty()).then(|| {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// The principal of an authorizer context (Lambda authorizer `principalId` or its
/// context keys, Cognito `claims`).
pub(super) fn authorizer_principal<'a>(get: impl Fn(&str) -> Option<&'a Value>) -> Option<String> {
    ["principalId", "sub", "userId", "username", "user"]
        .iter()
        .find_map(|k| get(k).and_then(text))
        .or_else(|| claims_principal(get("claims")?))
}

pub(super) fn claims_principal(claims: &Value) -> Option<String> {
    ["sub", "cognito:username", "username"]
        .iter()
        .find_map(|k| text_at(claims, &[k]))
}

/// The caller's IP behind an ALB: the last `X-Forwarded-For` entry, the one the load
/// balancer itself saw (earlier entries are client-supplied).
pub(super) fn forwarded_ip(headers: &BTreeMap<String, String>) -> Option<String> {
    clean(headers.get("x-forwarded-for")?.rsplit(',').next())
}
