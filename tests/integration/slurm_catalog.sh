#!/usr/bin/env bash
# Integration test of team-scale ingest: a single-node Slurm cluster (slurmctld and slurmd on
# localhost, munge for authentication, every file in a temporary directory) runs
# deploy/slurm/catalog_add.sbatch as a job array that adds make_series.py's seven builds to a
# PostgreSQL catalogue, one task per build, two at a time; then `catalog ls`, `catalog diff` (text
# and JSON) of every consecutive pair and `history` of the components that change must equal, byte
# for byte, what an SQLite catalogue of the same builds gives.
#
#   slurm_catalog.sh UPSCOPE_BINARY SOURCE_DIR
#
# PostgreSQL: the test run's server (UPSCOPE_TEST_PGDIR, the ctest fixture), else one of its own.
# Slurm runs jobs as their submitter only when slurmd runs as root: as another user, or without
# Slurm, munge or PostgreSQL installed, it prints "SKIPPED: reason" and exits 77 (ctest: skipped).
set -euo pipefail
upscope=$(realpath "${1:?usage: slurm_catalog.sh UPSCOPE_BINARY SOURCE_DIR}")
src=$(realpath "${2:?usage: slurm_catalog.sh UPSCOPE_BINARY SOURCE_DIR}")

skip() {
  echo "SKIPPED: $1"
  exit 77
}
for p in slurmctld slurmd sbatch sinfo munged psql python3; do
  command -v "$p" >/dev/null || skip "$p is not installed (Debian: slurm-wlm, munge, postgresql-client, python3)"
done
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root to start jobs (running as $(id -un))"

work=$(mktemp -d /tmp/upscope-slurm-XXXXXX)
chmod 755 "$work"
pids=()
own_pg=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "$own_pg" ] && "$src/tests/pg/pg_server.sh" stop "$own_pg" || true
  [ -n "${UPSCOPE_KEEP_SCRATCH:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAILED: $1" >&2
  for f in "$work"/slurmctld.log "$work"/slurmd.log "$work"/munged.log "$work"/job/*.out; do
    [ -f "$f" ] && { echo "== $f" >&2; tail -n 30 "$f" >&2; }
  done
  exit 1
}
wait_for() {  # wait_for SECONDS WHAT COMMAND...: until COMMAND succeeds
  local t=$1 what=$2; shift 2
  for _ in $(seq $((t * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  fail "$what did not happen within $t s"
}

# PostgreSQL and a fresh database for this run.
pgdir=${UPSCOPE_TEST_PGDIR:-}
if [ -z "$pgdir" ]; then
  pgdir=$work/pg
  "$src/tests/pg/pg_server.sh" start "$pgdir" >/dev/null
  [ -f "$pgdir/SKIPPED" ] || own_pg=$pgdir
fi
[ ! -f "$pgdir/SKIPPED" ] || skip "$(cat "$pgdir/SKIPPED")"
dbname=slurm_$$
psql -X -q "postgresql:///postgres?host=$pgdir" -c "CREATE DATABASE $dbname" || fail "creating the database"
export UPSCOPE_CATALOG_DB="postgresql:///$dbname?host=$pgdir"
export UPSCOPE=$upscope

# The builds, listed out of series order (the array's tasks finish in any order anyway).
python3 "$src/samples/gen/make_series.py" "$work/series" >/dev/null
printf '%s\n' "$work"/series/0{5,2,7,1,4,6,3}-* > "$work/builds.txt"
n=$(wc -l < "$work/builds.txt")

# munge: its own key, socket, pid, log and seed files.
mkdir -m 711 "$work/munge"
head -c 1024 /dev/urandom > "$work/munge/munge.key"
chmod 400 "$work/munge/munge.key"
munged --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munged.log" --seed-file="$work/munge/seed" \
  || fail "munged did not start"
pids+=("$(cat "$work/munge/munged.pid")")

# Slurm: controller and one node on this host, on two free ports.
read -r port1 port2 < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
host=$(hostname -s)
node_hw=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]* //; s/ UpTime=.*//')
mkdir -p "$work/state" "$work/spool" "$work/job"
cat > "$work/slurm.conf" <<CONF
ClusterName=upscopetest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port1
SlurmdPort=$port2
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=upscope-node NodeAddr=127.0.0.1 $node_hw State=UNKNOWN
PartitionName=test Nodes=upscope-node Default=YES MaxTime=10 State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >/dev/null 2>&1 &
pids+=($!)
slurmd -D -N upscope-node -f "$SLURM_CONF" >/dev/null 2>&1 &
pids+=($!)
idle() { [ "$(sinfo -h -n upscope-node -o %T)" = idle ]; }
wait_for 30 "the node becoming idle" idle

# The job array: one task per build, two at a time (one CPU each), all writing to PostgreSQL.
sbatch --wait --quiet --array="1-$n%2" --chdir="$work/job" --cpus-per-task=1 --mem=500M --time=5 \
  --output="$work/job/task-%a.out" "$src/deploy/slurm/catalog_add.sbatch" "$work/builds.txt" \
  || fail "the job array failed"
added=$(grep -l ': added #' "$work"/job/task-*.out | wc -l)
[ "$added" -eq "$n" ] || fail "$added of $n tasks added their build"

# The same builds in an SQLite catalogue, added in series order by one process.
lite=$work/lite.db
"$upscope" -q catalog add --db "$lite" $(sort "$work/builds.txt") >/dev/null || fail "SQLite add"

checks=0
same() {  # same DESCRIPTION ARGS...: `upscope ARGS --db X` prints the same on both catalogues
  local what=$1; shift
  local a b
  a=$("$upscope" "$@" --db "$lite" 2>&1 || true)
  b=$("$upscope" "$@" --db "$UPSCOPE_CATALOG_DB" 2>&1 || true)
  [ "$a" = "$b" ] || { diff <(echo "$a") <(echo "$b") | head -n 20 >&2; fail "$what differs"; }
  checks=$((checks + 1))
}
strip_json() {  # the document less the catalogue's name and the dates builds were added
  python3 -c 'import json, sys
d = json.load(sys.stdin); d.pop("database", None)
for b in d.get("builds", []): b.pop("added_at", None)
print(json.dumps(d, sort_keys=True))'
}
same_json() {
  local what=$1; shift
  local a b
  a=$("$upscope" "$@" --db "$lite" | strip_json)
  b=$("$upscope" "$@" --db "$UPSCOPE_CATALOG_DB" | strip_json)
  [ "$a" = "$b" ] || fail "$what differs"
  checks=$((checks + 1))
}
same_json "catalog ls --json" catalog ls --json
for i in $(seq 1 $((n - 1))); do
  same "catalog diff #$i #$((i + 1))" catalog diff "#$i" "#$((i + 1))"
  same "catalog diff --json #$i #$((i + 1))" catalog diff --json "#$i" "#$((i + 1))"
done
same "catalog verdict 13.4 13.4 (a)" catalog verdict 13.4 "13.4 (a)"
for c in WebKit /usr/lib/libexample.dylib com.example.driver.A; do
  same "history $c" history "$c"
  same_json "history --json $c" history --json "$c"
done
[ "$(psql -X -At "$UPSCOPE_CATALOG_DB" -c 'SELECT count(*) FROM builds')" = "$n" ] || fail "build count"
echo "$n builds added by a $n-task Slurm job array into PostgreSQL; $checks outputs identical to SQLite's"
