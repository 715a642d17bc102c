# SPDX-License-Identifier: MIT
"""screen_lock on fixture roots built with the real tools: dconf databases compiled with
`dconf compile` (the user's, and system ones with their locks directory, named by a dconf
profile), kscreenlockerrc and xfconf XML files as KConfig and xfconfd write them; users
from /etc/passwd and login.defs, sessions from /usr/share/xsessions and AccountsService.
Then the check in a real agent's report to a real server and in the fleet summary."""
import json
import shutil
import subprocess
import textwrap
import time

import pytest

from conftest import BIN, SRC

pytestmark = pytest.mark.skipif(not shutil.which("dconf"), reason="dconf-cli is not installed (packaging/deps.sh)")

DEFAULT_POLICY = {"required": False, "max_idle_minutes": 15, "require_lock": True, "require_password": True}


class Root:
    """A laptop's files: users, installed sessions, each user's desktop configuration."""

    def __init__(self, tmp_path, sessions=("gnome",), wayland=(), login_defs=None):
        self.tmp = tmp_path
        self.path = tmp_path / "root"
        (self.path / "etc").mkdir(parents=True)
        self.passwd = ["root:x:0:0:root:/root:/bin/bash",
                       "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
                       "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin"]
        self._write_passwd()
        if login_defs is not None:
            (self.path / "etc" / "login.defs").write_text(login_defs)
        for d, names in (("xsessions", sessions), ("wayland-sessions", wayland)):
            (self.path / "usr" / "share" / d).mkdir(parents=True, exist_ok=True)
            for n in names:
                (self.path / "usr" / "share" / d / f"{n}.desktop").write_text(
                    f"[Desktop Entry]\nName={n}\nExec={n}-session\nType=Application\n")
        self.n = 0

    def _write_passwd(self):
        (self.path / "etc" / "passwd").write_text("\n".join(self.passwd) + "\n")

    def user(self, name, uid=None, session=None, shell="/bin/bash", home=True):
        self.n_users = getattr(self, "n_users", 0) + 1
        uid = uid if uid is not None else 999 + self.n_users
        self.passwd.append(f"{name}:x:{uid}:{uid}:{name.title()},,,:/home/{name}:{shell}")
        self._write_passwd()
        if home:
            (self.path / "home" / name / ".config").mkdir(parents=True)
        if session:
            d = self.path / "var" / "lib" / "AccountsService" / "users"
            d.mkdir(parents=True, exist_ok=True)
            # As accounts-daemon writes it.
            (d / name).write_text(f"[User]\nSession={session}\nXSession={session}\nIcon=/home/{name}/.face\n"
                                  "SystemAccount=false\n")
        return self.path / "home" / name

    def compile(self, target, keyfiles, locks=None):
        """`dconf compile TARGET DIR`: DIR holds keyfiles, and locks/ the locked keys."""
        self.n += 1
        src = self.tmp / f"dconf-src-{self.n}"
        (src / "locks").mkdir(parents=True)
        for i, text in enumerate(keyfiles):
            (src / f"{i:02d}-vigie").write_text(textwrap.dedent(text))
        if locks:
            (src / "locks" / "00-vigie").write_text("\n".join(locks) + "\n")
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dconf", "compile", str(target), str(src)], check=True)

    def user_db(self, name, *keyfiles):
        self.compile(self.path / "home" / name / ".config" / "dconf" / "user", keyfiles)

    def system_db(self, dbname, *keyfiles, locks=None):
        self.compile(self.path / "etc" / "dconf" / "db" / dbname, keyfiles, locks)

    def profile(self, text):
        p = self.path / "etc" / "dconf" / "profile"
        p.mkdir(parents=True, exist_ok=True)
        (p / "user").write_text(text)

    def write(self, rel, text):
        p = self.path / rel.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))


def alice_on_gnome(tmp_path, *keyfiles):
    """alice, whose last session was GNOME, with these settings in her dconf database."""
    root = Root(tmp_path)
    root.user("alice", session="gnome")
    if keyfiles:
        root.user_db("alice", *keyfiles)
    return root


def check(vigie, empty_config, tmp_path, root, policy=None):
    args = ["check", "--json", "--config", empty_config, "--no-state", "--only", "screen_lock", "--root", root.path]
    if policy is not None:
        p = tmp_path / "policy.json"
        p.write_text(json.dumps({"checks": {"screen_lock": policy}}))
        args += ["--policy", p]
    r = vigie(*args)
    assert r.returncode in (0, 1), r
    [res] = r.json()["checks"]
    assert res["id"] == "screen_lock" and res["title"] == "Screen lock"
    return res


