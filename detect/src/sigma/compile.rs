//! Compiling a parsed [`DetectionRule`] into a [`CompiledRule`]: fields resolved to
//! columns, modifiers applied to values, selections and the condition folded into one
//! predicate tree, cheapest tests first.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::BooleanArray;
use tripline_ingest::Table;

use super::batch::BatchFields;
use super::condition::Condition;
use super::detection::{FieldCond, SigmaValue};
use super::document::DetectionRule;
use super::error::SigmaError;
use super::eval::{Leaf, Node, RefMode, Test};
use super::fields::{self, Target};
use super::matcher::{Net, NumTest, ReFlags, StrMatcher};
use super::modifiers::{transform, Modifier};
use super::pattern::Pattern;
use crate::error::DetectError;
use crate::model::{CmpOp, RuleInfo};

/// A detection rule ready to run on batches of its table.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    info: Arc<RuleInfo>,
    table: Table,
    root: Node,
    absent: Vec<String>,
}

impl CompiledRule {
    /// The rule, for the hits it raises.
    pub fn info(&self) -> &Arc<RuleInfo> {
        &self.info
    }

    /// The table whose batches the rule reads.
    pub fn table(&self) -> Table {
        self.table
    }

    /// Fields the rule tests that the table does not keep (they never have a value),
    /// for lint warnings.
    pub fn absent_fields(&self) -> &[String] {
        &self.absent
    }

    /// The rows of the batch that match. `fields` must wrap a batch of
    /// [`Self::table`]; share it between the rules run on one batch so that each
    /// field is read once.
    pub fn eval(&self, fields: &mut BatchFields<'_>) -> Result<BooleanArray, DetectError> {
        if fields.table() != self.table {
            return Err(DetectError::Eval(format!(
                "rule {} reads the {} table, but the batch is from {}",
                self.info.id,
                self.table.name(),
                fields.table().name()
            )));
        }
        let hits = self.root.eval(fields, None)?;
        Ok(BooleanArray::new(hits, None))
    }
}

/// Compiles a parsed rule; the error is the first problem found (parsing already
/// reported them all).
pub fn compile(rule: &DetectionRule) -> Result<CompiledRule, SigmaError> {
    // `compile_all` fails only with at least one error.
    compile_all(rule).map_err(|mut errors| errors.swap_remove(0))
}

/// Compiles a parsed rule, reporting every problem.
pub(crate) fn compile_all(rule: &DetectionRule) -> Result<CompiledRule, Vec<SigmaError>> {
    let file = rule.info.path.clone();
    let Some(service) = rule.info.service else {
        return Err(vec![SigmaError {
            file,
            line: rule.line,
            construct: "logsource".into(),
            message: "a detection rule needs `logsource.service`".into(),
        }]);
    };
    let mut c = Compiler {
        table: fields::table_of(service),
        file,
        errors: Vec::new(),
        absent: Vec::new(),
    };
    let mut selections = HashMap::new();
    for s in &rule.detection.selections {
        let alternatives = s
            .alternatives
            .iter()
            .map(|conds| Node::All(conds.iter().map(|fc| c.cond(fc)).collect()))
            .collect();
        selections.insert(s.name.as_str(), Node::Any(alternatives));
    }
    let root = condition(&rule.detection.condition, &selections).optimize();
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    c.absent.sort();
    c.absent.dedup();
    Ok(CompiledRule {
        info: rule.info.clone(),
        table: c.table,
        root,
        absent: c.absent,
    })
}

fn condition(c: &Condition, selections: &HashMap<&str, Node>) -> Node {
    let sel = |n: &String| {
        selections
            .get(n.as_str())
            .cloned()
            // Parsing checked every name; an unknown one cannot match.
            .unwrap_or(Node::Const(false))
    };
    match c {
        Condition::Selection(n) => sel(n),
        Condition::OneOf { names, .. } => Node::Any(names.iter().map(sel).collect()),
        Condition::AllOf { names, .. } => Node::All(names.iter().map(sel).collect()),
        Condition::And(cs) => Node::All(cs.iter().map(|c| condition(c, selections)).collect()),
        Condition::Or(cs) => Node::Any(cs.iter().map(|c| condition(c, selections)).collect()),
        Condition::Not(c) => Node::Not(Box::new(condition(c, selections))),
    }
}

