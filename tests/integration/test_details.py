# SPDX-License-Identifier: MIT
"""The details window and "Check again": the agent's org.vigie.Agent1.CheckNow on a system
bus that applies our policy file, and the whole desktop under Xvfb — a real session bus,
xfce4-panel as the tray host, dunst as the notification server, vigie-tray, vigie-details
and the real agent — driven with dunstctl and xdotool, with screenshots kept."""
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from agent_util import Agent, wait_for
from conftest import SRC

SYSTEM_BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={sock}</listen>
  <auth>EXTERNAL</auth>
  <!-- Debian's system.conf default policy: deny, then what each system.d file allows. -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>{policy}</include>
</busconfig>
"""


class SystemBus:
    """A dbus-daemon with the system bus's default-deny policy and our policy file, in a
    directory other users can reach (a user calls the agent there)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="vigie-sysbus-"))
        self.dir.chmod(0o755)
        sock = self.dir / "system_bus_socket"
        conf = self.dir / "system.conf"
        conf.write_text(SYSTEM_BUS_CONF.format(sock=sock, policy=SRC / "systemd" / "org.vigie.Agent1.conf"))
        self.proc = subprocess.Popen(["dbus-daemon", "--nofork", "--nopidfile", f"--config-file={conf}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for(sock.exists, 10, what="dbus-daemon socket")
        self.address = f"unix:path={sock}"

    def call(self, member, user=None, dest="org.vigie.Agent1"):
        """dbus-send as root, or as USER (setpriv)."""
        argv = ["dbus-send", f"--bus={self.address}", "--print-reply", f"--dest={dest}", "/org/vigie/Agent1",
                f"org.vigie.Agent1.{member}"]
        if user is not None:
            argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + argv
        return subprocess.run(argv, capture_output=True, text=True, timeout=30)

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def system_bus():
    bus = SystemBus()
    yield bus
    bus.close()


def test_check_now_any_user_rate_limited(tmp_path, system_bus):
    a = Agent(tmp_path, "ReportIntervalSec=1h\n", env={"DBUS_SYSTEM_BUS_ADDRESS": system_bus.address}).start()
    try:
        a.wait_cycles(1)
        wait_for(lambda: "org.vigie.Agent1" in subprocess.run(
            ["dbus-send", f"--bus={system_bus.address}", "--print-reply", "--dest=org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames"], capture_output=True, text=True).stdout,
            what="the agent owning org.vigie.Agent1")
        # Any local user (nobody here) may ask; the cycle runs.
        r = system_bus.call("CheckNow", user=65534)
        assert r.returncode == 0, r.stderr
        a.wait_cycles(2)
        assert "A check was asked for over D-Bus (uid 65534)" in a.logtext()
        # Asking again at once is refused by the agent, whoever asks: no cycle.
        r = system_bus.call("CheckNow")
        assert r.returncode != 0 and "org.vigie.Agent1.Error.TooSoon" in r.stderr, r
        time.sleep(0.5)
        assert a.cycles() == 2
        # The policy allows CheckNow only: anything else a user sends is refused by the bus.
        r = system_bus.call("Reload", user=65534)
        assert r.returncode != 0 and "org.freedesktop.DBus.Error.AccessDenied" in r.stderr, r
        # …and no user may take the agent's name.
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                            "import dbus, sys; b = dbus.bus.BusConnection(sys.argv[1]); "
                            "b.request_name('org.vigie.Agent1', dbus.bus.NAME_FLAG_DO_NOT_QUEUE)",
                            system_bus.address], capture_output=True, text=True, timeout=30)
        assert r.returncode != 0 and "AccessDenied" in r.stderr, r
    finally:
        a.stop()
