#!/bin/sh
# CPU of one agent cycle (`vigie cycle`: the checks on this host, policy GET, sign, spool,
# POST over mTLS to a real vigie-server on 127.0.0.1), for one build or two side by side.
# Usage: tests/bench/cycle-cpu.sh BUILD_DIR [OTHER_BUILD_DIR]
#   BENCH_ROUNDS=3 BENCH_RUNS=20: rounds alternate the builds, RUNS cycles each.
#   BENCH_RESUME=1 (the default): each cycle gets the TLS session the previous one handed
#   back (--tls-session), as under vigie-agent, and resumes it; 0: a full handshake each
#   time (builds from before resumption need 0).
# Prints per round the mean CPU of a cycle (perf stat's task-clock and page faults, or
# getrusage) beside the load average, then, with valgrind, the user-space instructions of one cycle (callgrind's Ir):
# unlike time, that count does not move with the machine's load.
set -eu
rounds=${BENCH_ROUNDS:-3}
resume=${BENCH_RESUME:-1}
runs=${BENCH_RUNS:-20}
tmp=$(mktemp -d)
pids=""
. "$(dirname "$0")/measure.sh"
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# setup NAME BIN: a server (report budget lifted: one device reports back to back) and an
# agent enrolled with it, its state in $tmp/NAME.
setup() {
	d=$tmp/$1 bin=$2
	"$bin/vigie-server" init --dir "$d/srv" --name localhost >/dev/null
	printf '[Limits]\nDeviceReportBurst=1000000000\nDeviceReportInterval=1ms\n' >>"$d/srv/server.conf"
	token=$("$bin/vigie-server" token create --dir "$d/srv")
	start_server "$d/srv" "$d/srv.log"
	pids="$pids $srv_pid"
	mkdir -p "$d/state" "$d/run"
	printf '[Agent]\nServer=https://127.0.0.1:%s\nStateDirectory=%s/state\nRuntimeDirectory=%s/run\nLogLevel=warning\n' \
		"$port" "$d" "$d" >"$d/agent.conf"
	"$bin/vigie" enroll --config "$d/agent.conf" --server "https://127.0.0.1:$port" --token "$token" \
		--ca "$d/srv/ca.pem" >/dev/null
	# The first cycle fetches the policy and writes the list digests: not measured.
	cycle "$1" "$bin" >/dev/null
}

# cycle NAME BIN [WRAPPER…]: one cycle as vigie-agent runs it, under WRAPPER (valgrind…)
# if given: with BENCH_RESUME=1, offering the session kept in $tmp/NAME/session and keeping
# the one it hands back. Its JSON result on stdout, the wrapper's output on stderr.
cycle() {
	d=$tmp/$1 bin=$2
	shift 2
	if [ "$resume" = 1 ]; then
		touch "$d/session"
		"$@" "$bin/vigie" cycle --config "$d/agent.conf" --tls-session "$d/session" >"$d/out.json"
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d.pop("tls_session", None)
open(sys.argv[2], "w").write(json.dumps(s) if s else ""); print(json.dumps(d))' "$d/out.json" "$d/session"
	else
		"$@" "$bin/vigie" cycle --config "$d/agent.conf"
	fi
}

# Mean CPU of RUNS cycles: by perf stat when it can count here (task-clock of the cycle
# process alone, and its page faults: ~10 µs each in a VM), else user+system of the
# reaped children by getrusage, which also counts this Python's fork and its teardown at
# execve. The session is passed on here rather than by cycle(), whose python3 would be
# counted.
cycle_ms() {
	python3 - "$runs" "$2/vigie" "$tmp/$1" "$resume" <<'PY'
import json, resource, subprocess, sys
runs, vigie, d, resume = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "1"
session = open(f"{d}/session").read() if resume else ""
perf = subprocess.run(["perf", "stat", "-x,", "-e", "task-clock,page-faults", "true"],
                      capture_output=True).returncode == 0
ms = faults = 0.0
for _ in range(runs):
    extra = []
    if resume:
        with open(f"{d}/session", "w") as f:
            f.write(session)
        extra = ["--tls-session", f"{d}/session"]
    wrap = ["perf", "stat", "-x,", "-e", "task-clock,page-faults", "-o", f"{d}/perf"] if perf else []
    out = subprocess.run(wrap + [vigie, "cycle", "--config", f"{d}/agent.conf"] + extra, stdout=subprocess.PIPE,
                         check=True).stdout
    if perf:
        for line in open(f"{d}/perf"):
            f = line.split(",")
            if len(f) > 2 and f[2].startswith("task-clock"):
                ms += float(f[0])
            elif len(f) > 2 and f[2].startswith("page-faults"):
                faults += float(f[0])
    s = json.loads(out).get("tls_session") if resume else None
    session = json.dumps(s) if s else ""
if resume:
    with open(f"{d}/session", "w") as f:
        f.write(session)
if perf:
    print("%.1f ms, %.0f page faults (perf stat)" % (ms / runs, faults / runs))
else:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("%.1f ms (getrusage)" % ((ru.ru_utime + ru.ru_stime) * 1000 / runs))
PY
}

set -- "$1" "${2:-}"
setup a "$1/bin"
[ -z "$2" ] || setup b "$2/bin"
i=1
while [ "$i" -le "$rounds" ]; do
	echo "round $i: $1 $(cycle_ms a "$1/bin") (load $(cut -d' ' -f1 /proc/loadavg))"
	[ -z "$2" ] || echo "round $i: $2 $(cycle_ms b "$2/bin") (load $(cut -d' ' -f1 /proc/loadavg))"
	i=$((i + 1))
done
depth=$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("spool_depth"))' <<EOF
$(cycle a "$1/bin")
EOF
)
[ "$depth" = 0 ] || { echo "the reports were not all delivered (spool depth $depth)"; exit 1; }
command -v valgrind >/dev/null || exit 0
# Under valgrind a cycle is ~50 times slower: when the server's keep-alive timeout closes
# the connection between the policy GET and the POST, the cycle pays a second handshake
# (~10 M instructions): repeat and take the lower counts. Each says if it delivered.
for x in a b a b; do
	[ "$x" = a ] && b=$1 || b=$2
	[ -n "$b" ] || continue
	ir=$(cycle "$x" "$b/bin" valgrind --tool=callgrind --callgrind-out-file=/dev/null 2>&1 >"$tmp/cycle.json" |
		sed -n 's/.*I *refs: *//p')
	ok=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print("delivered" if d.get("spool_depth") == 0 and not d.get("delivery_error") else "NOT delivered")' "$tmp/cycle.json")
	echo "instructions (user space, one cycle, $ok): $b $ir"
done
