#!/usr/bin/env bash
# What `make fuzz` runs: builds the libFuzzer targets (Fuzz/*/main.swift, declared in Package.swift
# only when SWITCHBOARD_FUZZ=1) with -sanitize=fuzzer,address in .build-fuzz, then runs each for
# FUZZ_SECONDS (default 60), one at a time, under nice. Arguments name targets to run (default all).
#
#   FUZZ_SECONDS=600 bash Fuzz/run.sh FuzzIRCParser
#   FUZZ_RUNS=10000000 bash Fuzz/run.sh        # stop each at 10 M executions (or FUZZ_SECONDS)
#   FUZZ_ARGS='-jobs=1 -dict=…' bash Fuzz/run.sh  # more libFuzzer flags
#
# Each target starts from its committed seeds (Fuzz/Corpus/<target>, read only) and what earlier runs
# found (.build-fuzz/corpus/<target>, where new inputs go). A crash or a broken invariant stops the
# run and leaves the input in .build-fuzz/crashes/<target>/; replay it with
#   .build-fuzz/release/<target> .build-fuzz/crashes/<target>/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_RUNS=${FUZZ_RUNS:--1}
# Every Fuzz/<Name>/main.swift is the target Fuzz<Name>.
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for main in Fuzz/*/main.swift; do targets+=("Fuzz$(basename "$(dirname "$main")")"); done
fi

# The longest input each target takes: enough to reach the limits it is given (small ones that the
# input picks, and the 4096-byte tag section of IRC clients and the 8 KiB of an HTTP head), no more:
# longer inputs only slow the run, and a long run spends most of its time near this length.
# WebSocket messages are limited to 1145 bytes at most. ChatState's programs of 256 bytes are some
# 50 steps: enough to connect, register and seat several of its 8 clients in rooms and have them
# message, mode, kick and leave. 4096 took every program to the 400-step cap (318 programs per
# CPU-second); 1024, some 200 steps, made 517 a second, 10 M programs in five and a half hours of a
# core. 256 makes some 930 a second, not four times as many: each program also pays for a fresh
# ChatState, the registrations' welcome bursts and libFuzzer's own bookkeeping, whatever its
# length. The check of the invariants after every step was 37% of the run (perf); without a
# String built per name per step it takes the corpus in 0.7 of the CPU time.
max_len() {
    case "$1" in
        FuzzLineFramer) echo 1024 ;;
        FuzzLineParser) echo 2048 ;;
        FuzzIRCParser) echo 4600 ;;
        FuzzHTTPHead) echo 10000 ;;
        FuzzWebSocketFrames) echo 2048 ;;
        FuzzChatState) echo 256 ;;
        FuzzRESP) echo 1024 ;;
        FuzzBusMessage) echo 512 ;;
        *) echo 4096 ;;
    esac
}

# Release (-O) for speed: preconditions still trap and the targets report through fatalError;
# `assert`s in the library are compiled out. lld: gold crashes reading the instrumented objects.
for target in "${targets[@]}"; do
    echo "fuzz: building $target (-sanitize=fuzzer,address, release, .build-fuzz)"
    SWITCHBOARD_FUZZ=1 nice -n 10 "$SWIFT" build -c release --scratch-path .build-fuzz --product "$target" \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xswiftc -warnings-as-errors 2>&1 \
        | grep -v "Cannot export local symbol" || true
    test -x ".build-fuzz/release/$target" || { echo "fuzz: $target did not build" >&2; exit 1; }
done

# libFuzzer reports a crash itself; the Swift runtime's backtracer would only add noise (and trips ASan).
export SWIFT_BACKTRACE=enable=no
# No allocation stacks: recording one per malloc is a third of the time of the allocating targets.
# An ASan report still shows where the bad access happened; replaying the input without this (as
# the README says) shows where the memory was allocated and freed too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0}

status=0
for target in "${targets[@]}"; do
    corpus=.build-fuzz/corpus/$target
    crashes=.build-fuzz/crashes/$target
    mkdir -p "$corpus" "$crashes" "Fuzz/Corpus/$target"
    echo "fuzz: running $target for ${FUZZ_SECONDS}s (runs ${FUZZ_RUNS}), seeds Fuzz/Corpus/$target, new inputs $corpus"
    log=.build-fuzz/$target.log
    # shellcheck disable=SC2086
    if nice -n 10 ".build-fuzz/release/$target" "$corpus" "Fuzz/Corpus/$target" \
        -max_total_time="$FUZZ_SECONDS" -runs="$FUZZ_RUNS" -max_len="$(max_len "$target")" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" ${FUZZ_ARGS:-} >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        echo "fuzz: $target: $runs executions, $rate/s, no finding (log $log)"
    else
        status=1
        echo "fuzz: $target FAILED; the input is in $crashes/ (log $log):"
        grep -E "invariant:|ERROR: |Fatal error|SUMMARY|Test unit written" "$log" | head -20 || tail -30 "$log"
    fi
done
exit $status
