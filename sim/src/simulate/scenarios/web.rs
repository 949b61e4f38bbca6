//! Attacks on the public APIs: injection sprays (fast from few sources, or low and
//! slow from hundreds), path enumeration, authentication brute force.

use super::payloads::{self, base_value, Carrier, Template};
use super::{Ctx, Entities, Plan, Scenario, ScenarioInfo};
use crate::simulate::catalog;
use crate::simulate::rng::{HOUR, MIN, SEC};
use crate::simulate::world::{Route, Via};

pub(super) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            info: ScenarioInfo {
                name: "injection_spray",
                technique: "T1190",
                tactic: "initial-access",
                description: "One injection template (SQLi, command injection, SSTI or traversal) sprayed with varying values across thousands of requests from one or a few sources",
                expected: &["detector:spray", "rule:lambda_injection_payload", "correlation:attack_family_burst"],
            },
            plan: injection,
        },
        Scenario {
            info: ScenarioInfo {
                name: "low_and_slow_spray",
                technique: "T1190",
                tactic: "initial-access",
                description: "The same injection template from hundreds of addresses, a few requests each, over hours",
                expected: &["detector:spray", "rule:lambda_injection_payload"],
            },
            plan: low_and_slow,
        },
        Scenario {
            info: ScenarioInfo {
                name: "enumeration",
                technique: "T1595.003",
                tactic: "reconnaissance",
                description: "One source walks hundreds of paths of a catch-all API (wordlist and id ranges), mostly getting 404",
                expected: &["detector:enumeration", "correlation:many_404_one_source"],
            },
            plan: enumeration,
        },
        Scenario {
            info: ScenarioInfo {
                name: "auth_brute_force",
                technique: "T1110",
                tactic: "credential-access",
                description: "A 401/403 storm: password guessing from one source, credential stuffing from many, or forged tokens against an authorizer",
                expected: &["detector:brute_force", "correlation:login_failures"],
            },
            plan: brute_force,
        },
    ]
}

