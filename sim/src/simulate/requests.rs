//! Benign request content per route: paths, query parameters, JSON bodies, auth
//! headers, response statuses (with the normal share of 4xx and 5xx), durations,
//! memory, log lines and the AWS calls the code makes. Attack scenarios start from
//! these requests and change the part they attack, so an attack request looks like
//! the route's normal requests everywhere else.

use serde_json::json;

use super::catalog;
use super::invocation::Invocation;
use super::rng::Rng;
use super::world::{Function, Route, Via, World};

/// A caller of the public APIs.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub ip: String,
    pub ua: String,
    /// The user id an authorizer reports (`sub`).
    pub sub: String,
    pub email: String,
}

/// A customer population: returning users with their own address and device.
pub(crate) fn clients(r: &mut Rng, w: &World, n: usize) -> Vec<Client> {
    (0..n)
        .map(|_| {
            let mobile = r.chance(0.35);
            let ip = if mobile {
                catalog::ip_from(catalog::MOBILE, r)
            } else {
                catalog::ip_from(catalog::RESIDENTIAL, r)
            };
            let ua = if mobile && r.chance(0.6) {
                let app = *r.pick(catalog::APPS);
                catalog::app_ua(app, r)
            } else {
                catalog::browser_ua(r)
            };
            let email = format!(
                "{}.{}{}@{}",
                r.pick(catalog::FIRST),
                r.pick(catalog::LAST),
                r.range(1, 999),
                r.pick(&[
                    "gmail.com",
                    "outlook.com",
                    "yahoo.com",
                    "icloud.com",
                    "proton.me"
                ])
            );
            let _ = w;
            Client {
                ip,
                ua,
                sub: r.uuid(),
                email,
            }
        })
        .collect()
}

/// A JWT-looking bearer token (redacted at ingest; its shape must be real).
fn bearer(r: &mut Rng, sub: &str) -> String {
    use base64::Engine;
    let claims = json!({"sub": sub, "exp": 1_717_000_000 + r.range(0, 40_000_000), "scope": "openid profile"});
    let b = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    format!(
        "Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IntrIn0.{b}.{}",
        r.alnum(43)
    )
}

fn order_id(r: &mut Rng) -> String {
    format!("{}", r.range(100_000, 999_999))
}

fn sku(r: &mut Rng) -> String {
    format!("{}-{}", r.pick(catalog::SKUS), r.range(100, 9999))
}

