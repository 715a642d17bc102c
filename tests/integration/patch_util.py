# SPDX-License-Identifier: MIT
"""Helpers for the patch_level integration tests."""
import json
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
    """The upgradable set as `apt list --upgradable` names it: name, or name:arch when foreign."""
    native = evidence["native_arch"]
    return {(p["package"] if p["arch"] == native else f"{p['package']}:{p['arch']}", p["candidate"])
            for p in evidence["upgradable_packages"]}
