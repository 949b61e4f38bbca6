//! The compiled predicate tree of a rule and its columnar evaluation.
//!
//! Every node is evaluated under a *mask*, the rows still undecided, and returns the
//! rows of the mask where it holds. So an AND evaluates its children cheapest first,
//! each only on the rows its predecessors left true, and stops when none are left; an
//! OR evaluates each child only on the rows not yet true. A rule keyed on
//! `eventSource`/`eventName` thus reads its JSON paths only for the handful of rows
//! with the right API call.

use arrow::buffer::BooleanBuffer;

use super::batch::{select, BatchFields, ValueTest};
use super::fields::Target;
use super::matcher::{in_networks, Net, NumTest, StrMatcher};
use crate::error::DetectError;

/// A node of a compiled condition.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Every child holds.
    All(Vec<Node>),
    /// Some child holds.
    Any(Vec<Node>),
    /// The child does not hold.
    Not(Box<Node>),
    /// A constant.
    Const(bool),
    /// A test of one field.
    Leaf(Box<Leaf>),
}

/// A test of the values of one field.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    /// Where the values come from.
    pub(crate) target: Target,
    /// `target.key()`, kept.
    pub(crate) target_key: String,
    /// What they must satisfy.
    pub(crate) test: Test,
}

/// What the values of a field must satisfy.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    /// No value (`null`).
    Null,
    /// Some value (`exists: true`).
    Exists,
    /// Some value matches the strings.
    Str(StrMatcher),
    /// Some value compares numerically (with the test's cache key).
    Num(NumTest, String),
    /// Some value is an address in one of the networks.
    Cidr(Vec<Net>, String),
    /// Some value relates to some value of another field of the same row.
    FieldRef {
        /// The other field.
        other: Target,
        /// How the values relate.
        how: RefMode,
        /// Case-sensitive comparison.
        cased: bool,
    },
}

/// How a `fieldref` value relates to the other field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefMode {
    /// Equal.
    Equal,
    /// Contains it.
    Contains,
    /// Starts with it.
    StartsWith,
    /// Ends with it.
    EndsWith,
}

impl Node {
    /// Relative cost of evaluating the node on one row, to order ANDs and ORs.
    pub(crate) fn cost(&self) -> u32 {
        match self {
            Node::Const(_) => 0,
            Node::Not(c) => c.cost(),
            Node::All(cs) | Node::Any(cs) => cs.iter().map(Node::cost).sum(),
            Node::Leaf(l) => {
                let test = match &l.test {
                    Test::Null | Test::Exists => 0,
                    Test::Str(m) if m.uses_regex() => 12,
                    Test::Str(_) | Test::Num(..) | Test::Cidr(..) => 1,
                    Test::FieldRef { other, .. } => other.cost() + 4,
                };
                l.target.cost() + test
            }
        }
    }

    /// Flattens nested ANDs/ORs, folds constants and double negations, and sorts
    /// children cheapest first.
    pub(crate) fn optimize(self) -> Node {
        match self {
            Node::Not(c) => match c.optimize() {
                Node::Not(inner) => *inner,
                Node::Const(b) => Node::Const(!b),
                other => Node::Not(Box::new(other)),
            },
            Node::All(cs) => group(cs, true),
            Node::Any(cs) => group(cs, false),
            leaf => leaf,
        }
    }

