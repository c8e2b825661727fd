#!/bin/sh
# Nightly backup of the collector's database with pg_dump (custom format: compressed, restorable
# table by table). Run by sipas-collector-backup.timer; by hand:
#   deploy/postgres/backup.sh [DATABASE]
#
#   SIPAS_BACKUP_DIR   where the dumps go      (/var/backups/sipas)
#   SIPAS_BACKUP_KEEP  how many dumps to keep  (30)
# The connection comes from PGHOST, PGPORT, PGUSER (a role that may read every table, e.g. the
# owner) or a ~/.pgpass file. A dump is written under a temporary name and only renamed once
# pg_restore can read its table of contents, so a dump with its final name is whole.
set -eu

db=${1:-${SIPAS_DB:-sipas}}
dir=${SIPAS_BACKUP_DIR:-/var/backups/sipas}
keep=${SIPAS_BACKUP_KEEP:-30}

mkdir -p "$dir"
# Microseconds: two dumps in the same second (a retry, a dump by hand) never replace each other.
stamp=$(date -u +%Y%m%dT%H%M%S.%6NZ)
final="$dir/$db-$stamp.dump"
partial="$final.partial"
trap 'rm -f "$partial"' EXIT

umask 077
pg_dump --format=custom --no-owner --no-privileges --file="$partial" "$db"
pg_restore --list "$partial" >/dev/null
mv "$partial" "$final"

# Keep the newest $keep dumps of this database.
ls -1 "$dir"/"$db"-*.dump 2>/dev/null | sort | head -n "-$keep" | while read -r old; do
  rm -f "$old"
done
echo "$final"
