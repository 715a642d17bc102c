#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Server CPU per keep-alive report (issue #17): one vigie-server on SQLite or on a real
PostgreSQL started here, tests/bench/loadgen.c posting chained ES256 reports over kept-alive
mTLS connections. CPU = utime+stime of the server process (/proc/PID/stat) over the run,
divided by the reports acknowledged. Prints the load average beside it: the machine is
shared, and CPU per report rises with it (cache and frequency contention).

  python3 tests/bench/cpu-per-report.py BUILD [--db sqlite|postgres] [--seconds S]
        [--concurrency C] [--gzip] [--mode keepalive|handshake|resume] [--perf FILE] [--callgrind]
        [--pg-unix-socket] [--conf TEXT] [--rate R] [--report small|real|FILE] [--devices N] [--pin]
  (--perf: perf record -g of the server during the run; --mode handshake: a new mTLS
  connection per report, as the hourly agent makes; --mode resume: the same, resuming the
  device's previous TLS session; --callgrind: the server under valgrind,
  counting user-space instructions per report, all threads, from the load's start to its
  end: a figure the machine's load does not move, where CPU times do; --pg-unix-socket: the
  server reaches PostgreSQL over its Unix socket, libpq's default on one host, instead of
  TCP 127.0.0.1; --conf: server.conf lines added, e.g. "[Server]\nVerifyThreads=0"; --rate: an
  open loop, R reports/s in all paced over the clients (loadgen's --rate), to find the
  highest rate a server sustains with p99 bounded, where a closed loop's rate also counts
  latency; --report: the reports' checks, loadgen's three with empty evidence (small, 1.4 KB
  of JWS, the default), a real laptop's six (real: tests/bench/report-real.json.gz, `vigie
  check --json` on a Debian 12 machine, ~43 KB of JWS), or those of FILE as `vigie check
  --json` prints them; --pin: the server alone on CPU 0, this script, the load generator and
  PostgreSQL on the other CPUs, so that the generator's own work, e.g. gzip, does not share
  the server's core.)
On PostgreSQL it also prints db_cpu_us_per_report: the CPU of the cluster's processes (its
backends run the statements the server sends) over the same run, per report."""
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
    where = re.search(r"Report bodies verified: (\d+) on the event loop, (\d+) on verification threads", log)
    batch = re.search(r"(\d+) requests in (\d+) commits", log)
    loop = f" requests_per_commit={int(batch.group(1)) / max(1, int(batch.group(2))):.1f}" if batch else ""
    loop += f" verified_on_loop={int(where.group(1)) / max(1, sum(map(int, where.groups()))):.0%}" if where else ""
    return (f"statements_per_report={w / n:.2f}+{r / n:.2f}(read) round_trips_per_report={trips}{loop}")


def tree_cpu_seconds(root_pid):
    """utime+stime of root_pid and all its descendants, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    children, cpu = {}, {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            f = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(f[1]), []).append(int(d.name))
        cpu[int(d.name)] = (int(f[11]) + int(f[12])) / tick
    total, todo = 0.0, [root_pid]
    while todo:
        p = todo.pop()
        total += cpu.get(p, 0.0)
        todo += children.get(p, [])
    return total


def callgrind_instructions(out):
    """Total instructions of a callgrind output file: the largest of its "summary:" and
    "totals:" lines (switching the instrumentation off writes a "summary: 0")."""
    n = [int(line.split()[1]) for line in Path(out).read_text(errors="replace").splitlines()
         if line.startswith(("summary:", "totals:"))]
    return max(n, default=None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--mode", choices=("keepalive", "handshake", "resume"), default="keepalive")
    ap.add_argument("--perf", help="write a perf record -g profile of the server to this file")
    ap.add_argument("--callgrind", action="store_true",
                    help="run the server under callgrind: instructions per report")
    ap.add_argument("--pg-unix-socket", action="store_true",
                    help="connect to PostgreSQL over its Unix socket instead of TCP 127.0.0.1")
    ap.add_argument("--conf", default="", help="server.conf lines to add (\\n between lines)")
    ap.add_argument("--rate", type=float, help="reports/s in all, paced (open loop)")
    ap.add_argument("--devices", type=int, help="devices in all (default: one per client); with "
                    "--mode resume, each keeps a TLS session in the server")
    ap.add_argument("--pin", action="store_true",
                    help="the server on CPU 0, the load generator and PostgreSQL on the others")
    ap.add_argument("--report", default="small",
                    help="small (three checks, no evidence), real (a laptop's checks) or a FILE of vigie check --json")
    a = ap.parse_args()
    build = Path(a.build).resolve()
    os.environ["VIGIE_BUILD"] = str(build)
    from server_util import Postgres, VigieServer, bench_exit_on_sigterm  # noqa: E402 (needs VIGIE_BUILD)
    bench_exit_on_sigterm()
    from scale import build_loadgen, report_args  # noqa: E402

    if a.pin:
        # Children inherit this process's CPUs: the server alone gets CPU 0 (its wrapper).
        others = os.sched_getaffinity(0) - {0}
        if 0 not in os.sched_getaffinity(0) or not others:
            sys.exit("cpu-per-report: --pin needs CPU 0 and another CPU in this process's affinity "
                     f"({sorted(os.sched_getaffinity(0))}); run it without --pin")
        os.sched_setaffinity(0, others)
    tmp = Path(tempfile.mkdtemp(prefix="vigie-cpu-"))
    pg = Postgres(tmp / "pg").start() if a.db == "postgres" else None
    srv = None
    perf = None
    try:
        # Each simulated device posts back to back: lift the per-device rate limit.
        conf = a.conf.replace("\\n", "\n") + "\n[Limits]\nDeviceReportBurst=1000000000\nDeviceReportInterval=1ms\n"
        url = pg.url if pg else None
        if pg and a.pg_unix_socket:
            url = url.replace("host=127.0.0.1", f"host={pg.base}")  # the cluster's socket directory
        srv = VigieServer(tmp / "srv", conf=conf, db=url)
        cg_out = tmp / "callgrind.out"
        if a.callgrind:
            srv.wrapper = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                           f"--callgrind-out-file={cg_out}"]
        if a.pin:
            srv.wrapper = ["taskset", "-c", "0"] + srv.wrapper
        srv.start(timeout=120 if a.callgrind else 20)
        token = srv.token(uses=max(a.concurrency, a.devices or 0) + 10)
        loadgen = tmp / "loadgen"
        build_loadgen(build, loadgen)
        cmd = [str(loadgen), "--port", str(srv.port), "--ca", str(srv.ca), "--token", token,
               "--concurrency", str(a.concurrency), "--seconds", str(a.seconds), "--mode", a.mode,
               "--server-pid", str(srv.proc.pid)] + (["--gzip"] if a.gzip else []) \
            + (["--rate", str(a.rate)] if a.rate else []) \
            + (["--devices", str(a.devices)] if a.devices else [])
        cmd += report_args(a.report)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in proc.stderr:  # enrollment first: profile the load only
            if "load starts" in line:
                break
        if a.callgrind:
            subprocess.run(["callgrind_control", "-i", "on", str(srv.proc.pid)], check=True,
                           stdout=subprocess.DEVNULL)
        pg_pid = int((pg.data / "postmaster.pid").read_text().split()[0]) if pg else None
        db_cpu = tree_cpu_seconds(pg_pid) if pg else 0.0
        if a.perf:
            perf = subprocess.Popen(["perf", "record"] + os.environ.get("PERF_ARGS", "-g").split() + [ "-o", a.perf, "-p", str(srv.proc.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out, err = proc.communicate()
        if a.callgrind:
            subprocess.run(["callgrind_control", "-i", "off", str(srv.proc.pid)], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db_cpu = tree_cpu_seconds(pg_pid) - db_cpu if pg else 0.0
        if perf:
            perf.send_signal(2)
            perf.wait()
        if proc.returncode != 0:
            print(err, file=sys.stderr)
            return 1
        load = os.getloadavg()
        # The server's resident memory once the load is done (its kept TLS sessions in it).
        rss = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{srv.proc.pid}/status").read_text()).group(1)
        srv.stop(timeout=120)
        reports = int(re.search(r"reports=(\d+)", out).group(1))
        extra = f" server_rss_kb={rss}"
        if pg and reports:
            extra += f" db_cpu_us_per_report={db_cpu * 1e6 / reports:.0f}"
        if reports:
            # The text stored, database overhead aside: the reports' JWS (or their chunk
            # lists) and the chunks of their claims, enrollments' rows left out.
            n = srv.sql("SELECT (SELECT coalesce(sum(length(jws)), 0) FROM reports) + "
                        "(SELECT coalesce(sum(length(data)), 0) FROM report_chunks)")[0][0]
            extra += f" stored_bytes_per_report={int(n) // reports}"
        if a.callgrind and reports:
            n = callgrind_instructions(cg_out)
            extra += f" instructions_per_report={n / reports / 1e6:.3f}M" if n else " instructions_per_report=?"
        print(f"db={a.db}{'(unix)' if pg and a.pg_unix_socket else ''} gzip={int(a.gzip)} report={a.report} {out.strip()} {statements(srv.log())}{extra} "
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
