//! The simulated organisation, drawn once from the seed: accounts and their regions,
//! functions (runtime, memory, trigger, routes, rhythm, error rates, what each calls
//! in AWS), the people and roles that call AWS (developers through SSO, the CI deploy
//! role, a security auditor, legacy IAM users, service roles), secrets, buckets and
//! the address pools they call from.

use std::sync::Arc;

use super::catalog::{self, ip_from, ip_in};
use super::event::{Identity, KeyRef};
use super::rng::{stream, Rng, DAY};

/// A Lambda runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Runtime {
    Node18,
    Node20,
    Py311,
    Py312,
    Java17,
    /// Go or Rust on `provided.al2023`.
    Provided,
}

impl Runtime {
    /// The runtime id.
    pub fn id(self) -> &'static str {
        match self {
            Runtime::Node18 => "nodejs18.x",
            Runtime::Node20 => "nodejs20.x",
            Runtime::Py311 => "python3.11",
            Runtime::Py312 => "python3.12",
            Runtime::Java17 => "java17",
            Runtime::Provided => "provided.al2023",
        }
    }

    /// Median init duration (ms) of a cold start.
    pub fn init_ms(self) -> f64 {
        match self {
            Runtime::Node18 | Runtime::Node20 => 210.0,
            Runtime::Py311 | Runtime::Py312 => 380.0,
            Runtime::Java17 => 2400.0,
            Runtime::Provided => 75.0,
        }
    }

    /// The SDK user agent the function's code calls AWS with.
    pub fn sdk_ua(self, api: &str) -> String {
        match self {
            Runtime::Node18 => "aws-sdk-nodejs/2.1554.0 linux/v18.19.1 exec-env/AWS_Lambda_nodejs18.x promise".into(),
            Runtime::Node20 => format!("aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10.214-223.792.amzn2.x86_64 lang/js md/nodejs#20.12.0 api/{api}#3.540.0 exec-env/AWS_Lambda_nodejs20.x"),
            Runtime::Py311 => "Boto3/1.34.42 md/Botocore#1.34.42 ua/2.0 os/linux#5.10.214-224.821.amzn2.x86_64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython exec-env/AWS_Lambda_python3.11 cfg/retry-mode#legacy Botocore/1.34.42".into(),
            Runtime::Py312 => "Boto3/1.34.42 md/Botocore#1.34.42 ua/2.0 os/linux#5.10.214-224.821.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.42".into(),
            Runtime::Java17 => "aws-sdk-java/2.25.10 Linux/5.10.214-224.821.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc. exec-env/AWS_Lambda_java17 io/sync http/Apache cfg/retry-mode/legacy".into(),
            // Custom runtimes do not set AWS_EXECUTION_ENV: no exec-env token.
            Runtime::Provided => format!("aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/{api}#1.28.6"),
        }
    }

    fn python(self) -> bool {
        matches!(self, Runtime::Py311 | Runtime::Py312)
    }
}

/// How a function is invoked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Via {
    /// API Gateway REST API (payload 1.0), with access logs.
    Rest,
    /// API Gateway HTTP API (payload 2.0), with access logs.
    Http,
    /// Function URL (no access logs).
    Url,
    /// ALB target (no access logs).
    Alb,
    /// SQS queue.
    Sqs,
    /// S3 notifications.
    S3,
    /// EventBridge schedule every `every_min` minutes.
    Every(u32),
    /// EventBridge schedule once a day at a local hour (`weekday`: only that day).
    Daily { hour: u32, weekday: Option<u32> },
}

impl Via {
    /// True for the HTTP triggers.
    pub fn http(&self) -> bool {
        matches!(self, Via::Rest | Via::Http | Via::Url | Via::Alb)
    }
}

/// Traffic rhythm over the day and the week (local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rhythm {
    /// Shoppers: evenings and weekends.
    Consumer,
    /// Office hours, weekdays.
    Business,
    /// Constant (health checks, partner polling).
    Flat,
}

