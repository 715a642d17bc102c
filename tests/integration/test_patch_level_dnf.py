# SPDX-License-Identifier: MIT
"""patch_level on Fedora-shaped roots: the dnf source against real dnf (check-update and
updateinfo list --security, cache only) on roots built with rpm, createrepo_c and dnf."""
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import binary
from patch_util import run_check, write_policy  # noqa: I001 (sets sys.path)
from mkroot_apt import DAY, NOW
from mkroot_dnf import DnfRoot, build_rpm, fixture_cache, make_repo

pytestmark = pytest.mark.skipif(not all(shutil.which(t) for t in ("rpm", "rpmbuild", "createrepo_c", "dnf")),
                                reason="needs rpm, rpmbuild, createrepo_c and dnf (packaging/deps.sh)")


@pytest.fixture(scope="module")
def cache():
    c = fixture_cache()
    c.mkdir(parents=True, exist_ok=True)
    return c


def rpm(cache, *a, **kw):
    return build_rpm(cache, *a, **kw)


def policy(tmp_path, **kw):
    return write_policy(tmp_path / "p.json", supported_os={"fedora": ["41"]}, **kw)


def check(vigie, empty_config, root, tmp_path, now=None, **kw):
    _, c = run_check(vigie, empty_config, root.path, tmp_path / "state.json", now=now or time.time(),
                     policy=policy(tmp_path, **kw))
    return c


def vigie_sets(ev):
    upg = {(p["package"], p["arch"], p["candidate"]) for p in ev["upgradable_packages"]
           if not p["held"] and "obsoleted_by" not in p}
    sec = {(p["package"], p["arch"]) for p in ev["security_updates"] if not p["held"]}
    return upg, sec


def assert_agrees_with_dnf(root, ev):
    """check-update also lists the updates of packages an obsoleting package replaces: those
    are Vigie's obsoleted_by entries (compared in test_patch_level_dnf_config.py)."""
    upg, sec = vigie_sets(ev)
    replaced = {(p["package"], p["arch"]) for p in ev["upgradable_packages"] if "obsoleted_by" in p}
    assert upg == {u for u in root.check_update() if u[:2] not in replaced}, ev["upgradable_packages"]
    assert sec == root.security(), ev["security_updates"]


def assert_digests_agree(vigie, root, tmp_path, ev):
    """A cold and a warm run with a state directory (the metadata digests) say what ev says."""
    state_dir = tmp_path / "statedir"
    state_dir.mkdir()
    conf = tmp_path / "agent.conf"
    conf.write_text(f"[Agent]\nStateDirectory={state_dir}\n")
    runs = [check(vigie, conf, root, tmp_path)["evidence"]["upgradable_packages"] for _ in range(2)]
    assert list((state_dir / "cache/dnf-metadata").iterdir())
    assert runs[0] == runs[1] == ev["upgradable_packages"]


def adv(i, sev, *pkgs):
    return (f"FEDORA-2026-{i:04d}", "security", sev, list(pkgs))


@pytest.fixture
def corners(cache, tmp_path):
    """One root with many of dnf's corners at once."""
    R = lambda *a, **kw: rpm(cache, *a, **kw)  # noqa: E731
    root = DnfRoot(tmp_path / "root", cache)
    root.install(R("foo", "1.0"), R("tilde", "2.0~rc1"), R("epoch", "1.0", epoch=1), R("caret", "1.0"),
                 R("same", "1.0"), R("excl", "1.0"), R("held", "1.0"), R("current", "3.0"), R("offdisabled", "1.0"))
    a = make_repo(cache, tmp_path / "repo-a", [
        R("foo", "1.1"), R("tilde", "2.0"), R("epoch", "2.0"), R("caret", "1.0^git1"), R("same", "1.1"),
        R("excl", "1.5"), R("held", "1.1"), R("current", "3.0"), R("notinstalled", "1.0")],
        [adv(1, "Important", ("foo", 0, "1.1", "1", "noarch")),
         adv(2, "Critical", ("notinstalled", 0, "1.0", "1", "noarch")),
         adv(3, "Low", ("current", 0, "3.0", "1", "noarch"))])
    b = make_repo(cache, tmp_path / "repo-b", [
        R("same", "1.2"), R("epoch", "1.1", epoch=1), R("excl", "2.0")],
        [adv(4, "Moderate", ("same", 0, "1.2", "1", "noarch"), ("epoch", 1, "1.1", "1", "noarch"))],
        compress="xz")
    c = make_repo(cache, tmp_path / "repo-c", [R("offdisabled", "9.0"), R("foo", "9.0")],
                  [adv(5, "Critical", ("offdisabled", 0, "9.0", "1", "noarch"))])
    root.add_repo("fixture-a", a)
    root.add_repo("fixture-b", b, exclude="excl")
    root.add_repo("fixture-c", c, enabled=False)
    root.main_exclude("held")
    root.makecache()
    return root


