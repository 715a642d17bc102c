# SPDX-License-Identifier: MIT
"""disk_encryption on generated sysroots with real cryptsetup-written LUKS headers."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import FIXTURES, SANITIZE, binary, run

sys.path.insert(0, str(FIXTURES))
import mkroot_disk  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("cryptsetup") is None, reason="cryptsetup is not installed")


@pytest.fixture
def tmp_path():
    """Our own temp dir: pytest prunes old /tmp/pytest-of-USER/pytest-N directories when a
    new session starts, and other sessions run on this machine at the same time."""
    d = Path(tempfile.mkdtemp(prefix="vigie-disk-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def check(root, policy=None, tmp=None):
    """The disk_encryption result. Tests print it whole (json.dumps) when its status is not
    the one expected: pytest cuts a dict's repr, and with it the reason."""
    args = ["check", "--json", "--root", root, "--only", "disk_encryption", "--no-state"]
    if policy is not None:
        pol = tmp / "policy.json"
        pol.write_text(json.dumps({"checks": {"disk_encryption": policy}}))
        args += ["--policy", pol]
    r = run("vigie", *args)
    assert r.returncode in (0, 1), r
    doc = r.json()
    assert doc["compliant"] == (r.returncode == 0)
    (res,) = doc["checks"]
    assert res["id"] == "disk_encryption"
    return res


def layout(name, tmp_path):
    return mkroot_disk.build(name, tmp_path / name)


def mount(res, name):
    for m in res["evidence"]["mounts"]:
        if m["mount"] == name:
            return m
    raise AssertionError(f"no evidence for {name}: {res['evidence']['mounts']}")


def crypt_nodes(stack):
    if stack.get("type") == "crypt":
        yield stack
    for c in stack.get("below", []):
        yield from crypt_nodes(c)


def test_plain_ext4_fails(tmp_path):
    res = check(layout("plain_ext4", tmp_path))
    assert res["status"] == "fail"
    assert res["summary"].startswith("/ and /home are not encrypted: ext4 on sda3 (partition) → sda (disk)")
    root = mount(res, "/")
    assert root["verdict"] == "not_encrypted" and root["source"] == "/dev/sda3"
    assert root["stack"]["type"] == "partition" and root["stack"]["below"][0]["name"] == "sda"
    assert "reinstall with disk encryption" in res["remediation"]


def test_luks2_root_and_luks_swap_pass(tmp_path):
    res = check(layout("luks2_root_luks_swap", tmp_path))
    assert res["status"] == "pass", json.dumps(res, indent=1)
    assert res["summary"] == "/, /home and swap are on LUKS2 (aes-xts-plain64, 512-bit, argon2id)"
    assert res["remediation"] is None
    swap = mount(res, "swap")
    assert swap["swap"] == "/dev/dm-1" and swap["verdict"] == "encrypted"
    (c,) = crypt_nodes(swap["stack"])
    assert c["header_device"] == "/dev/nvme0n1p4"
    luks = c["luks"]
    assert luks["version"] == 2 and luks["cipher"] == "aes-xts-plain64" and luks["key_bits"] == 512
    assert luks["header_used"] == "primary" and luks["secondary_header_error"] is None
    (slot,) = luks["keyslots"]
    assert slot["pbkdf"] == "argon2id" and slot["time_cost"] == 4 and slot["memory_kib"] == 32


def test_lvm_on_luks_with_home(tmp_path):
    res = check(layout("lvm_on_luks", tmp_path))
    assert res["status"] == "pass", json.dumps(res, indent=1)
    home = mount(res, "/home")
    assert home["mounted_at"] == "/home" and home["source"] == "/dev/mapper/vg-home"
    assert home["chain"] == "dm-2 (LVM vg-home) → dm-0 (LUKS2 nvme0n1p3_crypt)"
    assert home["stack"]["dm_uuid"].startswith("LVM-")


def test_two_pv_one_plain_fails(tmp_path):
    res = check(layout("two_pv_one_plain", tmp_path))
    assert res["status"] == "fail"
    root = mount(res, "/")
    assert root["chain"] == "dm-1 (LVM vg-root) → sdb1 (partition) → sdb (disk)"
    verdicts = {c["name"]: c["verdict"] for c in root["stack"]["below"]}
    assert verdicts == {"dm-0": "encrypted", "sdb1": "not_encrypted"}


