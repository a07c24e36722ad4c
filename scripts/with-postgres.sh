#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster, for the tests that need a real server:
#
#   scripts/with-postgres.sh swift test --skip-build
#
# The cluster is created in a temporary folder (initdb, trust authentication on loopback only) by an unprivileged
# user (nobody, when this runs as root), listens on a free port of 127.0.0.1, and is stopped and deleted when the
# command ends, however it ends. The command finds it in LEPTON_TEST_POSTGRES_URL (a superuser's URL: tests create
# a database each). Needs Debian's postgresql package (make test installs it).
#
# The tests run it without fsync (they check Lepton's logic, not the disk); WITH_POSTGRES_DURABLE=1 keeps PostgreSQL's
# durable defaults, for benchmarks (make bench).
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

bindir=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "with-postgres: PostgreSQL's server programs are not installed (apt-get install postgresql)" >&2
    exit 1
fi

dir=$(mktemp -d /tmp/lepton-postgres.XXXXXX)
chmod 0755 "$dir"
as_owner=()
if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root.
    chown nobody: "$dir"
    as_owner=(runuser -u nobody --)
fi

# shellcheck disable=SC2317 # called by the EXIT trap
stop() {
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U lepton -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
# Room for a few collectors' pools.
options="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200"
if [ "${WITH_POSTGRES_DURABLE:-0}" != 1 ]; then
    options="$options -c fsync=off -c full_page_writes=off"
fi
"${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$options" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
echo "with-postgres: PostgreSQL $("$bindir/postgres" --version | awk "{print \$3}") on 127.0.0.1:$port ($dir)"

export LEPTON_TEST_POSTGRES_URL="postgres://lepton@127.0.0.1:$port/postgres?sslmode=disable"
status=0
"$@" || status=$?
exit "$status"
