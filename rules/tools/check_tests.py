#!/usr/bin/env python3
"""Checks the Tripline rule library without the Rust engine.

What it does, for every `rules/**/*.yml`:

1. Lints the metadata: a fresh UUID v4 `id` (unique across the library), `title`,
   `status`, `description`, `author`, `date`, `references`, `tags` (`attack.*`),
   `logsource`, `falsepositives`, `level`, only the allowed `tripline:` keys, and
   `tests:` with at least one `match: true` and one `match: false` case; correlation
   rules may only name rules defined in the same file.
2. Extracts every test event into `OUT/cloudtrail.jsonl` and `OUT/lambda.jsonl`.
3. With the `tripline` binary (`--bin`, default `target/debug/tripline`), ingests both
   files into a fresh lake and checks that every event lands in the right table
   (`cloudtrail` / `invocations`) and nothing is quarantined. Lambda test events are
   matched back to their rows by request id, so each must carry a unique one.
4. Runs each test through a small reference evaluator of the Sigma subset the
   library uses (selections, modifiers, conditions, keyword search and the
   event_count / value_count / temporal / temporal_ordered correlations over a
   sliding window), reading CloudTrail fields from the event itself and Lambda fields
   from the ingested `invocations` row, as the engine does. It is a cross-check of
   the rules' logic, not the engine.
5. Optionally (`--benign FILE ...`) runs the stateless CloudTrail rules over benign
   events (JSON lines, or Panther test files with an `event` and `expected` key,
   only `expected: false` ones) and lists what fires, to keep rules quiet on
   ordinary administration.

Standard library only, except YAML: PyYAML when installed, else the `yq` tool.

    python3 rules/tools/check_tests.py [--rules rules] [--out /tmp/tripline-rule-tests]
        [--bin target/debug/tripline | --no-ingest] [--benign FILE ...] [-v]

Exit status 1 when any lint or test fails.
"""
import argparse
import base64
import datetime as dt
import fnmatch
import glob
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid

TRIPLINE_KEYS = {"window", "session_gap", "lateness", "group_by", "dedup_window"}
LEVELS = {"informational", "low", "medium", "high", "critical"}
STATUSES = {"experimental", "test", "stable"}
SPAN = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


# ---------------------------------------------------------------------------- YAML
def load_yaml_docs(path):
    """All documents of a YAML file, as Python values."""
    try:
        import yaml  # type: ignore

        with open(path, encoding="utf-8") as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]
    except ImportError:
        out = subprocess.run(
            ["yq", "-o=json", "-I=0", ".", path], capture_output=True, text=True, check=True
        ).stdout
        dec, docs, i = json.JSONDecoder(), [], 0
        while i < len(out):
            if out[i].isspace():
                i += 1
                continue
            d, i = dec.raw_decode(out, i)
            if d is not None:
                docs.append(d)
        return docs


# ---------------------------------------------------------------------- field access
class Row:
    """One event as the evaluator sees it: Sigma field name -> list of values."""

    def __init__(self, service, event, columns=None):
        self.service = service
        self.event = event
        self.columns = columns or {}
        self.payload = None
        self.headers = None
        if service == "lambda":
            self.payload = _json_or_none(self.columns.get("payload"))
            self.headers = _json_or_none(self.columns.get("headers")) or {}

    def time(self):
        if self.service == "cloudtrail":
            return parse_time(self.event.get("eventTime") or self.event.get("@timestamp"))
        return parse_time(self.columns.get("time"))

    def values(self, field):
        """Leaf values of a field; [] when absent or null."""
        if self.service == "cloudtrail":
            if field in ("requestParameters", "responseElements", "additionalEventData", "resources"):
                v = self.event.get(field)
                return [] if v is None else [json.dumps(v, separators=(",", ":"))]
            return leaves(self.event, field.split("."))
        if field.startswith("payload."):
            return leaves(self.payload, field.split(".")[1:])
        if field.startswith("headers."):
            name = field[len("headers."):].lower()
            return [v for k, v in self.headers.items() if k.lower() == name]
        v = self.columns.get(field)
        return [] if v is None else [v]

    def keyword_text(self):
        if self.service == "cloudtrail":
            return [json.dumps(self.event.get(k), separators=(",", ":")) for k in
                    ("requestParameters", "responseElements", "additionalEventData", "userIdentity")
                    if self.event.get(k) is not None] + [
                str(self.event.get(k)) for k in ("eventName", "eventSource", "userAgent", "errorMessage")
                if self.event.get(k) is not None]
        return [self.columns[k] for k in ("payload", "path", "query", "user_agent", "headers")
                if self.columns.get(k) is not None]


