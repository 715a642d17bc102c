# SPDX-License-Identifier: MIT
"""patch_level on fixture roots: security updates with grace, pins, holds, multi-arch,
compressed lists, reboot, stale lists, unsupported OS, broken files, RPM roots."""
import json
import os

import pytest

from patch_util import apt_names, assert_agrees_with_apt, run_check, write_policy  # noqa: I001 (sets sys.path)
from mkroot_apt import DAY, NOW, AptRoot, debian_backports, debian_main, debian_security

EVIDENCE_KEYS = {"os", "upgradable", "security", "held", "security_updates", "last_refresh",
                 "days_since_refresh", "unattended_upgrades", "reboot_required"}


@pytest.fixture
def root(tmp_path):
    return AptRoot(tmp_path / "root")


@pytest.fixture
def state(tmp_path):
    return tmp_path / "state.json"


def base(root):
    root.install("openssl", "3.0.11-1~deb12u1")
    root.install("bash", "5.2.15-2+b2")
    root.install("coreutils", "9.1-1")
    debian_main(root, [("openssl", "3.0.11-1~deb12u1"), ("bash", "5.2.15-2+b7"), ("coreutils", "9.1-1"),
                       ("notinstalled", "1.0")])


def test_security_update_warns_then_fails(vigie, empty_config, root, state, tmp_path):
    base(root)
    debian_security(root, [("openssl", "3.0.15-1~deb12u1")])
    root.write()
    r, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    assert c["status"] == "warn", c
    ev = c["evidence"]
    assert EVIDENCE_KEYS <= set(ev)
    assert ev["upgradable"] == 2 and ev["security"] == 1 and ev["held"] == 0
    assert ev["os"] == {"id": "debian", "version_id": "12", "supported": True}
    upd = ev["security_updates"][0]
    assert {k: upd[k] for k in ("package", "arch", "installed", "candidate", "suite")} == {
        "package": "openssl", "arch": "amd64", "installed": "3.0.11-1~deb12u1",
        "candidate": "3.0.15-1~deb12u1", "suite": "bookworm-security"}
    assert upd["first_seen"] == "2026-11-30T12:00:00Z"
    assert c["deadline"] == "2026-12-07T12:00:00Z"
    assert "sudo apt update && sudo apt upgrade" in c["remediation"]
    assert ev["days_since_refresh"] == 0 and ev["last_refresh"] == "2026-11-30T12:00:00Z"

    # Six days later (lists refreshed meanwhile): still warn, first_seen kept.
    later = NOW + 6 * DAY
    os.utime(root.lists_dir(), (later, later))
    for f in root.lists_dir().iterdir():
        os.utime(f, (later, later))
    _, c = run_check(vigie, empty_config, root.path, state, now=later)
    assert c["status"] == "warn" and c["evidence"]["security_updates"][0]["first_seen"] == upd["first_seen"]
    # Past the grace period: fail.
    _, c = run_check(vigie, empty_config, root.path, state, now=NOW + 7 * DAY + 60)
    assert c["status"] == "fail" and c["deadline"] is None
    assert "security update" in c["summary"]


def test_grace_restarts_without_state(vigie, empty_config, root, tmp_path):
    base(root)
    debian_security(root, [("openssl", "3.0.15-1~deb12u1")])
    root.write()
    r = vigie("check", "--config", empty_config, "--json", "--root", root.path, "--only", "patch_level",
              "--no-state", env={"VIGIE_NOW": str(NOW)})
    assert r.json()["checks"][0]["status"] == "warn"


def test_only_non_security_updates_pass(vigie, empty_config, root, state, tmp_path):
    base(root)
    debian_security(root, [("openssl", "3.0.11-1~deb12u1")])  # same version: nothing new
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    assert c["status"] == "pass", c
    assert c["evidence"]["upgradable"] == 1 and c["evidence"]["security"] == 0
    assert apt_names(c["evidence"]) == {("bash", "5.2.15-2+b7")}
    assert c["remediation"] is None


def test_backports_not_a_candidate(vigie, empty_config, root, state, tmp_path):
    base(root)
    debian_backports(root, [("coreutils", "9.4-3~bpo12+1"), ("openssl", "3.5.0-1~bpo12+1")])
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    assert apt_names(c["evidence"]) == {("bash", "5.2.15-2+b7")}


def test_installed_from_backports_follows_them(vigie, empty_config, root, state, tmp_path):
    root.install("tool", "1.1~bpo12+1")
    debian_main(root, [("tool", "1.0")])
    debian_backports(root, [("tool", "1.1~bpo12+1"), ("tool", "1.2~bpo12+1")])
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    assert apt_names(c["evidence"]) == {("tool", "1.2~bpo12+1")}


