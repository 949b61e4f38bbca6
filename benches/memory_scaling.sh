#!/usr/bin/env bash
# Peak RSS of `tripline ingest` as the corpus grows: the target is <= 256 MiB whatever
# the corpus size. See benches/README.md.
#
#   benches/memory_scaling.sh [--sizes "RECORDS:FILES ..."] [--seed S] [--work DIR]
#                             [--runs R] [--keep-lakes] [--no-build]
#
# Default sizes "1000000:64 10000000:640": 1M and 10M records, the 10M corpus being 10×
# the files of the same size. WARNING: the 10M corpus takes about 2.5 GB of disk (plus
# its lake while it is measured) and several minutes to generate once (it is cached
# under the work dir, default target/bench-corpus, keyed by N/F/seed); each 10M ingest
# then takes about a minute. Lakes are deleted after each size unless --keep-lakes.
# Exit status: 0 all checks PASS, 1 a FAIL, 2 bad usage or a missing tool.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sizes="1000000:64 10000000:640" seed=1 work="$ROOT/target/bench-corpus" runs=1 keep=0
usage() { sed -n '2,/^source/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes="${2:?--sizes wants \"RECORDS:FILES ...\"}"; shift 2 ;;
    --seed) seed="$(positive_int --seed "${2:-}")"; shift 2 ;;
    --work) work="${2:?--work wants a directory}"; shift 2 ;;
    --runs) runs="$(positive_int --runs "${2:-}")"; shift 2 ;;
    --keep-lakes) keep=1; shift ;;
    --no-build) export NO_BUILD=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument: $1" >&2; usage 2 >&2 ;;
  esac
done
declare -a pairs=()
for s in $sizes; do
  [[ "$s" == *:* ]] || die "--sizes entries are RECORDS:FILES, got '$s'"
  pairs+=("$(positive_int records "${s%%:*}"):$(positive_int files "${s##*:}")")
done

require_tools
mkdir -p "$work"
work="$(cd "$work" && pwd)"
build_tripline

# Disk: the generator writes ~243 MB of gz per million records; warn before a big one.
for p in "${pairs[@]}"; do
  n="${p%%:*}" f="${p##*:}"
  if [ ! -f "$work/cloudtrail-n$n-f$f-s$seed/.complete" ]; then
    need_mb=$(( n / 2000 + 100 ))   # ~250 MB gz per 1M records, plus its lake and room to spare
    free_mb=$(( $(df -Pk "$work" | awk 'NR==2 {print $4}') / 1024 ))
    log "corpus of $n records not cached: generating it (needs ~$need_mb MB, $free_mb MB free)"
    [ "$free_mb" -ge "$need_mb" ] || die "not enough disk under $work for $n records"
  fi
done

out="$work/memory.$(date +%Y%m%dT%H%M%S)"
mkdir -p "$out"
export BENCH_TSV="$out/runs.tsv"
: >"$BENCH_TSV"
check_args=()
for p in "${pairs[@]}"; do
  n="${p%%:*}" f="${p##*:}"
  ensure_corpus "$n" "$f" "$seed" "$work"
  read -r gz_bytes raw_bytes <<<"$(corpus_sizes)"
  log "corpus: $n records, ${#CORPUS_FILES[@]} files, $((gz_bytes / 1048576)) MiB gz, $((raw_bytes / 1048576)) MiB raw"
  warm_cache
  lake="$work/memlake-n$n-f$f-s$seed"
  label="tripline ingest, $(human "$n") records"
  for ((r = 1; r <= runs; r++)); do
    rm -rf "$lake"
    measure "$label" "$r" "$out/ingest-$n.json" "$out/ingest-$n.err" \
      "$TRIPLINE" ingest "$CORPUS/AWSLogs" --lake "$lake" --json || true
  done
  [ -s "$out/ingest-$n.err" ] && log "stderr (last lines):" && tail -n 5 "$out/ingest-$n.err" >&2
  check_args+=(--check "$label=$n:$out/ingest-$n.json")
  [ "$keep" = 1 ] || rm -rf "$lake"
done

rc=0
python3 "$BENCH_DIR/bench_report.py" memory --tsv "$BENCH_TSV" "${check_args[@]}" \
  | tee "$out/report.md" || rc=$?
echo
echo "logs and figures: $out"
exit "$rc"
