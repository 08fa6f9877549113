#!/usr/bin/env bash
# The whole suite, twice: on SQLite, then on a throw-away PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
args=("$@")

echo "=== tests on SQLite ==="
AMI_TEST_ENGINE=sqlite "$py" -m pytest -q "${args[@]}"

echo "=== tests on PostgreSQL ==="
scripts/with-postgres.sh env AMI_TEST_ENGINE=postgres "$py" -m pytest -q "${args[@]}"