def test_pinned_down_package(vigie, empty_config, root, state, tmp_path):
    base(root)
    debian_security(root, [("openssl", "3.0.15-1~deb12u1")])
    root.prefs["openssl.pref"] = ("Explanation: keep this one\nPackage: openssl\n"
                                  "Pin: version 3.0.11*\nPin-Priority: 1001\n\n"
                                  "Package: bash\nPin: release a=oldstable\nPin-Priority: -10\n")
    root.prefs["ignored.conf"] = "this file is not read: wrong extension\n"
    root.prefs["zz.pref"] = "Package: coreutils\nPin: flavour x\nPin-Priority: 10\n"
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    assert c["status"] == "pass", c
    assert c["evidence"]["upgradable"] == 0
    assert c["evidence"]["ignored_preferences"] == [
        "/etc/apt/preferences.d/zz.pref:1: pin type not understood; record ignored"]


def test_held_package(vigie, empty_config, root, state, tmp_path):
    base(root)
    root.installed[1] = ("bash", "5.2.15-2+b2", "amd64", "hold", "installed", "")
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    ev = c["evidence"]
    assert ev["upgradable"] == 1 and ev["held"] == 1
    assert ev["upgradable_packages"][0]["held"] is True


def test_multiarch(vigie, empty_config, root, state, tmp_path):
    root.foreign = ["i386"]
    root.install("libc6", "2.36-9+deb12u4", "amd64")
    root.install("libc6", "2.36-9+deb12u4", "i386")
    root.install("tzdata", "2024a-0+deb12u1", "all")
    root.install("libfoo1", "1.0", "i386")
    debian_main(root, [("libc6", "2.36-9+deb12u10"), ("tzdata", "2025b-0+deb12u1", "all"), ("libfoo1", "1.1")])
    debian_main(root, [("libc6", "2.36-9+deb12u10"), ("libfoo1", "1.1"), ("tzdata", "2025b-0+deb12u1", "all")],
                arch="i386")
    root.repos[-1].prefix = root.repos[0].prefix  # same suite, second architecture
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    # libfoo1 is installed for i386 only: the amd64 index's libfoo1 is another package.
    assert apt_names(c["evidence"]) == {("libc6", "2.36-9+deb12u10"), ("libc6:i386", "2.36-9+deb12u10"),
                                        ("tzdata", "2025b-0+deb12u1"), ("libfoo1:i386", "1.1")}
    assert c["evidence"]["upgradable"] == 4


@pytest.mark.parametrize("compression", ["gz", "xz", "lz4"])
def test_compressed_lists(vigie, empty_config, root, state, compression, tmp_path):
    base(root)
    debian_security(root, [("openssl", "3.0.15-1~deb12u1")], compression=compression)
    root.repos[0].compression = compression
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    assert c["evidence"]["upgradable"] == 2 and c["evidence"]["security"] == 1


@pytest.mark.parametrize("compression,soname,package", [
    ("xz", "liblzma.so.5", "liblzma5"),
    ("lz4", "liblz4.so.1", "liblz4-1"),
])
def test_compressed_lists_without_library(empty_config, root, compression, soname, package):
    """The decompressors are loaded when a list compressed with them is first read
    (agent/checks/compress-dl.h): without one, the message names it and its package."""
    from test_dlopen_missing import run_without
    base(root)
    root.repos[0].compression = compression
    root.write()
    r = run_without(soname, "check", "--config", str(empty_config), "--json", "--root", str(root.path),
                    "--only", "patch_level", "--no-state")
    assert r.returncode in (0, 1), r
    c = json.loads(r.stdout)["checks"][0]
    assert c["status"] == "unknown", c
    assert f"_Packages.{compression}\": cannot load {soname}" in c["summary"], c
    assert f"install the package {package} (Debian, Ubuntu)" in c["summary"], c


def test_release_without_signature(vigie, empty_config, root, state, tmp_path):
    base(root)
    debian_security(root, [("openssl", "3.0.15-1~deb12u1")], signed=False)
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    assert c["evidence"]["security"] == 1


