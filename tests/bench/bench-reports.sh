#!/bin/sh
# Agent side of signed reports: what one `vigie report --offline` (checks on an empty
# root, claims, ES256 signature, atomic spool append with fsyncs) and one `vigie verify`
# cost, next to the bare ECDSA P-256 rate of this machine. Figures only, no assertion.
set -eu
build=${1:-build}
vigie=$(realpath "$build/bin/vigie")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
cd "$work"
mkdir root state
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
	-subj /CN=BenchCA -days 1 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out state/device.key 2>/dev/null
openssl req -new -key state/device.key -subj /CN=6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b -out d.csr
openssl x509 -req -in d.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out state/device.crt -days 1 2>/dev/null
printf '[Agent]\nStateDirectory=%s/state\nRoot=%s/root\n[Spool]\nMaxReports=50\n' "$work" "$work" > agent.conf
"$vigie" report --offline --config agent.conf >/dev/null
cp "$(ls state/spool/*.jws | head -n 1)" report.jws

hyperfine -N --warmup 5 --runs 200 --export-json report.json \
	"$vigie report --offline --config $work/agent.conf" >/dev/null 2>&1
hyperfine -N --warmup 5 --runs 200 --export-json verify.json \
	"$vigie verify $work/report.jws --cert $work/state/device.crt --ca $work/ca.pem" >/dev/null 2>&1
speed=$(openssl speed -seconds 2 ecdsap256 2>/dev/null | awk '/256 bits ecdsa \(nistp256\)/ {print $(NF-1), $NF}')
python3 - "$speed" <<'PY'
import json, sys
sign, verify = (float(x) for x in sys.argv[1].split())
for name, f in (("vigie report --offline", "report.json"), ("vigie verify", "verify.json")):
    r = json.load(open(f))["results"][0]
    print(f"{name:24s} wall mean {r['mean']*1000:6.2f} ms, median {r['median']*1000:6.2f} ms; "
          f"CPU {(r['user'] + r['system'])*1000:5.2f} ms (user {r['user']*1000:.2f}, system {r['system']*1000:.2f})")
print(f"openssl speed ecdsap256: {sign:.0f} sign/s, {verify:.0f} verify/s "
      f"(one signature = {1000/sign:.3f} ms, one verification = {1000/verify:.3f} ms)")
PY