def user_ev(res, name):
    [u] = [u for u in res["evidence"]["users"] if u["user"] == name]
    return u


def test_default_policy_and_not_required(vigie):
    r = vigie("policy", "--default")
    assert r.json()["checks"]["screen_lock"] == DEFAULT_POLICY


# ---- GNOME ----------------------------------------------------------------------------

def test_gnome_defaults_without_any_database_pass(vigie, empty_config, tmp_path):
    root = Root(tmp_path)
    root.user("alice", session="gnome")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass", res
    assert res["summary"] == "alice's screen locks after 5 minutes idle (GNOME)."
    assert res["remediation"] is None
    u = user_ev(res, "alice")
    assert u == {"user": "alice", "uid": 1000, "session": "gnome", "status": "pass", "reason": None,
                 "desktop": "gnome", "idle_minutes": 5, "idle_seconds": 300, "password": True,
                 "lock_delay_seconds": 0, "lock_on_idle": True, "lock_on_suspend": True,
                 "sources": {"idle": "default", "password": "default", "lock_delay": "default",
                             "lock_on_suspend": "default"}, "locked": []}
    assert res["evidence"]["installed_desktops"] == ["gnome"]


def test_gnome_user_idle_delay_an_hour_fails(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=("ubuntu",))
    root.user("alice", session="ubuntu")
    root.user_db("alice", """
        [org/gnome/desktop/session]
        idle-delay=uint32 3600
        [org/gnome/desktop/interface]
        color-scheme='prefer-dark'
        """)
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail", res
    assert res["summary"] == "alice's screen locks only after 60 minutes idle (GNOME); the policy allows 15."
    assert "Settings → Privacy → Screen Lock" in res["remediation"]
    assert "gsettings set org.gnome.desktop.session idle-delay 900" in res["remediation"]
    u = user_ev(res, "alice")
    assert u["idle_minutes"] == 60 and u["reason"] == "idle_too_long"
    assert u["sources"]["idle"] == "/home/alice/.config/dconf/user" and u["sources"]["password"] == "default"
    # A looser policy accepts the same hour.
    assert check(vigie, empty_config, tmp_path, root, {"max_idle_minutes": 60})["status"] == "pass"


def test_gnome_lock_delay_counts(vigie, empty_config, tmp_path):
    root = Root(tmp_path)
    root.user("alice", session="gnome")
    root.user_db("alice", """
        [org/gnome/desktop/session]
        idle-delay=uint32 600
        [org/gnome/desktop/screensaver]
        lock-delay=uint32 600
        """)
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["idle_minutes"] == 20, res


def test_system_lock_beats_the_user(vigie, empty_config, tmp_path):
    root = alice_on_gnome(tmp_path, "[org/gnome/desktop/session]\nidle-delay=uint32 3600\n")
    root.profile("user-db:user\nsystem-db:local\n")
    root.system_db("local", "[org/gnome/desktop/session]\nidle-delay=uint32 600\n")
    # Without a lock the user's value wins...
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["sources"]["idle"] == "/home/alice/.config/dconf/user"
    # ...with one the system's does.
    root.system_db("local", "[org/gnome/desktop/session]\nidle-delay=uint32 600\n",
                   locks=["/org/gnome/desktop/session/idle-delay"])
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass", res
    u = user_ev(res, "alice")
    assert u["idle_minutes"] == 10 and u["sources"]["idle"] == "/etc/dconf/db/local" and u["locked"] == ["idle"]


def alice_on_keyfile_service(tmp_path, user_txt):
    """alice's dconf is the keyfile service of NFS homes, her text user_txt, no session
    running; the system's database sets a 5-minute idle delay."""
    root = Root(tmp_path)
    root.user("alice")  # no AccountsService record: the settings tell which desktop
    root.profile("service-db:keyfile/user\nsystem-db:local\n")
    root.system_db("local", "[org/gnome/desktop/session]\nidle-delay=uint32 300\n")
    root.write("/home/alice/.config/dconf/user.txt", user_txt)
    return root


def test_keyfile_service_of_nfs_homes(vigie, empty_config, tmp_path):
    """service-db:keyfile/user: the user's values are the text ~/.config/dconf/user.txt with
    no session running (and no ~/.config/dconf/user at all), the service's compiled copy in
    /run/user/UID while one runs; a session's GNOME is judged from either."""
    root = alice_on_keyfile_service(tmp_path, "[org/gnome/desktop/screensaver]\nlock-enabled=false\n")
    res = check(vigie, empty_config, tmp_path, root)
    u = user_ev(res, "alice")
    assert res["status"] == "fail" and u["reason"] == "no_password", res
    assert u["sources"]["password"] == "/home/alice/.config/dconf/user.txt", u
    # The session's copy, once the service runs, is what GNOME reads.
    root.compile(root.path / "run/user/1000/dconf-service/keyfile/user",
                 ["[org/gnome/desktop/screensaver]\nlock-enabled=true\n"])
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass", res
    assert user_ev(res, "alice")["idle_minutes"] == 5


