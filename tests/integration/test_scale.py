# SPDX-License-Identifier: MIT
"""The load and chaos harness (tests/bench/scale.py, `make bench-scale`) in a short form, so
that it cannot rot: two real vigie-server instances on one real PostgreSQL, simulated
devices over both with gzip bodies and failover, a burst, kill -9 of one instance; every
acknowledged report stored exactly once, chains whole."""
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
    args = ["--seconds", "30", "--rate", "60", "--burst", "5", "--devices", "300", "--concurrency", "6"]
    r = subprocess.run([sys.executable, str(SRC / "tests/bench/scale.py"), build, *args],
                       capture_output=True, text=True, timeout=600 if not SANITIZE else 1200)
    print(r.stdout, r.stderr)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "lost=0" in r.stdout and "scale: 1 passed, 0 failed" in r.stdout
    assert "kill -9 of instance 1" in r.stdout
