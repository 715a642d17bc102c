# SPDX-License-Identifier: MIT
"""The one stand-in of the backup tests: a tiny org.freedesktop.systemd1 on a private
dbus-daemon. There is no systemd as PID 1 in the test containers, and a systemd --user
manager cannot be told what a unit's last run looked like, so this serves the Manager
methods and unit properties the systemd backup source reads (LoadUnit, GetUnit, LoadState,
ActiveState, InactiveEnterTimestamp, Result, ExecMainExitTimestamp, ExecMainStatus) from a
JSON file the test rewrites: {"unit.service": {"LoadState": "loaded", …}}.

Usage: fake_systemd1.py BUS_ADDRESS UNITS_JSON   (prints "ready" once it owns the name)"""
import json
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

MANAGER = "org.freedesktop.systemd1.Manager"
UNIT = "org.freedesktop.systemd1.Unit"
SERVICE = "org.freedesktop.systemd1.Service"
PROPS = "org.freedesktop.DBus.Properties"
TYPES = {"LoadState": dbus.String, "ActiveState": dbus.String, "InactiveEnterTimestamp": dbus.UInt64,
         "Result": dbus.String, "ExecMainExitTimestamp": dbus.UInt64, "ExecMainStatus": dbus.Int32}
IFACE = {"LoadState": UNIT, "ActiveState": UNIT, "InactiveEnterTimestamp": UNIT,
         "Result": SERVICE, "ExecMainExitTimestamp": SERVICE, "ExecMainStatus": SERVICE}
DEFAULTS = {"LoadState": "not-found", "ActiveState": "inactive", "InactiveEnterTimestamp": 0,
            "Result": "success", "ExecMainExitTimestamp": 0, "ExecMainStatus": 0}


def escape(name):
    # systemd's bus path escaping: every byte outside [A-Za-z0-9] as _XX
    return "".join(c if c.isalnum() else "_%02x" % ord(c) for c in name)


class Unit(dbus.service.Object):
    def __init__(self, conn, name, units_file):
        self.name, self.units_file = name, units_file
        super().__init__(conn, "/org/freedesktop/systemd1/unit/" + escape(name))

    def props(self, iface):
        with open(self.units_file) as f:
            p = dict(DEFAULTS, **json.load(f).get(self.name, {}))
        return {k: TYPES[k](v) for k, v in p.items() if IFACE[k] == iface}

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")
    def Get(self, iface, prop):
        p = self.props(iface)
        if prop not in p:
            raise dbus.exceptions.DBusException("Unknown property", name="org.freedesktop.DBus.Error.UnknownProperty")
        return p[prop]

    @dbus.service.method(PROPS, in_signature="s", out_signature="a{sv}")
    def GetAll(self, iface):
        return self.props(iface)


class Manager(dbus.service.Object):
    def __init__(self, conn, units_file):
        super().__init__(conn, "/org/freedesktop/systemd1")
        self.conn, self.units_file, self.units = conn, units_file, {}

    def unit(self, name):
        if name not in self.units:
            self.units[name] = Unit(self.conn, name, self.units_file)
        return self.units[name]

    @dbus.service.method(MANAGER, in_signature="s", out_signature="o")
    def LoadUnit(self, name):
        return self.unit(name)

    @dbus.service.method(MANAGER, in_signature="s", out_signature="o")
    def GetUnit(self, name):
        with open(self.units_file) as f:
            if name not in json.load(f):
                raise dbus.exceptions.DBusException(f"Unit {name} not loaded.",
                                                    name="org.freedesktop.systemd1.NoSuchUnit")
        return self.unit(name)


def main():
    DBusGMainLoop(set_as_default=True)
    conn = dbus.bus.BusConnection(sys.argv[1])
    name = dbus.service.BusName("org.freedesktop.systemd1", conn)  # released when collected
    manager = Manager(conn, sys.argv[2])
    print("ready", flush=True)
    GLib.MainLoop().run()
    del name, manager


if __name__ == "__main__":
    main()
