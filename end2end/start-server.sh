#!/usr/bin/env bash
# Starts the built server for the browser tests on a database of its own, seeded with `acme`:
# the release build (scripts/build.sh), or the one SWITCHYARD_BIN names.
set -euo pipefail
port=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
: "${DATABASE_URL:?DATABASE_URL must be set (scripts/test.sh sets it)}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
psql="${bin:+$bin/}psql"
db="sy_e2e_$(date +%s)"
"$psql" -X -q "$DATABASE_URL" -c "CREATE DATABASE $db"
export DATABASE_URL="${DATABASE_URL%/*}/$db"
export LEPTOS_OUTPUT_NAME=switchyard LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_SITE_ADDR="127.0.0.1:$port" SWITCHYARD_SEED_DEMO=1
# A key of this run's own for the organizations' secrets.
SWITCHYARD_SECRETS_KEY=$("${SWITCHYARD_BIN:-target/release/switchyard}" secrets new-key)
export SWITCHYARD_SECRETS_KEY
# Email on, through a mail server of the tests' own (mail-sink.mjs) on the port after next,
# writing what it takes to target/e2e-mail.jsonl; links in emails start with this address.
mail_port=$((port + 2))
node end2end/mail-sink.mjs "$mail_port" target/e2e-mail.jsonl $$ &
export SWITCHYARD_SMTP_URL="smtp://127.0.0.1:$mail_port?tls=none"
export SWITCHYARD_MAIL_FROM="Switchyard <switchyard@acme.test>"
export SWITCHYARD_PUBLIC_URL="http://127.0.0.1:$port"
# Webhooks go to a receiver of the tests' own (hook-receiver.mjs) on the port after that,
# writing what it gets to target/e2e-hooks.jsonl; this machine's address is let through.
hooks_port=$((port + 3))
node end2end/hook-receiver.mjs "$hooks_port" target/e2e-hooks.jsonl $$ &
export SWITCHYARD_EGRESS_ALLOW=127.0.0.1
# Every request and run end is logged, to a file the last browser test reads for secrets.
export RUST_LOG=${RUST_LOG:-info,tower_sessions=warn}
log=target/e2e-server.log
: >"$log"
exec "${SWITCHYARD_BIN:-target/release/switchyard}" serve >>"$log" 2>&1
