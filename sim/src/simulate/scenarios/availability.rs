//! Attacks on availability and cost: invocation floods (denial of wallet), payloads
//! that make a function run to its timeout, inputs that crash a handler.

use serde_json::json;

use super::payloads::{self, Carrier};
use super::{Ctx, Entities, Plan, Scenario, ScenarioInfo};
use crate::simulate::catalog;
use crate::simulate::rng::{HOUR, MIN, SEC};
use crate::simulate::world::{Route, Via};

/// Most requests a flood may plan (memory stays bounded at any scale).
const MAX_FLOOD: usize = 200_000;

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            info: ScenarioInfo {
                name: "denial_of_wallet",
                technique: "T1499.003",
                tactic: "impact",
                description: "An invocation flood far above the function's hour-of-week baseline, often with heavy payloads and long durations",
                expected: &["detector:flood", "detector:duration_outlier"],
            },
            plan: flood,
        },
        Scenario {
            info: ScenarioInfo {
                name: "redos_payload_bomb",
                technique: "T1499.004",
                tactic: "impact",
                description: "A few crafted requests (catastrophic-backtracking strings, deeply nested JSON) that run a function to its timeout and memory limit",
                expected: &["detector:duration_outlier", "detector:error_spike", "rule:lambda_nested_payload"],
            },
            plan: bomb,
        },
        Scenario {
            info: ScenarioInfo {
                name: "error_spike",
                technique: "T1499.004",
                tactic: "impact",
                description: "Malformed inputs (type confusion, operator objects, broken encodings) from a few sources make one function's 5xx rate jump",
                expected: &["detector:error_spike"],
            },
            plan: errors,
        },
    ]
}

fn http_function(c: &mut Ctx<'_>, routes: &[Route]) -> (usize, Route) {
    let fi = c.function_with(routes).unwrap_or_else(|| c.any_function());
    let f = &c.w.functions[fi];
    let own: Vec<Route> = f
        .routes
        .iter()
        .copied()
        .filter(|r| routes.contains(r))
        .collect();
    let route = if own.is_empty() {
        f.routes[0]
    } else {
        *c.r.pick(&own)
    };
    (fi, route)
}

fn flood(c: &mut Ctx<'_>) -> Plan {
    let (fi, route) = http_function(
        c,
        &[
            Route::Search,
            Route::GraphQl,
            Route::OrderCreate,
            Route::ProductGet,
            Route::Proxy,
        ],
    );
    let f = c.w.functions[fi].clone();
    let mult = c.r.uniform(20.0, 60.0);
    let span = (c.r.range(30, 120) as i64 * MIN).min(c.end - c.start);
    let per_hour = (f.peak * c.scale).max(20.0) * mult;
    let n = ((per_hour * span as f64 / HOUR as f64) as usize).clamp(500, MAX_FLOOD);
    let botnet = c.r.chance(0.6);
    let sources: Vec<String> = if botnet {
        (0..20 + c.r.below(280))
            .map(|_| {
                if c.r.chance(0.5) {
                    catalog::ip_from(catalog::RESIDENTIAL, &mut c.r)
                } else {
                    catalog::ip_from(catalog::HOSTING, &mut c.r)
                }
            })
            .collect()
    } else {
        (0..1 + c.r.below(5))
            .map(|_| catalog::ip_from(catalog::HOSTING, &mut c.r))
            .collect()
    };
    let uas: Vec<String> = (0..1 + c.r.below(6))
        .map(|_| {
            if c.r.chance(0.5) {
                catalog::client_ua(&mut c.r)
            } else {
                catalog::browser_ua(&mut c.r)
            }
        })
        .collect();
    let heavy = c.r.chance(0.6);
    let slow = c.r.uniform(1.5, 8.0);
    let mut p = Plan::default();
    for k in 0..n {
        let t = c.start + span * k as i64 / n as i64 + c.r.range(0, 500_000) as i64;
        let ip = c.r.pick(&sources).clone();
        let ua = c.r.pick(&uas).clone();
        let client = c.client(ip, ua);
        let mut inv = c.request(fi, route, t, &client);
        if heavy {
            let filler: Vec<String> = (0..c.r.range(200, 800))
                .map(|i| format!("{}{i}", c.r.pick(catalog::SKUS)))
                .collect();
            payloads::inject(
                &mut inv,
                if route == Route::Search {
                    Route::OrderCreate
                } else {
                    route
                },
                &filler.join(","),
                Carrier::Plain,
            );
        }
        inv.dur_ms = (inv.dur_ms * slow).min(f.timeout_s as f64 * 1000.0);
        inv.timeout = inv.dur_ms >= f.timeout_s as f64 * 1000.0;
        inv.status = if inv.timeout {
            504
        } else if c.r.chance(0.05) {
            429
        } else {
            200
        };
        inv.mem_mb = (inv.mem_mb * c.r.uniform(1.0, 2.5)).min(f.memory_mb as f64);
        p.invs.push(inv);
    }
    p.entities = Entities {
        source_ips: sources,
        function: Some(f.name),
        ..Default::default()
    };
    p
}

