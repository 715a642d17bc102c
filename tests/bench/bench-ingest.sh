#!/bin/sh
# Ingest benchmark: vigie-server on 127.0.0.1 driven by tests/bench/loadgen.c, next to
# the machine's bound (bare TLS 1.3 mTLS handshakes between openssl s_server and s_time
# with the same certificates, and openssl speed ecdsap256). Prints figures and ratios.
#   sh tests/bench/bench-ingest.sh BUILD_DIR      (SECONDS=N per run, default 10)
set -eu
build=$(cd "${1:-build}" && pwd)
secs=${BENCH_SECONDS:-10}
tmp=$(mktemp -d /tmp/vigie-bench.XXXXXX)
server_pid= sserver_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	[ -n "$sserver_pid" ] && kill "$sserver_pid" 2>/dev/null && wait "$sserver_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# The load generator: one compile line, linked with the common library (JWS signing).
pkgs="openssl json-c libsystemd inih zlib libdeflate liblzma liblz4"
cc -std=gnu11 -D_GNU_SOURCE -O2 -Icommon $(pkg-config --cflags $pkgs) -o "$tmp/loadgen" \
	tests/bench/loadgen.c "$build/libvigie-common.a" $(pkg-config --libs $pkgs) -lpthread -lm

srv="$build/bin/vigie-server"
"$srv" init --dir "$tmp/srv" --name localhost >/dev/null
"$srv" serve --dir "$tmp/srv" --listen 127.0.0.1:0 >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -qs "Listening on port" "$tmp/server.log" && break; sleep 0.05; done
port=$(sed -n 's/.*Listening on port \([0-9]*\).*/\1/p' "$tmp/server.log")
token=$("$srv" token create --dir "$tmp/srv" --uses 100000)
"$srv" admin-cert create bench --out "$tmp/client" --dir "$tmp/srv" >/dev/null

echo "machine: $(nproc) CPU(s), $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "# openssl speed -seconds 3 ecdsap256"
speed=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa \(nistp256\)/ {print $(NF-1), $NF}')
sign=${speed% *}; verify=${speed#* }
echo "ecdsap256: sign/s=$sign verify/s=$verify"

echo "# bare TLS 1.3 mTLS handshakes: openssl s_server -Verify 1 / openssl s_time -new (${secs}s)"
sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -quiet -accept "127.0.0.1:$sport" -cert "$tmp/srv/server.pem" -key "$tmp/srv/server.key" \
	-CAfile "$tmp/srv/ca.pem" -Verify 1 -tls1_3 -no_ticket >/dev/null 2>&1 &
sserver_pid=$!
sleep 0.5
bare=$(openssl s_time -connect "127.0.0.1:$sport" -new -tls1_3 -cert "$tmp/client/bench.pem" \
	-key "$tmp/client/bench.key" -CAfile "$tmp/srv/ca.pem" -time "$secs" 2>/dev/null |
	awk '/connections in [0-9.]+s;/ {for (i = 1; i <= NF; i++) if ($i ~ /connections\/user/) print $(i-1)}' | head -1)
bare_real=$(openssl s_time -connect "127.0.0.1:$sport" -new -tls1_3 -cert "$tmp/client/bench.pem" \
	-key "$tmp/client/bench.key" -CAfile "$tmp/srv/ca.pem" -time "$secs" 2>/dev/null |
	awk '/connections in [0-9.]+ real seconds/ {print $1 / $4}' | head -1)
kill "$sserver_pid"; wait "$sserver_pid" 2>/dev/null || true; sserver_pid=
echo "bare handshakes/s: ${bare_real:-?} (wall clock), ${bare:-?} (per client CPU second)"

run() {
	"$tmp/loadgen" --port "$port" --ca "$tmp/srv/ca.pem" --token "$token" --seconds "$secs" \
		--server-pid "$server_pid" "$@"
}
echo "# vigie-server: full mTLS handshake per report (sequential, like s_time)"
hs1=$(run --mode handshake --concurrency 1); echo "$hs1"
echo "# vigie-server: full mTLS handshake per report, 8 clients"
hs8=$(run --mode handshake --concurrency 8); echo "$hs8"
echo "# vigie-server: keep-alive, 64 clients"
ka=$(run --mode keepalive --concurrency 64); echo "$ka"

rate() { echo "$1" | sed -n 's/.*reports_per_s=\([0-9.]*\).*/\1/p'; }
awk -v hs1="$(rate "$hs1")" -v hs8="$(rate "$hs8")" -v ka="$(rate "$ka")" -v bare="${bare_real:-0}" \
	-v verify="${verify:-0}" 'BEGIN {
	if (bare > 0) {
		printf "ratio full-handshake reports/s ÷ bare handshakes/s: sequential %.2f, 8 clients %.2f (target ≥ 0.8)\n", hs1 / bare, hs8 / bare
	}
	if (verify > 0)
		printf "keep-alive reports/s ÷ ECDSA P-256 verifies/s (one core): %.2f; target ≥ 5000 reports/s: %s\n", ka / verify, (ka >= 5000 ? "met" : "NOT met")
}'
