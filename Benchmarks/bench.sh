#!/usr/bin/env bash
# bench.sh: Switchboard against redis-server on the standard workloads, and Switchboard's IRC
# front end against ngIRCd and InspIRCd, on this machine.
#
# Runs each workload REPEATS times, alternating the servers (switchboard, redis, switchboard, ...;
# with BASELINE, an earlier commit's switchboard too; IRC: switchboard, ngircd, inspircd, rotated
# every repeat), each run against a freshly started server pinned to one core while chatload runs
# on the other. Collects chatload's JSON lines, prints a table of medians with the
# Switchboard/Redis ratio (and Switchboard/baseline with BASELINE), one with the Switchboard/ngIRCd
# and Switchboard/InspIRCd ratios, and (full runs) rewrites their sections of docs/BENCHMARKS.md.
#
# Usage: Benchmarks/bench.sh [--quick]        (make bench runs it after a release build)
#   --quick            one repeat, 2-second runs, smaller N: a smoke test (docs left alone)
# Environment:
#   REPEATS=3 DURATION=10 WARMUP=2     repeats per workload and server; measured/warm-up seconds
#   SERVER_CORE=0 CLIENT_CORE=1        cores for the servers and for chatload
#   WRITE_DOCS=1|0                     update docs/BENCHMARKS.md (default: 1; 0 with --quick,
#                                      WORKLOADS or BASELINE_ONLY)
#   SWITCHBOARD=... CHATLOAD=...       binaries (default .build/release/{switchboard,chatload})
#   RESULTS=bench-results/<time>       where JSON lines and server logs go
# Comparing against an earlier commit (see docs/BENCHMARKS.md):
#   BASELINE=<git ref>                 also build the switchboard of that commit (cached by hash in
#                                      .build-baseline/, via Benchmarks/build_baseline.sh) and run it
#                                      as a third server, interleaved: switchboard, baseline, redis
#                                      (the first two swap places every other repeat); adds a
#                                      Switchboard/baseline table (target: >= 0.95x deliveries
#                                      per server-CPU-second, idle RSS/conn no higher)
#   BASELINE_WORKLOADS="fanout-1000 rooms idle"   the workloads the baseline runs
#   BASELINE_ONLY=1                    only the baseline comparison: BASELINE_WORKLOADS, no redis,
#                                      docs left alone (make bench-baseline BASELINE=<ref>)
#   WORKLOADS="fanout rooms idle echo" run only these (fanout = both N; or fanout-<N>); a subset
#                                      leaves the docs alone unless WRITE_DOCS=1
# The IRC comparison (Benchmarks/peers/, see docs/BENCHMARKS.md):
#   WORKLOADS="irc"                    only the IRC workloads, irc-fanout (N=1000) and irc-idle
#                                      (C=10000), against switchboard --irc-port, ngircd and
#                                      inspircd (installed with apt-get if missing); make bench-irc
#   IRC=0                              leave the IRC workloads out of a run of the whole set
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
for argument in "$@"; do
    case "$argument" in
        --quick) QUICK=1 ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench.sh: unknown argument '$argument' (see --help)" >&2; exit 2 ;;
    esac
done

BASELINE=${BASELINE:-}
BASELINE_ONLY=${BASELINE_ONLY:-0}
BASELINE_WORKLOADS=${BASELINE_WORKLOADS:-fanout-1000 rooms idle}
if [ "$BASELINE_ONLY" = 1 ]; then
    if [ -z "$BASELINE" ]; then
        echo "bench.sh: BASELINE_ONLY=1 needs BASELINE=<git ref>" >&2
        exit 2
    fi
    if [ "${WRITE_DOCS:-0}" = 1 ]; then
        echo "bench.sh: BASELINE_ONLY=1 has no Redis table to record; docs/BENCHMARKS.md left alone" >&2
    fi
    WRITE_DOCS=0
    WORKLOADS=${WORKLOADS:-$BASELINE_WORKLOADS}
fi
WORKLOADS=${WORKLOADS:-}
[ -n "$WORKLOADS" ] && WRITE_DOCS=${WRITE_DOCS:-0}
IRC=${IRC:-1}

