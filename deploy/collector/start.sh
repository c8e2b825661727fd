#!/bin/sh
# Starts the collector: brings the database to the latest migration, then serves it with gunicorn.
# The systemd unit and the container image both run this script. Settings come from the
# environment (SIPAS_COLLECTOR_*, SIPAS_GUNICORN_*; see deploy/collector/collector.env.example).
#
#   SIPAS_COLLECTOR_MIGRATE_DATABASE_URL  optional: the owner role that may change tables; the
#                                         app itself then runs with the least-privileged role.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
sipas=${SIPAS_BIN:-sipas}
gunicorn=${SIPAS_GUNICORN:-gunicorn}

if [ -n "${SIPAS_COLLECTOR_MIGRATE_DATABASE_URL:-}" ]; then
  SIPAS_COLLECTOR_DATABASE_URL=$SIPAS_COLLECTOR_MIGRATE_DATABASE_URL "$sipas" collector db upgrade
else
  "$sipas" collector db upgrade
fi
"$sipas" collector check
exec "$gunicorn" --config "${SIPAS_GUNICORN_CONFIG:-$here/gunicorn.conf.py}"
