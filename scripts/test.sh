#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every test.
#   ./scripts/test.sh
# - cargo-nextest (if missing), Python packages for the independent-reader tests and
#   the notebooks (duckdb, pyarrow, pyyaml; from requirements-test.txt);
# - builds once (the dev profile, all targets: dependencies unoptimised but for the
#   per-row hot crates, see Cargo.toml), cross-checks the rule library with
#   rules/tools/check_tests.py, runs the whole workspace with nextest;
# - runs the notebooks in notebooks/ when any exist (jupyter nbconvert --execute).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "tools"
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi
python3 -m pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt

step "build"
cargo build --workspace --all-targets --locked 2>&1 | tail -n 3

step "rule library cross-check"
# An independent reader of the rules (rules/tools/check_tests.py): lints the
# metadata, ingests every rule test event with the binary just built (each must land
# in its table, none quarantined) and re-checks each test with a reference evaluator
# that is not the engine.
python3 rules/tools/check_tests.py --bin "${CARGO_TARGET_DIR:-target}/debug/tripline" \
  --out "$(mktemp -d)"

step "tests"
cargo nextest run --workspace --no-fail-fast --locked

shopt -s nullglob
notebooks=(notebooks/*.ipynb)
if [ ${#notebooks[@]} -gt 0 ]; then
  step "notebooks"
  cargo build --release --locked --bin tripline 2>&1 | tail -n 1
  export TRIPLINE_BIN="$PWD/target/release/tripline"
  for nb in "${notebooks[@]}"; do
    python3 -m jupyter nbconvert --to notebook --execute --output-dir "$(mktemp -d)" "$nb"
  done
fi
echo "all tests passed"
