#!/bin/sh
# What memory costs a fresh process on first touch on this machine, the context of
# bench-agent.sh's CPU per cycle: each cycle is a fresh process (tests/bench/page-cost.c).
# Usage: tests/bench/bench-page-cost.sh BUILD_DIR   (BENCH_ROUNDS to change; the build is
# not used)
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${CC:-cc} -O2 -o "$tmp/page-cost" "$(dirname "$0")/page-cost.c"
"$tmp/page-cost" "${BENCH_ROUNDS:-9}"