def test_btrfs_on_luks2_passes(tmp_path):
    res = check(layout("btrfs_luks2", tmp_path))
    assert res["status"] == "pass", json.dumps(res, indent=1)
    root = mount(res, "/")
    assert root["fstype"] == "btrfs" and root["stack"]["type"] == "btrfs"
    assert mount(res, "/home")["verdict"] == "encrypted"


def test_btrfs_multi_device_one_plain_fails(tmp_path):
    res = check(layout("btrfs_multi_one_plain", tmp_path))
    assert res["status"] == "fail"
    below = mount(res, "/")["stack"]["below"]
    assert sorted((b["name"], b["verdict"]) for b in below) == [("dm-0", "encrypted"), ("sdb", "not_encrypted")]


def test_zram_and_plain_swap_fails(tmp_path):
    res = check(layout("zram_and_plain_swap", tmp_path))
    assert res["status"] == "fail"
    assert mount(res, "swap /dev/zram0")["verdict"] == "not_needed"
    plain = mount(res, "swap /dev/sda4")
    assert plain["verdict"] == "not_encrypted" and plain["status"] == "fail"
    assert "swap /dev/sda4 is not encrypted" in res["summary"]
    assert "zram" in res["remediation"]


def test_luks1_with_policy_luks2_fails_and_says_why(tmp_path):
    root = layout("luks1_root", tmp_path)
    res = check(root, {"min_luks_version": 2, "pbkdf": []}, tmp_path)
    assert res["status"] == "fail"
    assert "/dev/sda3 is LUKS1; the policy requires LUKS2" in res["summary"]
    assert "cryptsetup convert --type luks2 /dev/sda3" in res["remediation"]
    (c,) = crypt_nodes(mount(res, "/")["stack"])
    assert c["crypt"] == "LUKS1" and c["luks"]["version"] == 1
    assert c["luks"]["keyslots"][0] == {"id": 0, "type": "luks1", "pbkdf": "pbkdf2", "hash": "sha256",
                                        "iterations": 1000, "key_bits": 512}
    # the same disk is fine for a policy that accepts LUKS1 and pbkdf2
    res = check(root, {"min_luks_version": 1, "pbkdf": ["pbkdf2"]}, tmp_path)
    assert res["status"] == "pass", json.dumps(res, indent=1)


def test_aes_cbc_essiv_against_cipher_policy_fails(tmp_path):
    res = check(layout("aes_cbc_essiv", tmp_path),
                {"ciphers": ["aes-xts-plain64"], "min_key_bits": 0, "pbkdf": []}, tmp_path)
    assert res["status"] == "fail"
    assert "/dev/sda3 uses cipher aes-cbc-essiv:sha256; the policy allows aes-xts-plain64" in res["summary"]
    assert mount(res, "/")["problems"] == [
        "/dev/sda3 uses cipher aes-cbc-essiv:sha256; the policy allows aes-xts-plain64"]


def test_key_size_and_other_cipher_policy(tmp_path):
    root = layout("aes_xts_256", tmp_path)
    res = check(root, tmp=tmp_path)
    assert res["status"] == "fail"
    assert "uses a 256-bit key; the policy requires at least 512 bits" in res["summary"]
    assert check(root, {"min_key_bits": 256}, tmp_path)["status"] == "pass"


def test_tpm2_token_reported(tmp_path):
    res = check(layout("tpm2_token", tmp_path))
    assert res["status"] == "pass", json.dumps(res, indent=1)
    assert "systemd-tpm2" in res["summary"]
    (c,) = crypt_nodes(mount(res, "/")["stack"])
    assert c["luks"]["tokens"] == [{"id": 0, "type": "systemd-tpm2", "keyslots": ["0"]}]
    assert c["luks"]["label"] == "laptop"


def test_damaged_primary_uses_secondary_and_says_so(tmp_path):
    res = check(layout("damaged_primary", tmp_path))
    assert res["status"] == "pass", json.dumps(res, indent=1)
    (c,) = crypt_nodes(mount(res, "/")["stack"])
    assert c["luks"]["header_used"] == "secondary"
    assert c["luks"]["primary_header_error"] == "no LUKS2 magic at offset 0"
    assert c["luks"]["cipher"] == "aes-xts-plain64"
    assert "primary LUKS header of /dev/sda3 is damaged" in res["summary"]
    assert "cryptsetup repair /dev/sda3" in res["remediation"]


