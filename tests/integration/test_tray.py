# SPDX-License-Identifier: MIT
"""vigie-tray on a real private session bus: it registers its StatusNotifierItem with the
watcher, follows status.json as the agent rewrites it, and notifies on changes only — in
English and in French. Also `vigie check` in French, and the catalog's completeness."""
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from agent_util import wait_for
from conftest import BIN, BUILD, SANITIZE, SRC, lang_env, run
from tray_util import PASS_ALL, FakeAgent, Recorder, SessionBus, status_doc, with_check, write_status

LOCALEDIR = BUILD / "locale"
NBSP = "\u00a0"
DEADLINE = "2026-12-04T00:00:00Z"
PATCH_WARN = dict(status="warn", summary="2 security updates pending since 2026-11-27",
                  remediation='run "sudo apt upgrade"', deadline=DEADLINE)
BACKUP_FAIL = dict(status="fail", summary="Last backup 9 days ago is older than the 48 h the policy allows.",
                   remediation="Run your backup now.")


class Tray:
    def __init__(self, tmp: Path, bus: SessionBus, status: Path, env=None):
        self.tmp = tmp
        self.stderr_path = tmp / "tray.stderr"
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "TZ": "UTC",
             "DBUS_SESSION_BUS_ADDRESS": bus.address, "VIGIE_LOCALEDIR": str(LOCALEDIR)}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update(env or {})
        self.proc = subprocess.Popen([str(BIN / "vigie-tray"), "--status", str(status), "-vv"], env=e,
                                     stdout=subprocess.DEVNULL, stderr=open(self.stderr_path, "w"))

    def stderr(self):
        return self.stderr_path.read_text()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        err = self.stderr()
        if SANITIZE and ("runtime error:" in err or "Sanitizer" in err):
            pytest.fail(f"sanitizer report from vigie-tray:\n{err}")
        assert self.proc.returncode == 0, err


@pytest.fixture
def desk(tmp_path):
    """A session bus, the recorder, a fake running agent and a status.json directory."""
    bus = SessionBus(tmp_path)
    rec = Recorder(bus, tmp_path / "calls.jsonl")
    agent = FakeAgent(tmp_path)
    rundir = tmp_path / "run" / "vigie"
    rundir.mkdir(parents=True)
    trays = []

    class Desk:
        pass
    d = Desk()
    d.bus, d.rec, d.agent, d.status = bus, rec, agent, rundir / "status.json"
    d.tmp = tmp_path

    def start(env=None):
        t = Tray(tmp_path, bus, d.status, env)
        trays.append(t)
        reg = wait_for(lambda: rec.records("register"), 30, what="RegisterStatusNotifierItem")
        d.service = reg[-1]["service"]
        return t
    d.start = start
    yield d
    for t in trays:
        t.stop()
    agent.stop()
    rec.close()
    bus.close()


def notifications(d):
    return d.rec.records("notify")


def wait_notifications(d, n, what):
    return wait_for(lambda: len(notifications(d)) >= n and notifications(d), 30, what=what)


def tooltip(d):
    icon, pixmaps, title, body = d.bus.item_property(d.service, "ToolTip")
    return str(icon), str(title), str(body)


