//! Attack scenarios: each a multi-step chain planned from the seed (who, from where,
//! against what, when, how many steps, which payload encoding), returning the calls
//! and requests it adds to the benign stream plus what its label says.
//!
//! One file per family: [`privilege`] (PassRole escalation, CI role abuse),
//! [`credentials`] (stolen keys: function credentials, AccessDenied storms, unused
//! regions, secrets), [`evasion`] (CloudTrail and log tampering, security services
//! disabled), [`persistence`] (function and layer backdoors), [`discovery`] (Lambda
//! enumeration), [`web`] (injection sprays, path enumeration, brute force) and
//! [`availability`] (denial of wallet, payload bombs, error spikes).

mod availability;
mod credentials;
mod discovery;
mod evasion;
mod payloads;
mod persistence;
mod privilege;
mod web;

use std::sync::Arc;

use serde_json::Value;

use super::catalog;
use super::event::{ApiCall, Identity, KeyRef};
use super::invocation::Invocation;
use super::requests::{self, Client};
use super::rng::{Rng, SEC};
use super::world::{Route, World};

/// What `tripline simulate --list` shows about a scenario, and what its label says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScenarioInfo {
    /// Name on the command line and in labels.
    pub name: &'static str,
    /// ATT&CK technique id.
    pub technique: &'static str,
    /// ATT&CK tactic.
    pub tactic: &'static str,
    /// One line: what the attacker does.
    pub description: &'static str,
    /// Signals expected to catch it (`rule:…`, `detector:…`).
    pub expected: &'static [&'static str],
}

/// What an attack touches, for its label.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entities {
    pub principal: Option<String>,
    pub access_key: Option<KeyRef>,
    pub source_ips: Vec<String>,
    pub function: Option<String>,
}

/// A planned attack.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub calls: Vec<ApiCall>,
    pub invs: Vec<Invocation>,
    pub entities: Entities,
}

/// What a scenario plans with.
pub(crate) struct Ctx<'w> {
    pub w: &'w World,
    pub r: Rng,
    /// When the attack starts.
    pub start: i64,
    /// Latest time any step may take (end of the corpus, less a margin).
    pub end: i64,
    /// The attack's number: pins stolen environment keys.
    pub pin: u32,
    /// Benign volume multiplier (floods are sized against it).
    pub scale: f64,
}

pub(crate) struct Scenario {
    pub info: ScenarioInfo,
    pub plan: fn(&mut Ctx<'_>) -> Plan,
}

/// Every scenario, in `--list` order.
pub(crate) fn all() -> Vec<Scenario> {
    let mut v = Vec::new();
    v.extend(privilege::scenarios());
    v.extend(credentials::scenarios());
    v.extend(evasion::scenarios());
    v.extend(persistence::scenarios());
    v.extend(discovery::scenarios());
    v.extend(web::scenarios());
    v.extend(availability::scenarios());
    v
}

/// Someone calling AWS: identity, address, user agent style, account, region.
#[derive(Clone)]
pub(crate) struct Actor {
    pub who: Arc<Identity>,
    pub ip: String,
    /// `os/…` of a CLI user agent, or a fixed user agent when `ua` is set.
    pub os: &'static str,
    pub ua: Option<String>,
    pub account: usize,
    pub region: String,
}

impl Actor {
    /// A call by this actor (`region` overrides the actor's).
    #[allow(clippy::too_many_arguments)]
    pub fn call(
        &self,
        c: &mut Ctx<'_>,
        t: i64,
        svc: &'static str,
        name: &str,
        params: Value,
        read_only: bool,
        region: Option<&str>,
    ) -> ApiCall {
        let ua = match &self.ua {
            Some(u) => u.clone(),
            None => catalog::cli_ua(self.os, &catalog::cli_command(svc, name), &mut c.r),
        };
        let region = if svc == "iam" {
            "us-east-1"
        } else {
            region.unwrap_or(&self.region)
        };
        ApiCall::new(
            t,
            &self.who,
            &c.w.accounts[self.account].id,
            region,
            &self.ip,
            &ua,
            svc,
            name,
            params,
            read_only,
            c.r.uuid(),
        )
    }
}

impl Ctx<'_> {
    /// An address attackers use: a VPS, or a residential proxy.
    pub fn attacker_ip(&mut self) -> String {
        if self.r.chance(0.6) {
            catalog::ip_from(catalog::HOSTING, &mut self.r)
        } else {
            catalog::ip_from(catalog::RESIDENTIAL, &mut self.r)
        }
    }

