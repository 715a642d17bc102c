#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Fleet query latency at a million devices on PostgreSQL (issue #17). Starts a real
PostgreSQL cluster and vigie-server on it (the server creates its schema), fills the
database set-wise (tests/bench/fleet-pg.sql: generate_series, not the API), then times the
fleet API over one keep-alive mTLS connection with an admin certificate, as a console or
vigiectl session does: p50/p99 per query, the filtered list followed page by page through
its cursor, the device page for random devices, and the CSV export's first byte and total.
Prints the load average beside the figures; targets (issue #17): summary p99 < 20 ms,
filtered list p99 < 50 ms (its first page and the pages after it); with --check, a missed
target makes the exit status 1 (`make bench-scale` runs it so after scale.py).

  python3 tests/bench/fleet-pg.py BUILD [--devices N] [--requests R] [--check] [--keep] [--reuse DIR]
--keep keeps the server and the loaded cluster in a directory it prints; --reuse DIR
measures again on them (after a server change) without loading again, with the server's
clock (VIGIE_NOW, test builds) at the load's time: the devices' report times are then as
fresh as at the load, not hours old (on a database left to age, the stale bound falls among
the devices that reported in the load's last hour and the summary counts them one by one)."""
import argparse
import http.client
import json
import os
import random
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(SRC / "tests" / "integration"))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


class Client:
    def __init__(self, port, ca, cert, key):
        ctx = ssl.create_default_context(cafile=ca)
        ctx.load_cert_chain(cert, key)
        self.conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=600)

    def get(self, path):
        """(status, body, seconds to the first body byte, seconds in all)"""
        a = time.perf_counter()
        self.conn.request("GET", path)
        r = self.conn.getresponse()
        first = r.read(1)
        b = time.perf_counter()
        body = first + r.read()
        c = time.perf_counter()
        if r.status != 200:
            sys.exit(f"{path}: HTTP {r.status}: {body[:300]!r}")
        return body, b - a, c - a


