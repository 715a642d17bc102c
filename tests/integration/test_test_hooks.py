# SPDX-License-Identifier: MIT
"""Test hooks exist only in test builds. VIGIE_NOW (moves the clock) and VIGIE_DEVICE_ID_SEED
(names a simulated laptop) are compiled in with make TEST_HOOKS=1 alone, into a build
directory of its own; what `make all`, `make install` and the packages make does not react
to them, and `make install` refuses the test flavour. Operator knobs stay: VIGIE_LOG_LEVEL,
VIGIE_SERVER_DIR, VIGIE_LOCALEDIR (documented for users, docs/hardening.md)."""
import os
import re
import subprocess

import pytest

from conftest import BUILD, SANITIZE, SRC

HOOKS = (b"VIGIE_NOW", b"VIGIE_DEVICE_ID_SEED", b"VIGIE_JOURNAL_SOCKET", b"VIGIE_OFFLOAD_CPU")
OPERATOR_KNOBS = {"VIGIE_LOG_LEVEL", "VIGIE_SERVER_DIR", "VIGIE_LOCALEDIR"}
HOOKED = ("common/time-util.c", "agent/identity.c", "common/log.c", "server/server.c")


def make(*args, cwd=SRC):
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


def test_every_environment_hook_is_a_test_hook_or_an_operator_knob():
    """A getenv("VIGIE_…") outside #ifdef VIGIE_TEST_HOOKS must be a documented knob."""
    found = []
    for path in sorted(p for d in ("common", "agent", "server") for p in (SRC / d).rglob("*.c")):
        depth, hooked_at = 0, None
        for n, line in enumerate(path.read_text().splitlines(), 1):
            s = line.strip()
            if s.startswith("#if"):
                depth += 1
                if s == "#ifdef VIGIE_TEST_HOOKS":
                    hooked_at = depth
            elif s.startswith("#endif"):
                if hooked_at == depth:
                    hooked_at = None
                depth -= 1
            for name in re.findall(r'getenv\("(VIGIE_[A-Z0-9_]+)"\)', line):
                found.append((path.relative_to(SRC), n, name, hooked_at is not None))
    loose = [f for f in found if not f[3] and f[2] not in OPERATOR_KNOBS]
    assert not loose, f"environment hooks outside #ifdef VIGIE_TEST_HOOKS: {loose}"
    assert {f[2] for f in found if f[3]} >= {"VIGIE_NOW", "VIGIE_DEVICE_ID_SEED"}, found


def test_release_objects_have_no_hooks_and_test_objects_have_them(tmp_path):
    """The files holding hooks, compiled as `make all` compiles them (the release flavour)
    into a scratch build directory, and as the test build under test has them."""
    rel = tmp_path / "release"
    objs = [f"{rel}/obj/{c[:-2]}.o" for c in HOOKED]
    r = make(f"BUILD={rel}", f"SANITIZE={int(SANITIZE)}", "TEST_HOOKS=0", *objs)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (rel / "flavour").read_text().strip() == "release"
    for c in HOOKED:
        released = (rel / "obj" / (c[:-2] + ".o")).read_bytes()
        tested = (BUILD / "obj" / (c[:-2] + ".o")).read_bytes()
        assert not any(h in released for h in HOOKS), f"{c} has a test hook in the release flavour"
        assert any(h in tested for h in HOOKS), f"{c} lost its test hook in the test flavour ({BUILD})"


@pytest.mark.skipif(not (SRC / "build" / "flavour").exists(), reason="no `make all` tree (build/) here")
def test_make_all_binaries_do_not_react_to_vigie_now(tmp_path):
    """When a `make all` tree is present: its programs hold no hook, and a CA made with
    VIGIE_NOW set in the past carries today's date."""
    build = SRC / "build"
    assert (build / "flavour").read_text().strip() == "release"
    for prog in (build / "bin").iterdir():
        assert not any(h in prog.read_bytes() for h in HOOKS), f"{prog} holds a test hook"
    assert "2001" in ca_start(BUILD, tmp_path / "test")  # the test flavour: moved
    assert "2001" not in ca_start(build, tmp_path / "release")


def ca_start(build, d):
    """notBefore of the CA vigie-server init makes while VIGIE_NOW says 2001."""
    env = {"PATH": "/usr/bin:/bin", "VIGIE_NOW": "2001-09-09T01:46:40Z"}
    r = subprocess.run([build / "bin" / "vigie-server", "init", "--dir", d, "--name", "t.example"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r
    return subprocess.run(["openssl", "x509", "-noout", "-startdate", "-in", d / "ca.pem"],
                          capture_output=True, text=True, check=True).stdout


def test_install_refuses_the_test_flavour(tmp_path):
    dest = tmp_path / "dest"
    r = make("install", f"DESTDIR={dest}", f"SANITIZE={int(SANITIZE)}", "TEST_HOOKS=1")
    assert r.returncode != 0 and "never installed" in r.stderr, r.stdout + r.stderr
    # The test tree asked for as a release one: refused before anything is compiled.
    r = make("install", f"DESTDIR={dest}", f"BUILD={BUILD}", f"SANITIZE={int(SANITIZE)}", "TEST_HOOKS=0")
    assert r.returncode != 0 and "holds the test flavour" in r.stderr, r.stdout + r.stderr
    assert not dest.exists()
    assert (BUILD / "flavour").read_text().strip() == "test"