def test_item_and_notifications_follow_status_json(desk):
    d = desk
    write_status(d.status, status_doc(d.agent.pid, True, PASS_ALL))
    tray = d.start()

    # Registered under its own well-known name, and that name serves the item.
    assert re.fullmatch(rf"org\.kde\.StatusNotifierItem-{tray.proc.pid}-1", d.service)
    assert d.bus.item_property(d.service, "Id") == "vigie"
    assert d.bus.item_property(d.service, "Category") == "SystemServices"
    assert d.bus.item_property(d.service, "Status") == "Active"
    assert d.bus.item_property(d.service, "IconName") == "security-high"
    icon, title, body = tooltip(d)
    assert (icon, title) == ("security-high", "Vigie: compliant")
    assert body == "This laptop meets the company's security policy."
    # A compliant laptop at login is no news.
    assert notifications(d) == []

    # Not compliant: backup failing, patches due by a deadline.
    checks = with_check(with_check(PASS_ALL, "backup", **BACKUP_FAIL), "patch_level", **PATCH_WARN)
    write_status(d.status, status_doc(d.agent.pid, False, checks))
    n = wait_notifications(d, 1, "the non-compliance notification")[0]
    assert n["summary"] == "Not compliant: 2 things to fix"
    assert n["urgency"] == 2 and n["replaces_id"] == 0 and n["icon"] == "security-low"
    assert n["desktop_entry"] == "vigie-tray"
    # The bubble is short: the failing check first, one line each, summaries cut at a word.
    assert n["body"] == ("Backup: Last backup 9 days ago is older than the 48 h the…\n"
                         "Patch level: 2 security updates pending since 2026-11-27"), n["body"]
    # The recorder announces no "actions": no buttons.
    assert n["actions"] == []
    assert d.bus.item_property(d.service, "Status") == "NeedsAttention"
    assert d.bus.item_property(d.service, "IconName") == "security-low"
    # The tooltip keeps the whole story.
    _, tip_title, tip = tooltip(d)
    assert tip_title == n["summary"]
    assert "Backup (failing): Last backup 9 days ago" in tip
    assert "To fix: Run your backup now." in tip
    assert 'Patch level (to fix): 2 security updates pending since 2026-11-27' in tip
    assert 'To fix: run "sudo apt upgrade" — by 12/04/26' in tip
    assert "Disk encryption" not in tip
    wait_for(lambda: [r for r in d.rec.records("NewStatus") if r["status"] == "NeedsAttention"], 30,
             what="NewStatus(NeedsAttention)")

    # The agent rewrites the file with the same verdict (a new cycle): no new bubble.
    write_status(d.status, status_doc(d.agent.pid, False, checks, last_check="2026-11-29T21:00:00Z"))
    # Then only the patches are left: compliant with something to fix, normal urgency.
    write_status(d.status, status_doc(d.agent.pid, True, with_check(PASS_ALL, "patch_level", **PATCH_WARN)))
    ns = wait_notifications(d, 2, "the action-needed notification")
    assert len(ns) == 2, ns
    assert ns[1]["summary"] == "1 thing to fix — first by Fri 4 Dec"
    assert ns[1]["urgency"] == 1 and ns[1]["replaces_id"] == ns[0]["id"]
    assert d.bus.item_property(d.service, "IconName") == "security-medium"

    # Compliant again: the same bubble says so.
    write_status(d.status, status_doc(d.agent.pid, True, PASS_ALL))
    ns = wait_notifications(d, 3, "the compliant notification")
    assert ns[2]["summary"] == "Vigie: compliant" and ns[2]["replaces_id"] == ns[0]["id"]
    assert ns[2]["urgency"] == 0
    assert d.bus.item_property(d.service, "Status") == "Active"
    wait_for(lambda: [r["status"] for r in d.rec.records("NewStatus")][-2:] == ["NeedsAttention", "Active"], 30,
             what="NewStatus(Active) after NewStatus(NeedsAttention)")

    # A click on the item opens the details window (test_details.py shows it on a display).
    d.bus.call_item(d.service, "Activate", 0, 0)
    wait_for(lambda: "Started " in tray.stderr() and "vigie-details" in tray.stderr(), 30,
             what="vigie-details started")


def test_french_session(desk, fr_locale):
    d = desk
    write_status(d.status, status_doc(d.agent.pid, True, PASS_ALL))
    d.start(lang_env(fr_locale))
    assert tooltip(desk)[1] == f"Vigie{NBSP}: conforme"

    # The agent wrote English (a C-locale service): the tray still frames it in French.
    checks = with_check(with_check(PASS_ALL, "backup", **BACKUP_FAIL), "patch_level", **PATCH_WARN)
    write_status(d.status, status_doc(d.agent.pid, False, checks))
    n = wait_notifications(d, 1, "the French notification")[0]
    assert n["summary"] == f"Non conforme{NBSP}: 2 points à corriger"
    assert n["body"].startswith(f"Sauvegarde{NBSP}: Last backup 9 days ago")
    assert f"\nMises à jour{NBSP}: 2 security updates" in n["body"]
    tip = tooltip(d)[2]
    assert tip.startswith("Ce portable ne respecte pas la politique de sécurité de l'entreprise.")
    assert f"Sauvegarde (non conforme){NBSP}: Last backup 9 days ago" in tip
    date = "04/12/2026" if fr_locale["real_dates"] else "12/04/26"
    assert f'À faire{NBSP}: run "sudo apt upgrade" — avant le {date}' in tip

    # Only the patches left: the title says by when, in French.
    write_status(d.status, status_doc(d.agent.pid, True, with_check(PASS_ALL, "patch_level", **PATCH_WARN)))
    ns = wait_notifications(d, 2, "the French action-needed notification")
    day = "ven. 4 déc." if fr_locale["real_dates"] else "Fri 4 Dec"
    assert ns[1]["summary"] == f"1 point à corriger avant le {day}"


