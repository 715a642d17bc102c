# SPDX-License-Identifier: MIT
"""patch_level on Fedora-shaped roots, dnf's configuration against real dnf: variables in
.repo files ($releasever from the root's rpm database, $basearch, /etc/dnf/vars) and the
cache directory each repository's expanded URL names."""
import os
import platform
import subprocess
import time
from pathlib import Path

from test_patch_level_dnf import (adv, assert_agrees_with_dnf, assert_digests_agree, cache, check,  # noqa: F401
                                  pytestmark, rpm, make_repo, vigie_sets)
from mkroot_dnf import DnfRoot, _home  # noqa: I001 (test_patch_level_dnf sets sys.path)


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


def test_obsoletes_agree_with_dnf(vigie, empty_config, cache, tmp_path):
    """A package of another name that obsoletes an installed one replaces it in dnf upgrade:
    check-update lists it under "Obsoleting Packages"; Vigie counts the installed package as
    upgradable, with the replacement's version and name (obsoleted_by)."""
    root = DnfRoot(tmp_path / "root", cache)
    root.install(*(rpm(cache, n, "1.0") for n in ("oldpkg", "both", "keep", "self", "excl-old")))
    repo = make_repo(cache, tmp_path / "repo", [
        rpm(cache, "newpkg", "2.0", obsoletes=["oldpkg < 2.0"]),
        rpm(cache, "both", "1.1"), rpm(cache, "both-ng", "3.0", obsoletes=["both < 5"]),
        rpm(cache, "keep-ng", "1.0", obsoletes=["keep < 1.0"]),      # 1.0 is not older than 1.0
        rpm(cache, "self", "1.1", obsoletes=["self < 1.1"]),        # an update, not a replacement
        rpm(cache, "excl-new", "1.0", obsoletes=["excl-old"])],     # excluded: nothing
        [adv(1, "Important", ("both", 0, "1.1", "1", "noarch"))])
    root.add_repo("fixture-a", repo, exclude="excl-new")
    root.makecache()
    ev = check(vigie, empty_config, root, tmp_path)["evidence"]
    assert_agrees_with_dnf(root, ev)
    obs = {(p["package"], p["arch"], p["obsoleted_by"], p["candidate"])
           for p in ev["upgradable_packages"] if "obsoleted_by" in p}
    # dnf also lists self-1.1 as obsoleting self-1.0 (its "Obsoletes: self < 1.1"): that is
    # the ordinary update of self, which Vigie reports as such.
    dnf_obs = root.obsoleting()
    assert ("self", "noarch", "self.noarch", "1.1-1") in dnf_obs
    assert obs == {o for o in dnf_obs if o[2].rsplit(".", 1)[0] != o[0]} == {
        ("oldpkg", "noarch", "newpkg.noarch", "2.0-1"), ("both", "noarch", "both-ng.noarch", "3.0-1")}
    assert ev["upgradable"] == 3 and {s["package"] for s in ev["security_updates"]} == {"both"}
    # The metadata digests keep the obsoletes: a cold and a warm run say the same.
    assert_digests_agree(vigie, root, tmp_path, ev)
    # obsoletes=0 in dnf.conf: dnf ignores them, and so does Vigie.
    (root.path / "etc/dnf/dnf.conf").write_text("[main]\ngpgcheck=0\nobsoletes=0\n")
    ev = check(vigie, empty_config, root, tmp_path)["evidence"]
    assert_agrees_with_dnf(root, ev)
    assert not any("obsoleted_by" in p for p in ev["upgradable_packages"]) and ev["upgradable"] == 2


LOCKLIST = """# Added by 'versionlock add' on Tue Dec  1 10:00:00 2026
locked-0:1.0-1.*
lockedglob-1.*
lockold-0:1.0-1.*

!excl-0:1.1-1.noarch
"""


