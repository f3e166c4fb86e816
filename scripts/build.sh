#!/usr/bin/env bash
# Builds what production runs: the server for release and the browser bundle for release
# (wasm-opt -Oz, JavaScript minified, file names hashed, every asset also compressed ahead as
# .br and .gz), into target/release/switchyard and target/site. Run scripts/setup.sh first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# npm's Binaryen first: cargo-leptos takes the first wasm-opt on PATH, and Debian's breaks
# hydration (TOOLCHAIN.md).
export PATH="$root/tools/node_modules/.bin:$PATH"
cargo leptos build --release --precompress "$@"

# cargo-leptos' gzip is a fast level: gzip the bundle again at its best for browsers that take no
# brotli (brotli is already at its best).
for file in target/site/pkg/*; do
  case "$file" in *.gz | *.br) continue ;; esac
  gzip -9 -n -k -f "$file"
done