def test_watcher_appearing_later_gets_the_item(tmp_path):
    bus = SessionBus(tmp_path)
    agent = FakeAgent(tmp_path)
    status = tmp_path / "status.json"
    write_status(status, status_doc(agent.pid, True, PASS_ALL))
    tray = Tray(tmp_path, bus, status)
    rec = None
    try:
        wait_for(lambda: "waiting for one to appear" in tray.stderr(), 30, what="the tray to find no watcher")
        rec = Recorder(bus, tmp_path / "calls.jsonl")
        reg = wait_for(lambda: rec.records("register"), 30, what="registration with the late watcher")
        assert reg[0]["service"] == f"org.kde.StatusNotifierItem-{tray.proc.pid}-1"
        # And a watcher restart (the panel crashed) gets it again.
        rec.close()
        rec = Recorder(bus, tmp_path / "calls.jsonl")
        wait_for(lambda: len(rec.records("register")) >= 2, 30, what="registration with the restarted watcher")
    finally:
        tray.stop()
        if rec:
            rec.close()
        agent.stop()
        bus.close()


def test_agent_stopping_and_not_enrolled(desk):
    d = desk
    write_status(d.status, status_doc(d.agent.pid, True, PASS_ALL))
    d.start()
    # The agent dies without a word (status.json untouched): its pidfd tells the tray.
    d.agent.stop()
    n = wait_notifications(d, 1, "the agent-stopped notification")[0]
    assert n["summary"] == "Vigie: agent not running" and n["urgency"] == 2
    assert 'Start it with "systemctl start vigie-agent"' in n["body"]
    assert d.bus.item_property(d.service, "IconName") == "dialog-warning"

    # A new agent starts, not enrolled.
    again = FakeAgent(d.tmp)
    try:
        write_status(d.status, status_doc(again.pid, True, PASS_ALL, enrolled=False))
        ns = wait_notifications(d, 2, "the not-enrolled notification")
        assert ns[1]["summary"] == "Vigie: laptop not enrolled"
        assert "not enrolled" in ns[1]["body"]
        # The file removed (agent uninstalled): said plainly.
        d.status.unlink()
        ns = wait_notifications(d, 3, "the no-status notification")
        assert ns[2]["summary"] == "Vigie: agent not running"
        assert "never run on this laptop" in ns[2]["body"]
    finally:
        again.stop()


# What identity.c says when the TPM no longer has the device key (status.json, agent-cycle.c).
KEY_LOST = ("this laptop's TPM can no longer use the device key (the TPM was cleared, replaced or is "
            "locked out, or the key was copied from another laptop)")


def test_device_key_lost_says_reports_stopped_and_whom_to_call(desk, fr_locale):
    d = desk
    write_status(d.status, status_doc(d.agent.pid, True, PASS_ALL))
    d.start(lang_env(fr_locale))
    # The agent found its TPM key unusable: it is no longer enrolled, checks still run.
    write_status(d.status, status_doc(d.agent.pid, True, PASS_ALL, enrolled=False, identity_problem=KEY_LOST))
    n = wait_notifications(d, 1, "the reports-stopped notification")[0]
    assert n["summary"] == f"Vigie{NBSP}: rapports interrompus — contactez le service informatique"
    assert n["urgency"] == 2
    assert "réinscrire avec un jeton de réinitialisation" in n["body"]
    assert n["body"].endswith(f"Cause{NBSP}: {KEY_LOST}.")
    assert d.bus.item_property(d.service, "IconName") == "security-low"
    assert d.bus.item_property(d.service, "Status") == "NeedsAttention"

    # Re-enrolled by IT: back to compliant, and said so.
    write_status(d.status, status_doc(d.agent.pid, True, PASS_ALL))
    ns = wait_notifications(d, 2, "the back-to-compliant notification")
    assert ns[1]["summary"] == f"Vigie{NBSP}: conforme"


