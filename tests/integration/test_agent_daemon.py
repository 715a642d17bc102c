# SPDX-License-Identifier: MIT
"""vigie-agent as systemd runs it: the test plays the service manager (NOTIFY_SOCKET,
WATCHDOG_USEC, signals) and the system bus (a private dbus-daemon)."""
import json
import signal
import time

import pytest

from agent_util import Agent, PrivateBus, wait_for
from conftest import SANITIZE


@pytest.fixture
def agent(tmp_path):
    agents = []

    def make(*args, **kw):
        a = Agent(tmp_path / f"a{len(agents)}", *args, **kw) if agents else Agent(tmp_path, *args, **kw)
        agents.append(a)
        return a
    yield make
    for a in agents:
        a.stop()


def test_ready_watchdog_and_status(agent):
    a = agent("ReportIntervalSec=1\n", watchdog_usec=600_000).start()
    a.wait_cycles(3)
    n = a.notifier
    ready = n.times("READY", "1")
    assert len(ready) == 1
    pings = [t for t in n.times("WATCHDOG", "1") if t > ready[0]]
    assert len(pings) >= 3
    gaps = [b - a_ for a_, b in zip(pings, pings[1:])]
    # Half of WATCHDOG_USEC, and never as late as WATCHDOG_USEC itself.
    assert max(gaps) < 0.6 * (3 if SANITIZE else 1), gaps
    statuses = set(n.values("STATUS"))
    assert any(s.startswith("Checking") for s in statuses), statuses
    assert any(s.startswith("Idle") for s in statuses), statuses
    st = a.status()
    assert st["agent"]["state"] == "idle" and st["agent"]["pid"] == a.proc.pid
    assert {c["id"] for c in st["checks"]} == {"disk_encryption", "patch_level", "backup"}
    assert "evidence" not in json.dumps(st)
    assert oct((a.run / "status.json").stat().st_mode & 0o777) == "0o644"


def test_no_watchdog_timer_without_watchdog_usec(agent):
    a = agent("ReportIntervalSec=1h\n").start()
    a.wait_cycles(1)
    time.sleep(1.5)
    assert a.notifier.times("WATCHDOG") == []


def test_sigterm_exits_zero_promptly(agent):
    a = agent("ReportIntervalSec=1h\n").start()
    a.wait_cycles(1)
    a.signal(signal.SIGTERM)
    assert a.proc.wait(timeout=1 if not SANITIZE else 5) == 0
    assert a.notifier.times("STOPPING", "1")
    assert a.status()["agent"]["state"] == "stopped"


def test_sigusr1_runs_a_cycle_now(agent):
    a = agent("ReportIntervalSec=1h\n").start()
    a.wait_cycles(1)
    a.signal(signal.SIGUSR1)
    a.wait_cycles(2)
    assert "Cycle requested (SIGUSR1)" in a.logtext()


def test_sighup_reload_and_broken_config_kept(agent):
    a = agent("ReportIntervalSec=1h\n").start()
    a.wait_cycles(1)
    assert a.status()["agent"]["report_interval_s"] == 3600
    a.write_conf("ReportIntervalSec=1\n")
    a.signal(signal.SIGHUP)
    wait_for(lambda: a.status()["agent"]["report_interval_s"] == 1, what="new interval")
    a.wait_cycles(3)
    assert a.notifier.times("RELOADING", "1") and len(a.notifier.times("READY", "1")) >= 2
    # A broken configuration keeps the running one and says which line is wrong.
    a.conf.write_text(a.conf.read_text() + "ReportIntervalSec=soon\n")
    a.signal(signal.SIGHUP)
    wait_for(lambda: "keeping the running configuration" in a.logtext(), what="reload refusal")
    assert f'{a.conf}:7: [Agent] ReportIntervalSec="soon"' in a.logtext()
    before = a.cycles()
    a.wait_cycles(before + 2)
    assert a.proc.poll() is None and a.status()["agent"]["report_interval_s"] == 1


def test_resume_from_suspend_runs_a_cycle(agent, tmp_path):
    bus = PrivateBus(tmp_path)
    try:
        a = agent("ReportIntervalSec=1h\nResumeDelaySec=0\n",
                  env={"DBUS_SYSTEM_BUS_ADDRESS": bus.address}).start()
        a.wait_cycles(1)
        wait_for(lambda: bus.subscribers("PrepareForSleep"), what="the agent's match on PrepareForSleep")
        import dbus
        bus.emit("org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                 "PrepareForSleep", dbus.Boolean(True))
        time.sleep(0.3)
        assert a.cycles() == 1  # going to sleep is not a reason to check
        bus.emit("org.freedesktop.login1", "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                 "PrepareForSleep", dbus.Boolean(False))
        a.wait_cycles(2)
        assert "Cycle after resume" in a.logtext()
        # The same signal from anyone else is ignored.
        other = dbus.bus.BusConnection(bus.address)
        msg = dbus.lowlevel.SignalMessage("/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                                          "PrepareForSleep")
        msg.append(dbus.Boolean(False))
        other.send_message(msg)
        other.flush()
        time.sleep(0.5)
        assert a.cycles() == 2
        other.close()
    finally:
        a.stop()
        bus.close()


def test_vigie_status(agent, vigie):
    a = agent("ReportIntervalSec=1h\n")
    r = vigie("status", "--config", a.conf)
    assert r.returncode == 4 and "not running" in r.stderr
    r = vigie("status", "--config", a.conf, "--json")
    assert r.returncode == 4 and r.json() == {"running": False, "status": None}
    a.start()
    a.wait_cycles(1)
    r = vigie("status", "--config", a.conf)
    # Not enrolled in this test: said plainly, exit 4.
    assert r.returncode == 4, r
    assert "Vigie agent: running" in r.stdout and "Disk encryption" in r.stdout
    assert "not enrolled" in r.stdout
    doc = vigie("status", "--config", a.conf, "--json").json()
    assert doc["running"] is True and doc["agent"]["pid"] == a.proc.pid
    assert a.stop() == 0
    r = vigie("status", "--config", a.conf)
    assert r.returncode == 4 and "NOT running" in r.stdout
