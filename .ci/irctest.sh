#!/usr/bin/env bash
# irctest.sh: runs the irctest conformance suite (https://github.com/progval/irctest) against a
# switchboard binary, through irctest's external-server controller. `make irctest` and .ci/run call it.
#
#   .ci/irctest.sh [SWITCHBOARD_BINARY]
#
# IRCTEST              the irctest checkout (default ../shared/irctest next to the repository); it is
#                      only read: pytest runs with no cache, no bytecode and its rootdir there.
# IRCTEST_MIN_PASSED   fail unless at least this many tests pass (default: the count passing at the
#                      last update of this file), so a regression that turns passes into skips
#                      (a capability NAKed, an ISUPPORT token gone) fails too, not only a failure.
# IRCTEST_REQUIRED=1   fail, instead of skipping, when irctest is not there.
#
# Two servers are started, each on a free port: one as irctest expects by default
# (--server-name My.Little.Server), and one with --irc-password testpassword for the PASS tests.
# Which tests are selected, and why some are deselected, is documented in docs/IRC.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

irctest=${IRCTEST:-$repo/../shared/irctest}
binary=${1:-$repo/.build/release/switchboard}
min_passed=${IRCTEST_MIN_PASSED:-175}

if [ ! -f "$irctest/irctest/controllers/external_server.py" ]; then
    echo "irctest: no irctest checkout at $irctest (set IRCTEST=path)"
    if [ "${IRCTEST_REQUIRED:-0}" = 1 ]; then exit 1; fi
    echo "irctest: skipped"
    exit 0
fi
irctest=$(cd "$irctest" && pwd)
[ -x "$binary" ] || { echo "irctest: no switchboard binary at $binary (run make release)"; exit 1; }

work=$(mktemp -d /tmp/switchboard-irctest.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
# Others may rebuild .build meanwhile: run a copy.
cp "$binary" "$work/switchboard"

# pytest and irctest's few dependencies: the Python found if it has them, else a virtualenv in /tmp.
python=${PYTHON:-python3}
if ! "$python" -c 'import pytest' 2>/dev/null; then
    venv=${IRCTEST_VENV:-/tmp/switchboard-irctest-venv}
    echo "irctest: pytest is missing; installing $irctest/requirements.txt into $venv"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q -r "$irctest/requirements.txt"
    python=$venv/bin/python
fi

free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts the server with IRC on a free port and extra flags; sets $port.
start_server() {
    local name=$1
    shift
    port=$(free_port)
    # --http-port 0: the two servers this step starts would both take the default 8080.
    "$work/switchboard" --host 127.0.0.1 --port 0 --irc-port "$port" --http-port 0 --server-name My.Little.Server \
        --log-level warn "$@" > "$work/$name.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        if "$python" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2).close()" 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    echo "irctest: the $name server did not listen on $port"; cat "$work/$name.log"; exit 1
}

# Runs pytest on one server; appends its summary line to $work/summaries.
run_pytest() {
    local name=$1
    shift
    local args=(-p no:cacheprovider --rootdir "$irctest" --controller irctest.controllers.external_server
        -m 'not implementation-specific and not deprecated and not strict and not services' -q -rfE "$@")
    echo "irctest: [$name] IRCTEST_SERVER_HOSTNAME=127.0.0.1 IRCTEST_SERVER_PORT=$port pytest ${args[*]}"
    local status=0
    (cd "$irctest" && PYTHONDONTWRITEBYTECODE=1 IRCTEST_SERVER_HOSTNAME=127.0.0.1 IRCTEST_SERVER_PORT=$port \
        timeout 600 "$python" -m pytest "${args[@]}") > "$work/$name.out" 2>&1 || status=$?
    grep -E '^(FAILED|ERROR) ' "$work/$name.out" || true
    local summary
    summary=$(tail -n 1 "$work/$name.out")
    echo "irctest: [$name] $summary"
    echo "$summary" >> "$work/summaries"
    if [ "$status" -ne 0 ]; then
        echo "irctest: [$name] pytest exited with $status; its output:"
        cat "$work/$name.out"
        exit 1
    fi
}

modules=(connection_registration pingpong quit messages join part names topic who whois isupport lusers
    regressions cap kick away list invite buffering readq echo_message away_notify multi_prefix message_tags
    time info chmodes)
files=()
for module in "${modules[@]}"; do
    if [ -e "$irctest/irctest/server_tests/$module.py" ]; then
        files+=("irctest/server_tests/$module.py")
    else
        files+=("irctest/server_tests/$module")
    fi
done

# Deselected, with the reason in docs/IRC.md: they need server operators (OPER) or +s.
deselect=(
    "irctest/server_tests/who.py::WhoTestCase::testWhoNickOper"
    "irctest/server_tests/who.py::WhoTestCase::testWhoNickAwayAndOper"
    "irctest/server_tests/whois.py::WhoisTestCase::testWhoisNumerics[oper]"
    "irctest/server_tests/info.py::InfoTestCase::testInfo"
    "irctest/server_tests/names.py::NamesTestCase::testNames2812Secret"
    "irctest/server_tests/chmodes/secret.py::SecretChannelTestCase::testSecretChannelListCommand"
)
deselect_args=()
for test in "${deselect[@]}"; do deselect_args+=(--deselect "$test"); done

started=$(date +%s)
start_server main
run_pytest main "${files[@]}" "${deselect_args[@]}" -k 'not PasswordedConnectionRegistrationTestCase'
start_server password --irc-password testpassword
run_pytest password irctest/server_tests/connection_registration.py -k PasswordedConnectionRegistrationTestCase

passed=$(grep -oE '[0-9]+ passed' "$work/summaries" | awk '{ total += $1 } END { print total + 0 }')
echo "irctest: $passed passed in $(($(date +%s) - started)) s (at least $min_passed expected)"
if [ "$passed" -lt "$min_passed" ]; then
    echo "irctest: fewer tests pass than before: a regression (or raise IRCTEST_MIN_PASSED's floor only on purpose)"
    exit 1
fi