def test_reboot_required_flag(vigie, empty_config, root, state):
    base(root)
    root.reboot_pkgs = ["linux-image-6.1.0-28-amd64", "libc6"]
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    rr = c["evidence"]["reboot_required"]
    assert rr["required"] is True and rr["since"] == "2026-11-30T12:00:00Z"
    assert rr["packages"] == ["linux-image-6.1.0-28-amd64", "libc6"]
    assert c["status"] == "warn" and c["deadline"] == "2026-12-03T12:00:00Z"
    assert "Restart your computer" in c["remediation"]
    _, c = run_check(vigie, empty_config, root.path, state, now=NOW + 3 * DAY + 1)
    assert c["status"] == "fail"
    # Rebooted: the flag is gone, and so is the state.
    (root.path / "run/reboot-required").unlink()
    _, c = run_check(vigie, empty_config, root.path, state, now=NOW + 3 * DAY + 2)
    assert c["evidence"]["reboot_required"]["required"] is False
    assert "reboot_first_seen" not in state.read_text()


def test_newer_kernel_installed_than_running(vigie, empty_config, root, state, tmp_path):
    base(root)
    root.install("linux-image-6.1.0-25-amd64", "6.1.106-3")
    root.install("linux-image-6.1.0-28-amd64", "6.1.119-1")
    root.install("linux-image-6.1.0-30-cloud-amd64", "6.1.124-1")  # another flavour
    root.install("linux-image-amd64", "6.1.119-1")                 # the meta package
    root.kernel = "6.1.0-25-amd64"
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    rr = c["evidence"]["reboot_required"]
    assert rr["required"] is True and "6.1.0-28-amd64" in rr["reason"], rr
    root.kernel = "6.1.0-28-amd64"
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert c["evidence"]["reboot_required"]["required"] is False


def test_stale_lists(vigie, empty_config, root, state):
    base(root)
    root.lists_age_days = 14
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert c["status"] == "fail" and c["evidence"]["days_since_refresh"] == 14
    assert "sudo apt update" in c["remediation"]
    # A recent update-success-stamp counts as a refresh.
    root.stamp_age_days = 1
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert c["evidence"]["days_since_refresh"] == 1 and c["status"] == "pass"


def test_no_lists_at_all(vigie, empty_config, root, state):
    root.install("bash", "5.2.15-2+b2")
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert c["status"] == "fail" and c["evidence"]["last_refresh"] is None


def test_unsupported_os(vigie, empty_config, root, state, tmp_path):
    base(root)
    root.version_id, root.codename = "11", "bullseye"
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert c["status"] == "fail" and c["evidence"]["os"]["supported"] is False
    assert "debian 11 is not a supported release" in c["summary"]
    pol = write_policy(tmp_path / "p.json", supported_os={"debian": ["11"]})
    _, c = run_check(vigie, empty_config, root.path, state, policy=pol)
    assert c["status"] == "pass"


def test_unattended_upgrades(vigie, empty_config, root, state, tmp_path):
    base(root)
    root.install("unattended-upgrades", "2.9.1+nmu3")
    root.apt_conf["20auto-upgrades"] = ('APT::Periodic::Update-Package-Lists "1";\n'
                                        'APT::Periodic::Unattended-Upgrade "1";\n')
    root.write()
    pol = write_policy(tmp_path / "p.json", require_unattended_upgrades=True)
    _, c = run_check(vigie, empty_config, root.path, state, policy=pol)
    assert c["evidence"]["unattended_upgrades"] is True and c["status"] == "pass"
    root.apt_conf["99off"] = "APT { Periodic { Unattended-Upgrade \"0\"; }; };\n"
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state, policy=pol)
    assert c["evidence"]["unattended_upgrades"] is False and c["status"] == "fail"
    assert "unattended-upgrades" in c["remediation"]


def test_default_release(vigie, empty_config, root, state, tmp_path):
    base(root)
    debian_backports(root, [("coreutils", "9.4-3~bpo12+1")])
    root.apt_conf["10release"] = 'APT::Default-Release "bookworm-backports";\n'
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    assert ("coreutils", "9.4-3~bpo12+1") in apt_names(c["evidence"])


