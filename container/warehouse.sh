#!/bin/sh
# The warehouse container: on first start initialise $PGDATA with the role `etl` (password
# $D2B_WAREHOUSE_PASSWORD) owning the databases `warehouse` and `luigi_history` (luigid's task history),
# then run PostgreSQL in the foreground. Later starts reuse the data; the password is set only once.
set -eu

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${D2B_WAREHOUSE_PASSWORD:?set D2B_WAREHOUSE_PASSWORD (in the environment or .env)}"
    initdb --pgdata="$PGDATA" --username=postgres --auth-local=peer --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8
    printf "listen_addresses = '*'\nunix_socket_directories = '/tmp'\n" >> "$PGDATA/postgresql.conf"
    printf 'host all all all scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
    pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait start
    # the password goes in as a psql variable: it is in no command line and no log
    psql --quiet --username=postgres --dbname=postgres --set=ON_ERROR_STOP=1 \
        --set=password="$D2B_WAREHOUSE_PASSWORD" <<'SQL'
CREATE ROLE etl LOGIN PASSWORD :'password';
CREATE DATABASE warehouse OWNER etl;
CREATE DATABASE luigi_history OWNER etl;
SQL
    pg_ctl --pgdata="$PGDATA" --mode=fast --wait stop
    echo "warehouse initialised: database warehouse and luigi_history, role etl"
fi
exec postgres -D "$PGDATA"
