#!/usr/bin/env bash
# The point-in-time recovery drill: continuous WAL archiving proven once, end to end, on
# a scratch PostgreSQL cluster (never the one DATABASE_URL names).
#
#   1. pg_createcluster a scratch cluster on a free port, with WAL archiving on
#      (archive_mode=on, archive_command copying each finished WAL segment into an
#      archive directory: the configuration docs/operations.md shows);
#   2. make db (scripts/ensure-db.sh) against it: the roles, the database, PostGIS;
#      parks db upgrade; parks load of the sample (ledger row 1);
#   3. a base backup (pg_basebackup);
#   4. change set A (ledger row 2); note the time T; change set B (ledger row 3);
#      the WAL holding B switched out and archived;
#   5. the cluster stopped, its data directory replaced by the base backup, and recovered
#      from the archive to T (restore_command, recovery_target_time, recovery.signal);
#   6. checked: the ledger ends at A's row (B is not there), A's parcel has A's status and
#      B's still its old one, and parks audit verify passes;
#   7. the cluster and every file it made removed (also when a step fails).
#
# Run as root from the repository root (it becomes the postgres user for the cluster's
# commands): scripts/pitr-drill.sh. Needs the PostgreSQL server packages (make db installs
# them) and the project's .venv (make install). Takes about a minute. The scratch cluster
# listens on 127.0.0.1 only and trusts its local connections while the drill runs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PARKS="${ROOT}/.venv/bin/parks"
NAME="parks_pitr_$$"
WORK="$(mktemp -d /tmp/parks-pitr.XXXXXX)"
ARCHIVE="${WORK}/wal-archive"
BASE="${WORK}/base"

say() { printf 'pitr drill: %s\n' "$*"; }
fail() { printf 'pitr drill: FAILED: %s\n' "$*" >&2; exit 1; }
as_postgres() { runuser -u postgres -- "$@"; }

[[ $EUID -eq 0 ]] || fail "run it as root (it runs the cluster's commands as postgres)"
command -v pg_createcluster >/dev/null || fail "pg_createcluster is missing: run make db first"
[[ -x "$PARKS" ]] || fail "${PARKS} is missing: run make install first"
MAJOR="$(pg_lsclusters --no-header | awk 'NR == 1 {print $1}')"
[[ -n "$MAJOR" ]] || MAJOR="$(ls /usr/lib/postgresql | sort -n | tail -1)"
BIN="/usr/lib/postgresql/${MAJOR}/bin"

cleanup() {
    local status=$?
    if pg_lsclusters --no-header 2>/dev/null | awk '{print $2}' | grep -qx "$NAME"; then
        as_postgres pg_dropcluster --stop "$MAJOR" "$NAME" || true
    fi
    rm -rf "$WORK"
    if [[ $status -eq 0 ]]; then say "cluster ${NAME} and ${WORK} removed"; fi
}
trap cleanup EXIT

# A port no cluster of this machine uses and nothing listens on.
PORT=""
for candidate in $(seq 55900 55999); do
    if ! pg_lsclusters --no-header | awk '{print $3}' | grep -qx "$candidate" \
        && ! (exec 3<>"/dev/tcp/127.0.0.1/${candidate}") 2>/dev/null; then
        PORT="$candidate"
        break
    fi
done
[[ -n "$PORT" ]] || fail "no free port in 55900-55999"

mkdir -p "$ARCHIVE" "$BASE"
chown -R postgres:postgres "$WORK"
chmod 700 "$WORK"

# --- 1. the cluster, archiving its WAL ---------------------------------------------------
say "creating cluster ${MAJOR}/${NAME} on 127.0.0.1:${PORT}, WAL archived to ${ARCHIVE}"
as_postgres pg_createcluster "$MAJOR" "$NAME" -p "$PORT" -d "${WORK}/data" >/dev/null
CONF="/etc/postgresql/${MAJOR}/${NAME}"
# Continuous archiving: each finished WAL segment copied into the archive (never over a
# file already there), at least once a minute (archive_timeout).
cat > "${CONF}/conf.d/archiving.conf" <<EOF
listen_addresses = '127.0.0.1'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f ${ARCHIVE}/%f && cp %p ${ARCHIVE}/%f'
archive_timeout = 60
EOF
cat > "${CONF}/pg_hba.conf" <<EOF
local all all peer
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
EOF
as_postgres pg_ctlcluster "$MAJOR" "$NAME" start

psql_su() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" "$@"; }
value() { psql_su -d parks -tA -c "$1"; }

# --- 2. the schema and the sample ---------------------------------------------------------
export DATABASE_URL="postgresql+psycopg://parks_app@127.0.0.1:${PORT}/parks"
unset PARKS_OWNER_DATABASE_URL PARKS_READ_DATABASE_URL
"${ROOT}/scripts/ensure-db.sh" | sed 's/^/  /'
"$PARKS" db upgrade | sed 's/^/  /'
"$PARKS" load "${ROOT}/data/sample/parks.gpkg" >/dev/null
say "loaded the sample: ledger row $(value 'SELECT max(seq) FROM ledger')"