@pytest.mark.parametrize("name,reason", [
    ("garbage_header", "no LUKS2 magic at offset 0"),
    ("truncated_header", "truncated: 5000 of 16384 header bytes at offset 0"),
])
def test_garbage_or_truncated_header_is_unknown_with_reason(tmp_path, name, reason):
    res = check(layout(name, tmp_path))
    assert res["status"] == "unknown"
    root = mount(res, "/")
    assert root["verdict"] == "encrypted"  # the dm uuid still says dm-crypt
    (c,) = crypt_nodes(root["stack"])
    assert c["luks"] == "unknown" and reason in c["luks_error"]
    assert reason in res["summary"]
    # with no header requirement the dm uuid is enough
    res = check(layout(name, tmp_path / "b"), {"ciphers": [], "min_key_bits": 0, "pbkdf": []}, tmp_path)
    assert res["status"] == "pass"


def test_header_of_another_volume_is_not_trusted(tmp_path):
    res = check(layout("header_uuid_mismatch", tmp_path))
    assert res["status"] == "unknown"
    (c,) = crypt_nodes(mount(res, "/")["stack"])
    assert c["luks"] == "unknown"
    assert "which is not the one the active mapping was opened with" in c["luks_error"]


def test_encrypted_loop_file_on_plain_disk_fails(tmp_path):
    res = check(layout("loop_luks_on_plain", tmp_path))
    assert res["status"] == "fail"
    assert mount(res, "/")["verdict"] == "not_encrypted"
    home = mount(res, "/home")
    # /home's data is encrypted, in a container file that lives on the plain root
    assert home["verdict"] == "encrypted"
    (top, *below) = list(crypt_nodes(home["stack"]))
    assert top["header_device"] == "/dev/loop0" and below == []
    loop = top["below"][0]
    assert loop["type"] == "loop"
    f = loop["below"][0]
    assert f == {**f, "type": "file", "name": "/var/lib/home.img", "on_mount": "/", "verdict": "not_encrypted"}
    assert res["summary"].startswith("/ is not encrypted")


def test_swap_file_on_encrypted_root(tmp_path):
    res = check(layout("swapfile_on_luks_root", tmp_path))
    assert res["status"] == "pass", json.dumps(res, indent=1)
    swap = mount(res, "swap")
    assert swap["swap_type"] == "file" and swap["stack"]["type"] == "file"
    assert swap["stack"]["on_mount"] == "/"
    res = check(layout("swapfile_with_space", tmp_path))
    assert mount(res, "swap")["swap"] == "/swap file" and res["status"] == "pass"


def test_md_raid1_of_two_luks(tmp_path):
    res = check(layout("md_raid1_luks", tmp_path))
    assert res["status"] == "pass", json.dumps(res, indent=1)
    root = mount(res, "/")
    assert root["stack"]["type"] == "md" and root["stack"]["level"] == "raid1"
    assert [c["header_device"] for c in crypt_nodes(root["stack"])] == ["/dev/sda1", "/dev/sdb1"]


def test_luks2_with_integrity_reads_the_header_under_both(tmp_path):
    res = check(layout("luks2_integrity", tmp_path))
    assert res["status"] == "pass", json.dumps(res, indent=1)
    (c,) = crypt_nodes(mount(res, "/")["stack"])
    assert c["header_device"] == "/dev/sda3"
    assert c["below"][0]["type"] == "dm" and c["below"][0]["dm_uuid"].startswith("CRYPT-SUBDEV-")


def test_detached_header_from_crypttab(tmp_path):
    root = layout("detached_header", tmp_path)
    res = check(root)
    assert res["status"] == "pass", json.dumps(res, indent=1)
    (c,) = crypt_nodes(mount(res, "/")["stack"])
    assert c["header_device"] == "/boot/sda3-header.img" and c["luks"]["version"] == 2
    (root / "etc/crypttab").unlink()
    res = check(root)
    assert res["status"] == "unknown" and "detached header?" in res["summary"]


