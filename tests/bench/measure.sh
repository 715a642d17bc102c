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
