#!/bin/sh
# Runs every libFuzzer target for N seconds on a scratch copy of its seed corpus.
dir=$1 seconds=${2:-60}
work=build/fuzz/work
status=0
for bin in "$dir"/fuzz-*; do
	name=$(basename "$bin"); name=${name#fuzz-}
	mkdir -p "$work/$name" "$work/artifacts/$name"
	echo "== fuzz-$name for ${seconds}s"
	if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/artifacts/$name/" "$work/$name" "tests/fuzz/corpus/$name" \
		2>"$work/$name.log"; then
		echo "fuzz-$name: FAILED, see $work/$name.log and $work/artifacts/$name/"
		tail -n 30 "$work/$name.log"
		status=1
	else
		grep -E '^(Done|#[0-9]+ *DONE)' "$work/$name.log" | tail -n 1
	fi
done
exit $status
