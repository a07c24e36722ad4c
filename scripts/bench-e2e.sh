#!/usr/bin/env bash
# End-to-end benchmark on loopback: one agent tails a generated file and ships it over mutual TLS to a
# collector that stores it in a fresh SQLite file. Prints a markdown table; writes nothing outside .bench/.
#
#   make bench                                              release build, then this script
#   BIN_DIR=.build/debug LINES=20000 bash scripts/bench-e2e.sh   quick check with other binaries
#
# Environment: BIN_DIR (default .build/release), LINES (default 1000000), TIMEOUT seconds (default 600).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BIN_DIR=${BIN_DIR:-.build/release}
LINES=${LINES:-1000000}
TIMEOUT=${TIMEOUT:-600}
BENCH=$ROOT/.bench
AGENT_ID=bench-edge

say() { printf '[bench] %s\n' "$*" >&2; }
die() {
    printf '[bench] error: %s\n' "$*" >&2
    exit 1
}

COLLECTOR_BIN=$BIN_DIR/lepton-collector
AGENT_BIN=$BIN_DIR/lepton-agent
for b in "$COLLECTOR_BIN" "$AGENT_BIN"; do
    [ -x "$b" ] || die "$b not found: run 'make bench' (or 'make release'), or set BIN_DIR"
done
for tool in curl python3 getconf; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required (make deps installs curl and python3)"
done
[[ $LINES =~ ^[1-9][0-9]*$ ]] || die "LINES must be a positive whole number, not '$LINES'"
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "TIMEOUT must be a positive whole number of seconds, not '$TIMEOUT'"

mkdir -p "$BENCH"

# --- input --------------------------------------------------------------------------------------------------

INPUT=$BENCH/input.log
if [ "$(cat "$BENCH/input.lines" 2>/dev/null)" != "$LINES" ] || [ ! -f "$INPUT" ]; then
    say "generating $LINES lines into .bench/input.log"
    rm -f "$BENCH/input.lines"
    python3 - "$LINES" "$INPUT" <<'PY'
import random, sys
from datetime import datetime, timedelta, timezone

lines, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(42)  # the same input on every machine
t = datetime(2026, 11, 29, 6, 40, 0, tzinfo=timezone.utc)
paths = ["/api/v1/orders", "/api/v1/orders/{}", "/api/v1/users/{}", "/api/v1/cart", "/healthz", "/static/app.js"]
methods = ["GET", "GET", "GET", "GET", "POST", "PUT", "DELETE"]
zones = ["thermal_zone0", "thermal_zone1", "thermal_zone2"]
temps = [41.0, 47.5, 38.2]
with open(path, "w") as out:
    chunk = []
    for i in range(lines):
        t += timedelta(microseconds=rng.randint(200, 4000))
        ts = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
        r = rng.random()
        if r < 0.35:
            z = rng.randrange(3)
            temps[z] = min(95.0, max(25.0, temps[z] + rng.uniform(-0.25, 0.25)))
            status = "ok" if temps[z] < 80 else "hot"
            chunk.append(f"{ts} sensor={zones[z]} temp_c={temps[z]:.3f} fan_rpm={1800 + int(temps[z] * 10) + rng.randint(-40, 40)} status={status}")
        elif r < 0.50:
            chunk.append(f"{ts} sensor=hwmon0 in0_mv={rng.gauss(12000, 35):.0f} in1_mv={rng.gauss(5030, 12):.0f} power_w={rng.uniform(6.5, 14.0):.2f} status=ok")
        elif r < 0.60:
            chunk.append(f"{ts} sensor=loadavg load1={rng.uniform(0.05, 3.5):.2f} load5={rng.uniform(0.1, 2.5):.2f} procs={rng.randint(90, 240)} status=ok")
        else:
            p = rng.choice(paths).format(rng.randint(1, 99999))
            s = rng.random()
            if s < 0.90:
                level, code = "INFO ", rng.choice([200, 200, 200, 201, 204, 304])
            elif s < 0.97:
                level, code = "WARN ", rng.choice([400, 401, 404, 429])
            else:
                level, code = "ERROR", rng.choice([500, 502, 503])
            line = (f"{ts} {level} api request_id={rng.getrandbits(64):016x} method={rng.choice(methods)} path={p} "
                    f"status={code} latency_ms={rng.lognormvariate(2.3, 0.8):.1f} bytes={rng.randint(120, 48000)}")
            if code >= 500:
                line += ' error="upstream timeout after 2000ms"'
            chunk.append(line)
        if len(chunk) == 10000:
            out.write("\n".join(chunk) + "\n")
            chunk.clear()
    if chunk:
        out.write("\n".join(chunk) + "\n")
PY
    echo "$LINES" >"$BENCH/input.lines"
fi
INPUT_BYTES=$(stat -c %s "$INPUT")

