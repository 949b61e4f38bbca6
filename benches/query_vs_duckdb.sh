#!/usr/bin/env bash
# Whole-command query benchmark: `tripline query --format csv` against DuckDB (python
# module) running the same SQL over the same Parquet files of a Tripline lake:
#   read_parquet('LAKE/table=cloudtrail/**/*.parquet', hive_partitioning=true)
# See benches/README.md.
#
#   benches/query_vs_duckdb.sh [--records N] [--files F] [--seed S] [--work DIR]
#                              [--lake DIR] [--runs R] [--no-build]
#
# The lake is --lake DIR, else the one benches/ingest_vs_peers.sh left for the same
# N/F/seed under the work dir (built now, untimed, when missing). Each query runs once
# per engine untimed (warm-up; its output is kept and compared), then R times (default
# 5) per engine, interleaved (tripline, duckdb, tripline, ...). Prints the medians,
# tripline ÷ DuckDB and PASS/FAIL against 1.5×, and checks that both engines return the
# same rows. Exit status: 0 all checks PASS, 1 a FAIL, 2 bad usage or a missing tool.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

records=1000000 files=64 seed=1 work="$ROOT/target/bench-corpus" lake="" runs=5
usage() { sed -n '2,/^source/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records="$(positive_int --records "${2:-}")"; shift 2 ;;
    --files) files="$(positive_int --files "${2:-}")"; shift 2 ;;
    --seed) seed="$(positive_int --seed "${2:-}")"; shift 2 ;;
    --work) work="${2:?--work wants a directory}"; shift 2 ;;
    --lake) lake="${2:?--lake wants a directory}"; shift 2 ;;
    --runs) runs="$(positive_int --runs "${2:-}")"; shift 2 ;;
    --no-build) export NO_BUILD=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 >&2 ;;
  esac
done

# name|SQL|how the two results are compared (all rows, or the top-K rows of a LIMIT K)
QUERIES=(
  "group-by|SELECT event_source, event_name, count(*) FROM cloudtrail GROUP BY 1,2 ORDER BY 3 DESC|all"
  "access-denied-top20|SELECT principal_arn, count(*) FROM cloudtrail WHERE error_code LIKE '%AccessDenied%' OR error_code = 'Client.UnauthorizedOperation' GROUP BY 1 ORDER BY 2 DESC LIMIT 20|20"
)

require_tools duckdb
mkdir -p "$work"
work="$(cd "$work" && pwd)"
build_tripline
key="n$records-f$files-s$seed"
if [ -z "$lake" ]; then
  lake="$work/lake-$key"
  if [ ! -f "$lake.ok" ]; then
    log "no complete lake at $lake: ingesting (untimed)"
    ensure_corpus "$records" "$files" "$seed" "$work"
    rm -rf "$lake"
    "$TRIPLINE" ingest "$CORPUS/AWSLogs" --lake "$lake" --json >"$work/lake-$key.summary.json"
    python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); n=int(sys.argv[2]);
ok = s["records_in"]==n and s["records_quarantined"]==0
print(f"ingested: records_in={s[\"records_in\"]} quarantined={s[\"records_quarantined\"]}", file=sys.stderr)
sys.exit(0 if ok else 1)' "$work/lake-$key.summary.json" "$records" \
      || die "ingest did not store all $records records (see $work/lake-$key.summary.json)"
    touch "$lake.ok"
  fi
fi
[ -d "$lake/table=cloudtrail" ] || die "no cloudtrail table in $lake ($lake/table=cloudtrail missing)"
lake="$(cd "$lake" && pwd)"
nparquet="$(find "$lake/table=cloudtrail" -name '*.parquet' | wc -l)"
log "lake: $lake ($nparquet parquet files, $(du -sh "$lake/table=cloudtrail" | cut -f1))"

out="$work/query-$key.$(date +%Y%m%dT%H%M%S)"
mkdir -p "$out"
export BENCH_TSV="$out/runs.tsv"
: >"$BENCH_TSV"
: >"$out/queries.txt"
compare_args=()
for q in "${QUERIES[@]}"; do
  IFS='|' read -r name sql how <<<"$q"
  printf '%s: %s\n' "$name" "$sql" >>"$out/queries.txt"
  log "query $name: $sql"
  # Warm-up (untimed by the report: run 0 goes to its own TSV) and result check.
  BENCH_TSV="$out/warmup.tsv" measure "tripline $name" 0 "$out/$name.tripline.csv" "$out/$name.tripline.err" \
    "$TRIPLINE" query --lake "$lake" --format csv "$sql" || true
  BENCH_TSV="$out/warmup.tsv" measure "duckdb $name" 0 "$out/$name.duckdb.csv" "$out/$name.duckdb.err" \
    python3 "$BENCH_DIR/duckdb_query.py" --lake "$lake" "$sql" || true
  top=(); [ "$how" = all ] || top=(--top "$how")
  verdict="$(python3 "$BENCH_DIR/bench_report.py" compare "$out/$name.tripline.csv" \
    "$out/$name.duckdb.csv" "${top[@]}" || true)"
  compare_args+=(--compare "$name=$verdict" --engine-seconds "$name=$out/$name.duckdb.engine")
  for ((r = 1; r <= runs; r++)); do
    measure "tripline $name" "$r" /dev/null "$out/$name.tripline.err" \
      "$TRIPLINE" query --lake "$lake" --format csv "$sql" || true
    measure "duckdb $name" "$r" /dev/null "$out/$name.duckdb.err" \
      python3 "$BENCH_DIR/duckdb_query.py" --lake "$lake" \
      --engine-seconds "$out/$name.duckdb.engine" "$sql" || true
  done
done
for f in "$out"/*.err; do
  [ -s "$f" ] && log "stderr of $(basename "$f" .err) (last lines):" && tail -n 5 "$f" >&2
done

echo
cat "$out/queries.txt"
rc=0
python3 "$BENCH_DIR/bench_report.py" query --tsv "$BENCH_TSV" "${compare_args[@]}" \
  | tee "$out/report.md" || rc=$?
echo
echo "logs, figures and both engines' results: $out"
exit "$rc"