/// The routes (request generators) a function serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    OrdersList,
    OrderGet,
    OrderCreate,
    Search,
    ProductGet,
    Login,
    TokenRefresh,
    Profile,
    Webhook,
    Health,
    GraphQl,
    Report,
    /// `{proxy+}` catch-all: unknown paths reach the function and get 404.
    Proxy,
    Upload,
    /// SQS message bodies.
    OrderEvent,
    EmailJob,
    /// S3 object created.
    ObjectCreated,
    /// Scheduled run.
    Scheduled,
}

/// How a function logs its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogStyle {
    /// Powertools for Python (`timestamp` like `2024-06-01 12:01:00,125+0000`).
    PowertoolsPy,
    /// Powertools for TypeScript / Java (`timestamp` RFC 3339).
    PowertoolsTs,
    /// Lambda's JSON log format (`requestId`, message as JSON text).
    NativeJson,
}

/// Something a function calls in AWS.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SideCall {
    /// Service prefix.
    pub service: &'static str,
    /// `eventName`.
    pub name: &'static str,
    /// Target (secret id, parameter name, bucket/key prefix, table).
    pub target: String,
    /// Probability per invocation (cold start calls: per environment).
    pub p: f64,
    /// Made once per environment, at init.
    pub at_init: bool,
}

/// A function of the world.
#[derive(Debug, Clone)]
pub(crate) struct Function {
    pub name: String,
    pub account: usize,
    pub region: String,
    pub runtime: Runtime,
    pub memory_mb: u32,
    pub timeout_s: u32,
    pub via: Via,
    pub rhythm: Rhythm,
    /// Requests per hour at the rhythm's peak, at scale 1.
    pub peak: f64,
    pub routes: Vec<Route>,
    /// API id (API Gateway), URL id (Function URL), target group (ALB), queue or bucket.
    pub endpoint: String,
    pub log: LogStyle,
    pub dur_ms: f64,
    pub dur_sigma: f64,
    pub mem_mb: f64,
    /// Share of 5xx responses.
    pub err: f64,
    /// Share of requests that hit the timeout.
    pub timeouts: f64,
    /// Execution role (session name = function name).
    pub role: Arc<Identity>,
    /// In a VPC: AWS calls leave through these NAT addresses.
    pub nat: Vec<String>,
    pub side: Vec<SideCall>,
}

impl Function {
    /// `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub fn arn(&self, w: &World) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}",
            self.region, w.accounts[self.account].id, self.name
        )
    }
}

/// An AWS account.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub id: String,
    pub name: &'static str,
    pub region: String,
    /// A second region with light use (backups, DR).
    pub dr_region: String,
}

/// A person with console and CLI access through SSO.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub email: String,
    /// Per account: SSO session identity (permission set role).
    pub roles: Vec<Arc<Identity>>,
    pub home_ip: String,
    pub os: &'static str,
    /// Works from the office most days.
    pub office: bool,
    /// Administrator (ops) rather than developer.
    pub admin: bool,
}

/// The organisation.
#[derive(Debug, Clone)]
pub(crate) struct World {
    pub company: &'static str,
    /// Offset of local time from UTC, hours.
    pub tz: i64,
    pub accounts: Vec<Account>,
    pub functions: Vec<Function>,
    pub people: Vec<Person>,
    /// CI deploy role per account.
    pub ci: Vec<Arc<Identity>>,
    /// GitHub repository of the deploys.
    pub repo: String,
    /// Security auditor role per account, and where it scans from.
    pub auditor: Vec<Arc<Identity>>,
    pub auditor_ip: String,
    /// Legacy IAM users with long-term keys (reporting, backup sync).
    pub users: Vec<Arc<Identity>>,
    pub user_ips: Vec<String>,
    /// Office egress addresses.
    pub office_ips: Vec<String>,
    /// Secrets per account.
    pub secrets: Vec<Vec<String>>,
    /// SSM parameters per account.
    pub params: Vec<Vec<String>>,
    pub buckets: Vec<Vec<String>>,
    /// Privileged roles per account (admin, deploy) that an escalation passes.
    pub admin_roles: Vec<String>,
    /// Layers functions legitimately use (own and AWS/vendor-published).
    pub layers: Vec<String>,
    /// Start of the simulated time, µs (a Monday 00:00 UTC).
    pub start_us: i64,
}

