#!/usr/bin/env bash
# A local streaming replica of the PostgreSQL server on this machine, for
# PARKS_READ_DATABASE_URL (the reads that tolerate a short lag: map pages, tiles, search,
# OGC API, exports).
#
#   scripts/replica.sh start  [--port 5433] [--primary-port 5432] [--no-sync]
#   scripts/replica.sh status [--port 5433]
#   scripts/replica.sh stop   [--port 5433]
#
# start: a Debian cluster "parks_replica_<port>" (pg_createcluster, its own config in
#   /etc/postgresql/<major>/), whose data directory is replaced by `pg_basebackup -R` from
#   127.0.0.1:<primary-port> (standby.signal and primary_conninfo written by -R), started as
#   a hot standby that streams from the primary, with the primary's pg_hba.conf and
#   pg_ident.conf (it serves the same clients). Prints the replica's URL. Idempotent: a
#   running replica is left as it is, a stopped one is started.
#   The primary is never restarted or reconfigured in a way that needs a restart: start
#   checks that it already allows streaming (wal_level replica or logical, a free WAL
#   sender) and stops, saying why, when it doesn't. A replication line for 127.0.0.1 is
#   added to pg_hba.conf when none lets this host in, followed by a reload (not a restart);
#   it is left there by stop (it grants what the loopback trust line already grants, for
#   replication connections). The replica streams through a physical replication slot of
#   its name, made by pg_basebackup (-C -S) before the copy starts, so the primary keeps
#   the WAL the copy and the replica still need however busy it is; stop drops the slot
#   (a slot left behind would keep WAL on the primary for ever).
#   The replica runs with hot_standby_feedback on (the primary keeps the rows a long read
#   on the replica still needs, so an export there is not cancelled by replayed cleanup).
#   --no-sync: neither pg_basebackup nor the replica fsyncs (throwaway replicas in tests).
# status: whether it runs, whether it is in recovery, the WAL it has replayed, how many bytes
#   it is behind the primary and the age of the last transaction it replayed. Exit 0 when a
#   standby runs on the port, 3 otherwise.
# stop: stops the cluster and removes it entirely (data directory, configuration, log), and
#   drops its replication slot on the primary it streamed from.
#
# Run as root: the cluster's directories are made and removed by pg_createcluster and
# pg_dropcluster, everything else runs as the postgres user through runuser.
# Environment instead of options: PARKS_REPLICA_PORT, PARKS_REPLICA_PRIMARY_PORT.
set -euo pipefail

PORT="${PARKS_REPLICA_PORT:-5433}"
PRIMARY_PORT="${PARKS_REPLICA_PRIMARY_PORT:-5432}"
PRIMARY_HOST="127.0.0.1"
NO_SYNC=""
HBA_MARK="# added by parks scripts/replica.sh: local streaming replicas"

say() { printf 'replica: %s\n' "$*"; }
fail() { printf 'replica: ERROR: %s\n' "$*" >&2; exit 1; }
usage() { awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 2; }

[[ $# -ge 1 ]] || usage
ACTION="$1"; shift
while [[ $# -gt 0 ]]; do
    case "$1" in
        --port) PORT="${2:?--port needs a number}"; shift 2 ;;
        --primary-port) PRIMARY_PORT="${2:?--primary-port needs a number}"; shift 2 ;;
        --no-sync) NO_SYNC="--no-sync"; shift ;;
        -h|--help) usage ;;
        *) fail "unknown option $1 (see $0 --help)" ;;
    esac
done
[[ "$PORT" =~ ^[0-9]+$ && "$PRIMARY_PORT" =~ ^[0-9]+$ ]] || fail "ports are numbers"
[[ "$PORT" != "$PRIMARY_PORT" ]] || fail "the replica's port must differ from the primary's"
NAME="parks_replica_${PORT}"

