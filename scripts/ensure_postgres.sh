#!/usr/bin/env bash
# Store tests start a throwaway PostgreSQL server (Debian's postgresql: initdb, pg_ctl);
# as root they run it as the 'postgres' user that the package creates.
set -euo pipefail
if [ -n "${MAPAPP_TEST_POSTGRES_URL:-}" ]; then exit 0; fi  # a server of your own
if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ]; then exit 0; fi
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then exit 0; fi
if command -v initdb >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null 2>&1; then
  bash "$(dirname "$0")/apt_install.sh" postgresql
else
  echo "PostgreSQL is missing: install Debian's 'postgresql' package, set PG_BIN=/path/to/bin," \
       "or MAPAPP_TEST_POSTGRES_URL=postgresql://user@host/db (a server of your own)" >&2
  exit 1
fi
