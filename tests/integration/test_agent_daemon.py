# SPDX-License-Identifier: MIT
"""vigie-agent as systemd runs it: the test plays the service manager (NOTIFY_SOCKET,
WATCHDOG_USEC, signals) and the system bus (a private dbus-daemon)."""
import base64
import contextlib
import json
import os
import re
import signal
import time
from pathlib import Path

import pytest

from agent_util import Agent, PrivateBus, wait_for
from conftest import BIN, SANITIZE, run


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
    assert [c["id"] for c in st["checks"]] == list(run("vigie", "policy", "--default").json()["checks"])
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
    assert a.notifier.wait_for("STOPPING", "1")
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


# ---- with a real vigie-server ------------------------------------------------------------

from agent_util import Relay, enroll  # noqa: E402
from server_util import VigieServer, https, stored_jws  # noqa: E402

TRANSPORT = "[Transport]\nConnectTimeoutSec=2s\nTimeoutSec=5s\n"


@contextlib.contextmanager
def started_fleet(tmp_path, vigie, server_conf):
    """A started vigie-server, a relay in front of it, an enrolled agent (not started)."""
    srv = VigieServer(tmp_path / "srv", conf=server_conf)
    (tmp_path / "srv").mkdir()
    srv.start()
    relay = Relay(srv.port)
    a = Agent(tmp_path / "agent", "ReportIntervalSec=2\nRetryMinSec=1\nRetryMaxSec=8\n" + TRANSPORT)
    try:
        enroll(srv, a, relay, vigie)
        yield srv, relay, a
    finally:
        a.stop()
        relay.close()
        if srv.running():
            srv.stop()


@pytest.fixture
def fleet(tmp_path, vigie):
    with started_fleet(tmp_path, vigie, "[Limits]\nRequestTimeout=3s\n[Certificates]\nDeviceLifetime=90d\n") as f:
        yield f


def stored_seqs(srv):
    return [int(r[0]) for r in srv.sql("SELECT seq FROM reports ORDER BY seq")]


def spooled(a):
    return sorted((a.state / "spool").glob("*.jws"))


def test_reports_arrive_with_increasing_seq(fleet, vigie):
    srv, relay, a = fleet
    a.start()
    wait_for(lambda: len(stored_seqs(srv)) >= 3, what="three reports stored")
    seqs = stored_seqs(srv)
    assert seqs == list(range(1, len(seqs) + 1))
    st = a.status()
    assert st["enrolled"] is True and st["server_reachable"] is True
    assert st["last_delivery"] and st["spool_depth"] == 0 and st["certificate"]["not_after"]
    r = vigie("status", "--config", a.conf)
    assert r.returncode in (0, 1) and "Server: reachable" in r.stdout, r
    assert "Report 1 signed and queued." in a.logtext()


def handshakes(srv):
    """vigie_tls_handshakes_total by "resumed" from the server's /metrics."""
    cert, key = srv.admin_cert(f"metrics-{time.monotonic_ns()}")
    st, text, _ = https(srv, "GET", "/metrics", cert=cert, key=key)
    assert st == 200, text
    found = dict(re.findall(r'^vigie_tls_handshakes_total\{resumed="(yes|no)"\} (\d+)', text, re.M))
    return {k: int(v) for k, v in found.items()}


def test_cycles_resume_the_tls_session_kept_in_memory(fleet):
    """Each cycle is a new process: the daemon hands the previous cycle's TLS session to the
    next, which resumes it. The session is a secret: neither status.json nor any file of the
    state directory holds it."""
    srv, relay, a = fleet
    a.start()
    wait_for(lambda: len(stored_seqs(srv)) >= 4, what="four reports stored")
    counts = handshakes(srv)
    # The first cycle's connection is a full handshake; the agent's later ones resume (the
    # admin's metrics requests are full handshakes too).
    assert counts.get("yes", 0) >= 2, counts
    assert "tls_session" not in (a.run / "status.json").read_text()
    for f in list(a.state.rglob("*")) + list(a.run.rglob("*")):
        if f.is_file():
            assert b'"tls_session"' not in f.read_bytes() and b"tls-session" not in f.read_bytes(), f
    seqs = stored_seqs(srv)
    assert seqs == list(range(1, len(seqs) + 1))