# --- certificates and configuration -------------------------------------------------------------------------

if [ ! -f "$BENCH/certs/ca.pem" ]; then
    "$COLLECTOR_BIN" certs init --dir "$BENCH/certs" --host 127.0.0.1 --host localhost >/dev/null
fi
if [ ! -f "$BENCH/certs/agents/$AGENT_ID.pem" ]; then
    "$COLLECTOR_BIN" certs issue --dir "$BENCH/certs" --agent "$AGENT_ID" >/dev/null
fi

# Three free loopback ports, chosen by the kernel.
read -r AGENT_PORT HTTP_PORT ADMIN_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
')
API=http://127.0.0.1:$HTTP_PORT
ADMIN=http://127.0.0.1:$ADMIN_PORT

rm -rf "$BENCH/collector" "$BENCH/agent"
mkdir -p "$BENCH/collector" "$BENCH/agent"
cat >"$BENCH/collector.yaml" <<EOF
# Generated by scripts/bench-e2e.sh.
listen: 127.0.0.1:$AGENT_PORT
tls: { ca: certs/ca.pem, cert: certs/collector.pem, key: certs/collector-key.pem }
http: { listen: 127.0.0.1:$HTTP_PORT }
storage: { type: sqlite, path: collector/lepton.db }
log: { level: info }
EOF
cat >"$BENCH/agent.yaml" <<EOF
# Generated by scripts/bench-e2e.sh.
agent: { id: $AGENT_ID, state_dir: agent }
collector:
  address: 127.0.0.1:$AGENT_PORT
  tls: { ca: certs/ca.pem, cert: certs/agents/$AGENT_ID.pem, key: certs/agents/$AGENT_ID-key.pem }
sources:
  - { type: file, name: input, path: input.log, parser: text }
batch: { max_records: 1000, max_bytes: 1MiB, linger: 200ms }
admin: { listen: 127.0.0.1:$ADMIN_PORT }
log: { level: info }
EOF
"$COLLECTOR_BIN" check --config "$BENCH/collector.yaml" >/dev/null
"$AGENT_BIN" check --config "$BENCH/agent.yaml" >/dev/null

# --- run ----------------------------------------------------------------------------------------------------

COLLECTOR_PID=""
AGENT_PID=""

