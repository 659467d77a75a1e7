#!/usr/bin/env bash
# Instructions a server spends on a fixed fan-out, under valgrind --tool=callgrind: repeatable
# where CPU time on this VM is not (docs/BENCHMARKS.md, "The line protocol against main before
# the IRC work"). Open loop, so both servers get the same work: 200 receivers, one sender at 200
# messages/s for 4 s after 1 s of warm-up (160,000 deliveries measured).
#
#   bash Benchmarks/callgrind_fanout.sh .build/release/switchboard now --irc-port 0 --http-port 0
#   bash Benchmarks/callgrind_fanout.sh .build-baseline/bin/switchboard-<hash> base
#   PROTOCOL=irc bash Benchmarks/callgrind_fanout.sh .build/release/switchboard irc   # IRC clients
#
# Prints the total instructions; the profile is left in /tmp/callgrind-fanout.<tag>.out for
# callgrind_annotate. Needs valgrind and a release chatload (.build/release/chatload).
set -euo pipefail
server=$1 tag=$2
shift 2
cd "$(dirname "$0")/.."
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
out=/tmp/callgrind-fanout.$tag.out
if [ "${PROTOCOL:-line}" = irc ]; then
    listen=(--port 0 --irc-port "$port" --http-port 0)
else
    listen=(--port "$port")
fi
valgrind --tool=callgrind --callgrind-out-file="$out" "$server" "${listen[@]}" --log-level warn "$@" \
    >/dev/null 2>"/tmp/callgrind-fanout.$tag.err" &
pid=$!
for _ in $(seq 200); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
    sleep 0.2
done
.build/release/chatload fanout --protocol "${PROTOCOL:-line}" --receivers 200 --rate 200 --duration 4 --warmup 1 --port "$port" \
    --json-only --no-progress >"/tmp/callgrind-fanout.$tag.json"
kill -TERM "$pid"
wait "$pid" || true
instructions=$(grep -E "^(summary|totals):" "$out" | head -1 | awk '{print $2}')
deliveries=$(python3 -c "import json; print(json.load(open('/tmp/callgrind-fanout.$tag.json'))['deliveries'])")
echo "$tag: $instructions instructions, $deliveries deliveries measured"
