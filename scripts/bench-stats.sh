#!/usr/bin/env bash
# Benchmarks the pages that read run statistics (issue 8) with 1,000,000 runs over 90 days for
# 100 workflows: the dashboard over each range, a busy workflow's page with its charts, the
# organization's runs with and without filters, and a workflow's versions. Release build, load
# from wrk on loopback; p50 and p99 per page. Figures go to BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${BENCH_PORT:-3200}
duration=${BENCH_SECONDS:-10}
# One connection: how long a page takes for one person; more measure it under load.
connections=${BENCH_CONNECTIONS:-1}
threads=$(( connections < 2 ? 1 : 2 ))
# BENCH_REUSE=1 keeps the database loaded by the last run (only the server is rebuilt).
reuse=${BENCH_REUSE:-0}

command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
if [ -z "${DATABASE_URL:-}" ]; then pg_env=$(scripts/pg.sh); eval "$pg_env"; fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1)
db=sy_bench_stats
url="${DATABASE_URL%/*}/$db"
cargo build --release -p server --bin switchyard 2>&1 | tail -1
if [ "$reuse" = 1 ]; then
  DATABASE_URL=$url target/release/switchyard migrate >/dev/null
else
  "${psql[@]}" "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  DATABASE_URL=$url target/release/switchyard seed-demo >/dev/null

# The histogram's buckets, as src/stats.rs has them.
bounds="10,25,50,100,250,500,1000,2500,5000,10000,30000,60000,300000"
buckets=$(seq 0 13 | sed 's/.*/count(*) FILTER (WHERE bucket = &)/' | paste -sd, -)

echo "## loading 100 workflows and 1,000,000 runs over 90 days"
start=$(date +%s)
"${psql[@]}" "$url" <<SQL
CREATE TEMP TABLE bench AS SELECT o.id AS org, e.id AS event FROM organizations o
  JOIN events e ON e.org_id = o.id WHERE o.slug = 'acme' LIMIT 1;
INSERT INTO workflows (id, org_id, name, trigger_event, steps, status, version, created_at)
SELECT 'workflow_s' || lpad(i::text, 7, '0'), b.org, 'Stats workflow ' || i, 'Order.placed',
       '[{"action":"Customer.create","mapping":{"name":"order.name"}},{"action":"Task.create","mapping":{"subject":"order.name"}}]',
       'Activated', 2, now() - interval '100 days'
FROM generate_series(1, 100) AS i, bench b;
INSERT INTO workflow_versions (workflow_id, version, org_id, snapshot, created_at)
SELECT w.id, v, w.org_id, jsonb_build_object('name', w.name, 'description', '', 'trigger_event', w.trigger_event,
       'steps', w.steps, 'retry_policy', null, 'error_handling', 'Stop', 'timeout_ms', null),
       CASE v WHEN 1 THEN now() - interval '100 days' ELSE now() - interval '20 days' END
FROM workflows w, generate_series(1, 2) AS v WHERE w.name LIKE 'Stats workflow %';
-- A million runs: one in twenty fails at step 2 (one workflow in ten fails one in three since its
-- version 2), spread over 90 days, each with its duration.
CREATE TEMP TABLE stats_workflows AS SELECT id FROM workflows WHERE name LIKE 'Stats workflow %';
CREATE TEMP TABLE made AS
SELECT 'run_s' || lpad(i::text, 7, '0') AS id, 'workflow_s' || lpad((1 + i % 100)::text, 7, '0') AS workflow,
       now() - (i::float8 / 1000000) * interval '90 days' AS at, i
FROM generate_series(1, 1000000) AS i;
INSERT INTO runs (id, org_id, workflow_id, workflow_version, event_id, status, next_step, run_at, fence,
                  queued_at, started_at, finished_at, attempt, depth, failed_step, error, failure_group)
SELECT m.id, b.org, m.workflow, CASE WHEN m.at > now() - interval '20 days' THEN 2 ELSE 1 END, b.event,
       CASE WHEN f.failed THEN 'Failed' ELSE 'Succeeded' END, 2, m.at, 1,
       m.at, m.at, m.at + (40 + m.i % 900) * interval '1 millisecond', 0, 0,
       CASE WHEN f.failed THEN 1 END,
       CASE WHEN f.failed THEN 'Step 2 (Task.create): There is no Customer customer_' || lpad((m.i % 99999)::text, 8, '0') END,
       CASE WHEN f.failed THEN md5(m.workflow)::text END
FROM made m, bench b,
     LATERAL (SELECT (m.i % 20 = 0) OR (m.i % 100 < 10 AND m.at > now() - interval '20 days' AND m.i % 3 = 0) AS failed) f;
