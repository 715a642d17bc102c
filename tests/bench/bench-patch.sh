#!/bin/sh
# SPDX-License-Identifier: MIT
# The patch-level check on this machine's real dpkg status and apt lists, beside
# `apt list --upgradable` and `apt-get -s upgrade`: median wall time, CPU time (user+sys)
# and peak RSS over RUNS runs each, and the ratios. Figures only, never a verdict.
# vigie runs twice: cold (--no-state: no list digests, every list decompressed and
# scanned, as on the first run after apt update) and warm (a state directory holding the
# digests of unchanged lists, as the agent runs).
#   sh tests/bench/bench-patch.sh BUILD_DIR [RUNS]
build=${1:-build}
runs=${2:-15}
vigie="$build/bin/vigie"
export LC_ALL=C

if [ ! -x "$vigie" ] || [ ! -x /usr/bin/time ] || ! command -v apt >/dev/null; then
	echo "bench-patch: needs $vigie, /usr/bin/time and apt"; exit 1
fi
if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
	echo "bench-patch: no apt lists on this machine (run apt-get update)"; exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. "$(dirname "$0")/measure.sh"

printf '[Agent]\nStateDirectory=%s\n' "$tmp/state" > "$tmp/agent.conf"
mkdir "$tmp/state"
measure vigie "$vigie" check --only patch_level --json --no-state --root /
measure warm "$vigie" check --config "$tmp/agent.conf" --only patch_level --json --root /
measure aptlist apt list --upgradable
measure aptget apt-get -s upgrade

printf '%-42s %10s %10s %10s\n' "command (median of $runs)" "wall s" "cpu s" "rss KiB"
for n in vigie warm aptlist aptget; do
	case $n in
	vigie) label="vigie check (cold, --no-state)";;
	warm) label="vigie check (warm, list digests)";;
	aptlist) label="apt list --upgradable";;
	aptget) label="apt-get -s upgrade";;
	esac
	printf '%-42s %10s %10s %10s\n' "$label" "$(median "$tmp/$n" 1)" "$(median "$tmp/$n" 2)" "$(median "$tmp/$n" 3)"
done
for v in vigie warm; do
	for n in aptlist aptget; do
		awk -v vw="$(median "$tmp/$v" 1)" -v vc="$(median "$tmp/$v" 2)" -v vr="$(median "$tmp/$v" 3)" \
		    -v aw="$(median "$tmp/$n" 1)" -v ac="$(median "$tmp/$n" 2)" -v ar="$(median "$tmp/$n" 3)" \
		    -v n="$n" -v v="$v" \
		    'BEGIN { if (vw == 0) vw = 0.001; if (vc == 0) vc = 0.001;
		             printf "vigie %-4s vs %-11s wall %.1fx faster, cpu %.1fx less, rss %.2f of it\n",
		                    v == "vigie" ? "cold" : "warm", n == "aptlist" ? "apt list" : "apt-get -s",
		                    aw / vw, ac / vc, vr / ar }'
	done
done
# /usr/bin/time counts in 10 ms steps: hyperfine gives the finer figures.
if command -v hyperfine >/dev/null; then
	hyperfine -N -w 3 -r "$runs" --style basic \
		-n cold "$vigie check --only patch_level --json --no-state --root /" \
		-n warm "$vigie check --config $tmp/agent.conf --only patch_level --json --root /" \
		-n "apt list" "apt list --upgradable" 2>/dev/null |
		grep -E 'Time|faster|±|Benchmark' || true
fi
