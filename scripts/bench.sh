#!/usr/bin/env bash
# Benchmarks the server-rendered pages: requests/s and latency of the workflow list (10,000
# workflows in the organization, BENCH_WORKFLOWS to change it; the first page and one half-way
# down) and of a workflow page, sign-in time (Argon2id), and the server's memory. Release build,
# load from wrk on loopback. Figures go to BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${BENCH_PORT:-3200}
duration=${BENCH_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-16}
workflows=${BENCH_WORKFLOWS:-10000}

command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
if [ -z "${DATABASE_URL:-}" ]; then pg_env=$(scripts/pg.sh); eval "$pg_env"; fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1)
db=sy_bench
"${psql[@]}" "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
url="${DATABASE_URL%/*}/$db"

cargo build --release -p server --bin switchyard 2>&1 | tail -1
DATABASE_URL=$url LEPTOS_SITE_ADDR=127.0.0.1:$port SWITCHYARD_SEED_DEMO=1 RUST_LOG=warn \
  target/release/switchyard serve >/tmp/switchyard-bench.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/login" >/dev/null && break; sleep 0.2; done

# $workflows more workflows with counters, so that sorting and paging have work to do.
"${psql[@]}" -v n="$workflows" "$url" <<'SQL'
INSERT INTO workflows (id, org_id, name, trigger_event, steps, status, run_count, success_count, failure_count, last_run_at)
SELECT 'workflow_b' || lpad(i::text, 7, '0'), o.id, 'Bench workflow ' || i, 'Deal.won',
       '[{"action":"Customer.create","mapping":{"name":"deal.name"}}]',
       (ARRAY['Draft','Activated','Paused'])[1 + i % 3], i, i - i / 10, i / 10, now() - i * interval '1 minute'
FROM generate_series(1, :n) AS i, organizations o WHERE o.slug = 'acme';
-- As autovacuum does within a minute of so many inserts: the planner reads the table as it
-- now is, and the visibility map lets the list's count read its index alone (without it, the
-- count reads every row: 4 ms instead of 1 under load).
VACUUM ANALYZE workflows;
SQL

jar=$(mktemp)
curl -s -c "$jar" -o /dev/null -H 'Accept: application/json' -H "Origin: http://127.0.0.1:$port" \
  --data-urlencode email=admin@acme.test --data-urlencode password=switchyard-demo "http://127.0.0.1:$port/api/login"
cookie=$(awk '$6 == "switchyard_session" { print $6 "=" $7 }' "$jar")
detail=$("${psql[@]}" -tA "$url" -c "SELECT id FROM workflows WHERE name = 'Customer Onboarding'")

load() {
  echo "## GET $1 ($connections connections, ${duration}s)"
  wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Cookie: $cookie" "http://127.0.0.1:$port$1" \
    | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'
}
# A page half-way down the list by name, as its "Next" link would ask for it.
deep=$("${psql[@]}" -tA "$url" -c "SELECT json_build_object('s', 'name', 'k', lower(name), 'id', id, 'o', $workflows / 2, 'b', false)
  FROM workflows ORDER BY lower(name), id OFFSET $workflows / 2 LIMIT 1" | base64 -w0 | tr '+/' '-_' | tr -d '=')
load "/o/acme/workflows"
load "/o/acme/workflows?sort=name&cursor=$deep"
load "/o/acme/workflows?sort=lastRun"
load "/o/acme/workflows?sort=failureRate&status=Activated&q=bench"
load "/o/acme/workflows/$detail"

echo "## sign-in (Argon2id m=19456 t=2 p=1), 10 in a row"
start=$(date +%s%N)
for _ in $(seq 10); do
  curl -s -o /dev/null -H 'Accept: application/json' -H "Origin: http://127.0.0.1:$port" \
    --data-urlencode email=admin@acme.test --data-urlencode password=switchyard-demo "http://127.0.0.1:$port/api/login"
done
echo "mean $(( ($(date +%s%N) - start) / 10000000 )) ms per sign-in"

echo "## server memory"
grep -E 'VmRSS|VmHWM' "/proc/$server/status"
