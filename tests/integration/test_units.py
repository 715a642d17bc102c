# SPDX-License-Identifier: MIT
"""make install DESTDIR=… lays out a complete tree; the installed units verify and meet
their exposure targets; the shipped configuration documents every key."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, SANITIZE, SRC


def pkg_var(name, fallback):
    r = subprocess.run(["pkg-config", f"--variable={name}", "systemd"], capture_output=True, text=True)
    return r.stdout.strip() or fallback


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    dest = tmp_path_factory.mktemp("destdir")
    # BUILD is the test flavour: installed here only into a throwaway tree, on purpose.
    r = subprocess.run(["make", "--no-print-directory", "-C", str(SRC), "install", f"DESTDIR={dest}",
                        "PREFIX=/usr", f"BUILD={BUILD}", f"SANITIZE={1 if SANITIZE else 0}",
                        "TEST_HOOKS=1", "INSTALL_TEST_HOOKS=1"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return dest


def test_install_lays_out_a_complete_tree(tree):
    unitdir = pkg_var("systemdsystemunitdir", "/lib/systemd/system")
    expected = [
        "usr/bin/vigie", "usr/sbin/vigie-agent",
        f"{unitdir}/vigie-agent.service",
        pkg_var("sysusersdir", "/usr/lib/sysusers.d") + "/vigie.conf",
        pkg_var("tmpfilesdir", "/usr/lib/tmpfiles.d") + "/vigie.conf",
        "etc/vigie/agent.conf", "usr/share/vigie/policy.json",
        "usr/share/man/man1/vigie.1", "usr/share/man/man1/vigiectl.1",
        "usr/share/man/man5/vigie.conf.5", "usr/share/man/man8/vigie-agent.8",
        "usr/share/man/man8/vigie-server.8",
    ]
    if (BUILD / "bin" / "vigie-server").exists():
        expected += ["usr/sbin/vigie-server", f"{unitdir}/vigie-server.service"]
    for rel in expected:
        p = tree / rel.lstrip("/")
        assert p.is_file(), f"{rel} missing from the installed tree"
    for prog in ("usr/bin/vigie", "usr/sbin/vigie-agent"):
        assert os.access(tree / prog, os.X_OK)
    unit = (tree / unitdir.lstrip("/") / "vigie-agent.service").read_text()
    assert "ExecStart=/usr/sbin/vigie-agent\n" in unit and "@" not in unit.split("[Service]")[1].split("\n")[1]


def test_installed_policy_is_the_builtin_default(tree, vigie):
    shipped = json.loads((tree / "usr/share/vigie/policy.json").read_text())
    r = vigie("policy", "--default")
    assert r.returncode == 0, r
    assert shipped == json.loads(r.stdout)
    assert shipped["report_interval_s"] >= 60 and set(shipped["checks"]) >= {"disk_encryption", "patch_level", "backup"}


def config_keys():
    src = (SRC / "agent" / "agent-config.c").read_text()
    return sorted(set(re.findall(r'\{ "(?:Agent|Transport|Spool)", "(\w+)"', src)))


def test_shipped_config_and_man_page_document_every_key(tree, vigie, tmp_path):
    conf = (tree / "etc/vigie/agent.conf").read_text()
    man = (SRC / "docs/man/vigie.conf.5").read_text()
    keys = config_keys()
    assert len(keys) >= 10
    for k in keys:
        assert re.search(rf"^#{k}=", conf, re.M), f"agent.conf does not document {k}="
        assert f"{k}=" in man, f"vigie.conf(5) does not document {k}="
    # Uncommenting every default must give a configuration the agent accepts.
    state = tmp_path / "state"
    state.mkdir()
    text = re.sub(r"^#(\w+=\S+)$", r"\1", conf.split("# --- Backup")[0], flags=re.M)
    text += f"\n[Agent]\nStateDirectory={state}\n"
    (tmp_path / "agent.conf").write_text(text)
    r = vigie("policy", "--config", tmp_path / "agent.conf")
    assert r.returncode == 0, r


def test_man_pages_render_without_warnings(tree):
    for page in sorted((tree / "usr/share/man").rglob("*.[158]")):
        r = subprocess.run(["groff", "-man", "-z", "-ww", str(page)], capture_output=True, text=True)
        assert r.returncode == 0 and r.stderr == "", f"{page.name}: {r.stderr}"


def test_units_verify_and_meet_exposure_targets(tree):
    r = subprocess.run(["sh", str(SRC / "tests/units/check-units.sh"), str(tree)], capture_output=True,
                       text=True, timeout=300)
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "vigie-agent.service: verify clean, exposure" in r.stdout


def test_check_units_fails_above_target(tree, tmp_path):
    """The checker must be able to fail: an unhardened copy of the agent's unit."""
    bad = tmp_path / "bad"
    unitdir = pkg_var("systemdsystemunitdir", "/lib/systemd/system").lstrip("/")
    (bad / unitdir).mkdir(parents=True)
    (bad / "usr/sbin").mkdir(parents=True)
    os.link(tree / "usr/sbin/vigie-agent", bad / "usr/sbin/vigie-agent")
    unit = (tree / unitdir / "vigie-agent.service").read_text()
    unit = "\n".join(l for l in unit.splitlines() if not l.startswith(("Protect", "Private", "Restrict",
                                                                        "SystemCall", "Capability")))
    (bad / unitdir / "vigie-agent.service").write_text(unit + "\n")
    for sub in ("sysusers.d", "tmpfiles.d"):
        src = next(tree.rglob(f"{sub}/vigie.conf"))
        dst = bad / src.relative_to(tree)
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(src.read_text())
    r = subprocess.run(["sh", str(SRC / "tests/units/check-units.sh"), str(bad)], capture_output=True, text=True)
    assert r.returncode != 0 and "above target 2.3" in r.stdout, r.stdout


def test_agent_unit_has_the_required_directives(tree):
    unitdir = pkg_var("systemdsystemunitdir", "/lib/systemd/system").lstrip("/")
    unit = (tree / unitdir / "vigie-agent.service").read_text()
    for d in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "StateDirectory=vigie",
              "RuntimeDirectory=vigie", "RuntimeDirectoryPreserve=yes", "ConfigurationDirectory=vigie",
              "ProtectSystem=strict", "ProtectHome=", "PrivateTmp=yes", "NoNewPrivileges=yes",
              "CapabilityBoundingSet=CAP_NET_ADMIN CAP_DAC_READ_SEARCH\n", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n", "SystemCallFilter=@system-service",
              "DevicePolicy=closed", "DeviceAllow=block-* r", "ProtectKernelTunables=yes",
              "LockPersonality=yes", "MemoryDenyWriteExecute=yes"):
        assert d in unit, d
