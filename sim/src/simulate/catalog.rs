//! Data the world is drawn from: address ranges (AWS regions, residential ISPs,
//! mobile carriers, hosting providers, CI runners), user agents (browsers, apps,
//! SDKs, the AWS CLI, Terraform), words for names and search terms.
//!
//! Benign and attack traffic draw from overlapping pools on purpose (partners call
//! from VPS providers, customers from residential ISPs, attackers from both), so that
//! no single address range or user agent separates them.

use super::rng::Rng;

/// AWS EC2 ranges by region: Lambda functions outside a VPC call AWS APIs from these
/// (and partners hosted on AWS call the APIs from them).
pub(crate) const AWS_RANGES: &[(&str, &[&str])] = &[
    (
        "us-east-1",
        &[
            "3.80.0.0/12",
            "44.192.0.0/11",
            "54.80.0.0/13",
            "52.0.0.0/15",
        ],
    ),
    (
        "us-east-2",
        &["3.128.0.0/12", "18.216.0.0/14", "52.14.0.0/16"],
    ),
    (
        "us-west-2",
        &["34.208.0.0/12", "44.224.0.0/11", "52.32.0.0/14"],
    ),
    (
        "eu-west-1",
        &["34.240.0.0/13", "52.208.0.0/13", "54.72.0.0/15"],
    ),
    (
        "eu-central-1",
        &["3.64.0.0/12", "18.192.0.0/13", "52.28.0.0/16"],
    ),
    (
        "ap-southeast-1",
        &["13.212.0.0/14", "18.136.0.0/16", "52.74.0.0/16"],
    ),
    ("sa-east-1", &["15.228.0.0/15", "18.228.0.0/16"]),
    ("ap-northeast-1", &["13.112.0.0/14", "18.176.0.0/13"]),
];

/// Regions an account may run in.
pub(crate) const HOME_REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"];

/// Regions attackers pick for resources nobody looks at.
pub(crate) const FAR_REGIONS: &[&str] = &[
    "ap-southeast-1",
    "sa-east-1",
    "ap-northeast-1",
    "ap-south-1",
    "me-south-1",
    "af-south-1",
    "ap-southeast-3",
];

/// Every commercial region, for the auditor's sweeps.
pub(crate) const ALL_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "sa-east-1",
];

/// Residential broadband.
pub(crate) const RESIDENTIAL: &[&str] = &[
    "73.0.0.0/10",
    "98.192.0.0/12",
    "71.192.0.0/12",
    "24.0.0.0/12",
    "76.96.0.0/11",
    "86.128.0.0/11",
    "81.96.0.0/12",
    "79.192.0.0/11",
    "90.0.0.0/11",
    "88.160.0.0/12",
    "84.112.0.0/13",
    "94.224.0.0/13",
    "37.160.0.0/12",
    "101.160.0.0/12",
    "124.168.0.0/13",
    "189.0.0.0/12",
];

/// Mobile carriers (CGNAT: many users behind few addresses).
pub(crate) const MOBILE: &[&str] = &[
    "172.56.0.0/14",
    "174.192.0.0/12",
    "107.112.0.0/14",
    "92.40.0.0/16",
    "31.94.0.0/16",
];

/// Hosting providers (partners' servers, VPNs, and attackers' boxes).
pub(crate) const HOSTING: &[&str] = &[
    "159.203.0.0/16",
    "167.99.0.0/16",
    "164.90.0.0/16",
    "51.75.0.0/16",
    "54.36.0.0/16",
    "95.216.0.0/16",
    "65.108.0.0/16",
    "172.104.0.0/15",
    "45.76.0.0/15",
    "139.59.0.0/16",
    "188.166.0.0/16",
    "5.161.0.0/16",
];

/// GitHub-hosted runners (Azure).
pub(crate) const CI_RUNNERS: &[&str] = &[
    "20.42.0.0/15",
    "40.84.0.0/14",
    "52.224.0.0/12",
    "172.183.0.0/16",
];

/// Corporate offices (business broadband).
pub(crate) const OFFICE: &[&str] = &[
    "12.153.0.0/16",
    "62.128.96.0/19",
    "185.46.212.0/22",
    "213.52.128.0/18",
];

