#!/usr/bin/env bash
# make test-browser: the chat page (GET /) in headless Chromium against the release switchboard
# (Tests/Browser/browser_test.py says what it checks). Chromium and its driver come from Debian
# (apt-get install chromium chromium-driver), selenium from PyPI into .build/browser-venv; selenium
# is always given both binaries, so it never downloads a browser or a driver of its own.
# Skips, saying why, only where apt-get or pip is not there to install what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "test-browser: SKIPPED: ${missing[*]} missing and there is no apt-get to install them"
        exit 0
    fi
    # fonts-dejavu-core: without a font the screenshots are boxes.
    echo "test-browser: apt-get install ${missing[*]} fonts-dejavu-core"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" fonts-dejavu-core
fi

venv=.build/browser-venv
if ! "$venv/bin/python" -c 'import selenium' >/dev/null 2>&1; then
    if ! python3 -m venv "$venv" >/dev/null 2>&1 || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
        echo "test-browser: SKIPPED: python3 cannot make a virtualenv with pip to install selenium into"
        exit 0
    fi
    echo "test-browser: pip install selenium into $venv"
    "$venv/bin/python" -m pip install -q 'selenium>=4.11,<5'
fi

echo "test-browser: $(chromium --version 2>/dev/null), selenium $("$venv/bin/python" -c 'import selenium; print(selenium.__version__)')"
exec "$venv/bin/python" Tests/Browser/browser_test.py --server .build/release/switchboard --screenshots .build/screenshots