struct Archetype {
    base: &'static str,
    via: Via,
    rhythm: Rhythm,
    peak: f64,
    routes: &'static [Route],
    dur_ms: f64,
    mem: u32,
}

const ARCHETYPES: &[Archetype] = &[
    Archetype {
        base: "orders-api",
        via: Via::Rest,
        rhythm: Rhythm::Consumer,
        peak: 90.0,
        routes: &[Route::OrdersList, Route::OrderGet, Route::OrderCreate],
        dur_ms: 85.0,
        mem: 512,
    },
    Archetype {
        base: "search",
        via: Via::Http,
        rhythm: Rhythm::Consumer,
        peak: 160.0,
        routes: &[Route::Search, Route::ProductGet],
        dur_ms: 60.0,
        mem: 1024,
    },
    Archetype {
        base: "auth",
        via: Via::Http,
        rhythm: Rhythm::Consumer,
        peak: 70.0,
        routes: &[Route::Login, Route::TokenRefresh, Route::Profile],
        dur_ms: 140.0,
        mem: 256,
    },
    Archetype {
        base: "catalog",
        via: Via::Rest,
        rhythm: Rhythm::Consumer,
        peak: 110.0,
        routes: &[Route::Proxy],
        dur_ms: 35.0,
        mem: 256,
    },
    Archetype {
        base: "graphql",
        via: Via::Http,
        rhythm: Rhythm::Consumer,
        peak: 60.0,
        routes: &[Route::GraphQl],
        dur_ms: 120.0,
        mem: 1024,
    },
    Archetype {
        base: "payments-webhook",
        via: Via::Url,
        rhythm: Rhythm::Consumer,
        peak: 12.0,
        routes: &[Route::Webhook],
        dur_ms: 180.0,
        mem: 256,
    },
    Archetype {
        base: "admin-portal",
        via: Via::Alb,
        rhythm: Rhythm::Business,
        peak: 25.0,
        routes: &[Route::Report, Route::OrdersList],
        dur_ms: 300.0,
        mem: 512,
    },
    Archetype {
        base: "status",
        via: Via::Http,
        rhythm: Rhythm::Flat,
        peak: 60.0,
        routes: &[Route::Health],
        dur_ms: 8.0,
        mem: 128,
    },
    Archetype {
        base: "notifications",
        via: Via::Sqs,
        rhythm: Rhythm::Consumer,
        peak: 40.0,
        routes: &[Route::EmailJob],
        dur_ms: 220.0,
        mem: 256,
    },
    Archetype {
        base: "fulfilment-worker",
        via: Via::Sqs,
        rhythm: Rhythm::Consumer,
        peak: 30.0,
        routes: &[Route::OrderEvent],
        dur_ms: 400.0,
        mem: 512,
    },
    Archetype {
        base: "image-resize",
        via: Via::S3,
        rhythm: Rhythm::Business,
        peak: 15.0,
        routes: &[Route::ObjectCreated],
        dur_ms: 1800.0,
        mem: 1536,
    },
    Archetype {
        base: "uploads",
        via: Via::Http,
        rhythm: Rhythm::Business,
        peak: 10.0,
        routes: &[Route::Upload, Route::Profile],
        dur_ms: 260.0,
        mem: 512,
    },
    Archetype {
        base: "inventory-sync",
        via: Via::Every(15),
        rhythm: Rhythm::Flat,
        peak: 0.0,
        routes: &[Route::Scheduled],
        dur_ms: 9000.0,
        mem: 512,
    },
    Archetype {
        base: "nightly-report",
        via: Via::Daily {
            hour: 1,
            weekday: None,
        },
        rhythm: Rhythm::Flat,
        peak: 0.0,
        routes: &[Route::Scheduled],
        dur_ms: 95000.0,
        mem: 2048,
    },
    Archetype {
        base: "secrets-rotation",
        via: Via::Daily {
            hour: 3,
            weekday: Some(6),
        },
        rhythm: Rhythm::Flat,
        peak: 0.0,
        routes: &[Route::Scheduled],
        dur_ms: 30000.0,
        mem: 256,
    },
];

