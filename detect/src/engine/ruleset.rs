//! A loaded rule set: every rule file parsed and compiled, correlation rules linked to
//! the rules they reference, and every problem kept (one bad rule never stops the
//! others from running).

use std::path::Path;
use std::sync::Arc;

use tripline_ingest::Table;

use crate::error::DetectError;
use crate::model::CorrelationSpec;
use crate::sigma::{self, CompiledRule, RuleDoc, RuleTest, SigmaError};

/// One rule file: its path (for messages) and text.
#[derive(Debug, Clone)]
pub struct RuleFile {
    /// Path as shown to users (`rules/cloudtrail/…yml`, or `embedded:…`).
    pub path: String,
    /// YAML text.
    pub text: String,
}

/// Every rule file under `dir` ([`sigma::rule_files`]), read.
pub fn read_dir(dir: &Path) -> Result<Vec<RuleFile>, DetectError> {
    let io = |path: &Path, e: std::io::Error| DetectError::Rules {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    sigma::rule_files(dir)
        .map_err(|e| io(dir, e))?
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            Ok(RuleFile {
                path: path.display().to_string(),
                text,
            })
        })
        .collect()
}

/// A compiled detection rule and how its hits become findings.
pub struct LoadedRule {
    /// The compiled rule.
    pub compiled: CompiledRule,
    /// Fields its single-event hits are grouped by (`tripline: group_by`).
    pub group_by: Vec<String>,
    /// Tumbling window of its findings, µs (`tripline: dedup_window`).
    pub dedup_window_us: i64,
    /// Whether its hits raise findings of their own: true unless only correlations
    /// use it (Sigma `generate: false`, the default for referenced rules).
    pub emits: bool,
    /// Indices (into [`RuleSet::correlations`]) of correlations that reference it.
    pub correlations: Vec<usize>,
    /// Its `tests:`.
    pub tests: Vec<RuleTest>,
}

/// A correlation rule and the rules it correlates.
pub struct LoadedCorrelation {
    /// The resolved correlation.
    pub spec: CorrelationSpec,
    /// Its `tests:`.
    pub tests: Vec<RuleTest>,
    /// Indices (into [`RuleSet::rules`]) of the rules it references.
    pub bases: Vec<usize>,
}

/// Every rule that loaded, and every problem with those that did not.
#[derive(Default)]
pub struct RuleSet {
    /// Detection rules.
    pub rules: Vec<LoadedRule>,
    /// Correlation rules.
    pub correlations: Vec<LoadedCorrelation>,
    /// Problems: file, line, construct. Those rules are skipped.
    pub errors: Vec<SigmaError>,
}

impl RuleSet {
    /// Parses, compiles and links `files`. Later files never replace earlier rules: a
    /// duplicate id is an error and the second copy is skipped.
    pub fn load(files: &[RuleFile]) -> RuleSet {
        let mut set = RuleSet::default();
        let mut docs = Vec::new();
        for file in files {
            let (d, errors) = sigma::parse_rules(&file.path, &file.text);
            docs.extend(d);
            set.errors.extend(errors);
        }
        // Checks only the whole set can make (duplicate ids and names, unknown or
        // cyclic references, group-by fields), and `generate` across files.
        set.errors.extend(sigma::resolve(&docs));
        sigma::apply_generate(&mut docs);
        let mut seen = std::collections::HashSet::new();
        let mut pending = Vec::new();
        for doc in docs {
            // A duplicate was reported by `resolve`; the first copy wins.
            if !seen.insert(doc.info().id.clone()) {
                continue;
            }
            match doc {
                RuleDoc::Detection(rule) => match sigma::compile(&rule) {
                    Ok(compiled) => set.rules.push(LoadedRule {
                        compiled,
                        group_by: rule.tripline.group_by.clone(),
                        dedup_window_us: rule.tripline.dedup_window.us,
                        emits: rule.generate,
                        correlations: Vec::new(),
                        tests: rule.tests.clone(),
                    }),
                    Err(e) => set.errors.push(e),
                },
                RuleDoc::Correlation(c) => pending.push(c),
            }
        }
        for c in pending {
            let bases: Option<Vec<usize>> = c
                .spec
                .rules
                .iter()
                .map(|reference| {
                    set.rules.iter().position(|r| {
                        let info = r.compiled.info();
                        info.id == *reference || info.name.as_deref() == Some(reference)
                    })
                })
                .collect();
            // Unknown references were reported by `resolve`, rules that did not
            // compile by `compile`: the correlation cannot run without them.
            let Some(bases) = bases else { continue };
            let ci = set.correlations.len();
            for &b in &bases {
                set.rules[b].correlations.push(ci);
            }
            set.correlations.push(LoadedCorrelation {
                spec: c.spec,
                tests: c.tests,
                bases,
            });
        }
        set
    }

    /// Indices of the rules that read `table`.
    pub fn rules_for(&self, table: Table) -> impl Iterator<Item = usize> + '_ {
        self.rules
            .iter()
            .enumerate()
            .filter(move |(_, r)| r.compiled.table() == table)
            .map(|(i, _)| i)
    }

    /// Number of rules and correlations loaded.
    pub fn len(&self) -> usize {
        self.rules.len() + self.correlations.len()
    }

    /// True when nothing loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Info of every loaded rule and correlation, in load order.
    pub fn infos(&self) -> Vec<Arc<crate::model::RuleInfo>> {
        self.rules
            .iter()
            .map(|r| r.compiled.info().clone())
            .chain(self.correlations.iter().map(|c| c.spec.info.clone()))
            .collect()
    }
}
