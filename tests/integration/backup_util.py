# SPDX-License-Identifier: MIT
"""Helpers for the backup check's integration tests: real restic/borg repositories made in
temp dirs, agent.conf writing, and running `vigie check --only backup`."""
import json
import os
import subprocess
from pathlib import Path

from conftest import run

TOOL_ENV = {"PATH": "/usr/bin:/bin", "TZ": "UTC", "LC_ALL": "C.UTF-8"}


def sh(*args, env=None, cwd=None):
    e = dict(TOOL_ENV)
    e.update(env or {})
    p = subprocess.run(list(map(str, args)), env=e, cwd=cwd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError(f"{args} failed: {p.stdout}\n{p.stderr}")
    return p.stdout


def password_file(path: Path, secret: str) -> Path:
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return path


class ResticRepo:
    def __init__(self, root: Path, secret="restic-secret-pw"):
        self.root = root
        self.path = root / "repo"
        self.pw = password_file(root / "restic.pw", secret)
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        (self.data / "file").write_text("hello\n")
        self.env = {"RESTIC_REPOSITORY": str(self.path), "RESTIC_PASSWORD_FILE": str(self.pw),
                    "RESTIC_CACHE_DIR": str(root / "cache"), "HOME": str(root)}
        sh("restic", "init", "-q", env=self.env)

    def backup(self, when: str, host="laptop", tags=()):
        """when: "2026-11-28 10:00:00" (UTC: the tools run with TZ=UTC)."""
        args = ["restic", "backup", "-q", "--time", when, "--host", host]
        for t in tags:
            args += ["--tag", t]
        sh(*args, self.data, env=self.env)


class BorgRepo:
    def __init__(self, root: Path, secret="borg-secret-pw"):
        self.root = root
        self.path = root / "borg"
        self.pw = password_file(root / "borg.pw", secret)
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        (self.data / "file").write_text("hello\n")
        self.env = {"BORG_PASSPHRASE": secret, "BORG_BASE_DIR": str(root / "borgbase")}
        sh("borg", "init", "-e", "repokey", self.path, env=self.env)

    def create(self, name: str, when: str):
        """when: "2026-11-28T10:00:00", UTC (borg create --timestamp takes UTC)."""
        sh("borg", "create", "--timestamp", when, f"{self.path}::{name}", self.data, env=self.env)


def write_config(tmp_path: Path, sections: str) -> Path:
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    conf = tmp_path / "agent.conf"
    conf.write_text(f"[Agent]\nStateDirectory={state}\n\n{sections}")
    return conf


def check(conf: Path, now: str, policy: dict = None, env=None, root=None):
    """Runs the backup check at VIGIE_NOW=now; returns (result dict, Result)."""
    args = ["check", "--config", conf, "--json", "--only", "backup"]
    if root:
        args += ["--root", root]
    if policy is not None:
        pol = conf.parent / "policy.json"
        pol.write_text(json.dumps({"checks": {"backup": policy}}))
        args += ["--policy", pol]
    e = {"VIGIE_NOW": now, "TZ": "UTC"}
    e.update(env or {})
    r = run("vigie", *args, env=e)
    assert r.returncode in (0, 1), r
    return r.json()["checks"][0], r


def source(result: dict, name: str) -> dict:
    for s in result["evidence"]["sources"]:
        if s["name"] == name:
            return s
    raise KeyError(name)
