# SPDX-License-Identifier: MIT
"""The details window and "Check again": the agent's org.vigie.Agent1.CheckNow on a system
bus that applies our policy file, and the whole desktop under Xvfb — a real session bus,
xfce4-panel as the tray host, dunst as the notification server, vigie-tray, vigie-details
and the real agent — driven with dunstctl and xdotool, with screenshots kept."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from agent_util import Agent, wait_for
from conftest import BIN, BUILD, SANITIZE, SRC
from desktop_util import Desktop
from conftest import lang_env
from test_tray import BACKUP_FAIL, PATCH_WARN
from tray_util import PASS_ALL, FakeAgent, status_doc, with_check, write_status

LOCALEDIR = BUILD / "locale"

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
    a = Agent(tmp_path, "ReportIntervalSec=1h\nSupportURL=https://it.example.com/help\n",
              env={"DBUS_SYSTEM_BUS_ADDRESS": system_bus.address}).start()
    try:
        a.wait_cycles(1)
        # The site's support contact reaches the tray through status.json.
        assert a.status()["support"] == {"url": "https://it.example.com/help"}
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


# ---- the whole desktop ----

DESKTOP_TOOLS = ("Xvfb", "dunst", "dunstctl", "xfce4-panel", "xdotool", "import")
needs_desktop = pytest.mark.skipif(any(shutil.which(t) is None for t in DESKTOP_TOOLS),
                                   reason="needs " + ", ".join(DESKTOP_TOOLS) + " (packaging/deps.sh)")


def tray_env(extra=None):
    e = {"VIGIE_LOCALEDIR": str(LOCALEDIR)}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            e[k] = os.environ[k]
    e.update(extra or {})
    return e


def history(desk):
    """dunst's history (closed bubbles), newest first, as {summary, body, …} strings."""
    data = json.loads(desk.run("dunstctl", "history").stdout)["data"][0]
    return [{k: v["data"] for k, v in n.items()} for n in data]


@pytest.fixture(params=["en", "fr"])
def desktop(request, tmp_path, fr_locale):
    lang = lang_env(fr_locale) if request.param == "fr" else {}
    if SANITIZE:
        # GTK, fontconfig and friends keep caches for the process's life; ours are checked
        # by the other tests.
        lang["LSAN_OPTIONS"] = "detect_leaks=0"
    d = Desktop(tmp_path, lang)
    d.lang = request.param
    yield d
    d.close()


@needs_desktop
def test_bubble_details_button_opens_the_window(desktop, tmp_path):
    d = desktop
    agent = FakeAgent(tmp_path)
    status = tmp_path / "run" / "status.json"
    status.parent.mkdir()
    checks = with_check(with_check(PASS_ALL, "backup", **BACKUP_FAIL), "patch_level", **PATCH_WARN)
    write_status(status, status_doc(agent.pid, False, checks, access={
        "state": "grace", "grace_until": "2026-12-09T09:00:00Z", "reason": None,
        "checked_at": "2026-11-29T20:00:00Z"}, support={"url": "https://it.example.com/help"}))
    tray = d.start("tray", [str(BIN / "vigie-tray"), "--status", str(status), "-v"], tray_env())
    try:
        wait_for(lambda: any("StatusNotifierItem" in i for i in d.sni_items()), 30, what="the item in the panel")
        wait_for(lambda: d.displayed() == 1, 30, what="the bubble")
        time.sleep(0.5)  # drawn
        d.screenshot(tmp_path / f"bubble-{d.lang}.png")
        # The bubble's buttons, as dunst offers them: Details first.
        details = "Détails" if d.lang == "fr" else "Details"
        entries = d.context_menu(details)
        assert any(details in e for e in entries), entries
        windows = wait_for(lambda: d.windows("Vigie"), 30, what="the details window")
        time.sleep(1)  # laid out
        shot = d.screenshot(tmp_path / f"details-{d.lang}.png", windows[0])
        assert shot.stat().st_size > 10000
        title = "Vigie\u00a0: détail de la conformité" if d.lang == "fr" else "Vigie: compliance details"
        assert d.window_name(windows[0]) == title
        # The bubble's text, from dunst's history once closed.
        d.run("dunstctl", "close-all")
        n = wait_for(lambda: history(d), 30, what="the bubble in dunst's history")[0]
        if d.lang == "fr":
            assert n["summary"] == "Non conforme\u00a0: 2 points à corriger"
        else:
            assert n["summary"] == "Not compliant: 2 things to fix"
            assert n["body"] == ("Backup: Last backup 9 days ago is older than the 48 h the…\n"
                                 "Patch level: 2 security updates pending since 2026-11-27")
        assert n["body"].count("\n") <= 2
        # Escape closes the window.
        d.key(windows[0], "Escape")
        wait_for(lambda: not d.windows("Vigie"), 30, what="the window closed")
    finally:
        tray.send_signal(signal.SIGTERM)
        tray.wait(timeout=30)
        agent.stop()
    assert tray.returncode == 0, (d.logs / "tray.log").read_text()