/// Required archetypes (scenarios need them): orders, search, auth, catalog, the
/// scheduled jobs; the others are drawn.
const REQUIRED: &[&str] = &[
    "orders-api",
    "search",
    "auth",
    "catalog",
    "inventory-sync",
    "nightly-report",
    "secrets-rotation",
    "status",
];

impl World {
    /// Draws the world of `seed`, starting at `start_us`.
    pub fn new(seed: u64, start_us: i64) -> World {
        let mut r = Rng::new(seed, stream::WORLD);
        let company = *r.pick(catalog::COMPANIES);
        let region = r.pick(catalog::HOME_REGIONS).to_string();
        let tz = match region.as_str() {
            "us-east-1" => -4,
            "us-west-2" => -7,
            _ => r.range(1, 3) as i64,
        };
        let dr = loop {
            let d = r.pick(catalog::HOME_REGIONS).to_string();
            if d != region {
                break d;
            }
        };
        let accounts = ["prod", "staging"]
            .iter()
            .map(|name| Account {
                id: format!("{}{}", 1 + r.below(9), r.digits(11)),
                name,
                region: region.clone(),
                dr_region: dr.clone(),
            })
            .collect::<Vec<_>>();
        let role = |r: &mut Rng, account: &str, name: &str, path: &str, session: &str| {
            Arc::new(Identity::Role {
                account: account.to_string(),
                role: name.to_string(),
                path: path.to_string(),
                role_id: format!("AROA{}", r.upper(17)),
                session: session.to_string(),
                key: KeyRef::Fixed(r.key("ASIA")),
                created_us: start_us,
                mfa: false,
                console: false,
            })
        };
        let sso_region = region.clone();
        let people: Vec<Person> = (0..5 + r.below(4))
            .map(|i| {
                let email = format!(
                    "{}.{}@{company}.com",
                    r.pick(catalog::FIRST),
                    r.pick(catalog::LAST)
                );
                let admin = i < 2;
                let set = if admin {
                    "AdministratorAccess"
                } else {
                    "DeveloperAccess"
                };
                let roles = accounts
                    .iter()
                    .map(|a| {
                        let name = format!("AWSReservedSSO_{set}_{}", r.hex(16));
                        let path = format!("/aws-reserved/sso.amazonaws.com/{sso_region}/");
                        let id = role(&mut r, &a.id, &name, &path, &email);
                        Arc::new(match &*id {
                            Identity::Role { .. } => {
                                let mut x = (*id).clone();
                                if let Identity::Role { mfa, .. } = &mut x {
                                    *mfa = true;
                                }
                                x
                            }
                            other => other.clone(),
                        })
                    })
                    .collect();
                Person {
                    email,
                    roles,
                    home_ip: ip_from(catalog::RESIDENTIAL, &mut r),
                    os: catalog::LAPTOP_OS[r.below(catalog::LAPTOP_OS.len())],
                    office: r.chance(0.6),
                    admin,
                }
            })
            .collect();
        let office_ips = {
            let cidr = *r.pick(catalog::OFFICE);
            (0..3).map(|_| ip_in(cidr, &mut r)).collect()
        };
        let ci = accounts
            .iter()
            .map(|a| {
                role(
                    &mut r,
                    &a.id,
                    &format!("{company}-github-deploy"),
                    "/",
                    "GitHubActions",
                )
            })
            .collect();
        let auditor = accounts
            .iter()
            .map(|a| role(&mut r, &a.id, "SecurityAuditRole", "/", "cspm-scan"))
            .collect();
        let users: Vec<Arc<Identity>> = ["reporting-export", "backup-sync"]
            .iter()
            .map(|name| {
                Arc::new(Identity::User {
                    account: accounts[0].id.clone(),
                    name: name.to_string(),
                    id: format!("AIDA{}", r.upper(17)),
                    key: r.key("AKIA"),
                    console: false,
                    mfa: false,
                })
            })
            .collect();
        let user_ips = vec![
            catalog::aws_ip(&region, &mut r),
            ip_from(catalog::HOSTING, &mut r),
        ];
        let secrets = accounts
            .iter()
            .map(|a| {
                let mut s: Vec<String> = [
                    "db/orders",
                    "db/catalog",
                    "stripe/api-key",
                    "sendgrid/api-key",
                    "jwt/signing-key",
                    "partner/inventory-token",
                    "oauth/google-client",
                    "db/analytics-readonly",
                    "slack/webhook",
                    "datadog/api-key",
                ]
                .iter()
                .map(|n| format!("{}/{n}", a.name))
                .collect();
                s.extend((0..r.range(6, 20)).map(|i| {
                    format!(
                        "{}/{}/{}",
                        a.name,
                        r.pick(catalog::SERVICE_NAMES),
                        ["db", "api-key", "token", "cert"][i as usize % 4]
                    )
                }));
                s.sort();
                s.dedup();
                s
            })
            .collect();
        let params = accounts
            .iter()
            .map(|a| {
                let mut p: Vec<String> = [
                    "config/feature-flags",
                    "config/rate-limits",
                    "orders/db-host",
                    "search/index-name",
                    "auth/issuer",
                ]
                .iter()
                .map(|n| format!("/{}/{n}", a.name))
                .collect();
                p.extend((0..r.range(8, 25)).map(|_| {
                    format!(
                        "/{}/{}/{}",
                        a.name,
                        r.pick(catalog::SERVICE_NAMES),
                        r.lower(6)
                    )
                }));
                p.sort();
                p.dedup();
                p
            })
            .collect();
        let buckets = accounts
            .iter()
            .map(|a| {
                [
                    "uploads",
                    "assets",
                    "reports",
                    "logs",
                    "backups",
                    "artifacts",
                ]
                .iter()
                .map(|b| format!("{company}-{}-{b}-{}", a.name, r.lower(5)))
                .collect()
            })
            .collect();
        let admin_roles = accounts
            .iter()
            .map(|a| format!("arn:aws:iam::{}:role/{company}-platform-admin", a.id))
            .collect();
        let layers = vec![
            format!(
                "arn:aws:lambda:{region}:{}:layer:{}:{}",
                accounts[0].id,
                r.pick(catalog::LAYER_NAMES),
                r.range(3, 40)
            ),
            format!(
                "arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV2:{}",
                r.range(60, 70)
            ),
            format!(
                "arn:aws:lambda:{region}:464622532012:layer:Datadog-Extension:{}",
                r.range(50, 60)
            ),
        ];
        let mut w = World {
            company,
            tz,
            accounts,
            functions: Vec::new(),
            people,
            ci,
            repo: format!("{company}/platform"),
            auditor,
            auditor_ip: catalog::aws_ip("us-east-1", &mut r),
            users,
            user_ips,
            office_ips,
            secrets,
            params,
            buckets,
            admin_roles,
            layers,
            start_us,
        };
        w.functions = functions(&mut r, &w);
        w
    }

