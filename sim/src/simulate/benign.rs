//! Benign traffic, hour by hour.
//!
//! - Requests to every function follow its rhythm (consumer evenings and weekends,
//!   office hours, flat health checks) in the world's local time, with hour-to-hour
//!   noise, Poisson counts, returning customers (a heavy-tailed client population),
//!   partners, monitors, and a little internet background noise (crawlers and
//!   scanners probing a few paths); scheduled functions run on their schedule.
//! - People and roles calling AWS ([`super::people`]) are planned a day at a time.
//!
//! Nothing here depends on the scenarios: the benign stream is the same whichever
//! attacks are added to it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::catalog;
use super::event::ApiCall;
use super::invocation::Invocation;
use super::people;
use super::requests::{self, Client};
use super::rng::{Rng, DAY, HOUR, MIN, SEC};
use super::world::{Rhythm, Route, Via, World};

/// Relative traffic by local hour: shoppers.
const CONSUMER: [f64; 24] = [
    0.22, 0.14, 0.09, 0.07, 0.06, 0.08, 0.15, 0.3, 0.45, 0.55, 0.6, 0.66, 0.72, 0.7, 0.66, 0.66,
    0.7, 0.8, 0.9, 1.0, 1.0, 0.92, 0.7, 0.42,
];
/// Relative traffic by local hour: office hours.
const BUSINESS: [f64; 24] = [
    0.03, 0.02, 0.02, 0.02, 0.02, 0.03, 0.08, 0.3, 0.75, 0.95, 1.0, 0.95, 0.8, 0.9, 1.0, 0.95,
    0.85, 0.6, 0.3, 0.15, 0.08, 0.06, 0.05, 0.04,
];

/// A planned call, ordered by time then plan order.
struct Pending<T>(i64, u64, T);

impl<T> PartialEq for Pending<T> {
    fn eq(&self, o: &Self) -> bool {
        (self.0, self.1) == (o.0, o.1)
    }
}
impl<T> Eq for Pending<T> {}
impl<T> PartialOrd for Pending<T> {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl<T> Ord for Pending<T> {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(o.0, o.1))
    }
}

/// The benign generator.
pub(crate) struct Benign<'w> {
    w: &'w World,
    r: Rng,
    scale: f64,
    clients: Vec<Client>,
    partners: Vec<Client>,
    calls: BinaryHeap<Reverse<Pending<ApiCall>>>,
    seq: u64,
    planned_day: i64,
}