def test_corners_agree_with_dnf(vigie, empty_config, corners, tmp_path):
    c = check(vigie, empty_config, corners, tmp_path)
    ev = c["evidence"]
    assert ev["package_manager"] == "dnf"
    assert_agrees_with_dnf(corners, ev)
    upg = {p["package"]: p for p in ev["upgradable_packages"]}
    # The newest across repositories; rpm's ~, ^ and epochs; per-repository and global excludes.
    assert upg["same"]["candidate"] == "1.2-1" and upg["epoch"]["candidate"] == "1:1.1-1"
    assert upg["tilde"]["candidate"] == "2.0-1" and upg["caret"]["candidate"] == "1.0^git1-1"
    assert upg["excl"]["candidate"] == "1.5-1"
    assert upg["held"]["held"] and ev["held"] == 1
    assert "offdisabled" not in upg and "current" not in upg and upg["foo"]["candidate"] == "1.1-1"
    sec = {p["package"]: p for p in ev["security_updates"]}
    assert set(sec) == {"foo", "same", "epoch"}
    assert sec["foo"]["advisories"] == ["FEDORA-2026-0001"] and sec["foo"]["severity"] == "Important"
    assert sec["same"]["repository"] == "fixture-b"
    assert c["status"] == "warn" and "sudo dnf upgrade --refresh" in c["remediation"]
    assert ev["os"] == {"id": "fedora", "version_id": "41", "supported": True}


def zstd_cache(cache_dir):
    """Recompresses the cached metadata with zstd, as Fedora publishes it (createrepo_c 0.17
    in Debian cannot): repomd.xml names the .zst files."""
    for repodata in cache_dir.glob("*/repodata"):
        repomd = (repodata / "repomd.xml").read_text()
        for gz in repodata.glob("*.xml.gz"):
            subprocess.run(["sh", "-c", f"gzip -dc '{gz}' | zstd -q -o '{gz.with_suffix('.zst')}'"], check=True)
            gz.unlink()
            repomd = repomd.replace(gz.name, gz.with_suffix(".zst").name)
        (repodata / "repomd.xml").write_text(repomd)


def test_dnf5_cache_xz_and_zstd(vigie, empty_config, cache, tmp_path):
    root = DnfRoot(tmp_path / "root", cache)
    root.install(rpm(cache, "foo", "1.0"))
    a = make_repo(cache, tmp_path / "repo-a", [rpm(cache, "foo", "1.1")],
                  [adv(1, "Important", ("foo", 0, "1.1", "1", "noarch"))], compress="xz")
    root.add_repo("fixture-a", a)
    root.makecache()
    before = check(vigie, empty_config, root, tmp_path)["evidence"]
    assert_agrees_with_dnf(root, before)
    assert vigie_sets(before) == ({("foo", "noarch", "1.1-1")}, {("foo", "noarch")})
    # dnf5 keeps the same layout under /var/cache/libdnf5, and Fedora's metadata is zstd.
    os.rename(root.path / "var/cache/dnf", root.path / "var/cache/libdnf5")
    subprocess.run(["sh", "-c", f"cd '{root.path}/var/cache/libdnf5' && for f in */repodata/*.xz; do "
                    "xz -dc \"$f\" | gzip -c > \"${f%.xz}.gz\"; rm \"$f\"; sed -i \"s|$(basename $f)|"
                    "$(basename ${f%.xz}).gz|\" \"$(dirname $f)/repomd.xml\"; done"], check=True)
    zstd_cache(root.path / "var/cache/libdnf5")
    assert list((root.path / "var/cache/libdnf5").glob("*/repodata/*primary.xml.zst"))
    after = check(vigie, empty_config, root, tmp_path)["evidence"]
    assert vigie_sets(after) == vigie_sets(before) and after["security"] == 1


