#!/bin/sh
# CPU per cycle of two builds' vigie-agent daemons, cycle for cycle: both run at once,
# enrolled with one vigie-server on 127.0.0.1, and take turns (A B, then B A), so that this
# machine's speed, which drifts by a third from one minute to the next, falls on both alike.
# Usage: tests/bench/agent-ab.sh BUILD_A BUILD_B   (BENCH_ROUNDS=200: cycles of each)
# Prints each agent's CPU per cycle (daemon + its cycle process, as bench-agent.sh counts
# it), and in how many blocks of 20 rounds B used less than A. Run it both ways round: two
# agents of one build differed by up to 2 % here (their address-space layouts; 0.4 % under
# `setarch x86_64 -R`).
set -eu
rounds=${BENCH_ROUNDS:-200}
tmp=$(mktemp -d)
pids=""
bin=$1/bin
. "$(dirname "$0")/measure.sh"
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	for c in ${cgroup_a:-} ${cgroup_b:-}; do cpu_cgroup_remove "$c"; done
	rm -rf "$tmp" /dev/shm/vigie-ab-run.$$.*
}
trap cleanup EXIT

"$bin/vigie-server" init --dir "$tmp/srv" --name localhost >/dev/null
printf '[Limits]\nDeviceReportBurst=1000000000\nDeviceReportInterval=1ms\n' >>"$tmp/srv/server.conf"
start_server "$tmp/srv" "$tmp/srv.log"
pids="$srv_pid"

# agent NAME BUILD: an agent of BUILD enrolled with the server, started; its pid in $tmp/NAME/pid.
agent() {
	d=$tmp/$1 b=$2/bin run=/dev/shm/vigie-ab-run.$$.$1
	mkdir -p "$d/state" "$run"
	printf '[Agent]\nServer=https://127.0.0.1:%s\nStateDirectory=%s/state\nRuntimeDirectory=%s\nReportIntervalSec=1h\nDeviceIdSeed=%s\nLogLevel=notice\n' \
		"$port" "$d" "$run" "agent-ab-$1" >"$d/agent.conf"
	"$b/vigie" enroll --config "$d/agent.conf" --server "https://127.0.0.1:$port" \
		--token "$("$bin/vigie-server" token create --dir "$tmp/srv")" --ca "$tmp/srv/ca.pem" >/dev/null
	env -u NOTIFY_SOCKET -u WATCHDOG_USEC DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket \
		"$b/vigie-agent" --config "$d/agent.conf" 2>"$d/agent.log" &
	pids="$pids $!"
	echo $! >"$d/pid"
}
agent a "$1"
agent b "$2"

cgroup_a=$(cpu_cgroup "vigie-agent-ab-$$-a" "$(cat "$tmp/a/pid")")
cgroup_b=$(cpu_cgroup "vigie-agent-ab-$$-b" "$(cat "$tmp/b/pid")")
# Clock ticks would sample each agent's CPU (±4 % over 400 cycles), more than most
# differences worth comparing here.
[ -n "$cgroup_a" ] && [ -n "$cgroup_b" ] || {
	echo "agent-ab.sh counts CPU with a cgroup per agent: run it as root where /sys/fs/cgroup is writable"
	exit 1
}
python3 - "$rounds" "$(cat "$tmp/a/pid")" "$(cat "$tmp/b/pid")" /dev/shm/vigie-ab-run.$$.a /dev/shm/vigie-ab-run.$$.b \
	"$cgroup_a" "$cgroup_b" <<'PY'
import json, os, signal, sys, time
rounds, pids, runs, cgroups = int(sys.argv[1]), [int(sys.argv[2]), int(sys.argv[3])], sys.argv[4:6], sys.argv[6:8]

def state(i):
    try:
        with open(f"{runs[i]}/status.json") as f:
            return json.load(f)["agent"]
    except (OSError, ValueError, KeyError):
        return {}

def cgroup_ms(i):  # as cgroup_cpu_ms in measure.sh
    with open(cgroups[i]) as f:
        text = f.read()
    if cgroups[i].endswith("cpu.stat"):
        return next(int(v) for k, v in (line.split() for line in text.splitlines()) if k == "usage_usec") / 1000
    return int(text) / 1e6

def wait_idle(i, cycles):
    deadline = time.monotonic() + 60
    while not (state(i).get("cycles", 0) >= cycles and state(i).get("state") == "idle"):
        if time.monotonic() > deadline:
            sys.exit(f"agent {'ab'[i]} did not finish cycle {cycles}")
        time.sleep(0.05)

for i in (0, 1):  # the first cycle fetches the policy and writes the list digests
    wait_idle(i, 1)
used = [[], []]
for r in range(rounds):
    for i in ((0, 1) if r % 2 == 0 else (1, 0)):
        done, t0 = state(i).get("cycles", 0), cgroup_ms(i)
        os.kill(pids[i], signal.SIGUSR1)
        wait_idle(i, done + 1)
        used[i].append(cgroup_ms(i) - t0)
block = 20
blocks = [(sum(used[0][k:k + block]), sum(used[1][k:k + block])) for k in range(0, rounds - block + 1, block)]
ms = [sum(u) / len(u) for u in used]
print(f"cycles: {rounds} each, interleaved; CPU from a cgroup per agent")
print(f"A CPU per cycle: {ms[0]:.2f} ms")
print(f"B CPU per cycle: {ms[1]:.2f} ms ({(ms[1] - ms[0]) / ms[0] * 100:+.1f} %)")
print(f"blocks of {block} rounds where B used less than A: {sum(b < a for a, b in blocks)} of {len(blocks)}"
      f" (per block, ms per cycle: " + ", ".join(f"{a / block:.1f}/{b / block:.1f}" for a, b in blocks) + ")")
PY
stored=$(sqlite3 "$tmp/srv/vigie.db" 'SELECT count(*) FROM reports')
# Every cycle delivered its report: else it measured retries.
[ "$stored" -eq $((2 * (rounds + 1))) ] || { echo "the server stored $stored reports, not $((2 * (rounds + 1)))"; exit 1; }