def _json_or_none(s):
    if s is None:
        return None
    try:
        return json.loads(s)
    except ValueError:
        return None


def leaves(v, path):
    if v is None:
        return []
    if isinstance(v, list):
        return [x for item in v for x in leaves(item, path)]
    if not path:
        return [v]
    if isinstance(v, dict):
        # Exact key first; JSON keys are case-sensitive.
        return leaves(v.get(path[0]), path[1:]) if path[0] in v else []
    return []


def parse_time(s):
    if s is None:
        return None
    if isinstance(s, (int, float)):
        return float(s) / (1e6 if s > 1e14 else 1e3 if s > 1e11 else 1)
    s = str(s).replace(" ", "T")
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    t = dt.datetime.fromisoformat(s)
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.timestamp()


def as_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


# -------------------------------------------------------------------------- matching
def wildcard_regex(pattern, cased):
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*?\\":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
        i += 1
    return re.compile("^" + "".join(out) + "$", re.S | (0 if cased else re.I))


def b64_offsets(s):
    b = s.encode()
    out = []
    for i in range(3):
        enc = base64.b64encode(b"\0" * i + b).decode()
        start = (0, 2, 3)[i]
        end = len(enc) - ((0, 3, 2)[(len(b) + i) % 3])
        out.append(enc[start:end])
    return out


class Matcher:
    """One field condition: `field|mod|mod: values`."""

    def __init__(self, key, values):
        parts = key.split("|")
        self.field = parts[0] or None
        self.mods = parts[1:]
        self.values = values if isinstance(values, list) else [values]
        known = {"contains", "startswith", "endswith", "re", "all", "cidr", "exists", "base64",
                 "base64offset", "windash", "gt", "gte", "lt", "lte", "cased", "i", "m", "s", "fieldref"}
        bad = [m for m in self.mods if m not in known]
        if bad:
            raise ValueError(f"unknown modifier(s) {bad} in {key!r}")
        for m in self.mods:
            if m == "re":
                for v in self.values:
                    re.compile(str(v))

    def test_value(self, actual, expected):
        mods = self.mods
        if expected is None:
            return False
        if any(m in mods for m in ("gt", "gte", "lt", "lte")):
            try:
                a, e = float(actual), float(expected)
            except (TypeError, ValueError):
                return False
            return {"gt": a > e, "gte": a >= e, "lt": a < e, "lte": a <= e}[
                next(m for m in mods if m in ("gt", "gte", "lt", "lte"))]
        a = as_text(actual)
        if "re" in mods:
            flags = (re.I if "i" in mods else 0) | (re.M if "m" in mods else 0) | (re.S if "s" in mods else 0)
            return re.search(str(expected), a, flags) is not None
        if "cidr" in mods:
            try:
                return ipaddress.ip_address(a) in ipaddress.ip_network(str(expected), strict=False)
            except ValueError:
                return False
        e = as_text(expected)
        if "base64offset" in mods:
            alts = b64_offsets(e)
        elif "base64" in mods:
            alts = [base64.b64encode(e.encode()).decode()]
        else:
            alts = [e]
        cased = "cased" in mods or "base64" in mods or "base64offset" in mods
        for pat in alts:
            # Escapes are resolved before the modifier adds its wildcards, as in pySigma:
            # a trailing backslash stays a literal backslash.
            if "base64" in mods or "base64offset" in mods:
                rx = re.escape(pat)
            else:
                rx = wildcard_regex(pat, cased).pattern[1:-1]
            if "contains" in mods or "endswith" in mods:
                rx = ".*" + rx
            if "contains" in mods or "startswith" in mods:
                rx = rx + ".*"
            if re.match("^" + rx + "$", a, re.S | (0 if cased else re.I)):
                return True
        return False

    def matches(self, row):
        if self.field is None:
            texts = row.keyword_text()
            hit = lambda v: any(Matcher("|contains", [v]).test_value(t, v) for t in texts)  # noqa: E731
            return all(map(hit, self.values)) if "all" in self.mods else any(map(hit, self.values))
        actual = row.values(self.field)
        if "fieldref" in self.mods:
            refs = [as_text(v) for f in self.values for v in row.values(str(f))]
            return any(as_text(a).lower() == r.lower() for a in actual for r in refs)
        if "exists" in self.mods:
            want = bool(self.values[0])
            return bool([a for a in actual if a is not None]) == want
        results = []
        for e in self.values:
            if e is None:
                results.append(not [a for a in actual if a is not None])
            elif e == "" and not self.mods:
                results.append(any(a == "" for a in actual))
            else:
                results.append(any(self.test_value(a, e) for a in actual if a is not None))
        return all(results) if "all" in self.mods else any(results)


