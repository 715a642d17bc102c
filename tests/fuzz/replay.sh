#!/bin/sh
# Replays each fuzz target's seed corpus (tests/fuzz/corpus/NAME/) through its replay binary.
dir=$1
passed=0 failed=0
for bin in "$dir"/fuzz-*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin"); name=${name#fuzz-}
	corpus=tests/fuzz/corpus/$name
	if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
		echo "fuzz-$name: no seed corpus in $corpus" >&2
		failed=$((failed + 1))
		continue
	fi
	if find "$corpus" -type f -exec "$bin" {} + ; then
		passed=$((passed + 1))
	else
		echo "fuzz-$name: an input of $corpus failed" >&2
		failed=$((failed + 1))
	fi
done
echo "fuzz corpora: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