struct Compiler {
    table: Table,
    file: String,
    errors: Vec<SigmaError>,
    absent: Vec<String>,
}

fn leaf(target: Target, test: Test) -> Node {
    let target_key = target.key();
    Node::Leaf(Box::new(Leaf {
        target,
        target_key,
        test,
    }))
}

/// A numeric test, with its cache key.
fn num(test: NumTest) -> Test {
    let key = format!("n{test:?}");
    Test::Num(test, key)
}

/// ANDs (`all`) or ORs the nodes.
fn join(nodes: Vec<Node>, all: bool) -> Node {
    if all {
        Node::All(nodes)
    } else {
        Node::Any(nodes)
    }
}

impl Compiler {
    fn error(&mut self, line: usize, construct: String, message: impl Into<String>) -> Node {
        self.errors.push(SigmaError {
            file: self.file.clone(),
            line,
            construct,
            message: message.into(),
        });
        Node::Const(false)
    }

    /// One field condition (or keyword list) into a node.
    fn cond(&mut self, fc: &FieldCond) -> Node {
        let node = match &fc.field {
            None => self.keywords(fc),
            Some(name) => match fields::resolve(self.table, name) {
                Some(target) => {
                    if target == Target::Absent {
                        self.absent.push(name.clone());
                    }
                    self.field(fc, name, target)
                }
                None => {
                    let service = if self.table == Table::CloudTrail {
                        "cloudtrail"
                    } else {
                        "lambda"
                    };
                    let known = fields::known_fields(self.table);
                    self.error(
                        fc.line,
                        format!("field `{name}`"),
                        format!("unknown field: no mapping for `service: {service}` rules (known: {known})"),
                    )
                }
            },
        };
        if fc.has(Modifier::Neq) {
            Node::Not(Box::new(node))
        } else {
            node
        }
    }

    /// A keyword list: each value searched in every keyword column.
    fn keywords(&mut self, fc: &FieldCond) -> Node {
        let construct = "keywords".to_owned();
        if let Some(m) = fc
            .modifiers
            .iter()
            .find(|m| !matches!(m, Modifier::All | Modifier::Cased | Modifier::Contains))
        {
            return self.error(
                fc.line,
                construct,
                format!(
                    "keyword searches take only `all` and `cased` (and `contains`, which \
                     they imply), not `{}`",
                    m.as_str()
                ),
            );
        }
        let mut patterns = Vec::new();
        for v in &fc.values {
            match v.text() {
                Some(t) => patterns.push(vec![Pattern::parse(&t).star_front().star_back()]),
                None => return self.error(fc.line, construct, "`null` is not a keyword"),
            }
        }
        let cased = fc.has(Modifier::Cased);
        let columns = fields::keyword_columns(self.table);
        let search = |c: &mut Compiler, ps: &[Pattern]| -> Node {
            let mut per_column = Vec::new();
            for col in columns {
                match StrMatcher::new(ps, cased, col.json_text) {
                    Ok(m) => per_column.push(leaf(Target::Column(*col), Test::Str(m))),
                    Err(e) => return c.error(fc.line, "keywords".into(), e),
                }
            }
            Node::Any(per_column)
        };
        if fc.has(Modifier::All) {
            let nodes = patterns.iter().map(|p| search(self, p)).collect();
            Node::All(nodes)
        } else {
            let flat: Vec<Pattern> = patterns.into_iter().flatten().collect();
            search(self, &flat)
        }
    }