class Selection:
    def __init__(self, name, body):
        self.name = name
        if isinstance(body, dict):
            self.alts = [[Matcher(k, v) for k, v in body.items()]]
        elif isinstance(body, list) and all(isinstance(x, dict) for x in body):
            self.alts = [[Matcher(k, v) for k, v in x.items()] for x in body]
        elif isinstance(body, list):
            self.alts = [[Matcher("", body)]]
        else:
            raise ValueError(f"selection {name}: unsupported body {body!r}")

    def matches(self, row):
        return any(all(m.matches(row) for m in alt) for alt in self.alts)


TOKEN = re.compile(r"\s*(\(|\)|[A-Za-z0-9_*]+)")


class Condition:
    def __init__(self, text, selections):
        self.sel = selections
        self.toks = [t for t in TOKEN.findall(text)]
        if "".join(self.toks).replace(" ", "") != re.sub(r"\s+", "", text):
            raise ValueError(f"bad condition syntax: {text!r}")
        self.i = 0
        self.ast = self.parse_or()
        if self.i != len(self.toks):
            raise ValueError(f"trailing tokens in condition {text!r}")

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def parse_or(self):
        n = self.parse_and()
        while self.peek() == "or":
            self.take()
            n = ("or", n, self.parse_and())
        return n

    def parse_and(self):
        n = self.parse_not()
        while self.peek() == "and":
            self.take()
            n = ("and", n, self.parse_not())
        return n

    def parse_not(self):
        if self.peek() == "not":
            self.take()
            return ("not", self.parse_not())
        return self.parse_atom()

    def names(self, pat):
        if pat == "them":
            ns = [n for n in self.sel if not n.startswith("_")]
        else:
            ns = [n for n in self.sel if fnmatch.fnmatchcase(n, pat)]
        if not ns:
            raise ValueError(f"condition pattern {pat!r} names no selection")
        return ns

    def parse_atom(self):
        t = self.take()
        if t == "(":
            n = self.parse_or()
            if self.take() != ")":
                raise ValueError("unbalanced parentheses")
            return n
        if t in ("1", "all", "any") and self.peek() == "of":
            self.take()
            return ("all" if t == "all" else "any", self.names(self.take()))
        if t not in self.sel:
            raise ValueError(f"condition names undefined selection {t!r}")
        return ("sel", t)

    def eval(self, row, n=None):
        n = n or self.ast
        k = n[0]
        if k == "sel":
            return self.sel[n[1]].matches(row)
        if k == "not":
            return not self.eval(row, n[1])
        if k == "and":
            return self.eval(row, n[1]) and self.eval(row, n[2])
        if k == "or":
            return self.eval(row, n[1]) or self.eval(row, n[2])
        f = all if k == "all" else any
        return f(self.sel[x].matches(row) for x in n[1])


class Detection:
    def __init__(self, doc):
        det = doc["detection"]
        sels = {k: Selection(k, v) for k, v in det.items() if k != "condition"}
        conds = det["condition"] if isinstance(det["condition"], list) else [det["condition"]]
        self.conds = [Condition(c, sels) for c in conds]

    def matches(self, row):
        return any(c.eval(row) for c in self.conds)


def span_seconds(s):
    m = SPAN.match(str(s))
    if not m:
        raise ValueError(f"bad timespan {s!r}")
    return int(m.group(1)) * UNITS[m.group(2)]


def compare(n, cond):
    ops = {"gt": n.__gt__, "gte": n.__ge__, "lt": n.__lt__, "lte": n.__le__, "eq": n.__eq__,
           "neq": n.__ne__}
    return all(ops[k](v) for k, v in cond.items() if k != "field")


