//! Sigma string values: literal text with `*` and `?` wildcards, and the escapes of the
//! spec (`\*`, `\?`, `\\`; a backslash before anything else is itself).

/// One piece of a Sigma string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Piece {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A Sigma string: pieces, adjacent literals merged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct Pattern(pub(crate) Vec<Piece>);

impl Pattern {
    /// Parses a rule value, honouring wildcards and escapes.
    pub(crate) fn parse(value: &str) -> Pattern {
        let mut p = Pattern::default();
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => p.push(Piece::Star),
                '?' => p.push(Piece::One),
                '\\' => match chars.peek() {
                    Some(&n @ ('*' | '?' | '\\')) => {
                        chars.next();
                        p.push_char(n);
                    }
                    _ => p.push_char('\\'),
                },
                c => p.push_char(c),
            }
        }
        p
    }

    /// A pattern that is exactly `text` (no wildcards).
    pub(crate) fn literal(text: &str) -> Pattern {
        let mut p = Pattern::default();
        if !text.is_empty() {
            p.0.push(Piece::Lit(text.to_owned()));
        }
        p
    }

    fn push(&mut self, piece: Piece) {
        // `**` is `*`.
        if piece == Piece::Star && self.0.last() == Some(&Piece::Star) {
            return;
        }
        self.0.push(piece);
    }

    fn push_char(&mut self, c: char) {
        match self.0.last_mut() {
            Some(Piece::Lit(s)) => s.push(c),
            _ => self.0.push(Piece::Lit(c.to_string())),
        }
    }

    /// The text when the pattern has no wildcard.
    pub(crate) fn as_literal(&self) -> Option<String> {
        match self.0.as_slice() {
            [] => Some(String::new()),
            [Piece::Lit(s)] => Some(s.clone()),
            _ => None,
        }
    }

    /// `*` added in front (`endswith`, `contains`), unless already there.
    pub(crate) fn star_front(mut self) -> Pattern {
        if self.0.first() != Some(&Piece::Star) {
            self.0.insert(0, Piece::Star);
        }
        self
    }

    /// `*` added at the end (`startswith`, `contains`), unless already there.
    pub(crate) fn star_back(mut self) -> Pattern {
        if self.0.last() != Some(&Piece::Star) {
            self.0.push(Piece::Star);
        }
        self
    }

    /// The pattern with every literal transformed by `f` (wildcards kept).
    pub(crate) fn map_literals(&self, f: impl Fn(&str) -> String) -> Pattern {
        Pattern(
            self.0
                .iter()
                .map(|p| match p {
                    Piece::Lit(s) => Piece::Lit(f(s)),
                    other => other.clone(),
                })
                .collect(),
        )
    }

    /// What a matcher needs to know: exact text, a prefix, a suffix, a substring,
    /// anything at all, or a general wildcard pattern.
    pub(crate) fn shape(&self) -> Shape<'_> {
        match self.0.as_slice() {
            [] => Shape::Exact(""),
            [Piece::Lit(s)] => Shape::Exact(s),
            [Piece::Star] => Shape::Any,
            [Piece::Lit(s), Piece::Star] => Shape::Prefix(s),
            [Piece::Star, Piece::Lit(s)] => Shape::Suffix(s),
            [Piece::Star, Piece::Lit(s), Piece::Star] => Shape::Contains(s),
            _ => Shape::Glob,
        }
    }

    /// The pattern as an anchored regular expression (`*` → `.*`, `?` → `.`).
    pub(crate) fn to_regex(&self) -> String {
        let mut re = String::from("^");
        for p in &self.0 {
            match p {
                Piece::Lit(s) => re.push_str(&regex::escape(s)),
                Piece::Star => re.push_str(".*"),
                Piece::One => re.push('.'),
            }
        }
        re.push('$');
        re
    }
}

/// The matching strategy a pattern allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape<'a> {
    /// The whole value equals the text.
    Exact(&'a str),
    /// Any value (a lone `*`).
    Any,
    /// The value starts with the text.
    Prefix(&'a str),
    /// The value ends with the text.
    Suffix(&'a str),
    /// The value contains the text.
    Contains(&'a str),
    /// Anything else: matched with a regular expression.
    Glob,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_spec() {
        assert_eq!(Pattern::parse(r"a\*b").as_literal().as_deref(), Some("a*b"));
        assert_eq!(Pattern::parse(r"a\?").as_literal().as_deref(), Some("a?"));
        assert_eq!(
            Pattern::parse(r"C:\Windows").as_literal().as_deref(),
            Some(r"C:\Windows")
        );
        assert_eq!(
            Pattern::parse(r"a\\b").as_literal().as_deref(),
            Some(r"a\b")
        );
        // `\\*`: a backslash, then a wildcard.
        assert_eq!(
            Pattern::parse(r"a\\*").0,
            vec![Piece::Lit(r"a\".into()), Piece::Star]
        );
        // `\\\*`: a backslash and a star, both literal.
        assert_eq!(
            Pattern::parse(r"a\\\*").as_literal().as_deref(),
            Some(r"a\*")
        );
    }

    #[test]
    fn shapes_pick_the_cheapest_matcher() {
        assert_eq!(Pattern::parse("abc").shape(), Shape::Exact("abc"));
        assert_eq!(Pattern::parse("abc*").shape(), Shape::Prefix("abc"));
        assert_eq!(Pattern::parse("*abc").shape(), Shape::Suffix("abc"));
        assert_eq!(Pattern::parse("*abc*").shape(), Shape::Contains("abc"));
        assert_eq!(Pattern::parse("**").shape(), Shape::Any);
        assert_eq!(Pattern::parse("a*c").shape(), Shape::Glob);
        assert_eq!(Pattern::parse("a?").to_regex(), "^a.$");
        assert_eq!(
            Pattern::parse("*").star_front().star_back().shape(),
            Shape::Any
        );
    }
}
