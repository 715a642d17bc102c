# SPDX-License-Identifier: MIT
"""The digest of dpkg's status in STATE_DIR/cache/dpkg-status/status: a warm run reads it
instead of the status, any change dpkg makes (a new file renamed over the status, or a
rewrite in place that puts the mtime back) is read again with the right results, and a
damaged digest is ignored and rebuilt."""
import json
import os
import struct
import zlib
from pathlib import Path

import pytest

from patch_util import run_check  # noqa: F401,I001 (sets sys.path)
from mkroot_apt import AptRoot, debian_main, debian_security
from test_patch_level_cache import cache_dir, damage_digests, evidence, real_root


def digest(config):
    return cache_dir(config, "dpkg-status") / "status"


def same(a, b):
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def fixture_root(tmp_path):
    root = AptRoot(tmp_path / "root")
    root.install("openssl", "3.0.11-1~deb12u1")
    root.install("bash", "5.2.15-2+b2")
    root.install("vim", "2:9.0.1378-2", want="hold")
    root.install("libc6", "2.36-9", arch="i386")
    root.install("tzdata", "2024a-0+deb12u1", arch="all")
    root.install("gone", "1.0", state="config-files")
    root.foreign = ["i386"]
    debian_main(root, [("openssl", "3.0.11-1~deb12u1"), ("bash", "5.2.15-2+b7"), ("vim", "2:9.0.1378-2+b1"),
                       ("libc6", "2.36-9+deb12u1", "i386"), ("tzdata", "2024b-0+deb12u1", "all"),
                       ("newpkg", "2.0")])
    debian_security(root, [("openssl", "3.0.15-1~deb12u1")], compression="gz")
    root.write()
    return root


def upgradable(ev):
    return {(u["package"], u["arch"], u["installed"], u["candidate"], u["held"]) for u in ev["upgradable_packages"]}


def cold_then_warm(vigie, config, root):
    cold = evidence(vigie, config, root)
    assert digest(config).is_file() and digest(config).stat().st_mode & 0o777 == 0o600
    stamp = digest(config).stat().st_mtime_ns
    warm = evidence(vigie, config, root)
    assert digest(config).stat().st_mtime_ns == stamp, "the warm run rewrote the digest"
    assert same(cold, warm) and same(cold, evidence(vigie, config, root, "--no-state"))
    return cold


def fix_crc(data):
    """The digest's CRC-32 (header offset 88, computed with the field zero) made right."""
    data = bytearray(data)
    data[88:92] = b"\0\0\0\0"
    data[88:92] = struct.pack("=I", zlib.crc32(bytes(data)))
    return bytes(data)


def test_warm_run_reads_the_digest(vigie, empty_config, tmp_path):
    root = fixture_root(tmp_path)
    ev = cold_then_warm(vigie, empty_config, root.path)
    assert ("bash", "amd64", "5.2.15-2+b2", "5.2.15-2+b7", False) in upgradable(ev)
    assert ("vim", "amd64", "2:9.0.1378-2", "2:9.0.1378-2+b1", True) in upgradable(ev)
    assert ("libc6", "i386", "2.36-9", "2.36-9+deb12u1", False) in upgradable(ev)
    assert ev["held"] == 1 and ev["native_arch"] == "amd64"
    # Proof that the status is not parsed: a version changed in the digest (same length,
    # CRC made right, key kept) is what the next run reports.
    data = digest(empty_config).read_bytes()
    assert data.count(b"5.2.15-2+b2") == 1
    digest(empty_config).write_bytes(fix_crc(data.replace(b"5.2.15-2+b2", b"5.2.15-2+b1")))
    ev = evidence(vigie, empty_config, root.path)
    assert ("bash", "amd64", "5.2.15-2+b1", "5.2.15-2+b7", False) in upgradable(ev)


def replace_like_dpkg(root):
    """What dpkg does: writes status-new, then renames it over the status."""
    status = root.path / "var/lib/dpkg/status"
    new = status.with_name("status-new")
    new.write_text(root._status())
    os.rename(new, status)


