#!/usr/bin/env bash
# Sets up and runs Switchyard, built for release as production runs it, with a demo
# organization. Uses DATABASE_URL when it is set, otherwise a private PostgreSQL cluster under
# data/pg (see scripts/pg.sh).
#
# `scripts/run.sh --dev` serves a debug build instead, rebuilt and restarted on every change
# (cargo leptos watch): slower pages and a far bigger download, for development.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/setup.sh
if [ -z "${DATABASE_URL:-}" ]; then
  # An assignment first: `eval "$(failing)"` would succeed and hide the failure.
  pg_env=$(scripts/pg.sh)
  eval "$pg_env"
fi
export DATABASE_URL
if [ "${1:-}" = "--dev" ]; then
  export SWITCHYARD_SEED_DEMO=${SWITCHYARD_SEED_DEMO:-1}
  echo "Serving the debug build at http://127.0.0.1:3000 (admin@acme.test, switchyard-demo)."
  exec cargo leptos watch
fi
scripts/build.sh

export LEPTOS_OUTPUT_NAME=switchyard
export LEPTOS_SITE_ROOT=${LEPTOS_SITE_ROOT:-target/site}
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_SITE_ADDR=${LEPTOS_SITE_ADDR:-127.0.0.1:3000}
export SWITCHYARD_SEED_DEMO=${SWITCHYARD_SEED_DEMO:-1}
if [ -z "${SWITCHYARD_SECRETS_KEY:-}" ]; then
  # This machine's own key for the organizations' secrets, made once and kept beside the private
  # database (data/ is not in git). In production the operator sets SWITCHYARD_SECRETS_KEY.
  if [ ! -s data/secrets.key ]; then
    mkdir -p data
    (umask 077 && target/release/switchyard secrets new-key > data/secrets.key)
  fi
  SWITCHYARD_SECRETS_KEY=$(cat data/secrets.key)
  export SWITCHYARD_SECRETS_KEY
fi
echo
echo "Open http://$LEPTOS_SITE_ADDR and sign in as admin@acme.test with the password switchyard-demo."
echo "(editor@acme.test and viewer@acme.test have the same password.) Stop with Ctrl-C."
echo
exec target/release/switchyard serve
