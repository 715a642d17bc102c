# SPDX-License-Identifier: MIT
"""libnftables is dlopen()ed on first use (common/dl-util.h): without it,
the message names the library that could not be loaded and the package that provides it,
instead of a bare "Can not access a needed shared library"."""
import json
import os
import subprocess

import pytest

from conftest import binary

LIBDIR = "/usr/lib/x86_64-linux-gnu"


def run_without(soname, *args):
    """The vigie binary with args, soname hidden behind an empty file in a mount namespace
    of this command only."""
    path = os.path.join(LIBDIR, soname)
    if not os.path.exists(path):
        pytest.skip(f"no {path} to hide on this machine")
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs unshare -m (root)")
    lib = os.path.realpath(path)
    return subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind /dev/null '{lib}' && exec \"$0\" \"$@\"",
                           binary("vigie"), *args],
                          capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], "LANG": "C.UTF-8",
                               **{k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}})


def test_firewall_without_libnftables_names_the_package(empty_config):
    r = run_without("libnftables.so.1", "check", "--config", str(empty_config), "--only", "firewall", "--json",
                    "--no-state")
    assert r.returncode in (0, 1), r
    c = json.loads(r.stdout)["checks"][0]
    if c["evidence"].get("cause") in ("no_netlink_socket", "missing_cap_net_admin"):
        pytest.skip(f"the ruleset cannot be listed here anyway: {c['evidence']['cause']}")
    assert c["status"] == "unknown", c
    assert c["evidence"]["cause"] == "no_libnftables", c
    assert "cannot load libnftables.so.1" in c["summary"], c
    assert "install the package libnftables1 (Debian, Ubuntu) or nftables (Fedora, RHEL)" in c["summary"], c
    # And with the library there, the same command lists the ruleset.
    ok = subprocess.run([binary("vigie"), "check", "--config", str(empty_config), "--only", "firewall", "--json",
                         "--no-state"], capture_output=True, text=True)
    assert json.loads(ok.stdout)["checks"][0]["evidence"].get("cause") != "no_libnftables", ok