def test_stale_cache_is_what_dnf_sees(vigie, empty_config, cache, tmp_path):
    root = DnfRoot(tmp_path / "root", cache)
    root.install(rpm(cache, "foo", "1.0"))
    a = make_repo(cache, tmp_path / "repo-a", [rpm(cache, "foo", "1.1")])
    root.add_repo("fixture-a", a)
    root.makecache()
    # The repository moves on; the cache does not: both dnf -C and Vigie see 1.1.
    make_repo(cache, tmp_path / "repo-a", [rpm(cache, "foo", "1.2")],
              [adv(1, "Critical", ("foo", 0, "1.2", "1", "noarch"))])
    c = check(vigie, empty_config, root, tmp_path)
    assert_agrees_with_dnf(root, c["evidence"])
    assert c["evidence"]["security"] == 0 and c["status"] == "pass", c
    # Ten days later the cache is too old.
    c = check(vigie, empty_config, root, tmp_path, now=time.time() + 10 * DAY)
    assert c["status"] == "fail" and c["evidence"]["days_since_refresh"] == 10
    assert "sudo dnf makecache" in c["remediation"]


def test_never_refreshed_reboot_and_automatic(vigie, empty_config, cache, tmp_path):
    root = DnfRoot(tmp_path / "root", cache)
    root.install(rpm(cache, "kernel", "6.11.0"), rpm(cache, "foo", "1.0"))
    (root.path / "proc").mkdir()
    (root.path / "proc/stat").write_text(f"cpu 1 2 3\nbtime {int(time.time()) - 3600}\n")
    c = check(vigie, empty_config, root, tmp_path, require_unattended_upgrades=True)
    ev = c["evidence"]
    assert ev["last_refresh"] is None and ev["upgradable"] == 0
    assert ev["reboot_required"]["required"] and ev["reboot_required"]["packages"] == ["kernel"]
    assert "kernel" in ev["reboot_required"]["reason"]
    assert ev["automatic_updates"] is False and "dnf-automatic-install.timer" in c["remediation"]
    assert c["status"] == "fail" and "never downloaded" in c["summary"]
    # Booted after the install: no reboot. The install timer turns automatic updates on.
    (root.path / "proc/stat").write_text(f"btime {int(time.time()) + 60}\n")
    wants = root.path / "etc/systemd/system/timers.target.wants"
    wants.mkdir(parents=True)
    (wants / "dnf-automatic-install.timer").symlink_to("/usr/lib/systemd/system/dnf-automatic-install.timer")
    ev = check(vigie, empty_config, root, tmp_path, require_unattended_upgrades=True)["evidence"]
    assert not ev["reboot_required"]["required"] and ev["automatic_updates"] is True


def test_broken_inputs_are_unknown(vigie, empty_config, cache, tmp_path):
    root = DnfRoot(tmp_path / "root", cache)
    (root.path / "var/lib/rpm").mkdir(parents=True)
    c = check(vigie, empty_config, root, tmp_path)
    assert c["status"] == "unknown" and "rpm database" in c["summary"], c
    (root.path / "var/lib/rpm/Packages").write_bytes(b"\0" * 4096)
    c = check(vigie, empty_config, root, tmp_path)
    assert c["status"] == "unknown" and "BerkeleyDB" in c["summary"], c
    (root.path / "var/lib/rpm/Packages").unlink()
    root.install(rpm(cache, "foo", "1.0"))
    (root.path / "etc/yum.repos.d/bad.repo").write_text("[broken\n")
    c = check(vigie, empty_config, root, tmp_path)
    assert c["status"] == "unknown" and "bad.repo:1" in c["summary"], c


def test_agrees_with_dnf_on_a_root_a_week_later(vigie, empty_config, corners, tmp_path):
    """Grace: first_seen kept across runs, fail past grace_days."""
    c = check(vigie, empty_config, corners, tmp_path, now=NOW)
    first = c["evidence"]["security_updates"][0]["first_seen"]
    c = check(vigie, empty_config, corners, tmp_path, now=NOW + 8 * DAY, max_days_since_refresh=365)
    assert c["evidence"]["security_updates"][0]["first_seen"] == first and c["status"] == "fail", c


