#!/bin/sh
# vigie-tray: time of --once, idle RSS, wake-ups while idle (voluntary context switches
# over BENCH_IDLE_SECONDS, 30 by default), and CPU per status.json rewrite by the agent.
# Usage: tests/bench/bench-tray.sh BUILD_DIR
set -eu
build=$1
bin=$build/bin
idle=${BENCH_IDLE_SECONDS:-30}
rewrites=${BENCH_REWRITES:-500}
tmp=$(mktemp -d)
bus_pid="" tray_pid=""
cleanup() {
	[ -n "$tray_pid" ] && kill "$tray_pid" 2>/dev/null && wait "$tray_pid" 2>/dev/null
	[ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null && wait "$bus_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

status() { # $1: last_check, so that each rewrite differs but the verdict does not
	cat >"$tmp/run/status.json.tmp" <<JSON
{"status_version":1,"enrolled":true,"compliant":false,"last_check":"$1","agent":{"pid":1,"state":"idle"},
 "checks":[{"id":"disk_encryption","title":"Disk encryption","status":"pass","summary":"/ is on LUKS2"},
 {"id":"patch_level","title":"Patch level","status":"warn","summary":"2 security updates pending",
  "remediation":"Install all updates.","deadline":"2026-12-04T00:00:00Z"},
 {"id":"backup","title":"Backup","status":"fail","summary":"Last backup 9 days ago","remediation":"Run your backup now."}]}
JSON
	mv "$tmp/run/status.json.tmp" "$tmp/run/status.json"
}
mkdir -p "$tmp/run"
status 2026-11-29T20:00:00Z

echo "vigie-tray --once (parse + compose + print):"
hyperfine -N -i --warmup 5 --runs 200 --style basic "$bin/vigie-tray --once --status $tmp/run/status.json" 2>/dev/null |
	sed -n 's/^ *Time (mean ± σ): */  /p'

cat >"$tmp/bus.conf" <<CONF
<busconfig><type>session</type><listen>unix:path=$tmp/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/>
</policy></busconfig>
CONF
dbus-daemon --nofork --nopidfile --config-file="$tmp/bus.conf" 2>/dev/null &
bus_pid=$!
n=0
until [ -S "$tmp/bus" ]; do n=$((n + 1)); [ $n -lt 200 ] || exit 1; sleep 0.05; done
DBUS_SESSION_BUS_ADDRESS="unix:path=$tmp/bus" "$bin/vigie-tray" --status "$tmp/run/status.json" 2>"$tmp/tray.log" &
tray_pid=$!
sleep 1
field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$tray_pid/status"; }
cpu_ns() { awk '{ print $1 }' "/proc/$tray_pid/schedstat"; }

[ -d /proc/$tray_pid ] || { cat "$tmp/tray.log"; exit 1; }
echo "idle RSS: $(field VmRSS) kB"
before=$(field voluntary_ctxt_switches)
sleep "$idle"
after=$(field voluntary_ctxt_switches)
echo "wake-ups while idle for ${idle} s: $((after - before))"

t0=$(cpu_ns)
i=0
while [ $i -lt "$rewrites" ]; do
	status "2026-11-29T20:$((i % 60)):00Z"
	i=$((i + 1))
done
sleep 1
t1=$(cpu_ns)
echo "CPU for $rewrites rewrites with the same verdict: $(( (t1 - t0) / 1000000 )) ms" \
	"($(( (t1 - t0) / 1000 / rewrites )) µs each; re-read, compose, nothing sent)"