def correlate(corr, hits):
    """hits: list of (time, rule_name, group_tuple, value). True when the correlation fires."""
    span = span_seconds(corr["timespan"])
    kind = corr["type"]
    cond = corr.get("condition") or {}
    groups = {}
    for h in hits:
        groups.setdefault(h[2], []).append(h)
    for hs in groups.values():
        hs.sort(key=lambda h: h[0])
        for i, first in enumerate(hs):
            win = [h for h in hs[i:] if h[0] - first[0] <= span]
            if kind == "event_count" and compare(len(win), cond):
                return True
            if kind == "value_count" and compare(len({h[3] for h in win if h[3] is not None}), cond):
                return True
            if kind == "temporal":
                if set(corr["rules"]) <= {h[1] for h in win}:
                    return True
            if kind == "temporal_ordered":
                want = list(corr["rules"])
                for h in win:
                    if want and h[1] == want[0]:
                        want.pop(0)
                if not want:
                    return True
    return False


# ------------------------------------------------------------------------------ lint
def lint(path, docs, seen_ids):
    errs = []
    names = {d.get("name") for d in docs if isinstance(d, dict) and d.get("name")}
    for d in docs:
        if not isinstance(d, dict):
            errs.append("document is not a mapping")
            continue
        t = d.get("title", "?")
        for key in ("title", "id", "status", "description", "author", "date", "references", "tags",
                    "falsepositives", "level"):
            if key not in d:
                errs.append(f"{t}: missing `{key}`")
        try:
            u = uuid.UUID(str(d.get("id")))
            if u.version != 4 or str(u) != str(d.get("id")):
                errs.append(f"{t}: id is not a lower-case UUID v4")
        except ValueError:
            errs.append(f"{t}: id is not a UUID")
        if d.get("id") in seen_ids:
            errs.append(f"{t}: id {d.get('id')} also used by {seen_ids[d.get('id')]}")
        seen_ids[d.get("id")] = path
        if d.get("status") not in STATUSES:
            errs.append(f"{t}: status {d.get('status')!r}")
        if d.get("level") not in LEVELS:
            errs.append(f"{t}: level {d.get('level')!r}")
        if str(d.get("date")) != "2026-11-23":
            errs.append(f"{t}: date {d.get('date')!r}")
        for tag in d.get("tags") or []:
            if not re.match(r"^attack\.(t\d{4}(\.\d{3})?|[a-z_]+)$", tag):
                errs.append(f"{t}: tag {tag!r}")
        if not any(re.match(r"^attack\.t\d{4}", x) for x in d.get("tags") or []):
            errs.append(f"{t}: no ATT&CK technique tag")
        if not any(re.match(r"^attack\.[a-z_]+$", x) for x in d.get("tags") or []):
            errs.append(f"{t}: no ATT&CK tactic tag")
        extra = set((d.get("tripline") or {}).keys()) - TRIPLINE_KEYS
        if extra:
            errs.append(f"{t}: unknown tripline keys {sorted(extra)}")
        if "detection" in d:
            ls = d.get("logsource") or {}
            if ls.get("product") != "aws" or ls.get("service") not in ("cloudtrail", "lambda"):
                errs.append(f"{t}: logsource {ls}")
            want = "lambda" if "/lambda/" in path.replace(os.sep, "/") else "cloudtrail"
            if ls.get("service") != want:
                errs.append(f"{t}: logsource.service {ls.get('service')} in a {want} folder")
            try:
                Detection(d)
            except (ValueError, re.error, KeyError) as e:
                errs.append(f"{t}: detection: {e}")
        elif "correlation" in d:
            c = d["correlation"]
            for r in c.get("rules") or []:
                if r not in names:
                    errs.append(f"{t}: correlation names unknown rule {r!r}")
            if not c.get("group-by"):
                errs.append(f"{t}: correlation without group-by")
            try:
                span_seconds(c.get("timespan"))
            except ValueError as e:
                errs.append(f"{t}: {e}")
            if c.get("type") == "value_count" and not (c.get("condition") or {}).get("field"):
                errs.append(f"{t}: value_count without condition.field")
        else:
            errs.append(f"{t}: neither detection nor correlation")
    tests = [x for d in docs if isinstance(d, dict) for x in d.get("tests") or []]
    if not any(x.get("match") is True for x in tests):
        errs.append("no `match: true` test")
    if not any(x.get("match") is False for x in tests):
        errs.append("no `match: false` test")
    for x in tests:
        if not x.get("name") or ("event" in x) == ("events" in x):
            errs.append(f"test {x.get('name')!r}: needs a name and exactly one of event/events")
    return errs