# Commands as the postgres OS user (peer authentication on the sockets).
as_postgres() {
    if [[ "$(id -un)" == "postgres" ]]; then
        "$@"
    elif [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        fail "run as root"
    fi
}
# One value from the primary, as its superuser over the local socket.
primary_sql() { as_postgres psql -X -q -At -p "$PRIMARY_PORT" -d postgres -c "$1"; }
replica_sql() { as_postgres psql -X -q -At -p "$PORT" -d postgres -c "$1"; }

command -v pg_lsclusters >/dev/null 2>&1 || fail "postgresql-common (pg_createcluster, pg_lsclusters) is missing"

# "<version> <status>" of our cluster, empty when it doesn't exist.
our_cluster() {
    pg_lsclusters --no-header 2>/dev/null | awk -v n="$NAME" '$2 == n {print $1" "$4; exit}'
}
# The Debian cluster ("<version> <name>") listening on a port, if any.
cluster_on_port() {
    pg_lsclusters --no-header 2>/dev/null | awk -v p="$1" '$3 == p {print $1" "$2; exit}'
}

replication_allowed() {
    as_postgres psql -X -q -At \
        "host=${PRIMARY_HOST} port=${PRIMARY_PORT} user=postgres replication=true connect_timeout=5" \
        -c "IDENTIFY_SYSTEM" >/dev/null 2>&1
}

reload_primary() {
    local found
    found=$(cluster_on_port "$PRIMARY_PORT")
    if [[ -n "$found" ]]; then
        # shellcheck disable=SC2086
        as_postgres pg_ctlcluster $found reload
    else
        primary_sql "SELECT pg_reload_conf()" >/dev/null
    fi
}

# What the primary allows, in one round trip; sets PRIMARY_MAJOR and STANDBY_OPTS (the
# settings a hot standby needs at least the primary's values of: it refuses to start else).
check_primary() {
    as_postgres pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" \
        || fail "no PostgreSQL answers at ${PRIMARY_HOST}:${PRIMARY_PORT}"
    local wal_level senders used slots slots_used version hba ident gucs
    IFS='|' read -r wal_level senders used slots slots_used version hba ident gucs < <(primary_sql "
        SELECT current_setting('wal_level'), current_setting('max_wal_senders'),
               (SELECT count(*) FROM pg_stat_replication),
               current_setting('max_replication_slots'),
               (SELECT count(*) FROM pg_replication_slots WHERE slot_name <> '${NAME}'),
               current_setting('server_version_num')::int / 10000,
               current_setting('hba_file'), current_setting('ident_file'),
               (SELECT string_agg(name || '=' || setting, ' ') FROM pg_settings
                 WHERE name IN ('max_connections', 'max_worker_processes', 'max_wal_senders',
                                'max_prepared_transactions', 'max_locks_per_transaction'))")
    [[ "$wal_level" == "replica" || "$wal_level" == "logical" ]] \
        || fail "the primary's wal_level is ${wal_level}: streaming needs replica (changing it needs a restart of the primary, which this script never does)"
    [[ "$senders" -gt "$used" ]] \
        || fail "the primary's max_wal_senders (${senders}) are all in use (raising it needs a restart)"
    [[ "$slots" -gt "$slots_used" ]] \
        || fail "the primary's max_replication_slots (${slots}) are all taken (raising it needs a restart)"
    PRIMARY_MAJOR="$version"
    PRIMARY_HBA="$hba"
    PRIMARY_IDENT="$ident"
    STANDBY_OPTS=()
    local guc
    for guc in $gucs; do STANDBY_OPTS+=(-o "$guc"); done
    if ! replication_allowed; then
        say "the primary's pg_hba.conf lets no replication connection in from ${PRIMARY_HOST}: adding one to ${hba} and reloading"
        grep -qF "$HBA_MARK" "$hba" \
            || printf '%s\nhost    replication     all             %s/32            trust\n' \
                "$HBA_MARK" "$PRIMARY_HOST" >>"$hba"
        reload_primary
        sleep 0.5
        replication_allowed \
            || fail "still no replication connection from ${PRIMARY_HOST} after reloading: an earlier line of ${hba} refuses it"
    fi
}

wait_ready() {
    local i
    for i in $(seq 1 120); do
        if as_postgres pg_isready -q -h 127.0.0.1 -p "$PORT" \
            && [[ "$(replica_sql "SELECT pg_is_in_recovery()" 2>/dev/null)" == "t" ]]; then
            return 0
        fi
        sleep 0.25
    done
    fail "the replica did not come up on port ${PORT}; see /var/log/postgresql/postgresql-*-${NAME}.log"
}

start() {
    local found version status other
    found=$(our_cluster)
    if [[ -n "$found" ]]; then
        read -r version status <<<"$found"
        if [[ "$status" == online* ]]; then
            say "cluster ${version}/${NAME} already runs on port ${PORT}"
        else
            say "starting the existing cluster ${version}/${NAME}"
            as_postgres pg_ctlcluster "$version" "$NAME" start
        fi
        wait_ready
        say "ready: postgresql+psycopg://parks_app@127.0.0.1:${PORT}/parks"
        return 0
    fi
    other=$(cluster_on_port "$PORT")
    [[ -z "$other" ]] || fail "port ${PORT} belongs to cluster ${other}"
    if as_postgres pg_isready -q -h 127.0.0.1 -p "$PORT"; then
        fail "something already listens on port ${PORT}"
    fi
    check_primary
    version="$PRIMARY_MAJOR"
    local opts=("${STANDBY_OPTS[@]}")
    # A throwaway replica (--no-sync) is not fsynced either: nor is its data directory at
    # its first start (which would cost seconds).
    [[ -z "$NO_SYNC" ]] || opts+=(-o fsync=off)
    say "creating cluster ${version}/${NAME} on port ${PORT}"
    # pg_createcluster makes the directories under /var/lib/postgresql: as root, it gives
    # them to postgres.
    pg_createcluster "$version" "$NAME" -p "$PORT" --start-conf=manual \
        -o hot_standby=on -o hot_standby_feedback=on -o ssl=off "${opts[@]}" -- --no-sync >/dev/null
    local datadir
    datadir=$(pg_lsclusters --no-header | awk -v n="$NAME" '$2 == n {print $6; exit}')
    [[ -n "$datadir" && "$datadir" == */"$NAME" ]] || fail "could not find the new cluster's data directory"
    # The replica lets in whom the primary lets in (it serves the same clients).
    local confdir="/etc/postgresql/${version}/${NAME}"
    as_postgres cp "$PRIMARY_HBA" "${confdir}/pg_hba.conf"
    as_postgres cp "$PRIMARY_IDENT" "${confdir}/pg_ident.conf"
    # The data directory becomes a copy of the primary's, with standby.signal and
    # primary_conninfo (-R); WAL made meanwhile is streamed with it (-X stream).
    as_postgres find "$datadir" -mindepth 1 -delete
    drop_slot "$PRIMARY_PORT"  # an earlier replica of this name that was never stopped
    say "copying the primary (${PRIMARY_HOST}:${PRIMARY_PORT}) with pg_basebackup -R"
    if ! as_postgres pg_basebackup -R -X stream -C -S "$NAME" -c fast ${NO_SYNC:+"$NO_SYNC"} \
        -D "$datadir" \
        -d "host=${PRIMARY_HOST} port=${PRIMARY_PORT} user=postgres application_name=${NAME}"; then
        drop_slot "$PRIMARY_PORT"
        drop_cluster "$version"
        fail "pg_basebackup failed; nothing is left behind"
    fi
    # Not waited for by pg_ctl (which polls slowly): wait_ready asks four times a second.
    # (Not waiting, pg_ctlcluster warns that its checks found the server still starting.)
    local out
    out=$(as_postgres pg_ctlcluster "$version" "$NAME" start -- -W 2>&1) || fail "$out"
    wait_ready
    say "ready: postgresql+psycopg://parks_app@127.0.0.1:${PORT}/parks (PARKS_READ_DATABASE_URL)"
}

# Drop the replication slot of our name on the primary at port $1, when it is there.
drop_slot() {
    as_postgres psql -X -q -At -p "$1" -d postgres -c \
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
          WHERE slot_name = '${NAME}' AND NOT active" >/dev/null 2>&1 || true
}

drop_cluster() {
    # As root: the data directory's parent (/var/lib/postgresql/<v>) belongs to root.
    if [[ $EUID -eq 0 ]]; then
        pg_dropcluster --stop "$1" "$NAME"
    else
        as_postgres pg_dropcluster --stop "$1" "$NAME"
    fi
}

# The port of the primary a replica's data directory streams from (its primary_conninfo).
streams_from_port() {
    local datadir="$1"
    as_postgres cat "${datadir}/postgresql.auto.conf" 2>/dev/null \
        | sed -n "s/^primary_conninfo = .*port=\([0-9]*\).*/\1/p" | tail -n 1
}

stop() {
    local found version status datadir from
    found=$(our_cluster)
    if [[ -z "$found" ]]; then
        say "no cluster ${NAME}: nothing to stop"
        drop_slot "$PRIMARY_PORT"
        return 0
    fi
    read -r version status <<<"$found"
    datadir=$(pg_lsclusters --no-header | awk -v n="$NAME" '$2 == n {print $6; exit}')
    from=$(streams_from_port "$datadir")
    say "stopping and removing cluster ${version}/${NAME}"
    drop_cluster "$version"
    # The slot is free once the replica's WAL receiver is gone (a moment after the stop).
    local i
    for i in $(seq 1 40); do
        if [[ "$(as_postgres psql -X -q -At -p "${from:-$PRIMARY_PORT}" -d postgres -c \
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '${NAME}' AND active" \
            2>/dev/null || echo 0)" == "0" ]]; then
            break
        fi
        sleep 0.25
    done
    drop_slot "${from:-$PRIMARY_PORT}"
}

status() {
    local found version state
    found=$(our_cluster)
    if [[ -z "$found" ]]; then
        say "no cluster ${NAME}"
        exit 3
    fi
    read -r version state <<<"$found"
    if [[ "$state" != online* ]]; then
        say "cluster ${version}/${NAME} exists but is ${state}"
        exit 3
    fi
    local recovery replayed age primary behind datadir from
    # The primary it streams from, as its primary_conninfo names it.
    datadir=$(pg_lsclusters --no-header | awk -v n="$NAME" '$2 == n {print $6; exit}')
    from=$(streams_from_port "$datadir")
    PRIMARY_PORT="${from:-$PRIMARY_PORT}"
    recovery=$(replica_sql "SELECT pg_is_in_recovery()")
    replayed=$(replica_sql "SELECT pg_last_wal_replay_lsn()")
    age=$(replica_sql "SELECT coalesce(round(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::numeric, 1)::text, 'none')")
    primary=$(primary_sql "SELECT pg_current_wal_lsn()" 2>/dev/null || echo "unknown")
    behind="unknown"
    if [[ "$primary" != "unknown" && -n "$replayed" ]]; then
        behind=$(primary_sql "SELECT greatest(pg_wal_lsn_diff('${primary}', '${replayed}'), 0)::bigint")
    fi
    say "cluster ${version}/${NAME} on port ${PORT}: in recovery ${recovery}, replayed ${replayed:-none}, primary at ${primary}, ${behind} bytes behind, last replayed transaction ${age} s ago"
    [[ "$recovery" == "t" ]] || exit 3
}

case "$ACTION" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) usage ;;
esac