INSERT INTO run_stats (workflow_id, version, hour, org_id, started, succeeded, failed, timed_out, cancelled, duration_ms_sum, durations)
SELECT workflow_id, workflow_version, date_trunc('hour', started_at), org_id, count(*),
       count(*) FILTER (WHERE status = 'Succeeded'), count(*) FILTER (WHERE status = 'Failed'), 0, 0,
       sum(extract(epoch FROM finished_at - started_at) * 1000)::int8, ARRAY[$buckets]
FROM (SELECT r.*, width_bucket(extract(epoch FROM finished_at - started_at) * 1000, ARRAY[$bounds]::float8[]) AS bucket
      FROM runs r WHERE r.workflow_id IN (SELECT id FROM stats_workflows)) r
GROUP BY 1, 2, 3, 4;
-- The organization's hours and each workflow's days, as the fold keeps them.
INSERT INTO run_stats_org
SELECT org_id, hour, sum(started), sum(succeeded), sum(failed), sum(timed_out), sum(cancelled),
       sum(duration_ms_sum), sum_histogram(durations)
FROM run_stats WHERE workflow_id IN (SELECT id FROM stats_workflows) GROUP BY org_id, hour
ON CONFLICT (org_id, hour) DO UPDATE SET
  started = run_stats_org.started + excluded.started, succeeded = run_stats_org.succeeded + excluded.succeeded,
  failed = run_stats_org.failed + excluded.failed, timed_out = run_stats_org.timed_out + excluded.timed_out,
  cancelled = run_stats_org.cancelled + excluded.cancelled,
  duration_ms_sum = run_stats_org.duration_ms_sum + excluded.duration_ms_sum,
  durations = histogram_add(run_stats_org.durations, excluded.durations);
INSERT INTO run_stats_daily
SELECT workflow_id, version, date_trunc('day', hour, 'UTC'), min(org_id), sum(started), sum(succeeded),
       sum(failed), sum(timed_out), sum(cancelled), sum(duration_ms_sum)
FROM run_stats WHERE workflow_id IN (SELECT id FROM stats_workflows) GROUP BY 1, 2, 3;
INSERT INTO failure_groups (key, org_id, workflow_id, step, fingerprint, error, runs, first_seen, last_seen, versions, sample_run)
SELECT failure_group, org_id, workflow_id, 1, 'Step # (Task.create): There is no Customer <id>', max(error), count(*),
       min(finished_at), max(finished_at), array_agg(DISTINCT workflow_version), max(id)
FROM runs WHERE failure_group IS NOT NULL AND workflow_id IN (SELECT id FROM stats_workflows) GROUP BY 1, 2, 3;
INSERT INTO failure_group_hours (key, hour, org_id, runs)
SELECT failure_group, date_trunc('hour', finished_at), org_id, count(*)
FROM runs WHERE failure_group IS NOT NULL AND workflow_id IN (SELECT id FROM stats_workflows) GROUP BY 1, 2, 3;
ANALYZE;
SQL
echo "loaded in $(( $(date +%s) - start )) s"
fi

DATABASE_URL=$url LEPTOS_SITE_ADDR=127.0.0.1:$port RUST_LOG=warn \
  target/release/switchyard serve >/tmp/switchyard-bench-stats.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/login" >/dev/null && break; sleep 0.2; done

jar=$(mktemp)
curl -s -c "$jar" -o /dev/null -H 'Accept: application/json' -H "Origin: http://127.0.0.1:$port" \
  --data-urlencode email=admin@acme.test --data-urlencode password=switchyard-demo "http://127.0.0.1:$port/api/login"
cookie=$(awk '$6 == "switchyard_session" { print $6 "=" $7 }' "$jar")
busy=workflow_s0000010
group=$("${psql[@]}" -tA "$url" -c "SELECT key FROM failure_groups ORDER BY runs DESC LIMIT 1")

load() {
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "http://127.0.0.1:$port$1")
  echo "## GET $1 (HTTP $status, $connections connections, ${duration}s)"
 wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -H "Cookie: $cookie" "http://127.0.0.1:$port$1" \
    | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors'
}
for range in 24h 7d 30d 90d; do load "/o/acme/dashboard?range=$range"; done
load "/o/acme/workflows/$busy?range=30d"
load "/o/acme/workflows/$busy?range=90d"
load "/o/acme/runs"
load "/o/acme/runs?status=Failed&range=7d"
load "/o/acme/runs?group=$group"
load "/o/acme/runs?error=customer_00001"
load "/o/acme/workflows/$busy/runs?status=Failed"
load "/o/acme/workflows/$busy/versions?a=1&b=2"