/// A random address inside `cidr` (never the network or broadcast address).
pub(crate) fn ip_in(cidr: &str, rng: &mut Rng) -> String {
    let (base, len) = cidr.split_once('/').unwrap_or((cidr, "32"));
    let len: u32 = len.parse().unwrap_or(32).min(32);
    let mut octets = [0u32; 4];
    for (i, p) in base.split('.').take(4).enumerate() {
        octets[i] = p.parse().unwrap_or(0);
    }
    let base = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3];
    let host_bits = 32 - len;
    let size = 1u64 << host_bits;
    let offset = if size > 2 {
        rng.range(1, size - 1) as u32
    } else {
        0
    };
    let ip = base.wrapping_add(offset);
    format!(
        "{}.{}.{}.{}",
        ip >> 24,
        (ip >> 16) & 255,
        (ip >> 8) & 255,
        ip & 255
    )
}

/// A random address from one of the ranges.
pub(crate) fn ip_from(pool: &[&str], rng: &mut Rng) -> String {
    let cidr = *rng.pick(pool);
    ip_in(cidr, rng)
}

/// An AWS address of `region` (falls back to us-east-1).
pub(crate) fn aws_ip(region: &str, rng: &mut Rng) -> String {
    let ranges = AWS_RANGES
        .iter()
        .find(|(r, _)| *r == region)
        .map(|(_, c)| *c)
        .unwrap_or(AWS_RANGES[0].1);
    ip_from(ranges, rng)
}

/// A desktop or mobile browser.
pub(crate) fn browser_ua(rng: &mut Rng) -> String {
    let chrome = rng.range(118, 127);
    let ff = rng.range(120, 128);
    match rng.below(9) {
        0 | 1 => format!("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Safari/537.36"),
        2 => format!("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Safari/537.36"),
        3 => format!("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{} Safari/605.1.15", rng.range(0, 5)),
        4 => format!("Mozilla/5.0 (iPhone; CPU iPhone OS 17_{} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{} Mobile/15E148 Safari/604.1", rng.range(0, 5), rng.range(0, 5)),
        5 => format!("Mozilla/5.0 (Linux; Android 14; Pixel {}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Mobile Safari/537.36", rng.range(6, 9)),
        6 => format!("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{ff}.0) Gecko/20100101 Firefox/{ff}.0"),
        7 => format!("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Safari/537.36"),
        _ => format!("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{chrome}.0.0.0 Safari/537.36 Edg/{chrome}.0.0.0"),
    }
}

/// A mobile app's HTTP client.
pub(crate) fn app_ua(app: &str, rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => format!(
            "{app}/5.{}.{} (iPhone; iOS 17.{}; Scale/3.00)",
            rng.range(0, 9),
            rng.range(0, 4),
            rng.range(0, 5)
        ),
        1 => "okhttp/4.12.0".to_string(),
        _ => format!(
            "Dalvik/2.1.0 (Linux; U; Android {}; SM-S91{}B Build/UP1A.231005.007)",
            rng.range(12, 15),
            rng.range(1, 9)
        ),
    }
}

/// A server-side HTTP client (partners, integrations, scripts).
pub(crate) fn client_ua(rng: &mut Rng) -> String {
    rng.pick(&[
        "python-requests/2.31.0",
        "python-requests/2.28.2",
        "Go-http-client/2.0",
        "Go-http-client/1.1",
        "axios/1.6.8",
        "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
        "Apache-HttpClient/4.5.14 (Java/17.0.10)",
        "okhttp/4.11.0",
        "curl/8.4.0",
        "PostmanRuntime/7.37.3",
        "Java/11.0.22",
    ])
    .to_string()
}

/// Uptime monitors and health checkers.
pub(crate) const MONITOR_UAS: &[&str] = &[
    "Amazon-Route53-Health-Check-Service (ref 6f2b1c44-8a3e-4d2f-9c1a-0e5d7b3a9f21; report http://amzn.to/1vsZADi)",
    "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
    "Datadog/Synthetics",
    "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
];

/// Internet-wide crawlers and scanners that touch every public endpoint now and then.
pub(crate) const BACKGROUND_UAS: &[&str] = &[
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "Expanse, a Palo Alto Networks company, searches across the global IPv4 space multiple times per day to identify customers' presences on the Internet. If you would like to be excluded from our scans, please send IP addresses/domains to: scaninfo@paloaltonetworks.com",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 zgrab/0.x",
];

/// The AWS CLI v2 on a workstation or CI runner, for `service`/`op` (kebab-case).
pub(crate) fn cli_ua(os: &str, command: &str, rng: &mut Rng) -> String {
    let minor = rng.range(13, 16);
    let patch = rng.range(0, 40);
    format!(
        "aws-cli/2.{minor}.{patch} md/awscrt#0.19.19 ua/2.0 {os} md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#{command}"
    )
}

