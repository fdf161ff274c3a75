#!/usr/bin/env bash
# Runs every test of the project, installing what it needs first.
# Safe to run again and again: each install step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain: wasm32 target"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

step "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "the wire crate and the client's session build for wasm32 (no tokio, no sockets)"
cargo build -p swill-proto --target wasm32-unknown-unknown --locked
cargo build -p swill-client --no-default-features --target wasm32-unknown-unknown --locked

step "rust tests"
cargo test --workspace --locked
