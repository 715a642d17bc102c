# SPDX-License-Identifier: MIT
"""Shared pytest fixtures: where the built binaries are, and how to run them."""
import json
import os
import subprocess
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2]
SANITIZE = os.environ.get("VIGIE_SANITIZE", "0") == "1"
# The Makefile's test flavour (make TEST_HOOKS=1, what make check builds): VIGIE_NOW and
# VIGIE_DEVICE_ID_SEED are compiled in there only.
BUILD = Path(os.environ.get("VIGIE_BUILD", SRC / ("build/san-test" if SANITIZE else "build/test")))
BIN = BUILD / "bin"
FIXTURES = SRC / "tests" / "fixtures"


_NETNS = None


def pytest_sessionstart(session):
    flavour = BUILD / "flavour"
    if flavour.exists() and flavour.read_text().strip() != "test":
        pytest.exit(f"{BUILD} holds binaries without the test hooks (VIGIE_NOW, …) the tests drive: "
                    f"build the test flavour with make TEST_HOOKS=1 all (into build/test) and point "
                    f"VIGIE_BUILD there, or let make check do both", returncode=2)


def require_netns():
    """Skips the test where network namespaces cannot be used: not root, or a chroot whose
    / is not a mount point (`ip netns exec` must make / a slave mount)."""
    global _NETNS
    if _NETNS is None:
        name = f"vigie-probe-{os.getpid()}"
        why = None
        if os.geteuid() != 0:
            why = "network namespaces need root"
        else:
            for args in (["ip", "netns", "add", name], ["ip", "netns", "exec", name, "true"],
                         ["ip", "-n", name, "link", "set", "lo", "up"]):
                p = subprocess.run(args, capture_output=True, text=True)
                if p.returncode != 0:
                    why = f"network namespaces do not work here: {' '.join(args)}: {p.stderr.strip()}"
                    break
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        _NETNS = why or ""
    if _NETNS:
        pytest.skip(_NETNS)


@pytest.fixture(scope="module")
def fr_locale(tmp_path_factory):
    """fr_FR.UTF-8 compiled into a private LOCPATH (the machine may not have it generated),
    or failing that LANGUAGE=fr over C.UTF-8 (translations, but C dates; newer glibc ignores
    LANGUAGE there)."""
    d = tmp_path_factory.mktemp("locale")
    p = subprocess.run(["localedef", "-i", "fr_FR", "-f", "UTF-8", str(d / "fr_FR.UTF-8")],
                       capture_output=True, text=True)
    if p.returncode in (0, 1) and (d / "fr_FR.UTF-8").exists():
        env = {"LANG": "fr_FR.UTF-8", "LOCPATH": str(d), "real_dates": True}
        if SANITIZE:
            # glibc's setlocale() keeps the LOCPATH list it splits (argz) for good: a leak of
            # libc's, only with LOCPATH (installed locales come from the locale archive).
            supp = d / "lsan.supp"
            supp.write_text("leak:__argz_add_sep\n")
            env["LSAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("LSAN_OPTIONS"), f"suppressions={supp}"]))
        return env
    return {"LANG": "C.UTF-8", "LANGUAGE": "fr", "real_dates": False}


def lang_env(locale):
    return {k: v for k, v in locale.items() if k != "real_dates"}


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
