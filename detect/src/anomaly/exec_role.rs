//! Lambda execution-role credentials used outside Lambda.
//!
//! A function's role session makes its AWS calls from Lambda's execution
//! environment: the SDK's user agent carries `exec-env/AWS_Lambda_<runtime>`. The
//! same credentials used from anywhere else — stolen through SSRF to the runtime
//! API, an environment dump, a leaked log — are a classic serverless compromise. A
//! CloudTrail call is reported when it belongs to a function's role session, its
//! user agent is not the execution environment's, its source is an IP (not an AWS
//! service calling on the role's behalf), and
//!
//! - with baselines: its /16 network or its user-agent family is not among those of
//!   the function's role sessions (the session is the function's when its role is a
//!   function role of the baseline, or its session name is a known function); or
//! - within the input alone: its access key was seen earlier from the execution
//!   environment in other networks ("one access key from two networks").
//!
//! Findings group calls per function and access key per window. Keys seen in Lambda
//! are remembered `key_ttl_secs`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::json;
use tripline_ingest::Table;

use super::config::ExecRoleConfig;
use super::events::CloudTrailCols;
use super::sensitivity::service_of;
use super::window::{fmt_top, fmt_width, rule_info, Contrib, Draft, Groups, Stats, TopCounts};
use super::windowed::{Closed, Frames, Row, Scorer};
use super::Common;
use crate::baseline::keys::{is_aws_internal, is_exec_env, network, ua_family};
use crate::model::{Level, RuleInfo};

/// Detector name.
pub const NAME: &str = "exec_role_outside_lambda";

/// Networks remembered per access key seen in Lambda.
const MAX_KEY_NETWORKS: usize = 8;
/// Access keys remembered.
const MAX_KEYS: usize = 100_000;

/// The detector's rule.
pub fn rule() -> Arc<RuleInfo> {
    rule_info(
        "tripline.anomaly.exec_role_outside_lambda",
        "Lambda execution-role credentials used outside Lambda",
        "A function's role session calling AWS from a network or user agent that is not \
         the function's execution environment, or one access key used from Lambda and \
         then from elsewhere: the function's credentials were stolen.",
        Level::High,
        &[
            "attack.credential_access",
            "attack.t1552.005",
            "attack.defense_evasion",
            "attack.t1078.004",
        ],
        &[
            "A developer assuming the function's role from a laptop to debug",
            "A function using an HTTP client that does not set the SDK user agent, from a new NAT address",
        ],
    )
}

const REASON_NETWORK: u8 = 1;
const REASON_AGENT: u8 = 2;
const REASON_KEY: u8 = 4;

#[derive(Default)]
pub(crate) struct Use {
    contrib: Contrib,
    function: String,
    access_key: Option<String>,
    role: Option<String>,
    reasons: u8,
    networks: TopCounts,
    agents: TopCounts,
    apis: TopCounts,
    lambda_networks: Vec<String>,
}

struct KeyInfo {
    function: String,
    networks: Vec<String>,
    last_seen: i64,
}

/// The detector's scorer: calls from outside Lambda per function and access key.
pub(crate) struct ExecRole {
    common: Common,
    cfg: ExecRoleConfig,
    rule: Arc<RuleInfo>,
    keys: HashMap<Box<str>, KeyInfo>,
    key: String,
}

impl ExecRole {
    /// The function whose role session made the call, by the baselines.
    fn baseline_function<'a>(&'a self, cols: &'a CloudTrailCols, i: usize) -> Option<&'a str> {
        let b = self.common.baselines()?;
        let session = cols.session_name.get(i);
        if let Some(functions) = cols.issuer.get(i).and_then(|r| b.function_roles.get(r)) {
            return match session {
                Some(s) if functions.iter().any(|f| f == s) => session,
                _ => functions.first().map(String::as_str),
            };
        }
        let assumed = cols
            .principal_type
            .get(i)
            .is_none_or(|t| t == "AssumedRole");
        session.filter(|s| assumed && b.function(s).is_some_and(|f| !f.exec_networks16.is_empty()))
    }

    fn finding(&self, width: i64, u: Use) -> Draft {
        let b = self.common.baselines();
        let fb = b.and_then(|b| b.function(&u.function));
        let nets = u.networks.top(3);
        let agents = u.agents.top(3);
        let apis = u.apis.top(5);
        let mut why = Vec::new();
        if u.reasons & REASON_NETWORK != 0 {
            why.push("network not the function's");
        }
        if u.reasons & REASON_AGENT != 0 {
            why.push("user agent not the function's");
        }
        if u.reasons & REASON_KEY != 0 {
            why.push("access key seen in Lambda from another network");
        }
        let usual = match fb {
            Some(f) => {
                let mut n: Vec<&str> = f.exec_networks16.keys().map(String::as_str).collect();
                n.sort_unstable();
                n.truncate(3);
                let mut a: Vec<&str> = f.exec_agents.keys().map(String::as_str).collect();
                a.sort_unstable();
                a.truncate(3);
                format!(
                    "the function's calls come from {} with {}",
                    n.join(", "),
                    a.join(", ")
                )
            }
            None => format!(
                "the key was used in Lambda from {}",
                u.lambda_networks.join(", ")
            ),
        };
        let message = format!(
            "Execution-role credentials of Lambda function {} used outside Lambda: {} calls in {} \
             from {} with {} ({}); {usual}. APIs: {}",
            u.function,
            u.contrib.count,
            fmt_width(width),
            fmt_top(&nets, 3),
            fmt_top(&agents, 3),
            why.join(", "),
            fmt_top(&apis, 5),
        );
        let mut stats =
            Stats::new("new term: network and user agent vs the function's execution environment");
        stats
            .expected(0.0)
            .observed(u.contrib.count as f64)
            .score(if u.reasons.count_ones() >= 2 {
                95.0
            } else {
                85.0
            })
            .top(&apis)
            .set("reasons", json!(why))
            .set(
                "networks",
                json!(nets.iter().map(|n| &n.0).collect::<Vec<_>>()),
            )
            .set(
                "user_agents",
                json!(agents.iter().map(|a| &a.0).collect::<Vec<_>>()),
            )
            .set("role", json!(u.role))
            .set("lambda_networks", json!(u.lambda_networks));
        let mut group = vec![("function", u.function.clone())];
        if let Some(k) = &u.access_key {
            group.push(("access_key", k.clone()));
        }
        Draft {
            rule: self.rule.clone(),
            level: if u.reasons.count_ones() >= 2 {
                Level::Critical
            } else {
                Level::High
            },
            confidence: if u.reasons.count_ones() >= 2 { 95 } else { 85 },
            message,
            group,
            contrib: u.contrib,
            stats,
        }
    }
}

