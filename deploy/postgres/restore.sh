#!/bin/sh
# Restores a dump made by backup.sh into a NEW database, then lists what it holds:
#   deploy/postgres/restore.sh /var/backups/sipas/sipas-20260301T023000Z.dump sipas_restored
#
#   SIPAS_OWNER     role that will own the restored tables (sipas_owner)
#   SIPAS_APP_ROLE  the app's role (sipas_app): setup.sh gives it its rights on the new database
# The target must not exist: a restore never overwrites a database. To go back to the backup,
# stop the collector, restore into a new database, check it, then point DATABASE_URL at it
# (or rename the databases), and start the collector again. See docs/deploy.md.
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 DUMP_FILE NEW_DATABASE" >&2
  exit 2
fi
dump=$1
target=$2
owner=${SIPAS_OWNER:-sipas_owner}

pg_restore --list "$dump" >/dev/null
exists=$(psql -X -At -d "${PGDATABASE:-postgres}" -v target="$target" <<'SQL'
SELECT 1 FROM pg_database WHERE datname = :'target';
SQL
)
if [ "$exists" = "1" ]; then
  echo "database $target exists; a restore goes into a new database" >&2
  exit 1
fi
has_owner=$(psql -X -At -d "${PGDATABASE:-postgres}" -v owner="$owner" <<'SQL'
SELECT 1 FROM pg_roles WHERE rolname = :'owner';
SQL
)
if [ "$has_owner" = "1" ]; then
  # The new database gets the same owner, settings and rights for the app role as the first.
  SIPAS_DB=$target SIPAS_OWNER=$owner "$(dirname "$0")/setup.sh"
  set -- --role="$owner"
else
  createdb --encoding=UTF8 --template=template0 "$target"
  set --
fi
pg_restore --exit-on-error --no-owner "$@" --dbname="$target" "$dump"
psql -X -q -d "$target" -c "ANALYZE"
psql -X -d "$target" -c "SELECT version_num AS migration FROM alembic_version" \
  -c "SELECT count(*) AS responses FROM responses"
