#!/usr/bin/env bash
# Builds the npm package `swill-client` from the swill-wasm crate:
#   1. the wasm, release with LTO (profile `wasm-release` of the workspace);
#   2. wasm-bindgen for Node (CommonJS) and for browsers and bundlers (ES module);
#   3. the package folder client-wasm/pkg/ (npm/ holds the hand-written files);
#   4. `npm pack` into client-wasm/dist/, and the sizes into dist/sizes.txt.
# Needs the wasm32-unknown-unknown target and the wasm-bindgen CLI of the
# exact version in Cargo.lock (scripts/test.sh installs both).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root"

wanted="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')"
found="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"
if [ "$wanted" != "$found" ]; then
  echo "build.sh: wasm-bindgen $wanted is needed (found '${found:-none}'):" >&2
  echo "  cargo install wasm-bindgen-cli --version $wanted" >&2
  exit 1
fi

# A `cdylib` only for this artifact: listed in Cargo.toml next to the rlib
# it would silently lose LTO.
cargo rustc -p swill-wasm --lib --crate-type cdylib --profile wasm-release \
  --target wasm32-unknown-unknown --locked
# Where cargo put it: CARGO_TARGET_DIR when set, else the workspace target/.
wasm="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/swill_wasm.wasm"

pkg="$here/pkg"
rm -rf "$pkg"
mkdir -p "$pkg"
for target in nodejs web; do
  out="$pkg/$([ "$target" = nodejs ] && echo node || echo web)"
  # Not `strip = true` in the profile: it drops the target_features section
  # wasm-bindgen reads. These two flags remove what stripping would.
  wasm-bindgen "$wasm" --target "$target" --out-dir "$out" \
    --remove-name-section --remove-producers-section
done
echo '{ "type": "commonjs" }' > "$pkg/node/package.json"
cp "$here/npm/package.json" "$here/npm/index.js" "$here/npm/index.d.ts" "$here/npm/README.md" "$pkg/"

mkdir -p "$here/dist"
rm -f "$here"/dist/swill-client-*.tgz
tarball="$(cd "$pkg" && npm pack --silent --pack-destination "$here/dist")"
tarball="$here/dist/$tarball"

wasm_bytes="$(wc -c < "$pkg/web/swill_wasm_bg.wasm")"
wasm_gzip="$(gzip -9 -c "$pkg/web/swill_wasm_bg.wasm" | wc -c)"
tar_bytes="$(wc -c < "$tarball")"
unpacked="$(du -sb "$pkg" | cut -f1)"
{
  echo "wasm: $wasm_bytes bytes ($wasm_gzip gzipped), one per target"
  echo "tarball: $tar_bytes bytes; unpacked: $unpacked bytes"
} | tee "$here/dist/sizes.txt"
echo "package: $tarball"
