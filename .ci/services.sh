#!/usr/bin/env bash
# Start and stop the real services the suite uses, on loopback and non-standard ports:
#   PostgreSQL 15 on $PG_PORT (5433), Redis on $REDIS_PORT (6390), clamd on $CLAMD_PORT (3311).
# Usage: .ci/services.sh start|stop|env STATE_DIR
# Everything lives under STATE_DIR; each service is stopped by the PID it wrote there.
set -euo pipefail

cmd=${1:?usage: services.sh start|stop|env STATE_DIR}
state=${2:?usage: services.sh start|stop|env STATE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PG_PORT=${PG_PORT:-5433}
REDIS_PORT=${REDIS_PORT:-6390}
CLAMD_PORT=${CLAMD_PORT:-3311}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DB=${PG_DB:-cancerfax}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

print_env() {
  cat <<ENV
export DATABASE_URL=postgres://cancerfax:cancerfax@127.0.0.1:$PG_PORT/$PG_DB
export DATABASE_APP_ROLE=cancerfax_app
export DATABASE_APP_URL=postgres://cancerfax_app:cancerfax_app@127.0.0.1:$PG_PORT/$PG_DB
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/1
export CELERY_BROKER_URL=redis://127.0.0.1:$REDIS_PORT/0
export CLAMD_ADDRESS=tcp://127.0.0.1:$CLAMD_PORT
ENV
}

start() {
  mkdir -p "$state"
  # PostgreSQL: a throw-away cluster owned by the postgres user.
  if [ ! -f "$state/pg/PG_VERSION" ]; then
    mkdir -p "$state/pg"
    [ "$(id -u)" = 0 ] && chown postgres: "$state/pg" && chmod 700 "$state/pg"
    as_postgres "$PG_BIN/initdb" -D "$state/pg" -U postgres --auth=trust -E UTF8 >"$state/initdb.log"
  fi
  [ "$(id -u)" = 0 ] && chown postgres: "$state" 2>/dev/null || true
  as_postgres "$PG_BIN/pg_ctl" -D "$state/pg" -l "$state/pg.log" -w -t 60 start \
    -o "-p $PG_PORT -k $state -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200"
  as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qc \
    "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='cancerfax') THEN CREATE ROLE cancerfax LOGIN CREATEDB PASSWORD 'cancerfax'; END IF; END \$\$;"
  # Two roles, as in production: cancerfax owns the tables and runs migrations (and the
  # tests, which create their own database); cancerfax_app owns nothing and is granted its
  # privileges after each migrate (cancerfax/roles.py): INSERT and SELECT only on the audit trail.
  as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qc \
    "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='cancerfax_app') THEN CREATE ROLE cancerfax_app LOGIN PASSWORD 'cancerfax_app'; END IF; END \$\$;"
  as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='$PG_DB'" | grep -q 1 ||
    as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres -O cancerfax "$PG_DB"

  # Redis as production runs it: append-only, fsync every second, so a restart keeps the
  # queued tasks (README, "Nothing is lost").
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
    --pidfile "$state/redis.pid" --logfile "$state/redis.log" --dir "$state" \
    --save "" --appendonly yes --appendfsync everysec
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

  # clamd with the project's own test signature (the EICAR string): no network needed.
  mkdir -p "$state/clamdb"
  cp "$here/test-signatures.ndb" "$state/clamdb/"
  cat >"$state/clamd.conf" <<CONF
TCPSocket $CLAMD_PORT
TCPAddr 127.0.0.1
DatabaseDirectory $state/clamdb
PidFile $state/clamd.pid
LogFile $state/clamd.log
Foreground no
StreamMaxLength 300M
MaxFileSize 300M
MaxScanSize 600M
User root
CONF
  clamd --config-file="$state/clamd.conf"
  for _ in $(seq 100); do
    printf 'zPING\0' | timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$CLAMD_PORT; cat >&3; head -c 4 <&3" 2>/dev/null | grep -q PONG && break
    sleep 0.2
  done
  print_env >"$state/env.sh"
}

stop() {
  [ -f "$state/clamd.pid" ] && kill "$(cat "$state/clamd.pid")" 2>/dev/null || true
  [ -f "$state/redis.pid" ] && kill "$(cat "$state/redis.pid")" 2>/dev/null || true
  if [ -f "$state/pg/postmaster.pid" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$state/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  *) echo "usage: services.sh start|stop|env STATE_DIR" >&2; exit 2 ;;
esac
