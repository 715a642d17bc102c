#!/bin/sh
# Posture decisions at scale: loads DEVICES (default 100,000) synthetic devices with 10
# reports each into a fresh SQLite server whose policy is warn_then_block, then asks for
# random devices' posture as a gateway would (by id, by certificate fingerprint) and
# prints p50/p99 per decision and decisions/s. Usage: bench-posture.sh BUILD_DIR
set -eu
build=$1
bin=$build/bin
devices=${DEVICES:-100000}
reports=${REPORTS:-10}
. "$(dirname "$0")/lib-server.sh"
bench_init posture
now=$(date +%s)
"$bin/vigie-server" admin-cert create gw --role gateway --out "$work/gw" --dir "$work/srv" >/dev/null
printf '{"version":2,"enforcement":{"mode":"warn_then_block","grace_hours":72,"checks":{"backup":{"grace_hours":24}}}}\n' >"$work/policy.json"
"$bin/vigie-server" policy set "$work/policy.json" --dir "$work/srv" >/dev/null
start=$(date +%s)
/usr/bin/python3 tests/bench/fleet-gen.py "$work/srv/vigie.db" "$devices" "$reports" "$now" >/dev/null
echo "loaded $devices devices x $reports reports in $(( $(date +%s) - start )) s"
bench_serve
/usr/bin/python3 tests/bench/posture-bench.py "$port" "$work/srv/ca.pem" "$work/gw/gw.pem" \
	"$work/gw/gw.key" "$work/srv/vigie.db" "$pid"
echo "target: a decision p99 < 5 ms (a gateway asks once per connection or login)"