    fn field(&mut self, fc: &FieldCond, name: &str, target: Target) -> Node {
        let construct = format!("field `{name}`");
        let has = |m| fc.has(m);
        let all = has(Modifier::All);
        if has(Modifier::Exists) {
            if fc.modifiers.len() > 1 {
                return self.error(fc.line, construct, "`exists` takes no other modifier");
            }
            return match fc.values.as_slice() {
                [SigmaValue::Bool(true)] => leaf(target, Test::Exists),
                [SigmaValue::Bool(false)] => Node::Not(Box::new(leaf(target, Test::Exists))),
                _ => self.error(fc.line, construct, "`exists` takes `true` or `false`"),
            };
        }
        if has(Modifier::FieldRef) {
            return self.fieldref(fc, construct, target);
        }
        let re = fc.modifiers.iter().any(|m| m.is_regex());
        let num = fc.modifiers.iter().find_map(|m| {
            let op = match m {
                Modifier::Gt => CmpOp::Gt,
                Modifier::Gte => CmpOp::Gte,
                Modifier::Lt => CmpOp::Lt,
                Modifier::Lte => CmpOp::Lte,
                _ => return None,
            };
            Some((*m, op))
        });
        let cidr = has(Modifier::Cidr);
        let kinds = usize::from(re) + usize::from(cidr) + usize::from(num.is_some());
        if kinds > 0 && (kinds > 1 || fc.modifiers.iter().any(|m| m.transforms())) {
            return self.error(
                fc.line,
                construct,
                "`re`, `cidr` and `gt`/`gte`/`lt`/`lte` cannot be combined with each other \
                 or with string modifiers",
            );
        }
        if re {
            self.regex(fc, construct, target, all)
        } else if cidr {
            self.cidr(fc, construct, target, all)
        } else if let Some((m, op)) = num {
            self.numeric(fc, construct, target, all, m, op)
        } else {
            self.strings(fc, construct, target, all)
        }
    }

    /// `cidr`: addresses in networks.
    fn cidr(&mut self, fc: &FieldCond, construct: String, target: Target, all: bool) -> Node {
        let mut nets = Vec::new();
        for v in &fc.values {
            let Some(text) = v.text() else {
                return self.error(fc.line, construct, "`cidr` takes networks, not `null`");
            };
            match Net::parse(&text) {
                Ok(n) => nets.push((n, text)),
                Err(e) => return self.error(fc.line, construct, e),
            }
        }
        let groups: Vec<Vec<(Net, String)>> = if all {
            nets.into_iter().map(|n| vec![n]).collect()
        } else {
            vec![nets]
        };
        let tests = groups.into_iter().map(|g| {
            let key = format!("c{:?}", g.iter().map(|(_, t)| t).collect::<Vec<_>>());
            let nets = g.into_iter().map(|(n, _)| n).collect();
            leaf(target.clone(), Test::Cidr(nets, key))
        });
        join(tests.collect(), all)
    }

