#!/usr/bin/env bash
# The cluster against a single node, side by side in one run: fan-out N=1000 (one sender, window
# 64) on one switchboard, then with the receivers spread over 3 nodes sharing a redis-server (the
# worst placement: the room spans every node, and the sender is on another node than receiver 0).
# Reported as deliveries per CPU-second of every process that does the work (the one node; or the
# three nodes plus Redis). Pairs alternate, REPEATS times (default 3). Goal: cluster >= 0.6x single.
# Usage: bash Benchmarks/cluster_bench.sh   (after make release; needs redis-server)
set -euo pipefail
cd "$(dirname "$0")/.."
SB=.build/release/switchboard
LOAD=.build/release/chatload
REPEATS=${REPEATS:-3}
DURATION=${DURATION:-8}
command -v redis-server >/dev/null || { echo "cluster bench: needs redis-server (apt-get install redis-server)" >&2; exit 2; }
out=.build/cluster-bench
mkdir -p "$out"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do nc -z 127.0.0.1 "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done; pids=(); }
trap cleanup EXIT

rate() { python3 -c 'import json,sys; print("%.2f M" % (json.load(open(sys.argv[1]))["deliveries_per_cpu_s"] / 1e6))' "$1"; }

single() {
    local port; port=$(free_port)
    $SB --port "$port" --irc-port 0 --http-port 0 --log-level warn & pids+=($!)
    wait_port "$port"
    $LOAD fanout --port "$port" --receivers 1000 --window 64 --duration "$DURATION" --server-pid "${pids[-1]}" \
        --json-only --no-progress > "$out/single-$1.json"
    cleanup
}

cluster() {
    local redis_port; redis_port=$(free_port)
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning > /dev/null & pids+=($!)
    local redis_pid=$!
    wait_port "$redis_port"
    local targets="" node_pids=""
    for n in 1 2 3; do
        local port; port=$(free_port)
        $SB --port "$port" --irc-port 0 --http-port 0 --log-level warn --redis "127.0.0.1:$redis_port" --node-id "bench$n" & pids+=($!)
        node_pids+="${pids[-1]},"
        wait_port "$port"
        targets+="127.0.0.1:$port,"
    done
    $LOAD fanout --targets "${targets%,}" --receivers 1000 --window 64 --duration "$DURATION" \
        --server-pid "${node_pids}${redis_pid}" --json-only --no-progress > "$out/cluster-$1.json"
    cleanup
}

echo "cluster bench: fan-out N=1000, single node vs 3 nodes + Redis, $REPEATS pairs of ${DURATION} s"
for i in $(seq "$REPEATS"); do
    single "$i"
    cluster "$i"
    echo "cluster bench: pair $i: single $(rate "$out/single-$i.json"), cluster $(rate "$out/cluster-$i.json") deliveries per CPU-second"
done
python3 - "$out" "$REPEATS" <<'PY'
import json, sys, statistics
out, repeats = sys.argv[1], int(sys.argv[2])
def load(name):
    d = json.load(open("%s/%s.json" % (out, name)))
    return d
def rate(d):
    return d["deliveries_per_cpu_s"]
singles = [load("single-%d" % i) for i in range(1, repeats + 1)]
clusters = [load("cluster-%d" % i) for i in range(1, repeats + 1)]
s = statistics.median(rate(d) for d in singles)
c = statistics.median(rate(d) for d in clusters)
lost = sum(d["lost"] + d["duplicates"] + d["reordered"] for d in singles + clusters)
print("cluster bench: median single %.2f M, cluster %.2f M deliveries per CPU-second: %.2fx (goal >= 0.6x); pairs %s; lost+dup+reordered %d"
      % (s / 1e6, c / 1e6, c / s, ", ".join("%.2f" % (rate(b) / rate(a)) for a, b in zip(singles, clusters)), lost))
sys.exit(0 if lost == 0 else 1)
PY
