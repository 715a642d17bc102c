# SPDX-License-Identifier: MIT
# Sourced by the benchmarks: measure NAME CMD… appends one line per run ("wall cpu rss_kb",
# CPU = user + sys) to $tmp/NAME after one warm-up run; median FILE COLUMN.
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

# start_server DIR LOG: `$bin/vigie-server serve` of DIR on 127.0.0.1, an unused port, in
# the background; sets srv_pid, and port once the server says it listens.
start_server() {
	"$bin/vigie-server" serve --dir "$1" --listen 127.0.0.1:0 >"$2" 2>&1 &
	srv_pid=$!
	n=0
	until port=$(sed -n 's/.*Listening on port \([0-9]*\).*/\1/p' "$2") && [ -n "$port" ]; do
		n=$((n + 1)); [ $n -lt 200 ] || { cat "$2"; exit 1; }
		sleep 0.05
	done
}

# cpu_cgroup NAME PID: moves PID, and the processes it starts from then on, into a new
# cgroup NAME and prints the file that adds up their CPU time: counted at each context
# switch, where utime/stime are sampled per clock tick (±8 % over 100 cycles of ~16 ms).
# cgroup v1's cpuacct.usage (ns) or v2's cpu.stat (usage_usec); nothing without either.
cpu_cgroup() {
	for f in /sys/fs/cgroup/cpuacct/cpuacct.usage /sys/fs/cgroup/cgroup.controllers \
		/sys/fs/cgroup/unified/cgroup.controllers; do
		[ -f "$f" ] || continue
		case $f in *cpuacct.usage) stat=cpuacct.usage ;; *) stat=cpu.stat ;; esac
		d=${f%/*}/$1
		mkdir -p "$d" 2>/dev/null && echo "$2" >"$d/cgroup.procs" 2>/dev/null || { rmdir "$d" 2>/dev/null; continue; }
		echo "$d/$stat"
		return 0
	done
}

# cgroup_cpu_ms FILE: the CPU time that cpu_cgroup's FILE has counted, in ms.
cgroup_cpu_ms() {
	case $1 in
	*cpu.stat) awk '$1 == "usage_usec" { printf "%.3f\n", $2 / 1000 }' "$1" ;;
	*) awk '{ printf "%.3f\n", $1 / 1000000 }' "$1" ;;
	esac
}

# cpu_cgroup_remove FILE: removes cpu_cgroup's cgroup once its processes have ended.
cpu_cgroup_remove() {
	n=0
	until rmdir "${1%/*}" 2>/dev/null; do
		n=$((n + 1)); [ $n -lt 100 ] || { echo "could not remove the cgroup ${1%/*}" >&2; return 0; }
		sleep 0.05
	done
}
