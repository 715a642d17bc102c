# SPDX-License-Identifier: MIT
"""Shared pytest fixtures: where the built binaries are, and how to run them."""
import json
import os
import subprocess
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("VIGIE_BUILD", SRC / "build"))
BIN = BUILD / "bin"
SANITIZE = os.environ.get("VIGIE_SANITIZE", "0") == "1"
FIXTURES = SRC / "tests" / "fixtures"


def binary(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{path} is not built; run make first")
    return str(path)


class Result:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return f"<exit {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}>"


def run(name: str, *args, env=None, timeout=120, input=None, check_sanitizer=True) -> Result:
    """Runs a built binary with a clean, predictable environment."""
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "NO_COLOR": "1"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            e[k] = os.environ[k]
    if env:
        e.update(env)
    proc = subprocess.run([binary(name), *map(str, args)], capture_output=True, text=True,
                          env=e, timeout=timeout, input=input)
    if check_sanitizer and SANITIZE and ("runtime error:" in proc.stderr or "AddressSanitizer" in proc.stderr
                                         or "LeakSanitizer" in proc.stderr):
        pytest.fail(f"sanitizer report from {name}:\n{proc.stderr}")
    return Result(proc)


@pytest.fixture
def vigie():
    """vigie(*args, env=…) → Result."""
    def _run(*args, **kw):
        return run("vigie", *args, **kw)
    return _run


@pytest.fixture
def empty_config(tmp_path):
    """An agent.conf that points the state dir into tmp_path, so nothing touches /var."""
    state = tmp_path / "state"
    state.mkdir()
    conf = tmp_path / "agent.conf"
    conf.write_text(f"[Agent]\nStateDirectory={state}\n")
    return conf
