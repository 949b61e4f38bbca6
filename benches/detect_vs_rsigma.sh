#!/usr/bin/env bash
# Whole command against whole command: `tripline detect` (JSON lines in, parse
# included) against RSigma (`rsigma engine eval`), the same SigmaHQ AWS CloudTrail rules
# over the same synthetic CloudTrail JSON lines. RSigma runs on one core whatever the
# machine has; tripline runs twice, as a user runs it (every core) and pinned to one
# core (`taskset -c 0`), so both comparisons are on the page. Reports events/s, peak
# RSS, both ratios (the target is checked on the default, all-core command), and
# whether both matched the same number of events per rule.
#
#   benches/detect_vs_rsigma.sh [--records N (200000)] [--rules DIR] [--runs N (3)]
#                               [--rsigma PATH] [--no-build]
#
# RSigma: `cargo install rsigma --version 0.23.0 --locked --no-default-features
#          --features rsigma-runtime --root /work/tools/rsigma` (about 11 minutes here).
# Rules default to ../shared/data/sigma/rules/cloud/aws/cloudtrail (SigmaHQ, DRL-1.1).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

records=200000 runs=3 seed=5
rules="$ROOT/../shared/data/sigma/rules/cloud/aws/cloudtrail"
rsigma="${RSIGMA:-/work/tools/rsigma/bin/rsigma}"
work="$ROOT/target/bench-corpus"
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records="$(positive_int --records "${2:-}")"; shift 2 ;;
    --runs) runs="$(positive_int --runs "${2:-}")"; shift 2 ;;
    --rules) rules="${2:?--rules wants a folder}"; shift 2 ;;
    --rsigma) rsigma="${2:?--rsigma wants a path}"; shift 2 ;;
    --no-build) export NO_BUILD=1; shift ;;
    -h|--help) sed -n '2,/^source/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
require_tools
[ -x "$rsigma" ] || die "rsigma not found at $rsigma (see the install line in this script's header)"
[ -d "$rules" ] || die "rule folder $rules not found"
build_tripline
mkdir -p "$work"
events="$work/rsigma-$records.jsonl"
if [ ! -s "$events" ]; then
  log "generating $records CloudTrail JSON lines"
  python3 "$GEN_CLOUDTRAIL" --records "$records" --files 4 --seed "$seed" \
    --out "$work/rsigma-$records" --jsonl "$events" >/dev/null
fi
out="$work/rsigma-run.$(date +%Y%m%dT%H%M%S)"
mkdir -p "$out"
export BENCH_TSV="$out/runs.tsv"
: >"$BENCH_TSV"
cat "$events" >/dev/null
for ((r = 1; r <= runs; r++)); do
  log "round $r/$runs"
  measure "tripline detect, one core" "$r" "$out/tripline.jsonl" "$out/tripline.err" \
    taskset -c 0 "$TRIPLINE" detect "$events" --rules "$rules" --json \
    --quarantine "$out/quarantine" || true
  measure "tripline detect, all cores" "$r" "$out/tripline-all.jsonl" "$out/tripline-all.err" \
    "$TRIPLINE" detect "$events" --rules "$rules" --json \
    --quarantine "$out/quarantine" || true
  measure "rsigma" "$r" "$out/rsigma.jsonl" "$out/rsigma.err" \
    taskset -c 0 "$rsigma" engine eval -r "$rules" -e "@$events" || true
done
python3 - "$BENCH_TSV" "$records" "$out/tripline.err" "$out/rsigma.jsonl" <<'PY'
import json, statistics, sys, collections
tsv, n, tri_err, rs_out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = collections.defaultdict(list)
for line in open(tsv):
    label, run, wall, user, sys_, rss, rc = line.rstrip("\n").split("\t")
    rows[label].append((float(wall), int(rss)))
print("| command | runs | wall s median | events/s | peak RSS MiB |")
print("|---|---:|---:|---:|---:|")
med = {}
for label, rs in rows.items():
    w = statistics.median(r[0] for r in rs)
    med[label] = w
    print(f"| `{label}` | {len(rs)} | {w:.2f} | {n / w:,.0f} | {max(r[1] for r in rs) / 1024:.0f} |")
ratio = med["rsigma"] / med["tripline detect, all cores"]
one = med["rsigma"] / med["tripline detect, one core"]
print()
print(f"tripline events/s ÷ rsigma events/s, default command (all cores): {ratio:.1f}x (target >= 5x): {'PASS' if ratio >= 5 else 'FAIL'}")
print(f"the same with tripline pinned to one core: {one:.1f}x")
# Matching events per rule: tripline's --json summary (stderr) has hits_by_rule (title -> events);
# rsigma prints one JSON match per line with the rule title.
err = open(tri_err).read()
tri = json.loads(err[err.index("{"):]).get("hits_by_rule", {})
rs = collections.Counter()
for line in open(rs_out):
    line = line.strip()
    if line.startswith("{"):
        try:
            m = json.loads(line)
        except ValueError:
            continue
        title = m.get("rule_title") or m.get("title") or (m.get("rule") or {}).get("title")
        if title:
            rs[title] += 1
same = sum(tri.values()) == sum(rs.values())
print(f"matching events: tripline {sum(tri.values())}, rsigma {sum(rs.values())}: {'SAME' if same else 'DIFFERENT'}")
for t in sorted(set(tri) | set(rs)):
    if tri.get(t, 0) != rs.get(t, 0):
        print(f"  differs: {t}: tripline {tri.get(t, 0)}, rsigma {rs.get(t, 0)}")
PY