def test_metadata_digests(vigie, empty_config, corners, tmp_path):
    """With a state directory, the metadata is read once into digests: warm runs give the
    same evidence, a refreshed cache is read again, damaged digests are ignored."""
    state_dir = tmp_path / "statedir"
    state_dir.mkdir()
    conf = tmp_path / "agent.conf"
    conf.write_text(f"[Agent]\nStateDirectory={state_dir}\n")
    pol = policy(tmp_path)

    def evidence():
        r = vigie("check", "--config", conf, "--json", "--root", corners.path, "--only", "patch_level",
                  "--state", tmp_path / "s.json", "--policy", pol, env={"VIGIE_NOW": str(int(time.time()))})
        ev = r.json()["checks"][0]["evidence"]
        for u in ev["security_updates"]:
            u.pop("first_seen")
        return ev

    cold = evidence()
    digests = state_dir / "cache/dnf-metadata"
    names = sorted(p.name for p in digests.iterdir())
    assert len(names) == 4 and all(n.startswith("fixture-") for n in names), names  # a and b, primary and updateinfo
    assert evidence() == cold
    for p in digests.iterdir():
        data = bytearray(p.read_bytes())
        data[len(data) // 2] ^= 0xFF
        p.write_bytes(bytes(data))
    assert evidence() == cold
    # dnf refreshes repository a with a newer foo: the new files are read, old digests pruned.
    make_repo(corners.cache, tmp_path / "repo-a", [rpm(corners.cache, "foo", "1.2")],
              [adv(9, "Critical", ("foo", 0, "1.2", "1", "noarch"))])
    corners.makecache()
    ev = evidence()
    assert_agrees_with_dnf(corners, ev)
    assert {p["package"]: p["candidate"] for p in ev["upgradable_packages"]}["foo"] == "1.2-1"
    assert len(list(digests.iterdir())) == 4 and sorted(p.name for p in digests.iterdir()) != names


def test_read_only_rpmdb_directory(empty_config, corners, tmp_path):
    """Under ProtectSystem=strict the rpm database's directory is read-only and sqlite
    cannot create the WAL's shared memory: the database is read as immutable."""
    db = corners.path / "var/lib/rpm"
    for f in ("rpmdb.sqlite-shm", "rpmdb.sqlite-wal"):
        (db / f).unlink(missing_ok=True)
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs unshare -m (root)")
    pol = policy(tmp_path)
    r = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind -o ro '{db}' '{db}' && exec \"$0\" \"$@\"",
                        binary("vigie"), "check", "--config", str(empty_config), "--json", "--root", str(corners.path),
                        "--only", "patch_level", "--no-state", "--policy", str(pol)],
                       capture_output=True, text=True)
    assert r.returncode in (0, 1), r
    ev = json.loads(r.stdout)["checks"][0]["evidence"]
    assert not list(db.glob("rpmdb.sqlite-*"))
    assert_agrees_with_dnf(corners, ev)


def test_without_libexpat_names_the_package(empty_config, cache, tmp_path):
    """libexpat is loaded when dnf's metadata is first parsed (agent/checks/expat-dl.h)."""
    from test_dlopen_missing import run_without
    root = DnfRoot(tmp_path / "root", cache)
    root.install(rpm(cache, "foo", "1.0"))
    root.add_repo("fixture-a", make_repo(cache, tmp_path / "repo-a", [rpm(cache, "foo", "1.1")]))
    root.makecache()
    r = run_without("libexpat.so.1", "check", "--config", str(empty_config), "--json", "--root", str(root.path),
                    "--only", "patch_level", "--no-state", "--policy", str(policy(tmp_path)))
    assert r.returncode in (0, 1), r
    c = json.loads(r.stdout)["checks"][0]
    assert c["status"] == "unknown", c
    assert 'repository "fixture-a" (cached metadata): cannot load libexpat.so.1' in c["summary"], c
    assert "install the package libexpat1 (Debian, Ubuntu) or expat (Fedora, RHEL)" in c["summary"], c


def test_without_libzstd_names_the_package(empty_config, cache, tmp_path):
    """libzstd is loaded when zstd metadata (Fedora's) is first read (agent/checks/compress-dl.h)."""
    from test_dlopen_missing import run_without
    root = DnfRoot(tmp_path / "root", cache)
    root.install(rpm(cache, "foo", "1.0"))
    root.add_repo("fixture-a", make_repo(cache, tmp_path / "repo-a", [rpm(cache, "foo", "1.1")]))
    root.makecache()
    zstd_cache(root.path / "var/cache/dnf")
    r = run_without("libzstd.so.1", "check", "--config", str(empty_config), "--json", "--root", str(root.path),
                    "--only", "patch_level", "--no-state", "--policy", str(policy(tmp_path)))
    assert r.returncode in (0, 1), r
    c = json.loads(r.stdout)["checks"][0]
    assert c["status"] == "unknown", c
    assert 'repository "fixture-a" (cached metadata): "repodata/' in c["summary"], c
    assert '.xml.zst": cannot load libzstd.so.1' in c["summary"], c
    assert "install the package libzstd1 (Debian, Ubuntu) or libzstd (Fedora, RHEL)" in c["summary"], c
