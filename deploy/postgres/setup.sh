#!/bin/sh
# Creates the collector's PostgreSQL database and its two roles. Run once, as a superuser:
#   sudo -u postgres deploy/postgres/setup.sh
# or against another server with the usual PGHOST, PGPORT, PGUSER variables.
#
#   SIPAS_DB              database name                      (sipas)
#   SIPAS_OWNER           owns the tables, runs migrations    (sipas_owner)
#   SIPAS_APP_ROLE        what the collector runs as          (sipas_app)
#   SIPAS_OWNER_PASSWORD, SIPAS_APP_PASSWORD   passwords; empty: none (peer or certificate auth)
#
# The app role gets the least it needs: connect, and read/insert/update/delete rows of the tables
# the owner creates, and temporary tables. It cannot create, alter or drop tables, create roles or
# databases.
# Running the script again changes nothing that is already right.
set -eu

db=${SIPAS_DB:-sipas}
owner=${SIPAS_OWNER:-sipas_owner}
app=${SIPAS_APP_ROLE:-sipas_app}

psql -X -q -v ON_ERROR_STOP=1 -d "${PGDATABASE:-postgres}" \
  -v db="$db" -v owner="$owner" -v app="$app" \
  -v owner_password="${SIPAS_OWNER_PASSWORD:-}" -v app_password="${SIPAS_APP_PASSWORD:-}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', :'app')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'owner', :'owner_password') WHERE :'owner_password' <> '' \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'app', :'app_password') WHERE :'app_password' <> '' \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'db', :'owner', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec

-- Settings of the app's sessions: UTC on the wire (the app converts), no runaway statement or
-- forgotten transaction holding locks, a bound on connections.
ALTER DATABASE :"db" SET timezone = 'UTC';
ALTER ROLE :"app" IN DATABASE :"db" SET statement_timeout = '120s';
ALTER ROLE :"app" IN DATABASE :"db" SET idle_in_transaction_session_timeout = '60s';
ALTER ROLE :"app" IN DATABASE :"db" SET lock_timeout = '10s';
ALTER ROLE :"app" CONNECTION LIMIT 200;

REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"owner";
-- Temporary tables: the ingest stages a batch in one before merging it.
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";

\connect :"db"
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO :"owner";
GRANT USAGE ON SCHEMA public TO :"app";
-- Tables and sequences the owner creates later (the migrations) are open to the app for rows only.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO :"app";
-- And those that exist already, when the script runs again after the migrations.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
SQL
echo "database $db: owner $owner, app role $app" >&2