/// The HTTP function and route a spray targets.
fn target(c: &mut Ctx<'_>) -> (usize, Route) {
    let routes = [
        Route::Search,
        Route::OrdersList,
        Route::OrderGet,
        Route::ProductGet,
        Route::Proxy,
        Route::OrderCreate,
        Route::GraphQl,
        Route::Profile,
    ];
    let fi = c.function_with(&routes).unwrap_or_else(|| c.any_function());
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

fn tool_ua(c: &mut Ctx<'_>, t: Template) -> String {
    match c.r.below(6) {
        0 if t.family == payloads::Family::Sqli => "sqlmap/1.8.2#stable (https://sqlmap.org)".into(),
        1 => "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36".into(),
        2 => "python-requests/2.31.0".into(),
        3 => "Go-http-client/1.1".into(),
        _ => catalog::browser_ua(&mut c.r),
    }
}

fn injection(c: &mut Ctx<'_>) -> Plan {
    let (fi, route) = target(c);
    let tpl = Template::pick(&mut c.r);
    let carrier = if c.r.chance(0.2) {
        Carrier::Base64Body
    } else {
        Carrier::Plain
    };
    let sources: Vec<String> = (0..1 + c.r.below(3))
        .map(|_| catalog::ip_from(catalog::HOSTING, &mut c.r))
        .collect();
    let ua = tool_ua(c, tpl);
    let n = 1000 + c.r.below(4000);
    let span = c.r.range(20, 90) as i64 * MIN;
    let mut p = Plan::default();
    for k in 0..n {
        let t = c.start + span * k as i64 / n as i64 + c.r.range(0, 2 * SEC as u64) as i64;
        let ip = c.r.pick(&sources).clone();
        let client = c.client(ip, ua.clone());
        let mut inv = c.request(fi, route, t, &client);
        let base = base_value(&mut c.r, route);
        let value = tpl.render(&mut c.r, &base);
        payloads::inject(&mut inv, route, &value, carrier);
        inv.status = tpl.status(&mut c.r);
        inv.principal = None;
        inv.headers.retain(|(k, _)| k != "authorization");
        p.invs.push(inv);
    }
    p.entities = Entities {
        source_ips: sources,
        function: Some(c.w.functions[fi].name.clone()),
        ..Default::default()
    };
    p
}

fn low_and_slow(c: &mut Ctx<'_>) -> Plan {
    let (fi, route) = target(c);
    let tpl = Template::pick(&mut c.r);
    let ips = 200 + c.r.below(400);
    let span = c.r.range(4, 10) as i64 * HOUR;
    let span = span.min(c.end - c.start);
    let mut p = Plan::default();
    let mut sources = Vec::new();
    for _ in 0..ips {
        let ip = if c.r.chance(0.7) {
            catalog::ip_from(catalog::RESIDENTIAL, &mut c.r)
        } else {
            catalog::ip_from(catalog::MOBILE, &mut c.r)
        };
        let ua = catalog::browser_ua(&mut c.r);
        let client = c.client(ip.clone(), ua);
        let t0 = c.start + c.r.range(0, span as u64) as i64;
        for k in 0..1 + c.r.below(4) {
            let t = (t0 + k as i64 * c.r.range(20, 600) as i64 * SEC).min(c.end);
            let mut inv = c.request(fi, route, t, &client);
            let base = base_value(&mut c.r, route);
            let value = tpl.render(&mut c.r, &base);
            payloads::inject(&mut inv, route, &value, Carrier::Plain);
            inv.status = tpl.status(&mut c.r);
            p.invs.push(inv);
        }
        sources.push(ip);
    }
    p.entities = Entities {
        source_ips: sources,
        function: Some(c.w.functions[fi].name.clone()),
        ..Default::default()
    };
    p
}

const WORDS: &[&str] = &[
    "admin",
    "backup",
    "config",
    "debug",
    "internal",
    "test",
    "staging",
    "old",
    "v0",
    "private",
    "users",
    "accounts",
    "export",
    "import",
    "upload",
    "files",
    "logs",
    "metrics",
    "status",
    "health",
    "swagger.json",
    "openapi.yaml",
    "graphql",
    "console",
    "actuator/env",
    "actuator/health",
    ".env",
    ".git/HEAD",
    "server-status",
    "phpinfo.php",
    "wp-json",
    "keys",
    "tokens",
    "secrets",
    "settings",
    "billing",
    "invoices",
    "reports",
    "orders",
    "payments",
    "customers",
    "auth",
    "login",
    "session",
    "jobs",
    "queue",
    "cache",
    "db",
    "dump",
    "sql",
    "api-docs",
    "docs",
];

fn enumeration(c: &mut Ctx<'_>) -> Plan {
    let fi = c
        .function_with(&[Route::Proxy])
        .unwrap_or_else(|| c.any_function());
    let ip = c.attacker_ip();
    let ua = match c.r.below(4) {
        0 => "gobuster/3.6".to_string(),
        1 => "Fuzz Faster U Fool v2.1.0-dev".to_string(),
        _ => catalog::browser_ua(&mut c.r),
    };
    let client = c.client(ip.clone(), ua);
    let n = 300 + c.r.below(1700);
    let span = c.r.range(10, 60) as i64 * MIN;
    let exts = ["", ".json", ".bak", ".zip", ".old", ".sql", ".txt"];
    let mut p = Plan::default();
    for k in 0..n {
        let t = c.start + span * k as i64 / n as i64;
        let mut inv = c.request(fi, Route::Proxy, t, &client);
        let path = match c.r.below(4) {
            0 => format!("/api/v{}/users/{}", 1 + c.r.below(3), c.r.range(1, 5000)),
            1 => format!("/api/{}{}", c.r.pick(WORDS), c.r.pick(&exts)),
            _ => format!(
                "/api/v{}/{}{}",
                1 + c.r.below(3),
                c.r.pick(WORDS),
                c.r.pick(&exts)
            ),
        };
        inv.path = path;
        inv.principal = None;
        inv.headers.retain(|(k, _)| k != "authorization");
        inv.status = match c.r.f() {
            x if x < 0.86 => 404,
            x if x < 0.93 => 403,
            x if x < 0.97 => 400,
            _ => 200,
        };
        inv.dur_ms *= 0.5;
        p.invs.push(inv);
    }
    p.entities = Entities {
        source_ips: vec![ip],
        function: Some(c.w.functions[fi].name.clone()),
        ..Default::default()
    };
    p
}

fn brute_force(c: &mut Ctx<'_>) -> Plan {
    let w = c.w;
    let mut p = Plan::default();
    let variant = c.r.below(3);
    let login = c.function_with(&[Route::Login]);
    let (fi, route) = match (variant, login) {
        (2, _) | (_, None) => {
            let fi = c
                .function_with(&[Route::Profile, Route::OrdersList, Route::OrderGet])
                .unwrap_or_else(|| c.any_function());
            let f = &w.functions[fi];
            let r = *f
                .routes
                .iter()
                .find(|r| matches!(r, Route::Profile | Route::OrdersList | Route::OrderGet))
                .unwrap_or(&f.routes[0]);
            (fi, r)
        }
        (_, Some(fi)) => (fi, Route::Login),
    };
    let f = &w.functions[fi];
    let forged = route != Route::Login;
    let (n, span, sources): (usize, i64, Vec<String>) = match variant {
        0 => (
            300 + c.r.below(1700),
            c.r.range(15, 60) as i64 * MIN,
            vec![c.attacker_ip()],
        ),
        1 => {
            let k = 50 + c.r.below(150);
            (
                1000 + c.r.below(2000),
                c.r.range(60, 180) as i64 * MIN,
                (0..k).map(|_| c.attacker_ip()).collect(),
            )
        }
        _ => (
            400 + c.r.below(1600),
            c.r.range(15, 90) as i64 * MIN,
            (0..1 + c.r.below(4)).map(|_| c.attacker_ip()).collect(),
        ),
    };
    let ua = if c.r.chance(0.5) {
        catalog::client_ua(&mut c.r)
    } else {
        catalog::browser_ua(&mut c.r)
    };
    let victim = format!(
        "{}.{}@{}",
        c.r.pick(catalog::FIRST),
        c.r.pick(catalog::LAST),
        c.r.pick(&["gmail.com", "outlook.com"])
    );
    let span = span.min(c.end - c.start);
    for k in 0..n {
        let t = c.start + span * k as i64 / n as i64 + c.r.range(0, SEC as u64) as i64;
        let ip = c.r.pick(&sources).clone();
        let mut client = c.client(ip, ua.clone());
        if variant == 0 {
            client.email = victim.clone();
        }
        let mut inv = c.request(fi, route, t, &client);
        if forged {
            // A JWT authorizer rejects forged tokens before the function runs.
            inv.principal = None;
            inv.invoked = false;
            inv.status = if matches!(f.via, Via::Http) { 401 } else { 403 };
            inv.logs.clear();
            inv.side.clear();
        } else {
            inv.status = if k + 1 == n && c.r.chance(0.3) {
                200
            } else {
                401
            };
        }
        p.invs.push(inv);
    }
    p.entities = Entities {
        source_ips: sources,
        function: Some(f.name.clone()),
        ..Default::default()
    };
    p
}
