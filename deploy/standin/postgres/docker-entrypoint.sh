#!/bin/bash
# The parts of the official postgres image's entrypoint the compose file relies on:
# first start initialises $PGDATA with POSTGRES_USER (superuser, POSTGRES_PASSWORD, scram),
# creates POSTGRES_DB, runs /docker-entrypoint-initdb.d/*.sh|*.sql; the server listens on
# every interface with password auth for the network and runs as the postgres user.
set -Eeuo pipefail

if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi

if [ "$1" = 'postgres' ] && [ "$(id -u)" = '0' ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown -R postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    chmod 3777 /var/run/postgresql
    exec gosu postgres "$BASH_SOURCE" "$@"
fi

if [ "$1" = 'postgres' ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_USER:=postgres}"
    : "${POSTGRES_DB:=$POSTGRES_USER}"
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "${POSTGRES_HOST_AUTH_METHOD:-}" != 'trust' ]; then
        echo >&2 'error: database is uninitialized and POSTGRES_PASSWORD is not set'
        exit 1
    fi
    echo "initialising $PGDATA (PostgreSQL $(postgres --version | awk '{print $3}'))"
    initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") \
        --auth-local=trust --auth-host="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" \
        ${POSTGRES_INITDB_ARGS:-} >/dev/null
    {
        echo
        echo "host all all all ${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    } >> "$PGDATA/pg_hba.conf"
    sed -ri "s/^#?(listen_addresses)\s*=\s*\S+.*/\1 = '*'/" "$PGDATA/postgresql.conf"
    # A temporary server on the socket only, as the official image does.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >/dev/null
    export PGUSER="$POSTGRES_USER" PGHOST=/var/run/postgresql
    if [ "$POSTGRES_DB" != 'postgres' ]; then
        psql -v ON_ERROR_STOP=1 --dbname postgres -q \
            -c "CREATE DATABASE \"$POSTGRES_DB\";"
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh) echo "running $f"; . "$f" ;;
            *.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 --dbname "$POSTGRES_DB" -f "$f" ;;
            *) ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    unset PGUSER PGHOST
    echo 'PostgreSQL init process complete; ready for start up.'
fi

exec "$@"
