#!/usr/bin/env bash
# bench.sh: Switchboard against redis-server on the standard workloads, on this machine.
#
# Runs each workload REPEATS times, alternating the two servers (switchboard, redis, switchboard,
# ...), each run against a freshly started server pinned to one core while chatload runs on the
# other. Collects chatload's JSON lines, prints one table of medians with the Switchboard/Redis
# ratio, and (full runs) rewrites the results section of docs/BENCHMARKS.md.
#
# Usage: Benchmarks/bench.sh [--quick]        (make bench runs it after a release build)
#   --quick            one repeat, 2-second runs, smaller N: a smoke test (docs left alone)
# Environment:
#   REPEATS=3 DURATION=10 WARMUP=2     repeats per workload and server; measured/warm-up seconds
#   SERVER_CORE=0 CLIENT_CORE=1        cores for the servers and for chatload
#   WRITE_DOCS=1|0                     update docs/BENCHMARKS.md (default: 1, 0 with --quick)
#   SWITCHBOARD=... CHATLOAD=...       binaries (default .build/release/{switchboard,chatload})
#   RESULTS=bench-results/<time>       where JSON lines and server logs go
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
for argument in "$@"; do
    case "$argument" in
        --quick) QUICK=1 ;;
        -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown argument '$argument' (see --help)" >&2; exit 2 ;;
    esac
done

if [ "$QUICK" = 1 ]; then
    REPEATS=${REPEATS:-1}; DURATION=${DURATION:-2}; WARMUP=${WARMUP:-1}; WRITE_DOCS=${WRITE_DOCS:-0}
    FANOUT_SMALL=200; FANOUT_LARGE=1000; ROOMS_C=1000; IDLE_C=1000; ECHO_C=10
else
    REPEATS=${REPEATS:-3}; DURATION=${DURATION:-10}; WARMUP=${WARMUP:-2}; WRITE_DOCS=${WRITE_DOCS:-1}
    FANOUT_SMALL=1000; FANOUT_LARGE=10000; ROOMS_C=10000; IDLE_C=10000; ECHO_C=50
fi
WINDOW=64; PAYLOAD=64; ROOMS_K=10; ROOMS_RATE=2; ECHO_PIPELINE=16
SERVER_CORE=${SERVER_CORE:-0}
CLIENT_CORE=${CLIENT_CORE:-1}
SWITCHBOARD=${SWITCHBOARD:-.build/release/switchboard}
CHATLOAD=${CHATLOAD:-.build/release/chatload}
# Big enough that the fan-out window (64 x ~100 bytes per receiver) never trips it.
MAX_OUTBUF=$((8 << 20))
RESULTS=${RESULTS:-bench-results/$(date +%Y%m%d-%H%M%S)}

for binary in "$SWITCHBOARD" "$CHATLOAD"; do
    if [ ! -x "$binary" ]; then
        echo "bench.sh: $binary is missing; run 'make release' (or 'make bench') first" >&2
        exit 1
    fi
done
if ! command -v redis-server >/dev/null 2>&1; then
    echo "bench.sh: installing redis-server with apt-get" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2 \
        || { echo "bench.sh: redis-server is not installed and apt-get failed" >&2; exit 1; }
fi
if ! command -v taskset >/dev/null 2>&1; then
    echo "bench.sh: taskset (util-linux) is required for pinning" >&2
    exit 1
fi
if [ "$(nproc)" -lt 2 ]; then
    echo "bench.sh: warning: fewer than 2 cores; server and chatload share core 0" >&2
    CLIENT_CORE=$SERVER_CORE
fi

# Both servers and chatload inherit the raised limit (10,000 connections each side).
ulimit -n "$(ulimit -Hn)"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$RESULTS"
JSONL="$RESULTS/results.jsonl"
: >"$JSONL"

SERVER_PID=""
SERVER_PORT=""

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
trap 'stop_server' EXIT
trap 'stop_server; exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_switchboard() {
    local portfile="$RESULTS/switchboard.port"
    : >"$portfile"
    taskset -c "$SERVER_CORE" "$SWITCHBOARD" --host 127.0.0.1 --port 0 --print-port \
        --max-outbuf "$MAX_OUTBUF" --log-level warn >"$portfile" 2>>"$RESULTS/switchboard.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        [ -s "$portfile" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    SERVER_PORT=$(head -n1 "$portfile")
    if [ -z "$SERVER_PORT" ]; then
        echo "bench.sh: switchboard did not start; see $RESULTS/switchboard.log" >&2
        exit 1
    fi
}

start_redis() {
    SERVER_PORT=$(free_port)
    taskset -c "$SERVER_CORE" redis-server --save '' --appendonly no --bind 127.0.0.1 --port "$SERVER_PORT" \
        --maxclients 20000 --daemonize no --logfile "$RESULTS/redis.log" >/dev/null 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$SERVER_PORT") 2>/dev/null; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "bench.sh: redis-server did not start; see $RESULTS/redis.log" >&2
    exit 1
}