/// Boto3 outside Lambda (scripts, tools, laptops).
pub(crate) fn boto3_ua(os: &str) -> String {
    format!(
        "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/{os} md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69"
    )
}

/// `lambda.list-functions`-style command of the CLI for an event name.
pub(crate) fn cli_command(service: &str, event_name: &str) -> String {
    let op = super::event::strip_version(event_name);
    let mut out = String::with_capacity(op.len() + 4);
    for (i, c) in op.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    format!("{service}.{out}")
}

/// Operating systems in CLI user agents: developers' laptops.
pub(crate) const LAPTOP_OS: &[&str] = &[
    "os/macos#23.4.0",
    "os/macos#23.5.0",
    "os/macos#22.6.0",
    "os/linux#6.5.0-35-generic",
    "os/windows#10",
];

/// Operating systems of servers (CI runners, VPSes).
pub(crate) const SERVER_OS: &[&str] = &[
    "os/linux#6.5.0-1021-azure",
    "os/linux#6.2.0-1018-aws",
    "os/linux#5.15.0-107-generic",
    "os/linux#6.8.0-31-generic",
    "os/linux#6.1.0-21-cloud-amd64",
];

/// First names for people.
pub(crate) const FIRST: &[&str] = &[
    "alice", "bruno", "chen", "dana", "emeka", "fatima", "george", "hana", "ivan", "julia", "kofi",
    "lena", "marco", "nadia", "omar", "priya", "quinn", "rosa", "sven", "tomas", "uma", "victor",
    "wei", "yusuf", "zoe",
];

/// Last names for people (one apostrophe, on purpose).
pub(crate) const LAST: &[&str] = &[
    "smith", "garcia", "nguyen", "okafor", "mueller", "kowalski", "rossi", "tanaka", "obrien",
    "dubois", "silva", "khan", "larsen", "novak", "petrov", "haddad", "moreau", "jensen",
];

/// Company slugs for a world.
pub(crate) const COMPANIES: &[&str] = &[
    "acme",
    "globex",
    "initech",
    "umbra",
    "vandelay",
    "hooli",
    "stark",
    "wayne",
    "tyrell",
    "soylent",
    "wonka",
    "cyberdyne",
    "aperture",
    "monarch",
    "dunder",
];

/// App names (mobile user agents).
pub(crate) const APPS: &[&str] = &["ShopNow", "Basket", "Marketly", "Cartwheel", "Dealio"];

/// What people search for, including words that look like SQL or markup, and
/// apostrophes: benign text must not be trivially clean.
pub(crate) const SEARCH_TERMS: &[&str] = &[
    "running shoes",
    "wireless headphones",
    "usb-c cable",
    "coffee grinder",
    "yoga mat",
    "office chair",
    "rain jacket",
    "kids' backpack",
    "select comfort pillow",
    "drop earrings",
    "union jack flag",
    "o'neill wetsuit",
    "levi's 501",
    "rock & roll t-shirt",
    "table lamp",
    "2-in-1 laptop",
    "4k monitor 27\"",
    "women's boots size 8",
    "gaming mouse",
    "air fryer",
    "where to buy gift cards",
    "order tracking",
    "return policy",
    "l'oréal shampoo",
    "mac & cheese",
    "100% cotton sheets",
    "c++ primer book",
    "<3 mug",
    "pen + notebook set",
    "delete account",
    "sleep mask",
    "script writing course",
    "null pointer t-shirt",
];

/// Product SKUs' prefixes.
pub(crate) const SKUS: &[&str] = &[
    "TSHIRT", "HOODIE", "MUG", "SHOE", "BAG", "LAMP", "CABLE", "MAT",
];

/// Plausible names of internal functions.
pub(crate) const SERVICE_NAMES: &[&str] = &[
    "billing",
    "ledger",
    "catalog",
    "pricing",
    "loyalty",
    "shipping",
    "fulfilment",
    "tax",
];

/// Plausible names of Lambda layers (for benign and backdoored layers alike).
pub(crate) const LAYER_NAMES: &[&str] = &[
    "common-utils",
    "otel-collector",
    "node-deps",
    "python-deps",
    "sdk-patches",
    "observability-ext",
    "shared-libs",
    "crypto-helpers",
];
