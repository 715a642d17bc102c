# SPDX-License-Identifier: MIT
"""secure_boot on fixture roots: efivarfs files as the kernel shows them (4 attribute bytes,
little-endian, then the value), legacy BIOS, setup mode, and the kernel's lockdown file."""
import json

import pytest

GUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
# EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS, as firmware sets them on
# SecureBoot and SetupMode.
ATTRS = (0x6).to_bytes(4, "little")


def make_root(tmp_path, secure_boot=None, setup_mode=None, lockdown=None, uefi=True, efivarfs=True,
              raw=None):
    root = tmp_path / "root"
    efi = root / "sys" / "firmware" / "efi"
    if uefi:
        efi.mkdir(parents=True)
    if uefi and efivarfs:
        d = efi / "efivars"
        d.mkdir()
        for name, v in (("SecureBoot", secure_boot), ("SetupMode", setup_mode)):
            if v is not None:
                (d / f"{name}-{GUID}").write_bytes(ATTRS + bytes([int(v)]))
        for name, data in (raw or {}).items():
            (d / f"{name}-{GUID}").write_bytes(data)
        # other variables are there too on real firmware
        (d / f"Boot0000-{GUID}").write_bytes((0x7).to_bytes(4, "little") + b"\x01\x00\x00\x00")
    if lockdown is not None:
        sec = root / "sys" / "kernel" / "security"
        sec.mkdir(parents=True)
        (sec / "lockdown").write_text(lockdown)
    (root / "etc").mkdir(parents=True, exist_ok=True)
    return root


def check(vigie, empty_config, tmp_path, root, policy=None):
    args = ["check", "--json", "--config", empty_config, "--no-state", "--only", "secure_boot", "--root", root]
    if policy is not None:
        p = tmp_path / "policy.json"
        p.write_text(json.dumps({"checks": {"secure_boot": policy}}))
        args += ["--policy", p]
    r = vigie(*args)
    assert r.returncode in (0, 1), r
    [res] = r.json()["checks"]
    assert res["id"] == "secure_boot" and res["title"] == "Secure Boot"
    return res


def test_on(vigie, empty_config, tmp_path):
    res = check(vigie, empty_config, tmp_path, make_root(tmp_path, 1, 0))
    assert res["status"] == "pass" and res["summary"] == "Secure Boot is on."
    assert res["evidence"] == {"boot_mode": "uefi", "lockdown": None, "secure_boot": True, "setup_mode": False}


def test_off(vigie, empty_config, tmp_path):
    res = check(vigie, empty_config, tmp_path, make_root(tmp_path, 0, 0))
    assert res["status"] == "fail" and res["summary"] == "Secure Boot is off."
    assert "firmware setup" in res["remediation"]


def test_setup_mode(vigie, empty_config, tmp_path):
    res = check(vigie, empty_config, tmp_path, make_root(tmp_path, 1, 1))
    assert res["status"] == "fail" and "setup mode" in res["summary"]
    assert res["evidence"]["setup_mode"] is True


def test_legacy_bios(vigie, empty_config, tmp_path):
    res = check(vigie, empty_config, tmp_path, make_root(tmp_path, uefi=False))
    assert res["status"] == "fail" and "legacy BIOS" in res["summary"]
    assert res["evidence"] == {"boot_mode": "legacy"}


def test_firmware_without_secure_boot(vigie, empty_config, tmp_path):
    res = check(vigie, empty_config, tmp_path, make_root(tmp_path))
    assert res["status"] == "fail" and res["summary"] == "The firmware does not offer Secure Boot."


def test_efivarfs_not_mounted_is_unknown(vigie, empty_config, tmp_path):
    res = check(vigie, empty_config, tmp_path, make_root(tmp_path, efivarfs=False))
    assert res["status"] == "unknown" and "efivarfs" in res["summary"]


@pytest.mark.parametrize("data", [ATTRS + b"\x02", ATTRS, ATTRS + b"\x01\x00", b""])
def test_malformed_variable_is_unknown(vigie, empty_config, tmp_path, data):
    res = check(vigie, empty_config, tmp_path, make_root(tmp_path, raw={"SecureBoot": data}))
    assert res["status"] == "unknown" and "unexpected size or value" in res["summary"], res


@pytest.mark.parametrize("text,mode,status", [
    ("none [integrity] confidentiality\n", "integrity", "pass"),
    ("none integrity [confidentiality]\n", "confidentiality", "pass"),
    ("[none] integrity confidentiality\n", "none", "fail"),
    (None, None, "fail"),
])
def test_require_lockdown(vigie, empty_config, tmp_path, text, mode, status):
    root = make_root(tmp_path, 1, 0, lockdown=text)
    res = check(vigie, empty_config, tmp_path, root, {"require_lockdown": True})
    assert res["status"] == status and res["evidence"]["lockdown"] == mode, res
    if status == "pass":
        assert res["summary"] == f"Secure Boot is on (kernel lockdown: {mode})."
    else:
        assert "lockdown" in res["remediation"]
    # Without the requirement the same laptop passes.
    assert check(vigie, empty_config, tmp_path, root)["status"] == "pass"


def test_not_required_by_default(vigie, empty_config, tmp_path):
    """A new check does not change anybody's verdict until the policy asks for it."""
    r = vigie("policy", "--default")
    assert r.json()["checks"]["secure_boot"] == {"required": False, "require_lockdown": False}
    root = make_root(tmp_path, 0, 0)
    args = ["check", "--json", "--config", empty_config, "--no-state", "--only", "secure_boot", "--root", root]
    r = vigie(*args)
    assert r.returncode == 0 and r.json()["compliant"] is True, r
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"checks": {"secure_boot": {"required": True}}}))
    r = vigie(*args, "--policy", policy)
    assert r.returncode == 1 and r.json()["compliant"] is False, r
