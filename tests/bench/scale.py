#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Load and chaos harness (issue #17): two vigie-server instances sharing one real
PostgreSQL, tests/bench/loadgen.c driving simulated devices over both (real mTLS, ES256
signatures, chains, gzip bodies, failover), a steady rate then a 10x burst, and kill -9 of
one instance in the middle. Then it checks, in the database: every acknowledged report is
stored exactly once with the hash the device computed, each device's chain links (prev =
hash of the report before) with no duplicate or missing seq, and the steady phase held its
rate (acknowledged reports received from the load's start to the burst >= 95 % of --rate;
--min-rate-share changes the share); and prints the achieved rate per phase (steady before
the kill, after the kill, burst), p50/p99 latency, server CPU per report and database bytes
per device-day.

  python3 tests/bench/scale.py BUILD [--seconds S] [--rate R] [--devices N] [--burst S]
        [--report small|real|FILE]  (the reports' checks: cpu-per-report.py's --report)
  make bench-scale        the full run (>= 10 min steady at 278 reports/s, 1 min burst),
                          then tests/bench/fleet-pg.py --check: fleet query latency at a
                          million devices on PostgreSQL against its targets
The integration test test_scale.py runs a short form (30 s) so that it cannot rot.
Exit status 1 when a check fails."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(SRC / "tests" / "integration"))


def cpu_seconds(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def build_loadgen(build, out):
    pkgs = "openssl json-c libsystemd inih zlib libdeflate liblzma liblz4".split()
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", *pkgs], capture_output=True, text=True,
                           check=True).stdout.split()
    if os.environ.get("VIGIE_SANITIZE") == "1":  # build/san's library needs the sanitizers' runtime
        flags.append("-fsanitize=address,undefined")
    subprocess.run(["cc", "-std=gnu11", "-D_GNU_SOURCE", "-O2", f"-I{SRC / 'common'}", "-o", str(out),
                    str(SRC / "tests/bench/loadgen.c"), str(build / "libvigie-common.a"), *flags, "-lpthread", "-lm"],
                   check=True)


