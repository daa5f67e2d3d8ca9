#!/usr/bin/env bash
# make db: make sure the PostGIS database named by DATABASE_URL exists.
#
# On a Debian/Ubuntu machine with the server on this host it installs what is
# missing (postgresql, postgresql-<major>-postgis-3) with apt, starts the local
# cluster if it is down, creates the roles, the database and a template database
# (<db>_template, used by the test suite to make throwaway databases), and enables the
# postgis and btree_gist extensions. It says what it did, does nothing the second
# time, and stops with the command to run where it can't help.
#
# The roles (cluster-wide; what each may do inside a database the migrations grant):
#   parks_owner    owns the database, its schema and every table, runs the migrations
#                  (PARKS_OWNER_DATABASE_URL); never used by the service.
#   parks_app      the service and the CLI's writes (DATABASE_URL): the DML each table
#                  needs, nothing more; owns nothing.
#   parks_reader   read-only, for desktop GIS and BI: the views of schema gis.
#   parks_auditor  reads everything, writes nothing.
# A database made before the roles (one role owning everything) is handed to
# parks_owner here; `make migrate` then grants the others their part.
set -euo pipefail

DEFAULT_URL="postgresql+psycopg://parks_app@127.0.0.1:5432/parks"
URL="${DATABASE_URL:-$DEFAULT_URL}"
OWNER_ROLE="parks_owner"
APP_ROLE="parks_app"
READER_ROLE="parks_reader"
AUDITOR_ROLE="parks_auditor"

say() { printf 'make db: %s\n' "$*"; }
fail() { printf 'make db: ERROR: %s\n' "$*" >&2; exit 1; }

# Split the SQLAlchemy URL with the standard library (python3 is a prerequisite of the project).
read -r DB_USER DB_HOST DB_PORT DB_NAME < <(python3 - "$URL" <<'PY'
import sys
from urllib.parse import urlsplit, unquote
u = urlsplit(sys.argv[1])
print(unquote(u.username or "postgres"), u.hostname or "127.0.0.1", u.port or 5432,
      (u.path or "/parks").lstrip("/") or "parks")
PY
)
TEMPLATE_DB="${DB_NAME}_template"
say "database ${DB_NAME} on ${DB_HOST}:${DB_PORT} as role ${DB_USER}"

is_local() { [[ "$DB_HOST" == "127.0.0.1" || "$DB_HOST" == "localhost" || "$DB_HOST" == "::1" ]]; }

