#!/usr/bin/env bash
# The playground (server/playground/) embeds the browser build of the
# TypeScript client in the server binary, so it must be a file in the repo
# when the server compiles. This copies that build from client-wasm/pkg/
# (made by client-wasm/build.sh) to server/playground/vendor/.
#
#   scripts/vendor-playground.sh          copy the fresh build into vendor/
#   scripts/vendor-playground.sh --check  fail unless vendor/ equals the fresh build
#
# The test command runs --check right after building the client, so the
# embedded copy cannot lag behind the client's sources.
set -euo pipefail
cd "$(dirname "$0")/.."
built=client-wasm/pkg
vendor=server/playground/vendor
files=(swill_wasm.js swill_wasm_bg.wasm)

if [ ! -f "$built/swill_wasm_bg.wasm" ]; then
  echo "vendor-playground.sh: no build in $built; run client-wasm/build.sh first" >&2
  exit 1
fi

if [ "${1:-}" = "--check" ]; then
  for f in "${files[@]}"; do
    if ! cmp -s "$built/$f" "$vendor/$f"; then
      echo "vendor-playground.sh: $vendor/$f differs from the fresh build in $built." >&2
      echo "  Run scripts/vendor-playground.sh and commit $vendor/." >&2
      exit 1
    fi
  done
  echo "the playground embeds the current build of the TypeScript client"
  exit 0
fi

mkdir -p "$vendor"
for f in "${files[@]}"; do
  cp "$built/$f" "$vendor/$f"
done
echo "copied ${files[*]} to $vendor/"
