#!/usr/bin/env bash
# The Autobahn WebSocket conformance suite (wstest -m fuzzingclient) against websocket-echo: what
# `make autobahn` runs. Installs autobahntestsuite (Python 2.7, from pyenv) into .build/autobahn/venv
# on first use, writes the report to .build/autobahn/reports/index.html, and fails unless every case
# of sections 1-10 is OK, NON-STRICT or INFORMATIONAL. Sections 12 and 13 (permessage-deflate) are
# left out: the server negotiates no extension.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.build/autobahn
mkdir -p "$out"

if [ ! -x "$out/venv/bin/wstest" ]; then
    python2=${PYTHON2:-$(PYENV_VERSION=2.7.18 pyenv which python 2>/dev/null || command -v python2.7 || true)}
    [ -n "$python2" ] || { echo "autobahn: needs Python 2.7 (pyenv install 2.7.18)" >&2; exit 2; }
    # A virtualenv of its own: installing into the interpreter's prefix would swap its setuptools.
    "$python2" -m pip install --quiet --target "$out/virtualenv-tool" "virtualenv<20.22"
    PYTHONPATH="$out/virtualenv-tool" "$python2" -m virtualenv --quiet "$out/venv"
    "$out/venv/bin/pip" install --quiet autobahntestsuite
fi

swift build -c release --product websocket-echo -Xswiftc -warnings-as-errors
.build/release/websocket-echo 0 > "$out/echo.out" 2> "$out/echo.err" &
echo_pid=$!
trap 'kill $echo_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q listening "$out/echo.out" 2>/dev/null && break; sleep 0.1; done
address=$(sed -n 's/^websocket-echo listening on //p' "$out/echo.out")
[ -n "$address" ] || { echo "autobahn: websocket-echo did not start" >&2; cat "$out/echo.err" >&2; exit 1; }

rm -rf "$out/reports"
cat > "$out/fuzzingclient.json" <<JSON
{
  "outdir": "$PWD/$out/reports",
  "servers": [{"agent": "websocket-echo", "url": "ws://$address"}],
  "cases": ["*"],
  "exclude-cases": ["12.*", "13.*"],
  "exclude-agent-cases": {}
}
JSON
(cd "$out" && venv/bin/wstest -m fuzzingclient -s fuzzingclient.json > wstest.log 2>&1)

python3 - "$out/reports/index.json" <<'PY'
import json, sys
cases = json.load(open(sys.argv[1]))["websocket-echo"]
good = {"OK", "NON-STRICT", "INFORMATIONAL"}
failed = sorted(
    (case for case, result in cases.items()
     if result["behavior"] not in good or result["behaviorClose"] not in {"OK", "INFORMATIONAL"}),
    key=lambda case: [int(part) for part in case.split(".")])
for case in failed:
    print("autobahn: case %s: %s / close %s" % (case, cases[case]["behavior"], cases[case]["behaviorClose"]))
counts = {}
for result in cases.values():
    counts[result["behavior"]] = counts.get(result["behavior"], 0) + 1
print("autobahn: " + ", ".join("%d %s" % (n, b) for b, n in sorted(counts.items())))
print("autobahn: %d passed, %d failed" % (len(cases) - len(failed), len(failed)))
sys.exit(1 if failed else 0)
PY