apt_install() {
    command -v apt-get >/dev/null 2>&1 || fail "$* is missing and this machine has no apt-get; install $* with your package manager, then run make db again."
    local sudo=""
    if [[ $EUID -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || fail "$* is missing; run: sudo apt-get install -y $*"
        sudo="sudo"
    fi
    say "installing $* with apt-get"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# Run SQL as the PostgreSQL superuser: peer auth as the postgres OS user where we
# can switch to it, else the postgres role over TCP (trust auth on a dev machine).
as_superuser() {
    local db="$1"; shift
    if is_local && [[ $EUID -eq 0 ]] && id postgres >/dev/null 2>&1; then
        runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$DB_PORT" -d "$db" "$@"
    elif is_local && command -v sudo >/dev/null 2>&1 && sudo -n -u postgres true 2>/dev/null; then
        sudo -n -u postgres psql -X -q -v ON_ERROR_STOP=1 -p "$DB_PORT" -d "$db" "$@"
    else
        psql -X -q -v ON_ERROR_STOP=1 -h "$DB_HOST" -p "$DB_PORT" -U postgres -d "$db" "$@"
    fi
}
sql_value() { as_superuser "$1" -tA -c "$2"; }

server_up() { pg_isready -q -h "$DB_HOST" -p "$DB_PORT" >/dev/null 2>&1; }

# 1. The server.
if ! command -v psql >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1; then
    is_local || fail "psql is missing; install the PostgreSQL client (apt-get install postgresql-client)."
    apt_install postgresql
fi
if ! server_up; then
    is_local || fail "no PostgreSQL server answers at ${DB_HOST}:${DB_PORT}; start it or fix DATABASE_URL."
    if ! command -v pg_lsclusters >/dev/null 2>&1; then
        apt_install postgresql
    fi
    cluster=$(pg_lsclusters --no-header 2>/dev/null | awk -v p="$DB_PORT" '$3 == p {print $1" "$2; exit}')
    if [[ -z "$cluster" ]]; then
        apt_install postgresql
        cluster=$(pg_lsclusters --no-header | awk -v p="$DB_PORT" '$3 == p {print $1" "$2; exit}')
    fi
    [[ -n "$cluster" ]] || fail "no PostgreSQL cluster listens on port ${DB_PORT}; create one: pg_createcluster --start <major> main"
    say "starting PostgreSQL cluster ${cluster}"
    # shellcheck disable=SC2086
    pg_ctlcluster --skip-systemctl-redirect $cluster start || fail "could not start cluster ${cluster}; see /var/log/postgresql/"
    for _ in $(seq 1 30); do server_up && break; sleep 1; done
    server_up || fail "PostgreSQL cluster ${cluster} did not come up; see /var/log/postgresql/"
fi

# 2. The PostGIS package for this server's major version.
major=$(sql_value postgres "SHOW server_version_num" | cut -c1-2)
has_postgis=$(sql_value postgres "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
if [[ "$has_postgis" == "0" ]]; then
    is_local || fail "the server at ${DB_HOST} has no PostGIS; install postgresql-${major}-postgis-3 there."
    apt_install "postgresql-${major}-postgis-3"
    has_postgis=$(sql_value postgres "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
    [[ "$has_postgis" != "0" ]] || fail "postgresql-${major}-postgis-3 is installed but the server doesn't see postgis; restart the server."
fi

# 3. The roles. None is a superuser; only the owner may create databases (the test
# suite makes its throwaway databases as the owner).
role_exists() { [[ "$(sql_value postgres "SELECT count(*) FROM pg_roles WHERE rolname = '$1'")" != "0" ]]; }
make_role() {
    local role="$1" what="$2" attrs="$3"
    if ! role_exists "$role"; then
        say "creating role ${role} (${what})"
        as_superuser postgres -c "CREATE ROLE \"${role}\" LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS ${attrs}"
    fi
}
# The owner inherits: PostgreSQL 15's schema public belongs to pg_database_owner, a role
# the database's owner is a member of, whose rights only an inheriting role uses.
make_role "$OWNER_ROLE" "owns the schema, runs the migrations" "CREATEDB INHERIT"
if [[ "$(sql_value postgres "SELECT rolinherit FROM pg_roles WHERE rolname = '${OWNER_ROLE}'")" != "t" ]]; then
    as_superuser postgres -c "ALTER ROLE \"${OWNER_ROLE}\" INHERIT"
fi
make_role "$APP_ROLE" "the service: DML only, owns nothing" "NOCREATEDB NOINHERIT"
make_role "$READER_ROLE" "read-only: the views of schema gis" "NOCREATEDB NOINHERIT"
make_role "$AUDITOR_ROLE" "reads everything, writes nothing" "NOCREATEDB NOINHERIT"
if [[ "$DB_USER" != "$APP_ROLE" && "$DB_USER" != "$OWNER_ROLE" ]] && ! role_exists "$DB_USER"; then
    make_role "$DB_USER" "named by DATABASE_URL" "NOCREATEDB NOINHERIT"
fi
# Read-only transactions by default for the two reading roles (a write fails before
# the missing privilege is even looked at), and a ceiling on what one query may cost.
for role in "$READER_ROLE" "$AUDITOR_ROLE"; do
    if [[ "$(sql_value postgres "SELECT count(*) FROM pg_roles WHERE rolname = '${role}' AND 'statement_timeout=5min' = ANY(coalesce(rolconfig, '{}'))")" == "0" ]]; then
        say "making ${role}'s transactions read-only by default, statements at most 5 minutes"
        as_superuser postgres -c "ALTER ROLE \"${role}\" SET default_transaction_read_only = on" \
                              -c "ALTER ROLE \"${role}\" SET statement_timeout = '5min'"
    fi
done

# 4. The database and its template, each with the extensions the schema needs.
for db in "$DB_NAME" "$TEMPLATE_DB"; do
    if [[ "$(sql_value postgres "SELECT count(*) FROM pg_database WHERE datname = '${db}'")" == "0" ]]; then
        say "creating database ${db} owned by ${OWNER_ROLE}"
        as_superuser postgres -c "CREATE DATABASE \"${db}\" OWNER \"${OWNER_ROLE}\" ENCODING 'UTF8' TEMPLATE template0"
    fi
    # A database made before the roles: one role owned it and everything in it. Hand it
    # all to the owner; the migrations then give the service its part.
    old_owner=$(sql_value postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${db}'")
    if [[ "$old_owner" != "$OWNER_ROLE" ]]; then
        say "handing database ${db} and everything ${old_owner} owns in it to ${OWNER_ROLE}"
        as_superuser "$db" -c "ALTER DATABASE \"${db}\" OWNER TO \"${OWNER_ROLE}\"" \
                           -c "REASSIGN OWNED BY \"${old_owner}\" TO \"${OWNER_ROLE}\""
    fi
    for ext in postgis btree_gist; do
        if [[ "$(sql_value "$db" "SELECT count(*) FROM pg_extension WHERE extname = '${ext}'")" == "0" ]]; then
            say "enabling extension ${ext} in ${db}"
            as_superuser "$db" -c "CREATE EXTENSION IF NOT EXISTS ${ext}"
        fi
    done
done

# 5. A database migrated before the reader role existed gets its grants now (they change
# nothing the second time).
if [[ "$(sql_value "$DB_NAME" "SELECT count(*) FROM pg_namespace WHERE nspname = 'gis'")" != "0" ]] \
   && [[ "$(sql_value "$DB_NAME" "SELECT has_schema_privilege('${READER_ROLE}', 'gis', 'USAGE')")" != "t" ]]; then
    say "granting ${READER_ROLE} the views of schema gis in ${DB_NAME}"
    as_superuser "$DB_NAME" < "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/service/db/sql/gis_reader_grants.sql"
fi

version=$(sql_value "$DB_NAME" "SELECT postgis_lib_version()")
say "ok: ${DB_NAME} is ready (PostgreSQL ${major}, PostGIS ${version})"