/// Fills `inv` with a normal request to `route` of `f` from `c`.
pub(crate) fn fill(
    r: &mut Rng,
    w: &World,
    f: &Function,
    route: Route,
    c: &Client,
    inv: &mut Invocation,
) {
    inv.ip = c.ip.clone();
    inv.ua = c.ua.clone();
    let mut authed = true;
    let mut ok = 200u16;
    // (status, probability) of the route's normal client errors.
    let mut errors: Vec<(u16, f64)> = Vec::new();
    let json_ct = ("content-type".to_string(), "application/json".to_string());
    match route {
        Route::OrdersList => {
            inv.route = "/orders".into();
            inv.path = "/orders".into();
            inv.query = vec![
                ("limit".into(), r.pick(&["10", "20", "50"]).to_string()),
                ("page".into(), r.range(1, 6).to_string()),
            ];
            if r.chance(0.4) {
                inv.query.push((
                    "status".into(),
                    r.pick(&["open", "shipped", "delivered", "cancelled"])
                        .to_string(),
                ));
            }
            errors = vec![(401, 0.01)];
        }
        Route::OrderGet => {
            inv.route = "/orders/{id}".into();
            inv.path = format!("/orders/{}", order_id(r));
            errors = vec![(404, 0.02), (401, 0.01), (403, 0.004)];
        }
        Route::OrderCreate => {
            inv.method = "POST".into();
            inv.route = "/orders".into();
            inv.path = "/orders".into();
            let items: Vec<_> = (0..r.range(1, 5))
                .map(|_| json!({"sku": sku(r), "qty": r.range(1, 4)}))
                .collect();
            let mut body = json!({"items": items, "currency": r.pick(&["EUR", "USD", "GBP"]), "shippingMethod": r.pick(&["standard", "express"])});
            if r.chance(0.2) {
                body["note"] = json!(r.pick(&[
                    "please leave at the door",
                    "gift wrap, it's for my mum",
                    "ring twice",
                    "call before delivery: 555-0134",
                    "no plastic bags pls :)"
                ]));
            }
            inv.body = Some(body.to_string());
            inv.headers.push(json_ct);
            ok = 201;
            errors = vec![(400, 0.03), (409, 0.005), (401, 0.01)];
        }
        Route::Search => {
            inv.route = "/search".into();
            inv.path = "/search".into();
            inv.query = vec![("q".into(), r.pick(catalog::SEARCH_TERMS).to_string())];
            if r.chance(0.5) {
                inv.query.push(("page".into(), r.range(1, 4).to_string()));
            }
            if r.chance(0.3) {
                inv.query.push((
                    "sort".into(),
                    r.pick(&["price_asc", "price_desc", "relevance", "newest"])
                        .to_string(),
                ));
            }
            authed = r.chance(0.3);
            errors = vec![(400, 0.005)];
        }
        Route::ProductGet => {
            inv.route = "/products/{sku}".into();
            inv.path = format!("/products/{}", sku(r));
            authed = false;
            errors = vec![(404, 0.03)];
        }
        Route::Login => {
            inv.method = "POST".into();
            inv.route = "/auth/login".into();
            inv.path = "/auth/login".into();
            inv.body = Some(
                json!({"username": c.email, "password": r.alnum(12), "remember": r.chance(0.5)})
                    .to_string(),
            );
            inv.headers.push(json_ct);
            authed = false;
            errors = vec![(401, 0.06), (429, 0.002)];
        }
        Route::TokenRefresh => {
            inv.method = "POST".into();
            inv.route = "/auth/refresh".into();
            inv.path = "/auth/refresh".into();
            inv.body = Some(json!({"refresh_token": r.alnum(64)}).to_string());
            inv.headers.push(json_ct);
            authed = false;
            errors = vec![(401, 0.04)];
        }
        Route::Profile => {
            inv.route = "/me".into();
            inv.path = "/me".into();
            if r.chance(0.2) {
                inv.method = "PUT".into();
                inv.body = Some(json!({"displayName": format!("{} {}", r.pick(catalog::FIRST), r.pick(catalog::LAST)), "locale": r.pick(&["en-US", "de-DE", "fr-FR", "en-GB"]), "marketingOptIn": r.chance(0.3)}).to_string());
                inv.headers.push(json_ct);
                errors = vec![(400, 0.02)];
            }
            errors.push((401, 0.015));
        }
        Route::Webhook => {
            inv.method = "POST".into();
            inv.route = "/".into();
            inv.path = "/".into();
            let kind = *r.pick(&[
                "payment_intent.succeeded",
                "charge.refunded",
                "invoice.paid",
                "customer.updated",
                "payment_intent.payment_failed",
            ]);
            inv.body = Some(json!({"id": format!("evt_{}", r.alnum(24)), "object": "event", "type": kind, "api_version": "2023-10-16", "created": 1_717_000_000 + r.range(0, 9_000_000), "data": {"object": {"id": format!("pi_{}", r.alnum(24)), "amount": r.range(500, 25_000), "currency": "usd"}}, "livemode": true}).to_string());
            inv.headers.push(json_ct);
            inv.headers.push((
                "stripe-signature".into(),
                format!(
                    "t={},v1={}",
                    1_717_000_000 + r.range(0, 9_000_000),
                    r.hex(64)
                ),
            ));
            inv.ua = "Stripe/1.0 (+https://stripe.com/docs/webhooks)".into();
            inv.ip = [
                "3.18.12.63",
                "3.130.192.231",
                "13.235.14.237",
                "18.211.135.69",
                "35.154.171.200",
                "54.187.174.169",
            ][r.below(6)]
            .into();
            authed = false;
            errors = vec![(400, 0.004)];
        }
        Route::Health => {
            inv.route = "/health".into();
            inv.path = "/health".into();
            authed = false;
        }
        Route::GraphQl => {
            inv.method = "POST".into();
            inv.route = "/graphql".into();
            inv.path = "/graphql".into();
            let (op, q) = *r.pick(&[
                ("GetProduct", "query GetProduct($id: ID!) { product(id: $id) { id name price stock } }"),
                ("Cart", "query Cart { cart { items { sku qty } total } }"),
                ("AddToCart", "mutation AddToCart($id: ID!, $qty: Int!) { addToCart(id: $id, qty: $qty) { total } }"),
                ("Recommendations", "query Recommendations($id: ID!) { recommendations(productId: $id, first: 8) { id name } }"),
            ]);
            inv.body = Some(json!({"operationName": op, "query": q, "variables": {"id": sku(r), "qty": r.range(1, 3)}}).to_string());
            inv.headers.push(json_ct);
            errors = vec![(400, 0.01)];
        }
        Route::Report => {
            inv.route = "/admin/reports".into();
            inv.path = "/admin/reports".into();
            inv.query = vec![
                (
                    "from".into(),
                    format!("2024-0{}-{:02}", r.range(1, 6), r.range(1, 28)),
                ),
                ("format".into(), r.pick(&["csv", "json"]).to_string()),
            ];
            inv.ip = r.pick(&w.office_ips).clone();
            errors = vec![(403, 0.02)];
        }
        Route::Proxy => {
            inv.route = "/api/{proxy+}".into();
            let p = match r.below(6) {
                0 => format!("/api/v1/items/{}", sku(r)),
                1 => "/api/v1/cart".to_string(),
                2 => format!(
                    "/api/v1/categories/{}",
                    r.pick(&["shoes", "home", "kids", "outdoor", "tech"])
                ),
                3 => format!("/api/v1/stores/{}", r.range(1, 400)),
                4 => "/api/v1/promotions".to_string(),
                _ => format!("/api/v2/items/{}/reviews", sku(r)),
            };
            inv.path = p;
            authed = r.chance(0.2);
            errors = vec![(404, 0.03)];
        }
        Route::Upload => {
            use base64::Engine;
            inv.method = "POST".into();
            inv.route = "/uploads".into();
            inv.path = "/uploads".into();
            let n = r.range(600, 3000) as usize;
            let bytes: Vec<u8> = (0..n).map(|i| (i as u8).wrapping_mul(31) ^ 0xd8).collect();
            inv.body = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
            inv.b64 = true;
            inv.headers
                .push(("content-type".into(), "image/jpeg".into()));
            ok = 201;
            errors = vec![(413, 0.01), (415, 0.005)];
        }
        Route::OrderEvent => {
            inv.records = (0..r.range(1, 6))
                .map(|_| json!({"orderId": order_id(r), "event": r.pick(&["created", "paid", "packed", "shipped"]), "warehouse": r.pick(&["DUB1", "FRA2", "IAD5", "PDX1"]), "items": r.range(1, 6)}).to_string())
                .collect();
            authed = false;
        }
        Route::EmailJob => {
            inv.records = (0..r.range(1, 4))
                .map(|_| json!({"template": r.pick(&["order-confirmation", "shipping-update", "password-reset", "weekly-digest"]), "to": format!("{}@{}", r.lower(8), r.pick(&["gmail.com", "outlook.com"])), "locale": "en"}).to_string())
                .collect();
            authed = false;
        }
        Route::ObjectCreated => {
            inv.records = vec![format!(
                "uploads/{}/{}.jpg",
                r.uuid(),
                r.pick(&["avatar", "photo", "IMG_2024", "scan"])
            )];
            inv.resp_len = r.range(80_000, 4_000_000) as u32;
            inv.ip = catalog::aws_ip(&f.region, r);
            authed = false;
        }
        Route::Scheduled => authed = false,
    }
    if f.via.http() && authed {
        inv.principal = Some(c.sub.clone());
        let token = bearer(r, &c.sub);
        inv.headers.push(("authorization".into(), token));
    }
    if f.via.http() && c.ua.starts_with("Mozilla") {
        inv.headers.push((
            "accept-language".into(),
            r.pick(&[
                "en-US,en;q=0.9",
                "de-DE,de;q=0.9,en;q=0.8",
                "fr-FR,fr;q=0.9",
                "en-GB,en;q=0.8",
            ])
            .to_string(),
        ));
    }
    inv.status = ok;
    for (code, p) in errors {
        if r.chance(p) {
            inv.status = code;
            break;
        }
    }
    outcome(r, f, inv);
}