def test_plain_dmcrypt_policy_min_luks_version(tmp_path):
    root = layout("plain_dmcrypt", tmp_path)
    lax = {"min_luks_version": 0, "ciphers": [], "min_key_bits": 0, "pbkdf": []}
    res = check(root, lax, tmp_path)
    assert res["status"] == "pass", json.dumps(res, indent=1)
    assert res["summary"].startswith("/ and /home are on plain dm-crypt")
    res = check(root, {**lax, "min_luks_version": 2}, tmp_path)
    assert res["status"] == "fail"
    assert "/dev/mapper/cryptroot uses plain dm-crypt (no LUKS header); the policy requires LUKS2" in res["summary"]


def test_tmpfs_and_zram_need_nothing(tmp_path):
    res = check(layout("tmpfs_home", tmp_path))
    assert res["status"] == "pass"
    assert mount(res, "/home")["verdict"] == "not_needed"
    res = check(layout("laptop", tmp_path))
    assert res["status"] == "pass"
    assert res["summary"].endswith("swap is zram (RAM, needs no encryption)")


def test_zram_writeback_to_plain_disk_fails(tmp_path):
    res = check(layout("zram_writeback_plain", tmp_path))
    assert res["status"] == "fail"
    swap = mount(res, "swap")
    assert swap["verdict"] == "not_encrypted"
    assert swap["chain"] == "zram0 (compressed RAM) → sda4 (partition) → sda (disk)"


def test_home_as_a_link_is_checked_where_it_leads(tmp_path):
    res = check(layout("home_symlink", tmp_path))
    assert res["status"] == "fail"
    home = mount(res, "/home")
    assert home["mounted_at"] == "/var/home" and home["verdict"] == "not_encrypted"
    assert mount(res, "/")["verdict"] == "encrypted"


def test_container_overlay_root_is_unknown(tmp_path):
    res = check(layout("container_overlay", tmp_path))
    assert res["status"] == "unknown"
    assert res["summary"].startswith('/ and /home are not checkable: overlay layer "/var/lib/docker/overlay2/l/ABC" '
                                     'is not visible here')
    stack = mount(res, "/")["stack"]
    assert stack["type"] == "overlay" and stack["verdict"] == "unknown"
    assert [b["type"] for b in stack["below"]] == ["unresolved"] * 3
    assert res["remediation"].count("Vigie could not follow how / is stored") == 1


def test_policy_mounts_knob(tmp_path):
    root = layout("loop_luks_on_plain", tmp_path)
    res = check(root, {"mounts": ["/home"]}, tmp_path)
    assert res["status"] == "pass" and [m["mount"] for m in res["evidence"]["mounts"]] == ["/home"]
    res = check(root, {"mounts": ["/", "swap"]}, tmp_path)
    assert [m["mount"] for m in res["evidence"]["mounts"]] == ["/", "swap"]
    assert "swap is not in use" in res["summary"]


def test_unreadable_header_is_unknown_not_a_guess(request):
    """Without read permission the verdict comes from the dm uuid; header fields are unknown."""
    # pytest's tmp dirs are private to root: this one must be open to "nobody"
    top = Path(tempfile.mkdtemp(prefix="vigie-perm-"))
    request.addfinalizer(lambda: shutil.rmtree(top, ignore_errors=True))
    top.chmod(0o755)
    root = layout("tpm2_token", top)
    (root / "dev/sda3").chmod(0o600)
    argv = [binary("vigie"), "check", "--json", "--root", str(root), "--only", "disk_encryption", "--no-state"]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv is needed to drop root")
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + argv
    p = subprocess.run(argv, capture_output=True, text=True, env={"PATH": os.environ["PATH"], "LANG": "C.UTF-8"})
    res = json.loads(p.stdout)["checks"][0]
    assert res["status"] == "unknown", json.dumps(res, indent=1)
    assert "permission denied (needs root)" in res["summary"]
    assert "sudo vigie check" in res["remediation"]
    (c,) = crypt_nodes(mount(res, "/")["stack"])
    assert c["verdict"] == "encrypted" and c["luks"] == "unknown"


