#!/bin/sh
# Fleet queries at scale: loads DEVICES (default 100,000) synthetic devices with 10 reports
# each into a fresh SQLite server, then prints p50/p99 of the summary, filtered device
# lists and a device's detail, and the full export rate. Usage: bench-fleet.sh BUILD_DIR
set -eu
build=$1
bin=$build/bin
devices=${DEVICES:-100000}
reports=${REPORTS:-10}
. "$(dirname "$0")/lib-server.sh"
bench_init fleet
now=$(date +%s)
"$bin/vigie-server" admin-cert create bench --out "$work/admin" --dir "$work/srv" >/dev/null
start=$(date +%s)
device=$(/usr/bin/python3 tests/bench/fleet-gen.py "$work/srv/vigie.db" "$devices" "$reports" "$now" | tail -n 1)
echo "loaded $devices devices x $reports reports in $(( $(date +%s) - start )) s ($(du -h "$work/srv/vigie.db" | cut -f1) database)"
bench_serve
/usr/bin/python3 tests/bench/fleet-bench.py "$port" "$work/srv/ca.pem" "$work/admin/bench.pem" \
	"$work/admin/bench.key" "$device" "$devices"
echo "targets: summary and filtered list p99 < 20 ms; export >= 50,000 devices/s"
