#!/usr/bin/env bash
# Starts Switchyard's private PostgreSQL cluster (creating it on first run) and prints
# `export DATABASE_URL=...` for it. Used when DATABASE_URL is unset:
#   eval "$(scripts/pg.sh)"
# The cluster lives under data/pg of the project and listens on 127.0.0.1:$SWITCHYARD_PG_PORT
# (54329 by default). It is started from the machine's PostgreSQL binaries, which are
# installed from Debian's packages when missing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
port=${SWITCHYARD_PG_PORT:-54329}
log() { echo "pg.sh: $*" >&2; }

find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

bin=$(find_bin || true)
if [ -z "$bin" ]; then
  log "no PostgreSQL binaries found; installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin=$(find_bin)
fi

data="$root/data/pg"
as_owner=()
if [ "$(id -u)" = 0 ]; then
  # initdb refuses to run as root: the cluster belongs to the postgres user.
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  as_owner=(runuser -u postgres --)
  mkdir -p "$root/data"
  if ! runuser -u postgres -- test -x "$root/data"; then
    # The project folder is not reachable by postgres (a home folder, say): keep the cluster elsewhere.
    data="/var/lib/switchyard/$(echo -n "$root" | md5sum | cut -c1-12)/pg"
  fi
fi
cluster="$data/cluster"
sockets="$data/run"
mkdir -p "$sockets"
[ "$(id -u)" = 0 ] && chown -R postgres: "$data"

if [ ! -f "$cluster/PG_VERSION" ]; then
  log "creating the cluster in $cluster"
  "${as_owner[@]}" "$bin/initdb" -D "$cluster" -U postgres -A trust -E UTF8 --no-instructions >/dev/null
fi

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if "${as_owner[@]}" "$bin/pg_ctl" -D "$cluster" status >/dev/null 2>&1; then
  port=$(cat "$data/port" 2>/dev/null || echo "$port")
else
  # Another server on the port (another checkout's cluster, say): take the next free one.
  for _ in $(seq 20); do
    port_taken "$port" || break
    log "port $port is taken; trying $((port + 1))"
    port=$((port + 1))
  done
  echo "$port" > "$data/port"
  log "starting PostgreSQL on 127.0.0.1:$port"
  if ! "${as_owner[@]}" "$bin/pg_ctl" -D "$cluster" -l "$data/postgres.log" -w -t 60 \
    -o "-p $port -k $sockets -c listen_addresses=127.0.0.1 -c max_connections=200 ${SWITCHYARD_PG_OPTIONS:-}" \
    start >/dev/null; then
    log "PostgreSQL did not start. The end of $data/postgres.log:"
    tail -n 5 "$data/postgres.log" >&2
    log "If port $port is taken, choose another with SWITCHYARD_PG_PORT."
    exit 1
  fi
fi

psql=("$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres)
if ! "${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'switchyard'" | grep -q 1; then
  "${psql[@]}" -d postgres -c "CREATE DATABASE switchyard" >/dev/null
fi
if [ "${1:-}" = "--sweep-tests" ]; then
  # Databases left by earlier test runs (each test clones its own).
  for db in $("${psql[@]}" -d postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'sy_test_%' OR datname LIKE 'sy_e2e%'"); do
    "${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null
  done
fi
echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$port/switchyard"