@pytest.mark.parametrize("how", ["rename", "in-place-same-size-and-mtime"])
def test_dpkg_change_rebuilds_the_digest(vigie, empty_config, tmp_path, how):
    root = fixture_root(tmp_path)
    cold_then_warm(vigie, empty_config, root.path)
    status = root.path / "var/lib/dpkg/status"
    before = digest(empty_config).read_bytes()
    if how == "rename":
        # dpkg installs a package and upgrades another.
        root.install("newpkg", "1.0")
        root.installed = [i for i in root.installed if i[0] != "bash"]
        root.install("bash", "5.2.15-2+b7")
        replace_like_dpkg(root)
        want_new = ("newpkg", "amd64", "1.0", "2.0", False)
    else:
        # The same bytes count, the same mtime (a tool that restores it): only the ctime
        # tells, and "+b2" → "+b5" keeps the size.
        st = status.stat()
        text = status.read_text()
        assert "Version: 5.2.15-2+b2\n" in text
        with open(status, "r+") as f:
            f.write(text.replace("Version: 5.2.15-2+b2\n", "Version: 5.2.15-2+b5\n"))
        os.utime(status, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert status.stat().st_size == st.st_size and status.stat().st_ino == st.st_ino
        assert status.stat().st_mtime_ns == st.st_mtime_ns
        want_new = ("bash", "amd64", "5.2.15-2+b5", "5.2.15-2+b7", False)
    ev = evidence(vigie, empty_config, root.path)
    assert want_new in upgradable(ev)
    assert same(ev, evidence(vigie, empty_config, root.path, "--no-state"))
    assert digest(empty_config).read_bytes() != before, "the digest was not rebuilt"
    # And the rebuilt digest serves the next run.
    stamp = digest(empty_config).stat().st_mtime_ns
    assert same(ev, evidence(vigie, empty_config, root.path))
    assert digest(empty_config).stat().st_mtime_ns == stamp


@pytest.mark.parametrize("damage", ["truncate", "empty", "flip", "garbage", "crafted-duplicate", "list-digest", "fifo"])
def test_damaged_digest_is_rebuilt(vigie, empty_config, tmp_path, damage):
    root = fixture_root(tmp_path)
    want = cold_then_warm(vigie, empty_config, root.path)
    path = digest(empty_config)
    if damage == "crafted-duplicate":
        # A valid file (CRC right) listing one package twice: refused as a whole.
        path.write_bytes(fix_crc(path.read_bytes().replace(b"bash", b"dpkg")))
    elif damage == "list-digest":
        # An apt list's digest put in its place: another name, another key.
        path.write_bytes(next(cache_dir(empty_config, "apt-index").iterdir()).read_bytes())
    elif damage == "fifo":
        # Not a file: not read (a FIFO would block), replaced.
        path.unlink()
        os.mkfifo(path)
    else:
        damage_digests(path.parent, damage)
    data = None if damage == "fifo" else path.read_bytes()
    got = evidence(vigie, empty_config, root.path)
    assert same(got, want)
    assert path.read_bytes() != data, "the digest was not rebuilt"
    stamp = path.stat().st_mtime_ns
    assert same(evidence(vigie, empty_config, root.path), want)
    assert path.stat().st_mtime_ns == stamp


def test_no_digest_without_dpkg_package(vigie, empty_config, tmp_path):
    """The native architecture comes from var/lib/dpkg/arch: the digest could not tell it
    back, so none is written, and results stay right."""
    root = fixture_root(tmp_path)
    status = root.path / "var/lib/dpkg/status"
    text = status.read_text()
    status.write_text(text.split("\n\n", 1)[1])
    assert "Package: dpkg\n" not in status.read_text()
    (root.path / "var/lib/dpkg/arch").write_text("amd64\ni386\n")
    ev = evidence(vigie, empty_config, root.path)
    assert not digest(empty_config).exists()
    assert ev["native_arch"] == "amd64" and same(ev, evidence(vigie, empty_config, root.path, "--no-state"))


def test_real_status_same_results(vigie, empty_config, tmp_path):
    root = real_root(tmp_path)
    ev = cold_then_warm(vigie, empty_config, root)
    assert ev["upgradable"] == len(ev["upgradable_packages"])
    assert Path(digest(empty_config)).stat().st_size < (root / "var/lib/dpkg/status").stat().st_size
