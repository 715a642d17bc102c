# SPDX-License-Identifier: MIT
"""vigie-tray's desktop, for tests: a private session dbus-daemon, and a recorder that plays
the panel's org.kde.StatusNotifierWatcher and the org.freedesktop.Notifications server,
writing every call it receives (and the item's NewStatus signals) as one JSON line.

Run as a script, the recorder serves:  tray_util.py ADDRESS LOG [--watcher] [--notifications]
[--markup] [--actions]. It prints "ready" once its names are owned. With --actions it
announces the "actions" capability and emits ActionInvoked(id, key) for each "ID KEY" line
it reads on its stdin, as a server does when the user presses a button."""
import json
import os
import shutil
import signal
import subprocess
import time
import sys
from pathlib import Path

from agent_util import PrivateBus

HERE = Path(__file__).resolve().parent
PYTHON = "/usr/bin/python3"


class SessionBus(PrivateBus):
    """A session-type dbus-daemon of our own: no service activation, so nothing installed on
    the machine (a real notification daemon, a real watcher) can answer in the recorder's
    place."""

    def __init__(self, tmp: Path):
        super().__init__(tmp, bus_type="session")

    def item_property(self, service, name):
        import dbus
        obj = self.connection().get_object(service, "/StatusNotifierItem")
        return dbus.Interface(obj, "org.freedesktop.DBus.Properties").Get("org.kde.StatusNotifierItem", name)

    def call_item(self, service, method, *args):
        import dbus
        obj = self.connection().get_object(service, "/StatusNotifierItem")
        return getattr(dbus.Interface(obj, "org.kde.StatusNotifierItem"), method)(*args)



class Recorder:
    """The recorder process and what it has logged so far."""

    def __init__(self, bus: SessionBus, log: Path, watcher=True, notifications=True, markup=False, actions=False):
        self.log = log
        args = [PYTHON, str(HERE / "tray_util.py"), bus.address, str(log)]
        args += ["--watcher"] * watcher + ["--notifications"] * notifications + ["--markup"] * markup
        args += ["--actions"] * actions
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        assert line == "ready", f"recorder said {line!r}"

    def records(self, kind=None):
        if not self.log.exists():
            return []
        out = [json.loads(l) for l in self.log.read_text().splitlines() if l.strip()]
        return [r for r in out if kind is None or r["call"] == kind]

    def invoke(self, notification_id, key):
        """The user pressed the button KEY of bubble NOTIFICATION_ID."""
        self.proc.stdin.write(f"{notification_id} {key}\n")
        self.proc.stdin.flush()

    def close(self):
        self.proc.terminate()
        self.proc.wait()


class FakeAgent:
    """A process named vigie-agent (a copy of sleep), so the tray sees the agent running."""

    def __init__(self, tmp: Path):
        exe = tmp / "vigie-agent"
        shutil.copy("/bin/sleep", exe)
        self.proc = subprocess.Popen([str(exe), "600"])
        self.pid = self.proc.pid
        # Popen returns once exec closed its pipe, which the kernel does before it renames
        # the task: wait until the tray would see "vigie-agent", as it does a real agent
        # that writes status.json itself.
        comm = Path(f"/proc/{self.pid}/comm")
        deadline = time.monotonic() + 10
        while comm.read_text().strip() != "vigie-agent":
            if time.monotonic() > deadline:
                raise RuntimeError(f"process {self.pid} never showed as vigie-agent")
            time.sleep(0.001)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait()


