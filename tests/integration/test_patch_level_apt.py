# SPDX-License-Identifier: MIT
"""patch_level agrees with apt on this machine: its upgradable set (names and candidate
versions) must equal `apt list --upgradable`, on the real system (after the test's own
`apt-get update` when it runs as root) and on a copy of it where a few packages are put
back to older versions so that the real Debian security lists have updates for them."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from patch_util import APT_ENV, apt_names, parse_apt_list

LISTS = Path("/var/lib/apt/lists")


def apt_list_upgradable(native, *opts):
    out = subprocess.run(["apt", "list", "--upgradable", *opts], capture_output=True, text=True,
                         env=APT_ENV, check=True, timeout=300).stdout
    return parse_apt_list(out, native)


def apt_get_simulated_upgrade(*opts):
    out = subprocess.run(["apt-get", "-s", "upgrade", *opts], capture_output=True, text=True,
                         env=APT_ENV, check=True, timeout=300).stdout
    # "Inst NAME[:ARCH] [OLD] (NEW SUITES [ARCH])"
    return {(m.group(1), m.group(2)) for m in re.finditer(r"^Inst (\S+) \[\S+\] \((\S+) ", out, re.M)}


def packages_files():
    return sorted(p for p in LISTS.glob("*_Packages*") if re.search(r"_Packages(\.(gz|xz|lz4))?$", p.name))


@pytest.fixture(scope="module")
def real_lists():
    if shutil.which("apt") is None or not Path("/var/lib/dpkg/status").exists():
        pytest.skip("not a Debian/Ubuntu system: no apt or dpkg here")
    if os.geteuid() == 0:
        # Refresh like the machine's owner would; another test or apt run may hold the
        # lock for a while, and a mirror may be unreachable: existing lists still serve.
        subprocess.run(["apt-get", "-q", "-o", "DPkg::Lock::Timeout=120", "update"],
                       capture_output=True, text=True, env=APT_ENV, timeout=600)
    if not packages_files():
        pytest.skip("apt has no package lists here (apt-get update could not fetch them)")
    return LISTS


def vigie_upgradable(vigie, empty_config, root):
    r = vigie("check", "--config", empty_config, "--json", "--root", root, "--only", "patch_level", "--no-state")
    assert r.returncode in (0, 1), r
    c = r.json()["checks"][0]
    assert c["status"] in ("pass", "warn", "fail"), c
    return c["evidence"]


def test_agrees_with_apt_on_this_machine(vigie, empty_config, real_lists):
    ev = vigie_upgradable(vigie, empty_config, "/")
    want = apt_list_upgradable(ev["native_arch"])
    got = apt_names(ev)
    assert got == want, f"only vigie: {sorted(got - want)}\nonly apt: {sorted(want - got)}"
    assert ev["upgradable"] == len(want)
    # Whatever `apt-get upgrade` would install is among them, at the same version.
    assert apt_get_simulated_upgrade() <= got


def parse_stanzas(text):
    for block in text.split("\n\n"):
        fields = {"_text": block}
        for line in block.splitlines():
            if line and not line[0].isspace() and ":" in line:
                k, v = line.split(":", 1)
                fields[k] = v.strip()
        if "Package" in fields:
            yield fields


ARCHIVE_ONLY = ("Filename", "Size", "MD5sum", "SHA1", "SHA256", "SHA512", "Description-md5", "Tag")


def as_status(stanza):
    """What dpkg's status holds for a package installed from this index stanza."""
    out, skip = [], False
    for line in stanza.splitlines():
        if line and not line[0].isspace():
            skip = line.split(":", 1)[0] in ARCHIVE_ONLY
        if not skip:
            out.append(line)
        if line.startswith("Package:"):
            out.append("Status: install ok installed")
    return "\n".join(out)


def version_lt(a, b):
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b], env=APT_ENV).returncode == 0


def index_versions(path):
    text = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", str(path)], capture_output=True,
                          text=True, check=True, env=APT_ENV).stdout
    return {(s["Package"], s.get("Architecture")): s for s in parse_stanzas(text)}


def test_agrees_with_apt_on_older_root(vigie, empty_config, real_lists, tmp_path):
    security = [p for p in packages_files() if "-security_" in p.name]
    main = [p for p in packages_files() if "-security_" not in p.name and "-updates_" not in p.name
            and "-backports_" not in p.name]
    if not security or not main:
        pytest.skip("this machine's apt sources have no security suite next to the main one")
    sec = {}
    for p in security:
        sec.update(index_versions(p))
    base = {}
    for p in main:
        base.update(index_versions(p))

    # Put a few source packages back to their main-suite versions, every installed binary
    # of each at once so that exact-version dependencies between them still hold.
    status = Path("/var/lib/dpkg/status").read_text()
    stanzas = status.split("\n\n")
    by_source = {}
    for i, block in enumerate(stanzas):
        f = next(parse_stanzas(block), None)
        if not f or "install ok installed" not in f.get("Status", ""):
            continue
        src = f.get("Source", f["Package"]).split(" ")[0]
        by_source.setdefault(src, []).append((i, f))
    downgraded = {}
    for src, members in sorted(by_source.items()):
        plan = []
        for i, f in members:
            key = (f["Package"], f.get("Architecture"))
            older = base.get(key)
            if key not in sec or not older or not version_lt(older["Version"], f["Version"]) or \
                    not version_lt(older["Version"], sec[key]["Version"]):
                break
            plan.append((i, f["Package"], older))
        else:
            for i, name, older in plan:
                stanzas[i] = as_status(older["_text"])
                downgraded[name] = older["Version"]
        if len(downgraded) >= 3:
            break
    if not downgraded:
        pytest.skip("no installed package has both a main and a newer security version here")

    root = tmp_path / "root"
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text("\n\n".join(stanzas))
    shutil.copytree(LISTS, root / "var/lib/apt/lists", symlinks=True,
                    ignore=shutil.ignore_patterns("lock", "partial", "auxfiles"))
    shutil.copytree("/etc/apt", root / "etc/apt", symlinks=True)
    shutil.copy("/etc/os-release", root / "etc/os-release")
    opts = ["-o", f"Dir::State::status={root}/var/lib/dpkg/status",
            "-o", f"Dir::State::Lists={root}/var/lib/apt/lists",
            "-o", f"Dir::Etc::Preferences={root}/etc/apt/preferences",
            "-o", f"Dir::Etc::PreferencesParts={root}/etc/apt/preferences.d",
            "-o", f"Dir::Cache={tmp_path}/cache", "-o", "Debug::NoLocking=1"]
    (tmp_path / "cache").mkdir()
    ev = vigie_upgradable(vigie, empty_config, root)
    want = apt_list_upgradable(ev["native_arch"], *opts)
    got = apt_names(ev)
    assert got == want, f"only vigie: {sorted(got - want)}\nonly apt: {sorted(want - got)}"
    pending = {u["package"] for u in ev["security_updates"]}
    assert set(downgraded) <= pending, (downgraded, pending)
    assert apt_get_simulated_upgrade(*opts) <= got
