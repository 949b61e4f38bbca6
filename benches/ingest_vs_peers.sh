#!/usr/bin/env bash
# Whole-command ingest benchmark: `tripline ingest` (gz -> Parquet lake) against `zcat` of
# the same files (the decompression floor) and DuckDB (read_json + unnest Records + COPY
# to Parquet), on one synthetic CloudTrail corpus. See benches/README.md.
#
#   benches/ingest_vs_peers.sh [--records N] [--files F] [--seed S] [--work DIR]
#                              [--runs R] [--peer-runs P] [--duckdb both|auto|flat|none]
#                              [--no-build]
#
# Defaults: 1,000,000 records in 64 gz files, seed 1, work dir target/bench-corpus (the
# corpus is cached there between runs, keyed by N/F/seed), 3 runs of zcat and tripline,
# 1 run of each DuckDB variant (at 1M records on 2 cores: auto ~70 s, flat ~150 s; ~4 GiB).
# Rounds are interleaved (zcat, tripline, duckdb, zcat, tripline, ...) so drift in the
# machine's speed hits every command alike. Exit status: 0 all checks PASS, 1 a FAIL,
# 2 bad usage or a missing tool.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

records=1000000 files=64 seed=1 work="$ROOT/target/bench-corpus"
runs=3 peer_runs=1 duckdb=both
usage() { sed -n '2,/^source/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records="$(positive_int --records "${2:-}")"; shift 2 ;;
    --files) files="$(positive_int --files "${2:-}")"; shift 2 ;;
    --seed) seed="$(positive_int --seed "${2:-}")"; shift 2 ;;
    --work) work="${2:?--work wants a directory}"; shift 2 ;;
    --runs) runs="$(positive_int --runs "${2:-}")"; shift 2 ;;
    --peer-runs) peer_runs="$(positive_int --peer-runs "${2:-}")"; shift 2 ;;
    --duckdb) duckdb="${2:-}"; shift 2
              case "$duckdb" in both|auto|flat|none) ;; *) die "--duckdb both|auto|flat|none" ;; esac ;;
    --no-build) export NO_BUILD=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 >&2 ;;
  esac
done
case "$duckdb" in both) modes=(auto flat) ;; none) modes=() ;; *) modes=("$duckdb") ;; esac

require_tools zcat $([ ${#modes[@]} -gt 0 ] && echo duckdb)
mkdir -p "$work"
work="$(cd "$work" && pwd)"
build_tripline
ensure_corpus "$records" "$files" "$seed" "$work"
read -r gz_bytes raw_bytes <<<"$(corpus_sizes)"

key="n$records-f$files-s$seed"
lake="$work/lake-$key"                      # kept for benches/query_vs_duckdb.sh
out="$work/ingest-$key.$(date +%Y%m%dT%H%M%S)"  # this run's logs and figures
mkdir -p "$out"
export BENCH_TSV="$out/runs.tsv"
: >"$BENCH_TSV"
printf '%s\n' "${CORPUS_FILES[@]}" >"$out/files.txt"
rm -f "$lake.ok"

log "corpus: ${#CORPUS_FILES[@]} files, $((gz_bytes / 1048576)) MiB gz, $((raw_bytes / 1048576)) MiB raw; $(nproc) cores"
log "warming the page cache"
warm_cache

for ((r = 1; r <= runs; r++)); do
  log "round $r/$runs"
  measure "zcat" "$r" /dev/null "$out/zcat.err" zcat -- "${CORPUS_FILES[@]}" || true

  rm -rf "$lake"
  measure "tripline ingest" "$r" "$out/tripline-ingest.json" "$out/tripline-ingest.err" \
    "$TRIPLINE" ingest "$CORPUS/AWSLogs" --lake "$lake" --json || true

  if [ "$r" -le "$peer_runs" ]; then
    for m in "${modes[@]}"; do
      rm -rf "$work/duckdb-out-$m"
      measure "duckdb $m" "$r" "$out/duckdb-$m.json" "$out/duckdb-$m.err" \
        python3 "$BENCH_DIR/duckdb_ingest.py" --mode "$m" --out "$work/duckdb-out-$m" \
        --files-from "$out/files.txt" || true
      rm -rf "$work/duckdb-out-$m"
    done
  fi
done

# Correctness of the last lake: every record stored, none quarantined, all queryable.
"$TRIPLINE" query --lake "$lake" --format csv "SELECT count(*) FROM cloudtrail" \
  >"$out/count.csv" 2>"$out/count.err" || log "tripline query count(*) failed: $(head -c 500 "$out/count.err")"
for f in "$out"/*.err; do
  [ -s "$f" ] && log "stderr of $(basename "$f" .err) (last lines):" && tail -n 5 "$f" >&2
done

peer_args=()
for m in "${modes[@]}"; do peer_args+=(--peer-json "duckdb $m=$out/duckdb-$m.json"); done
rc=0
python3 "$BENCH_DIR/bench_report.py" ingest --tsv "$BENCH_TSV" --records "$records" \
  --summary "$out/tripline-ingest.json" --count-csv "$out/count.csv" \
  --gz-bytes "$gz_bytes" --raw-bytes "$raw_bytes" "${peer_args[@]}" | tee "$out/report.md" \
  || rc=$?
# The lake is reusable by query_vs_duckdb.sh only if it is complete and correct.
if python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); n=int(sys.argv[2]);
sys.exit(0 if s["records_in"]==n and s["records_quarantined"]==0 else 1)' \
    "$out/tripline-ingest.json" "$records" 2>/dev/null; then
  touch "$lake.ok"
fi
echo
echo "logs and figures: $out"
echo "lake (for benches/query_vs_duckdb.sh): $lake"
exit "$rc"