# ---------------------------------------------------------------------------- ingest
def lambda_request_id(ev):
    """The request id ingest stores for a Lambda test event (see ingest/src/parse/lambda.rs)."""
    for k in ("function_request_id", "requestId", "aws_request_id", "awsRequestId"):
        if isinstance(ev.get(k), str):
            return ev[k]
    inner = ev.get("event") if isinstance(ev.get("event"), dict) else ev
    rc = inner.get("requestContext") or {}
    if rc.get("requestId"):
        return rc["requestId"]
    if inner.get("messageId"):
        return inner["messageId"]
    recs = inner.get("Records")
    if isinstance(recs, list) and recs:
        r = recs[0]
        return r.get("messageId") or (r.get("Sns") or {}).get("MessageId") or \
            (r.get("responseElements") or {}).get("x-amz-request-id")
    return inner.get("id")


def ingest(binary, out, ct_events, lam_events):
    """Ingests the test events; returns (errors, lambda rows by request id)."""
    errs = []
    lake = tempfile.mkdtemp(prefix="tripline-rule-lake-")
    try:
        files = [os.path.join(out, "cloudtrail.jsonl"), os.path.join(out, "lambda.jsonl")]
        r = subprocess.run([binary, "ingest", *files, "--lake", lake, "--json"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return [f"ingest failed: {r.stderr.strip()}"], {}
        summary = json.loads(r.stdout)
        stored = summary.get("records_stored", {})
        if summary.get("records_quarantined"):
            errs.append(f"{summary['records_quarantined']} test events quarantined: see "
                        f"{summary.get('quarantine_dir')} ({summary.get('quarantined_by_kind')})")
            qdir = summary.get("quarantine_dir")
            for f in glob.glob(os.path.join(qdir or "", "**", "*"), recursive=True):
                if os.path.isfile(f):
                    with open(f, errors="replace") as fh:
                        errs.append("  " + fh.read()[:1500])
        if stored.get("cloudtrail", 0) != len(ct_events):
            errs.append(f"cloudtrail rows {stored.get('cloudtrail', 0)} != {len(ct_events)} events")
        if stored.get("invocations", 0) != len(lam_events):
            errs.append(f"invocations rows {stored.get('invocations', 0)} != {len(lam_events)} events")
        rows = {}
        if lam_events:
            q = subprocess.run([binary, "query", "--lake", lake, "--format", "json",
                                "SELECT * FROM invocations"], capture_output=True, text=True)
            if q.returncode != 0:
                return errs + [f"query failed: {q.stderr.strip()}"], {}
            for row in json.loads(q.stdout):
                if row.get("request_id") in rows:
                    errs.append(f"request id {row['request_id']} used by two lambda test events")
                rows[row.get("request_id")] = row
        return errs, rows
    finally:
        shutil.rmtree(lake, ignore_errors=True)


# ------------------------------------------------------------------------------ main
def load_library(root):
    files = sorted(glob.glob(os.path.join(root, "**", "*.yml"), recursive=True))
    out = []
    for f in files:
        try:
            out.append((f, load_yaml_docs(f)))
        except Exception as e:  # noqa: BLE001 - any YAML error is reported, not fatal
            print(f"FAIL {f}: YAML: {e}")
            out.append((f, []))
    return out


def evaluate(docs, test, service, lam_rows):
    """Whether a test's events raise a finding under the file's rules."""
    rows = []
    for ev in test["events"]:
        if service == "lambda":
            rid = lambda_request_id(ev)
            if rid not in lam_rows:
                raise ValueError(f"no invocations row for request id {rid!r}")
            rows.append(Row("lambda", ev, lam_rows[rid]))
        else:
            rows.append(Row("cloudtrail", ev))
    dets = {d.get("name") or d["id"]: (d, Detection(d)) for d in docs if "detection" in d}
    corrs = [d for d in docs if "correlation" in d]
    if not corrs:
        return any(det.matches(r) for _, det in dets.values() for r in rows)
    for c in corrs:
        cc = c["correlation"]
        field = (cc.get("condition") or {}).get("field")
        hits = []
        for name in cc["rules"]:
            _, det = dets[name]
            for r in rows:
                if det.matches(r):
                    group = tuple(as_text((r.values(g) or [None])[0]) for g in cc["group-by"])
                    value = as_text(r.values(field)[0]) if field and r.values(field) else None
                    hits.append((r.time(), name, group, value))
        if correlate(cc, hits):
            return True
        if c.get("generate") and any(h for h in hits):
            return True
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--rules", default=os.path.dirname(here))
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "tripline-rule-tests"))
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(os.path.dirname(here)),
                                                  "target", "debug", "tripline"))
    ap.add_argument("--no-ingest", action="store_true")
    ap.add_argument("--benign", nargs="*", default=[])
    ap.add_argument("--correlations", action="store_true",
                    help="with --benign, also run the CloudTrail correlation rules over the file")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()

    lib = load_library(a.rules)
    failures, seen = [], {}
    ct_events, lam_events, cases = [], [], []
    names = {}
    for path, docs in lib:
        rel = os.path.relpath(path, a.rules)
        for e in lint(path, docs, seen):
            failures.append(f"{rel}: {e}")
        for d in docs:
            n = d.get("name") if isinstance(d, dict) else None
            if n and n in names:
                failures.append(f"{rel}: rule name {n!r} also defined in {names[n]}")
            elif n:
                names[n] = rel
        service = next((d["logsource"]["service"] for d in docs
                        if isinstance(d, dict) and "detection" in d and d.get("logsource")), None)
        for d in docs:
            for t in (d.get("tests") or []) if isinstance(d, dict) else []:
                evs = t.get("events") or ([t["event"]] if "event" in t else [])
                t = dict(t, events=evs)
                (lam_events if service == "lambda" else ct_events).extend(evs)
                cases.append((rel, docs, t, service))
    os.makedirs(a.out, exist_ok=True)
    for name, evs in (("cloudtrail.jsonl", ct_events), ("lambda.jsonl", lam_events)):
        with open(os.path.join(a.out, name), "w") as f:
            for e in evs:
                f.write(json.dumps(e, separators=(",", ":")) + "\n")
    lam_rows = {}
    if not a.no_ingest:
        if not os.path.exists(a.bin):
            failures.append(f"no tripline binary at {a.bin} (build it or pass --no-ingest)")
        else:
            errs, lam_rows = ingest(a.bin, a.out, ct_events, lam_events)
            failures.extend(errs)
    passed = 0
    for rel, docs, t, service in cases:
        if service == "lambda" and a.no_ingest:
            continue
        try:
            got = evaluate(docs, t, service, lam_rows)
        except (ValueError, KeyError, re.error) as e:
            failures.append(f"{rel}: test {t.get('name')!r}: {e}")
            continue
        if got == bool(t.get("match")):
            passed += 1
            if a.verbose:
                print(f"ok   {rel}: {t.get('name')}")
        else:
            failures.append(f"{rel}: test {t.get('name')!r}: expected match={t.get('match')}, got {got}")

    for bf in a.benign:
        stateless = [(rel, Detection(d)) for rel, docs, _, s in {(c[0], id(c[1])): c for c in cases}.values()
                     if s == "cloudtrail" for d in docs
                     if "detection" in d and not any("correlation" in x for x in docs)]
        fired = {}
        with open(bf) as f:
            for line in f:
                if not line.strip():
                    continue
                rec = json.loads(line)
                if "expected" in rec:
                    if rec["expected"] is not False:
                        continue
                    rec = rec.get("event") or {}
                row = Row("cloudtrail", rec)
                for rel, det in stateless:
                    try:
                        if det.matches(row):
                            fired.setdefault(rel, []).append(f"{rec.get('eventName')} by "
                                                             f"{(rec.get('userIdentity') or {}).get('arn')}")
                    except (TypeError, ValueError):
                        pass
        print(f"benign {bf}: {sum(map(len, fired.values()))} hits of stateless rules")
        for rel, evs in sorted(fired.items()):
            print(f"  {rel}: {len(evs)}  e.g. {evs[:3]}")
        if a.correlations:
            with open(bf) as f:
                recs = [json.loads(x) for x in f if x.strip()]
            recs = [r.get("event") or {} if "expected" in r else r for r in recs
                    if "expected" not in r or r["expected"] is False]
            seen_files = set()
            for rel, docs, _, s in cases:
                if s != "cloudtrail" or rel in seen_files or not any("correlation" in d for d in docs):
                    continue
                seen_files.add(rel)
                if evaluate(docs, {"events": recs}, "cloudtrail", {}):
                    print(f"  correlation fires: {rel}")

    rules = sum(len(d) for _, d in lib)
    print(f"{len(lib)} files, {rules} rule documents, {len(ct_events)} CloudTrail and "
          f"{len(lam_events)} Lambda test events -> {a.out}")
    for f in failures:
        print("FAIL", f)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
