#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Times posture decisions against a running vigie-server with a gateway certificate over
keep-alive mTLS connections: p50/p99 per decision by device id and by certificate
fingerprint, the server's CPU time per decision (from /proc: what the wall-clock figures
lose on a loaded machine), and decisions/s with 1 and 4 concurrent gateways.
Usage: posture-bench.py PORT CA CERT KEY DB SERVER_PID"""
import http.client
import os
import random
import sqlite3
import ssl
import sys
import threading
import time

port, ca, cert, key, db, pid = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s():
    """The server's user + system CPU time, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK
con = sqlite3.connect(db)
rows = con.execute("SELECT id, cert_fingerprint FROM devices ORDER BY random() LIMIT 5000").fetchall()
con.close()
rng = random.Random(7)


def connect():
    ctx = ssl.create_default_context(cafile=ca)
    ctx.load_cert_chain(cert, key)
    return http.client.HTTPSConnection("localhost", port, context=ctx, timeout=60)


def get(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit(f"{path}: HTTP {r.status}: {body[:200]!r}")
    return body


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


conn = connect()
for d, _ in rows:  # warm: the database pages of the sampled devices, as in steady state
    get(conn, f"/v1/posture/{d}")
print(f"{'decision':32} {'p50 ms':>8} {'p99 ms':>8} {'server CPU us':>14}  (n)")
for name, path in (("by device id", lambda d, f: f"/v1/posture/{d}"),
                   ("by certificate fingerprint", lambda d, f: f"/v1/posture?fingerprint={f}")):
    t = []
    c0 = cpu_s()
    for _ in range(2000):
        d, f = rng.choice(rows)
        a = time.perf_counter()
        get(conn, path(d, f))
        t.append((time.perf_counter() - a) * 1000)
    cpu_us = (cpu_s() - c0) / len(t) * 1e6
    print(f"{name:32} {pct(t, 50):8.2f} {pct(t, 99):8.2f} {cpu_us:14.0f}  ({len(t)})")


def worker(n, out):
    c = connect()
    r = random.Random(n)
    done = 0
    end = time.monotonic() + 5
    while time.monotonic() < end:
        get(c, f"/v1/posture/{r.choice(rows)[0]}")
        done += 1
    out.append(done)


for gateways in (1, 4):
    out = []
    threads = [threading.Thread(target=worker, args=(i, out)) for i in range(gateways)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print(f"decisions/s with {gateways} gateway connection(s): {sum(out) / 5:.0f}")
