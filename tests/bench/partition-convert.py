#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""How long vigie-server takes to convert an unpartitioned PostgreSQL reports table (the
schema before partitions, docs/internals/store.md "Partitions") at start. Starts a real
PostgreSQL cluster, lets vigie-server create its schema, turns reports back into the plain
table, fills it set-wise with N reports spread over 13 months (stored forms of ~2.2 KB, as
store-body.c writes them; a fifth already pruned), then times the next start of the server,
which converts the table in one transaction. Prints the load average beside the figure.

  python3 tests/bench/partition-convert.py BUILD [--reports N]"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(SRC / "tests" / "integration"))

FILL = """
CREATE TABLE reports_plain (LIKE reports INCLUDING DEFAULTS, PRIMARY KEY (device_id, seq));
DROP TABLE reports;
ALTER TABLE reports_plain RENAME TO reports;
CREATE INDEX reports_device_iat ON reports(device_id, iat);
CREATE INDEX reports_unpruned ON reports(received_at) WHERE jws <> '';
INSERT INTO reports(device_id, seq, iat, received_at, hash, prev, gap, compliant, cert_serial, jws)
SELECT 'dev-' || (i % 1000), i / 1000 + 1, t, t, md5(i::text) || md5(i::text), md5(i::text) || md5(i::text),
       0, 1, 'serial',
       CASE WHEN i % 5 = 0 THEN '' ELSE '@' || repeat('h', 120) || '.' || repeat('s', 86) || '.' ||
            repeat(md5(i::text) || md5(i::text) || ',', 30) END
FROM (SELECT i, :now - (i::bigint * 34128000 / :n) AS t FROM generate_series(1, :n) i) g;
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--reports", type=int, default=1_000_000)
    a = ap.parse_args()
    os.environ["VIGIE_BUILD"] = str(Path(a.build).resolve())
    from server_util import Postgres, VigieServer  # noqa: E402 (needs VIGIE_BUILD)

    tmp = Path(tempfile.mkdtemp(prefix="vigie-partition-"))
    pg = Postgres(tmp / "pg")
    pg.start()
    try:
        srv = VigieServer(tmp / "srv", db=pg.url)
        srv.start()
        srv.stop()
        conn = Postgres.psql_args(pg.url[len("postgres:"):])
        t0 = time.monotonic()
        out = subprocess.run(conn + ["-q", "-v", f"n={a.reports}", "-v", f"now={int(time.time())}"],
                             input=FILL, capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"filling failed:\n{out.stderr}")
        size = subprocess.run(conn + ["-At", "-c", "SELECT pg_size_pretty(pg_total_relation_size('reports'))"],
                              capture_output=True, text=True, check=True).stdout.strip()
        print(f"filled {a.reports:,} reports ({size}) in {time.monotonic() - t0:.0f} s", flush=True)
        t0 = time.monotonic()
        srv.start(timeout=3600)
        took = time.monotonic() - t0
        srv.stop()
        parts = subprocess.run(conn + ["-At", "-c", "SELECT count(*) FROM pg_inherits WHERE "
                                       "inhparent = 'reports'::regclass"],
                               capture_output=True, text=True, check=True).stdout.strip()
        print(f"converted {a.reports:,} reports into {parts} partitions: server start {took:.1f} s "
              f"(load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
