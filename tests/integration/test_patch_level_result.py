# SPDX-License-Identifier: MIT
"""The apt source's result kept in STATE_DIR/cache/apt-result: a run where no input changed
reads it (proof: a value changed in it is what the run reports), a change to any input —
dpkg's status, its arch file, a list, a Release file, the lists directory, apt.conf and its
parts, the preferences and their parts, the sources and their parts — is computed again
with the right result, what the clock or a reboot moves is never taken from it, and a
damaged file is ignored and rewritten."""
import json
import os
import struct
import time
import zlib

import pytest

from patch_util import run_check  # noqa: F401,I001 (sets sys.path)
from mkroot_apt import NOW, AptRoot, debian_main, debian_security
from test_patch_level_cache import cache_dir, evidence

SEC = "deb.debian.org_debian-security_dists_bookworm-security"
MAIN = "deb.debian.org_debian_dists_bookworm"
SEC_LINE = "deb [arch=amd64] http://deb.debian.org/debian-security bookworm-security main\n"


def result_file(config):
    return cache_dir(config).parent / "apt-result"


def fixture_root(tmp_path, without_dpkg=False):
    root = AptRoot(tmp_path / "root")
    root.install("openssl", "3.0.11-1~deb12u1")
    root.install("bash", "5.2.15-2+b2")
    root.install("unattended-upgrades", "2.9.1+nmu3")
    root.install("linux-image-6.1.0-13-amd64", "6.1.55-1")
    root.install("linux-image-6.1.0-18-amd64", "6.1.76-1")
    root.kernel = "6.1.0-18-amd64"
    root.foreign = ["i386"]
    root.prefs["tools.pref"] = "Package: vim\nPin: version 5.2.15-2+b2\nPin-Priority: 1001\n"
    root.apt_conf["20auto-upgrades"] = 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "0";\n'
    debian_main(root, [("openssl", "3.0.11-1~deb12u1"), ("bash", "5.2.15-2+b7")])
    debian_security(root, [("openssl", "3.0.15-1~deb12u1")])
    root.write()
    p = root.path
    # The security suite named by a part of sources.list.d instead of sources.list.
    (p / "etc/apt/sources.list").write_text(root.sources_list().replace(SEC_LINE, ""))
    (p / "etc/apt/sources.list.d/security.list").write_text(SEC_LINE)
    if without_dpkg:  # the native architecture then comes from /var/lib/dpkg/arch
        status = (p / "var/lib/dpkg/status").read_text()
        (p / "var/lib/dpkg/status").write_text(status.split("\n\n", 1)[1])
    # Inputs changed less than a second ago are not trusted to show a second change.
    time.sleep(1.1)
    return root


def replace_in_place(path, old, new):
    """Same inode; the mtime put back: only the ctime (and maybe the size) tells."""
    st = path.stat()
    data = path.read_bytes()
    assert old.encode() in data, (path, old)
    path.write_bytes(data.replace(old.encode(), new.encode()))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def replace_by_rename(path, old, new):
    """As apt replaces a list: a new file renamed over it, with the old file's times."""
    st = path.stat()
    tmp = path.with_name("partial") / path.name
    tmp.write_bytes(path.read_bytes().replace(old.encode(), new.encode()))
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.rename(tmp, path)


def upgradable(ev):
    return sorted((u["package"], u["installed"], u["candidate"], u["security"]) for u in ev["upgradable_packages"])


def summary(ev):
    return (upgradable(ev), ev["native_arch"], ev["unattended_upgrades"], ev.get("ignored_preferences"))


def changes(root):
    p = root.path
    lists = p / "var/lib/apt/lists"
    return {
        "status": lambda: replace_in_place(p / "var/lib/dpkg/status", "Version: 5.2.15-2+b2", "Version: 5.2.15-2+b7"),
        "list": lambda: replace_by_rename(lists / f"{MAIN}_main_binary-amd64_Packages", "5.2.15-2+b7", "5.2.15-2+b9"),
        "release": lambda: replace_in_place(lists / f"{SEC}_InRelease", "ecurity", "ekurity"),
        "lists_dir": lambda: os.rename(lists / f"{SEC}_main_binary-amd64_Packages", lists / "partial/moved"),
        "apt_conf_part": lambda: replace_in_place(p / "etc/apt/apt.conf.d/20auto-upgrades",
                                                  'Unattended-Upgrade "0"', 'Unattended-Upgrade "1"'),
        "apt_conf": lambda: (p / "etc/apt/apt.conf").write_text('APT::Periodic::Unattended-Upgrade "1";\n'),
        "preferences": lambda: (p / "etc/apt/preferences").write_text(
            "Package: bash\nPin: version 5.2.15-2+b2\nPin-Priority: 1001\n"),
        "preferences_part": lambda: replace_in_place(p / "etc/apt/preferences.d/tools.pref", "vim", "bash"),
        "sources": lambda: (p / "etc/apt/sources.list").write_text(SEC_LINE),
        "sources_part": lambda: replace_in_place(p / "etc/apt/sources.list.d/security.list", "deb ", "#eb "),
    }