def test_a_cycle_resumes_then_renews_on_a_full_handshake(tmp_path, vigie):
    """`vigie cycle` as the daemon runs it, by hand: the second cycle resumes the session the
    first handed back; its clock 50 min ahead makes the 1 h certificate due, and the renewal
    (which the server refuses on a resumed session) goes over a new, full handshake."""
    srv = VigieServer(tmp_path / "srv", conf="[Certificates]\nDeviceLifetime=1h\n[Limits]\nMaxClockSkew=2h\n")
    (tmp_path / "srv").mkdir()
    srv.start()
    relay = Relay(srv.port)
    a = Agent(tmp_path / "agent", TRANSPORT)
    try:
        enroll(srv, a, relay, vigie)
        kept = tmp_path / "kept"
        kept.write_text("")
        first = vigie("cycle", "--config", a.conf, "--tls-session", kept)
        assert first.returncode == 0, first
        out = json.loads(first.stdout)
        assert out["tls_session"]["for"] and out["tls_session"]["data"]
        assert "renew_error" not in out["certificate"]
        kept.write_text(json.dumps(out["tls_session"]))
        before = handshakes(srv).get("yes", 0)
        crt = (a.state / "device.crt").read_text()
        second = vigie("cycle", "--config", a.conf, "--tls-session", kept,
                       env={"VIGIE_NOW": str(int(time.time()) + 50 * 60)})
        assert second.returncode == 0, second
        out = json.loads(second.stdout)
        assert handshakes(srv).get("yes", 0) > before  # the policy and the report, resumed
        assert "renew_error" not in out["certificate"], out["certificate"]
        assert (a.state / "device.crt").read_text() != crt
        # The session handed back was made under the old certificate: the next cycle, with
        # the renewed one, does not offer it.
        kept.write_text(json.dumps(out["tls_session"]))
        third = vigie("cycle", "--config", a.conf, "--tls-session", kept)
        assert third.returncode == 0 and "another server or certificate" in third.stderr, third
    finally:
        relay.close()
        srv.stop()


def test_offline_backoff_then_drain_in_order_exactly_once(fleet):
    srv, relay, a = fleet
    a.start()
    wait_for(lambda: len(stored_seqs(srv)) >= 1, what="first report stored")
    srv.stop()
    down = time.monotonic()
    # Backoff 1, 2, 4, 8 s (±10 %): five refused attempts take about 15 s.
    wait_for(lambda: len([t for t in relay.refused_times() if t > down]) >= 5, timeout=40,
             what="five delivery attempts while the server is down")
    times = [t for t in relay.refused_times() if t > down]
    gaps = [b - a_ for a_, b in zip(times, times[1:])]
    print("delivery attempts while down, gaps (s):", [round(g, 2) for g in gaps])
    assert gaps[-1] > 2 * gaps[0] and all(g > 0.5 for g in gaps), gaps  # growing, never a busy loop
    depth = len(spooled(a))
    assert depth >= 3 and a.status()["server_reachable"] is False
    # Between attempts the next one is announced (during one, it is under way).
    wait_for(lambda: a.status()["agent"]["next_retry"], what="the next retry in status.json")
    wait_for(lambda: len(spooled(a)) > depth, what="the spool growing")

    srv.start()
    relay.backend_port = srv.port
    a.signal(signal.SIGUSR1)  # as `vigie report --now` would; the backoff alone also gets there
    wait_for(lambda: a.status()["spool_depth"] == 0 and a.status()["server_reachable"], timeout=40,
             what="the spool drained")
    seqs = stored_seqs(srv)
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) > depth
    rows = srv.sql("SELECT seq, received_at, gap FROM reports ORDER BY seq")
    assert all(int(g) == 0 for _, _, g in rows)
    received = [int(r) for _, r, _ in rows]
    assert received == sorted(received)  # delivered oldest first
    assert not (a.state / "spool" / "rejected").exists() or not list((a.state / "spool" / "rejected").iterdir())


def test_a_429_retry_after_outlasts_the_backoff(tmp_path, vigie):
    """The server's Retry-After reaches the daemon through the cycle's result: the next
    delivery attempt waits for it, not for RetryMaxSec=8."""
    with started_fleet(tmp_path, vigie, "[Limits]\nDeviceReportBurst=1\nDeviceReportInterval=10min\n") as (srv, _, a):
        a.start()
        wait_for(lambda: "Delivery failed 1 time(s) in a row" in a.logtext(), what="a delivery refused with 429")
        line = next(l for l in a.logtext().splitlines() if "Delivery failed 1 time(s) in a row" in l)
        wait_s = int(line.rsplit("next attempt in ", 1)[1].split()[0])
        assert 8 < wait_s <= 600, line
        # status.json is written just after that line
        wait_for(lambda: "HTTP 429" in (a.status().get("delivery_error") or ""), what="the 429 in status.json")
        assert "retry_after_s" not in a.status(), a.status()
        assert len(stored_seqs(srv)) == 1


