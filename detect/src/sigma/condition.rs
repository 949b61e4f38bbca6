//! The detection `condition` grammar: `and`, `or`, `not`, parentheses, `1 of x*`,
//! `all of x*`, `1 of them`, `all of them`; precedence (loosest first) `or`, `and`,
//! `not`, `x of`, `( )`.

/// A parsed condition, with every selection name checked against the detection's
/// search identifiers (quantified patterns are expanded when parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// A search identifier.
    Selection(String),
    /// `1 of <pattern>`: any of the selections the pattern names.
    OneOf {
        /// The pattern as written (`filter_*`, `them`).
        pattern: String,
        /// The selections it names, in definition order.
        names: Vec<String>,
    },
    /// `all of <pattern>`: every selection the pattern names.
    AllOf {
        /// The pattern as written.
        pattern: String,
        /// The selections it names.
        names: Vec<String>,
    },
    /// Conjunction.
    And(Vec<Condition>),
    /// Disjunction.
    Or(Vec<Condition>),
    /// Negation.
    Not(Box<Condition>),
}

/// Parses `text` against the search identifiers `names` (in definition order). The
/// error is the message for the rule author.
pub fn parse_condition(text: &str, names: &[String]) -> Result<Condition, String> {
    if text.contains('|') {
        return Err(
            "Sigma 1 aggregations (`| count() > n`, `| near`) are obsolete: write a \
             correlation rule (`correlation:` with `type`, `group-by`, `timespan`)"
                .into(),
        );
    }
    let toks = tokenize(text);
    if toks.is_empty() {
        return Err("empty condition".into());
    }
    let mut p = Parser {
        toks,
        pos: 0,
        names,
    };
    let c = p.or()?;
    match p.toks.get(p.pos) {
        None => Ok(c),
        Some(t) => Err(format!(
            "unexpected `{}` after a complete expression (missing `and`/`or`?)",
            t.text()
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Open,
    Close,
    Word(&'a str),
}

impl Tok<'_> {
    fn text(&self) -> &str {
        match self {
            Tok::Open => "(",
            Tok::Close => ")",
            Tok::Word(w) => w,
        }
    }

    fn is(&self, keyword: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }
}

fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let mut toks = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if let Some(s) = start.take() {
                toks.push(Tok::Word(&text[s..i]));
            }
            match c {
                '(' => toks.push(Tok::Open),
                ')' => toks.push(Tok::Close),
                _ => {}
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        toks.push(Tok::Word(&text[s..]));
    }
    toks
}

const KEYWORDS: [&str; 5] = ["and", "or", "not", "of", "them"];

struct Parser<'a> {
    toks: Vec<Tok<'a>>,
    pos: usize,
    names: &'a [String],
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Tok<'a>> {
        self.toks.get(self.pos).copied()
    }

    fn eat(&mut self, keyword: &str) -> bool {
        if self.peek().is_some_and(|t| t.is(keyword)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// What came before the current token, for messages.
    fn after(&self) -> String {
        match self.pos.checked_sub(1).and_then(|p| self.toks.get(p)) {
            Some(t) => format!("after `{}`", t.text()),
            None => "at the start".into(),
        }
    }

    fn or(&mut self) -> Result<Condition, String> {
        let mut items = vec![self.and()?];
        while self.eat("or") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Condition::Or(items)
        })
    }

    fn and(&mut self) -> Result<Condition, String> {
        let mut items = vec![self.not()?];
        while self.eat("and") {
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Condition::And(items)
        })
    }

    fn not(&mut self) -> Result<Condition, String> {
        if self.eat("not") {
            Ok(Condition::Not(Box::new(self.not()?)))
        } else {
            self.primary()
        }
    }

    fn primary(&mut self) -> Result<Condition, String> {
        let Some(tok) = self.peek() else {
            return Err(format!(
                "the condition ends {}: expected a selection name, `not`, `(`, `1 of` or \
                 `all of`",
                self.after()
            ));
        };
        match tok {
            Tok::Open => {
                self.pos += 1;
                let inner = self.or()?;
                match self.peek() {
                    Some(Tok::Close) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    Some(t) => Err(format!("expected `)` but found `{}`", t.text())),
                    None => Err("missing `)`: the condition ends inside parentheses".into()),
                }
            }
            Tok::Close => Err(format!("unexpected `)` {}", self.after())),
            Tok::Word(w) => {
                if self.toks.get(self.pos + 1).is_some_and(|t| t.is("of")) {
                    return self.quantified(w);
                }
                if KEYWORDS.iter().any(|k| w.eq_ignore_ascii_case(k)) {
                    return Err(format!(
                        "unexpected `{w}` {}: expected a selection name",
                        self.after()
                    ));
                }
                self.pos += 1;
                if w.contains('*') {
                    return Err(format!(
                        "`{w}` is a pattern: write `1 of {w}` or `all of {w}`"
                    ));
                }
                if !self.names.iter().any(|n| n == w) {
                    return Err(format!(
                        "undefined selection `{w}` (defined: {})",
                        self.names.join(", ")
                    ));
                }
                Ok(Condition::Selection(w.to_owned()))
            }
        }
    }

    /// `<quantifier> of <pattern>`, the current token being the quantifier.
    fn quantified(&mut self, quantifier: &str) -> Result<Condition, String> {
        let all = match quantifier {
            "1" => false,
            q if q.eq_ignore_ascii_case("all") => true,
            q => return Err(format!("`{q} of` is not supported: use `1 of` or `all of`")),
        };
        self.pos += 2;
        let pattern = match self.peek() {
            Some(Tok::Word(w)) if !KEYWORDS[..4].iter().any(|k| w.eq_ignore_ascii_case(k)) => w,
            Some(t) => {
                return Err(format!(
                    "expected a selection pattern or `them` after `{quantifier} of`, found `{}`",
                    t.text()
                ))
            }
            None => {
                return Err(format!(
                    "expected a selection pattern or `them` after `{quantifier} of`"
                ))
            }
        };
        self.pos += 1;
        let names: Vec<String> = if pattern.eq_ignore_ascii_case("them") {
            self.names
                .iter()
                .filter(|n| !n.starts_with('_'))
                .cloned()
                .collect()
        } else {
            self.names
                .iter()
                .filter(|n| glob(pattern, n))
                .cloned()
                .collect()
        };
        if names.is_empty() {
            return Err(format!(
                "`{quantifier} of {pattern}` names no selection (defined: {})",
                self.names.join(", ")
            ));
        }
        let pattern = pattern.to_owned();
        Ok(if all {
            Condition::AllOf { pattern, names }
        } else {
            Condition::OneOf { pattern, names }
        })
    }
}