def test_device_key_lost_once_in_english(tmp_path):
    agent = FakeAgent(tmp_path)
    status = tmp_path / "status.json"
    try:
        write_status(status, status_doc(agent.pid, True, PASS_ALL, enrolled=False, identity_problem=KEY_LOST))
        r = run("vigie-tray", "--once", "--status", status, env={"VIGIE_LOCALEDIR": str(LOCALEDIR)})
    finally:
        agent.stop()
    assert r.returncode == 4, r
    assert r.stdout == ("Vigie: reports stopped — contact IT\n"
                        "This laptop's identity key cannot be used any more, so its compliance is no longer "
                        "reported. Contact IT: they must enroll it again with a device reset token.\n"
                        f"Cause: {KEY_LOST}.\n"), r


def test_status_directory_created_later(tmp_path):
    bus = SessionBus(tmp_path)
    rec = Recorder(bus, tmp_path / "calls.jsonl")
    agent = FakeAgent(tmp_path)
    status = tmp_path / "run" / "vigie" / "status.json"
    (tmp_path / "run").mkdir()
    tray = Tray(tmp_path, bus, status)
    try:
        n = wait_for(lambda: rec.records("notify"), 30, what="the no-agent notification")[0]
        assert n["summary"] == "Vigie: agent not running"
        status.parent.mkdir()
        write_status(status, status_doc(agent.pid, False, with_check(PASS_ALL, "backup", **BACKUP_FAIL)))
        ns = wait_for(lambda: len(rec.records("notify")) >= 2 and rec.records("notify"), 30,
                      what="the notification once the directory exists")
        assert ns[1]["summary"] == "Not compliant: 1 thing to fix"
    finally:
        tray.stop()
        agent.stop()
        rec.close()
        bus.close()


def test_unreadable_status_at_start_then_a_good_one(desk):
    d = desk
    d.status.write_text('{"compliant": fal')
    tray = d.start()
    wait_for(lambda: "Cannot read" in tray.stderr(), 30, what="the parse error logged")
    assert tray.proc.poll() is None
    assert d.bus.item_property(d.service, "Status") == ""
    write_status(d.status, status_doc(d.agent.pid, False, with_check(PASS_ALL, "backup", **BACKUP_FAIL)))
    n = wait_notifications(d, 1, "the notification once the file is good")[0]
    assert n["summary"] == "Not compliant: 1 thing to fix"
    assert d.bus.item_property(d.service, "Status") == "NeedsAttention"


def test_markup_is_escaped_for_servers_that_parse_it(tmp_path):
    bus = SessionBus(tmp_path)
    rec = Recorder(bus, tmp_path / "calls.jsonl", markup=True)
    agent = FakeAgent(tmp_path)
    status = tmp_path / "status.json"
    write_status(status, status_doc(agent.pid, True, PASS_ALL))
    tray = Tray(tmp_path, bus, status)
    try:
        wait_for(lambda: rec.records("register"), 30, what="registration")
        write_status(status, status_doc(agent.pid, False, with_check(
            PASS_ALL, "patch_level", status="fail", summary="<3 updates> && more")))
        n = wait_for(lambda: rec.records("notify"), 30, what="the notification")[0]
        assert n["body"] == "Patch level: &lt;3 updates&gt; &amp;&amp; more"
    finally:
        tray.stop()
        agent.stop()
        rec.close()
        bus.close()


