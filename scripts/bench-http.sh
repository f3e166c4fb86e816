#!/usr/bin/env bash
# Benchmarks HTTP steps (issue 27): runs of one HTTP step to a local endpoint answering in
# 50 ms, with light runs of another organization queued beside them (see
# server/benches/http_steps.rs). Figures go to BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -z "${DATABASE_URL:-}" ]; then pg_env=$(scripts/pg.sh); eval "$pg_env"; fi
cargo bench -p server --bench http_steps
