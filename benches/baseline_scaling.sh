#!/usr/bin/env bash
# `tripline baseline build` as the lake grows: wall time, events/s and peak RSS over
# 1M and 10M CloudTrail events spread over a week, under a DataFusion memory limit.
# The target (issue 5): it runs under the limit, spilling rather than failing, and its
# peak memory does not grow with the corpus beyond the limit.
#
#   benches/baseline_scaling.sh [--sizes "RECORDS:FILES ..."] [--memory-limit SIZE]
#                               [--runs R] [--work DIR] [--no-build]
#
# Default sizes "1000000:64 10000000:256", memory limit 512MiB, one run. Each corpus is
# generated once by ../shared/tools/gen_cloudtrail.py (a week of traffic,
# --span-hours 168; the 10M one is 2.4 GB of gzip and takes ~15 minutes to generate)
# and cached under the work dir (default target/bench-corpus); its lake is ingested
# once per size (not timed here: benches/ingest_vs_peers.sh times ingest).
# Exit status: 0 every check PASS, 1 a FAIL, 2 bad usage or a missing tool.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sizes="1000000:64 10000000:256" limit=512MiB runs=1 work="$ROOT/target/bench-corpus"
usage() { sed -n '2,/^source/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="${2:?--sizes wants \"RECORDS:FILES ...\"}"; shift 2 ;;
    --memory-limit) limit="${2:?--memory-limit wants a size like 512MiB}"; shift 2 ;;
    --runs) runs="$(positive_int --runs "${2:-}")"; shift 2 ;;
    --work) work="${2:?--work wants a directory}"; shift 2 ;;
    --no-build) export NO_BUILD=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 >&2 ;;
  esac
done
require_tools
build_tripline
export GEN_SPAN_HOURS=168
out="$work/baseline-run.$(date +%Y%m%dT%H%M%S)"
mkdir -p "$out"
export BENCH_TSV="$out/runs.tsv"
: >"$BENCH_TSV"
for pair in $sizes; do
  n="${pair%%:*}" f="${pair##*:}"
  n="$(positive_int records "$n")" f="$(positive_int files "$f")"
  ensure_corpus "$n" "$f" 1 "$work"
  lake="$CORPUS.lake"
  if [ ! -f "$lake/.complete" ]; then
    rm -rf "$lake"
    log "ingesting $(human "$n") events into $lake"
    "$TRIPLINE" ingest "$CORPUS/AWSLogs" --lake "$lake" --json >&2
    touch "$lake/.complete"
  fi
  for ((r = 1; r <= runs; r++)); do
    rm -rf "$lake/_baselines"
    measure "baseline build $(human "$n")" "$r" "$out/build-$n.out" "$out/build-$n.err" \
      "$TRIPLINE" baseline build --lake "$lake" --memory-limit "$limit" \
      || die "baseline build over $(human "$n") failed: see $out/build-$n.err"
  done
done
python3 - "$BENCH_TSV" "$limit" <<'PY'
import collections, re, statistics, sys
tsv, limit = sys.argv[1], sys.argv[2]
m = re.fullmatch(r"(\d+)\s*(KiB|MiB|GiB)", limit)
limit_mib = int(m.group(1)) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}[m.group(2)]
rows = collections.defaultdict(list)
for line in open(tsv):
    label, run, wall, user, sys_, rss, rc = line.rstrip("\n").split("\t")
    rows[label].append((float(wall), int(rss) / 1024))
def events(label):
    n = label.split()[-1]
    return float(n[:-1]) * (1e6 if n.endswith("M") else 1e3)
print(f"memory limit {limit}")
print("| command | runs | wall s median | events/s | peak RSS MiB |")
print("|---|---:|---:|---:|---:|")
peaks = []
for label, rs in rows.items():
    w = statistics.median(r[0] for r in rs)
    peak = max(r[1] for r in rs)
    peaks.append(peak)
    print(f"| `{label}` | {len(rs)} | {w:.1f} | {events(label) / w:,.0f} | {peak:.0f} |")
# The pool bounds what DataFusion's operators hold; the process also holds a fixed
# part (binary, runtime, Parquet readers). "Does not grow beyond the limit": from the
# smallest corpus to the largest, peak RSS grows by at most the limit.
growth = peaks[-1] - peaks[0] if len(peaks) > 1 else 0.0
ok_growth = growth <= limit_mib
ok_limit = True  # every build above finished under the limit (a failure exits earlier)
print()
print(f"every build finished under --memory-limit {limit}: PASS")
print(f"peak RSS growth from the smallest to the largest corpus {growth:.0f} MiB "
      f"<= the limit ({limit_mib:.0f} MiB): {'PASS' if ok_growth else 'FAIL'}")
sys.exit(0 if ok_limit and ok_growth else 1)
PY
