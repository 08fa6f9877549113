#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL server on a free loopback port.
# Exports AMI_TEST_POSTGRES_URL for the command; the server is stopped on exit, even on failure.
set -euo pipefail

pg_bin=""
for dir in /usr/lib/postgresql/*/bin; do
  [ -x "$dir/initdb" ] && pg_bin="$dir"
done
if [ -z "$pg_bin" ]; then
  pg_bin=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
fi
if [ ! -x "$pg_bin/initdb" ]; then
  echo "with-postgres: no PostgreSQL server binaries found (install the 'postgresql' package)" >&2
  exit 1
fi

data=$(mktemp -d /tmp/ami-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
as_pg=()
if [ "$(id -u)" = "0" ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$data"
  as_pg=(runuser -u postgres --)
fi

stop() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data/db" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap stop EXIT INT TERM

"${as_pg[@]}" "$pg_bin/initdb" -D "$data/db" -U ami --auth=trust -E UTF8 --locale=C.UTF-8 >"$data/initdb.log" 2>&1 \
  || { cat "$data/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { cat "$data/server.log" >&2; exit 1; }
"${as_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U ami ami_test

export AMI_TEST_POSTGRES_URL="postgresql://ami@127.0.0.1:$port/ami_test"
echo "with-postgres: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
"$@"