    /// The rows of `mask` (all rows when `None`) where the node holds.
    pub(crate) fn eval(
        &self,
        f: &mut BatchFields<'_>,
        mask: Option<&BooleanBuffer>,
    ) -> Result<BooleanBuffer, DetectError> {
        let rows = f.rows();
        match self {
            Node::Const(true) => Ok(mask
                .cloned()
                .unwrap_or_else(|| BooleanBuffer::new_set(rows))),
            Node::Const(false) => Ok(BooleanBuffer::new_unset(rows)),
            Node::Not(c) => {
                let inner = c.eval(f, mask)?;
                Ok(match mask {
                    Some(m) => m & &!&inner,
                    None => !&inner,
                })
            }
            Node::All(cs) => {
                let mut current: Option<BooleanBuffer> = mask.cloned();
                for c in cs {
                    let r = c.eval(f, current.as_ref())?;
                    let none_left = r.count_set_bits() == 0;
                    current = Some(r);
                    if none_left {
                        break;
                    }
                }
                Ok(current.unwrap_or_else(|| BooleanBuffer::new_set(rows)))
            }
            Node::Any(cs) => {
                let mut hits = BooleanBuffer::new_unset(rows);
                let mut open: Option<BooleanBuffer> = mask.cloned();
                for c in cs {
                    let r = c.eval(f, open.as_ref())?;
                    if r.count_set_bits() == 0 {
                        continue;
                    }
                    hits = &hits | &r;
                    let rest = match &open {
                        Some(o) => o & &!&r,
                        None => !&r,
                    };
                    if rest.count_set_bits() == 0 {
                        break;
                    }
                    open = Some(rest);
                }
                Ok(hits)
            }
            Node::Leaf(l) => l.eval(f, mask),
        }
    }
}

/// An AND (`all`) or OR of `children`, optimised.
fn group(children: Vec<Node>, all: bool) -> Node {
    let mut flat = Vec::new();
    for c in children.into_iter().map(Node::optimize) {
        match c {
            Node::All(cs) if all => flat.extend(cs),
            Node::Any(cs) if !all => flat.extend(cs),
            // `true` in an AND and `false` in an OR change nothing.
            Node::Const(b) if b == all => {}
            // `false` in an AND, `true` in an OR decide.
            Node::Const(b) => return Node::Const(b),
            other => flat.push(other),
        }
    }
    match flat.len() {
        0 => Node::Const(all),
        1 => flat.remove(0),
        _ => {
            flat.sort_by_key(Node::cost);
            if all {
                Node::All(flat)
            } else {
                Node::Any(flat)
            }
        }
    }
}

impl Leaf {
    fn eval(
        &self,
        f: &mut BatchFields<'_>,
        mask: Option<&BooleanBuffer>,
    ) -> Result<BooleanBuffer, DetectError> {
        let slot = f.slot_keyed(&self.target_key, &self.target)?;
        f.ensure(slot, mask);
        Ok(match &self.test {
            Test::Null => f.test(slot, ValueTest::Null, mask),
            Test::Exists => f.test(slot, ValueTest::Exists, mask),
            Test::Str(m) => {
                let matches = |s: &str| m.is_match(s);
                f.test(slot, ValueTest::strings(m, &matches), mask)
            }
            Test::Num(n, key) => {
                let matches = |s: &str| n.is_match(s);
                f.test(
                    slot,
                    ValueTest::Value {
                        key,
                        matches: &matches,
                    },
                    mask,
                )
            }
            Test::Cidr(nets, key) => {
                let matches = |s: &str| in_networks(nets, s);
                f.test(
                    slot,
                    ValueTest::Value {
                        key,
                        matches: &matches,
                    },
                    mask,
                )
            }
            Test::FieldRef { other, how, cased } => {
                let other = f.slot(other)?;
                f.ensure(other, mask);
                let fields = &*f;
                select(fields.rows(), mask, |row| {
                    fields.any_value(slot, row, |a| {
                        fields.any_value(other, row, |b| relate(a, b, *how, *cased))
                    })
                })
            }
        })
    }
}

/// `a` relates to `b` as `how` says.
fn relate(a: &str, b: &str, how: RefMode, cased: bool) -> bool {
    if cased {
        return match how {
            RefMode::Equal => a == b,
            RefMode::Contains => a.contains(b),
            RefMode::StartsWith => a.starts_with(b),
            RefMode::EndsWith => a.ends_with(b),
        };
    }
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    match how {
        RefMode::Equal => a == b,
        RefMode::Contains => a.contains(&b),
        RefMode::StartsWith => a.starts_with(&b),
        RefMode::EndsWith => a.ends_with(&b),
    }
}
