#!/usr/bin/env bash
# The whole suite on both engines: SQLite and a throw-away PostgreSQL server.
# The two runs go side by side (one per core); AMI_TEST_SERIAL=1 runs them one after the other.
set -uo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
logs=$(mktemp -d /tmp/ami-tests.XXXXXX)

echo "=== lint (ruff) ==="
"$py" -m ruff check app registry harvesters tests bench || exit 1

run_sqlite() { AMI_TEST_ENGINE=sqlite "$py" -m pytest -q -p no:cacheprovider "$@"; }
run_postgres() { scripts/with-postgres.sh env AMI_TEST_ENGINE=postgres "$py" -m pytest -q -p no:cacheprovider "$@"; }

if [ "${AMI_TEST_SERIAL:-0}" = "1" ]; then
  echo "=== tests on SQLite ==="; run_sqlite "$@"; sqlite_rc=$?
  echo "=== tests on PostgreSQL ==="; run_postgres "$@"; postgres_rc=$?
else
  run_sqlite "$@" >"$logs/sqlite.log" 2>&1 & sqlite_pid=$!
  run_postgres "$@" >"$logs/postgres.log" 2>&1 & postgres_pid=$!
  wait "$sqlite_pid"; sqlite_rc=$?
  wait "$postgres_pid"; postgres_rc=$?
  echo "=== tests on SQLite ==="; cat "$logs/sqlite.log"
  echo "=== tests on PostgreSQL ==="; cat "$logs/postgres.log"
fi
rm -rf "$logs"
echo "=== SQLite: exit $sqlite_rc; PostgreSQL: exit $postgres_rc ==="
[ "$sqlite_rc" = 0 ] && [ "$postgres_rc" = 0 ]
