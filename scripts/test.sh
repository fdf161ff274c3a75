#!/usr/bin/env bash
# Runs every test of the project, installing what it needs first.
# Safe to run again and again: each install step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."
# This script builds each crate once: incremental caches would only add
# gigabytes of disk (a fresh CI machine once ran out).
export CARGO_INCREMENTAL=0

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: wasm32 target"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

step "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p swill-wasm --target wasm32-unknown-unknown --locked -- -D warnings

step "docs: every public item documented, every link resolves"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --lib --locked -p swill-proto -p swill -p swill-client --features swill/redis,swill/spec,swill/testing,swill/tls,swill/metrics

step "the wire crate and the client's session build for wasm32 (no tokio, no sockets)"
cargo build -p swill-proto --target wasm32-unknown-unknown --locked
cargo build -p swill-client --no-default-features --target wasm32-unknown-unknown --locked

step "Debian's redis-server, for the Redis engine's tests (each test starts its own)"
if ! command -v redis-server >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  $sudo apt-get install -y redis-server
fi

step "Debian's openssl, for the TypeScript client's wss tests (certificates made at test time)"
if ! command -v openssl >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  $sudo apt-get install -y openssl
fi

step "rust tests"
# The cluster tests run the demo binary as real server processes; the TLS
# tests run the CLI against it.
cargo build -p swill-examples --bin demo -p swill-client --bin swill --locked
cargo test --workspace --locked

step "benchmark harness, quick mode (a smoke test: it fails on errors, never on figures)"
cargo run -p swill-bench --bin bench --locked -- run --quick > /dev/null
cargo run -p swill-bench --bin bench --locked -- topics --quick > /dev/null

# The TypeScript client (client-wasm/): build the npm package as a release
# would, install the tarball in a test project as a user would, and run its
# tests against the demo server, in Node and in headless Chromium.

step "TypeScript client: wasm-bindgen CLI pinned by Cargo.lock"
wasm_bindgen="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wasm_bindgen" ]; then
  # Not --locked: the CLI's own lockfile pins crates this registry lacks.
  cargo install wasm-bindgen-cli --version "$wasm_bindgen"
fi

step "TypeScript client: Debian's Chromium for the browser test"
if [ ! -x /usr/bin/chromium ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  $sudo apt-get install -y chromium
fi

step "TypeScript client: build and pack swill-client"
./client-wasm/build.sh

step "TypeScript client: a test project installs the tarball, tsc --strict"
cargo build -p swill-examples --bin demo --locked
(
  cd client-wasm/tests
  npm ci --no-audit --no-fund
  npm install --no-save --no-audit --no-fund ../dist/swill-client-*.tgz
  rm -rf dist
  ./node_modules/.bin/tsc -p .
)

step "TypeScript client: tests in Node and in headless Chromium"
demo_bin="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/debug/demo"
(cd client-wasm/tests && SWILL_DEMO_BIN="$demo_bin" node --test dist/test/*.test.js)

step "benchmark peer: the plain JS client the TypeScript client is measured against is correct (benches/js)"
(
  cd benches/js
  npm ci --no-audit --no-fund
  SWILL_DEMO_BIN="$demo_bin" node --test plain-client.test.mjs
)

# ---- Self-documentation (issue 8): the AsyncAPI document, the TypeScript
# code generator and the playground, tested from Node (tests/js/) against the
# demo server. Needs the swill-client tarball built above.

step "self-documentation: the playground embeds the current build of the TypeScript client"
./scripts/vendor-playground.sh --check

step "self-documentation: Debian's Chromium for the playground test"
if [ ! -x /usr/bin/chromium ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  $sudo apt-get install -y chromium
fi

step "self-documentation: AsyncAPI (@asyncapi/parser), codegen (tsc --strict), playground (Chromium)"
cargo build -p swill-client --bin swill -p swill-examples --bin demo --locked
(
  cd tests/js
  npm ci --no-audit --no-fund
  npm install --no-save --no-audit --no-fund ../../client-wasm/dist/swill-client-*.tgz
  rm -rf dist generated
  SWILL_DEMO_BIN="$demo_bin" SWILL_BIN="$(dirname "$demo_bin")/swill" \
    node --test asyncapi.test.mjs codegen.test.mjs playground.test.mjs
)

step "Python client: the wheel (maturin), mypy --strict and pytest against the demo"
./scripts/test-py.sh
