# SPDX-License-Identifier: MIT
"""A real desktop for tests: Xvfb, a session dbus-daemon (with service activation, so
xfconfd starts for the panel), xfce4-panel with only its status tray (the
StatusNotifierWatcher and SNI host), and dunst (the notification server), which
`dunstctl` drives and whose context menu (a "dmenu" we provide) lists a bubble's actions.
Every process is ours and is stopped by pid."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from agent_util import wait_for

PANEL_XML = """<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="32"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
  </property>
</channel>
"""

# dunst's context menu: records the entries it is offered, picks the one asked for.
DMENU = """#!/bin/sh
cat >"{menu}"
grep -m1 -F "$(cat "{choice}")" "{menu}"
"""

DUNSTRC = """[global]
    font = DejaVu Sans 10
    width = 420
    origin = top-right
    offset = 10x40
    dmenu = {dmenu}
    markup = full
    format = "<b>%s</b>\\n%b"
    show_indicators = yes
    icon_path = /usr/share/icons/Adwaita/48x48/legacy:/usr/share/icons/Adwaita/48x48/status
[urgency_low]
    timeout = 0
[urgency_normal]
    timeout = 0
[urgency_critical]
    timeout = 0
"""


class Desktop:
    def __init__(self, tmp: Path, lang_env=None):
        self.tmp = tmp
        self.procs = []
        self.logs = tmp / "desktop-logs"
        self.logs.mkdir(exist_ok=True)
        cfg = tmp / "config"
        (cfg / "xfce4" / "xfconf" / "xfce-perchannel-xml").mkdir(parents=True)
        (cfg / "xfce4" / "xfconf" / "xfce-perchannel-xml" / "xfce4-panel.xml").write_text(PANEL_XML)
        (cfg / "dunst").mkdir()
        self.menu, self.choice = tmp / "dmenu.entries", tmp / "dmenu.choice"
        dmenu = tmp / "dmenu"
        dmenu.write_text(DMENU.format(menu=self.menu, choice=self.choice))
        dmenu.chmod(0o755)
        (cfg / "dunst" / "dunstrc").write_text(DUNSTRC.format(dmenu=dmenu))
        runtime = tmp / "xdg-runtime"
        runtime.mkdir(mode=0o700)
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp),
                    "XDG_CONFIG_HOME": str(cfg), "XDG_RUNTIME_DIR": str(runtime),
                    "XDG_CACHE_HOME": str(tmp / "cache"), "XDG_DATA_HOME": str(tmp / "data"),
                    "LANG": "C.UTF-8", "TZ": "UTC", "NO_AT_BRIDGE": "1", "GTK_A11Y": "none"}
        self.env.update(lang_env or {})

        # Xvfb picks a free display and writes its number to the fd we give it.
        r, w = os.pipe()
        self._start("xvfb", ["Xvfb", "-displayfd", str(w), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                    pass_fds=(w,))
        os.close(w)
        with os.fdopen(r) as f:
            self.env["DISPLAY"] = ":" + f.readline().strip()

        r, w = os.pipe()
        self._start("dbus", ["dbus-daemon", "--session", "--nofork", "--nopidfile", f"--print-address={w}"],
                    pass_fds=(w,))
        os.close(w)
        with os.fdopen(r) as f:
            self.env["DBUS_SESSION_BUS_ADDRESS"] = f.readline().strip()

        self._start("dunst", ["dunst", "-config", str(cfg / "dunst" / "dunstrc")])
        wait_for(lambda: self.has_name("org.freedesktop.Notifications"), 30, what="dunst on the session bus")
        self._start("panel", ["xfce4-panel", "--disable-wm-check"])
        wait_for(lambda: self.has_name("org.kde.StatusNotifierWatcher"), 60,
                 what="xfce4-panel's StatusNotifierWatcher")

    def _start(self, name, argv, env=None, **kw):
        log = open(self.logs / f"{name}.log", "a")
        p = subprocess.Popen(argv, env=env or self.env, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, **kw)
        self.procs.append(p)
        return p

    def start(self, name, argv, env=None):
        e = dict(self.env)
        e.update(env or {})
        return self._start(name, argv, env=e)

    def run(self, *argv, check=True):
        return subprocess.run(list(argv), env=self.env, capture_output=True, text=True, timeout=30, check=check)

    def has_name(self, name):
        r = self.run("dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                     "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames", check=False)
        return f'"{name}"' in r.stdout

    def sni_items(self):
        r = self.run("dbus-send", "--session", "--print-reply", "--dest=org.kde.StatusNotifierWatcher",
                     "/StatusNotifierWatcher", "org.freedesktop.DBus.Properties.Get",
                     "string:org.kde.StatusNotifierWatcher", "string:RegisteredStatusNotifierItems", check=False)
        return re.findall(r'string "([^"]*)"', r.stdout)

    def displayed(self):
        return int(self.run("dunstctl", "count", "displayed").stdout.strip() or 0)

    def context_menu(self, choose):
        """Opens dunst's context menu on the bubbles, picks the entry containing CHOOSE and
        returns every entry offered."""
        self.choice.write_text(choose)
        self.menu.unlink(missing_ok=True)
        self.run("dunstctl", "context")
        wait_for(lambda: self.menu.exists() and self.menu.read_text(), 30, what="dunst's context menu")
        return self.menu.read_text().splitlines()

    def windows(self, name):
        r = self.run("xdotool", "search", "--onlyvisible", "--name", name, check=False)
        return [int(w) for w in r.stdout.split()]

    def window_name(self, wid):
        return self.run("xdotool", "getwindowname", str(wid)).stdout.strip()

    def key(self, wid, *keys):
        """Real key presses (XTEST) into the window, focused first: GTK ignores the
        synthetic events of `xdotool key --window`."""
        self.run("xdotool", "windowfocus", "--sync", str(wid))
        self.run("xdotool", "key", "--clearmodifiers", *keys)

    def screenshot(self, path: Path, window="root"):
        self.run("import", "-window", str(window), str(path))
        return path

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
