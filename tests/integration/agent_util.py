# SPDX-License-Identifier: MIT
"""Helpers for driving vigie-agent the way systemd would: a NOTIFY_SOCKET owned by the test,
WATCHDOG_USEC, signals, a private dbus-daemon as the system bus."""
import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import BIN, SANITIZE


def wait_for(pred, timeout=30.0, step=0.05, what="condition"):
    """Polls pred() until it returns something truthy; fails the test on timeout."""
    end = time.monotonic() + timeout * (3 if SANITIZE else 1)
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    pytest.fail(f"timed out waiting for {what}")


class Notifier:
    """The service manager's end of sd_notify: a datagram socket; messages with times."""

    def __init__(self, path: Path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []  # (monotonic time, {key: value})
        self._stop = False
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = dict(l.split("=", 1) for l in data.decode().splitlines() if "=" in l)
            self.messages.append((time.monotonic(), fields))

    def times(self, key, value=None):
        return [t for t, f in list(self.messages) if key in f and (value is None or f[key] == value)]

    def wait_for(self, key, value=None, timeout=5):
        """times(key, value) once it is not empty, or [] after timeout: a datagram sent just
        before the process ended may still wait for the reader thread."""
        deadline = time.monotonic() + timeout
        while not (t := self.times(key, value)) and time.monotonic() < deadline:
            time.sleep(0.02)
        return t

    def values(self, key):
        return [f[key] for _, f in list(self.messages) if key in f]

    def close(self):
        self._stop = True
        self._thread.join()
        self.sock.close()


class Agent:
    """A vigie-agent process with its own config, state and runtime directories."""

    def __init__(self, tmp: Path, extra_conf="", env=None, notify=True, watchdog_usec=None):
        self.tmp = tmp
        self.state = tmp / "state"
        self.run = tmp / "run"
        self.state.mkdir(parents=True, exist_ok=True)
        self.run.mkdir(exist_ok=True)
        self.conf = tmp / "agent.conf"
        self.base_conf = (f"[Agent]\nStateDirectory={self.state}\nRuntimeDirectory={self.run}\n"
                          f"Root={tmp / 'root'}\nLogLevel=debug\n")
        (tmp / "root").mkdir(exist_ok=True)
        self.write_conf(extra_conf)
        self.notifier = Notifier(tmp / "notify.sock") if notify else None
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
                    # No system bus unless the test provides one.
                    "DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={tmp}/no-bus"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                self.env[k] = os.environ[k]
        if self.notifier:
            self.env["NOTIFY_SOCKET"] = self.notifier.path
        if watchdog_usec:
            self.env["WATCHDOG_USEC"] = str(watchdog_usec)
        if env:
            self.env.update(env)
        self.log_path = tmp / "agent.log"
        self.binary = BIN / "vigie-agent"
        self.proc = None

    def write_conf(self, extra=None):
        if extra is not None:
            self.extra_conf = extra
        self.conf.write_text(self.base_conf + self.extra_conf)

    def start(self, wait_ready=True):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([str(self.binary), "--config", str(self.conf)],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        if wait_ready and self.notifier:
            wait_for(lambda: self.notifier.times("READY", "1"), what="READY=1")
        return self

    def status(self):
        try:
            return json.loads((self.run / "status.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def cycles(self):
        s = self.status()
        return s["agent"]["cycles"] if s and "agent" in s else 0

    def wait_cycles(self, n, timeout=30):
        return wait_for(lambda: self.cycles() >= n and self.status()["agent"]["state"] == "idle",
                        timeout, what=f"{n} cycles")

    def logtext(self):
        return self.log_path.read_text()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout * (3 if SANITIZE else 1))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.notifier:
            self.notifier.close()
            self.notifier = None
        if self.proc:
            self.log.close()
        if SANITIZE:
            text = self.logtext()
            assert "AddressSanitizer" not in text and "runtime error:" not in text, text
        return self.proc.returncode if self.proc else None


class PrivateBus:
    """A dbus-daemon of our own standing in for the system bus (or, with
    bus_type="session", for a desktop session's bus)."""

    def __init__(self, tmp: Path, bus_type="system"):
        self.sock = tmp / f"{bus_type}_bus_socket"
        conf = tmp / "bus.conf"
        conf.write_text(f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>{bus_type}</type>
  <listen>unix:path={self.sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow send_destination="*"/>
  </policy>
</busconfig>
""")
        self.proc = subprocess.Popen(["dbus-daemon", "--nofork", "--nopidfile", f"--config-file={conf}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.sock.exists, 10, what="dbus-daemon socket")
        self.address = f"unix:path={self.sock}"
        self._conn = None

    def connection(self):
        import dbus
        if self._conn is None:
            self._conn = dbus.bus.BusConnection(self.address)
        return self._conn

    def emit(self, owner, path, interface, member, *args):
        """Sends a signal from a connection that owns the well-known name `owner`."""
        import dbus
        import dbus.lowlevel
        conn = self.connection()
        conn.request_name(owner, dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
        msg = dbus.lowlevel.SignalMessage(path, interface, member)
        msg.append(*args)
        conn.send_message(msg)
        conn.flush()

    def subscribers(self, member):
        """How many match rules mention member (so the test knows the agent listens)."""
        import dbus
        stats = dbus.Interface(self.connection().get_object("org.freedesktop.DBus", "/org/freedesktop/DBus"),
                               "org.freedesktop.DBus.Debug.Stats")
        try:
            rules = stats.GetAllMatchRules()
        except dbus.DBusException:
            return None
        return sum(1 for rs in rules.values() for r in rs if member in r)

    def close(self):
        if self._conn is not None:
            self._conn.close()
        self.proc.terminate()
        self.proc.wait()


class Relay:
    """A TCP relay on 127.0.0.1 between the agent and a vigie-server whose port changes when
    it restarts. Records when each connection arrives (the agent's delivery attempts);
    with the server stopped the relay closes the connection, as a dead host would."""

    def __init__(self, backend_port=None):
        self.backend_port = backend_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.accepts = []  # (monotonic time, forwarded?)
        self.blackhole = False  # accept and hold connections, answering nothing
        self._held = []
        self._stop = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self):
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.blackhole:
                self.accepts.append((time.monotonic(), False))
                self._held.append(client)
                continue
            port = self.backend_port
            try:
                backend = socket.create_connection(("127.0.0.1", port), timeout=2) if port else None
            except OSError:
                backend = None
            self.accepts.append((time.monotonic(), backend is not None))
            if backend is None:
                client.close()
                continue
            for a, b in ((client, backend), (backend, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def refused_times(self):
        return [t for t, ok in list(self.accepts) if not ok]

    def close(self):
        self._stop = True
        self.listener.close()
        for c in self._held:
            c.close()


def enroll(srv, agent, relay, vigie_run):
    """`vigie enroll` of the agent's state directory with srv, through the relay."""
    url = f"https://127.0.0.1:{relay.port}"
    agent.base_conf += f"Server={url}\nCA={srv.ca}\n"
    agent.write_conf()
    r = vigie_run("enroll", "--config", agent.conf, "--server", url, "--token", srv.token(), "--ca", srv.ca)
    assert r.returncode == 0, r
    return r
