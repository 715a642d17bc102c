# SPDX-License-Identifier: MIT
"""The systemd-unit backup source over sd-bus, against a real dbus-daemon started here with
the fake_systemd1.py stand-in (see its docstring for why it is the only one)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from backup_util import check, source, write_config
from test_dlopen_missing import run_without

HERE = Path(__file__).resolve().parent
UNIT = "restic-backup.service"


@pytest.fixture
def bus(tmp_path):
    sock = tmp_path / "bus"
    address = f"unix:path={sock}"
    # A private bus with no service directories: nothing is auto-activated on it.
    config = tmp_path / "bus.conf"
    config.write_text(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>vigie-test</type><listen>{address}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow receive_sender="*"/><allow own="*"/></policy></busconfig>
""")
    daemon = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile",
                               "--print-address=1"], stdout=subprocess.PIPE, text=True)
    service = None
    try:
        assert daemon.stdout.readline().startswith("unix:")
        units = tmp_path / "units.json"
        units.write_text("{}")
        service = subprocess.Popen(["/usr/bin/python3", HERE / "fake_systemd1.py", address, units],
                                   stdout=subprocess.PIPE, text=True)
        assert service.stdout.readline().strip() == "ready"

        def set_unit(**props):
            units.write_text(json.dumps({UNIT: dict({"LoadState": "loaded"}, **props)}))

        yield {"DBUS_SYSTEM_BUS_ADDRESS": address}, set_unit
    finally:
        for p in (service, daemon):
            if p:
                p.kill()
                p.wait()


def usec(rfc3339):
    from datetime import datetime
    return int(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()) * 1_000_000


def test_systemd_unit_last_success(tmp_path, bus):
    env, set_unit = bus
    conf = write_config(tmp_path, f'[Backup "timer"]\nType=systemd\nUnit={UNIT}\n')
    set_unit(ActiveState="inactive", Result="success", ExecMainStatus=0,
             ExecMainExitTimestamp=usec("2026-11-28T02:00:00Z"), InactiveEnterTimestamp=usec("2026-11-28T02:00:01Z"))
    res, _ = check(conf, "2026-11-28T20:00:00Z", env=env)
    assert res["status"] == "pass", res
    s = source(res, "timer")
    assert s["newest"] == "2026-11-28T02:00:00Z" and s["unit"] == UNIT and s["type"] == "systemd"

    # the next run fails: systemd forgets the success, the check does not
    set_unit(ActiveState="failed", Result="exit-code", ExecMainStatus=1,
             ExecMainExitTimestamp=usec("2026-11-29T02:00:00Z"))
    res, _ = check(conf, "2026-11-29T20:00:00Z", env=env)
    s = source(res, "timer")
    assert res["status"] == "warn" and s["newest"] == "2026-11-28T02:00:00Z" and s["cached"], res
    assert "last run of restic-backup.service failed (Result=exit-code, exit status 1)" in s["error"]

    # without a remembered success: unknown
    (tmp_path / "state" / "state.json").unlink()
    res, _ = check(conf, "2026-11-29T20:00:00Z", env=env)
    assert res["status"] == "unknown" and "failed" in res["summary"], res


def test_systemd_unit_running_or_missing(tmp_path, bus):
    env, set_unit = bus
    conf = write_config(tmp_path, f'[Backup "timer"]\nType=systemd\nUnit={UNIT}\n')
    set_unit(ActiveState="activating", Result="success", ExecMainExitTimestamp=0)
    res, _ = check(conf, "2026-11-28T20:00:00Z", env=env)
    assert res["status"] == "unknown" and "activating" in res["summary"], res
    conf = write_config(tmp_path, '[Backup "timer"]\nType=systemd\nUnit=nosuch.service\n')
    res, _ = check(conf, "2026-11-28T20:00:00Z", env=env)
    assert res["status"] == "unknown" and "is not loaded (LoadState=not-found)" in res["summary"], res


def test_systemd_no_bus(tmp_path):
    conf = write_config(tmp_path, f'[Backup "timer"]\nType=systemd\nUnit={UNIT}\nTimeout=2s\n')
    res, _ = check(conf, "2026-11-28T20:00:00Z",
                   env={"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp_path}/nobus"})
    assert res["status"] == "unknown" and "cannot" in res["summary"], res


def test_systemd_without_libsystemd_names_the_package(tmp_path):
    """`vigie` loads libsystemd only when this source asks systemd (agent/checks/sd-bus-dl.h):
    without it, the source says which library and which package, and `vigie` still starts."""
    conf = write_config(tmp_path, f'[Backup "timer"]\nType=systemd\nUnit={UNIT}\nTimeout=2s\n')
    r = run_without("libsystemd.so.0", "check", "--config", str(conf), "--json", "--only", "backup")
    assert r.returncode in (0, 1), r
    res = json.loads(r.stdout)["checks"][0]
    s = source(res, "timer")
    assert res["status"] == "unknown", res
    assert "cannot load libsystemd.so.0" in s["error"], s
    assert "install the package libsystemd0 (Debian, Ubuntu) or systemd-libs (Fedora, RHEL)" in s["error"], s