if [ "$QUICK" = 1 ]; then
    REPEATS=${REPEATS:-1}; DURATION=${DURATION:-2}; WARMUP=${WARMUP:-1}; WRITE_DOCS=${WRITE_DOCS:-0}
    FANOUT_SMALL=200; FANOUT_LARGE=1000; ROOMS_C=1000; IDLE_C=1000; ECHO_C=10
    IRC_FANOUT_N=200; IRC_IDLE_C=1000
else
    REPEATS=${REPEATS:-3}; DURATION=${DURATION:-10}; WARMUP=${WARMUP:-2}; WRITE_DOCS=${WRITE_DOCS:-1}
    FANOUT_SMALL=1000; FANOUT_LARGE=10000; ROOMS_C=10000; IDLE_C=10000; ECHO_C=50
    IRC_FANOUT_N=1000; IRC_IDLE_C=10000
fi
WINDOW=64; PAYLOAD=64; ROOMS_K=10; ROOMS_RATE=2; ECHO_PIPELINE=16
SERVER_CORE=${SERVER_CORE:-0}
CLIENT_CORE=${CLIENT_CORE:-1}
SWITCHBOARD=${SWITCHBOARD:-.build/release/switchboard}
CHATLOAD=${CHATLOAD:-.build/release/chatload}
# Big enough that the fan-out window (64 x ~100 bytes per receiver) never trips it.
MAX_OUTBUF=$((8 << 20))
RESULTS=${RESULTS:-bench-results/$(date +%Y%m%d-%H%M%S)}

LINE_LABELS=("fanout-$FANOUT_SMALL" "fanout-$FANOUT_LARGE" rooms idle echo)
IRC_LABELS=(irc-fanout irc-idle)
LABELS=("${LINE_LABELS[@]}" "${IRC_LABELS[@]}")
# wanted LABEL [LIST]: whether LIST (default: WORKLOADS; empty means all, IRC ones unless IRC=0)
# names LABEL.
wanted() {
    local label=$1 list=${2-$WORKLOADS} word
    if [ -z "$list" ]; then
        [ "$IRC" = 0 ] && [ "${label#irc-}" != "$label" ] && return 1
        return 0
    fi
    for word in $list; do
        [ "$word" = "$label" ] && return 0
        [ "$word" = fanout ] && [ "${label#fanout-}" != "$label" ] && return 0
        [ "$word" = irc ] && [ "${label#irc-}" != "$label" ] && return 0
    done
    return 1
}
for list in "$WORKLOADS" "$BASELINE_WORKLOADS"; do
    for word in $list; do
        known=0
        for label in "${LABELS[@]}"; do wanted "$label" "$word" && known=1; done
        if [ "$known" = 0 ]; then
            echo "bench.sh: unknown workload '$word' (this run has: fanout irc ${LABELS[*]})" >&2
            exit 2
        fi
    done
done
# servers_for LABEL: the servers one repeat of LABEL runs, in order.
servers_for() {
    local servers=switchboard
    [ -n "$BASELINE" ] && wanted "$1" "$BASELINE_WORKLOADS" && servers="$servers baseline"
    if [ "${1#irc-}" != "$1" ]; then
        [ "$BASELINE_ONLY" = 1 ] || servers="$servers ngircd inspircd"
    else
        [ "$BASELINE_ONLY" = 1 ] || servers="$servers redis"
    fi
    echo "$servers"
}
# any_wanted LABEL...: whether this run has any of them.
any_wanted() {
    local label
    for label in "$@"; do wanted "$label" && return 0; done
    return 1
}
# all_wanted LABEL...: whether this run has every one of them (a section of the docs is only
# rewritten from a run that measured all of its rows).
all_wanted() {
    local label
    for label in "$@"; do wanted "$label" || return 1; done
    return 0
}

for binary in "$SWITCHBOARD" "$CHATLOAD"; do
    if [ ! -x "$binary" ]; then
        echo "bench.sh: $binary is missing; run 'make release' (or 'make bench') first" >&2
        exit 1
    fi
done
BASELINE_SWITCHBOARD=""
if [ -n "$BASELINE" ]; then
    BASELINE_COMMIT=$(git rev-parse --verify --quiet "$BASELINE^{commit}") \
        || { echo "bench.sh: BASELINE='$BASELINE' is not a commit in this repository" >&2; exit 2; }
    BASELINE_SWITCHBOARD=$(bash Benchmarks/build_baseline.sh "$BASELINE_COMMIT")
    BASELINE_DESCRIPTION=$(git log -1 --format='%h %s' "$BASELINE_COMMIT")