@pytest.mark.parametrize("change", list(changes(AptRoot("/nonexistent"))) + ["arch"])
def test_a_changed_input_is_computed_again(vigie, empty_config, tmp_path, change):
    root = fixture_root(tmp_path, without_dpkg=change == "arch")
    before = evidence(vigie, empty_config, root.path, keep_result=True)
    assert result_file(empty_config).is_file(), "no result kept"
    assert result_file(empty_config).stat().st_mode & 0o777 == 0o600
    if change == "arch":
        assert before["native_arch"] == "amd64"
        replace_in_place(root.path / "var/lib/dpkg/arch", "amd64\n", "arm64\n")
    else:
        changes(root)[change]()
    after = evidence(vigie, empty_config, root.path, keep_result=True)
    assert summary(after) != summary(before), f"{change}: the kept result was used"
    truth = evidence(vigie, empty_config, root.path, "--no-state")
    assert json.dumps(after, sort_keys=True) == json.dumps(truth, sort_keys=True)


def fix_crc(data):
    data = bytearray(data)
    data[16:20] = struct.pack("=I", zlib.crc32(bytes(data[20:])))
    return bytes(data)


def test_unchanged_inputs_read_the_kept_result(vigie, empty_config, tmp_path):
    root = fixture_root(tmp_path)
    cold = evidence(vigie, empty_config, root.path, keep_result=True)
    assert ("bash", "5.2.15-2+b2", "5.2.15-2+b7", False) in upgradable(cold)
    assert ("openssl", "3.0.11-1~deb12u1", "3.0.15-1~deb12u1", True) in upgradable(cold)
    stamp = result_file(empty_config).stat().st_mtime_ns
    warm = evidence(vigie, empty_config, root.path, keep_result=True)
    assert json.dumps(cold, sort_keys=True) == json.dumps(warm, sort_keys=True)
    assert result_file(empty_config).stat().st_mtime_ns == stamp, "the warm run rewrote the result"
    # Proof that nothing is computed: a candidate changed in the file (same length, CRC made
    # right) is what the next run reports.
    data = result_file(empty_config).read_bytes()
    assert data.count(b"5.2.15-2+b7") == 1
    result_file(empty_config).write_bytes(fix_crc(data.replace(b"5.2.15-2+b7", b"5.2.15-2+b8")))
    ev = evidence(vigie, empty_config, root.path, keep_result=True)
    assert ("bash", "5.2.15-2+b2", "5.2.15-2+b8", False) in upgradable(ev)


def test_clock_and_reboot_are_not_kept(vigie, empty_config, tmp_path):
    root = fixture_root(tmp_path)
    ev = evidence(vigie, empty_config, root.path, keep_result=True)
    assert ev["days_since_refresh"] == 0 and not ev["reboot_required"]["required"]
    stamp = result_file(empty_config).stat().st_mtime_ns
    # The running kernel older than the newest installed one: a reboot is due.
    osrelease = root.path / "proc/sys/kernel/osrelease"
    osrelease.write_text("6.1.0-13-amd64\n")
    assert evidence(vigie, empty_config, root.path, keep_result=True)["reboot_required"]["required"]
    osrelease.write_text("6.1.0-18-amd64\n")
    (root.path / "run").mkdir()
    (root.path / "run/reboot-required").write_text("")
    assert evidence(vigie, empty_config, root.path, keep_result=True)["reboot_required"]["required"]
    stamp_file = root.path / "var/lib/apt/periodic/update-success-stamp"
    stamp_file.parent.mkdir(parents=True)
    stamp_file.touch()
    os.utime(stamp_file, (NOW + 2 * 86400, NOW + 2 * 86400))
    r = vigie("check", "--config", empty_config, "--json", "--root", root.path, "--only", "patch_level",
              env={"VIGIE_NOW": str(NOW + 5 * 86400)})
    assert r.json()["checks"][0]["evidence"]["days_since_refresh"] == 3
    assert result_file(empty_config).stat().st_mtime_ns == stamp, "the result was computed again"


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "other_format", "fifo"])
def test_a_damaged_result_is_ignored_and_rewritten(vigie, empty_config, tmp_path, damage):
    root = fixture_root(tmp_path)
    good = evidence(vigie, empty_config, root.path, keep_result=True)
    f = result_file(empty_config)
    data = f.read_bytes()
    if damage == "fifo":  # not a file: not read (a FIFO would block), replaced
        f.unlink()
        os.mkfifo(f)
    else:
        f.write_bytes({"truncated": data[:len(data) // 2], "garbage": os.urandom(len(data)), "empty": b"",
                       "other_format": fix_crc(data[:8] + struct.pack("=I", 2) + data[12:])}[damage])
    ev = evidence(vigie, empty_config, root.path, keep_result=True)
    assert json.dumps(ev, sort_keys=True) == json.dumps(good, sort_keys=True)
    assert f.read_bytes() == data, "the result was not rewritten"