def test_policy_change_is_used_next_cycle(fleet, tmp_path):
    srv, relay, a = fleet
    a.write_conf("RetryMinSec=1\n" + TRANSPORT)  # the interval comes from the policy now
    a.start()
    wait_for(lambda: a.status() and a.status().get("policy"), what="a policy")
    assert a.status()["agent"]["report_interval_s"] == 3600
    pol = tmp_path / "policy.json"
    pol.write_text(json.dumps({"policy_id": "tight", "version": 2, "report_interval_s": 60,
                               "checks": {"backup": {"max_age_hours": 1}}}))
    r = srv.cli("policy", "set", pol)
    assert r.returncode == 0, r
    a.signal(signal.SIGUSR1)
    wait_for(lambda: a.status()["policy"]["id"] == "tight", what="the new policy")
    st = a.status()
    assert st["policy"]["version"] == 2 and st["agent"]["report_interval_s"] == 60
    cached = json.loads((a.state / "policy.json").read_text())
    assert cached["policy_id"] == "tight"
    (device_id,), = srv.sql("SELECT id FROM devices")
    payload = stored_jws(srv, device_id)[-1].split(".")[1]
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["policy"] == \
        {"id": "tight", "version": 2}


def test_certificate_renewed_without_a_gap(tmp_path, vigie):
    """The server's shortest lifetime is an hour: the agent's clock ($VIGIE_NOW) runs 50 min
    ahead, so its certificate has a tenth of its life left and every cycle renews it."""
    srv = VigieServer(tmp_path / "srv", conf="[Certificates]\nDeviceLifetime=1h\n[Limits]\nMaxClockSkew=2h\n")
    (tmp_path / "srv").mkdir()
    srv.start()
    relay = Relay(srv.port)
    a = Agent(tmp_path / "agent", "ReportIntervalSec=1\nRetryMinSec=1\n" + TRANSPORT,
              env={"VIGIE_NOW": str(int(time.time()) + 50 * 60)})
    try:
        enroll(srv, a, relay, vigie)
        first = (a.state / "device.crt").read_text()
        a.start()
        wait_for(lambda: (a.state / "device.crt").read_text() != first, what="a renewed certificate")
        a.wait_cycles(a.cycles() + 3)
        wait_for(lambda: a.status()["spool_depth"] == 0, what="the spool drained")
        seqs = stored_seqs(srv)
        assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 4
        serials = [r[0] for r in srv.sql("SELECT cert_serial FROM reports ORDER BY seq")]
        assert len(set(serials)) >= 2  # reports under the first and the renewed certificates
        assert "Device certificate renewed" in a.logtext()
        assert a.status()["certificate"].get("renew_error") is None
        rejected = a.state / "spool" / "rejected"
        assert not rejected.exists() or not list(rejected.iterdir())
    finally:
        a.stop()
        relay.close()
        srv.stop()


def test_network_back_flushes_before_the_backoff(fleet, tmp_path):
    srv, relay, a = fleet
    bus = PrivateBus(tmp_path)
    try:
        a.write_conf("ReportIntervalSec=1h\nRetryMinSec=1h\nRetryMaxSec=2h\nResumeDelaySec=0\n" + TRANSPORT)
        a.env["DBUS_SYSTEM_BUS_ADDRESS"] = bus.address
        relay.backend_port = None  # the server is unreachable
        a.start()
        a.wait_cycles(1)
        assert a.status()["server_reachable"] is False and a.status()["spool_depth"] == 1
        wait_for(lambda: bus.subscribers("StateChanged"), what="the agent's match on StateChanged")
        relay.backend_port = srv.port
        import dbus
        bus.emit("org.freedesktop.NetworkManager", "/org/freedesktop/NetworkManager",
                 "org.freedesktop.NetworkManager", "StateChanged", dbus.UInt32(70))
        wait_for(lambda: a.status()["spool_depth"] == 0, what="delivery once the network is back")
        assert stored_seqs(srv) == [1]
    finally:
        a.stop()
        bus.close()


