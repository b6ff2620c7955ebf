#!/usr/bin/env bash
# A PostgreSQL for the store tests, on 127.0.0.1:5432.
#
# Uses a server already listening there; otherwise starts the local cluster of Debian's
# `postgresql` package (creating the cluster, or installing the package, when missing).
# Then makes sure the role `prospecting` (password `prospecting`) and its database
# `prospecting_test` exist.
#
# stdout: one line, `export PROSPECTING_TEST_PG_URL=...`, so that
#     out=$(bash .ci/postgres.sh) && eval "$out"
# Progress and the line saying which server was used go to stderr. Exits non-zero on failure.
set -euo pipefail

HOST=127.0.0.1
PORT=5432
ROLE=prospecting
PASSWORD=prospecting
DATABASE=prospecting_test
URL="postgresql+psycopg://$ROLE:$PASSWORD@$HOST:$PORT/$DATABASE"

say() { echo "postgres.sh: $*" >&2; }
die() {
    say "ERROR: $*"
    exit 1
}

listening() {
    if command -v pg_isready >/dev/null; then
        pg_isready -q -h "$HOST" -p "$PORT" -t 2
    else
        (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
    fi
}

wait_until_listening() {
    local i
    for i in $(seq 1 60); do
        listening && return 0
        sleep 0.5
    done
    return 1
}

as_postgres() { # run a command as the postgres OS user, from a folder it can read
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && sudo -n -u postgres -- "$@")
    fi
}

newest_major() { # the newest installed server version, e.g. 15
    local bin
    bin=$({ find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/postgres' 2>/dev/null || true; } | sort -V | tail -n 1)
    [ -n "$bin" ] || return 1
    basename "$(dirname "$(dirname "$bin")")"
}

install_postgresql() {
    say "PostgreSQL is not installed: apt-get install postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed"
    apt-get install -y -qq postgresql >&2 || die "apt-get install postgresql failed"
}

start_local_cluster() {
    local version name port status
    newest_major >/dev/null || install_postgresql
    command -v pg_lsclusters >/dev/null || die "pg_lsclusters not found (is postgresql-common installed?)"
    # the cluster on our port, if there is one: "version name port status ..."
    read -r version name port status < <(pg_lsclusters --no-header | awk -v p="$PORT" '$3 == p {print $1, $2, $3, $4; exit}') || true
    if [ -z "${version:-}" ]; then
        version=$(newest_major) || die "no PostgreSQL server binaries under /usr/lib/postgresql"
        name=main
        if pg_lsclusters --no-header | awk -v v="$version" '$1 == v && $2 == "main" {found = 1} END {exit !found}'; then
            name=ci # main exists but on another port
        fi
        say "creating cluster $version/$name on port $PORT"
        pg_createcluster "$version" "$name" -p "$PORT" >&2 || die "pg_createcluster $version $name failed"
    fi
    local started=$SECONDS
    if pg_ctlcluster "$version" "$name" status >/dev/null 2>&1; then
        say "cluster $version/$name is already running (the package's install may have started it)"
    else
        say "starting cluster $version/$name"
        pg_ctlcluster "$version" "$name" start >&2 || die "pg_ctlcluster $version $name start failed (log: /var/log/postgresql/postgresql-$version-$name.log)"
    fi
    wait_until_listening || die "cluster $version/$name started but nothing answers on $HOST:$PORT"
    USED="local cluster $version/$name, started by .ci/postgres.sh in $((SECONDS - started)) s"
}

can_log_in() {
    PGPASSWORD=$PASSWORD PGCONNECT_TIMEOUT=5 psql -X -q -w -h "$HOST" -p "$PORT" -U "$ROLE" -d "$DATABASE" -c 'SELECT 1' >/dev/null 2>&1
}

ensure_role_and_database() {
    local sql
    sql="
SELECT 'CREATE ROLE $ROLE' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE')\\gexec
ALTER ROLE $ROLE LOGIN PASSWORD '$PASSWORD';
SELECT 'CREATE DATABASE $DATABASE OWNER $ROLE' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DATABASE')\\gexec
ALTER DATABASE $DATABASE OWNER TO $ROLE;
"
    # the local server's superuser over its socket; else a superuser over TCP (PGUSER/PGPASSWORD if set)
    if as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres -f - <<<"$sql" >/dev/null 2>&1 \
        || psql -X -q -w -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U "${PGUSER:-postgres}" -d postgres -f - <<<"$sql" >/dev/null; then
        return 0
    fi
    return 1
}

USED=""
if listening; then
    USED="the server already listening on $HOST:$PORT"
else
    start_local_cluster
fi
command -v psql >/dev/null || die "psql not found (apt-get install postgresql-client)"
if ! can_log_in; then
    ensure_role_and_database || die "could not create role $ROLE and database $DATABASE on $HOST:$PORT"
    can_log_in || die "role $ROLE cannot log in to $DATABASE on $HOST:$PORT with its password"
fi
say "PostgreSQL for the store tests: $USED ($URL)"
echo "export PROSPECTING_TEST_PG_URL=$URL"
