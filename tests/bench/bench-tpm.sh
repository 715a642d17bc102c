#!/bin/sh
# What a TPM-held device key costs per report: `vigie report --offline` (checks, JWS signed
# by the key) with the key in a TPM (swtpm behind tpm2-abrmd, the tpm2 OpenSSL provider) and
# with a key file, side by side. A real TPM chip is slower than swtpm: this is the software
# floor; the agent signs once per cycle.   sh tests/bench/bench-tpm.sh BUILD_DIR
set -eu
bin=$1/bin
for t in swtpm swtpm_setup tpm2-abrmd hyperfine dbus-daemon; do
	command -v $t >/dev/null || { echo "bench-tpm: $t is not installed (packaging/deps.sh bench)"; exit 1; }
done
w=$(mktemp -d /tmp/vigie-bench-tpm.XXXXXX)
cleanup() { kill $(cat "$w"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$w"; }
trap cleanup EXIT INT TERM
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$w/tpm" "$w/root" "$w/st-tpm" "$w/st-file"
swtpm_setup --tpm2 --tpmstate "$w/tpm" --createek --overwrite >/dev/null
swtpm socket --tpm2 --tpmstate dir="$w/tpm" --server type=tcp,port=$port,bindaddr=127.0.0.1 \
	--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --flags startup-clear --daemon --pid file="$w/swtpm.pid"
cat >"$w/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path=$w/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_type="*"/><allow send_type="*"/></policy></busconfig>
CONF
dbus-daemon --fork --print-pid --config-file="$w/bus.conf" >"$w/dbus.pid"
export DBUS_SESSION_BUS_ADDRESS=unix:path=$w/bus TPM2OPENSSL_TCTI=tabrmd:bus_type=session
tpm2-abrmd --session --allow-root --flush-all --tcti=swtpm:host=127.0.0.1,port=$port >/dev/null 2>&1 &
echo $! >"$w/abrmd.pid"
sleep 1
id=6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$w/ca.key" -out "$w/ca.pem" \
	-subj /CN=bench-ca -days 1 2>/dev/null
openssl genpkey -provider tpm2 -provider default -algorithm EC -pkeyopt group:P-256 -out "$w/st-tpm/device.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$w/st-file/device.key"
printf 'extendedKeyUsage=clientAuth\n' >"$w/ext"
for k in tpm file; do
	q=; [ $k = tpm ] && q='-provider tpm2 -provider default -propquery ?provider=tpm2'
	# shellcheck disable=SC2086
	openssl req $q -new -key "$w/st-$k/device.key" -subj "/CN=$id" -out "$w/$k.csr"
	openssl x509 -req -in "$w/$k.csr" -CA "$w/ca.pem" -CAkey "$w/ca.key" -CAcreateserial \
		-out "$w/st-$k/device.crt" -days 1 -extfile "$w/ext" 2>/dev/null
	cp "$w/ca.pem" "$w/st-$k/ca.pem"
	chmod 600 "$w/st-$k/device.key"
	printf '[Agent]\nStateDirectory=%s\nRoot=%s\nTPM=tabrmd:bus_type=session\n[Spool]\nMaxReports=100000\n' \
		"$w/st-$k" "$w/root" >"$w/$k.conf"
done
hyperfine -N --warmup 3 --runs 30 --export-json "$w/h.json" \
	-n "report signed by the TPM" "$bin/vigie report --offline --config $w/tpm.conf" \
	-n "report signed by a key file" "$bin/vigie report --offline --config $w/file.conf"
python3 - "$w/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
t, f = r["report signed by the TPM"], r["report signed by a key file"]
print(f"TPM key: {t['median']*1e3:.1f} ms wall, {t['user']*1e3 + t['system']*1e3:.1f} ms CPU; "
      f"key file: {f['median']*1e3:.1f} ms wall, {f['user']*1e3 + f['system']*1e3:.1f} ms CPU; "
      f"the TPM adds {(t['median'] - f['median'])*1e3:.1f} ms per report")
PY
# the machine may be shared: the load beside the figures
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