def fill(a, tmp, pg, srv, Postgres):
    """Creates the schema (the server does, and publishes the default policy), fills it, then
    lets the server count the fleet."""
    srv.start()
    srv.stop()
    now = int(time.time())
    (tmp / "loaded-at").write_text(str(now))  # for --reuse
    t0 = time.monotonic()
    conn = Postgres.psql_args(pg.url[len("postgres:"):])
    out = subprocess.run(conn + ["-At", "-q", "-v", f"n={a.devices}", "-v", f"now={now}", "-f",
                                str(SRC / "tests/bench/fleet-pg.sql")], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"loading the fleet failed:\n{out.stderr}")
    loaded = time.monotonic()
    # The load leaves the fleet counters to the server, which counts them when it starts
    # on a database without them.
    srv.start(timeout=1800)
    srv.stop()
    size = subprocess.run(conn + ["-At", "-c", "SELECT pg_size_pretty(pg_database_size(current_database()))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    print(f"loaded {a.devices:,} devices in {loaded - t0:.0f} s, counted by the server in "
          f"{time.monotonic() - loaded:.0f} s ({size} database)", flush=True)


def check_counts(cl, pg):
    """The summary's counts against the loaded rows: the counters the server keeps (or
    counted at its start) must describe the fleet that is there."""
    from scale import pg_sql  # noqa: E402

    def sql(q):
        return int(pg_sql(pg, q))
    s = json.loads(cl.get("/v1/fleet/summary")[0])
    live = sql("SELECT count(*) FROM devices WHERE revoked_at IS NULL")
    want = {"enrolled": live, "revoked": sql("SELECT count(*) FROM devices") - live,
            "policy_outdated": sql("SELECT count(*) FROM latest_policy p JOIN devices d ON d.id = p.device_id "
                                   "WHERE d.revoked_at IS NULL AND p.version = 0")}
    got = {"enrolled": s["devices"]["enrolled"], "revoked": s["devices"]["revoked"],
           "policy_outdated": s["policy_outdated"]}
    for check, n in s["checks"].items():
        want[f"{check} results"], got[f"{check} results"] = live, sum(n.values())
    if got != want or len(s["checks"]) != 3:
        sys.exit(f"fleet-pg: the summary does not count the loaded fleet: {got} against {want}")
    print(f"# the summary counts the loaded fleet: {got}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--devices", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=300, help="timed requests per query")
    ap.add_argument("--keep", action="store_true", help="keep the server and cluster (directory printed)")
    ap.add_argument("--reuse", help="a directory --keep printed: measure again without loading")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    a = ap.parse_args()
    os.environ["VIGIE_BUILD"] = str(Path(a.build).resolve())
    from server_util import Postgres, VigieServer, bench_exit_on_sigterm  # noqa: E402 (needs VIGIE_BUILD)
    bench_exit_on_sigterm()

    if a.reuse and b"VIGIE_NOW" not in (Path(a.build) / "bin" / "vigie-server").read_bytes():
        # The loaded reports age: on the real clock they are all stale, and every list that
        # leaves stale devices out walks its whole index to an empty page.
        sys.exit("fleet-pg: --reuse needs the test flavour's server (make TEST_HOOKS=1, build/test), "
                 "which can run at the load's clock (VIGIE_NOW); this build ignores VIGIE_NOW")
    tmp = Path(a.reuse or tempfile.mkdtemp(prefix="vigie-fleet-pg-"))
    pg = Postgres(tmp / "pg")
    if a.reuse:
        shutil.rmtree(pg.base, ignore_errors=True)
        pg.base = Path((tmp / "pg-base").read_text())
        pg.data = pg.base / "data"
        pg.url = pg.url.replace(f"port={pg.port}", f"port={(tmp / 'pg-port').read_text()}")
        pg.port = int((tmp / "pg-port").read_text())
    pg.start(init=not a.reuse)
    (tmp / "pg-base").write_text(str(pg.base))
    (tmp / "pg-port").write_text(str(pg.port))
    srv = None
    status = 0
    try:
        srv = VigieServer(tmp / "srv", db=pg.url)
        if not a.reuse:
            fill(a, tmp, pg, srv, Postgres)
        else:
            at = tmp / "loaded-at"
            # a directory kept before the load's time was recorded: its newest report
            now = at.read_text().strip() if at.exists() else subprocess.run(
                Postgres.psql_args(pg.url[len("postgres:"):]) + ["-At", "-c", "SELECT max(received_at) FROM latest"],
                capture_output=True, text=True, check=True).stdout.strip()
            srv.env["VIGIE_NOW"] = now
            print(f"# the server's clock at the load's: VIGIE_NOW={now} ({int(time.time()) - int(now)} s ago)")
        ids = subprocess.run(Postgres.psql_args(pg.url[len("postgres:"):]) +
                             ["-At", "-c", "SELECT id FROM devices ORDER BY md5(id) LIMIT 1000"],
                             capture_output=True, text=True, check=True).stdout.split()
        srv.start()
        cert, key = srv.admin_cert("bench")
        cl = Client(srv.port, str(srv.ca), cert, key)
        check_counts(cl, pg)
        rng = random.Random(1)
        filtered = "/v1/fleet/devices?status=noncompliant&check=patch_level&check_status=fail&q=laptop-01&limit=50"
        queries = [
            ("summary", lambda: "/v1/fleet/summary"),
            ("list ?status=noncompliant&check=patch_level&check_status=fail&q=laptop-01", lambda: filtered),
            ("list ?status=noncompliant", lambda: "/v1/fleet/devices?status=noncompliant&limit=100"),
            ("list ?check=backup&check_status=fail", lambda: "/v1/fleet/devices?check=backup&check_status=fail&limit=100"),
            ("list ?status=stale&sort=-last_report", lambda: "/v1/fleet/devices?status=stale&sort=-last_report&limit=100"),
            ("list ?q=laptop-0042 (hostname substring)", lambda: "/v1/fleet/devices?q=laptop-0042&limit=100"),
            ("list ?os=ubuntu:24.04&sort=hostname", lambda: "/v1/fleet/devices?os=ubuntu:24.04&sort=hostname&limit=100"),
            ("list ?key=tpm (1 in 50)", lambda: "/v1/fleet/devices?key=tpm&limit=100"),
            ("list ?policy=outdated (1 in 100)", lambda: "/v1/fleet/devices?policy=outdated&limit=100"),
            ("device page (random devices)", lambda: f"/v1/fleet/devices/{rng.choice(ids)}"),
        ]
        load = os.getloadavg()
        print(f"# {a.requests} requests per query over one keep-alive mTLS connection; "
              f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(f"{'query':70} {'p50 ms':>8} {'p99 ms':>8}")
        p99 = {}
        for name, path in queries:
            for _ in range(5):
                cl.get(path())
            t = [cl.get(path())[2] * 1000 for _ in range(a.requests)]
            p99[name] = pct(t, 99)
            print(f"{name:70} {pct(t, 50):8.2f} {pct(t, 99):8.2f}", flush=True)
        # The filtered list, paged: each page asks for the next through its cursor.
        t, pages = [], 0
        for _ in range(max(a.requests // 10, 1)):
            path = filtered
            for _ in range(10):
                body, _, total = cl.get(path)
                t.append(total * 1000)
                pages += 1
                cur = json.loads(body).get("next_cursor")
                if not cur:
                    break
                path = f"{filtered}&cursor={cur}"
        print(f"{'  the same, paged through next_cursor (up to 10 pages of 50)':70} {pct(t, 50):8.2f} "
              f"{pct(t, 99):8.2f}  ({pages} pages)", flush=True)
        p99["filtered list, paged"] = pct(t, 99)
        firsts, totals = [], []
        for _ in range(3):
            body, first, total = cl.get("/v1/fleet/export?format=csv")
            firsts.append(first * 1000)
            totals.append(total)
        rows = body.count(b"\n") - 1
        load = os.getloadavg()
        print(f"export csv: {rows:,} devices, first byte {min(firsts):.1f} ms, total {min(totals):.2f} s "
              f"({rows / min(totals):,.0f} devices/s), best of 3; load average {load[0]:.2f}")
        missed = [f"{name}: p99 {p99[key]:.1f} ms, target < {limit} ms"
                  for name, key, limit in (("summary", "summary", 20),
                                           ("filtered list", queries[1][0], 50),
                                           ("filtered list, paged", "filtered list, paged", 50))
                  if p99[key] >= limit]
        for m in missed:
            print(f"MISSED: {m}")
        print(f"fleet-pg: targets {'missed' if missed else 'met'} at {a.devices:,} devices "
              f"(load average {load[0]:.2f})")
        status = 1 if missed and a.check else 0
    finally:
        if srv and srv.proc and srv.proc.poll() is None:
            srv.stop()
        if a.keep or a.reuse:
            pg.stop(keep=True)
            print(f"kept: {tmp} (--reuse {tmp})")
        else:
            pg.stop()
            shutil.rmtree(tmp, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