/// `*`-only wildcard match of a selection name.
fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    // `split` yields at least two parts here (the pattern has a `*`).
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| (*s).to_owned()).collect()
    }

    fn sel(s: &str) -> Condition {
        Condition::Selection(s.into())
    }

    #[test]
    fn not_binds_tighter_than_and_tighter_than_or() {
        let n = names(&["a", "b", "c"]);
        assert_eq!(
            parse_condition("a or not b and c", &n).unwrap(),
            Condition::Or(vec![
                sel("a"),
                Condition::And(vec![Condition::Not(Box::new(sel("b"))), sel("c")])
            ])
        );
        assert_eq!(
            parse_condition("(a or b) and c", &n).unwrap(),
            Condition::And(vec![Condition::Or(vec![sel("a"), sel("b")]), sel("c")])
        );
    }

    #[test]
    fn quantifiers_expand_patterns() {
        let n = names(&["selection", "filter_a", "filter_b", "_hidden"]);
        let c = parse_condition("selection and not 1 of filter_*", &n).unwrap();
        assert_eq!(
            c,
            Condition::And(vec![
                sel("selection"),
                Condition::Not(Box::new(Condition::OneOf {
                    pattern: "filter_*".into(),
                    names: names(&["filter_a", "filter_b"])
                }))
            ])
        );
        let c = parse_condition("all of them", &n).unwrap();
        assert!(matches!(c, Condition::AllOf { names, .. } if names.len() == 3));
        assert!(glob("f*a*", "filter_a"));
        assert!(!glob("f*b", "filter_a"));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let n = names(&["a", "b"]);
        for (text, needle) in [
            ("a and", "ends after `and`"),
            ("a b", "unexpected `b`"),
            ("(a or b", "missing `)`"),
            ("a and c", "undefined selection `c`"),
            ("2 of a*", "`2 of` is not supported"),
            ("1 of x*", "names no selection"),
            ("a*", "is a pattern"),
            ("", "empty"),
            ("a )", "unexpected `)`"),
            ("a | count() > 5", "correlation rule"),
        ] {
            let e = parse_condition(text, &n).unwrap_err();
            assert!(e.contains(needle), "{text:?}: {e}");
        }
    }
}