RUN=0
TOTAL_RUNS=$((5 * REPEATS * 2))

# run_one SERVER LABEL CHATLOAD-ARGS...: a fresh server, one chatload run, one JSON line kept.
run_one() {
    local server=$1 label=$2
    shift 2
    local protocol=line
    if [ "$server" = redis ]; then protocol=redis; start_redis; else start_switchboard; fi
    RUN=$((RUN + 1))
    local out="$RESULTS/run-$RUN.out" err="$RESULTS/run-$RUN.err" status=0
    taskset -c "$CLIENT_CORE" timeout $((DURATION + WARMUP + 150)) "$CHATLOAD" "$@" --protocol "$protocol" \
        --port "$SERVER_PORT" --server-pid "$SERVER_PID" --tag "$server:$label" --json-only --no-progress \
        >"$out" 2>"$err" || status=$?
    stop_server
    local json
    json=$(grep '^{' "$out" | tail -n1 || true)
    if [ -z "$json" ]; then
        local why
        why=$(tr '\n"\\' '   ' <"$err" | cut -c1-300)
        json="{\"tag\":\"$server:$label\",\"ok\":false,\"error\":\"chatload exited with status $status: $why\"}"
    fi
    echo "$json" >>"$JSONL"
    python3 - "$json" "$RUN" "$TOTAL_RUNS" <<'EOF' >&2
import json, sys
d = json.loads(sys.argv[1])
def f(key, scale=1, unit=""):
    v = d.get(key)
    return "-" if v is None else f"{v / scale:,.0f}{unit}"
parts = [f"[{sys.argv[2]}/{sys.argv[3]}] {d['tag']:<22}"]
if d.get("deliveries_per_s") is not None:
    parts.append(f"{f('deliveries_per_s')}/s, {f('deliveries_per_cpu_s')}/CPU-s, p99 {f('p99_us', 1, ' us')}")
if d.get("setup_per_s") is not None and d.get("workload") == "idle":
    parts.append(f"setup {f('setup_per_s')}/s, RSS/conn {f('rss_per_conn_bytes', 1, ' B')}")
parts.append("ok" if d.get("ok") else f"FAILED: {d.get('error') or 'lost/duplicated/reordered messages'}")
print("  ".join(parts))
EOF
    sleep 0.5
}

COMMON=(--duration "$DURATION" --warmup "$WARMUP")
echo "bench.sh: results in $RESULTS (servers on core $SERVER_CORE, chatload on core $CLIENT_CORE)" >&2
# Runs one workload REPEATS times for each server, alternating switchboard and redis.
interleaved() {
    local label=$1
    shift
    for repeat in $(seq "$REPEATS"); do
        for server in switchboard redis; do
            run_one "$server" "$label" "$@"
        done
    done
}
for receivers in "$FANOUT_SMALL" "$FANOUT_LARGE"; do
    interleaved "fanout-$receivers" fanout --receivers "$receivers" --senders 1 --window "$WINDOW" \
        --payload "$PAYLOAD" "${COMMON[@]}"
done
interleaved rooms rooms -c "$ROOMS_C" --rooms-size "$ROOMS_K" --rate "$ROOMS_RATE" --payload "$PAYLOAD" "${COMMON[@]}"
interleaved idle idle -c "$IDLE_C" --hold 2
interleaved echo echo -c "$ECHO_C" --pipeline "$ECHO_PIPELINE" "${COMMON[@]}"

COMMAND="REPEATS=$REPEATS DURATION=$DURATION WARMUP=$WARMUP Benchmarks/bench.sh"
[ "$QUICK" = 1 ] && COMMAND="$COMMAND --quick"
MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), Linux $(uname -r)"
SWIFT_VERSION=$(swift --version 2>/dev/null | grep -m1 -o 'Swift version [^ ]*' || echo 'swift: unknown')
REDIS_VERSION=$(redis-server --version | grep -o 'v=[^ ]*' | sed 's/v=/redis-server /')

SECTION="$RESULTS/section.md"
status=0
python3 Benchmarks/bench_table.py "$JSONL" \
    --command "$COMMAND" --date "$(date -u '+%Y-%m-%d %H:%M UTC')" --machine "$MACHINE" \
    --versions "$SWIFT_VERSION, $REDIS_VERSION" --load "$LOAD_BEFORE" --pinning "servers on core $SERVER_CORE, chatload on core $CLIENT_CORE" \
    --fanout-small "$FANOUT_SMALL" --fanout-large "$FANOUT_LARGE" --rooms-connections "$ROOMS_C" \
    --idle-connections "$IDLE_C" --echo-connections "$ECHO_C" >"$SECTION" || status=$?
cat "$SECTION"
if [ "$WRITE_DOCS" = 1 ]; then
    python3 Benchmarks/bench_table.py --splice docs/BENCHMARKS.md "$SECTION"
    echo "bench.sh: updated the results section of docs/BENCHMARKS.md" >&2
fi
exit "$status"