# --- 3. the base backup ---------------------------------------------------------------------
as_postgres "${BIN}/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U postgres -D "${BASE}" \
    -X stream --checkpoint=fast
say "base backup taken into ${BASE}"

# --- 4. change set A, the moment T, change set B ----------------------------------------------
read -r PARCEL_A PARCEL_B < <(value "SELECT string_agg(parcel_code, ' ') FROM (SELECT parcel_code \
    FROM parcel_version WHERE valid_to IS NULL AND status = 'reserve' ORDER BY parcel_code \
    LIMIT 2) x")
[[ -n "$PARCEL_A" && -n "$PARCEL_B" ]] || fail "no two reserve parcels in the sample"
apply_status() {  # parcel status document_no
    local file="${WORK}/change.json"
    printf '{"kind": "set_status", "reason": "PITR drill", "document_no": "%s", "operations": [{"op": "set_status", "parcel_code": "%s", "status": "%s"}]}' \
        "$3" "$1" "$2" > "$file"
    "$PARKS" change apply "$file" >/dev/null
}
apply_status "$PARCEL_A" ready "PITR-A"
SEQ_A="$(value 'SELECT max(seq) FROM ledger')"
sleep 1
TARGET="$(value "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")"
sleep 1
apply_status "$PARCEL_B" ready "PITR-B"
SEQ_B="$(value 'SELECT max(seq) FROM ledger')"
say "change set A (${PARCEL_A} ready) is ledger row ${SEQ_A}; T = ${TARGET}; change set B (${PARCEL_B} ready) is row ${SEQ_B}"
[[ "$SEQ_B" -gt "$SEQ_A" ]] || fail "change set B did not add a ledger row"

# B's WAL must be in the archive before the cluster goes: switch segments, wait for it.
SEGMENT="$(value 'SELECT pg_walfile_name(pg_switch_wal())')"
for _ in $(seq 1 60); do
    [[ -f "${ARCHIVE}/${SEGMENT}" ]] && break
    sleep 0.5
done
[[ -f "${ARCHIVE}/${SEGMENT}" ]] || fail "WAL segment ${SEGMENT} was not archived"
say "WAL archived up to ${SEGMENT} ($(ls "$ARCHIVE" | wc -l) files)"

# --- 5. the disaster, then recovery to T ---------------------------------------------------
as_postgres pg_ctlcluster "$MAJOR" "$NAME" stop -m fast
rm -rf "${WORK}/data"
as_postgres cp -a "$BASE" "${WORK}/data"
chmod 700 "${WORK}/data"
cat > "${CONF}/conf.d/recovery.conf" <<EOF
restore_command = 'cp ${ARCHIVE}/%f %p'
recovery_target_time = '${TARGET}'
recovery_target_action = 'promote'
EOF
chown postgres:postgres "${CONF}/conf.d/recovery.conf"
as_postgres touch "${WORK}/data/recovery.signal"
say "restored the base backup; recovering from the archive to ${TARGET}"
as_postgres pg_ctlcluster "$MAJOR" "$NAME" start
for _ in $(seq 1 120); do
    [[ "$(psql_su -d postgres -tA -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" == "f" ]] && break
    sleep 0.5
done
[[ "$(psql_su -d postgres -tA -c 'SELECT pg_is_in_recovery()')" == "f" ]] \
    || fail "the cluster did not finish recovery (see /var/log/postgresql/postgresql-${MAJOR}-${NAME}.log)"

# --- 6. the check ---------------------------------------------------------------------------
SEQ_NOW="$(value 'SELECT max(seq) FROM ledger')"
STATUS_A="$(value "SELECT status FROM parcel_version WHERE parcel_code = '${PARCEL_A}' AND valid_to IS NULL")"
STATUS_B="$(value "SELECT status FROM parcel_version WHERE parcel_code = '${PARCEL_B}' AND valid_to IS NULL")"
say "recovered: ledger ends at row ${SEQ_NOW}; ${PARCEL_A} is ${STATUS_A}; ${PARCEL_B} is ${STATUS_B}"
[[ "$SEQ_NOW" == "$SEQ_A" ]] || fail "the ledger should end at row ${SEQ_A} (A), not ${SEQ_NOW}"
[[ "$STATUS_A" == "ready" ]] || fail "${PARCEL_A} should be ready (change set A)"
[[ "$STATUS_B" == "reserve" ]] || fail "${PARCEL_B} should still be reserve (B came after T)"
"$PARKS" audit verify | sed 's/^/  /' || fail "parks audit verify failed on the recovered database"
say "OK: recovered to ${TARGET}: change set A kept, B (after T) gone, the audit verifies"