/// Duration, memory, timeouts, 5xx, logs, side calls and response size.
pub(crate) fn outcome(r: &mut Rng, f: &Function, inv: &mut Invocation) {
    let body = inv.body.as_ref().map_or(0, String::len) as f64;
    inv.dur_ms = (r.lognormal(f.dur_ms, f.dur_sigma) * (1.0 + body / 200_000.0)).max(1.0);
    if inv.status >= 400 {
        inv.dur_ms *= 0.4;
    }
    inv.mem_mb = f.mem_mb * r.lognormal(1.0, 0.06) + body / 40_000.0;
    if r.chance(f.timeouts) {
        inv.timeout = true;
    } else if r.chance(f.err) {
        inv.status = if r.chance(0.8) { 500 } else { 502 };
        let e = *r.pick(&[
            "TypeError: Cannot read properties of undefined (reading 'id')",
            "ConnectionError: upstream connect timeout after 2000 ms",
            "ProvisionedThroughputExceededException: Rate of requests exceeds the allowed throughput",
            "KeyError: 'items'",
            "ValidationException: 1 validation error detected",
        ]);
        inv.logs.push(("ERROR", format!("Unhandled error: {e}")));
    }
    if inv.timeout {
        inv.dur_ms = f.timeout_s as f64 * 1000.0;
        inv.status = if matches!(f.via, Via::Http) { 503 } else { 504 };
    }
    if inv.status >= 400 && inv.status < 500 && r.chance(0.5) {
        inv.logs
            .push(("WARN", format!("request rejected with {}", inv.status)));
    } else if r.chance(0.15) {
        let m = *r.pick(&[
            "cache hit ratio 0.93",
            "fetched 12 rows",
            "feature flag new-checkout=off",
            "retrying dependency call (attempt 2)",
            "processed batch",
        ]);
        inv.logs.push(("INFO", m.to_string()));
    }
    if inv.resp_len == 0 {
        inv.resp_len = match inv.status {
            200 | 201 => r.range(180, 9000) as u32,
            _ => r.range(20, 120) as u32,
        };
    }
    for (i, s) in f.side.iter().enumerate() {
        if !s.at_init && inv.status < 400 && r.chance(s.p) {
            inv.side.push(i);
        }
    }
}
