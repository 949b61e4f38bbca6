//! Dotted paths into JSON text (`requestParameters.policyDocument`,
//! `payload.queryStringParameters.q`), walked with `jiter` without building values:
//! keys off the path are skipped, so a path costs one pass over the text and no
//! allocation beyond the values it yields.
//!
//! - An array met on the way yields the path's values under every element (a
//!   condition on the field holds when any value matches).
//! - A leaf that is an array yields each element; an object yields its JSON text;
//!   strings are unescaped; numbers keep their text; booleans are `true`/`false`;
//!   `null` yields nothing.
//! - A string met where the path goes on, holding a JSON object or array (API
//!   Gateway's `body`), is parsed and walked.

use jiter::{Jiter, JiterResult, Peek};

/// Deepest nesting walked; deeper values are ignored (a hostile payload cannot
/// exhaust the stack).
const MAX_DEPTH: usize = 64;

/// Calls `emit` with every value at `path` in `json`. `any_case` compares keys
/// ASCII-case-insensitively. Returns `false` (having maybe emitted some values) when
/// the text is not valid JSON.
pub(crate) fn extract(
    json: &str,
    path: &[String],
    any_case: bool,
    emit: &mut dyn FnMut(&str),
) -> bool {
    let mut j = Jiter::new(json.as_bytes());
    let walked = j
        .peek()
        .and_then(|peek| walk(&mut j, peek, path, any_case, 0, emit));
    walked.is_ok()
}

fn walk(
    j: &mut Jiter<'_>,
    peek: Peek,
    path: &[String],
    any_case: bool,
    depth: usize,
    emit: &mut dyn FnMut(&str),
) -> JiterResult<()> {
    if depth > MAX_DEPTH {
        return j.known_skip(peek);
    }
    let Some((key, rest)) = path.split_first() else {
        return leaf(j, peek, any_case, depth, emit);
    };
    match peek {
        Peek::Object => {
            let mut next = j.known_object()?.map(|k| same_key(k, key, any_case));
            while let Some(hit) = next {
                let value = j.peek()?;
                if hit {
                    walk(j, value, rest, any_case, depth + 1, emit)?;
                } else {
                    j.known_skip(value)?;
                }
                next = j.next_key()?.map(|k| same_key(k, key, any_case));
            }
            Ok(())
        }
        Peek::Array => {
            let mut next = j.known_array()?;
            while let Some(element) = next {
                walk(j, element, path, any_case, depth + 1, emit)?;
                next = j.array_step()?;
            }
            Ok(())
        }
        Peek::String => {
            let s = j.known_str()?;
            let t = s.trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                // A JSON document held in a string: walk it too. Its own errors only
                // mean it was text that looked like JSON.
                let inner = s.to_owned();
                let mut k = Jiter::new(inner.as_bytes());
                if let Ok(p) = k.peek() {
                    let _ = walk(&mut k, p, path, any_case, depth + 1, emit);
                }
            }
            Ok(())
        }
        other => j.known_skip(other),
    }
}

/// Emits the value at the end of a path.
fn leaf(
    j: &mut Jiter<'_>,
    peek: Peek,
    any_case: bool,
    depth: usize,
    emit: &mut dyn FnMut(&str),
) -> JiterResult<()> {
    match peek {
        Peek::String => emit(j.known_str()?),
        Peek::True | Peek::False => emit(if j.known_bool(peek)? { "true" } else { "false" }),
        Peek::Null => j.known_null()?,
        Peek::Array => {
            let mut next = j.known_array()?;
            while let Some(element) = next {
                walk(j, element, &[], any_case, depth + 1, emit)?;
                next = j.array_step()?;
            }
        }
        Peek::Object => {
            let start = j.current_index();
            j.known_skip(peek)?;
            // The slice is a complete JSON object of the (UTF-8) input.
            emit(std::str::from_utf8(j.slice_to_current(start)).unwrap_or_default());
        }
        number => {
            let bytes = j.known_number_bytes(number)?;
            emit(std::str::from_utf8(bytes).unwrap_or_default());
        }
    }
    Ok(())
}

fn same_key(key: &str, wanted: &str, any_case: bool) -> bool {
    if any_case {
        key.eq_ignore_ascii_case(wanted)
    } else {
        key == wanted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(json: &str, path: &str, any_case: bool) -> (Vec<String>, bool) {
        let path: Vec<String> = if path.is_empty() {
            Vec::new()
        } else {
            path.split('.').map(str::to_owned).collect()
        };
        let mut out = Vec::new();
        let ok = extract(json, &path, any_case, &mut |v| out.push(v.to_owned()));
        (out, ok)
    }

    #[test]
    fn paths_descend_objects_and_fan_out_over_arrays() {
        let doc = r#"{"a":{"b":"x\"y","n":12.5,"t":true,"z":null},
            "list":[{"c":["p","q"]},{"c":"r"},{"d":1}],"o":{"k":[1,{"m":2}]}}"#;
        assert_eq!(values(doc, "a.b", false).0, vec!["x\"y"]);
        assert_eq!(values(doc, "a.n", false).0, vec!["12.5"]);
        assert_eq!(values(doc, "a.t", false).0, vec!["true"]);
        assert!(values(doc, "a.z", false).0.is_empty());
        assert_eq!(values(doc, "list.c", false).0, vec!["p", "q", "r"]);
        assert_eq!(values(doc, "o.k", false).0, vec!["1", r#"{"m":2}"#]);
        assert!(values(doc, "a.B", false).0.is_empty());
        assert_eq!(values(doc, "a.B", true).0, vec!["x\"y"]);
        assert!(values(doc, "missing.path", false).1);
    }

    #[test]
    fn json_held_in_a_string_is_walked() {
        let doc = r#"{"body":"{\"user\":{\"id\":\"' OR 1=1\"}}"}"#;
        assert_eq!(values(doc, "body.user.id", false).0, vec!["' OR 1=1"]);
        assert_eq!(
            values(doc, "body", false).0,
            vec![r#"{"user":{"id":"' OR 1=1"}}"#]
        );
    }

    #[test]
    fn bad_json_and_deep_nesting_do_not_fail_hard() {
        assert!(!values("{\"a\":", "a", false).1);
        assert!(!values("not json", "a", false).1);
        let deep = format!("{}1{}", "[".repeat(500), "]".repeat(500));
        let (v, _) = values(&deep, "", false);
        assert!(v.is_empty());
    }
}
