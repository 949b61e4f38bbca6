#!/usr/bin/env python3
"""Turns the rows that benches/lib.sh `measure` wrote into tables and PASS/FAIL lines.

    bench_report.py ingest  --tsv T --records N [--summary S.json] [--count-csv C.csv]
                            [--peer-json LABEL=FILE]... [--gz-bytes B] [--raw-bytes B]
    bench_report.py query   --tsv T --compare Q=OK|message ... [--max-ratio 1.5]
                            [--engine-seconds Q=FILE]...
    bench_report.py memory  --tsv T --check LABEL=N:S.json ... [--max-rss-mib 256]
    bench_report.py compare A.csv B.csv [--top K]

TSV rows: label, run, wall_s, user_s, sys_s, peak_rss_kb, exit_code. Figures are the
MEDIAN over runs for times (min and max printed to show the spread) and the MAX over runs
for peak RSS. Tables are Markdown so they paste into benches/README.md. Exit status: 0
when every check passes, 1 when one fails.
"""
import argparse
import csv
import json
import statistics
import sys
from collections import OrderedDict

MIB = 1024 * 1024

# Targets from the performance issue (see benches/README.md).
INGEST_MIN_RECORDS_PER_S = 200_000
INGEST_MIN_SPEEDUP_VS_DUCKDB = 10.0
MAX_RSS_MIB = 256
QUERY_MAX_RATIO = 1.5


class Checks:
    def __init__(self):
        self.lines = []
        self.failed = 0

    def add(self, ok, what):
        self.lines.append(f"{'PASS' if ok else 'FAIL'}  {what}")
        self.failed += 0 if ok else 1

    def print(self):
        print()
        for line in self.lines:
            print(line)
        print()
        print("all checks passed" if not self.failed else f"{self.failed} check(s) FAILED")
        return 1 if self.failed else 0


def load(tsv):
    """label -> list of run dicts, in first-seen order."""
    runs = OrderedDict()
    with open(tsv) as f:
        for row in csv.reader(f, delimiter="\t"):
            if not row:
                continue
            label, run, wall, user, sys_, rss, rc = row
            num = lambda s: float(s) if s not in ("", "nan") else float("nan")
            runs.setdefault(label, []).append(dict(
                run=int(run), wall=num(wall), cpu=num(user) + num(sys_),
                rss_kb=num(rss), rc=int(rc)))
    return runs


def stats(rs):
    walls = [r["wall"] for r in rs]
    return dict(
        n=len(rs), wall=statistics.median(walls), wall_min=min(walls), wall_max=max(walls),
        cpu=statistics.median(r["cpu"] for r in rs),
        rss_mib=max(r["rss_kb"] for r in rs) / 1024,
        bad=[(r["run"], r["rc"]) for r in rs if r["rc"] != 0])


def table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    print("\n".join(out))


def secs(x):
    return f"{x:.3f}" if x < 1 else f"{x:.2f}"


def spread(s):
    return f"{secs(s['wall'])} ({secs(s['wall_min'])}–{secs(s['wall_max'])})"


def exit_checks(checks, runs):
    for label, rs in runs.items():
        for run, rc in stats(rs)["bad"]:
            checks.add(False, f"`{label}` run {run} exited with code {rc}")


def read_count_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    if len(rows) != 2 or len(rows[1]) != 1:
        raise ValueError(f"expected a header and one value, got {rows[:3]!r}")
    return int(rows[1][0])


def summary_checks(checks, label, n, path):
    """records_in == n, stored cloudtrail == n, quarantined == 0, from `ingest --json`."""
    try:
        with open(path) as f:
            s = json.load(f)
    except (OSError, ValueError) as e:
        checks.add(False, f"{label}: `tripline ingest --json` summary unreadable ({path}: {e})")
        return
    stored = (s.get("records_stored") or {}).get("cloudtrail")
    checks.add(s.get("records_in") == n, f"{label}: records_in = {s.get('records_in')} (expected {n})")
    checks.add(stored == n, f"{label}: records_stored.cloudtrail = {stored} (expected {n})")
    checks.add(s.get("records_quarantined") == 0,
               f"{label}: records_quarantined = {s.get('records_quarantined')} (expected 0)")


