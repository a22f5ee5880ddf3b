#!/usr/bin/env bash
# Sets up everything on a fresh machine and runs the platform with demo data on SQLite:
# http://127.0.0.1:8000 (the demo logins are printed on start).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0
exec .venv/bin/nfm demo "$@"
