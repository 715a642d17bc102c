#!/bin/sh
# SPDX-License-Identifier: MIT
# The patch-level check on this machine's real dpkg status and apt lists, beside
# `apt list --upgradable` and `apt-get -s upgrade`: median wall time, CPU time (user+sys)
# and peak RSS over RUNS runs each, and the ratios. Figures only, never a verdict.
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

# measure NAME CMD…: one line per run, "wall cpu rss_kb"
measure() {
	name=$1; shift
	"$@" >/dev/null 2>&1 # warm the page cache
	i=0
	while [ $i -lt "$runs" ]; do
		/usr/bin/time -f '%e %U %S %M' -o "$tmp/one" "$@" >/dev/null 2>&1
		awk '{ printf "%.3f %.3f %d\n", $1, $2 + $3, $4 }' "$tmp/one" >> "$tmp/$name"
		i=$((i + 1))
	done
}

median() { # file column
	sort -n -k"$2","$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

measure vigie "$vigie" check --only patch_level --json --no-state --root /
measure aptlist apt list --upgradable
measure aptget apt-get -s upgrade

printf '%-42s %10s %10s %10s\n' "command (median of $runs)" "wall s" "cpu s" "rss KiB"
for n in vigie aptlist aptget; do
	case $n in
	vigie) label="vigie check --only patch_level";;
	aptlist) label="apt list --upgradable";;
	aptget) label="apt-get -s upgrade";;
	esac
	printf '%-42s %10s %10s %10s\n' "$label" "$(median "$tmp/$n" 1)" "$(median "$tmp/$n" 2)" "$(median "$tmp/$n" 3)"
done
for n in aptlist aptget; do
	awk -v vw="$(median "$tmp/vigie" 1)" -v vc="$(median "$tmp/vigie" 2)" -v vr="$(median "$tmp/vigie" 3)" \
	    -v aw="$(median "$tmp/$n" 1)" -v ac="$(median "$tmp/$n" 2)" -v ar="$(median "$tmp/$n" 3)" -v n="$n" \
	    'BEGIN { if (vw == 0) vw = 0.001; if (vc == 0) vc = 0.001;
	             printf "vigie vs %-13s wall %.1fx faster, cpu %.1fx less, rss %.2f of it\n",
	                    n == "aptlist" ? "apt list" : "apt-get -s", aw / vw, ac / vc, vr / ar }'
done
if command -v hyperfine >/dev/null; then
	hyperfine -N -w 3 -r "$runs" --style basic \
		"$vigie check --only patch_level --json --no-state --root /" "apt list --upgradable" 2>/dev/null |
		grep -E 'Time|faster|±' || true
fi
