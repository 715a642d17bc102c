#!/bin/sh
# A device's stored reports served in pages (GET /v1/fleet/devices/{id}/reports, streamed):
# loads one device with REPORTS (default 1,000) reports of SIZE bytes (default 256 KiB,
# a large evidence-heavy report) into a fresh SQLite server, then reads every page with
# curl (limit=500, following next_cursor) and prints the rate and the server's peak RSS
# growth (VmHWM, reset before the read with /proc/PID/clear_refs). Figures only.
# Usage: bench-report-pages.sh BUILD_DIR
set -eu
build=$1
bin=$build/bin
reports=${REPORTS:-1000}
size=${SIZE:-262144}
. "$(dirname "$0")/lib-server.sh"
bench_init pages
now=$(date +%s)
"$bin/vigie-server" admin-cert create bench --out "$work/admin" --dir "$work/srv" >/dev/null
device=$(/usr/bin/python3 tests/bench/fleet-gen.py "$work/srv/vigie.db" 1 "$reports" "$now" | tail -n 1)
/usr/bin/python3 - "$work/srv/vigie.db" "$size" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE reports SET jws = jws || '.' || substr(hex(zeroblob(?)), 1, ?)", (int(sys.argv[2]) // 2 + 1, int(sys.argv[2])))
db.commit()
PY
bench_serve
/usr/bin/python3 - "$port" "$work" "$device" "$pid" <<'PY'
import os, re, subprocess, sys, time
port, work, device, pid = sys.argv[1:]
base = f"https://localhost:{port}/v1/fleet/devices/{device}/reports?limit=500"
page_file = f"/dev/shm/vigie-bench-page-{os.getpid()}.json"  # memory: the disk is not measured
curl = ["curl", "-sS", "--fail", "--cacert", f"{work}/srv/ca.pem", "--cert", f"{work}/admin/bench.pem",
        "--key", f"{work}/admin/bench.key", "-o", page_file]
def hwm():
    return next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM:"))
def read_all():
    n = size = 0
    cursor = None
    while True:
        subprocess.run(curl + [base + (f"&cursor={cursor}" if cursor else "")], check=True)
        data = open(page_file, "rb").read()  # the client's parsing is not measured:
        size += len(data)                                 # count and take the cursor from the tail
        n += data.count(b'{"seq":')
        m = re.search(rb'"next_cursor":(null|"([0-9a-f]+)")}\s*$', data[-4096:])
        cursor = m.group(2).decode() if m.group(2) else None
        if not cursor:
            return n, size
read_all()  # warm: SQLite's page cache fills (bounded by cache_size)
with open(f"/proc/{pid}/clear_refs", "w") as f:
    f.write("5")
before = hwm()
t = time.monotonic()
n, size = read_all()
dt = time.monotonic() - t
os.unlink(page_file)
print(f"{n} reports, {size / 2**20:.0f} MiB in {dt:.2f} s: {n / dt:,.0f} reports/s, {size / 2**20 / dt:.0f} MiB/s; "
      f"server peak RSS grew {(hwm() - before) / 1024:.1f} MiB (load average {os.getloadavg()[0]:.2f})")
PY