@needs_desktop
def test_check_again_runs_the_agent_and_updates_the_window(tmp_path, system_bus):
    a = Agent(tmp_path / "agent", "ReportIntervalSec=1h\n",
              env={"DBUS_SYSTEM_BUS_ADDRESS": system_bus.address}).start()
    d = Desktop(tmp_path, {"LSAN_OPTIONS": "detect_leaks=0"} if SANITIZE else {})
    try:
        a.wait_cycles(1)
        first = a.status()["last_check"]
        time.sleep(1.1)  # the next check's time differs
        details = d.start("details", [str(BIN / "vigie-details"), "--status", str(a.run / "status.json"), "-v"],
                          tray_env({"DBUS_SYSTEM_BUS_ADDRESS": system_bus.address}))
        log = d.logs / "details.log"
        wid = wait_for(lambda: d.windows("Vigie"), 30, what="the details window")[0]
        wait_for(lambda: "vigie-details: showing" in log.read_text(), 30, what="the window filled")
        # Alt+C is Check again's mnemonic: the keyboard is enough.
        d.key(wid, "alt+c")
        a.wait_cycles(2)
        assert "A check was asked for over D-Bus" in a.logtext()
        assert a.status()["last_check"] != first
        wait_for(lambda: "Checked again." in log.read_text(), 30, what="the window updated after the new check")
        time.sleep(0.5)
        d.screenshot(tmp_path / "details-checked-again.png", wid)
        # Pressed again at once: the agent says it is too soon, the window says so.
        d.key(wid, "alt+c")
        wait_for(lambda: "The agent checked a moment ago; try again in a minute." in log.read_text(), 30,
                 what="the agent's refusal shown")
        details.send_signal(signal.SIGTERM)
        details.wait(timeout=30)
        assert a.cycles() == 2
    finally:
        d.close()
        a.stop()


@needs_desktop
def test_window_says_reports_stopped_when_the_device_key_is_lost(desktop, tmp_path):
    from test_tray import KEY_LOST
    d = desktop
    agent = FakeAgent(tmp_path)
    status = tmp_path / "run" / "status.json"
    status.parent.mkdir()
    write_status(status, status_doc(agent.pid, True, PASS_ALL, enrolled=False, identity_problem=KEY_LOST,
                                    support={"url": "https://it.example.com/help"}))
    details = d.start("details", [str(BIN / "vigie-details"), "--status", str(status), "-v"], tray_env())
    log = d.logs / "details.log"
    try:
        wid = wait_for(lambda: d.windows("Vigie"), 30, what="the details window")[0]
        wait_for(lambda: "vigie-details: showing" in log.read_text(), 30, what="the window filled")
        time.sleep(1)  # laid out
        d.screenshot(tmp_path / f"details-key-lost-{d.lang}.png", wid)
        text = log.read_text()
        if d.lang == "fr":
            assert 'showing "Vigie\u00a0: rapports interrompus — contactez le service informatique"' in text
            assert "jeton de réinitialisation" in text
        else:
            assert 'showing "Vigie: reports stopped — contact IT"' in text
            assert "enroll it again with a device reset token" in text
        assert f"{KEY_LOST}." in text
    finally:
        details.send_signal(signal.SIGTERM)
        details.wait(timeout=30)
        agent.stop()