def cmd_ingest(a):
    runs = load(a.tsv)
    n = a.records
    checks = Checks()
    exit_checks(checks, runs)
    st = {label: stats(rs) for label, rs in runs.items()}
    trip = st.get("tripline ingest")
    print(f"\n### Ingest: {n:,} CloudTrail records", end="")
    if a.gz_bytes and a.raw_bytes:
        print(f", {a.gz_bytes / MIB:,.0f} MiB gz, {a.raw_bytes / MIB:,.0f} MiB raw JSON", end="")
    print("\n")
    header = ["command", "runs", "wall s median (min–max)", "cpu s", "records/s",
              "raw MiB/s", "peak RSS MiB", "wall ÷ tripline"]
    rows = []
    for label, s in st.items():
        rps = n / s["wall"] if s["wall"] > 0 else float("nan")
        raw = f"{a.raw_bytes / MIB / s['wall']:,.0f}" if a.raw_bytes else "–"
        ratio = f"{s['wall'] / trip['wall']:.2f}×" if trip else "–"
        rows.append([f"`{label}`", s["n"], spread(s), secs(s['cpu']), f"{rps:,.0f}", raw,
                     f"{s['rss_mib']:,.0f}", ratio])
    table(header, rows)
    print()

    if trip is None:
        checks.add(False, "no `tripline ingest` measurement")
        return checks.print()
    trip_rps = n / trip["wall"]
    if "zcat" in st:
        z = st["zcat"]
        checks.add(trip["wall"] < z["wall"],
                   f"tripline ingest wall {secs(trip['wall'])} s = {trip['wall'] / z['wall']:.2f}× zcat's "
                   f"{secs(z['wall'])} s (target < 1×: faster than decompression alone)")
    checks.add(trip_rps >= INGEST_MIN_RECORDS_PER_S,
               f"tripline ingest {trip_rps:,.0f} records/s (target ≥ {INGEST_MIN_RECORDS_PER_S:,})")
    for label, s in st.items():
        if label.startswith("duckdb"):
            speedup = s["wall"] / trip["wall"]
            checks.add(speedup >= INGEST_MIN_SPEEDUP_VS_DUCKDB,
                       f"tripline ingest records/s = {speedup:.1f}× `{label}`'s "
                       f"(target ≥ {INGEST_MIN_SPEEDUP_VS_DUCKDB:g}×)")
    checks.add(trip["rss_mib"] <= MAX_RSS_MIB,
               f"tripline ingest peak RSS {trip['rss_mib']:.0f} MiB (target ≤ {MAX_RSS_MIB} MiB)")
    if a.summary:
        summary_checks(checks, "tripline ingest", n, a.summary)
    if a.count_csv:
        try:
            c = read_count_csv(a.count_csv)
            checks.add(c == n, f"tripline query `SELECT count(*) FROM cloudtrail` = {c} (expected {n})")
        except (OSError, ValueError) as e:
            checks.add(False, f"tripline query count(*) output unusable ({a.count_csv}: {e})")
    for spec in a.peer_json:
        label, _, path = spec.partition("=")
        try:
            with open(path) as f:
                rows = json.loads(f.read().strip().splitlines()[-1])["rows"]
            checks.add(rows == n, f"peer `{label}` wrote {rows} rows (expected {n})")
        except (OSError, ValueError, KeyError, IndexError) as e:
            checks.add(False, f"peer `{label}` output unusable ({path}: {e})")
    return checks.print()


def cmd_query(a):
    runs = load(a.tsv)
    checks = Checks()
    exit_checks(checks, runs)
    st = {label: stats(rs) for label, rs in runs.items()}
    queries = OrderedDict()
    for label in st:
        engine, _, q = label.partition(" ")
        queries.setdefault(q, {})[engine] = st[label]
    print("\n### Query: tripline query --format csv vs DuckDB (python) on the same Parquet files\n")
    header = ["query", "engine", "runs", "wall s median (min–max)", "cpu s", "peak RSS MiB",
              "tripline ÷ duckdb"]
    rows = []
    ratios = {}
    for q, eng in queries.items():
        t, d = eng.get("tripline"), eng.get("duckdb")
        ratio = t["wall"] / d["wall"] if t and d else None
        ratios[q] = ratio
        for name, s in eng.items():
            rows.append([q, name, s["n"], spread(s), secs(s['cpu']), f"{s['rss_mib']:,.0f}",
                         f"{ratio:.2f}" if (ratio is not None and name == "tripline") else ""])
    table(header, rows)
    if a.engine_seconds:
        print()
    for spec in a.engine_seconds:
        q, _, path = spec.partition("=")
        try:
            with open(path) as f:
                xs = [float(x) for x in f.read().split()]
            t = queries.get(q, {}).get("tripline")
            print(f"info: {q}: DuckDB in-process (without Python start-up and import) median "
                  f"{secs(statistics.median(xs))} s over {len(xs)} runs"
                  + (f"; tripline's whole command is {t['wall'] / statistics.median(xs):.2f}× that" if t else ""))
        except (OSError, ValueError) as e:
            print(f"info: {q}: no DuckDB in-process times ({e})")
    compares = dict(c.split("=", 1) for c in a.compare)
    for q, ratio in ratios.items():
        if ratio is None:
            checks.add(False, f"{q}: missing a measurement for one engine")
        else:
            checks.add(ratio <= a.max_ratio,
                       f"{q}: tripline wall {ratio:.2f}× DuckDB's (target ≤ {a.max_ratio:g}×)")
        verdict = compares.get(q)
        if verdict is not None:
            checks.add(verdict == "OK", f"{q}: same result rows in both engines"
                       + ("" if verdict == "OK" else f" — {verdict}"))
    return checks.print()


