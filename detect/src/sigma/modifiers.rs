//! Sigma value modifiers (`field|contains|all`), per the modifiers appendix, and the
//! value transformations they stand for (`base64`, `base64offset`, `windash`).
//!
//! Modifiers that need something Tripline does not have (placeholder pipelines for
//! `expand`, UTF-16 encodings of binary logs, date parts) are refused with a message
//! saying so, rather than silently matching nothing.

use base64::Engine;

use super::pattern::{Pattern, Piece};

/// One value modifier, in the order written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modifier {
    /// `contains`: the value anywhere in the field (`*value*`).
    Contains,
    /// `startswith`: `value*`.
    StartsWith,
    /// `endswith`: `*value`.
    EndsWith,
    /// `all`: the values of a list are ANDed instead of ORed.
    All,
    /// `cased`: case-sensitive matching (Sigma is case-insensitive by default).
    Cased,
    /// `exists`: the field is present (`true`) or absent (`false`).
    Exists,
    /// `re`: a regular expression, searched in the value (case-sensitive).
    Re,
    /// `re|i`: case-insensitive regular expression.
    ReInsensitive,
    /// `re|m`: `^`/`$` match at line breaks.
    ReMultiline,
    /// `re|s`: `.` matches a line break.
    ReDotAll,
    /// `cidr`: the value is an IPv4 or IPv6 network; the field an address in it.
    Cidr,
    /// `base64`: the value, base64-encoded.
    Base64,
    /// `base64offset`: the three encodings of the value at each byte offset, as found
    /// inside a longer base64 string.
    Base64Offset,
    /// `windash`: `-` and `/` of command-line flags in all their dash variants.
    Windash,
    /// `gt`: numerically greater.
    Gt,
    /// `gte`: numerically greater or equal.
    Gte,
    /// `lt`: numerically less.
    Lt,
    /// `lte`: numerically less or equal.
    Lte,
    /// `neq`: the field differs from the value(s).
    Neq,
    /// `fieldref`: the value names another field, compared row by row.
    FieldRef,
}

impl Modifier {
    /// Parses a modifier name. `after_re` allows the `re` sub-modifiers `i`, `m`, `s`.
    /// The error is the message for the rule author.
    pub fn parse(name: &str, after_re: bool) -> Result<Modifier, String> {
        Ok(match name {
            "contains" => Modifier::Contains,
            "startswith" => Modifier::StartsWith,
            "endswith" => Modifier::EndsWith,
            "all" => Modifier::All,
            "cased" => Modifier::Cased,
            "exists" => Modifier::Exists,
            "re" => Modifier::Re,
            "i" if after_re => Modifier::ReInsensitive,
            "m" if after_re => Modifier::ReMultiline,
            "s" if after_re => Modifier::ReDotAll,
            "cidr" => Modifier::Cidr,
            "base64" => Modifier::Base64,
            "base64offset" => Modifier::Base64Offset,
            "windash" => Modifier::Windash,
            "gt" => Modifier::Gt,
            "gte" => Modifier::Gte,
            "lt" => Modifier::Lt,
            "lte" => Modifier::Lte,
            "neq" => Modifier::Neq,
            "fieldref" => Modifier::FieldRef,
            "expand" => {
                return Err(
                    "unsupported modifier: placeholders (`%name%`) need a processing \
                     pipeline, which Tripline does not have; list the values instead"
                        .into(),
                )
            }
            "utf16" | "utf16le" | "utf16be" | "wide" => {
                return Err(format!(
                    "unsupported modifier: `{name}` encodes values for binary logs; \
                     CloudTrail and Lambda logs are UTF-8 text"
                ))
            }
            "minute" | "hour" | "day" | "week" | "month" | "year" => {
                return Err(format!(
                    "unsupported modifier: date part `{name}`; use a correlation or the \
                     baseline detectors for time-of-day logic"
                ))
            }
            "i" | "m" | "s" => {
                return Err(format!(
                    "unknown modifier: `{name}` is a sub-modifier of `re` and must follow it"
                ))
            }
            _ => {
                return Err(format!(
                    "unknown modifier (known: contains, startswith, endswith, all, cased, \
                     exists, re (with i, m, s), cidr, base64, base64offset, windash, gt, \
                     gte, lt, lte, neq, fieldref); did you mean `{}`?",
                    closest(name)
                ))
            }
        })
    }