def write_status(path: Path, doc: dict):
    """As the agent does: a new file renamed over the old one."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc))
    os.rename(tmp, path)


def status_doc(pid, compliant=True, checks=(), enrolled=True, **extra):
    doc = {"status_version": 1, "enrolled": enrolled, "compliant": compliant,
           "last_check": "2026-11-29T20:00:00Z",
           "agent": {"pid": pid, "state": "idle", "version": "0.1.0"},
           "checks": [dict({"required": True, "remediation": None, "deadline": None}, **c) for c in checks]}
    doc.update(extra)
    return doc


PASS_ALL = [
    {"id": "disk_encryption", "title": "Disk encryption", "status": "pass",
     "summary": "/ and swap are on LUKS2 (aes-xts-plain64, 512-bit, argon2id)"},
    {"id": "patch_level", "title": "Patch level", "status": "pass", "summary": "Up to date"},
    {"id": "backup", "title": "Backup", "status": "pass", "summary": "Last backup 3 h ago."},
]


def with_check(checks, id, **changes):
    return [dict(c, **changes) if c["id"] == id else c for c in checks]


# ---- the recorder process ----

def _serve(address, log_path, flags):
    import dbus
    import dbus.service
    from dbus.mainloop.glib import DBusGMainLoop
    from gi.repository import GLib

    DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(address)
    log = open(log_path, "a", buffering=1)

    def record(**kw):
        log.write(json.dumps(kw) + "\n")

    class Watcher(dbus.service.Object):
        @dbus.service.method("org.kde.StatusNotifierWatcher", in_signature="s", out_signature="",
                             sender_keyword="sender")
        def RegisterStatusNotifierItem(self, service, sender=None):
            record(call="register", service=str(service), sender=str(sender))

    class Notifications(dbus.service.Object):
        next_id = 0

        @dbus.service.method("org.freedesktop.Notifications", in_signature="susssasa{sv}i", out_signature="u")
        def Notify(self, app, replaces_id, icon, summary, body, actions, hints, timeout):
            if replaces_id:
                nid = int(replaces_id)
            else:
                Notifications.next_id += 1
                nid = Notifications.next_id
            record(call="notify", app=str(app), replaces_id=int(replaces_id), id=nid, icon=str(icon),
                   summary=str(summary), body=str(body), timeout=int(timeout), actions=[str(a) for a in actions],
                   urgency=int(hints["urgency"]) if "urgency" in hints else None,
                   desktop_entry=str(hints.get("desktop-entry", "")))
            return dbus.UInt32(nid)

        @dbus.service.method("org.freedesktop.Notifications", in_signature="", out_signature="as")
        def GetCapabilities(self):
            return ["body"] + ["body-markup"] * ("--markup" in flags) + ["actions"] * ("--actions" in flags)

        @dbus.service.signal("org.freedesktop.Notifications", signature="us")
        def ActionInvoked(self, nid, key):
            record(call="ActionInvoked", id=int(nid), key=str(key))

        @dbus.service.method("org.freedesktop.Notifications", in_signature="", out_signature="ssss")
        def GetServerInformation(self):
            return ("recorder", "vigie-tests", "1", "1.2")

    def on_new_status(status, sender=None):
        record(call="NewStatus", status=str(status), sender=str(sender))

    bus.add_signal_receiver(on_new_status, signal_name="NewStatus", dbus_interface="org.kde.StatusNotifierItem",
                            sender_keyword="sender")
    keep = []
    if "--watcher" in flags:
        keep.append(Watcher(bus, "/StatusNotifierWatcher"))
        bus.request_name("org.kde.StatusNotifierWatcher", dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
    if "--notifications" in flags:
        server = Notifications(bus, "/org/freedesktop/Notifications")
        keep.append(server)
        bus.request_name("org.freedesktop.Notifications", dbus.bus.NAME_FLAG_DO_NOT_QUEUE)

        def on_stdin(fd, cond):
            line = sys.stdin.readline()
            if not line:
                return False
            nid, key = line.split()
            server.ActionInvoked(dbus.UInt32(int(nid)), key)
            return True
        GLib.io_add_watch(sys.stdin, GLib.IO_IN, on_stdin)
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    print("ready", flush=True)
    loop.run()


if __name__ == "__main__":
    _serve(sys.argv[1], sys.argv[2], sys.argv[3:])
