# Thin wrappers around SwiftPM. Every build treats warnings as errors.
SWIFT      ?= swift
WERROR     := -Xswiftc -warnings-as-errors
HOST       ?= 127.0.0.1
PORT       ?= 9999
ARGS       ?=
# Extra `swift test` flags for make test and make test-asan: make test TEST_ARGS='--filter Reactor'.
TEST_ARGS  ?=

IRCTEST    ?= $(CURDIR)/../shared/irctest
# make fuzz: seconds per target, which targets (default every Fuzz/<Name>/main.swift), and a cap on
# executions per target (-1: none).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
FUZZ_RUNS    ?= -1

.PHONY: build release run test test-clients test-browser test-asan test-tsan fuzz irctest autobahn bench bench-irc bench-baseline bench-storm bench-cluster soak test-cluster clean

build:
	$(SWIFT) build $(WERROR)

release:
	$(SWIFT) build -c release $(WERROR)

# Starts the chat server on $(HOST):$(PORT) (default 127.0.0.1:9999). Extra flags: make run ARGS="--rate 50"
run: release
	.build/release/switchboard --host $(HOST) --port $(PORT) $(ARGS)

# Builds everything (tests, server, load generator) with warnings as errors, then runs the whole suite.
# Tests run one at a time: several open thousands of sockets and share the 20,000-descriptor limit.
test:
	$(SWIFT) build --build-tests $(WERROR)
	$(SWIFT) test --skip-build --no-parallel $(TEST_ARGS)

# Just the real-client tests (Tests/ChatServerTests/IRCRealClientTests.swift): irssi under tmux and
# WeeChat headless, alone and together, with a line client, asserting what each shows. They skip,
# saying so, when irssi, tmux or weechat-headless is missing (apt-get install irssi tmux
# weechat-headless; .ci/run installs them). About 10 s after the build. make test runs them too.
test-clients:
	$(SWIFT) build --build-tests $(WERROR)
	$(SWIFT) test --skip-build --no-parallel --filter IRCRealClients

# The browser chat page (GET /) in headless Chromium (Debian's chromium and chromium-driver, installed
# if missing; selenium from PyPI into .build/browser-venv): two pages, a line client and an IRC client
# chat, and the pages reconnect after a server restart. Screenshots go to .build/screenshots/. ~20 s.
test-browser: release
	bash Tests/Browser/run.sh

# The suite again under AddressSanitizer, in its own build folder.
test-asan:
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan $(WERROR)
	LSAN_OPTIONS=suppressions=$(CURDIR)/.ci/lsan.supp $(SWIFT) test --skip-build --sanitize=address \
		--scratch-path .build-asan --no-parallel $(TEST_ARGS)

# The tests whose loops run on threads of their own (ReactorThread, ReactorHandle: the reactor,
# WebSocket and Redis client tests) under ThreadSanitizer, in .build-tsan. Any report fails.
# About 7 minutes to build from clean and 3 to run.
TSAN_FILTER ?= ReactorTests|ReactorWebSocketTests|ReactorRedisTests
test-tsan:
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan $(WERROR)
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --no-parallel --filter '$(TSAN_FILTER)'

# The libFuzzer targets (Fuzz/: the line framer, the line, IRC and HTTP parsers, the WebSocket frame
# decoder, the RESP decoder, bus messages, and ChatState behind both front ends), built with -sanitize=fuzzer,address in .build-fuzz
# and run one at a time, under nice, for FUZZ_SECONDS each. A crash or a broken invariant fails and
# leaves the input in .build-fuzz/crashes/<target>/. make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS=FuzzIRCParser
fuzz:
	FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_RUNS='$(FUZZ_RUNS)' SWIFT='$(SWIFT)' bash Fuzz/run.sh $(FUZZ_TARGETS)

# The irctest conformance suite (IRCTEST=path, default ../shared/irctest) against a release build,
# through irctest's external-server controller: the selection and why anything is left out are in
# docs/IRC.md. A failure, or fewer passes than the floor in .ci/irctest.sh, fails. About 15 s.
irctest: release
	IRCTEST='$(IRCTEST)' bash .ci/irctest.sh

# The Autobahn WebSocket conformance suite against websocket-echo (Python 2.7 from pyenv; installs
# autobahntestsuite into .build/autobahn on first use). Report: .build/autobahn/reports/index.html
autobahn:
	bash Tests/Autobahn/autobahn.sh

# Release build, then switchboard and redis-server side by side on the standard workloads, and
# switchboard's IRC front end against ngircd and inspircd (IRC=0 leaves those out), then the cluster
# against a single node (CLUSTER=0 leaves it out).
# make bench BASELINE=<git ref> adds the switchboard of that commit as a third server.
bench: release
	bash Benchmarks/bench.sh
	@if [ "$${CLUSTER:-1}" != 0 ]; then bash Benchmarks/cluster_bench.sh; fi

# Only the cluster run: fan-out N=1000 on one node against 3 nodes + redis-server, deliveries per
# CPU-second of all of them (Benchmarks/cluster_bench.sh; REPEATS, DURATION).
bench-cluster: release
	bash Benchmarks/cluster_bench.sh

# Only the IRC comparison: fan-out N=1000 and idle C=10000 against ngircd and inspircd (Debian
# packages, installed if missing; configurations in Benchmarks/peers/), recorded in docs/BENCHMARKS.md.
bench-irc: release
	WORKLOADS=irc WRITE_DOCS=$${WRITE_DOCS:-1} bash Benchmarks/bench.sh

# This tree's switchboard against the one built from BASELINE (a git ref; cached in .build-baseline/),
# interleaved in one run: fan-out N=1000, rooms and idle, no redis. make bench-baseline BASELINE=7186f7e
bench-baseline: release
	@test -n "$(BASELINE)" || { echo "make bench-baseline: set BASELINE=<git ref>, e.g. BASELINE=main" >&2; exit 2; }
	BASELINE='$(BASELINE)' BASELINE_ONLY=1 bash Benchmarks/bench.sh

# The loop's longest iterations while 19,000 connections arrive at once and then all reset at once,
# from the server's own /metrics histogram (Benchmarks/storm.py). Fails if one took over 10 ms.
# REALTIME=1 runs the server under SCHED_FIFO (root), so other processes cannot preempt it.
bench-storm: release
	python3 Benchmarks/storm.py --server .build/release/switchboard --connections $${CONNECTIONS:-19000} $(if $(REALTIME),--realtime)

# One server under mixed, partly hostile load for SOAK_SECONDS (default 600): chatload on the line
# protocol and IRC (checked for loss), line/IRC/WebSocket churn, garbage, over-long lines, bad HTTP and
# WebSocket frames, slow consumers. Fails if the RSS floor creeps by more than 5% after the warm-up or the
# descriptors do not come back; samples and an SVG plot in .build/soak/ (Tests/Soak/soak.py).
soak: release
	python3 Tests/Soak/soak.py --server .build/release/switchboard --chatload .build/release/chatload \
		--seconds $${SOAK_SECONDS:-600}

# The cluster at volume (Tests/Cluster/steady.py): 3 nodes on one redis-server, 30 clients spread over
# them in one room, 1,044,000 deliveries checked for loss, duplicates and order per sender, private
# messages across nodes, and no gap or drop on any node's bus. Needs redis-server. About 10 s.
test-cluster: release
	python3 Tests/Cluster/steady.py --server .build/release/switchboard

clean:
	rm -rf .build .build-asan .build-tsan .build-baseline .build-fuzz