    /// Functions of account `a`.
    pub fn functions_of(&self, a: usize) -> impl Iterator<Item = (usize, &Function)> {
        self.functions
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.account == a)
    }

    /// Local hour and weekday (0 = Monday) of `us`.
    pub fn local(&self, us: i64) -> (u32, u32) {
        let local = us + self.tz * super::rng::HOUR;
        let day = local.div_euclid(DAY);
        let hour = (local.rem_euclid(DAY) / super::rng::HOUR) as u32;
        // 1970-01-01 was a Thursday (weekday 3).
        let weekday = ((day + 3).rem_euclid(7)) as u32;
        (hour, weekday)
    }
}

fn functions(r: &mut Rng, w: &World) -> Vec<Function> {
    let style = r.below(3);
    let mut chosen: Vec<&Archetype> = ARCHETYPES
        .iter()
        .filter(|a| REQUIRED.contains(&a.base) || r.chance(0.6))
        .collect();
    chosen.sort_by_key(|a| a.base);
    let mut out = Vec::new();
    for (account, acct) in w.accounts.iter().enumerate() {
        for a in &chosen {
            // Staging runs a subset at a fraction of the traffic.
            if account == 1 && !r.chance(0.5) && !REQUIRED[..4].contains(&a.base) {
                continue;
            }
            let name = match style {
                0 => format!("{}-{}", acct.name, a.base),
                1 => format!("{}-{}-{}", w.company, a.base, acct.name),
                _ => format!("{}-{}", a.base, acct.name),
            };
            let runtime = *r.pick(&[
                Runtime::Node18,
                Runtime::Node20,
                Runtime::Py311,
                Runtime::Py312,
                Runtime::Py312,
                Runtime::Node20,
                Runtime::Java17,
                Runtime::Provided,
            ]);
            let log = if runtime.python() {
                LogStyle::PowertoolsPy
            } else if r.chance(0.5) {
                LogStyle::PowertoolsTs
            } else {
                LogStyle::NativeJson
            };
            let timeout_s = match &a.via {
                Via::Every(_) | Via::Daily { .. } => 900,
                Via::Sqs | Via::S3 => *r.pick(&[30, 60, 120]),
                _ => *r.pick(&[3, 6, 10, 15, 29]),
            };
            let role_name = format!("{name}-role-{}", r.lower(8));
            let role = Arc::new(Identity::Role {
                account: acct.id.clone(),
                role: role_name,
                path: "/service-role/".into(),
                role_id: format!("AROA{}", r.upper(17)),
                session: name.clone(),
                key: KeyRef::Fixed(String::new()),
                created_us: w.start_us,
                mfa: false,
                console: false,
            });
            let nat = if r.chance(0.35) {
                (0..1 + r.below(2))
                    .map(|_| catalog::aws_ip(&acct.region, r))
                    .collect()
            } else {
                Vec::new()
            };
            let side = side_calls(r, w, account, a.base);
            let endpoint = match &a.via {
                Via::Rest | Via::Http => r.lower(10),
                Via::Url => r.lower(32),
                Via::Alb => format!(
                    "arn:aws:elasticloadbalancing:{}:{}:targetgroup/{}/{}",
                    acct.region,
                    acct.id,
                    a.base,
                    r.hex(16)
                ),
                Via::Sqs => format!(
                    "arn:aws:sqs:{}:{}:{}-{}",
                    acct.region, acct.id, acct.name, a.base
                ),
                Via::S3 => w.buckets[account][0].clone(),
                _ => format!(
                    "arn:aws:events:{}:{}:rule/{}-schedule",
                    acct.region, acct.id, a.base
                ),
            };
            let traffic = if account == 0 { 1.0 } else { 0.06 };
            out.push(Function {
                name,
                account,
                region: acct.region.clone(),
                runtime,
                memory_mb: a.mem,
                timeout_s,
                via: a.via.clone(),
                rhythm: a.rhythm,
                peak: a.peak * traffic * r.uniform(0.7, 1.4),
                routes: a.routes.to_vec(),
                endpoint,
                log,
                dur_ms: a.dur_ms * r.uniform(0.7, 1.4),
                dur_sigma: r.uniform(0.25, 0.6),
                mem_mb: (a.mem as f64 * r.uniform(0.12, 0.3)).max(48.0),
                err: r.uniform(0.0005, 0.006),
                timeouts: r.uniform(0.0, 0.0008),
                role,
                nat,
                side,
            });
        }
    }
    out
}