    /// True for the modifiers that turn a value into string patterns (`contains`,
    /// `startswith`, `endswith`, `base64`, `base64offset`, `windash`).
    pub fn transforms(self) -> bool {
        matches!(
            self,
            Modifier::Contains
                | Modifier::StartsWith
                | Modifier::EndsWith
                | Modifier::Base64
                | Modifier::Base64Offset
                | Modifier::Windash
        )
    }

    /// True for `re` and its sub-modifiers.
    pub fn is_regex(self) -> bool {
        matches!(
            self,
            Modifier::Re | Modifier::ReInsensitive | Modifier::ReMultiline | Modifier::ReDotAll
        )
    }

    /// The name as written in rules.
    pub fn as_str(self) -> &'static str {
        match self {
            Modifier::Contains => "contains",
            Modifier::StartsWith => "startswith",
            Modifier::EndsWith => "endswith",
            Modifier::All => "all",
            Modifier::Cased => "cased",
            Modifier::Exists => "exists",
            Modifier::Re => "re",
            Modifier::ReInsensitive => "i",
            Modifier::ReMultiline => "m",
            Modifier::ReDotAll => "s",
            Modifier::Cidr => "cidr",
            Modifier::Base64 => "base64",
            Modifier::Base64Offset => "base64offset",
            Modifier::Windash => "windash",
            Modifier::Gt => "gt",
            Modifier::Gte => "gte",
            Modifier::Lt => "lt",
            Modifier::Lte => "lte",
            Modifier::Neq => "neq",
            Modifier::FieldRef => "fieldref",
        }
    }
}

const NAMES: &[&str] = &[
    "contains",
    "startswith",
    "endswith",
    "all",
    "cased",
    "exists",
    "re",
    "cidr",
    "base64",
    "base64offset",
    "windash",
    "gt",
    "gte",
    "lt",
    "lte",
    "neq",
    "fieldref",
];

/// The known modifier nearest to `name` (edit distance), for "did you mean".
fn closest(name: &str) -> &'static str {
    NAMES
        .iter()
        .copied()
        .min_by_key(|n| edit_distance(&name.to_ascii_lowercase(), n))
        .unwrap_or("contains")
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// `base64`: the standard encoding of `value`.
pub(crate) fn base64(value: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(value.as_bytes())
}

/// `base64offset`: the parts of the encoding of `value` that do not depend on what
/// surrounds it, for each of the three byte offsets it can start at (as pySigma does).
pub(crate) fn base64offset(value: &str) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END_TRIM: [usize; 3] = [0, 3, 2];
    let bytes = value.as_bytes();
    (0..3)
        .map(|i| {
            let mut input = vec![b' '; i];
            input.extend_from_slice(bytes);
            let enc = base64::engine::general_purpose::STANDARD.encode(&input);
            let trim = END_TRIM[(bytes.len() + i) % 3];
            let end = enc.len().saturating_sub(trim);
            enc.get(START[i]..end).unwrap_or_default().to_owned()
        })
        .collect()
}

/// The dash characters `windash` substitutes: hyphen, slash, en dash, em dash and
/// horizontal bar.
const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// Most flag positions `windash` expands (5^4 = 625 variants).
const MAX_WINDASH_FLAGS: usize = 4;