    /// An attacker's CLI/SDK operating system.
    pub fn attacker_os(&mut self) -> &'static str {
        const OS: &[&str] = &[
            "os/linux#6.5.0-35-generic",
            "os/linux#6.8.0-31-generic",
            "os/macos#23.4.0",
            "os/linux#6.1.0-21-cloud-amd64",
        ];
        OS[self.r.below(OS.len())]
    }

    /// A seconds-scale pause: `lo..hi` seconds.
    pub fn pause(&mut self, lo: u64, hi: u64) -> i64 {
        self.r.range(lo * 1000, hi * 1000) as i64 * 1000
    }

    /// A person's SSO session used from an attacker's machine (stolen browser
    /// session or SSO token).
    pub fn stolen_person(&mut self, admin: bool, account: usize) -> Actor {
        let people: Vec<usize> = (0..self.w.people.len())
            .filter(|p| self.w.people[*p].admin == admin)
            .collect();
        let p = if people.is_empty() {
            0
        } else {
            *self.r.pick(&people)
        };
        let person = &self.w.people[p];
        let key = self.r.key("ASIA");
        let who = Arc::new(person.roles[account].with_session(
            &person.email,
            KeyRef::Fixed(key),
            self.start - self.r.range(60, 3600) as i64 * SEC,
        ));
        let ip = self.attacker_ip();
        let os = self.attacker_os();
        Actor {
            who,
            ip,
            os,
            ua: None,
            account,
            region: self.w.accounts[account].region.clone(),
        }
    }

    /// A legacy IAM user's long-term key used by someone else.
    pub fn stolen_user(&mut self) -> Actor {
        let who = self.r.pick(&self.w.users).clone();
        let ip = self.attacker_ip();
        let os = self.attacker_os();
        let ua = if self.r.chance(0.5) {
            Some(catalog::boto3_ua(os.trim_start_matches("os/")))
        } else {
            None
        };
        Actor {
            who,
            ip,
            os,
            ua,
            account: 0,
            region: self.w.accounts[0].region.clone(),
        }
    }

    /// A function of account 0 serving `route`, if any.
    pub fn function_with(&mut self, routes: &[Route]) -> Option<usize> {
        let fs: Vec<usize> = self
            .w
            .functions
            .iter()
            .enumerate()
            .filter(|(_, f)| f.account == 0 && f.routes.iter().any(|r| routes.contains(r)))
            .map(|(i, _)| i)
            .collect();
        (!fs.is_empty()).then(|| *self.r.pick(&fs))
    }

    /// Any production function.
    pub fn any_function(&mut self) -> usize {
        let fs: Vec<usize> = self.w.functions_of(0).map(|(i, _)| i).collect();
        *self.r.pick(&fs)
    }

    /// A normal request to `route` of `fi` at `t` from `client`.
    pub fn request(&mut self, fi: usize, route: Route, t: i64, client: &Client) -> Invocation {
        let f = &self.w.functions[fi];
        let mut inv = Invocation::new(&mut self.r, f, fi, t);
        requests::fill(&mut self.r, self.w, f, route, client, &mut inv);
        inv
    }

    /// A client at `ip` with a user agent.
    pub fn client(&mut self, ip: String, ua: String) -> Client {
        Client {
            ip,
            ua,
            sub: self.r.uuid(),
            email: format!(
                "{}@{}",
                self.r.lower(8),
                self.r
                    .pick(&["gmail.com", "outlook.com", "mail.ru", "yandex.com"])
            ),
        }
    }
}

/// The ARN of a principal, for labels.
pub(crate) fn principal_of(a: &Actor) -> Option<String> {
    Some(a.who.arn())
}