def cmd_memory(a):
    runs = load(a.tsv)
    checks = Checks()
    exit_checks(checks, runs)
    print("\n### Memory: peak RSS of `tripline ingest` by corpus size\n")
    specs = OrderedDict()
    for spec in a.check:
        label, _, rest = spec.partition("=")
        n, _, path = rest.partition(":")
        specs[label] = (int(n), path)
    rows = []
    for label, rs in runs.items():
        s = stats(rs)
        n = specs.get(label, (None, None))[0]
        rps = f"{n / s['wall']:,.0f}" if n else "–"
        rows.append([f"`{label}`", f"{n:,}" if n else "–", s["n"], spread(s), rps,
                     f"{s['rss_mib']:,.0f}"])
        checks.add(s["rss_mib"] <= a.max_rss_mib,
                   f"{label}: peak RSS {s['rss_mib']:.0f} MiB (target ≤ {a.max_rss_mib:g} MiB)")
    table(["command", "records", "runs", "wall s median (min–max)", "records/s", "peak RSS MiB"], rows)
    for label, (n, path) in specs.items():
        summary_checks(checks, label, n, path)
    return checks.print()


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError(f"{path}: empty output (no CSV header)")
    return rows[0], rows[1:]


def cmd_compare(a):
    """Same rows, engine-independent: the last column is the count the rows are ordered by.

    Without --top: the two results are equal as multisets. With --top K (a LIMIT K query
    whose order ties may be broken differently): the count column sorted descending is
    equal, and every row whose count beats the K-th count is in both."""
    try:
        (ha, ra), (hb, rb) = read_csv(a.a), read_csv(a.b)
    except (OSError, ValueError) as e:
        print(f"unreadable output: {e}")
        return 1

    def norm(rows):
        return [tuple(r[:-1]) + (int(float(r[-1])),) for r in rows]

    try:
        ra, rb = norm(ra), norm(rb)
    except (ValueError, IndexError) as e:
        print(f"count column not numeric: {e}")
        return 1
    if len(ha) != len(hb):
        print(f"different column counts: {ha} vs {hb}")
        return 1
    if a.top is None:
        if sorted(ra) == sorted(rb):
            print("OK")
            return 0
        only_a, only_b = set(ra) - set(rb), set(rb) - set(ra)
        print(f"{len(ra)} vs {len(rb)} rows; first difference: only in A {sorted(only_a)[:1]}, "
              f"only in B {sorted(only_b)[:1]}")
        return 1
    ca, cb = [r[-1] for r in ra], [r[-1] for r in rb]
    if sorted(ca, reverse=True) != sorted(cb, reverse=True):
        print(f"different counts: {ca[:5]}... vs {cb[:5]}...")
        return 1
    if ca != sorted(ca, reverse=True) or cb != sorted(cb, reverse=True):
        print("a result is not ordered by count descending")
        return 1
    floor = ca[-1] if ca else 0
    sa, sb = {r for r in ra if r[-1] > floor}, {r for r in rb if r[-1] > floor}
    if sa != sb:
        print(f"different top rows: only in A {sorted(sa - sb)[:1]}, only in B {sorted(sb - sa)[:1]}")
        return 1
    if not ra:
        print("both results empty (the query matched nothing: check the corpus)")
        return 1
    print("OK")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("ingest")
    p.add_argument("--tsv", required=True)
    p.add_argument("--records", type=int, required=True)
    p.add_argument("--summary")
    p.add_argument("--count-csv")
    p.add_argument("--peer-json", action="append", default=[])
    p.add_argument("--gz-bytes", type=int)
    p.add_argument("--raw-bytes", type=int)
    p = sub.add_parser("query")
    p.add_argument("--tsv", required=True)
    p.add_argument("--compare", action="append", default=[])
    p.add_argument("--max-ratio", type=float, default=QUERY_MAX_RATIO)
    p.add_argument("--engine-seconds", action="append", default=[])
    p = sub.add_parser("memory")
    p.add_argument("--tsv", required=True)
    p.add_argument("--check", action="append", default=[])
    p.add_argument("--max-rss-mib", type=float, default=MAX_RSS_MIB)
    p = sub.add_parser("compare")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--top", type=int)
    a = ap.parse_args()
    return {"ingest": cmd_ingest, "query": cmd_query, "memory": cmd_memory,
            "compare": cmd_compare}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