/// `windash`: every variant of `value` with each flag dash (a `-` or `/` not preceded
/// by a word character and followed by one, as pySigma) replaced by each dash.
pub(crate) fn windash(value: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = value.chars().collect();
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric() || *c == '_');
    let flags: Vec<usize> = (0..chars.len())
        .filter(|&i| {
            (chars[i] == '-' || chars[i] == '/')
                && !word(i.checked_sub(1).and_then(|p| chars.get(p)))
                && word(chars.get(i + 1))
        })
        .collect();
    if flags.len() > MAX_WINDASH_FLAGS {
        return Err(format!(
            "`windash` on a value with {} flags would give {} variants; split the value \
             (at most {MAX_WINDASH_FLAGS} flags)",
            flags.len(),
            DASHES.len().pow(flags.len() as u32)
        ));
    }
    let mut out = vec![chars];
    for &pos in &flags {
        out = out
            .into_iter()
            .flat_map(|v| {
                DASHES.iter().map(move |d| {
                    let mut v = v.clone();
                    v[pos] = *d;
                    v
                })
            })
            .collect();
    }
    Ok(out.into_iter().map(|v| v.into_iter().collect()).collect())
}

/// Applies the transforming modifiers, in order, to one value.
pub(crate) fn transform(p: Pattern, modifiers: &[Modifier]) -> Result<Vec<Pattern>, String> {
    let mut ps = vec![p];
    for m in modifiers {
        ps = match m {
            Modifier::Contains => ps.into_iter().map(|p| p.star_front().star_back()).collect(),
            Modifier::StartsWith => ps.into_iter().map(Pattern::star_back).collect(),
            Modifier::EndsWith => ps.into_iter().map(Pattern::star_front).collect(),
            Modifier::Base64 | Modifier::Base64Offset => {
                let mut out = Vec::new();
                for p in ps {
                    let Some(text) = p.as_literal() else {
                        return Err(format!(
                            "`{}` needs a value without wildcards (put `contains`, \
                             `startswith` or `endswith` after it)",
                            m.as_str()
                        ));
                    };
                    if *m == Modifier::Base64 {
                        out.push(Pattern::literal(&base64(&text)));
                    } else {
                        out.extend(base64offset(&text).iter().map(|t| Pattern::literal(t)));
                    }
                }
                out
            }
            Modifier::Windash => {
                let mut out = Vec::new();
                for p in ps {
                    out.extend(windash_pattern(&p)?);
                }
                out
            }
            _ => ps,
        };
    }
    Ok(ps)
}

/// `windash` on a pattern: each literal piece expanded, wildcards kept.
fn windash_pattern(p: &Pattern) -> Result<Vec<Pattern>, String> {
    let mut out = vec![Pattern::default()];
    for piece in &p.0 {
        let variants = match piece {
            Piece::Lit(s) => windash(s)?.into_iter().map(Piece::Lit).collect(),
            other => vec![other.clone()],
        };
        if out.len() * variants.len() > 625 {
            return Err("`windash` would expand this value into too many variants".into());
        }
        out = out
            .iter()
            .flat_map(|prefix| {
                variants.iter().map(move |v| {
                    let mut next = prefix.clone();
                    next.0.push(v.clone());
                    next
                })
            })
            .collect();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_modifiers_suggest_the_nearest() {
        let e = Modifier::parse("contians", false).unwrap_err();
        assert!(e.contains("did you mean `contains`"), "{e}");
        assert!(Modifier::parse("expand", false)
            .unwrap_err()
            .contains("unsupported"));
        assert!(Modifier::parse("i", false).is_err());
        assert_eq!(Modifier::parse("i", true), Ok(Modifier::ReInsensitive));
    }

    #[test]
    fn base64offset_matches_pysigma() {
        // pySigma's documented example values for "/bin/bash".
        assert_eq!(
            base64offset("/bin/bash"),
            vec!["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]
        );
        assert_eq!(base64("ab"), "YWI=");
    }

    #[test]
    fn windash_expands_flag_dashes_only() {
        let v = windash("-foo x-y").unwrap();
        assert_eq!(v.len(), 5);
        assert!(v.contains(&"/foo x-y".to_owned()));
        assert!(v.contains(&"\u{2014}foo x-y".to_owned()));
        assert_eq!(windash("-a -b").unwrap().len(), 25);
        assert!(windash("-a -b -c -d -e").is_err());
    }
}
