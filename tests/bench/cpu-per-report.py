#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Server CPU per keep-alive report (issue #17): one vigie-server on SQLite or on a real
PostgreSQL started here, tests/bench/loadgen.c posting chained ES256 reports over kept-alive
mTLS connections. CPU = utime+stime of the server process (/proc/PID/stat) over the run,
divided by the reports acknowledged. Prints the load average beside it: the machine is
shared, and CPU per report rises with it (cache and frequency contention).

  python3 tests/bench/cpu-per-report.py BUILD [--db sqlite|postgres] [--seconds S]
        [--concurrency C] [--gzip] [--mode keepalive|handshake] [--perf FILE]
  (--perf: perf record -g of the server during the run; --mode handshake: a new mTLS
  connection per report, as the hourly agent makes)"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(SRC / "tests" / "integration"))
sys.path.insert(0, str(SRC / "tests" / "bench"))


def statements(log):
    """SQL statements and round trips (PostgreSQL; 0 on SQLite) per accepted report, from
    the server's stop lines (enrollments, a few dozen statements per device, included):
    figures the machine's load does not move. A server before the pipeline printed no
    round trips: each of its statements was one."""
    acc = re.search(r"(\d+) reports accepted", log)
    st = re.search(r"SQL statements: (\d+) on the write connection(?: \((\d+) round trips\))?, "
                   r"(\d+) on the read connection(?: \((\d+) round trips\))?", log)
    if not acc or not st or int(acc.group(1)) == 0:
        return "statements_per_report=?"
    n = int(acc.group(1))
    w, wt, r, rt = (int(g) if g is not None else None for g in st.groups())
    trips = f"{wt / n:.2f}+{rt / n:.2f}(read)" if wt is not None else "?(one per statement)"
    return (f"statements_per_report={w / n:.2f}+{r / n:.2f}(read) round_trips_per_report={trips}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--mode", choices=("keepalive", "handshake"), default="keepalive")
    ap.add_argument("--perf", help="write a perf record -g profile of the server to this file")
    a = ap.parse_args()
    build = Path(a.build).resolve()
    os.environ["VIGIE_BUILD"] = str(build)
    from server_util import Postgres, VigieServer  # noqa: E402 (needs VIGIE_BUILD)
    from scale import build_loadgen  # noqa: E402

    tmp = Path(tempfile.mkdtemp(prefix="vigie-cpu-"))
    pg = Postgres(tmp / "pg").start() if a.db == "postgres" else None
    srv = None
    perf = None
    try:
        # Each simulated device posts back to back: lift the per-device rate limit.
        conf = "[Limits]\nDeviceReportBurst=1000000000\nDeviceReportInterval=1ms\n"
        srv = VigieServer(tmp / "srv", conf=conf, db=pg.url if pg else None)
        srv.start()
        token = srv.token(uses=a.concurrency + 10)
        loadgen = tmp / "loadgen"
        build_loadgen(build, loadgen)
        cmd = [str(loadgen), "--port", str(srv.port), "--ca", str(srv.ca), "--token", token,
               "--concurrency", str(a.concurrency), "--seconds", str(a.seconds), "--mode", a.mode,
               "--server-pid", str(srv.proc.pid)] + (["--gzip"] if a.gzip else [])
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in proc.stderr:  # enrollment first: profile the load only
            if "load starts" in line:
                break
        if a.perf:
            perf = subprocess.Popen(["perf", "record"] + os.environ.get("PERF_ARGS", "-g").split() + [ "-o", a.perf, "-p", str(srv.proc.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out, err = proc.communicate()
        if perf:
            perf.send_signal(2)
            perf.wait()
        if proc.returncode != 0:
            print(err, file=sys.stderr)
            return 1
        load = os.getloadavg()
        srv.stop()
        print(f"db={a.db} gzip={int(a.gzip)} {out.strip()} {statements(srv.log())} "
              f"loadavg={load[0]:.2f},{load[1]:.2f},{load[2]:.2f}")
    finally:
        if srv and srv.proc and srv.proc.poll() is None:
            srv.stop()
        if pg:
            pg.stop()
        if not os.environ.get("KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