def test_kill9_at_random_moments(fleet, vigie):
    """50 agents killed with SIGKILL at random points of their cycles: on restart the spool,
    the chain and status.json agree, no seq is reused and no report is lost."""
    import random
    srv, relay, a = fleet
    a.write_conf("ReportIntervalSec=1\nRetryMinSec=1\n" + TRANSPORT)
    rnd = random.Random(7)
    for i in range(50):
        a.start(wait_ready=False)
        time.sleep(rnd.uniform(0.01, 0.6) * (3 if SANITIZE else 1))
        a.proc.kill()
        a.proc.wait()
        a.log.close()
        if i % 10 == 9:
            st = a.status()
            assert st is None or isinstance(st["agent"]["cycles"], int)  # never a torn file
            r = vigie("status", "--config", a.conf)
            assert r.returncode == 4 and ("NOT running" in r.stdout or "not running" in r.stderr), r
    a.start()
    a.wait_cycles(2)
    wait_for(lambda: a.status()["spool_depth"] == 0, what="the spool drained")
    assert a.stop() == 0
    seqs = stored_seqs(srv)
    assert len(seqs) >= 10 and seqs == list(range(1, len(seqs) + 1))
    assert all(int(g) == 0 for (g,) in srv.sql("SELECT gap FROM reports"))
    # Every seq the chain ever handed out is on the server or still in the spool.
    chain = json.loads((a.state / "spool" / "chain.json").read_text())
    waiting = {int(p.stem) for p in spooled(a)}
    assert set(seqs) | waiting == set(range(1, chain["next_seq"]))
    rejected = a.state / "spool" / "rejected"
    assert not rejected.exists() or not list(rejected.iterdir())
    assert srv.count("devices", "flagged_at IS NOT NULL") == 0  # the server saw no replay


def test_vigie_report_now_asks_the_running_agent(fleet, vigie):
    srv, relay, a = fleet
    r = vigie("report", "--now", "--config", a.conf)
    assert r.returncode == 4 and "not running" in r.stderr
    a.write_conf("ReportIntervalSec=1h\n" + TRANSPORT)
    a.start()
    a.wait_cycles(1)
    wait_for(lambda: stored_seqs(srv) == [1], what="the start-up report")
    r = vigie("report", "--now", "--config", a.conf)
    assert r.returncode == 0, r
    assert "report 2" in r.stdout and "0 waiting" in r.stdout
    assert stored_seqs(srv) == [1, 2]


def test_sigterm_during_a_delivery_finishes_the_step(fleet):
    """SIGTERM while the cycle waits for a server that never answers: the daemon lets the
    request end (TimeoutSec=), exits 0, and the signed report is kept in the spool."""
    srv, relay, a = fleet
    a.write_conf("ReportIntervalSec=1h\n[Transport]\nConnectTimeoutSec=2s\nTimeoutSec=3s\n")
    relay.blackhole = True
    a.start()
    wait_for(lambda: relay.accepts, what="the agent connecting")
    wait_for(lambda: a.status() and a.status()["agent"]["state"] == "checking", what="a cycle under way")
    a.signal(signal.SIGTERM)
    assert a.proc.wait(timeout=20) == 0
    assert "Stopping after the current step" in a.logtext()
    assert a.status()["agent"]["state"] == "stopped"
    assert len(spooled(a)) == 1 and stored_seqs(srv) == [], a.logtext()


@pytest.fixture
def pids_cgroup(tmp_path):
    """A pids cgroup of the test's own (v1 hierarchy or v2), removed afterwards; the test is
    skipped where none can be made."""
    for root in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup"):
        group = Path(root) / f"vigie-test-{os.getpid()}-{tmp_path.name}"
        try:
            group.mkdir()
        except OSError:
            continue
        if (group / "pids.max").exists():
            break
        group.rmdir()
    else:
        pytest.skip("no pids cgroup can be made here")
    yield group
    group.rmdir()


