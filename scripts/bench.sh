#!/usr/bin/env bash
# Every benchmark, one after the other; each prints its own figures (`make bench`). See bench/README.md.
# AMI_BENCH_QUICK=1 runs smaller sizes and shorter loads (and skips ScanCode) for a quick look.
# AMI_BENCH_ONLY=registry (or licences, harvest, deadline, db) runs one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
quick=${AMI_BENCH_QUICK:-0}
only=${AMI_BENCH_ONLY:-}
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }

if want registry; then
echo "=== public pages under wrk, SQLite and PostgreSQL, and pretalx (bench/registry) ==="
if [ "$quick" = 1 ]; then
  "$py" bench/registry/run.py --projects 1000 --releases-per-project 10 --duration 2 --warmup 1
else
  "$py" bench/registry/run.py
fi
fi

if want licences; then
echo "=== licence detection (bench/licences) ==="
if [ "$quick" = 1 ]; then "$py" bench/licences/run.py --no-scancode; else "$py" bench/licences/run.py; fi
fi

if want harvest; then
echo "=== harvesting (bench/harvest) ==="
if [ "$quick" = 1 ]; then "$py" bench/harvest/run.py --repos 200 --cycles 2; else "$py" bench/harvest/run.py; fi
fi

if want deadline; then
echo "=== submissions at the deadline (bench/deadline) ==="
# Its bar (none lost, none accepted late, no 5xx) is printed; a miss does not stop the other benchmarks.
"$py" bench/deadline/run.py --engine sqlite || echo "bench/deadline (SQLite): exit $?"
scripts/with-postgres.sh "$py" bench/deadline/run.py --engine postgres || echo "bench/deadline (PostgreSQL): exit $?"
fi

if want db && [ -f bench/db/micro.py ]; then
  echo "=== SQLite engines, per statement (bench/db/micro.py) ==="
  PYTHONPATH=. "$py" bench/db/micro.py
fi

