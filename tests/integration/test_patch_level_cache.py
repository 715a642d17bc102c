# SPDX-License-Identifier: MIT
"""The apt list digests in STATE_DIR/cache/apt-index and their installed packages' part in
STATE_DIR/cache/apt-installed: results with and without them are identical (fixtures and
this machine's real lists), a changed list or dpkg status is read again, and a damaged
digest is ignored and rebuilt."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from patch_util import run_check  # noqa: I001 (sets sys.path)
from mkroot_apt import NOW, AptRoot, debian_main, debian_security

LISTS = Path("/var/lib/apt/lists")


def evidence(vigie, config, root, *extra, keep_result=False):
    """The check's evidence, first_seen times aside (they depend on the state file). The
    result kept from the run before (STATE_DIR/cache/apt-result, test_patch_level_result.py)
    is removed first unless keep_result: the digests beneath it are what this file tests."""
    if not keep_result:
        (cache_dir(config).parent / "apt-result").unlink(missing_ok=True)
    r = vigie("check", "--config", config, "--json", "--root", root, "--only", "patch_level", *extra,
              env={"VIGIE_NOW": str(NOW)})
    assert r.returncode in (0, 1), r
    c = r.json()["checks"][0]
    assert c["status"] in ("pass", "warn", "fail"), c
    ev = c["evidence"]
    for u in ev["security_updates"]:
        u.pop("first_seen")
    return ev


def cache_dir(config, part="apt-index"):
    state = next(line.split("=", 1)[1] for line in Path(config).read_text().splitlines()
                 if line.startswith("StateDirectory="))
    return Path(state) / "cache" / part


def stamps(config):
    """Every digest of both parts, by part and name, with its mtime."""
    return {(part, p.name): p.stat().st_mtime_ns
            for part in ("apt-index", "apt-installed") for p in cache_dir(config, part).iterdir()}


def cold_warm_none(vigie, config, root):
    """Evidence without a digest (cold, then warm) and with none at all (--no-state): all
    equal. Returns it."""
    shutil.rmtree(cache_dir(config).parent, ignore_errors=True)
    cold = evidence(vigie, config, root)
    for part in ("apt-index", "apt-installed"):
        digests = sorted(p.name for p in cache_dir(config, part).iterdir())
        assert digests, f"no digest written in {part}"
    before = stamps(config)
    warm = evidence(vigie, config, root)
    # Warm: read, not rewritten.
    assert before == stamps(config)
    none = evidence(vigie, config, root, "--no-state")
    assert json.dumps(cold, sort_keys=True) == json.dumps(warm, sort_keys=True)
    assert json.dumps(cold, sort_keys=True) == json.dumps(none, sort_keys=True)
    return cold


def fixture_root(tmp_path):
    root = AptRoot(tmp_path / "root")
    root.install("openssl", "3.0.11-1~deb12u1")
    root.install("bash", "5.2.15-2+b2")
    root.install("libc6", "2.36-9", arch="i386")
    root.install("firefox-esr", "115.0")
    root.foreign = ["i386"]
    debian_main(root, [("openssl", "3.0.11-1~deb12u1"), ("bash", "5.2.15-2+b7"), ("libc6", "2.36-9+deb12u1", "i386"),
                       ("firefox-esr", "128.0", "amd64", "Phased-Update-Percentage: 30\n"), ("notinstalled", "1.0")],
                compression="lz4")
    debian_security(root, [("openssl", "3.0.15-1~deb12u1")], compression="gz")
    root.write()
    return root


def test_fixture_same_results_and_invalidation(vigie, empty_config, tmp_path):
    root = fixture_root(tmp_path)
    ev = cold_warm_none(vigie, empty_config, root.path)
    assert ev["upgradable"] == 4 and ev["security"] == 1
    assert {u["package"]: u.get("phased_percentage") for u in ev["upgradable_packages"]}["firefox-esr"] == 30
    assert {(u["package"], u["candidate"]) for u in ev["security_updates"]} == {("openssl", "3.0.15-1~deb12u1")}
    cache = cache_dir(empty_config)
    for part in ("apt-index", "apt-installed"):
        assert {p.name for p in cache_dir(empty_config, part).iterdir()} == \
            {root.packages_path(r).name for r in root.repos}
        for p in cache_dir(empty_config, part).iterdir():
            assert p.stat().st_mode & 0o777 == 0o600

    # dpkg installs a package whose upgrade is in the lists: the installed packages' part
    # is stale and rebuilt from the lists' digests, which are not rewritten.
    before = stamps(empty_config)
    root.install("notinstalled", "0.9")
    root.write()
    ev1 = evidence(vigie, empty_config, root.path)
    assert ("notinstalled", "1.0") in {(u["package"], u["candidate"]) for u in ev1["upgradable_packages"]}
    assert json.dumps(ev1, sort_keys=True) == json.dumps(evidence(vigie, empty_config, root.path, "--no-state"),
                                                         sort_keys=True)
    after = stamps(empty_config)
    assert {k for k in after if after[k] != before[k]} == {("apt-installed", k[1]) for k in before}

    # apt update brings a newer security fix (same list name, same mtime second as before:
    # the size and inode change), then only a touch of the same content.
    sec = root.repos[1]
    sec.packages = [("openssl", "3.0.16-1~deb12u1")]
    root.write()
    ev2 = evidence(vigie, empty_config, root.path)
    assert {(u["package"], u["candidate"]) for u in ev2["security_updates"]} == {("openssl", "3.0.16-1~deb12u1")}
    assert json.dumps(ev2, sort_keys=True) == json.dumps(evidence(vigie, empty_config, root.path, "--no-state"),
                                                         sort_keys=True)
    # Rewritten in place with the same size, only the mtime differs: read again.
    path = root.packages_path(root.repos[0])
    data = path.read_bytes()
    root.repos[0].packages = [("openssl", "3.0.11-1~deb12u1"), ("bash", "5.2.15-2+b9"),
                              ("libc6", "2.36-9+deb12u1", "i386"),
                              ("firefox-esr", "128.0", "amd64", "Phased-Update-Percentage: 30\n"),
                              ("notinstalled", "1.0")]
    plain = root._packages(root.repos[0]).encode()
    new = subprocess.run(["lz4", "-q", "-c"], input=plain, capture_output=True, check=True).stdout
    assert len(new) == len(data)
    st = path.stat()
    with open(path, "r+b") as f:
        f.write(new)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    ev3 = evidence(vigie, empty_config, root.path)
    assert ("bash", "5.2.15-2+b9") in {(u["package"], u["candidate"]) for u in ev3["upgradable_packages"]}
    # Rewritten in place again, same size, and its mtime put back as it was (a restore,
    # `touch -r`): only the ctime, which the kernel alone sets, tells.
    st = path.stat()
    root.repos[0].packages[1] = ("bash", "5.2.15-2+b8")
    plain = root._packages(root.repos[0]).encode()
    new = subprocess.run(["lz4", "-q", "-c"], input=plain, capture_output=True, check=True).stdout
    assert len(new) == st.st_size
    with open(path, "r+b") as f:
        f.write(new)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns, path.stat().st_ino) == (st.st_size, st.st_mtime_ns, st.st_ino)
    ev3 = evidence(vigie, empty_config, root.path)
    assert ("bash", "5.2.15-2+b8") in {(u["package"], u["candidate"]) for u in ev3["upgradable_packages"]}

    # A list that is gone takes its digest with it.
    root.packages_path(sec).unlink()
    (root.lists_dir() / f"{sec.prefix}_InRelease").unlink()
    ev4 = evidence(vigie, empty_config, root.path)
    assert ev4["security"] == 0
    assert root.packages_path(sec).name not in {p.name for p in cache.iterdir()}
    assert root.packages_path(sec).name not in {p.name for p in cache_dir(empty_config, "apt-installed").iterdir()}


@pytest.mark.parametrize("part", ["apt-index", "apt-installed", "both"])
@pytest.mark.parametrize("damage", ["truncate", "empty", "flip", "garbage", "other-list", "fifo"])
def test_damaged_digest_is_ignored(vigie, empty_config, tmp_path, damage, part):
    root = fixture_root(tmp_path)
    want = cold_warm_none(vigie, empty_config, root.path)
    if part == "apt-index":
        # Only the lists' digests damaged: without the installed part, a run reads them.
        shutil.rmtree(cache_dir(empty_config, "apt-installed"))
    for d in (("apt-index", "apt-installed") if part == "both" else (part,)):
        damage_digests(cache_dir(empty_config, d), damage)
    got = evidence(vigie, empty_config, root.path)
    assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True)
    # Rebuilt: the next run reads good digests again.
    before = stamps(empty_config)
    assert json.dumps(evidence(vigie, empty_config, root.path), sort_keys=True) == json.dumps(want, sort_keys=True)
    assert before == stamps(empty_config)


def damage_digests(cache, damage):
    digests = sorted(cache.iterdir())
    for p in digests:
        if damage == "fifo":  # not a file: not read (a FIFO would block), replaced
            p.unlink()
            os.mkfifo(p)
            continue
        data = bytearray(p.read_bytes())
        if damage == "truncate":
            data = data[: len(data) // 2]
        elif damage == "empty":
            data = b""
        elif damage == "flip":
            for i in range(0, len(data), 7):
                data[i] ^= 0x5A
        elif damage == "garbage":
            data = os.urandom(len(data))
        else:  # the other list's digest under this name (swapped)
            data = digests[0].read_bytes() if p != digests[0] else digests[1].read_bytes()
        p.write_bytes(bytes(data))


def test_no_writable_state_dir_no_cache(vigie, tmp_path):
    root = fixture_root(tmp_path)
    conf = tmp_path / "agent.conf"
    conf.write_text(f"[Agent]\nStateDirectory={tmp_path / 'missing'}\n")
    r = vigie("check", "--config", conf, "--json", "--root", root.path, "--only", "patch_level",
              "--state", tmp_path / "s.json", env={"VIGIE_NOW": str(NOW)})
    assert r.returncode in (0, 1), r
    assert not (tmp_path / "missing").exists()


def real_root(tmp_path):
    """A copy of this machine's package state (lists, dpkg status, apt configuration):
    apt update in another test cannot change it between our runs."""
    if not Path("/var/lib/dpkg/status").exists() or not list(LISTS.glob("*_Packages*")):
        pytest.skip("no dpkg status or apt lists on this machine")
    root = tmp_path / "real"
    for d in ("etc/apt", "var/lib/apt/lists", "var/lib/dpkg"):
        (root / d).parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree("/etc/apt", root / "etc/apt", symlinks=True, ignore_dangling_symlinks=True,
                    ignore=shutil.ignore_patterns("trusted.gpg*", "keyrings"))
    shutil.copytree(LISTS, root / "var/lib/apt/lists", ignore=shutil.ignore_patterns("partial", "lock", "auxfiles"))
    (root / "var/lib/dpkg").mkdir(parents=True, exist_ok=True)
    shutil.copy2("/var/lib/dpkg/status", root / "var/lib/dpkg/status")
    if Path("/var/lib/dpkg/arch").exists():
        shutil.copy2("/var/lib/dpkg/arch", root / "var/lib/dpkg/arch")
    shutil.copy2("/etc/os-release", root / "etc/os-release")
    return root


def test_real_lists_same_results(vigie, empty_config, tmp_path):
    root = real_root(tmp_path)
    ev = cold_warm_none(vigie, empty_config, root)
    assert ev["upgradable"] == len(ev["upgradable_packages"])
    # And on the live system, as the agent runs it (retried if apt update ran meanwhile).
    for _ in range(3):
        before = sorted((p.name, p.stat().st_mtime_ns) for p in LISTS.iterdir())
        shutil.rmtree(cache_dir(empty_config).parent, ignore_errors=True)
        runs = [evidence(vigie, empty_config, "/"), evidence(vigie, empty_config, "/"),
                evidence(vigie, empty_config, "/", "--no-state")]
        if before == sorted((p.name, p.stat().st_mtime_ns) for p in LISTS.iterdir()):
            break
    assert json.dumps(runs[0], sort_keys=True) == json.dumps(runs[1], sort_keys=True)
    assert json.dumps(runs[0], sort_keys=True) == json.dumps(runs[2], sort_keys=True)
