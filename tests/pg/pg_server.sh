#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: initdb in DIR, listening on a Unix socket in DIR
# only (no TCP), trust authentication, no fsync (nothing here outlives the test run; set
# UPSCOPE_PG_DURABLE=1 for a server that syncs, as bench/bench_catalog_pg.sh does).
#   pg_server.sh start DIR   prints the socket directory; a missing PostgreSQL is not an error:
#                            it writes DIR/SKIPPED with the reason, prints "SKIPPED: reason", exits 0
#   pg_server.sh stop DIR    stops it and removes DIR
# PostgreSQL refuses to run as root: as root, the server runs as the unprivileged user `nobody`
# (setpriv) and the superuser role is named after the caller, who connects through the socket.
set -euo pipefail
cmd=${1:?usage: pg_server.sh start|stop DIR}
dir=${2:?usage: pg_server.sh start|stop DIR}

bindir=""
for d in "$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")" /usr/lib/postgresql/*/bin; do
  if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then bindir=$d; break; fi
done

as_server() {
  if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; else "$@"; fi
}

skip() {
  mkdir -p "$dir"
  echo "$1" > "$dir/SKIPPED"
  echo "SKIPPED: $1"
  exit 0
}

case "$cmd" in
  start)
    [ -n "$bindir" ] || skip "the PostgreSQL server (initdb, pg_ctl, postgres) is not installed (Debian: postgresql)"
    if [ "$(id -u)" -eq 0 ]; then
      command -v setpriv >/dev/null || skip "running as root and setpriv (util-linux) is missing: postgres refuses root"
      id nobody >/dev/null 2>&1 || skip "running as root and there is no user 'nobody' to run postgres as"
    fi
    # a server left by an interrupted run
    if [ -f "$dir/data/postmaster.pid" ]; then as_server "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$dir"
    chmod 755 "$dir"
    as_server "$bindir/initdb" -D "$dir/data" -U "$(id -un)" -A trust -E UTF8 --locale=C --no-sync \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # (pg_ctl hands -o to a shell command line: one line, no newlines)
    opts="-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=60 -c shared_buffers=128MB"
    # UPSCOPE_PG_DURABLE=1 (bench/): a server that syncs its writes like a real one
    [ -n "${UPSCOPE_PG_DURABLE:-}" ] || opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "$dir"
    ;;
  stop)
    if [ -n "$bindir" ] && [ -f "$dir/data/postmaster.pid" ]; then
      as_server "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg_server.sh start|stop DIR" >&2
    exit 2
    ;;
esac
