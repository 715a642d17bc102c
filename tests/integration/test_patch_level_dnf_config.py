# SPDX-License-Identifier: MIT
"""patch_level on Fedora-shaped roots, dnf's configuration against real dnf: variables in
.repo files ($releasever from the root's rpm database, $basearch, /etc/dnf/vars) and the
cache directory each repository's expanded URL names."""
import os
import platform
import time

from test_patch_level_dnf import (adv, assert_agrees_with_dnf, cache, check, pytestmark,  # noqa: F401
                                  rpm, make_repo)
from mkroot_dnf import DnfRoot  # noqa: I001 (test_patch_level_dnf sets sys.path)


def test_variables_pick_the_cache_of_this_release(vigie, empty_config, cache, tmp_path):
    root = DnfRoot(tmp_path / "root", cache, releasever=None)
    # Fedora's release package: version 41.1, but the provide says the release is 41.
    root.install(rpm(cache, "fedora-release-common", "41.1",
                     provides=["system-release(releasever) = 41", "system-release = 41.1"]),
                 rpm(cache, "foo", "1.0"), rpm(cache, "bar", "1.0"))
    for d, channel in (("etc/yum/vars", "loses"), ("etc/dnf/vars", "stable\nsecond line ignored\n")):
        (root.path / d).mkdir(parents=True)
        (root.path / d / "channel").write_text(channel)
    mirror = tmp_path / "mirror"
    (root.path / "etc/dnf/vars/mirror").write_text(f"{mirror}\n")
    basearch = {"i686": "i386", "armv7l": "arm"}.get(platform.machine(), platform.machine())
    old = make_repo(cache, mirror / "40" / basearch / "stable", [rpm(cache, "foo", "9.0")],
                    [adv(1, "Critical", ("foo", 0, "9.0", "1", "noarch"))])
    make_repo(cache, mirror / "41" / basearch / "stable", [rpm(cache, "foo", "1.1")],
              [adv(2, "Important", ("foo", 0, "1.1", "1", "noarch"))])
    make_repo(cache, mirror / "extra", [rpm(cache, "bar", "2.0")], [adv(3, "Low", ("bar", 0, "2.0", "1", "noarch"))])
    root.add_repo("updates", "$mirror/$releasever/$basearch/${channel}")
    root.add_repo("extra-$releasever", "$mirror/extra")
    # The cache of the release before the upgrade stays behind, its repomd.xml the newest.
    root.releasever = "40"
    root.makecache()
    stale = {p for p in (root.path / "var/cache/dnf").glob("updates-*/repodata")}
    root.releasever = None
    root.makecache()
    assert old.exists() and len(list((root.path / "var/cache/dnf").glob("updates-*/repodata"))) == 2
    for name in stale:
        later = time.time() + 3600
        os.utime(name / "repomd.xml", (later, later))

    ev = check(vigie, empty_config, root, tmp_path)["evidence"]
    assert_agrees_with_dnf(root, ev)
    upg = {p["package"]: p for p in ev["upgradable_packages"]}
    assert upg["foo"]["candidate"] == "1.1-1" and upg["bar"]["candidate"] == "2.0-1"
    sec = {s["package"]: s for s in ev["security_updates"]}
    assert sec["foo"]["advisories"] == ["FEDORA-2026-0002"] and sec["bar"]["repository"] == "extra-41"
