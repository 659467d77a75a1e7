#!/usr/bin/env bash
# build_baseline.sh REF: builds the switchboard of an earlier commit, for bench.sh's BASELINE=REF.
#
# Prints the path of the binary on stdout (progress goes to stderr). The binary is cached by
# commit hash in .build-baseline/bin/switchboard-<hash>, so a second run with the same commit does
# not rebuild. To build it, a temporary detached worktree of REF is added at .build-baseline/src
# (`git worktree add --detach`), built with
#     swift build -c release --product switchboard --scratch-path .build-baseline/build
# (warnings are not errors: the old tree is measured, not checked), and removed again. A worktree
# left behind by an interrupted build is reused if it is at the same commit, replaced otherwise.
# .build-baseline/ is gitignored (.build-*/); `make clean` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: Benchmarks/build_baseline.sh <git ref>" >&2
    exit 2
fi
REF=$1
SWIFT=${SWIFT:-swift}
COMMIT=$(git rev-parse --verify --quiet "$REF^{commit}") \
    || { echo "build_baseline.sh: '$REF' is not a commit in this repository" >&2; exit 1; }

ROOT=.build-baseline
SRC=$ROOT/src
BIN=$ROOT/bin/switchboard-$COMMIT
mkdir -p "$ROOT/bin"
# One build at a time: two bench runs must not share the worktree or the scratch folder.
exec 9>"$ROOT/.lock"
flock 9

if [ -x "$BIN" ]; then
    echo "build_baseline.sh: reusing $BIN (${COMMIT:0:12}, built before)" >&2
    echo "$BIN"
    exit 0
fi

remove_worktree() {
    if [ -e "$SRC" ]; then
        git worktree remove --force "$SRC" 2>/dev/null || rm -rf "$SRC"
    fi
    git worktree prune
}

git worktree prune
if [ -e "$SRC" ] && [ "$(git -C "$SRC" rev-parse HEAD 2>/dev/null || true)" = "$COMMIT" ] \
    && [ -z "$(git -C "$SRC" status --porcelain 2>/dev/null || echo dirty)" ]; then
    echo "build_baseline.sh: reusing the worktree $SRC (already at ${COMMIT:0:12})" >&2
else
    remove_worktree
    echo "build_baseline.sh: git worktree add --detach $SRC ${COMMIT:0:12}" >&2
    git worktree add --quiet --detach "$SRC" "$COMMIT" >&2
fi
trap remove_worktree EXIT

echo "build_baseline.sh: building the baseline switchboard ($(git log -1 --format='%h %s' "$COMMIT"))" >&2
"$SWIFT" build -c release --product switchboard --package-path "$SRC" \
    --scratch-path "$(pwd)/$ROOT/build" >&2
BUILT="$ROOT/build/release/switchboard"
if [ ! -x "$BUILT" ]; then
    echo "build_baseline.sh: the build did not produce $BUILT" >&2
    exit 1
fi
# Copy under a temporary name first, so an interrupted copy never passes for a cached binary.
cp "$BUILT" "$BIN.tmp"
mv "$BIN.tmp" "$BIN"
echo "build_baseline.sh: built $BIN" >&2
echo "$BIN"