fn side_calls(r: &mut Rng, w: &World, account: usize, base: &str) -> Vec<SideCall> {
    let secrets = &w.secrets[account];
    let params = &w.params[account];
    let buckets = &w.buckets[account];
    let secret = |r: &mut Rng| r.pick(secrets).clone();
    let param = |r: &mut Rng| r.pick(params).clone();
    let mut out = vec![];
    let init = |service, name, target: String, p| SideCall {
        service,
        name,
        target,
        p,
        at_init: true,
    };
    let each = |service, name, target: String, p| SideCall {
        service,
        name,
        target,
        p,
        at_init: false,
    };
    match base {
        "orders-api" | "fulfilment-worker" => {
            out.push(init(
                "secretsmanager",
                "GetSecretValue",
                secrets[0].clone(),
                1.0,
            ));
            out.push(init("ssm", "GetParameter", param(r), 0.8));
            out.push(each(
                "s3",
                "PutObject",
                format!("{}/orders/", buckets[2]),
                0.05,
            ));
        }
        "search" | "catalog" | "graphql" => {
            out.push(init("ssm", "GetParameter", param(r), 1.0));
            out.push(init("secretsmanager", "GetSecretValue", secret(r), 0.7));
        }
        "auth" => {
            out.push(init(
                "secretsmanager",
                "GetSecretValue",
                secrets
                    .iter()
                    .find(|s| s.contains("jwt"))
                    .cloned()
                    .unwrap_or_else(|| secret(r)),
                1.0,
            ));
            out.push(each("kms", "Sign", "alias/auth-token-signing".into(), 0.02));
        }
        "payments-webhook" => {
            out.push(init(
                "secretsmanager",
                "GetSecretValue",
                secrets
                    .iter()
                    .find(|s| s.contains("stripe"))
                    .cloned()
                    .unwrap_or_else(|| secret(r)),
                1.0,
            ));
        }
        "image-resize" | "uploads" => {
            out.push(each(
                "s3",
                "GetObject",
                format!("{}/uploads/", buckets[0]),
                0.9,
            ));
            out.push(each(
                "s3",
                "PutObject",
                format!("{}/thumbs/", buckets[1]),
                0.9,
            ));
        }
        "notifications" => out.push(init(
            "secretsmanager",
            "GetSecretValue",
            secrets
                .iter()
                .find(|s| s.contains("sendgrid"))
                .cloned()
                .unwrap_or_else(|| secret(r)),
            1.0,
        )),
        "inventory-sync" => {
            out.push(each(
                "secretsmanager",
                "GetSecretValue",
                secrets
                    .iter()
                    .find(|s| s.contains("partner"))
                    .cloned()
                    .unwrap_or_else(|| secret(r)),
                1.0,
            ));
            out.push(each(
                "s3",
                "PutObject",
                format!("{}/inventory/", buckets[2]),
                1.0,
            ));
        }
        "nightly-report" => {
            out.push(each("athena", "StartQueryExecution", "reports".into(), 1.0));
            out.push(each("athena", "GetQueryExecution", "reports".into(), 1.0));
            out.push(each(
                "s3",
                "PutObject",
                format!("{}/daily/", buckets[2]),
                1.0,
            ));
            out.push(each(
                "secretsmanager",
                "GetSecretValue",
                secrets
                    .iter()
                    .find(|s| s.contains("analytics"))
                    .cloned()
                    .unwrap_or_else(|| secret(r)),
                1.0,
            ));
        }
        "secrets-rotation" => {
            out.push(each("secretsmanager", "ListSecrets", String::new(), 1.0));
        }
        _ => {}
    }
    out
}
