#!/usr/bin/env bash
# Memory under a disconnected collector: one agent reads generated lines from stdin as fast as it can,
# with no collector to ship to, until its spool is full and then for a while longer (the spool drops the
# oldest segments). Reports peak RSS, spool size on disk and the records counted as dropped. Writes only
# under .bench/spool/.
#
#   BIN_DIR=.build/release SPOOL=256MiB SECONDS_FULL=20 bash scripts/bench-spool.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BIN_DIR=${BIN_DIR:-.build/release}
SPOOL=${SPOOL:-256MiB}
SECONDS_FULL=${SECONDS_FULL:-20}
TIMEOUT=${TIMEOUT:-300}
WORK=$ROOT/.bench/spool
AGENT_BIN=$BIN_DIR/lepton-agent
COLLECTOR_BIN=$BIN_DIR/lepton-collector

say() { printf '[bench-spool] %s\n' "$*" >&2; }
die() {
    printf '[bench-spool] error: %s\n' "$*" >&2
    exit 1
}
for b in "$AGENT_BIN" "$COLLECTOR_BIN"; do
    [ -x "$b" ] || die "$b not found: run 'make release' first, or set BIN_DIR"
done
command -v python3 >/dev/null 2>&1 || die "python3 is required (make deps installs it)"
command -v curl >/dev/null 2>&1 || die "curl is required (make deps installs it)"

rm -rf "$WORK"
mkdir -p "$WORK"
"$COLLECTOR_BIN" certs init --dir "$WORK/pki" >/dev/null
"$COLLECTOR_BIN" certs issue --dir "$WORK/pki" --agent spool-bench >/dev/null

# A port nothing listens on: the agent keeps trying to connect and spools everything.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ADMIN=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/agent.yaml" <<YAML
agent: { id: spool-bench, state_dir: $WORK/state }
collector:
  address: 127.0.0.1:$PORT
  tls: { ca: $WORK/pki/ca.pem, cert: $WORK/pki/agents/spool-bench.pem, key: $WORK/pki/agents/spool-bench-key.pem }
  reconnect: { initial: 1s, max: 5s }
  shutdown_timeout: 1s
sources:
  - { type: stdin, name: lines, when_full: drop_oldest }
spool: { max_bytes: $SPOOL }
admin: { listen: 127.0.0.1:$ADMIN }
log: { level: warning }
YAML

# Lines with a random tail, so that zlib cannot make the spool's job easy.
cat >"$WORK/generator.py" <<'PY'
import random, sys
rng = random.Random(7)
alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
# 4096 random tails of 48 bytes cycle through ~200 KB, beyond zlib's 32 KB window.
tails = ["".join(rng.choice(alphabet) for _ in range(48)) for _ in range(4096)]
out = sys.stdout
n = 0
try:
    while True:
        out.write("".join("%d temp=%d %s\n" % (n + i, 200 + (n + i) % 700, tails[(n + i) % 4096]) for i in range(1, 5001)))
        n += 5000
except BrokenPipeError:
    pass
PY

metric() { curl -s "http://127.0.0.1:$ADMIN/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

python3 "$WORK/generator.py" | "$AGENT_BIN" run --config "$WORK/agent.yaml" 2>"$WORK/agent.log" &
PIPE_PID=$!
sleep 1
AGENT_PID=$(pgrep -n -f "$AGENT_BIN run --config $WORK/agent.yaml") || die "agent did not start: $(cat "$WORK/agent.log")"
trap 'kill "$AGENT_PID" 2>/dev/null || true' EXIT

say "filling a $SPOOL spool with no collector (agent pid $AGENT_PID)"
START=$(date +%s)
while :; do
    dropped=$(curl -s "http://127.0.0.1:$ADMIN/metrics" | awk '$1 ~ /^lepton_agent_records_dropped_total/ { s += $2 } END { print s + 0 }')
    [ "${dropped%.*}" -gt 0 ] && break
    [ $(( $(date +%s) - START )) -lt "$TIMEOUT" ] || die "spool not full after ${TIMEOUT}s"
    sleep 1
done
FULL_AFTER=$(( $(date +%s) - START ))
say "spool full after ${FULL_AFTER}s; running ${SECONDS_FULL}s more while it drops the oldest"
sleep "$SECONDS_FULL"

read_records=$(metric 'lepton_agent_records_total{source="lines"}')
dropped=$(curl -s "http://127.0.0.1:$ADMIN/metrics" | awk '$1 ~ /^lepton_agent_records_dropped_total/ { s += $2 } END { printf "%d", s }')
spool_bytes=$(metric lepton_agent_spool_bytes)
disk=$(du -sb "$WORK/state/spool" | cut -f1)
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$AGENT_PID/status")
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$AGENT_PID/status")
cpu=$(awk '{ printf "%.1f", ($14 + $15) / '"$(getconf CLK_TCK)"' }' "/proc/$AGENT_PID/stat")
kill "$AGENT_PID" 2>/dev/null || true
wait "$PIPE_PID" 2>/dev/null || true
trap - EXIT

cat <<TABLE
| Spool limit | Full after | Records read | Dropped (counted) | Spool gauge | On disk | Peak RSS | RSS at end | Agent CPU |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| $SPOOL | ${FULL_AFTER} s | ${read_records%.*} | $dropped | ${spool_bytes%.*} B | $disk B | $((hwm / 1024)) MiB | $((rss / 1024)) MiB | ${cpu} s |
TABLE
