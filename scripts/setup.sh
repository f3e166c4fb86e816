#!/usr/bin/env bash
# Installs what building Switchyard needs, when it is missing: the wasm target, cargo-leptos,
# the wasm-bindgen CLI matching Cargo.lock, wasm-opt (npm's binaryen, under tools/) and (with
# --browser) Chromium and the end-to-end tests' npm packages. Safe to run again: it only installs what is not there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log() { echo "setup: $*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

leptos_version=0.3.10
if ! cargo leptos --version 2>/dev/null | grep -q "$leptos_version"; then
  log "installing cargo-leptos $leptos_version (about ten minutes on two cores)"
  cargo install cargo-leptos --locked --version "$leptos_version"
fi

# cargo-leptos would download wasm-bindgen from GitHub, which this network refuses.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q "$bindgen_version"; then
  log "installing wasm-bindgen-cli $bindgen_version"
  cargo install wasm-bindgen-cli --version "=$bindgen_version"
fi

# wasm-opt for release builds: Binaryen 132 from npm. Debian's binaryen (108) makes wasm that
# throws in Chromium, so hydration never happens. scripts/build.sh puts it first on PATH.
if ! cmp -s tools/package-lock.json tools/node_modules/.installed-lock.json; then
  log "installing wasm-opt (npm binaryen)"
  (cd tools && npm ci --no-audit --no-fund && cp package-lock.json node_modules/.installed-lock.json)
fi

if [ "${1:-}" = "--browser" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian's Chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  fi
  # Installed again whenever package-lock.json changed since the last install.
  if ! cmp -s end2end/package-lock.json end2end/node_modules/.installed-lock.json; then
    log "installing the end-to-end tests' npm packages"
    (cd end2end && npm ci --no-audit --no-fund && cp package-lock.json node_modules/.installed-lock.json)
  fi
fi
