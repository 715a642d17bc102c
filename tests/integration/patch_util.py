# SPDX-License-Identifier: MIT
"""Helpers for the patch_level integration tests."""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

from mkroot_apt import NOW  # noqa: E402


def run_check(vigie, config, root, state, now=NOW, policy=None):
    """Runs `vigie check --only patch_level` on root; returns (Result, the check's JSON)."""
    args = ["check", "--config", config, "--json", "--root", root, "--only", "patch_level",
            "--state", state]
    if policy is not None:
        args += ["--policy", policy]
    r = vigie(*args, env={"VIGIE_NOW": str(int(now))})
    assert r.returncode in (0, 1), r
    return r, r.json()["checks"][0]


def write_policy(path, **patch_level):
    path.write_text(json.dumps({"checks": {"patch_level": patch_level}}))
    return path


def apt_names(evidence):
    """The upgradable set: (name, or name:arch when foreign, candidate version)."""
    native = evidence["native_arch"]
    return {(p["package"] if p["arch"] == native else f"{p['package']}:{p['arch']}", p["candidate"])
            for p in evidence["upgradable_packages"]}


APT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
APT_LINE = re.compile(r"^(\S+?)/(\S+) (\S+) (\S+) \[upgradable from: (\S+)\]$")


def parse_apt_list(out, native):
    """`apt list --upgradable` output → {(name, candidate)}, named like apt_names(): apt
    prints the bare name and the version's architecture in a column ("all" for
    architecture-independent packages, which apt files under the native architecture)."""
    result = set()
    for line in out.splitlines():
        m = APT_LINE.match(line)
        if m:
            name, arch = m.group(1), m.group(4)
            result.add((name if arch in (native, "all") else f"{name}:{arch}", m.group(3)))
        else:
            assert line in ("Listing...", ""), f"unexpected apt list line: {line!r}"
    return result


def assert_agrees_with_apt(root, evidence, tmp_path):
    """Runs the real apt on the fixture root and compares its upgradable set with ours."""
    if shutil.which("apt") is None:
        return
    cache = tmp_path / "apt-cache"
    cache.mkdir(exist_ok=True)
    conf = tmp_path / "apt.conf"
    conf.write_text(root.apt_config(cache))
    proc = subprocess.run(["apt", "list", "--upgradable"], capture_output=True, text=True,
                          env={**APT_ENV, "APT_CONFIG": str(conf)}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    want = parse_apt_list(proc.stdout, evidence["native_arch"])
    got = apt_names(evidence)
    assert got == want, f"only vigie: {sorted(got - want)}\nonly apt: {sorted(want - got)}"