def test_a_cycle_that_cannot_start_is_said_and_tried_again(pids_cgroup, agent):
    """vigie-agent that cannot fork (its cgroup allows it no second task): it says so, stays
    up, tries again on the failed cycle's schedule, and runs the cycle once it can."""
    a = agent("ReportIntervalSec=1h\nRetryMinSec=1\nRetryMaxSec=1\n")
    a.binary = a.tmp / "vigie-agent-in-cgroup"
    a.binary.write_text(f'#!/bin/sh\necho $$ >"{pids_cgroup}/cgroup.procs" && exec "{BIN / "vigie-agent"}" "$@"\n')
    a.binary.chmod(0o755)
    (pids_cgroup / "pids.max").write_text("1\n")
    a.start()
    wait_for(lambda: a.logtext().count("Failed to start a cycle: Resource temporarily unavailable") >= 2,
             what="two attempts")
    assert a.proc.poll() is None
    assert a.status()["agent"]["state"] == "idle"
    (pids_cgroup / "pids.max").write_text("max\n")
    wait_for(lambda: a.status()["agent"]["deliveries"] >= 1 and a.status()["agent"]["state"] == "idle",
             what="the retry, run")
    assert "exited with status" not in a.logtext()


def test_a_cycle_dies_with_its_daemon(fleet):
    """kill -9 of vigie-agent while its cycle waits on a server that never answers: the
    cycle (its forked child) goes too, not left to write the spool beside the next
    daemon's."""
    srv, relay, a = fleet
    a.write_conf("ReportIntervalSec=1h\n[Transport]\nConnectTimeoutSec=30s\nTimeoutSec=60s\n")
    relay.blackhole = True
    a.start()
    wait_for(lambda: relay.accepts, what="the agent connecting")
    daemon = a.proc.pid
    cycles = [int(p) for p in os.listdir("/proc") if p.isdigit() and ppid(int(p)) == daemon]
    assert len(cycles) == 1, cycles
    assert open(f"/proc/{cycles[0]}/comm").read() == "vigie-cycle\n"
    a.proc.kill()
    a.proc.wait()
    a.log.close()
    wait_for(lambda: gone(cycles[0]), what="the cycle killed with its daemon")


def proc_stat(pid):
    """/proc/PID/stat's fields after the command name (state, ppid, …); [] once it is gone."""
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return []


def gone(pid):
    return proc_stat(pid)[:1] in ([], ["Z"])  # reaped, or a zombie


def ppid(pid):
    f = proc_stat(pid)
    return int(f[1]) if len(f) > 1 else 0


def test_enrolls_itself_from_the_token_it_finds(tmp_path):
    """IT drops agent.conf, the CA and a token; nothing else is done on the laptop."""
    srv = VigieServer(tmp_path / "srv")
    (tmp_path / "srv").mkdir()
    srv.start()
    token = tmp_path / "enroll.token"
    token.write_text(srv.token() + "\n")
    token.chmod(0o600)
    a = Agent(tmp_path / "agent", "ReportIntervalSec=2\nRetryMinSec=1\nRetryMaxSec=4\n"
              f"Server=https://127.0.0.1:{srv.port}\nCA={srv.ca}\nEnrollTokenFile={token}\n" + TRANSPORT)
    try:
        a.start()
        wait_for(lambda: len(stored_seqs(srv)) >= 2, what="reports from the self-enrolled agent")
        assert (a.state / "device.crt").exists()
        assert "Enrolled as" in a.logtext()
        assert a.status()["enrolled"] is True
        assert srv.count("devices") == 1
    finally:
        a.stop()
        srv.stop()


def test_a_refused_token_is_reported_and_retried_quietly(tmp_path):
    srv = VigieServer(tmp_path / "srv")
    (tmp_path / "srv").mkdir()
    srv.start()
    token = tmp_path / "enroll.token"
    token.write_text("vgt_not-a-real-token\n")
    token.chmod(0o600)
    a = Agent(tmp_path / "agent", "ReportIntervalSec=2\n"
              f"Server=https://127.0.0.1:{srv.port}\nCA={srv.ca}\nEnrollTokenFile={token}\n" + TRANSPORT)
    try:
        a.start()
        wait_for(lambda: "Automatic enrollment" in a.logtext(), what="enrollment failure logged")
        assert "refused the enrollment" in a.logtext()
        assert not (a.state / "device.crt").exists()
        assert srv.count("devices") == 0
        # status.json follows once the cycle ends, a moment after the log line
        wait_for(lambda: (a.status() or {}).get("enrolled") is not None, what="the cycle's status")
        st = a.status()
        assert st is not None and st["enrolled"] is False
    finally:
        a.stop()
        srv.stop()