fi
# install_missing COMMAND PACKAGE: installs PACKAGE with apt-get if COMMAND is not on the PATH.
# Package scripts are not allowed to start the daemons they install (an installed ngircd or
# inspircd would otherwise take port 6667): policy-rc.d says no if the system has none.
install_missing() {
    local command=$1 package=$2
    command -v "$command" >/dev/null 2>&1 && return 0
    echo "bench.sh: $command is missing; installing the Debian package $package with apt-get" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq "$package") >&2 \
        || { echo "bench.sh: $package is not installed and apt-get failed" >&2; exit 1; }
}
if [ "$BASELINE_ONLY" != 1 ] && any_wanted "${LINE_LABELS[@]}"; then
    install_missing redis-server redis-server
fi
if [ "$BASELINE_ONLY" != 1 ] && any_wanted "${IRC_LABELS[@]}"; then
    install_missing ngircd ngircd
    install_missing inspircd inspircd
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

# wait_for_port NAME LOG: waits until the server just started accepts on SERVER_PORT.
wait_for_port() {
    for _ in $(seq 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$SERVER_PORT") 2>/dev/null; then return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "bench.sh: $1 did not start listening on port $SERVER_PORT; see $2" >&2
    exit 1
}

# Whether a switchboard binary has an IRC listener to turn off (a baseline from before the IRC
# front end has neither the listener nor the flag).
speaks_irc() {
    "$1" --help 2>/dev/null | grep -q -- '--irc-port'
}

# start_switchboard [NAME BINARY [irc]]: NAME is switchboard (the default) or baseline. With
# irc, SERVER_PORT is its IRC port (a free one); otherwise the line port, and no IRC listener
# (the default --irc-port 6667 would clash with anything else on this machine).
start_switchboard() {
    local name=${1:-switchboard} binary=${2:-$SWITCHBOARD} irc=${3:-}
    local portfile="$RESULTS/$name.port" irc_args=()
    if [ -n "$irc" ]; then
        irc_args=(--irc-port "$(free_port)")
    elif speaks_irc "$binary"; then
        irc_args=(--irc-port 0)
    fi
    # Nor an HTTP listener on the default 8080, for a binary that has one.
    if "$binary" --help 2>/dev/null | grep -q -- '--http-port'; then irc_args+=(--http-port 0); fi
    : >"$portfile"
    taskset -c "$SERVER_CORE" "$binary" --host 127.0.0.1 --port 0 --print-port "${irc_args[@]}" \
        --max-outbuf "$MAX_OUTBUF" --log-level warn >"$portfile" 2>>"$RESULTS/$name.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        [ -s "$portfile" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    SERVER_PORT=$(head -n1 "$portfile")
    if [ -z "$SERVER_PORT" ]; then
        echo "bench.sh: $name ($binary) did not start; see $RESULTS/$name.log" >&2
        exit 1
    fi
    if [ -n "$irc" ]; then
        SERVER_PORT=${irc_args[1]}
        wait_for_port "$name" "$RESULTS/$name.log"
    fi
}

# peer_config NAME: a fresh folder for one run of ngircd or inspircd and its configuration, from
# Benchmarks/peers/NAME.conf.in (@PORT@, @DIR@, @MAX@ filled in). Prints the folder.
peer_config() {
    local name=$1 dir
    case "$RESULTS" in
        /*) dir="$RESULTS/$name-$RUN" ;;
        *) dir="$(pwd)/$RESULTS/$name-$RUN" ;;
    esac
    mkdir -p "$dir/conf.d"
    # ngIRCd drops root for "nobody" before it writes its pid file.
    chmod 1777 "$dir"
    sed -e "s#@PORT@#$SERVER_PORT#g" -e "s#@DIR@#$dir#g" -e "s#@MAX@#$PEER_MAX_CONNECTIONS#g" \
        "Benchmarks/peers/$name.conf.in" >"$dir/$name.conf"
    echo "$dir"
}

start_ngircd() {
    SERVER_PORT=$(free_port)
    local dir
    dir=$(peer_config ngircd)
    taskset -c "$SERVER_CORE" ngircd --nodaemon --config "$dir/ngircd.conf" >"$dir/ngircd.log" 2>&1 &
    SERVER_PID=$!
    wait_for_port ngircd "$dir/ngircd.log"
}

start_inspircd() {
    SERVER_PORT=$(free_port)
    local dir
    dir=$(peer_config inspircd)
    taskset -c "$SERVER_CORE" inspircd --nofork --runasroot --config="$dir/inspircd.conf" \
        >"$dir/inspircd.out" 2>&1 &
    SERVER_PID=$!
    wait_for_port inspircd "$dir/inspircd.log"
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

# IRC peers: connections they must take (C = 10,000, and the 1,001 of fan-out), and how many
# chatload sets up at once.
PEER_MAX_CONNECTIONS=15000
NGIRCD_CONNECT_CONCURRENCY=8
INSPIRCD_CONNECT_CONCURRENCY=1000

RUN=0
TOTAL_RUNS=0
for label in "${LABELS[@]}"; do
    if wanted "$label"; then
        TOTAL_RUNS=$((TOTAL_RUNS + REPEATS * $(servers_for "$label" | wc -w)))
    fi
done

# run_one SERVER LABEL CHATLOAD-ARGS...: a fresh server, one chatload run, one JSON line kept.
run_one() {
    local server=$1 label=$2
    shift 2
    local protocol=line irc="" extra=()
    [ "${label#irc-}" != "$label" ] && protocol=irc irc=irc
    RUN=$((RUN + 1))
    case "$server" in
        redis) protocol=redis; start_redis ;;
        baseline) start_switchboard baseline "$BASELINE_SWITCHBOARD" $irc ;;
        ngircd)
            start_ngircd
            # ngIRCd listens with a backlog of 10; its fan-out sender is an IRC operator with
            # user mode +F, the only way to lift ngIRCd's per-client command throttle.
            extra=(--connect-concurrency "$NGIRCD_CONNECT_CONCURRENCY")
            [ "$label" = irc-fanout ] && extra+=(--irc-oper bench:bench --irc-sender-mode +F)
            ;;
        inspircd)
            start_inspircd
            # InspIRCd completes registrations on its once-a-second tick: more at once, or
            # C = 10,000 takes 40 s to set up.
            extra=(--connect-concurrency "$INSPIRCD_CONNECT_CONCURRENCY")
            ;;
        *) start_switchboard switchboard "$SWITCHBOARD" $irc ;;
    esac
    local out="$RESULTS/run-$RUN.out" err="$RESULTS/run-$RUN.err" status=0
    taskset -c "$CLIENT_CORE" timeout $((DURATION + WARMUP + 400)) "$CHATLOAD" "$@" "${extra[@]}" \
        --protocol "$protocol" --port "$SERVER_PORT" --server-pid "$SERVER_PID" --tag "$server:$label" \
        --json-only --no-progress >"$out" 2>"$err" || status=$?
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
# Runs one workload REPEATS times for each server, alternating them (switchboard, redis, ...).
# With a baseline, every other repeat runs it before switchboard (switchboard, baseline, redis,
# baseline, switchboard, redis, ...), so a steady drift of the machine favours neither.
# IRC workloads rotate their three servers instead (switchboard, ngircd, inspircd; then ngircd,
# inspircd, switchboard; ...).
interleaved() {
    local label=$1 servers rotate
    shift
    wanted "$label" || return 0
    for repeat in $(seq "$REPEATS"); do
        servers=$(servers_for "$label")
        [ $((repeat % 2)) = 0 ] && servers=${servers/switchboard baseline/baseline switchboard}
        if [ "${label#irc-}" != "$label" ]; then
            for rotate in $(seq $(((repeat - 1) % 3))); do
                servers="${servers#* } ${servers%% *}"
            done
        fi
        for server in $servers; do
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
# IRC: ngIRCd needs 15 s to join 1,001 clients to one channel and InspIRCd registers 1,000 a second.
interleaved irc-fanout fanout --receivers "$IRC_FANOUT_N" --senders 1 --window "$WINDOW" --payload "$PAYLOAD" \
    --setup-timeout 120 "${COMMON[@]}"
interleaved irc-idle idle -c "$IRC_IDLE_C" --hold 2 --setup-timeout 300

COMMAND="REPEATS=$REPEATS DURATION=$DURATION WARMUP=$WARMUP"
[ -n "$BASELINE" ] && COMMAND="$COMMAND BASELINE=$BASELINE"
[ "$BASELINE_ONLY" = 1 ] && COMMAND="$COMMAND BASELINE_ONLY=1"
[ -n "$WORKLOADS" ] && [ "$BASELINE_ONLY" != 1 ] && COMMAND="$COMMAND WORKLOADS=\"$WORKLOADS\""
COMMAND="$COMMAND Benchmarks/bench.sh"
[ "$QUICK" = 1 ] && COMMAND="$COMMAND --quick"
MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), Linux $(uname -r)"
SWIFT_VERSION=$(swift --version 2>/dev/null | grep -m1 -o 'Swift version [^ ]*' || echo 'swift: unknown')
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
PINNING="servers on core $SERVER_CORE, chatload on core $CLIENT_CORE"

SECTION="$RESULTS/section.md"
: >"$SECTION"
status=0
if [ "$BASELINE_ONLY" != 1 ] && any_wanted "${LINE_LABELS[@]}"; then
    REDIS_VERSION=$(redis-server --version | grep -o 'v=[^ ]*' | sed 's/v=/redis-server /')
    python3 Benchmarks/bench_table.py "$JSONL" \
        --command "$COMMAND" --date "$DATE" --machine "$MACHINE" \
        --versions "$SWIFT_VERSION, $REDIS_VERSION" --load "$LOAD_BEFORE" --pinning "$PINNING" \
        --fanout-small "$FANOUT_SMALL" --fanout-large "$FANOUT_LARGE" --rooms-connections "$ROOMS_C" \
        --idle-connections "$IDLE_C" --echo-connections "$ECHO_C" >"$SECTION" || status=$?
fi
if [ -n "$BASELINE" ]; then
    STANDALONE=()
    if [ "$BASELINE_ONLY" = 1 ]; then STANDALONE=(--standalone); else echo >>"$SECTION"; fi
    python3 Benchmarks/bench_baseline_table.py "$JSONL" --ref "$BASELINE" --commit "$BASELINE_DESCRIPTION" \
        "${STANDALONE[@]}" --command "$COMMAND" --date "$DATE" --machine "$MACHINE" \
        --versions "$SWIFT_VERSION" --load "$LOAD_BEFORE" --pinning "$PINNING" >>"$SECTION" || status=$?
fi
IRC_SECTION="$RESULTS/irc-section.md"
: >"$IRC_SECTION"
if [ "$BASELINE_ONLY" != 1 ] && any_wanted "${IRC_LABELS[@]}"; then
    NGIRCD_VERSION=$(ngircd --version 2>/dev/null | head -n1 | cut -d- -f1)
    INSPIRCD_VERSION=$(dpkg-query -W -f='InspIRCd ${Version}' inspircd 2>/dev/null || echo 'InspIRCd')
    python3 Benchmarks/bench_irc_table.py "$JSONL" \
        --command "$COMMAND" --date "$DATE" --machine "$MACHINE" \
        --versions "$SWIFT_VERSION, $NGIRCD_VERSION, $INSPIRCD_VERSION" --load "$LOAD_BEFORE" \
        --load-after "$(cut -d' ' -f1-3 /proc/loadavg)" --pinning "$PINNING" >"$IRC_SECTION" || status=$?
fi
cat "$SECTION"
[ -s "$SECTION" ] && [ -s "$IRC_SECTION" ] && echo
cat "$IRC_SECTION"
if [ "$WRITE_DOCS" = 1 ]; then
    if [ -s "$SECTION" ] && all_wanted "${LINE_LABELS[@]}"; then
        python3 Benchmarks/bench_table.py --splice docs/BENCHMARKS.md "$SECTION"
        echo "bench.sh: updated the results section of docs/BENCHMARKS.md" >&2
    fi
    if [ -s "$IRC_SECTION" ] && all_wanted "${IRC_LABELS[@]}"; then
        python3 Benchmarks/bench_table.py --splice docs/BENCHMARKS.md "$IRC_SECTION" bench-irc-results
        echo "bench.sh: updated the IRC results section of docs/BENCHMARKS.md" >&2
    fi
fi
exit "$status"
