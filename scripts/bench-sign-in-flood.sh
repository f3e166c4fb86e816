#!/usr/bin/env bash
# Benchmarks what a flood of wrong sign-ins does to everyone else: a signed-in page's latency
# and a workflow run's time from event to end, first quiet, then while 200 connections send
# wrong passwords as fast as they are answered, each from an address of its own (behind a
# "proxy", SWITCHYARD_TRUST_PROXY=1, so the per-address throttle never stops them) and for an
# email of its own (no account lock either): every attempt costs a full Argon2 check. Release
# build, load from wrk on loopback. Figures go to BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${BENCH_PORT:-3200}
duration=${BENCH_SECONDS:-15}
flood=${BENCH_FLOOD:-200}

command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
if [ -z "${DATABASE_URL:-}" ]; then pg_env=$(scripts/pg.sh); eval "$pg_env"; fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1)
db=sy_bench_flood
"${psql[@]}" "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
url="${DATABASE_URL%/*}/$db"
base="http://127.0.0.1:$port"

cargo build --release -p server --bin switchyard 2>&1 | tail -1
DATABASE_URL=$url LEPTOS_SITE_ADDR=127.0.0.1:$port SWITCHYARD_SEED_DEMO=1 SWITCHYARD_TRUST_PROXY=1 \
  RUST_LOG=warn target/release/switchyard serve >/tmp/switchyard-bench-flood.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "$base/login" >/dev/null && break; sleep 0.2; done

jar=$(mktemp)
curl -s -c "$jar" -o /dev/null -H 'Accept: application/json' -H "Origin: $base" \
  --data-urlencode email=admin@acme.test --data-urlencode password=switchyard-demo "$base/api/login"
cookie=$(awk '$6 == "switchyard_session" { print $6 "=" $7 }' "$jar")
key=$(DATABASE_URL=$url target/release/switchyard create-api-key --org acme --name bench --scopes events:write,read | grep '^sy_')

# Ten runs of the demo's Customer Onboarding, one after another: event posted to run ended.
runs() {
  local times=()
  for i in $(seq 10); do
    local start id status
    start=$(date +%s%N)
    id=$(curl -s -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
      -d "{\"type\":\"Deal.won\",\"data\":{\"name\":\"Bench $i\",\"plan\":\"pro\",\"contact\":{\"name\":\"Ada\"}}}" \
      "$base/~acme/events" | sed -E 's/.*"runs":\["([^"]+)".*/\1/')
    for _ in $(seq 400); do
      status=$(curl -s -H "Authorization: Bearer $key" "$base/~acme/runs/$id" | sed -E 's/.*"status":"([A-Za-z]+)".*/\1/')
      case $status in Succeeded|Failed|TimedOut|Cancelled) break ;; esac
      sleep 0.02
    done
    times+=($(( ($(date +%s%N) - start) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "run, event to end (10 in a row): p50 %d ms, max %d ms\n", a[int(NR / 2)], a[NR] }'
}

page() {
  wrk -t1 -c4 -d"${duration}s" --latency -H "Cookie: $cookie" "$base/o/acme/workflows" \
    | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'
}

cat >/tmp/flood.lua <<'LUA'
local n = 0
request = function()
  n = n + 1
  local id = math.random(1, 2000000000)
  local body = "email=nobody" .. id .. "%40flood.test&password=wrong+guess+" .. n
  return wrk.format("POST", "/api/login", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
    ["Origin"] = "http://127.0.0.1:" .. os.getenv("BENCH_PORT_LUA"),
    ["X-Forwarded-For"] = (id % 223 + 1) .. "." .. (id % 251) .. "." .. (id % 241) .. "." .. (id % 239 + 1),
  }, body)
end
LUA

echo "## quiet"
page
runs
echo "## during $flood connections of wrong sign-ins"
BENCH_PORT_LUA=$port wrk -t2 -c"$flood" -d"$((duration * 2 + 20))s" --timeout 30s --latency -s /tmp/flood.lua "$base" >/tmp/flood.out 2>&1 &
flooder=$!
sleep 3
page
runs
wait $flooder
echo "## the flood's own answers"
grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors|requests in' /tmp/flood.out
echo "## server memory"
grep -E 'VmRSS|VmHWM' "/proc/$server/status"