def versionlock_root(cache, tmp_path):
    root = DnfRoot(tmp_path / "root", cache)
    root.install(*(rpm(cache, n, "1.0") for n in ("locked", "lockedglob", "excl", "free", "lockold")))
    repo = make_repo(cache, tmp_path / "repo", [
        rpm(cache, "locked", "1.1"), rpm(cache, "locked", "1.2"), rpm(cache, "lockedglob", "1.1"),
        rpm(cache, "lockedglob", "2.0"), rpm(cache, "excl", "1.1"), rpm(cache, "free", "1.1"),
        rpm(cache, "lockold-ng", "2.0", obsoletes=["lockold < 2.0"])])
    root.add_repo("fixture-a", repo)
    root.makecache()
    plugins = root.path / "etc/dnf/plugins"
    plugins.mkdir(parents=True)
    (plugins / "versionlock.conf").write_text("[main]\nenabled = 1\nlocklist = /etc/dnf/plugins/versionlock.list\n")
    (plugins / "versionlock.list").write_text(LOCKLIST)
    return root


def check_update_with_versionlock(root, plugins_core, tmp_path):
    """Real dnf's check-update with the plugin of a dnf-plugins-core checkout."""
    conf = tmp_path / "pluginconf"
    conf.mkdir()
    (conf / "versionlock.conf").write_text(f"[main]\nenabled=1\nlocklist={root.path}/etc/dnf/plugins/versionlock.list\n")
    env = {**_home(root.cache), "PYTHONPATH": str(plugins_core / "plugins")}
    r = subprocess.run(["dnf", "--installroot", root.path, "--releasever", "41", "-c", root.path / "etc/dnf/dnf.conf",
                        "--setopt", f"reposdir={root.path}/etc/yum.repos.d", "--setopt",
                        f"pluginpath={plugins_core}/plugins", "--setopt", f"pluginconfpath={conf}", "-C", "-q",
                        "check-update"], env=env, capture_output=True, text=True)
    assert r.returncode in (0, 100) and "Obsoleting" not in r.stdout, r
    return {(f[0].rsplit(".", 1)[0], f[0].rsplit(".", 1)[1], f[1]) for f in map(str.split, r.stdout.splitlines())
            if len(f) == 3 and "." in f[0]}


def test_versionlock_holds_what_the_plugin_hides(vigie, empty_config, cache, tmp_path):
    """dnf-plugins-core's versionlock is not in Debian: the expected sets are what the real
    plugin (run by Debian's dnf from a dnf-plugins-core checkout) gives: check-update lists
    lockedglob 1.1-1 and free 1.1-1 only. With DNF_PLUGINS_CORE=CHECKOUT the test runs it."""
    root = versionlock_root(cache, tmp_path)
    ev = check(vigie, empty_config, root, tmp_path)["evidence"]
    upg = {p["package"]: (p["candidate"], p["held"]) for p in ev["upgradable_packages"]}
    assert upg == {"locked": ("1.2-1", True), "lockedglob": ("1.1-1", False), "excl": ("1.1-1", True),
                   "free": ("1.1-1", False)}, upg
    assert ev["held"] == 2
    plugins_core = os.environ.get("DNF_PLUGINS_CORE")  # a dnf-plugins-core checkout: the real plugin
    if plugins_core:
        assert vigie_sets(ev)[0] == check_update_with_versionlock(root, Path(plugins_core), tmp_path)
    # Without the plugin (dnf without it sees everything, as the fixture's dnf does).
    (root.path / "etc/dnf/plugins/versionlock.conf").write_text("[main]\nenabled=0\nlocklist=/etc/dnf/plugins/versionlock.list\n")
    ev = check(vigie, empty_config, root, tmp_path)["evidence"]
    assert_agrees_with_dnf(root, ev)
    assert ev["held"] == 0 and any(p.get("obsoleted_by") == "lockold-ng.noarch" for p in ev["upgradable_packages"])
    # plugins=0 in dnf.conf turns every plugin off.
    (root.path / "etc/dnf/plugins/versionlock.conf").write_text("[main]\nenabled=1\nlocklist=/etc/dnf/plugins/versionlock.list\n")
    (root.path / "etc/dnf/dnf.conf").write_text("[main]\ngpgcheck=0\nplugins=0\n")
    assert check(vigie, empty_config, root, tmp_path)["evidence"]["held"] == 0