def test_buttons_open_details_and_the_updater(tmp_path):
    """A server with "actions": Details (and a click on the bubble) start vigie-details, the
    second button the desktop's updater for a patch problem — as the user, nothing else."""
    bus = SessionBus(tmp_path)
    rec = Recorder(bus, tmp_path / "calls.jsonl", actions=True)
    agent = FakeAgent(tmp_path)
    status = tmp_path / "status.json"
    tools = tmp_path / "bin"
    tools.mkdir()
    ran = tmp_path / "ran"

    def fake_tool(name):
        """A desktop tool that writes who ran it and with what into `ran`."""
        tool = tools / name
        tool.write_text(f'#!/bin/sh\necho "$(id -u) {name} $*" >>{ran}\n')
        tool.chmod(0o755)
        return tool
    updater = fake_tool("gnome-software")
    write_status(status, status_doc(agent.pid, True, PASS_ALL))
    tray = Tray(tmp_path, bus, status, {"PATH": f"{tools}:/usr/bin:/bin", "DISPLAY": ":nowhere"})
    try:
        wait_for(lambda: rec.records("register"), 30, what="registration")
        write_status(status, status_doc(agent.pid, True, with_check(PASS_ALL, "patch_level", **PATCH_WARN)))
        n = wait_for(lambda: rec.records("notify"), 30, what="the notification")[0]
        assert n["actions"] == ["default", "Details", "details", "Details", "fix", "Install updates"]
        rec.invoke(n["id"], "fix")
        wait_for(lambda: ran.exists() and ran.read_text(), 30, what="the updater started")
        assert ran.read_text() == f"{os.getuid()} gnome-software --mode=updates\n"
        rec.invoke(n["id"], "details")
        wait_for(lambda: re.search(r"Started .*vigie-details", tray.stderr()), 30, what="vigie-details started")
        # Another bubble's buttons are not ours.
        rec.invoke(n["id"] + 1, "fix")
        # Without an updater, a backup problem: only Details.
        updater.unlink()
        write_status(status, status_doc(agent.pid, False, with_check(PASS_ALL, "backup", **BACKUP_FAIL)))
        ns = wait_for(lambda: len(rec.records("notify")) >= 2 and rec.records("notify"), 30, what="second bubble")
        assert ns[1]["actions"] == ["default", "Details", "details", "Details"]
        assert ran.read_text().count("\n") == 1
        # The site names its support: "Contact IT" opens it (a URL that is not plain is ignored).
        fake_tool("xdg-open")
        write_status(status, status_doc(agent.pid, False, with_check(PASS_ALL, "patch_level", status="fail"),
                                        support={"url": "javascript:alert(1)", "email": "it@example.com"}))
        ns = wait_for(lambda: len(rec.records("notify")) >= 3 and rec.records("notify"), 30, what="third bubble")
        assert ns[2]["actions"][-2:] == ["fix", "Contact IT"]
        rec.invoke(ns[2]["id"], "fix")
        wait_for(lambda: f"{os.getuid()} xdg-open mailto:it@example.com\n" in ran.read_text(), 30, what="xdg-open mailto:")
    finally:
        tray.stop()
        agent.stop()
        rec.close()
        bus.close()


def test_once(tmp_path, fr_locale):
    status = tmp_path / "status.json"
    env = {"TZ": "UTC", "VIGIE_LOCALEDIR": str(LOCALEDIR)}
    r = run("vigie-tray", "--once", "--status", status, env=env)
    assert r.returncode == 4, r
    assert r.stdout.startswith("Vigie: agent not running\nThe Vigie agent has never run"), r

    agent = FakeAgent(tmp_path)
    try:
        write_status(status, status_doc(agent.pid, True, PASS_ALL))
        r = run("vigie-tray", "--once", "--status", status, env=env)
        assert (r.returncode, r.stdout) == (0, "Vigie: compliant\nThis laptop meets the company's security policy.\n"), r
        write_status(status, status_doc(agent.pid, None, []))
        r = run("vigie-tray", "--once", "--status", status, env=env)
        assert r.returncode == 4 and r.stdout.startswith("Vigie: not checked yet\n"), r
        write_status(status, status_doc(agent.pid, False, with_check(PASS_ALL, "patch_level", **PATCH_WARN)))
        r = run("vigie-tray", "--once", "--status", status, env=dict(env, **lang_env(fr_locale)))
        assert r.returncode == 1, r
        assert r.stdout.startswith(f"Non conforme{NBSP}: 1 point à corriger\n"), r
    finally:
        agent.stop()

    status.write_text('{"compliant": tru')
    r = run("vigie-tray", "--once", "--status", status, env=env)
    assert r.returncode == 3 and f'vigie-tray: cannot read "{status}"' in r.stderr, r
    r = run("vigie-tray", "--once", "--bogus")
    assert r.returncode == 2 and "vigie-tray --help" in r.stderr, r


def test_vigie_check_speaks_french(vigie, empty_config, fr_locale):
    env = dict(lang_env(fr_locale), VIGIE_LOCALEDIR=str(LOCALEDIR))
    r = vigie("check", "--config", empty_config, "--no-state", "--only", "backup", env=env)
    assert r.returncode == 1, r
    assert "ÉCHEC" in r.stdout and "Sauvegarde" in r.stdout, r
    assert "Aucune sauvegarde configurée." in r.stdout, r
    assert f"À faire{NBSP}: Demandez au service informatique" in r.stdout, r
    assert "Non conforme." in r.stdout, r
    # The same in English: the catalog is only used when asked for.
    r = vigie("check", "--config", empty_config, "--no-state", "--only", "backup",
              env={"VIGIE_LOCALEDIR": str(LOCALEDIR)})
    assert "FAIL" in r.stdout and "No backup configured." in r.stdout, r


