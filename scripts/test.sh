#!/usr/bin/env bash
# The whole test run, exactly as CI runs it: set-up, quality gates, the test suite on SQLite and on
# a throwaway PostgreSQL 15 cluster (browser tests included), and the benchmarks in short mode.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 poppler-utils postgresql-15 libreoffice-calc-nogui libreoffice-writer-nogui
export PATH="$PWD/.venv/bin:$PATH"

echo "==> 代码格式与静态检查"
ruff format --check src tests bench tools
ruff check src tests bench tools
mypy
lint-imports --no-cache

echo "==> 数据库迁移检查"
NFM_DATA_DIR="$(mktemp -d)" python -m django makemigrations --check --dry-run --settings=nfmaturity.web.settings_test

run_pytest() {
  local label="$1"; shift
  echo "==> 测试（$label）"
  set +e
  python -m pytest "$@"
  local rc=$?
  set -e
  if [ $rc -eq 5 ]; then
    echo "错误：没有收集到任何测试（pytest 退出码 5）" >&2
    exit 1
  fi
  [ $rc -eq 0 ] || exit $rc
}

# The scoring core must stay at 100 % branch coverage.
run_pytest "SQLite" -q --cov=nfmaturity.scoring --cov-branch --cov-report=term-missing:skip-covered --cov-fail-under=100

echo "==> 启动临时 PostgreSQL 集群"
PGBIN=/usr/lib/postgresql/15/bin
PGDIR="$(mktemp -d /tmp/nfm-pg.XXXXXX)"
PGPORT="${NFM_TEST_PGPORT:-54329}"
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$PGDIR"
  AS_PG=(su postgres -s /bin/sh -c)
else
  AS_PG=(sh -c)
fi
"${AS_PG[@]}" "$PGBIN/initdb -D '$PGDIR/data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >'$PGDIR/initdb.log'"
"${AS_PG[@]}" "$PGBIN/pg_ctl -D '$PGDIR/data' -l '$PGDIR/server.log' -w -o \"-p $PGPORT -k '$PGDIR' -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null"
stop_pg() { "${AS_PG[@]}" "$PGBIN/pg_ctl -D '$PGDIR/data' -m immediate stop" >/dev/null 2>&1 || true; }
trap stop_pg EXIT
DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres" run_pytest "PostgreSQL" -q -p no:cacheprovider

# Benchmarks in short mode: each prints its figures beside the targets (a missed target is printed, not
# fatal) and fails only if a path errors. bench/_*.py are shared helpers, not benchmarks. The ones that use
# a database run again on the PostgreSQL cluster (each in a database of its own, dropped afterwards)
# before the trap stops it.
echo "==> 性能基准（简短模式，SQLite）"
for bench in bench/[!_]*.py; do
  python "$bench" --short
done
echo "==> 性能基准（简短模式，PostgreSQL）"
for bench in bench/pages.py bench/load.py bench/analytics.py; do
  DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres" python "$bench" --short
done
echo "==> 全部通过"
