# Sourced by the SQLite fleet benches (bench-fleet.sh, bench-posture.sh,
# bench-report-pages.sh), after they set $bin: a scratch directory removed on exit with the
# server it holds, and the server started on a free port.
# bench_init NAME   $work = a new scratch directory, with a server initialised in $work/srv
# bench_serve       starts `vigie-server serve` on 127.0.0.1; sets $pid and $port
. "$(dirname "$0")/measure.sh" # start_server
bench_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}

bench_init() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/vigie-bench-$1.XXXXXX")
	pid=
	trap bench_cleanup EXIT INT TERM
	"$bin/vigie-server" init --dir "$work/srv" --name localhost >/dev/null
}

bench_serve() {
	start_server "$work/srv" "$work/server.log"
	pid=$srv_pid
}
