#!/bin/sh
# Runs every benchmark (tests/bench/bench-*.sh) with the build directory as argument.
# Benchmarks print figures and ratios; they never fail on a number.
build=$1
status=0
for b in tests/bench/bench-*.sh; do
	[ -f "$b" ] || continue
	echo "== $(basename "$b" .sh)"
	sh "$b" "$build" || { echo "$(basename "$b"): could not run"; status=1; }
	echo
done
exit $status
