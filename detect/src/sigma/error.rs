//! [`SigmaError`]: one problem in one rule file, on one line; and the `Locator` that
//! finds that line.
//!
//! YAML values carry no spans, so the line of a construct is found by looking for its
//! key (or text) in the source lines of its document, walking down the key path
//! (`detection` → `selection` → `eventName|foo`), which is exact for the way rules are
//! written: one key per line.

use std::fmt;

/// A problem in a rule file: malformed YAML, an unsupported construct, a field with no
/// mapping, a condition naming an undefined selection, a reference to an unknown rule.
///
/// Rule authors fix rules from these messages, so each names the file, the 1-based
/// line, the construct at fault and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigmaError {
    /// The file, as given to the parser.
    pub file: String,
    /// 1-based line of the construct in the file.
    pub line: usize,
    /// What is at fault, e.g. ``modifier `foo` `` or `condition`.
    pub construct: String,
    /// What is wrong, and what would be right.
    pub message: String,
}

impl fmt::Display for SigmaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.construct, self.message
        )
    }
}

impl std::error::Error for SigmaError {}

/// Finds the lines of constructs in one YAML document of a file.
#[derive(Debug, Clone)]
pub(crate) struct Locator {
    file: String,
    lines: Vec<String>,
    /// 1-based file line of `lines[0]`.
    first: usize,
}

impl Locator {
    /// A locator over `text`, a document that starts on file line `first` (1-based).
    pub(crate) fn new(file: &str, text: &str, first: usize) -> Self {
        Locator {
            file: file.to_owned(),
            lines: text.lines().map(str::to_owned).collect(),
            first,
        }
    }

    /// The file name.
    pub(crate) fn file(&self) -> &str {
        &self.file
    }

    /// The line of the document's first content (not blank, not a comment).
    pub(crate) fn start(&self) -> usize {
        let offset = self
            .lines
            .iter()
            .position(|l| {
                let t = l.trim();
                !t.is_empty() && !t.starts_with('#') && t != "---"
            })
            .unwrap_or(0);
        self.first + offset
    }

    /// The file line of line `n` (1-based) of the document.
    pub(crate) fn line_at(&self, n: usize) -> usize {
        self.first + n.saturating_sub(1)
    }

    /// A YAML parser message with its document-relative `line N` references turned
    /// into file lines.
    pub(crate) fn file_lines(&self, message: &str) -> String {
        let mut out = String::with_capacity(message.len());
        let mut rest = message;
        while let Some(i) = rest.find("line ") {
            let (head, tail) = rest.split_at(i + "line ".len());
            out.push_str(head);
            let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
            match tail[..digits].parse::<usize>() {
                Ok(n) => out.push_str(&self.line_at(n).to_string()),
                Err(_) => out.push_str(&tail[..digits]),
            }
            rest = &tail[digits..];
        }
        out.push_str(rest);
        out
    }

    /// Index into `lines` of a 1-based file line (clamped).
    fn index(&self, line: usize) -> usize {
        line.saturating_sub(self.first).min(self.lines.len())
    }

    /// The first line at or after `from` whose key is `key` (`key:`, `'key':`,
    /// `"key":`, also after a list dash).
    pub(crate) fn key_after(&self, from: usize, key: &str) -> Option<usize> {
        let start = self.index(from);
        self.lines[start..]
            .iter()
            .position(|l| line_has_key(l, key))
            .map(|i| self.first + start + i)
    }

    /// The first line at or after `from` that contains `needle`.
    pub(crate) fn text_after(&self, from: usize, needle: &str) -> Option<usize> {
        let start = self.index(from);
        self.lines[start..]
            .iter()
            .position(|l| l.contains(needle))
            .map(|i| self.first + start + i)
    }

    /// The line of a key path: each key is looked for after the previous one; when one
    /// is not found, the line of the last one found (or the document start).
    pub(crate) fn path(&self, keys: &[&str]) -> usize {
        let mut line = self.start();
        for key in keys {
            match self.key_after(line, key) {
                Some(l) => line = l,
                None => break,
            }
        }
        line
    }

    /// An error at `line`.
    pub(crate) fn error(
        &self,
        line: usize,
        construct: impl Into<String>,
        message: impl Into<String>,
    ) -> SigmaError {
        SigmaError {
            file: self.file.clone(),
            line,
            construct: construct.into(),
            message: message.into(),
        }
    }
}

/// True when `line` holds the mapping key `key`.
fn line_has_key(line: &str, key: &str) -> bool {
    let mut t = line.trim_start();
    while let Some(rest) = t.strip_prefix('-') {
        t = rest.trim_start();
    }
    for quote in ["", "'", "\""] {
        if let Some(rest) = t.strip_prefix(quote) {
            if let Some(rest) = rest.strip_prefix(key) {
                if let Some(rest) = rest.strip_prefix(quote) {
                    if rest.trim_start().starts_with(':') {
                        return true;
                    }
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_quoted_and_after_dashes() {
        assert!(line_has_key("    eventName: x", "eventName"));
        assert!(line_has_key(
            "  - 'eventName|contains': x",
            "eventName|contains"
        ));
        assert!(line_has_key("\"a\" : 1", "a"));
        assert!(!line_has_key("    eventNameX: x", "eventName"));
        assert!(!line_has_key("    # eventName: x", "eventName"));
    }

    #[test]
    fn paths_walk_down_from_the_document_start() {
        let text = "title: t\ndetection:\n  a:\n    f: 1\n  b:\n    f: 2\n";
        let loc = Locator::new("r.yml", text, 10);
        assert_eq!(loc.start(), 10);
        assert_eq!(loc.path(&["detection", "b", "f"]), 15);
        assert_eq!(loc.path(&["detection", "zz"]), 11);
        assert_eq!(
            loc.file_lines("bad at line 2 column 3, in map at line 1"),
            "bad at line 11 column 3, in map at line 10"
        );
        let e = loc.error(15, "field `f`", "bad");
        assert_eq!(e.to_string(), "r.yml:15: field `f`: bad");
    }
}
