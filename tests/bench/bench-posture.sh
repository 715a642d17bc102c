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
work=$(mktemp -d "${TMPDIR:-/tmp}/vigie-bench-posture.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
now=$(date +%s)
"$bin/vigie-server" init --dir "$work/srv" --name localhost >/dev/null
"$bin/vigie-server" admin-cert create gw --role gateway --out "$work/gw" --dir "$work/srv" >/dev/null
printf '{"enforcement":{"mode":"warn_then_block","grace_hours":72,"checks":{"backup":{"grace_hours":24}}}}\n' >"$work/policy.json"
"$bin/vigie-server" policy set "$work/policy.json" --dir "$work/srv" >/dev/null
start=$(date +%s)
/usr/bin/python3 tests/bench/fleet-gen.py "$work/srv/vigie.db" "$devices" "$reports" "$now" >/dev/null
echo "loaded $devices devices x $reports reports in $(( $(date +%s) - start )) s"
"$bin/vigie-server" serve --dir "$work/srv" --listen 127.0.0.1:0 2>"$work/server.log" &
pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*Listening on port \([0-9]*\).*/\1/p' "$work/server.log")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { cat "$work/server.log"; exit 1; }
/usr/bin/python3 tests/bench/posture-bench.py "$port" "$work/srv/ca.pem" "$work/gw/gw.pem" \
	"$work/gw/gw.key" "$work/srv/vigie.db" "$pid"
echo "target: a decision p99 < 5 ms (a gateway asks once per connection or login)"
