#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Times fleet queries against a running vigie-server over one keep-alive mTLS connection
(what a dashboard or vigiectl session does) and prints p50/p99 per query, and the export
rate. Usage: fleet-bench.py PORT CA CERT KEY DEVICE_ID DEVICES"""
import http.client
import ssl
import sys
import time

port, ca, cert, key, device, n_devices = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)
conn = http.client.HTTPSConnection("localhost", int(port), context=ctx, timeout=600)


def get(path):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit(f"{path}: HTTP {r.status}: {body[:200]!r}")
    return body


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


QUERIES = [
    ("summary", "/v1/fleet/summary", 300),
    ("devices ?status=noncompliant", "/v1/fleet/devices?status=noncompliant&limit=100", 300),
    ("devices ?check=backup&check_status=fail", "/v1/fleet/devices?check=backup&check_status=fail&limit=100", 300),
    ("devices ?status=stale&sort=-last_report", "/v1/fleet/devices?status=stale&sort=-last_report&limit=100", 300),
    ("device detail", f"/v1/fleet/devices/{device}", 300),
]
print(f"{'query':45} {'p50 ms':>8} {'p99 ms':>8}  (n)")
for name, path, n in QUERIES:
    for _ in range(10):
        get(path)
    t = []
    for _ in range(n):
        a = time.perf_counter()
        get(path)
        t.append((time.perf_counter() - a) * 1000)
    print(f"{name:45} {pct(t, 50):8.2f} {pct(t, 99):8.2f}  ({n})")
for fmt in ("csv", "jsonl"):
    best = None
    for _ in range(3):
        a = time.perf_counter()
        body = get(f"/v1/fleet/export?format={fmt}")
        dt = time.perf_counter() - a
        best = dt if best is None else min(best, dt)
    lines = body.count(b"\n") - (fmt == "csv")
    assert lines == n_devices, (lines, n_devices)
    print(f"export {fmt:5}: {n_devices} devices in {best:.2f} s = {n_devices / best:,.0f} devices/s "
          f"({len(body) / best / 1e6:.1f} MB/s)")