def test_employee_facing_strings_are_all_translated(tmp_path):
    """Every message of the tray, the checks and `vigie check`/`vigie status` has a French
    translation: a new string without one fails here (make po-update, then translate)."""
    sources = sorted(str(p.relative_to(SRC)) for pat in ("agent/tray/*.c", "agent/details/*.c", "agent/checks/*.c",
                                                         "agent/checks/*/*.c",
                                                         "agent/verb-check.c", "agent/verb-status.c",
                                                         "agent/cli.c")
                     for p in SRC.glob(pat))
    pot = tmp_path / "employee.pot"
    subprocess.run(["xgettext", "--language=C", "--from-code=UTF-8", "--keyword=_", "--keyword=N_",
                    "--keyword=ngettext:1,2", "-o", str(pot), *sources], cwd=SRC, check=True)
    merged = tmp_path / "fr.po"
    subprocess.run(["msgmerge", "--quiet", "--no-fuzzy-matching", "-o", str(merged), str(SRC / "po" / "fr.po"),
                    str(pot)], check=True)
    left = subprocess.run(["msgattrib", "--untranslated", "--no-obsolete", "--no-wrap", str(merged)],
                          capture_output=True, text=True, check=True).stdout
    missing = [l for l in left.splitlines() if l.startswith("msgid ") and l != 'msgid ""']
    assert missing == [], "untranslated in po/fr.po:\n" + "\n".join(missing)


def test_one_tray_per_session(desk):
    d = desk
    write_status(d.status, status_doc(d.agent.pid, True, PASS_ALL))
    d.start()
    (d.tmp / "second").mkdir()
    second = Tray(d.tmp / "second", d.bus, d.status)
    assert second.proc.wait(timeout=30) == 0
    assert "Another vigie-tray already runs in this session" in second.stderr()
    assert len(d.rec.records("register")) == 1


def test_installed_user_unit_and_autostart_entry(tmp_path):
    dest = tmp_path / "dest"
    subprocess.run(["make", "-s", "--no-print-directory", "install-tray", f"DESTDIR={dest}", "PREFIX=/usr",
                    "SYSTEMDUSERUNITDIR=/usr/lib/systemd/user"], cwd=SRC, check=True)
    unit = (dest / "usr/lib/systemd/user/vigie-tray.service").read_text()
    assert "ExecStart=/usr/bin/vigie-tray\n" in unit
    assert "WantedBy=graphical-session.target" in unit and "PartOf=graphical-session.target" in unit
    # systemd-analyze verify, with ExecStart= and the man page taken from this tree.
    (tmp_path / "man/man1").mkdir(parents=True)
    (tmp_path / "man/man1/vigie-tray.1").write_text((SRC / "docs/man/vigie-tray.1").read_text())
    local = tmp_path / "vigie-tray.service"
    local.write_text(unit.replace("/usr/bin/vigie-tray", str(BIN / "vigie-tray")))
    p = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True,
                       env=dict(os.environ, MANPATH=str(tmp_path / "man"), SYSTEMD_LOG_COLOR="0"))
    assert p.returncode == 0 and p.stderr.strip() == "", p.stderr
    for entry in (dest / "etc/xdg/autostart/vigie-tray.desktop", dest / "usr/share/applications/vigie-tray.desktop"):
        text = entry.read_text()
        assert "Exec=/usr/bin/vigie-tray\n" in text and "X-systemd-skip=true" in text
        if subprocess.run(["which", "desktop-file-validate"], capture_output=True).returncode == 0:
            v = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
            assert v.returncode == 0, v.stdout + v.stderr
    # The details window's application entry: how GNOME without a tray reaches it.
    entry = dest / "usr/share/applications/vigie-details.desktop"
    text = entry.read_text()
    assert "Exec=/usr/bin/vigie-details\n" in text and "NoDisplay" not in text
    if subprocess.run(["which", "desktop-file-validate"], capture_output=True).returncode == 0:
        v = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert v.returncode == 0, v.stdout + v.stderr


def test_exits_with_failure_when_the_session_bus_goes(tmp_path):
    bus = SessionBus(tmp_path)
    status = tmp_path / "status.json"
    tray = Tray(tmp_path, bus, status)
    wait_for(lambda: "waiting for one to appear" in tray.stderr(), 30, what="the tray to start")
    bus.close()
    assert tray.proc.wait(timeout=30) == 1, tray.stderr()
