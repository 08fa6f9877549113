#!/usr/bin/env bash
# Every benchmark, one after the other; each prints its own figures. Takes about 15 minutes.
# AMI_BENCH_QUICK=1 runs smaller sizes (and skips ScanCode) for a quick look.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
quick=${AMI_BENCH_QUICK:-0}

echo "=== licence detection (bench/licences) ==="
if [ "$quick" = 1 ]; then "$py" bench/licences/run.py --no-scancode; else "$py" bench/licences/run.py; fi

echo "=== harvesting (bench/harvest) ==="
if [ "$quick" = 1 ]; then "$py" bench/harvest/run.py --repos 200 --cycles 2; else "$py" bench/harvest/run.py; fi

echo "=== submissions at the deadline (bench/deadline) ==="
"$py" bench/deadline/run.py --engine sqlite
scripts/with-postgres.sh "$py" bench/deadline/run.py --engine postgres

echo "=== public registry (bench/registry) ==="
if [ "$quick" = 1 ]; then
  scripts/with-postgres.sh "$py" bench/registry/run.py --projects 1000 --releases-per-project 10
else
  scripts/with-postgres.sh "$py" bench/registry/run.py
fi