fn bomb(c: &mut Ctx<'_>) -> Plan {
    let (fi, route) = http_function(
        c,
        &[
            Route::Search,
            Route::Login,
            Route::OrderCreate,
            Route::GraphQl,
            Route::Profile,
        ],
    );
    let f = c.w.functions[fi].clone();
    let ip = c.attacker_ip();
    let ua = catalog::client_ua(&mut c.r);
    let client = c.client(ip.clone(), ua);
    let mut p = Plan::default();
    let mut t = c.start;
    for _ in 0..3 + c.r.below(12) {
        let mut inv = c.request(fi, route, t, &client);
        let value = match c.r.below(3) {
            0 => format!(
                "{}{}",
                "a".repeat(c.r.range(3000, 30000) as usize),
                c.r.pick(&["!", "@", "\u{0}", "x@"])
            ),
            1 => {
                let d = c.r.range(2000, 9000) as usize;
                format!("{}{}", "[".repeat(d), "]".repeat(d))
            }
            _ => format!(
                "{}@{}.com",
                "a.".repeat(c.r.range(2000, 12000) as usize),
                c.r.lower(3)
            ),
        };
        payloads::inject(&mut inv, route, &value, Carrier::Plain);
        let timeout = c.r.chance(0.7);
        inv.timeout = timeout;
        inv.dur_ms = if timeout {
            f.timeout_s as f64 * 1000.0
        } else {
            f.timeout_s as f64 * 1000.0 * c.r.uniform(0.6, 0.95)
        };
        inv.mem_mb = f.memory_mb as f64 * c.r.uniform(0.85, 1.0);
        inv.status = if timeout {
            if matches!(f.via, Via::Http) {
                503
            } else {
                504
            }
        } else {
            502
        };
        if !timeout {
            inv.logs.push((
                "ERROR",
                "RangeError: Maximum call stack size exceeded".into(),
            ));
        }
        p.invs.push(inv);
        t += c.pause(5, 120);
    }
    p.entities = Entities {
        source_ips: vec![ip],
        function: Some(f.name),
        ..Default::default()
    };
    p
}

fn errors(c: &mut Ctx<'_>) -> Plan {
    let (fi, route) = http_function(
        c,
        &[
            Route::OrderCreate,
            Route::GraphQl,
            Route::Profile,
            Route::Search,
            Route::OrdersList,
        ],
    );
    let f = c.w.functions[fi].clone();
    let sources: Vec<String> = (0..1 + c.r.below(5)).map(|_| c.attacker_ip()).collect();
    let ua = catalog::client_ua(&mut c.r);
    let n = 200 + c.r.below(1300);
    let span = (c.r.range(30, 90) as i64 * MIN).min(c.end - c.start);
    let mut p = Plan::default();
    for k in 0..n {
        let t = c.start + span * k as i64 / n as i64 + c.r.range(0, 3 * SEC as u64) as i64;
        let ip = c.r.pick(&sources).clone();
        let client = c.client(ip, ua.clone());
        let mut inv = c.request(fi, route, t, &client);
        let bad = match c.r.below(5) {
            0 => json!({"$gt": ""}).to_string(),
            1 => "\u{fffd}\u{fffd}%c0%af".to_string(),
            2 => json!([null, {"qty": -1}]).to_string(),
            3 => format!("{}", c.r.range(1, 1 << 40) as f64 * 1e300),
            _ => "NaN".to_string(),
        };
        payloads::inject(&mut inv, route, &bad, Carrier::Plain);
        if c.r.chance(0.85) {
            inv.status = 500;
            let e = *c.r.pick(&[
                "TypeError: items.map is not a function",
                "TypeError: Cannot read properties of null (reading 'qty')",
                "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xc0",
                "ValueError: Out of range float values are not JSON compliant",
            ]);
            inv.logs = vec![("ERROR", format!("Unhandled error: {e}"))];
        }
        p.invs.push(inv);
    }
    p.entities = Entities {
        source_ips: sources,
        function: Some(f.name),
        ..Default::default()
    };
    p
}