# stop PID: SIGTERM, wait up to 30 s, then SIGKILL; returns the exit status.
stop() {
    local pid=$1 i rc=0
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "pid $pid did not stop within 30 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || rc=$?
    return "$rc"
}
cleanup() {
    if [ -n "$AGENT_PID" ]; then stop "$AGENT_PID" || true; fi
    if [ -n "$COLLECTOR_PID" ]; then stop "$COLLECTOR_PID" || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ns() { date +%s%N; }
# peak_rss_kib PID: VmHWM.
peak_rss_kib() { awk '/^VmHWM:/ { print $2 }' /proc/"$1"/status; }
stored_records() {
    local json
    json=$(curl -fsS --max-time 2 "$API/api/v1/agents" 2>/dev/null) || return 1
    if [[ $json =~ \"records\":([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi
}
metric() { # metric TEXT NAME_WITH_LABELS: the sample's value, or 0
    awk -v name="$2" '$1 == name { print $2; found = 1 } END { if (!found) print 0 }' <<<"$1"
}

say "starting the collector (agents 127.0.0.1:$AGENT_PORT, HTTP $API)"
"$COLLECTOR_BIN" run --config "$BENCH/collector.yaml" </dev/null >"$BENCH/collector.log" 2>&1 &
COLLECTOR_PID=$!
for ((i = 0; ; i++)); do
    curl -fsS --max-time 1 "$API/readyz" >/dev/null 2>&1 && break
    kill -0 "$COLLECTOR_PID" 2>/dev/null || die "the collector exited; see .bench/collector.log"
    ((i < 300)) || die "the collector is not ready after 30 s; see .bench/collector.log"
    sleep 0.1
done

say "starting the agent on $LINES lines ($INPUT_BYTES bytes)"
T0=$(now_ns)
"$AGENT_BIN" run --config "$BENCH/agent.yaml" </dev/null >"$BENCH/agent.log" 2>&1 &
AGENT_PID=$!
DEADLINE=$((SECONDS + TIMEOUT))
last_report=$SECONDS
stored=0
while :; do
    stored=$(stored_records) || stored=0
    if ((stored >= LINES)); then
        T1=$(now_ns)
        break
    fi
    kill -0 "$AGENT_PID" 2>/dev/null || die "the agent exited; see .bench/agent.log"
    kill -0 "$COLLECTOR_PID" 2>/dev/null || die "the collector exited; see .bench/collector.log"
    ((SECONDS < DEADLINE)) || die "timeout: $stored of $LINES records stored after ${TIMEOUT}s"
    if ((SECONDS - last_report >= 5)); then
        say "$stored records stored"
        last_report=$SECONDS
    fi
    sleep 0.05
done
say "all $stored records stored"

# Resource use, read before stopping.
TICKS=$(getconf CLK_TCK)
read_cpu() { # read_cpu PID: "utime stime" in clock ticks
    local stat
    stat=$(</proc/"$1"/stat)
    stat=${stat##*) }
    read -r -a f <<<"$stat"
    echo "${f[11]} ${f[12]}"
}
read -r AGENT_UT AGENT_ST < <(read_cpu "$AGENT_PID")
read -r COLL_UT COLL_ST < <(read_cpu "$COLLECTOR_PID")
AGENT_HWM=$(peak_rss_kib "$AGENT_PID")
COLL_HWM=$(peak_rss_kib "$COLLECTOR_PID")
COLL_METRICS=$(curl -fsS --max-time 5 "$API/metrics")
AGENT_METRICS=$(curl -fsS --max-time 5 "$ADMIN/metrics")
COMPRESSED=$(metric "$COLL_METRICS" 'lepton_collector_received_bytes_total{form="compressed"}')
RAW=$(metric "$COLL_METRICS" 'lepton_collector_received_bytes_total{form="raw"}')
BATCHES=$(metric "$COLL_METRICS" 'lepton_collector_batches_total')
WIRE=$(metric "$AGENT_METRICS" 'lepton_agent_wire_bytes_sent_total')

AGENT_RC=0
stop "$AGENT_PID" || AGENT_RC=$?
AGENT_PID=""
COLL_RC=0
stop "$COLLECTOR_PID" || COLL_RC=$?
COLLECTOR_PID=""
[ "$AGENT_RC" = 0 ] || say "warning: the agent exited with status $AGENT_RC (see .bench/agent.log)"
[ "$COLL_RC" = 0 ] || say "warning: the collector exited with status $COLL_RC (see .bench/collector.log)"

DB=$BENCH/collector/lepton.db
DB_BYTES=$(stat -c %s "$DB" 2>/dev/null || echo 0)
WAL_BYTES=$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)

CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
python3 - <<PY
lines, input_bytes = $LINES, $INPUT_BYTES
wall = ($T1 - $T0) / 1e9
ticks = $TICKS
compressed, raw, batches, wire = float("$COMPRESSED"), float("$RAW"), float("$BATCHES"), float("$WIRE")
db, wal = $DB_BYTES, $WAL_BYTES
MB, MiB = 1e6, 1024 * 1024

def cpu(ut, st):
    return (ut + st) / ticks

rows = [
    ("input", f"{lines:,} lines, {input_bytes / MB:.1f} MB ({input_bytes / lines:.1f} bytes/line)"),
    ("wall time, agent start to last record stored", f"{wall:.2f} s"),
    ("throughput", f"{lines / wall:,.0f} lines/s, {input_bytes / MB / wall:.1f} MB/s of input"),
    ("batches", f"{batches:,.0f} ({lines / batches:.0f} records per batch)" if batches else "n/a"),
    ("compressed bytes per record (collector)", f"{compressed / lines:.1f}"),
    ("compression ratio, raw / compressed batches", f"{raw / compressed:.2f} ({raw / MB:.1f} MB to {compressed / MB:.1f} MB)" if compressed else "n/a"),
    ("input bytes / compressed bytes", f"{input_bytes / compressed:.2f}" if compressed else "n/a"),
    ("wire bytes sent by the agent", f"{wire / MB:.1f} MB ({wire / lines:.1f} bytes/record)"),
    ("agent CPU (user + system)", f"{cpu($AGENT_UT, $AGENT_ST):.2f} s ({cpu($AGENT_UT, $AGENT_ST) / wall * 100:.0f}% of one core)"),
    ("agent peak RSS (VmHWM)", f"{$AGENT_HWM / 1024:.1f} MiB"),
    ("collector CPU (user + system)", f"{cpu($COLL_UT, $COLL_ST):.2f} s ({cpu($COLL_UT, $COLL_ST) / wall * 100:.0f}% of one core)"),
    ("collector peak RSS (VmHWM)", f"{$COLL_HWM / 1024:.1f} MiB"),
    ("SQLite file", f"{db / MB:.1f} MB + {wal / MB:.1f} MB WAL ({(db + wal) / lines:.1f} bytes/record)"),
]
print()
print("Lepton end-to-end, loopback, mutual TLS: binaries $BIN_DIR, $(nproc) x $CPU_MODEL")
print()
print("| metric | value |")
print("|---|---|")
for name, value in rows:
    print(f"| {name} | {value} |")
PY
say "logs and data: .bench/ (collector.log, agent.log, collector/lepton.db)"