    /// `gt`, `gte`, `lt`, `lte`: numeric comparisons.
    fn numeric(
        &mut self,
        fc: &FieldCond,
        construct: String,
        target: Target,
        all: bool,
        modifier: Modifier,
        op: CmpOp,
    ) -> Node {
        let mut nodes = Vec::new();
        for v in &fc.values {
            let value = match v {
                SigmaValue::Num(n, _) => Some(*n),
                SigmaValue::Str(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            match value {
                Some(value) if value.is_finite() => {
                    let test = NumTest {
                        op,
                        value,
                        text: None,
                    };
                    nodes.push(leaf(target.clone(), num(test)));
                }
                _ => {
                    let message = format!("`{}` takes a number", modifier.as_str());
                    return self.error(fc.line, construct, message);
                }
            }
        }
        join(nodes, all)
    }

    /// Plain, wildcard and transformed string values (and plain numbers, `null`).
    fn strings(&mut self, fc: &FieldCond, construct: String, target: Target, all: bool) -> Node {
        let transforms = fc.modifiers.iter().any(|m| m.transforms());
        let encoded = fc.has(Modifier::Base64) || fc.has(Modifier::Base64Offset);
        let cased = fc.has(Modifier::Cased) || encoded;
        let mut nodes = Vec::new();
        // Each value gives a group of ORed patterns (a value may expand into several).
        let mut groups: Vec<Vec<Pattern>> = Vec::new();
        for v in &fc.values {
            match v {
                SigmaValue::Null => {
                    if transforms {
                        return self.error(fc.line, construct, "`null` takes no string modifier");
                    }
                    nodes.push(leaf(target.clone(), Test::Null));
                    continue;
                }
                SigmaValue::Num(n, text) if !transforms => {
                    nodes.push(leaf(
                        target.clone(),
                        num(NumTest {
                            op: CmpOp::Eq,
                            value: *n,
                            text: Some(text.clone()),
                        }),
                    ));
                    continue;
                }
                _ => {}
            }
            let text = v.text().unwrap_or_default();
            match transform(Pattern::parse(&text), &fc.modifiers) {
                Ok(ps) => groups.push(ps),
                Err(e) => return self.error(fc.line, construct, e),
            }
        }
        let json_text = target.json_text();
        let matcher = |c: &mut Compiler, ps: &[Pattern]| match StrMatcher::new(ps, cased, json_text)
        {
            Ok(m) => leaf(target.clone(), Test::Str(m)),
            Err(e) => c.error(fc.line, construct.clone(), e),
        };
        if all {
            for g in &groups {
                nodes.push(matcher(self, g));
            }
            join(nodes, true)
        } else {
            let flat: Vec<Pattern> = groups.into_iter().flatten().collect();
            if !flat.is_empty() {
                nodes.push(matcher(self, &flat));
            }
            join(nodes, false)
        }
    }

    fn regex(&mut self, fc: &FieldCond, construct: String, target: Target, all: bool) -> Node {
        let flags = ReFlags {
            insensitive: fc.has(Modifier::ReInsensitive),
            multi_line: fc.has(Modifier::ReMultiline),
            dot_all: fc.has(Modifier::ReDotAll),
        };
        let mut patterns = Vec::new();
        for v in &fc.values {
            match v {
                SigmaValue::Str(s) => patterns.push(s.clone()),
                _ => return self.error(fc.line, construct, "`re` takes strings"),
            }
        }
        let groups: Vec<Vec<String>> = if all {
            patterns.into_iter().map(|p| vec![p]).collect()
        } else {
            vec![patterns]
        };
        let mut nodes = Vec::new();
        for g in groups {
            match StrMatcher::regexes(&g, flags) {
                Ok(m) => nodes.push(leaf(target.clone(), Test::Str(m))),
                Err(e) => return self.error(fc.line, construct, e),
            }
        }
        join(nodes, all)
    }

    fn fieldref(&mut self, fc: &FieldCond, construct: String, target: Target) -> Node {
        let how = if fc.has(Modifier::Contains) {
            RefMode::Contains
        } else if fc.has(Modifier::StartsWith) {
            RefMode::StartsWith
        } else if fc.has(Modifier::EndsWith) {
            RefMode::EndsWith
        } else {
            RefMode::Equal
        };
        if let Some(m) = fc.modifiers.iter().find(|m| {
            !matches!(
                m,
                Modifier::FieldRef
                    | Modifier::Contains
                    | Modifier::StartsWith
                    | Modifier::EndsWith
                    | Modifier::All
                    | Modifier::Cased
                    | Modifier::Neq
            )
        }) {
            return self.error(
                fc.line,
                construct,
                format!("`fieldref` cannot be combined with `{}`", m.as_str()),
            );
        }
        let mut nodes = Vec::new();
        for v in &fc.values {
            let SigmaValue::Str(other) = v else {
                return self.error(fc.line, construct, "`fieldref` takes field names");
            };
            let Some(other_target) = fields::resolve(self.table, other) else {
                return self.error(
                    fc.line,
                    format!("field `{other}`"),
                    "unknown field referenced by `fieldref`",
                );
            };
            nodes.push(leaf(
                target.clone(),
                Test::FieldRef {
                    other: other_target,
                    how,
                    cased: fc.has(Modifier::Cased),
                },
            ));
        }
        join(nodes, fc.has(Modifier::All))
    }
}