def test_random_key_swap_is_encrypted_without_luks_rules(tmp_path):
    """crypttab: key file /dev/urandom, option swap — the textbook encrypted swap. It has no
    header and no PBKDF by design: only the cipher and key size rules apply to it."""
    res = check(layout("random_key_swap", tmp_path))
    assert res["status"] == "pass", json.dumps(res, indent=1)
    swap = mount(res, "swap")
    assert swap["verdict"] == "encrypted" and swap["rule"] == "random_key"
    assert mount(res, "/")["rule"] == "unlocked_volume"
    assert "swap is on plain dm-crypt with a new random key at each boot (aes-xts-plain64, 512-bit)" in res["summary"]
    # the same mapping without a random key in crypttab is held to every rule
    (Path(layout("random_key_swap", tmp_path / "keyed")) / "etc/crypttab").write_text(
        "cryptswap /dev/sdb2 /etc/keys/swap.key swap,cipher=aes-xts-plain64,size=512\n")
    res = check(tmp_path / "keyed" / "random_key_swap")
    assert res["status"] == "fail"
    assert "/dev/mapper/cryptswap uses plain dm-crypt (no LUKS header); the policy requires LUKS2" in res["summary"]
    assert mount(res, "swap")["rule"] == "unlocked_volume"


def test_random_key_swap_is_held_to_cipher_and_key_size(tmp_path):
    res = check(layout("random_key_swap_defaults", tmp_path))
    assert res["status"] == "fail", json.dumps(res, indent=1)
    assert ("/dev/mapper/cryptswap uses cipher aes-cbc-essiv:sha256 (/etc/crypttab, cryptsetup's default); "
            "the policy allows aes-xts-plain64") in res["summary"]
    assert "uses a 256-bit key (/etc/crypttab, cryptsetup's default)" in res["summary"]
    assert "LUKS" not in " ".join(mount(res, "swap")["problems"]) and "PBKDF" not in res["summary"]
    assert 'Add "cipher=aes-xts-plain64,size=512" to the options of the line of /dev/mapper/cryptswap' in res["remediation"]
    lax = {"ciphers": [], "min_key_bits": 0}
    assert check(layout("random_key_swap_defaults", tmp_path / "lax"), lax, tmp_path)["status"] == "pass"


EVIDENCE_KEYS = {"mount", "status", "verdict", "reason", "rule", "chain", "problems", "unknowns", "notes", "stack"}


@pytest.mark.parametrize("name", ["laptop", "plain_ext4", "container_overlay", "zram_and_plain_swap",
                                  "garbage_header", "chroot"])
def test_every_mount_has_one_evidence_shape(tmp_path, name):
    """Whatever the verdict, each mount's evidence has the same keys; a mount the check cannot
    place (a chroot: no mount holds /) is "unknown" with its reason, never a crash."""
    if name == "chroot":
        root = layout("plain_ext4", tmp_path)
        info = root / "proc/self/mountinfo"
        info.write_text("".join(l for l in info.read_text().splitlines(True) if " / / " not in l))
    else:
        root = layout(name, tmp_path)
    res = check(root)
    for m in res["evidence"]["mounts"]:
        assert EVIDENCE_KEYS <= set(m), m
        assert set(m) - EVIDENCE_KEYS in ({"mounted_at", "source", "fstype"}, {"swap", "swap_type"}), m
        assert m["verdict"] in ("encrypted", "not_encrypted", "not_needed", "unknown")
        if m["verdict"] == "unknown":
            assert m["reason"], m
    if name == "chroot":
        m = mount(res, "/")
        assert res["status"] == "unknown" and m["verdict"] == "unknown"
        assert m["reason"] == "/: no mount holds this path" and m["stack"] is None and m["mounted_at"] is None


def test_this_machine_gives_an_answer():
    r = run("vigie", "check", "--json", "--only", "disk_encryption", "--no-state")
    assert r.returncode in (0, 1), r
    res = r.json()["checks"][0]
    assert res["status"] in ("pass", "fail", "unknown") and res["summary"]
    assert mount(res, "/")["verdict"] in ("encrypted", "not_encrypted", "not_needed", "unknown")


@pytest.mark.skipif(SANITIZE, reason="the sanitizer build runs under ASan, not valgrind")
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_valgrind_clean_on_a_fixture(tmp_path):
    root = layout("ubuntu_laptop_big", tmp_path)
    damaged = layout("damaged_primary", tmp_path)
    for r in (root, damaged):
        p = subprocess.run(["valgrind", "--error-exitcode=99", "--leak-check=full", "--errors-for-leak-kinds=definite",
                            "-q", binary("vigie"), "check", "--json", "--root", str(r), "--only", "disk_encryption",
                            "--no-state"], capture_output=True, text=True, env={"PATH": os.environ["PATH"]})
        assert p.returncode in (0, 1), p.stderr
        assert json.loads(p.stdout)["checks"][0]["status"] == "pass"