def test_keyfile_glib_refuses_gives_no_values(vigie, empty_config, tmp_path):
    """One line GLib's key file reader refuses (here a KConfig-style `[$i]`) makes dconf's
    keyfile service refuse the whole user.txt: the session gets none of its values, so its
    lock-enabled=false does not count and GNOME's defaults apply."""
    root = alice_on_keyfile_service(
        tmp_path, "[org/gnome/desktop/screensaver]\nlock-enabled=false\nlock-delay[$i]=uint32 0\n")
    res = check(vigie, empty_config, tmp_path, root)
    u = user_ev(res, "alice")
    assert res["status"] == "pass", res
    assert u["sources"]["password"] == "default" and u["sources"]["idle"] == "/etc/dconf/db/local", u
    # The same text without that line is read.
    root.write("/home/alice/.config/dconf/user.txt", "[org/gnome/desktop/screensaver]\nlock-enabled=false\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["reason"] == "no_password", res


def test_system_lock_that_fails_asks_it(vigie, empty_config, tmp_path):
    root = alice_on_gnome(tmp_path, "[org/gnome/desktop/session]\nidle-delay=uint32 300\n")
    root.profile("# managed by IT\nuser-db:user\nsystem-db:site\nsystem-db:local\n")
    root.system_db("site", "[org/gnome/desktop/screensaver]\nlock-enabled=false\n",
                   locks=["/org/gnome/desktop/screensaver/lock-enabled"])
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["reason"] == "no_password", res
    assert res["remediation"] == "Ask IT: this setting is fixed by the system configuration (/etc/dconf/db/site)."


def test_system_value_without_user_value(vigie, empty_config, tmp_path):
    root = Root(tmp_path)
    root.user("alice", session="gnome")
    root.profile("user-db:user\nsystem-db:local\n")
    root.system_db("local", "[org/gnome/desktop/session]\nidle-delay=uint32 1200\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["sources"]["idle"] == "/etc/dconf/db/local", res


def test_idle_delay_zero_never_locks(vigie, empty_config, tmp_path):
    root = alice_on_gnome(tmp_path, "[org/gnome/desktop/session]\nidle-delay=uint32 0\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail", res
    assert res["summary"] == "alice's screen never locks when left idle (GNOME)."
    u = user_ev(res, "alice")
    assert u["idle_minutes"] is None and u["lock_on_idle"] is False and u["reason"] == "never_locks_when_idle"


def test_lock_enabled_false_blanks_without_password(vigie, empty_config, tmp_path):
    root = alice_on_gnome(tmp_path, "[org/gnome/desktop/screensaver]\nlock-enabled=false\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail", res
    assert res["summary"] == "alice's screen does not ask for a password when it locks (GNOME)."
    assert user_ev(res, "alice")["password"] is False
    # A policy that asks neither for a lock nor a password only times the blanking.
    res = check(vigie, empty_config, tmp_path, root, {"require_lock": False, "require_password": False})
    assert res["status"] == "pass", res


def test_lockdown_disables_the_lock_screen(vigie, empty_config, tmp_path):
    root = alice_on_gnome(tmp_path, "[org/gnome/desktop/lockdown]\ndisable-lock-screen=true\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["sources"]["password"].endswith("dconf/user")


def test_value_of_the_wrong_type_is_ignored_as_gsettings_does(vigie, empty_config, tmp_path):
    """idle-delay is a uint32: `idle-delay=3600` is an int32, which GSettings ignores."""
    root = alice_on_gnome(tmp_path, "[org/gnome/desktop/session]\nidle-delay=3600\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass" and user_ev(res, "alice")["sources"]["idle"] == "default", res


def test_ubuntu_lock_on_suspend_off(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=("ubuntu", "ubuntu-xorg"))
    root.user("alice", session="ubuntu")
    root.user_db("alice", "[org/gnome/desktop/screensaver]\nubuntu-lock-on-suspend=false\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail", res
    assert res["summary"] == "alice's screen does not lock when the laptop suspends (GNOME)."
    assert check(vigie, empty_config, tmp_path, root, {"require_lock": False})["status"] == "pass"


def test_corrupt_dconf_database_is_unknown(vigie, empty_config, tmp_path):
    root = Root(tmp_path)
    home = root.user("alice", session="gnome")
    root.user_db("alice", "[org/gnome/desktop/session]\nidle-delay=uint32 300\n")
    db = home / ".config" / "dconf" / "user"
    good = db.read_bytes()
    for bad in (good[:30], b"GVariant" + bytes(16), b"not a database at all", good[:16] + b"\xff" * 8 + good[24:]):
        db.write_bytes(bad)
        res = check(vigie, empty_config, tmp_path, root)
        assert res["status"] == "unknown", (bad, res)
        assert res["summary"].startswith("alice's screen lock settings (GNOME) cannot be read: "
                                         "/home/alice/.config/dconf/user: not a valid dconf database"), res
        assert user_ev(res, "alice")["reason"] == "unreadable"


def test_mate_idle_delay_is_in_minutes(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=("mate",))
    root.user("alice", session="mate")
    root.user_db("alice", "[org/mate/desktop/session]\nidle-delay=30\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail", res
    assert res["summary"] == "alice's screen locks only after 30 minutes idle (MATE); the policy allows 15."
    assert "gsettings set org.mate.session idle-delay 15" in res["remediation"]
    root.user_db("alice", "[org/mate/desktop/session]\nidle-delay=10\n[org/mate/screensaver]\nlock-delay=2\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass" and user_ev(res, "alice")["idle_minutes"] == 12, res


def test_cinnamon_defaults_do_not_lock_on_suspend(vigie, empty_config, tmp_path):
    """cinnamon-settings-daemon ships lock-on-suspend false: the default fails require_lock."""
    root = Root(tmp_path, sessions=("cinnamon", "cinnamon2d"))
    root.user("alice", session="cinnamon")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["reason"] == "no_lock_on_suspend", res
    assert "System Settings → Screensaver" in res["remediation"]
    root.user_db("alice", "[org/cinnamon/settings-daemon/plugins/power]\nlock-on-suspend=true\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass" and user_ev(res, "alice")["idle_minutes"] == 15, res


# ---- KDE Plasma -----------------------------------------------------------------------

def test_kde_defaults_and_timeout(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=("plasma",), wayland=("plasma",))
    home = root.user("alice", session="plasma")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass" and res["summary"] == "alice's screen locks after 5 minutes idle (KDE Plasma).", res
    # KConfig as kwriteconfig writes it: the group, the keys, a trailing newline.
    (home / ".config" / "kscreenlockerrc").write_text("[Daemon]\nTimeout=30\n\n[Greeter]\nTheme=org.kde.breeze\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["idle_minutes"] == 30, res
    assert user_ev(res, "alice")["sources"]["idle"] == "/home/alice/.config/kscreenlockerrc"
    assert "System Settings → Screen Locking" in res["remediation"]
    # Plasma 6 stores a Double; half minutes round to the nearest minute.
    (home / ".config" / "kscreenlockerrc").write_text("[Daemon]\nLockGrace=0\nTimeout=7.5\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass" and user_ev(res, "alice")["idle_seconds"] == 450, res
    (home / ".config" / "kscreenlockerrc").write_text("[Daemon]\nTimeout=0\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["reason"] == "never_locks_when_idle", res
    (home / ".config" / "kscreenlockerrc").write_text("[Daemon]\nRequirePassword=false\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["reason"] == "no_password", res


def test_kde_autolock_false(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=("plasmax11",), wayland=("plasma",))
    home = root.user("alice", session="plasma")
    (home / ".config" / "kscreenlockerrc").write_text("[Daemon]\nAutolock=false\nLockOnResume=true\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and res["summary"] == "alice's screen never locks when left idle (KDE Plasma).", res


def test_kde_lock_false_never_asks_the_password(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=("plasma",))
    home = root.user("alice", session="plasma")
    (home / ".config" / "kscreenlockerrc").write_text("[Daemon]\nLock=false\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["reason"] == "no_password", res


@pytest.mark.parametrize("system", ["[Daemon][$i]\nTimeout=10\n", "[Daemon]\nTimeout[$i]=10\n",
                                    "[$i]\n[Daemon]\nTimeout=10\n"])
def test_kde_immutable_system_value_wins(vigie, empty_config, tmp_path, system):
    root = Root(tmp_path, sessions=("plasma",))
    home = root.user("alice", session="plasma")
    (home / ".config" / "kscreenlockerrc").write_text("[Daemon]\nTimeout=60\n")
    root.write("/etc/xdg/kscreenlockerrc", "[Daemon]\nTimeout=10\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["idle_minutes"] == 60, res
    root.write("/etc/xdg/kscreenlockerrc", system)
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass", res
    u = user_ev(res, "alice")
    assert u["idle_minutes"] == 10 and u["sources"]["idle"] == "/etc/xdg/kscreenlockerrc" and u["locked"] == ["idle"]


# ---- Xfce -----------------------------------------------------------------------------

XFCONF = """<?xml version="1.0" encoding="UTF-8"?>

<channel name="{channel}" version="1.0">
{body}</channel>
"""


def xfconf(channel, body):
    return XFCONF.format(channel=channel, body=textwrap.dedent(body))


def test_xfce_lock_disabled(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=("xfce",))
    root.user("alice", session="xfce")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass" and res["summary"] == "alice's screen locks after 5 minutes idle (Xfce).", res
    # As xfconfd writes the channel after the preferences dialog turned locking off.
    root.write("/home/alice/.config/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml", xfconf(
        "xfce4-screensaver", """\
          <property name="saver" type="empty">
            <property name="mode" type="int" value="0"/>
            <property name="idle-activation" type="empty">
              <property name="delay" type="int" value="10"/>
            </property>
          </property>
          <property name="lock" type="empty">
            <property name="enabled" type="bool" value="false"/>
            <property name="saver-activation" type="empty">
              <property name="delay" type="int" value="0"/>
            </property>
          </property>
        """))
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["reason"] == "no_password", res
    assert "xfce4-screensaver-preferences" in res["remediation"]
    assert user_ev(res, "alice")["sources"]["password"].endswith("xfce-perchannel-xml/xfce4-screensaver.xml")


def test_xfce_system_defaults_and_lock_on_sleep(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=("xfce",))
    root.user("alice", session="xfce")
    root.write("/etc/xdg/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml", xfconf(
        "xfce4-screensaver", """\
          <property name="saver" type="empty">
            <property name="idle-activation" type="empty">
              <property name="delay" type="int" value="20"/>
            </property>
          </property>
        """))
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["idle_minutes"] == 20, res
    assert user_ev(res, "alice")["sources"]["idle"] == "/etc/xdg/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml"
    root.write("/etc/xdg/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml", xfconf("xfce4-screensaver", ""))
    root.write("/home/alice/.config/xfce4/xfconf/xfce-perchannel-xml/xfce4-power-manager.xml", xfconf(
        "xfce4-power-manager", """\
          <property name="xfce4-power-manager" type="empty">
            <property name="lock-screen-suspend-hibernate" type="bool" value="false"/>
            <property name="dpms-enabled" type="bool" value="true"/>
          </property>
        """))
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["reason"] == "no_lock_on_suspend", res


# xfce4-power-manager 4.18 as a program: it holds the names of the keys it reads.
POWER_MANAGER_4_18 = "\x7fELF…blank-on-battery\0blank-on-ac\0dpms-on-ac-sleep\0"


def test_xfce_with_light_locker(vigie, empty_config, tmp_path):
    """Debian 12's Xfce (task-xfce-desktop recommends light-locker, not xfce4-screensaver):
    light-locker locks when the X screen saver starts, which xfce4-power-manager 4.18 times
    (blank-on-ac 15 and blank-on-battery 10 minutes by default); its keys are GSettings."""
    root = Root(tmp_path, sessions=("xfce",))
    root.user("alice", session="xfce")
    root.write("/usr/bin/light-locker", "")
    root.write("/usr/bin/xfce4-power-manager", POWER_MANAGER_4_18)
    res = check(vigie, empty_config, tmp_path, root)
    u = user_ev(res, "alice")
    assert res["status"] == "pass" and u["locker"] == "light-locker", res
    assert u["idle_minutes"] == 15 and u["lock_delay_seconds"] == 5 and u["lock_on_suspend"], u
    # The Display tab's "Blank after: Never" on battery: the screen never blanks, never locks.
    power = "/home/alice/.config/xfce4/xfconf/xfce-perchannel-xml/xfce4-power-manager.xml"
    root.write(power, xfconf("xfce4-power-manager", """\
          <property name="xfce4-power-manager" type="empty">
            <property name="blank-on-ac" type="int" value="5"/>
            <property name="blank-on-battery" type="int" value="0"/>
          </property>
        """))
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["reason"] == "never_locks_when_idle", res
    assert user_ev(res, "alice")["sources"]["idle"] == power
    assert "xfce4-power-manager-settings" in res["remediation"], res
    root.write(power, xfconf("xfce4-power-manager", """\
          <property name="xfce4-power-manager" type="empty">
            <property name="blank-on-ac" type="int" value="5"/>
            <property name="blank-on-battery" type="int" value="5"/>
          </property>
        """))
    # light-locker told not to lock after the screen saver: it blanks without a password...
    root.user_db("alice", "[apps/light-locker]\nlock-after-screensaver=uint32 0\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["reason"] == "no_password", res
    assert user_ev(res, "alice")["sources"]["password"] == "/home/alice/.config/dconf/user"
    # ...unless it locks when the screen saver ends (late-locking).
    root.user_db("alice", "[apps/light-locker]\nlock-after-screensaver=uint32 0\nlate-locking=true\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass" and user_ev(res, "alice")["idle_minutes"] == 5, res


def test_xfce_4_20_leaves_the_x_server_timeout(vigie, empty_config, tmp_path):
    """xfce4-power-manager from 4.19.2 (Xfce 4.20, Debian 13) no longer sets the X screen
    saver's timeout: light-locker then locks after the X server's own 10 minutes, whatever
    blank-on-ac and blank-on-battery still say in the channel."""
    root = Root(tmp_path, sessions=("xfce",))
    root.user("alice", session="xfce")
    root.write("/usr/bin/light-locker", "")
    root.write("/usr/bin/xfce4-power-manager", "\x7fELF…dpms-on-ac-sleep\0dpms-on-ac-off\0")
    root.write("/home/alice/.config/xfce4/xfconf/xfce-perchannel-xml/xfce4-power-manager.xml", xfconf(
        "xfce4-power-manager", """\
          <property name="xfce4-power-manager" type="empty">
            <property name="blank-on-ac" type="int" value="0"/>
            <property name="blank-on-battery" type="int" value="30"/>
          </property>
        """))
    res = check(vigie, empty_config, tmp_path, root)
    u = user_ev(res, "alice")
    assert res["status"] == "pass" and u["locker"] == "light-locker", res
    assert u["idle_minutes"] == 10 and u["sources"]["idle"] == "default", u
    # Under a 5-minute policy it fails, and the fix is not 4.18's settings tabs, which 4.20
    # removed (its NEWS: "Drop light-locker integration").
    res = check(vigie, empty_config, tmp_path, root, {"max_idle_minutes": 5})
    assert res["status"] == "fail", res
    assert "Xfce 4.20" in res["remediation"] and "xfce4-screensaver" in res["remediation"], res
    assert "within 5 minutes" in res["remediation"] and "Display tab" not in res["remediation"], res
    # The same channel under 4.18: blank-on-ac 0 never blanks on mains, so never locks.
    root.write("/usr/bin/xfce4-power-manager", POWER_MANAGER_4_18)
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["reason"] == "never_locks_when_idle", res
    assert "Display tab" in res["remediation"], res


def test_xfce_broken_xml_is_unknown(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=("xfce",))
    root.user("alice", session="xfce")
    root.write("/home/alice/.config/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml", "<channel name=")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "unknown" and "xfce4-screensaver.xml: line 1" in res["summary"], res


def test_xfce_with_xscreensaver(vigie, empty_config, tmp_path):
    """Without xfce4-screensaver, Xfce locks with xscreensaver: ~/.xscreensaver, else its
    compiled-in resources (lock: False)."""
    root = Root(tmp_path, sessions=("xfce",))
    home = root.user("alice", session="xfce")
    root.write("/usr/bin/xscreensaver", "")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["reason"] == "no_password", res
    assert user_ev(res, "alice")["lock_on_idle"] is False and user_ev(res, "alice")["lock_on_suspend"] is False
    # As xscreensaver-settings writes it.
    (home / ".xscreensaver").write_text((SRC / "tests/fuzz/corpus/xscreensaver/xscreensaver-settings").read_text())
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass" and res["summary"] == "alice's screen locks after 10 minutes idle (Xfce).", res
    assert user_ev(res, "alice")["sources"]["idle"] == "/home/alice/.xscreensaver"
    (home / ".xscreensaver").write_text("timeout:\t0:10:00\nlock:\t\tTrue\nmode:\t\toff\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["reason"] == "never_locks_when_idle", res
    # With xfce4-screensaver installed, its settings count instead.
    root.write("/usr/bin/xfce4-screensaver", "")
    assert check(vigie, empty_config, tmp_path, root)["status"] == "pass"


# ---- users and desktops ---------------------------------------------------------------

def test_no_desktop_is_not_applicable(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=())
    root.user("alice")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass", res
    assert res["summary"] == "No local user has a desktop session: there is no screen to lock."
    assert user_ev(res, "alice") == {"user": "alice", "uid": 1000, "session": None, "status": "not_applicable",
                                     "reason": "no_desktop"}
    # GNOME installed, but alice never logged in to it and has no settings: still none.
    root = Root(tmp_path / "2", sessions=("gnome",))
    root.user("alice")
    assert user_ev(check(vigie, empty_config, tmp_path, root), "alice")["status"] == "not_applicable"


def test_unknown_desktop_is_unknown(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=("gnome", "i3"))
    root.user("alice", session="i3")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "unknown", res
    assert res["summary"] == "alice uses the session \"i3\", whose screen lock Vigie cannot read."
    assert user_ev(res, "alice")["reason"] == "unknown_desktop"
    # A session name that is not plain text stays out of the summary.
    (root.path / "var/lib/AccountsService/users/alice").write_text("[User]\nSession=\\x1b[2Jevil\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "unknown" and "session \"?\"" in res["summary"], res
    assert user_ev(res, "alice")["session"] == "\x1b[2Jevil"


def test_dmrc_session_without_accountsservice(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=("gnome", "i3"))
    home = root.user("alice")
    (home / ".dmrc").write_text("[Desktop]\nSession=i3\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "unknown" and user_ev(res, "alice")["session"] == "i3", res


def test_several_users_worst_wins(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=("gnome", "i3"))
    root.user("alice", session="gnome")
    root.user("bob", session="gnome")
    root.user("carol", session="i3")
    root.user("dave", session="gnome")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "unknown" and "carol" in res["summary"], res
    root.user_db("bob", "[org/gnome/desktop/session]\nidle-delay=uint32 0\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and res["summary"] == "bob's screen never locks when left idle (GNOME).", res
    assert [u["status"] for u in res["evidence"]["users"]] == ["pass", "fail", "unknown", "pass"]
    root.user_db("dave", "[org/gnome/desktop/session]\nidle-delay=uint32 7200\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and res["summary"].endswith("(2 users in all)"), res


def test_only_local_human_users(vigie, empty_config, tmp_path):
    root = Root(tmp_path, login_defs="# shadow's\nUID_MIN\t\t\t 2000\nUID_MAX\t\t\t60000\n")
    root.user("alice", uid=1000, session="gnome")       # below UID_MIN here
    root.user("bob", uid=2000, session="gnome")
    root.user("svc", uid=2001, session="gnome", shell="/usr/sbin/nologin")
    root.user("ghost", uid=2002, session="gnome", home=False)
    root.user("erin", uid=2003, session="gnome", shell="/bin/false")
    root.user("frank", uid=2004, session="gnome", shell="")   # empty: /bin/sh
    res = check(vigie, empty_config, tmp_path, root)
    assert [u["user"] for u in res["evidence"]["users"]] == ["bob", "frank"], res


def test_users_past_the_limit_are_not_a_pass(vigie, empty_config, tmp_path):
    root = Root(tmp_path, sessions=("gnome",))
    for i in range(257):
        root.user(f"u{i}", uid=1000 + i, session="gnome")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "unknown", res["summary"]
    assert res["summary"] == "There are more than 256 local users: 1 was not checked."
    assert len(res["evidence"]["users"]) == 256 and res["evidence"]["users_not_checked"] == 1


def test_unknown_session_takes_the_weakest_configured_desktop(vigie, empty_config, tmp_path):
    """No AccountsService record: every installed desktop the user configured is judged."""
    root = Root(tmp_path, sessions=("gnome", "plasma", "xfce"))
    home = root.user("alice")
    root.user_db("alice", "[org/gnome/desktop/session]\nidle-delay=uint32 300\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "pass" and user_ev(res, "alice")["desktop"] == "gnome", res
    (home / ".config" / "kscreenlockerrc").write_text("[Daemon]\nAutolock=false\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and user_ev(res, "alice")["desktop"] == "kde", res
    assert user_ev(res, "alice")["session"] is None


def test_user_names_with_control_characters_stay_data(vigie, empty_config, tmp_path):
    root = Root(tmp_path)
    root.user("eve\x1b[31m", uid=1000, session="gnome")
    root.user_db("eve\x1b[31m", "[org/gnome/desktop/session]\nidle-delay=uint32 0\n")
    res = check(vigie, empty_config, tmp_path, root)
    assert res["status"] == "fail" and res["summary"].startswith("uid 1000's screen"), res
    assert "\x1b" not in res["summary"]


def test_homes_the_agent_cannot_enter_are_unknown(vigie, empty_config, tmp_path):
    """Root without CAP_DAC_READ_SEARCH/CAP_DAC_OVERRIDE (as under the shipped unit's
    CapabilityBoundingSet=) cannot enter a 0700 home: unknown, whether the session is known
    or not, never pass."""
    import os
    root = Root(tmp_path, sessions=("gnome",))
    home = root.user("alice", session="gnome")
    root.user_db("alice", "[org/gnome/desktop/session]\nidle-delay=uint32 300\n")
    for dirpath, dirnames, filenames in os.walk(home):
        for n in dirnames + filenames:
            os.chown(os.path.join(dirpath, n), 1000, 1000)
    os.chown(home, 1000, 1000)
    home.chmod(0o700)
    args = ["check", "--json", "--config", empty_config, "--no-state", "--only", "screen_lock", "--root", root.path]
    for accounts in (True, False):
        if not accounts:
            (root.path / "var/lib/AccountsService/users/alice").unlink()
        r = subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search", str(BIN / "vigie"),
                            *map(str, args)], capture_output=True, text=True)
        [res] = json.loads(r.stdout)["checks"]
        assert res["status"] == "unknown" and "Permission denied" in res["summary"], (accounts, res)
    # With the capabilities (vigie check as root), the same home is read.
    assert check(vigie, empty_config, tmp_path, root)["status"] == "pass"


# ---- French ---------------------------------------------------------------------------

def test_french(vigie, empty_config, tmp_path, fr_locale):
    from conftest import BUILD, lang_env
    root = alice_on_gnome(tmp_path, "[org/gnome/desktop/session]\nidle-delay=uint32 3600\n")
    r = vigie("check", "--json", "--config", empty_config, "--no-state", "--only", "screen_lock", "--root", root.path,
              env={**lang_env(fr_locale), "VIGIE_LOCALEDIR": str(BUILD / "locale")})
    [res] = r.json()["checks"]
    assert res["title"] == "Verrouillage de l'écran", res
    assert res["summary"].startswith("L'écran de alice"), res
    assert "Paramètres" in res["remediation"]


# ---- in a real report, on the server, in the fleet ------------------------------------

def test_in_a_real_report_and_the_fleet_summary(vigie, tmp_path):
    from fleet_util import FleetServer

    root = alice_on_gnome(tmp_path, "[org/gnome/desktop/session]\nidle-delay=uint32 3600\n")
    s = FleetServer(tmp_path / "srv")
    pol = tmp_path / "policy.json"
    pol.write_text(json.dumps({"policy_id": "locks", "version": 2,
                               "checks": {"screen_lock": {"required": True, "max_idle_minutes": 10}}}))
    assert s.cli("policy", "set", pol).returncode == 0
    # The agent signs with the real clock: a server held at fleet_util's NOW (when the
    # suite imported it) refuses its reports as iat_in_future once the suite has run
    # for more than MaxClockSkew (10 min), as under the sanitizers.
    s.start(now=int(time.time()))
    try:
        state = tmp_path / "agent-state"
        conf = tmp_path / "agent.conf"
        conf.write_text(f"[Agent]\nServer=https://127.0.0.1:{s.port}\nStateDirectory={state}\n"
                        f"RuntimeDirectory={tmp_path / 'agent-run'}\nRoot={root.path}\n")
        r = vigie("enroll", "--config", conf, "--token", s.token(), "--ca", s.ca)
        assert r.returncode == 0, r
        r = vigie("report", "--config", conf)
        assert r.returncode == 0 and "sent" in r.stdout, (r, s.log()[-4000:])
        summary = s.get_json("/v1/fleet/summary")
        assert summary["checks"]["screen_lock"]["fail"] == 1, summary
        [dev] = s.get_json("/v1/fleet/devices?status=any")["devices"]
        assert "screen_lock" in dev["failing_checks"], dev
    finally:
        s.stop()


def test_xfce_without_libexpat_names_the_package(vigie, empty_config, tmp_path):
    """libexpat is loaded when an xfconf channel is first read (agent/checks/expat-dl.h)."""
    from test_dlopen_missing import run_without
    root = Root(tmp_path, sessions=("xfce",))
    root.user("alice", session="xfce")
    root.write("/home/alice/.config/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml", xfconf(
        "xfce4-screensaver", '<property name="lock" type="empty"/>\n'))
    r = run_without("libexpat.so.1", "check", "--json", "--config", str(empty_config), "--no-state", "--only",
                    "screen_lock", "--root", str(root.path))
    assert r.returncode in (0, 1), r
    [res] = json.loads(r.stdout)["checks"]
    assert res["status"] == "unknown", res
    assert "xfce4-screensaver.xml: cannot load libexpat.so.1" in res["summary"], res
    assert "install the package libexpat1 (Debian, Ubuntu) or expat (Fedora, RHEL)" in res["summary"], res
