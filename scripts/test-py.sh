#!/usr/bin/env bash
# The Python client (client-py/): builds the wheel with maturin (from PyPI,
# in a venv of its own), installs it in a fresh venv as a user would, checks
# a sample program with mypy --strict, and runs the pytest suite against the
# demo server (and against the original Python Swill where it can be
# installed from PyPI; skipped with the reason where it cannot).
# Safe to run again and again: each install step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_INCREMENTAL=0

step() { printf '\n==> %s\n' "$*"; }

target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
work="$target/py"
mkdir -p "$work"

step "Python client: python3 -m venv works (Debian's python3-venv when it does not)"
if ! python3 -m venv "$work/probe-venv" >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  $sudo apt-get install -y python3-venv
  python3 -m venv "$work/probe-venv"
fi
rm -rf "$work/probe-venv"

step "Python client: the openssl CLI (test_tls.py makes its certificate with it)"
if ! command -v openssl >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  $sudo apt-get install -y openssl
fi

step "Python client: maturin, in a build venv"
if [ ! -x "$work/build-venv/bin/maturin" ]; then
  rm -rf "$work/build-venv"
  python3 -m venv "$work/build-venv"
  "$work/build-venv/bin/pip" install --quiet "maturin>=1.9,<2"
fi

step "Python client: build the wheel (abi3, CPython >= 3.9)"
rm -rf "$work/wheels"
start=$(date +%s)
"$work/build-venv/bin/maturin" build --locked --strip \
  --manifest-path client-py/Cargo.toml --interpreter python3 --out "$work/wheels"
echo "wheel built in $(( $(date +%s) - start )) s: $(ls "$work/wheels")"

step "Python client: a fresh venv installs the wheel, pytest and mypy"
rm -rf "$work/test-venv"
python3 -m venv "$work/test-venv"
py="$work/test-venv/bin/python"
"$py" -m pip install --quiet "pytest>=8,<9" "pytest-asyncio>=1,<2" "mypy>=1.10,<3"
"$py" -m pip install --quiet "$work"/wheels/swill_client-*.whl
# The original Python Swill, for test_original_swill.py, when PyPI has it.
if ! missing="$("$py" -m pip install --quiet swill 2>&1)"; then
  reason="the original Python Swill (PyPI \`swill\`) cannot be installed here: $(printf '%s' "$missing" | grep -m1 'ERROR' || printf '%s' "$missing" | tail -n1)"
  echo "skipping the original Python Swill: $reason"
  export SWILL_ORIGINAL_MISSING="$reason"
fi

step "Python client: typing (mypy --strict): the package, a sample program, the example, and mistakes it must catch"
(
  cd client-py/tests
  "$py" -m mypy --strict --no-incremental -p swill_client
  "$py" -m mypy --strict --no-incremental sample_typed.py ../examples/tour.py
  # sample_wrong.py marks each line mypy must reject with "# error:".
  expected="$(grep -c '# error:' sample_wrong.py)"
  found="$("$py" -m mypy --strict --no-incremental sample_wrong.py | grep -c ': error:' || true)"
  if [ "$found" != "$expected" ]; then
    "$py" -m mypy --strict --no-incremental sample_wrong.py || true
    echo "mypy found $found errors in sample_wrong.py, expected $expected" >&2
    exit 1
  fi
  echo "mypy rejects the $found mistakes of sample_wrong.py"
)

step "Python client: pytest against the demo server"
cargo build -p swill-examples --bin demo --locked
export SWILL_DEMO_BIN="$target/debug/demo"
(cd client-py && "$py" -m pytest -rs -p no:cacheprovider tests)