impl Scorer for ExecRole {
    type Config = ExecRoleConfig;
    type Window = Groups<Use>;
    const NAME: &'static str = NAME;
    const NEEDS_BASELINES: bool = false;
    const TABLES: &'static [Table] = &[Table::CloudTrail];

    fn new(common: Common, cfg: ExecRoleConfig) -> Self {
        ExecRole {
            common,
            cfg,
            rule: rule(),
            keys: HashMap::new(),
            key: String::new(),
        }
    }

    fn cloudtrail(&mut self, row: Row<'_, CloudTrailCols>, w: &mut Frames<Groups<Use>>) {
        let Row { cols, i, t } = row;
        let ua = cols.user_agent.get(i).unwrap_or("");
        let ip = cols.source_ip.get(i);
        let internal = ip.is_none_or(is_aws_internal) || cols.invoked_by.get(i).is_some();
        let access_key = cols.access_key.get(i);
        if is_exec_env(ua) {
            // The function's own call: remember its key and network.
            let (Some(k), Some(function)) = (
                access_key,
                self.baseline_function(cols, i).or(cols.session_name.get(i)),
            ) else {
                return;
            };
            let function = function.to_owned();
            if self.keys.len() >= MAX_KEYS && !self.keys.contains_key(k) {
                return;
            }
            let info = self.keys.entry(k.into()).or_insert_with(|| KeyInfo {
                function,
                networks: Vec::new(),
                last_seen: t,
            });
            info.last_seen = info.last_seen.max(t);
            if let Some(net) = ip.filter(|_| !internal).and_then(|ip| network(ip, true)) {
                if !info.networks.contains(&net) && info.networks.len() < MAX_KEY_NETWORKS {
                    info.networks.push(net);
                }
            }
            return;
        }
        if internal {
            return;
        }
        let Some(ip) = ip else { return };
        let by_key = access_key.and_then(|k| self.keys.get(k));
        let function = match (self.baseline_function(cols, i), by_key) {
            (Some(f), _) => f.to_owned(),
            (None, Some(k)) => k.function.clone(),
            (None, None) => return,
        };
        let net16 = network(ip, true).unwrap_or_default();
        let family = ua_family(ua).unwrap_or_else(|| "(none)".to_owned());
        let mut reasons = 0u8;
        if let Some(fb) = self.common.baselines().and_then(|b| b.function(&function)) {
            if !fb.exec_networks16.is_empty() {
                if !fb.exec_networks16.contains_key(&net16) {
                    reasons |= REASON_NETWORK;
                }
                if !fb.exec_agents.contains_key(&family) {
                    reasons |= REASON_AGENT;
                }
            }
        }
        let lambda_networks = by_key.map(|k| k.networks.clone()).unwrap_or_default();
        if !lambda_networks.is_empty() && !lambda_networks.contains(&net16) {
            reasons |= REASON_KEY;
        }
        if reasons == 0 {
            return;
        }
        let key = &mut self.key;
        key.clear();
        key.push_str(&function);
        key.push('\0');
        key.push_str(access_key.unwrap_or(""));
        let Some(u) = w.group(t, key) else {
            return;
        };
        if u.contrib.count == 0 {
            u.function = function;
            u.access_key = access_key.map(str::to_owned);
            u.role = cols.issuer.get(i).map(str::to_owned);
            u.lambda_networks = lambda_networks;
        }
        u.reasons |= reasons;
        u.networks.add(&network(ip, false).unwrap_or_default());
        u.agents.add(&family);
        u.apis.add(&format!(
            "{}:{}",
            service_of(cols.event_source.get(i).unwrap_or("")),
            cols.event_name.get(i).unwrap_or("")
        ));
        u.contrib
            .record(t, cols.event_id.get(i), 1, || cols.evidence(i));
    }

    fn score(&mut self, w: Closed<Groups<Use>>, out: &mut Vec<Draft>) {
        for (_, u) in w.state {
            if u.contrib.count >= self.cfg.min_support {
                out.push(self.finding(w.width, u));
            }
        }
    }

    fn closed(&mut self, watermark: i64) {
        let ttl = (self.cfg.key_ttl_secs as i64).saturating_mul(1_000_000);
        let horizon = watermark.saturating_sub(ttl);
        self.keys.retain(|_, k| k.last_seen >= horizon);
    }
}
