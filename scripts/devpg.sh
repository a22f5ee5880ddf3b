#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for local test runs and prints its DATABASE_URL.
#   eval "$(bash scripts/devpg.sh 54331)"   # exports DATABASE_URL; stop with: bash scripts/devpg.sh 54331 stop
set -euo pipefail
PORT="${1:?port}"
DIR="/tmp/nfm-devpg-$PORT"
PGBIN=/usr/lib/postgresql/15/bin
AS_PG=(sh -c)
[ "$(id -u)" -eq 0 ] && AS_PG=(su postgres -s /bin/sh -c)
if [ "${2:-start}" = "stop" ]; then
  "${AS_PG[@]}" "$PGBIN/pg_ctl -D '$DIR/data' -m immediate stop" >/dev/null 2>&1 || true
  exit 0
fi
if [ ! -d "$DIR/data" ]; then
  mkdir -p "$DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
  "${AS_PG[@]}" "$PGBIN/initdb -D '$DIR/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >'$DIR/initdb.log'"
fi
"${AS_PG[@]}" "$PGBIN/pg_ctl -D '$DIR/data' status" >/dev/null 2>&1 ||
  "${AS_PG[@]}" "$PGBIN/pg_ctl -D '$DIR/data' -l '$DIR/server.log' -w -o \"-p $PORT -k '$DIR' -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null"
echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/postgres"