def report_args(report):
    """loadgen's arguments for --report: small (its three checks, no evidence), real (a
    laptop's checks: tests/bench/report-real.json.gz) or a FILE of `vigie check --json`."""
    if report == "small":
        return []
    return ["--report", str(SRC / "tests/bench/report-real.json.gz") if report == "real" else report]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", type=int, default=660, help="steady phase + burst (default 11 min)")
    ap.add_argument("--rate", type=float, default=278.0, help="steady reports/s (a million laptops hourly)")
    ap.add_argument("--burst", type=int, default=60, help="seconds of 10x rate at the end of the run")
    ap.add_argument("--devices", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--mode", choices=("resume", "handshake", "keepalive"), default="resume",
                    help="a new mTLS connection per report resuming the device's previous TLS session "
                         "(an hourly agent under vigie-agent), the same with a full handshake each time, "
                         "or kept-alive connections")
    ap.add_argument("--kill-at", type=float, default=0.5, help="fraction of the run when one instance is killed")
    ap.add_argument("--report", default="small",
                    help="small (three checks, no evidence), real (a laptop's checks) or a FILE of vigie check --json")
    ap.add_argument("--min-rate-share", type=float, default=0.95,
                    help="the steady phase must achieve this share of --rate (0: print only)")
    a = ap.parse_args()
    build = Path(a.build).resolve()
    os.environ["VIGIE_BUILD"] = str(build)
    from server_util import Postgres, VigieServer, bench_exit_on_sigterm  # noqa: E402 (needs VIGIE_BUILD)
    bench_exit_on_sigterm()

    tmp = Path(tempfile.mkdtemp(prefix="vigie-scale-"))
    pg = Postgres(tmp / "pg").start()
    servers = []
    failed = []
    try:
        # A simulated device reports every few seconds, not hourly: lift the per-device
        # budget (60, then one per 10 s) that would refuse it after a few minutes.
        conf = ("[Limits]\nMaxConnections=4096\nMaxConnectionsPerAddress=4096\nDeviceReportBurst=1000\n"
                "DeviceReportInterval=100ms\n")
        one = VigieServer(tmp / "a", conf=conf, db=pg.url)
        one.init()
        two = VigieServer(tmp / "b", conf=conf, db=pg.url)
        shutil.copytree(one.dir, two.dir)  # the same CA and server certificate, no state
        servers = [one.start(), two.start()]
        token = one.token(uses=a.devices + 10)
        loadgen = tmp / "loadgen"
        build_loadgen(build, loadgen)
        acks = tmp / "acks"
        burst_at = max(a.seconds - a.burst, 0)
        cmd = [str(loadgen), "--port", f"{one.port},{two.port}", "--ca", str(one.ca), "--token", token,
               "--concurrency", str(a.concurrency), "--devices", str(a.devices), "--seconds", str(a.seconds),
               "--mode", a.mode, "--rate", str(a.rate), "--burst-at", str(burst_at),
               "--burst-seconds", str(a.burst), "--burst-factor", "10", "--gzip", "--acks", str(acks)]
        cmd += report_args(a.report)
        print(f"# {a.devices} devices, {a.rate:g} reports/s for {burst_at} s then {a.rate * 10:g}/s for "
              f"{a.burst} s; two vigie-server on one PostgreSQL; kill -9 of one at {a.kill_at:.0%}", flush=True)
        cpu = {s.proc.pid: 0.0 for s in servers}
        db0 = int(pg_sql(pg, "SELECT pg_database_size(current_database())"))
        # The load generator keeps its devices to the end: no leak report for it.
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

        killed = []  # the wall-clock time of the kill
        started = []  # the wall-clock time the load started

        def watch():
            for line in proc.stderr:  # enrollment first: the clock starts with the load
                print(line.rstrip(), flush=True)
                if "load starts" in line:
                    break
            enrolled = time.monotonic()
            started.append(time.time())
            threading.Thread(target=lambda: [print(x.rstrip()) for x in proc.stderr], daemon=True).start()
            while proc.poll() is None:
                for s in servers:
                    c = cpu_seconds(s.proc.pid)
                    if c is not None:
                        cpu[s.proc.pid] = c
                if not killed and time.monotonic() - enrolled > a.seconds * a.kill_at:
                    print(f"# kill -9 of instance 1 (pid {servers[0].proc.pid})", flush=True)
                    servers[0].proc.kill()
                    killed.append(time.time())
                time.sleep(0.2)
        w = threading.Thread(target=watch)
        w.start()
        out = proc.stdout.read()
        proc.wait()
        w.join()
        print(out.strip())
        if proc.returncode != 0 or not acks.exists():
            failed.append(f"loadgen exited {proc.returncode}")
            raise SystemExit(report(failed))
        stats = dict(kv.split("=") for kv in out.split())

        # Checks, in the database both instances wrote to.
        acked = {}
        for line in acks.read_text().splitlines():
            dev, seq, h = line.split()
            if (dev, int(seq)) in acked:
                failed.append(f"device {dev} seq {seq} acknowledged twice")
            acked[(dev, int(seq))] = h
        rows = pg_rows(pg, "SELECT device_id, seq, hash, coalesce(prev, ''), received_at FROM reports")
        stored, received = {}, {}
        for dev, seq, h, prev, at in rows:
            if (dev, int(seq)) in stored:
                failed.append(f"device {dev} seq {seq} stored twice")
            stored[(dev, int(seq))] = (h, prev)
            received[(dev, int(seq))] = int(at)
        lost = [k for k, h in acked.items() if stored.get(k, ("",))[0] != h]
        if lost:
            failed.append(f"{len(lost)} acknowledged reports not stored as acknowledged, e.g. {lost[:3]}")
        breaks = [k for k, (h, prev) in stored.items() if k[1] > 1 and stored.get((k[0], k[1] - 1), ("?",))[0] != prev]
        if breaks:
            failed.append(f"{len(breaks)} chain breaks or gaps, e.g. {breaks[:3]}")
        for s in servers:
            if "runtime error:" in s.log() or "AddressSanitizer" in s.log():
                failed.append(f"sanitizer report in {s.logfile}:\n{s.log()[-4000:]}")
        extra = len(stored) - len(acked)
        devices = len({k[0] for k in stored})
        db1 = int(pg_sql(pg, "SELECT pg_database_size(current_database())"))
        per_report = (db1 - db0) / max(len(stored), 1)
        cpu_total = sum(cpu.values())
        print(f"acknowledged={len(acked)} stored={len(stored)} (stored but unacknowledged: {extra}, "
              f"the killed instance's last commits) devices={devices} lost=0" if not lost else f"lost={len(lost)}")
        print(f"p50_ms={stats.get('p50_ms')} p99_ms={stats.get('p99_ms')} failovers={stats.get('failovers')} "
              f"server_cpu_us_per_report={cpu_total * 1e6 / max(len(stored), 1):.0f} (both instances, "
              f"{a.mode})")
        print(f"db_bytes_per_report={per_report:.0f} db_bytes_per_device_day={per_report * 24:.0f} "
              f"(hourly reports; PostgreSQL pg_database_size, indexes included)")
        if started:
            check_rates(a, failed, [received[k] for k in acked if k in received], started[0], burst_at,
                        killed[0] if killed else None)
    finally:
        for s in servers:
            if s.proc and s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return report(failed)


def check_rates(a, failed, times, start, burst_at, kill):
    """Prints the acknowledged reports per second of each phase (by the second the server
    received them) and checks the steady phase's against --rate."""
    burst = start + burst_at
    end = max(times, default=burst)
    phases = [("steady", start, kill or burst), ("after_kill", kill, burst), ("burst", burst, end + 1)]
    out = []
    for name, t0, t1 in phases:
        if t0 is None or t1 - t0 < 1:
            continue
        n = sum(1 for t in times if t0 <= t < t1)
        out.append(f"{name}={n / (t1 - t0):.1f}/s over {t1 - t0:.0f} s")
    steady = sum(1 for t in times if start <= t < burst) / max(burst - start, 1)
    print(f"achieved_rate: {', '.join(out)}; steady phase as a whole {steady:.1f}/s "
          f"(asked {a.rate:g}/s, then {a.rate * 10:g}/s)")
    if a.min_rate_share > 0 and steady < a.rate * a.min_rate_share:
        failed.append(f"the steady phase achieved {steady:.1f} reports/s, under {a.min_rate_share:.0%} of "
                      f"the {a.rate:g}/s asked: raise --concurrency, or see docs/performance.md")


def report(failed):
    for f in failed:
        print(f"FAILED: {f}")
    print("scale: 1 passed, 0 failed" if not failed else "scale: 0 passed, 1 failed")
    return 1 if failed else 0


def pg_rows(pg, q):
    from server_util import Postgres  # noqa: E402
    out = subprocess.run(Postgres.psql_args(pg.url[len("postgres:"):]) + ["-At", "-F", "\t", "-c", q],
                         capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def pg_sql(pg, q):
    return pg_rows(pg, q)[0][0]


if __name__ == "__main__":
    sys.exit(main())
