# SPDX-License-Identifier: MIT
"""The load and chaos harness (tests/bench/scale.py, `make bench-scale`) in a short form, so
that it cannot rot: two real vigie-server instances on one real PostgreSQL, simulated
devices over both with gzip bodies and failover, a burst, kill -9 of one instance; every
acknowledged report stored exactly once, chains whole, the phases' rates printed and the
steady one checked (at half the asked rate here: the machine is shared). And the fleet
queries' bench (tests/bench/fleet-pg.py, the harness's second step) on 20,000 devices: its
set-wise load must keep up with the schema and its counters.

Devices: the issue asks for ~10,000 if their enrollment stays under ~90 s; here (2 shared
cores, load 5.5-8) 10,000 took ~110 s of the run's 158 s, so the short form enrolls 8,000
(2,000 under the sanitizers, several times slower) — docs/performance.md."""
import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SANITIZE

SRC = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not glob.glob("/usr/lib/postgresql/*/bin/initdb"), reason="PostgreSQL is not installed")
def test_scale_short_form():
    build = os.environ.get("VIGIE_BUILD", str(SRC / "build"))
    args = ["--seconds", "30", "--rate", "60", "--burst", "5", "--devices", "2000" if SANITIZE else "8000",
            "--concurrency", "6", "--min-rate-share", "0.5"]
    r = subprocess.run([sys.executable, str(SRC / "tests/bench/scale.py"), build, *args],
                       capture_output=True, text=True, timeout=600 if not SANITIZE else 1200)
    print(r.stdout, r.stderr)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "lost=0" in r.stdout and "scale: 1 passed, 0 failed" in r.stdout
    assert "kill -9 of instance 1" in r.stdout
    assert "achieved_rate: steady=" in r.stdout and "after_kill=" in r.stdout and "burst=" in r.stdout


@pytest.mark.skipif(not glob.glob("/usr/lib/postgresql/*/bin/initdb"), reason="PostgreSQL is not installed")
def test_fleet_pg_short_form():
    """Timings are printed, not checked (a shared machine, the sanitizers): the load must
    succeed, the summary count the loaded fleet, every query answer and the export list
    every device."""
    build = os.environ.get("VIGIE_BUILD", str(SRC / "build"))
    r = subprocess.run([sys.executable, str(SRC / "tests/bench/fleet-pg.py"), build, "--devices", "20000",
                        "--requests", "5"], capture_output=True, text=True, timeout=600 if not SANITIZE else 1200)
    print(r.stdout, r.stderr)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "loaded 20,000 devices" in r.stdout and "the summary counts the loaded fleet" in r.stdout
    assert "export csv: 20,000 devices" in r.stdout
    assert "fleet-pg: targets" in r.stdout