impl<'w> Benign<'w> {
    /// Benign traffic of `w` at `scale`.
    pub fn new(w: &'w World, seed: u64, stream: u64, scale: f64) -> Benign<'w> {
        let mut r = Rng::new(seed, stream);
        let n = (2500.0 * scale.max(0.01).sqrt()) as usize + 50;
        let clients = requests::clients(&mut r, w, n);
        let partners = (0..6)
            .map(|i| {
                let ip = if i % 2 == 0 {
                    catalog::ip_from(catalog::HOSTING, &mut r)
                } else {
                    catalog::aws_ip(catalog::HOME_REGIONS[i % 4], &mut r)
                };
                Client {
                    ip,
                    ua: catalog::client_ua(&mut r),
                    sub: r.uuid(),
                    email: format!("integrations@partner{i}.example.com"),
                }
            })
            .collect();
        Benign {
            w,
            r,
            scale,
            clients,
            partners,
            calls: BinaryHeap::new(),
            seq: 0,
            planned_day: i64::MIN,
        }
    }

    /// The benign calls and invocations of the hour starting at `hour_us`.
    pub fn hour(&mut self, hour_us: i64) -> (Vec<ApiCall>, Vec<Invocation>) {
        let day = hour_us.div_euclid(DAY);
        if day != self.planned_day {
            self.planned_day = day;
            let planned = people::plan_day(self.w, &mut self.r, day * DAY, self.scale);
            for c in planned {
                self.seq += 1;
                self.calls.push(Reverse(Pending(c.time_us, self.seq, c)));
            }
        }
        let mut invs = Vec::new();
        for fi in 0..self.w.functions.len() {
            self.function_hour(fi, hour_us, &mut invs);
        }
        self.background(hour_us, &mut invs);
        let mut calls = Vec::new();
        while let Some(Reverse(p)) = self.calls.peek() {
            if p.0 >= hour_us + HOUR {
                break;
            }
            if let Some(Reverse(Pending(_, _, c))) = self.calls.pop() {
                calls.push(c);
            }
        }
        (calls, invs)
    }

    fn rate(&mut self, rhythm: Rhythm, t: i64) -> f64 {
        let (h, wd) = self.w.local(t);
        let weekend = wd >= 5;
        let base = match rhythm {
            Rhythm::Consumer => CONSUMER[h as usize] * if weekend { 1.15 } else { 1.0 },
            Rhythm::Business => BUSINESS[h as usize] * if weekend { 0.12 } else { 1.0 },
            Rhythm::Flat => 1.0,
        };
        base * self.r.lognormal(1.0, 0.12)
    }

    fn function_hour(&mut self, fi: usize, hour_us: i64, out: &mut Vec<Invocation>) {
        let w = self.w;
        let f = &w.functions[fi];
        let times: Vec<i64> = match f.via {
            Via::Every(m) => (0..60 / m.max(1))
                .map(|k| {
                    hour_us + k as i64 * m as i64 * MIN + self.r.range(0, 2 * SEC as u64) as i64
                })
                .collect(),
            Via::Daily { hour, weekday } => {
                let (h, wd) = w.local(hour_us);
                if h == hour && weekday.is_none_or(|d| d == wd) {
                    vec![hour_us + self.r.range(0, 3 * SEC as u64) as i64]
                } else {
                    vec![]
                }
            }
            _ => {
                let rate = f.peak * self.scale * self.rate(f.rhythm, hour_us + 30 * MIN);
                let n = self.r.poisson(rate);
                (0..n)
                    .map(|_| hour_us + self.r.range(0, HOUR as u64) as i64)
                    .collect()
            }
        };
        for t in times {
            let route = *self.r.pick(&f.routes);
            let mut inv = Invocation::new(&mut self.r, f, fi, t);
            let client = self.caller(route, f.account, f.via == Via::Alb);
            requests::fill(&mut self.r, w, f, route, &client, &mut inv);
            out.push(inv);
        }
    }

    /// Who calls a route: monitors, partners, staff or (mostly) returning customers.
    fn caller(&mut self, route: Route, account: usize, internal: bool) -> Client {
        let r = &mut self.r;
        match route {
            Route::Health => Client {
                ip: catalog::aws_ip(catalog::HOME_REGIONS[r.below(4)], r),
                ua: r.pick(catalog::MONITOR_UAS).to_string(),
                sub: String::new(),
                email: String::new(),
            },
            _ if internal => {
                let p = r.pick(&self.w.people).clone();
                Client {
                    ip: if p.office {
                        r.pick(&self.w.office_ips).clone()
                    } else {
                        p.home_ip
                    },
                    ua: catalog::browser_ua(r),
                    sub: p.email.clone(),
                    email: p.email,
                }
            }
            _ if account == 1 || r.chance(0.04) => r.pick(&self.partners).clone(),
            _ => {
                // Heavy tail: a few customers make most requests.
                let u = r.f();
                let i = ((u * u * u) * self.clients.len() as f64) as usize;
                let mut c = self.clients[i.min(self.clients.len() - 1)].clone();
                if r.chance(0.05) {
                    c.ip = catalog::ip_from(catalog::MOBILE, r);
                }
                c
            }
        }
    }

    /// Crawlers and scanners: a few requests to unknown paths of public APIs.
    fn background(&mut self, hour_us: i64, out: &mut Vec<Invocation>) {
        let w = self.w;
        let n = self.r.poisson(0.6 * self.scale.sqrt());
        for _ in 0..n {
            let publics: Vec<usize> = w
                .functions
                .iter()
                .enumerate()
                .filter(|(_, f)| f.account == 0 && matches!(f.via, Via::Rest | Via::Http))
                .map(|(i, _)| i)
                .collect();
            if publics.is_empty() {
                return;
            }
            let fi = *self.r.pick(&publics);
            let f = &w.functions[fi];
            let ip = catalog::ip_from(
                if self.r.chance(0.5) {
                    catalog::HOSTING
                } else {
                    catalog::RESIDENTIAL
                },
                &mut self.r,
            );
            let ua = self.r.pick(catalog::BACKGROUND_UAS).to_string();
            let t0 = hour_us + self.r.range(0, HOUR as u64) as i64;
            for k in 0..self.r.range(1, 6) {
                let at = t0 + k as i64 * self.r.range(1, 20) as i64 * SEC;
                let mut inv = Invocation::new(&mut self.r, f, fi, at);
                inv.ip = ip.clone();
                inv.ua = ua.clone();
                let p = *self.r.pick(&[
                    "/",
                    "/robots.txt",
                    "/.env",
                    "/wp-login.php",
                    "/favicon.ico",
                    "/.git/config",
                    "/sitemap.xml",
                    "/api",
                    "/admin",
                    "/login",
                ]);
                if f.routes.contains(&Route::Proxy) {
                    inv.route = "/api/{proxy+}".into();
                    inv.path = format!("/api{p}");
                    inv.status = 404;
                } else {
                    inv.route = p.into();
                    inv.path = p.into();
                    inv.status = if matches!(f.via, Via::Rest) { 403 } else { 404 };
                    inv.invoked = false;
                }
                let status = inv.status;
                requests::outcome(&mut self.r, f, &mut inv);
                if !inv.invoked {
                    inv.status = status;
                    inv.timeout = false;
                    inv.logs.clear();
                }
                inv.side.clear();
                out.push(inv);
            }
        }
    }
}
