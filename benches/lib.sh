# Shared helpers for the whole-command benchmarks in benches/*.sh. Source it; don't run it.
#
# Every measurement is of a whole process, start-up included: wall seconds from bash's
# monotonic-enough $EPOCHREALTIME around the child, user/sys seconds and peak RSS from
# GNU time (`/usr/bin/time`, package `time`), i.e. the kernel's own accounting of the
# finished child. Measurements are appended as TSV rows to $BENCH_TSV:
#     label  run  wall_s  user_s  sys_s  peak_rss_kb  exit_code
# and benches/bench_report.py turns them into medians, tables and PASS/FAIL lines.

set -euo pipefail
export LC_ALL=C   # '.' as the decimal point in $EPOCHREALTIME and printf

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
GEN_CLOUDTRAIL="${GEN_CLOUDTRAIL:-$ROOT/../shared/tools/gen_cloudtrail.py}"
GNU_TIME="${GNU_TIME:-/usr/bin/time}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

# elapsed T0 T1: seconds between two $EPOCHREALTIME readings, 3 decimals.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# human N: 1000000 -> 1M, 20000 -> 20k.
human() {
  awk -v n="$1" 'BEGIN { if (n % 1000000 == 0) printf "%dM", n / 1000000;
                         else if (n % 1000 == 0) printf "%dk", n / 1000; else printf "%d", n }'
}

# require_tools: fail early, naming what is missing and how to get it.
require_tools() {
  [ -x "$GNU_TIME" ] || die "$GNU_TIME not found (GNU time: apt-get install -y time)"
  "$GNU_TIME" -f '%M' true 2>/dev/null || die "$GNU_TIME is not GNU time (needs -f %M)"
  command -v python3 >/dev/null || die "python3 not found"
  local t
  for t in "$@"; do
    case "$t" in
      duckdb) python3 -c 'import duckdb' 2>/dev/null \
                || die "python module duckdb missing (python3 -m pip install duckdb)" ;;
      *) command -v "$t" >/dev/null || die "$t not found" ;;
    esac
  done
}

# positive_int NAME VALUE: validates a numeric option (underscores/commas allowed: 1_000_000).
positive_int() {
  local v="${2//[_,]/}"
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || die "$1 wants a positive integer, got '$2'"
  printf '%s' "$v"
}

# build_tripline: sets TRIPLINE to the release binary. $TRIPLINE_BIN (an existing binary)
# skips the build; so does NO_BUILD=1 when target/release/tripline exists.
build_tripline() {
  if [ -n "${TRIPLINE_BIN:-}" ]; then
    [ -x "$TRIPLINE_BIN" ] || die "TRIPLINE_BIN=$TRIPLINE_BIN is not an executable"
    TRIPLINE="$TRIPLINE_BIN"
  else
    TRIPLINE="$ROOT/target/release/tripline"
    if [ "${NO_BUILD:-0}" = 1 ] && [ -x "$TRIPLINE" ]; then
      log "using existing $TRIPLINE (--no-build)"
    else
      log "building: cargo build --release --locked --bin tripline"
      (cd "$ROOT" && cargo build --release --locked --bin tripline) >&2 \
        || { echo "error: release build failed" >&2; exit 1; }
    fi
  fi
  log "tripline: $TRIPLINE ($("$TRIPLINE" --version 2>/dev/null || echo 'no --version'))"
}

# ensure_corpus RECORDS FILES SEED WORK: sets CORPUS (the generator's --out dir, holding
# AWSLogs/... and MANIFEST.json) and CORPUS_FILES (array of the .json.gz files, sorted).
# The corpus is cached under WORK, keyed by records/files/seed and the generator's hash.
ensure_corpus() {
  local n="$1" f="$2" seed="$3" work="$4"
  [ -f "$GEN_CLOUDTRAIL" ] || die "generator not found: $GEN_CLOUDTRAIL (set GEN_CLOUDTRAIL)"
  local gen_hash; gen_hash="$(sha256sum "$GEN_CLOUDTRAIL" | cut -c1-16)"
  # GEN_SPAN_HOURS (optional): the time span of the corpus (the generator's default is a
  # day; baselines want a week); part of the cache key when set.
  CORPUS="$work/cloudtrail-n$n-f$f-s$seed${GEN_SPAN_HOURS:+-h$GEN_SPAN_HOURS}"
  local stamp="$CORPUS/.complete"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$gen_hash" ]; then
    log "corpus cached: $CORPUS"
  else
    rm -rf "$CORPUS"
    mkdir -p "$work"
    log "generating corpus: $n records in $f gz files -> $CORPUS"
    local t0=$EPOCHREALTIME
    python3 "$GEN_CLOUDTRAIL" --records "$n" --files "$f" --out "$CORPUS" --seed "$seed" \
      --workers "${GEN_WORKERS:-2}" ${GEN_SPAN_HOURS:+--span-hours "$GEN_SPAN_HOURS"} >&2
    log "generated in $(elapsed "$t0" "$EPOCHREALTIME") s"
    printf '%s' "$gen_hash" >"$stamp"
  fi
  mapfile -t CORPUS_FILES < <(find "$CORPUS/AWSLogs" -type f -name '*.json.gz' | LC_ALL=C sort)
  [ "${#CORPUS_FILES[@]}" -gt 0 ] || die "no .json.gz files under $CORPUS/AWSLogs"
  local manifest_n
  manifest_n="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records"])' \
    "$CORPUS/MANIFEST.json")"
  [ "$manifest_n" = "$n" ] || die "$CORPUS/MANIFEST.json says $manifest_n records, expected $n"
}

# corpus_sizes: prints "<gz bytes> <uncompressed bytes>" of the cached corpus.
corpus_sizes() {
  local gz; gz="$(du -cb "${CORPUS_FILES[@]}" | tail -n1 | cut -f1)"
  local raw
  raw="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["uncompressed_bytes"])' \
    "$CORPUS/MANIFEST.json")"
  printf '%s %s' "$gz" "$raw"
}

# warm_cache: reads the corpus once so that every command starts from the page cache.
warm_cache() { cat "${CORPUS_FILES[@]}" >/dev/null; }

# measure LABEL RUN OUT ERR CMD...: runs CMD once (stdout to OUT, stderr to ERR), appends
# a row to $BENCH_TSV and returns CMD's exit code. Times the whole process.
measure() {
  local label="$1" run="$2" out="$3" err="$4"; shift 4
  local tf; tf="$(mktemp)"
  local t0=$EPOCHREALTIME rc=0
  "$GNU_TIME" -o "$tf" -f 'GNUTIME %U %S %M' "$@" >"$out" 2>"$err" || rc=$?
  local t1=$EPOCHREALTIME
  local line; line="$(grep '^GNUTIME ' "$tf" | tail -n1 || true)"
  rm -f "$tf"
  local user sys rss
  read -r _ user sys rss <<<"${line:-GNUTIME nan nan nan}"
  local wall; wall="$(elapsed "$t0" "$t1")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$run" "$wall" "$user" "$sys" "$rss" "$rc" \
    >>"$BENCH_TSV"
  log "  $label #$run: ${wall}s wall, peak $((${rss/nan/0} / 1024)) MiB, exit $rc"
  return "$rc"
}
