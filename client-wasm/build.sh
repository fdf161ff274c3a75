#!/usr/bin/env bash
# Builds the npm package `swill-client` from the swill-wasm crate:
#   1. the wasm, release with LTO (profile `wasm-release` of the workspace);
#   2. wasm-bindgen (one ES module for browsers, bundlers and Node), wasm-opt;
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

# wasm-opt -Oz (binaryen, from npm at the exact version below): a few
# percent smaller than rustc's opt-level "z" alone. esbuild (also pinned)
# strips the glue's comments: its doc comments repeat the typings'. Both
# installed once into client-wasm/.tools/ (ignored by git).
binaryen=132.0.0
esbuild=0.28.2
tools="$here/.tools"
wasm_opt="$tools/node_modules/.bin/wasm-opt"
esbuild_bin="$tools/node_modules/.bin/esbuild"
version_of() {
  sed -n 's/^  "version": "\(.*\)",$/\1/p' "$tools/node_modules/$1/package.json" 2>/dev/null || true
}
if [ "$(version_of binaryen)" != "$binaryen" ] || [ ! -x "$wasm_opt" ] ||
   [ "$(version_of esbuild)" != "$esbuild" ] || [ ! -x "$esbuild_bin" ]; then
  npm install --prefix "$tools" --no-audit --no-fund --silent "binaryen@$binaryen" "esbuild@$esbuild"
fi

pkg="$here/pkg"
rm -rf "$pkg"
mkdir -p "$pkg"
bindgen="$(mktemp -d)"
trap 'rm -rf "$bindgen"' EXIT
# One build for browsers, bundlers and Node: the `web` target is an ES
# module whose init takes a URL or the bytes (node.js reads the file).
# --weak-refs: JavaScript's garbage collector frees the Rust side of every
# object, so there is no free() to call. Not `strip = true` in the profile:
# it drops the target_features section wasm-bindgen reads. The two
# --remove flags remove what stripping would.
wasm-bindgen "$wasm" --target web --weak-refs --out-dir "$bindgen" \
  --remove-name-section --remove-producers-section
# The features come from the module's target_features section, which goes
# afterwards (browsers do not read it).
# It also gives imports, exports and the module one- or two-letter names and
# prints the map, which short-names.mjs applies to the glue.
"$wasm_opt" -Oz "$bindgen/swill_wasm_bg.wasm" -o "$pkg/swill_wasm_bg.wasm" --strip-target-features \
  --minify-imports-and-exports-and-modules > "$bindgen/names.json"
node "$here/npm/short-names.mjs" "$bindgen/names.json" "$bindgen/swill_wasm.js"
# Comments only (esbuild drops them): names stay as wasm-bindgen wrote them,
# and so does `new URL("swill_wasm_bg.wasm", import.meta.url)`, which
# bundlers look for. Not --minify-whitespace: Node prints the source line
# of an uncaught error's top frame, which was then the whole 30 KB glue
# (and --line-limit splits `import.meta.url`, which Vite then misses).
"$esbuild_bin" "$bindgen/swill_wasm.js" --format=esm \
  --log-level=warning --outfile="$pkg/swill_wasm.js"
node "$here/npm/typings.mjs" "$bindgen/swill_wasm.d.ts" "$pkg/types.d.ts"
for f in package.json README.md index.js node.js common.js index.d.ts wasm.d.ts; do
  cp "$here/npm/$f" "$pkg/"
done

mkdir -p "$here/dist"
rm -f "$here"/dist/swill-client-*.tgz
tarball="$(cd "$pkg" && npm pack --silent --pack-destination "$here/dist")"
tarball="$here/dist/$tarball"

wasm_bytes="$(wc -c < "$pkg/swill_wasm_bg.wasm")"
wasm_gzip="$(gzip -9 -c "$pkg/swill_wasm_bg.wasm" | wc -c)"
tar_bytes="$(wc -c < "$tarball")"
unpacked="$(du -sb "$pkg" | cut -f1)"
{
  echo "wasm: $wasm_bytes bytes ($wasm_gzip gzipped)"
  echo "tarball: $tar_bytes bytes; unpacked: $unpacked bytes"
} | tee "$here/dist/sizes.txt"
echo "package: $tarball"