@pytest.mark.parametrize("what,content,needle", [
    ("packages", b"\x00\x01garbage\xff\n\nmore garbage", "corrupt"),
    ("lz4", b"\x04\x22\x4d\x18truncated", "corrupt"),
    ("gz", b"\x1f\x8b\x08\x00trunc", "corrupt"),
    ("xz", b"\xfd7zXZ\x00trunc", "corrupt"),
    ("release", b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Debian\n", "not a valid Release"),
    ("status", b"Package: x\nthis is not a field\n", "/var/lib/dpkg/status:2"),
    ("prefs", b"Pin: release a=x\nPin-Priority: 1\n", "without a Package field"),
    ("aptconf", b"APT::Periodic::Unattended-Upgrade \"1\"\n", "not terminated"),
])
def test_broken_files(vigie, empty_config, root, state, what, content, needle):
    base(root)
    root.write()
    lists = root.lists_dir()
    prefix = root.repos[0].prefix
    pk = lists / f"{prefix}_main_binary-amd64_Packages"
    if what == "packages":
        pk.write_bytes(content)
    elif what in ("lz4", "gz", "xz"):
        pk.unlink()
        (lists / f"{pk.name}.{what}").write_bytes(content)
    elif what == "release":
        (lists / f"{prefix}_InRelease").write_bytes(content)
    elif what == "status":
        (root.path / "var/lib/dpkg/status").write_bytes(content)
    elif what == "prefs":
        (root.path / "etc/apt/preferences").write_bytes(content)
    else:
        (root.path / "etc/apt/apt.conf.d/50bad").write_bytes(content)
    r, c = run_check(vigie, empty_config, root.path, state)
    assert c["status"] == "unknown", c
    assert needle in c["summary"], c["summary"]


def test_truncated_plain_packages_is_read(vigie, empty_config, root, state):
    # A plain Packages file cut at a stanza boundary is indistinguishable from a short one.
    base(root)
    root.write()
    pk = root.packages_path(root.repos[0])
    pk.write_bytes(pk.read_bytes()[:-40])
    _, c = run_check(vigie, empty_config, root.path, state)
    assert c["status"] in ("pass", "warn", "fail")


def test_rpm_root_without_database_is_unknown(vigie, empty_config, tmp_path, state):
    root = tmp_path / "fedora"
    (root / "var/lib/rpm").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text('ID=fedora\nVERSION_ID="41"\n')
    _, c = run_check(vigie, empty_config, root, state)
    assert c["status"] == "unknown" and "rpm database" in c["summary"], c
    (tmp_path / "empty").mkdir()
    _, c = run_check(vigie, empty_config, tmp_path / "empty", state)
    assert c["status"] == "unknown" and "No package database" in c["summary"]


def test_many_policy_corners_agree_with_apt(vigie, empty_config, root, state, tmp_path):
    """One root with many of apt's corner cases at once; apt itself is the oracle."""
    pkgs = {
        "epoch": ("1:1.0-1", [("main", "2.0-1"), ("sec", "1:1.0-1+deb12u1")]),
        "tilde": ("1.0~rc1-1", [("main", "1.0-1")]),
        "same": ("1.0-1", [("main", "1.0-1"), ("sec", "1.0-1")]),
        "from-sec": ("1.0-1+deb12u1", [("main", "1.0-1"), ("sec", "1.0-1+deb12u1")]),
        "newer-local": ("2.0-1", [("main", "1.0-1")]),
        "glob-pinned": ("1.0-1", [("main", "1.1-1")]),
        "regex-pinned": ("1.0-1", [("main", "1.1-1")]),
        "origin-pinned": ("1.0-1", [("main", "1.1-1"), ("other", "1.5-1")]),
        "bau-only": ("1.0-1", [("bau", "1.2-1")]),
        "na-only": ("1.0-1", [("na", "1.2-1")]),
        "phased": ("1.0-1", [("main", "1.1-1")]),
        "unpacked": ("1.0-1", [("main", "1.1-1")]),
        "deinstall": ("1.0-1", [("main", "1.1-1")]),
        "gone-config": ("1.0-1", [("main", "1.1-1")]),
        "downgrade-all": ("1.0-1", [("na", "0.9-1")]),
    }
    repos = {
        "main": debian_main(root, []),
        "sec": debian_security(root, []),
        "bau": debian_backports(root, []),
        "na": root.repo("deb.debian.org_debian_dists_experimental", suite="experimental", codename="rc-buggy",
                        not_automatic=True),
        "other": root.repo("ppa.example.org_debian_dists_bookworm", suite="bookworm", codename="bookworm",
                           origin="Example", label="Example PPA"),
    }
    for name, (installed, versions) in pkgs.items():
        want, state_word = "install", "installed"
        if name == "unpacked":
            state_word = "unpacked"
        elif name == "deinstall":
            want = "deinstall"
        elif name == "gone-config":
            state_word = "config-files"
        root.install(name, installed, want=want, state=state_word)
        for repo, v in versions:
            extra = "Phased-Update-Percentage: 10\n" if name == "phased" else ""
            repos[repo].packages.append((name, v, None, extra))
    root.prefs["10-pins"] = (
        "Package: glob-pin*\nPin: release a=oldstable\nPin-Priority: 50\n\n"
        "Package: /^regex-pin/\nPin: version 1.0*\nPin-Priority: 600\n\n"
        "Package: origin-pinned\nPin: origin ppa.example.org\nPin-Priority: 400\n\n"
        "Package: downgrade-all\nPin: release n=rc-buggy\nPin-Priority: 1001\n")
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    names = {p["package"]: p for p in c["evidence"]["upgradable_packages"]}
    assert names["phased"]["phased_percentage"] == 10
    assert "gone-config" not in names and "unpacked" in names
    assert {u["package"] for u in c["evidence"]["security_updates"]} == {"epoch"}


def test_ubuntu_security_pocket(vigie, empty_config, tmp_path, state):
    root = AptRoot(tmp_path / "root", os_id="ubuntu", version_id="22.04", codename="jammy")
    root.install("openssl", "3.0.2-0ubuntu1.10")
    root.install("curl", "7.81.0-1ubuntu1.15")
    root.repo("archive.ubuntu.com_ubuntu_dists_jammy", suite="jammy", codename="jammy", origin="Ubuntu",
              label="Ubuntu", version="22.04", packages=[("openssl", "3.0.2-0ubuntu1"), ("curl", "7.81.0-1")])
    root.repo("archive.ubuntu.com_ubuntu_dists_jammy-updates", suite="jammy-updates", codename="jammy",
              origin="Ubuntu", label="Ubuntu", version="22.04",
              packages=[("openssl", "3.0.2-0ubuntu1.18"), ("curl", "7.81.0-1ubuntu1.16", None,
                                                             "Phased-Update-Percentage: 30\n")])
    root.repo("security.ubuntu.com_ubuntu_dists_jammy-security", suite="jammy-security", codename="jammy",
              origin="Ubuntu", label="Ubuntu", version="22.04", packages=[("openssl", "3.0.2-0ubuntu1.18")])
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    ev = c["evidence"]
    assert ev["os"] == {"id": "ubuntu", "version_id": "22.04", "supported": True}
    assert [(u["package"], u["suite"]) for u in ev["security_updates"]] == [("openssl", "jammy-security")]
    assert ev["upgradable"] == 2 and ev["security"] == 1


def test_lists_of_removed_sources_are_ignored(vigie, empty_config, root, state, tmp_path):
    base(root)
    root.repo("old.example.org_debian_dists_bookworm", suite="bookworm", codename="bookworm",
              origin="Old", packages=[("coreutils", "99.0-1")], in_sources=False)
    root.write()
    (root.path / "etc/apt/sources.list.d/old.list.disabled").write_text(
        "deb http://old.example.org/debian bookworm main\n")
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    assert apt_names(c["evidence"]) == {("bash", "5.2.15-2+b7")}
    # The same source in deb822 form is read.
    (root.path / "etc/apt/sources.list.d/old.sources").write_text(
        "Types: deb\nURIs: http://old.example.org/debian\nSuites: bookworm\nComponents: main\n")
    _, c = run_check(vigie, empty_config, root.path, state)
    assert ("coreutils", "99.0-1") in apt_names(c["evidence"])
    assert_agrees_with_apt(root, c["evidence"], tmp_path)


def test_rebuilt_same_version_is_upgradable_like_apt(vigie, empty_config, root, state, tmp_path):
    # dpkg's stanza and the archive's disagree on dependencies: apt keeps two versions and
    # lists the archive's build as an upgrade "from" the same version. Blank and "="
    # differences (dpkg rewrites relations) do not count.
    root.install("rebuilt", "1.0-1", extra="Depends: libc6 (>= 2.36), libssl3\n")
    root.install("reformatted", "1.0-1", extra="Depends: libc6 (>=2.36),  LIBSSL3\n")
    root.install("samearch", "1.0-1", extra="Multi-Arch: no\n")
    root.install("twobuilds", "1.0-1")
    debian_main(root, [("rebuilt", "1.0-1", None, "Depends: libc6 (>= 2.36)\n"),
                       ("reformatted", "1.0-1", None, "Depends: libc6 (>= 2.36), libssl3\n"),
                       ("samearch", "1.0-1", None, ""), ("twobuilds", "1.0-1")])
    root.repo("zz.example.org_debian_dists_bookworm", suite="bookworm", codename="bookworm", origin="ZZ",
              packages=[("twobuilds", "1.0-1", None, "Size: 999\n")])
    root.write()
    _, c = run_check(vigie, empty_config, root.path, state)
    assert_agrees_with_apt(root, c["evidence"], tmp_path)
    assert apt_names(c["evidence"]) == {("rebuilt", "1.0-1")}
