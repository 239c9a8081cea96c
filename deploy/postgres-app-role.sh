#!/bin/sh
# Run once by the postgres image when the database is first created: the role the app runs
# as. It owns nothing; `manage.py migrate` (as the owner) grants it what it may do.
set -eu
if [ -z "${POSTGRES_APP_PASSWORD:-}" ]; then
  echo "POSTGRES_APP_PASSWORD must be set" >&2
  exit 1
fi
psql -v ON_ERROR_STOP=1 -v pw="$POSTGRES_APP_PASSWORD" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE cancerfax_app LOGIN PASSWORD :'pw';
SQL
