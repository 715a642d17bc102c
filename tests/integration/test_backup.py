# SPDX-License-Identifier: MIT
"""The backup check against real restic and borg repositories made here, timeshift fixture
trees, stamp files, and a hanging tool."""
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from backup_util import BorgRepo, ResticRepo, check, source, write_config
from conftest import run

# Default policy: max_age_hours 48, warn_age_hours 24.


@pytest.fixture(scope="module")
def restic_repo(tmp_path_factory):
    r = ResticRepo(tmp_path_factory.mktemp("restic"))
    r.backup("2026-11-20 08:00:00", host="laptop", tags=["daily"])
    r.backup("2026-11-28 10:00:00", host="laptop", tags=["daily"])
    r.backup("2026-11-29 06:00:00", host="other", tags=["weekly"])
    return r


@pytest.fixture(scope="module")
def borg_repo(tmp_path_factory):
    b = BorgRepo(tmp_path_factory.mktemp("borg"))
    b.create("laptop-2026-11-27", "2026-11-27T22:30:00")
    b.create("laptop-2026-11-28", "2026-11-28T10:00:00")
    b.create("desk-2026-11-29", "2026-11-29T06:00:00")
    return b


def restic_section(repo, name="home", pw=None, extra=""):
    return (f'[Backup "{name}"]\nType=restic\nRepository={repo.path}\n'
            f"PasswordFile={pw or repo.pw}\n{extra}\n")


def borg_section(repo, name="borg", pw=None, extra=""):
    return (f'[Backup "{name}"]\nType=borg\nRepository={repo.path}\n'
            f"PasswordFile={pw or repo.pw}\n{extra}\n")


# --- restic -------------------------------------------------------------------------------

def test_restic_fresh_stale_warn(tmp_path, restic_repo):
    conf = write_config(tmp_path, restic_section(restic_repo, extra="Host=laptop"))
    res, _ = check(conf, "2026-11-28T20:00:00Z")
    assert res["status"] == "pass", res
    s = source(res, "home")
    assert s["newest"] == "2026-11-28T10:00:00Z" and s["host"] == "laptop" and s["tags"] == ["daily"]
    assert s["tool"] == "restic" and s["repository"] == str(restic_repo.path)
    assert len(s["id"]) == 64 and s["probed"] == "2026-11-28T20:00:00Z" and s["error"] is None

    res, _ = check(conf, "2026-11-29T20:00:00Z")  # 34 h: past warn (24), within max (48)
    assert res["status"] == "warn", res
    assert res["deadline"] == "2026-11-30T10:00:00Z"
    assert res["remediation"]

    res, r = check(conf, "2026-12-01T10:00:01Z")
    assert res["status"] == "fail", res
    assert "older than the 48 h" in res["summary"]
    assert r.returncode == 1


def test_restic_host_and_tag_filters(tmp_path, restic_repo):
    conf = write_config(tmp_path, restic_section(restic_repo))
    res, _ = check(conf, "2026-11-29T07:00:00Z")  # no filter: newest of every host
    assert source(res, "home")["host"] == "other"
    conf = write_config(tmp_path, restic_section(restic_repo, extra="Tag=daily"))
    res, _ = check(conf, "2026-11-29T07:00:00Z")
    assert source(res, "home")["newest"] == "2026-11-28T10:00:00Z"
    conf = write_config(tmp_path, restic_section(restic_repo, extra="Host=nosuchhost"))
    res, _ = check(conf, "2026-11-29T07:00:00Z")
    assert res["status"] == "fail" and "No backup found" in res["summary"]
    assert source(res, "home")["status"] == "none"


def test_restic_wrong_password_keeps_last_good(tmp_path, restic_repo):
    bad = tmp_path / "bad.pw"
    bad.write_text("not-the-password\n")
    bad.chmod(0o600)
    # never seen before: unknown
    conf = write_config(tmp_path, restic_section(restic_repo, pw=bad, extra="Host=laptop"))
    res, _ = check(conf, "2026-11-28T20:00:00Z")
    assert res["status"] == "unknown", res
    assert "wrong password" in res["summary"]
    # seen once with the right password, then the password changes: last good kept
    shutil.rmtree(tmp_path / "state")
    conf = write_config(tmp_path, restic_section(restic_repo, extra="Host=laptop"))
    check(conf, "2026-11-28T20:00:00Z")
    conf = write_config(tmp_path, restic_section(restic_repo, pw=bad, extra="Host=laptop"))
    res, r = check(conf, "2026-11-28T21:00:00Z")
    assert res["status"] == "pass", res
    s = source(res, "home")
    assert s["cached"] is True and s["newest"] == "2026-11-28T10:00:00Z"
    assert "wrong password" in s["error"]
    assert s["unreachable_since"] == "2026-11-28T21:00:00Z"
    assert "unreachable since 2026-11-28T21:00:00Z" in res["summary"]
    # the age keeps counting: the cached backup ends up stale
    res, _ = check(conf, "2026-12-02T21:00:00Z")
    assert res["status"] == "fail" and source(res, "home")["unreachable_since"] == "2026-11-28T21:00:00Z"
    for text in (r.stdout, r.stderr, (tmp_path / "state" / "state.json").read_text()):
        assert "restic-secret-pw" not in text and "not-the-password" not in text


def test_restic_repository_deleted(tmp_path, restic_repo):
    repo = tmp_path / "copy"
    shutil.copytree(restic_repo.path, repo)
    conf = write_config(tmp_path, f'[Backup "home"]\nType=restic\nRepository={repo}\n'
                                  f"PasswordFile={restic_repo.pw}\nHost=laptop\n")
    res, _ = check(conf, "2026-11-28T20:00:00Z")
    assert res["status"] == "pass"
    shutil.rmtree(repo)
    res, _ = check(conf, "2026-11-29T01:00:00Z")
    assert res["status"] == "pass", res
    s = source(res, "home")
    assert s["cached"] and "not found" in s["error"] and s["unreachable_since"] == "2026-11-29T01:00:00Z"
    # a fresh state has nothing to fall back on
    shutil.rmtree(tmp_path / "state")
    res, _ = check(write_config(tmp_path, conf.read_text().split("\n\n", 1)[1]), "2026-11-29T01:00:00Z")
    assert res["status"] == "unknown" and "not found" in res["summary"]


def test_restic_not_installed(tmp_path, restic_repo):
    empty = tmp_path / "bin"
    empty.mkdir()
    conf = write_config(tmp_path, restic_section(restic_repo, extra=f"SearchPath={empty}"))
    res, _ = check(conf, "2026-11-28T20:00:00Z")
    assert res["status"] == "unknown", res
    assert "restic is not installed" in res["summary"]
    assert "Ask IT" in res["remediation"]


def test_password_file_must_be_root_only(tmp_path, restic_repo):
    loose = tmp_path / "loose.pw"
    loose.write_text("restic-secret-pw\n")
    loose.chmod(0o644)
    conf = write_config(tmp_path, restic_section(restic_repo, pw=loose))
    res, r = check(conf, "2026-11-28T20:00:00Z")
    assert res["status"] == "unknown"
    assert "readable by root only" in res["summary"] and "0644" in res["summary"]
    assert "restic-secret-pw" not in r.stdout + r.stderr


def test_probe_interval_cached_path(tmp_path, restic_repo):
    repo = tmp_path / "copy"
    shutil.copytree(restic_repo.path, repo)
    conf = write_config(tmp_path, f'[Backup "home"]\nType=restic\nRepository={repo}\n'
                                  f"PasswordFile={restic_repo.pw}\nRemote=yes\nProbeInterval=6h\n")
    res, _ = check(conf, "2026-11-29T07:00:00Z")
    assert source(res, "home")["cached"] is False
    shutil.rmtree(repo)  # not probed again before 6 h: nobody notices
    res, _ = check(conf, "2026-11-29T12:59:00Z")
    s = source(res, "home")
    assert res["status"] == "pass" and s["cached"] is True and s["error"] is None
    assert s["probed"] == "2026-11-29T07:00:00Z"
    assert res["duration_us"] < 1_000_000  # no tool ran (a correctness check, not a benchmark)
    res, _ = check(conf, "2026-11-29T13:00:00Z")  # due: probed, unreachable, last good kept
    s = source(res, "home")
    assert s["probed"] == "2026-11-29T13:00:00Z" and "not found" in s["error"] and s["cached"]
    assert res["status"] == "pass"


# --- borg ---------------------------------------------------------------------------------

def test_borg_fresh_warn_stale(tmp_path, borg_repo):
    conf = write_config(tmp_path, borg_section(borg_repo, extra="GlobArchives=laptop-*"))
    # vigie runs in another time zone: borg's naive times must still come out right
    res, _ = check(conf, "2026-11-28T20:00:00Z", env={"TZ": "America/New_York"})
    assert res["status"] == "pass", res
    s = source(res, "borg")
    assert s["newest"] == "2026-11-28T10:00:00Z" and s["id"] == "laptop-2026-11-28"
    res, _ = check(conf, "2026-11-29T11:00:00Z", env={"TZ": "Europe/Paris"})
    assert res["status"] == "warn" and res["deadline"] == "2026-11-30T10:00:00Z", res
    res, _ = check(conf, "2026-12-01T00:00:00Z")
    assert res["status"] == "fail", res
    conf = write_config(tmp_path, borg_section(borg_repo))
    res, _ = check(conf, "2026-11-29T07:00:00Z")
    assert source(res, "borg")["id"] == "desk-2026-11-29"


def test_borg_wrong_passphrase_and_deleted(tmp_path, borg_repo):
    repo = tmp_path / "copy"
    shutil.copytree(borg_repo.path, repo)
    bad = tmp_path / "bad.pw"
    bad.write_text("nope\n")
    bad.chmod(0o600)
    conf = write_config(tmp_path, f'[Backup "b"]\nType=borg\nRepository={repo}\nPasswordFile={bad}\n')
    res, _ = check(conf, "2026-11-29T07:00:00Z")
    assert res["status"] == "unknown" and "wrong passphrase" in res["summary"], res
    conf = write_config(tmp_path, f'[Backup "b"]\nType=borg\nRepository={repo}\nPasswordFile={borg_repo.pw}\n')
    res, _ = check(conf, "2026-11-29T07:00:00Z")
    assert res["status"] == "pass"
    shutil.rmtree(repo)
    res, r = check(conf, "2026-11-29T08:00:00Z")
    s = source(res, "b")
    assert res["status"] == "pass" and s["cached"] and "not found" in s["error"], res
    assert "borg-secret-pw" not in r.stdout + r.stderr


def test_borg_not_installed(tmp_path, borg_repo):
    conf = write_config(tmp_path, borg_section(borg_repo, extra="SearchPath=/nonexistent"))
    res, _ = check(conf, "2026-11-29T07:00:00Z")
    assert res["status"] == "unknown" and "borg is not installed" in res["summary"]


def test_require_all(tmp_path, restic_repo, borg_repo):
    conf = write_config(tmp_path, restic_section(restic_repo, extra="Host=laptop") +
                        borg_section(borg_repo, extra="GlobArchives=laptop-*"))
    res, _ = check(conf, "2026-11-29T07:00:00Z", policy={"require": "all"})
    assert res["status"] == "pass"
    (tmp_path / "state" / "state.json").unlink()
    res, _ = check(conf, "2026-11-29T20:00:00Z", policy={"require": "all"})
    assert res["status"] == "warn", res
    # one source has no backup: "all" fails, "any" passes on the other one
    conf = write_config(tmp_path, restic_section(restic_repo, extra="Host=nosuchhost") +
                        borg_section(borg_repo))
    res, _ = check(conf, "2026-11-29T07:00:00Z", policy={"require": "all"})
    assert res["status"] == "fail" and "No backup found" in res["summary"]
    res, _ = check(conf, "2026-11-29T07:00:00Z", policy={"require": "any"})
    assert res["status"] == "pass"


# --- a hanging tool -----------------------------------------------------------------------

def test_hanging_tool_killed_with_its_children(tmp_path, restic_repo):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    pids = tmp_path / "pids"
    tool = bindir / "restic"
    tool.write_text(f"#!/bin/sh\nsleep 300 &\necho $! >> {pids}\necho $$ >> {pids}\nexec sleep 301\n")
    tool.chmod(0o755)
    conf = write_config(tmp_path, restic_section(restic_repo, extra=f"SearchPath={bindir}:/usr/bin:/bin\nTimeout=1s"))
    res, _ = check(conf, "2026-11-28T20:00:00Z")
    assert res["status"] == "unknown", res
    assert "did not finish within 1 s" in res["summary"]
    survivors = []
    for pid in pids.read_text().split():
        for _ in range(100):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except FileNotFoundError:
                break
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                break  # killed; waiting for init to reap it
            time.sleep(0.05)
        else:
            survivors.append(pid)
    assert not survivors


# --- timeshift ----------------------------------------------------------------------------

def timeshift_snapshot(base: Path, name: str, created: int, tags="D"):
    d = base / name
    (d / "localhost").mkdir(parents=True)
    (d / "info.json").write_text(json.dumps({"created": str(created), "sys-uuid": "x", "sys-distro": "Debian 12",
                                             "app-version": "22.11.2", "tags": tags, "comments": ""}, indent=2))


@pytest.mark.parametrize("mode,sub", [("rsync", "timeshift/snapshots"), ("btrfs", "timeshift-btrfs/snapshots")])
def test_timeshift(tmp_path, mode, sub):
    root = tmp_path / "root"
    snaps = root / "mnt/backup" / sub
    timeshift_snapshot(snaps, "2026-11-27_10-00-01", 1795773601)           # 2026-11-27T10:00:01Z
    timeshift_snapshot(snaps, "2026-11-28_10-00-01", 1795860001, "D W")    # 2026-11-28T10:00:01Z
    (snaps / "2026-11-29_10-00-01").mkdir()
    (snaps / "2026-11-29_10-00-01" / "info.json").write_text('{"created": "17959')  # corrupt
    conf = write_config(tmp_path, f'[Backup "sys"]\nType=timeshift\nMount=/mnt/backup\nMode={mode}\n')
    res, _ = check(conf, "2026-11-28T20:00:00Z", root=root)
    assert res["status"] == "pass", res
    s = source(res, "sys")
    assert s["newest"] == "2026-11-28T10:00:01Z" and s["id"] == "2026-11-28_10-00-01" and s["tags"] == ["D", "W"]
    assert "1 snapshot with an unreadable info.json" in s["error"] and "2026-11-29_10-00-01" in s["error"]
    # the device is not mounted any more: the last good observation stands in
    shutil.rmtree(root / "mnt/backup")
    res, _ = check(conf, "2026-11-28T21:00:00Z", root=root)
    s = source(res, "sys")
    assert res["status"] == "pass" and s["cached"] and "is the backup device mounted" in s["error"]


def test_timeshift_wrong_mode_is_unknown(tmp_path):
    root = tmp_path / "root"
    timeshift_snapshot(root / "mnt/backup/timeshift/snapshots", "2026-11-28_10-00-01", 1795860001)
    conf = write_config(tmp_path, '[Backup "sys"]\nType=timeshift\nMount=/mnt/backup\nMode=btrfs\n')
    res, _ = check(conf, "2026-11-28T20:00:00Z", root=root)
    assert res["status"] == "unknown" and "timeshift-btrfs/snapshots" in res["summary"]


# --- stamp files --------------------------------------------------------------------------

def stamp_conf(tmp_path, fmt="auto"):
    return write_config(tmp_path, f'[Backup "hook"]\nType=stamp\nPath=/var/lib/backup/last\nFormat={fmt}\n')


def test_stamp_content_and_mtime(tmp_path):
    root = tmp_path / "root"
    stamp = root / "var/lib/backup/last"
    stamp.parent.mkdir(parents=True)
    stamp.write_text("2026-11-28T11:00:00+01:00\n")
    res, _ = check(stamp_conf(tmp_path), "2026-11-28T20:00:00Z", root=root)
    assert res["status"] == "pass" and source(res, "hook")["newest"] == "2026-11-28T10:00:00Z", res
    # no offset: local time of the laptop
    stamp.write_text("2026-11-28 11:00:00\n")
    res, _ = check(stamp_conf(tmp_path), "2026-11-28T20:00:00Z", root=root, env={"TZ": "Europe/Paris"})
    assert source(res, "hook")["newest"] == "2026-11-28T10:00:00Z"
    # an empty file (touch): its mtime
    stamp.write_text("")
    t = 1795773600  # 2026-11-27T10:00:00Z
    os.utime(stamp, (t, t))
    res, _ = check(stamp_conf(tmp_path), "2026-11-28T20:00:00Z", root=root)
    assert res["status"] == "warn" and source(res, "hook")["newest"] == "2026-11-27T10:00:00Z", res
    stamp.write_text("2026-11-28T11:00:00Z")
    os.utime(stamp, (t, t))
    res, _ = check(stamp_conf(tmp_path, "mtime"), "2026-11-28T20:00:00Z", root=root)
    assert source(res, "hook")["newest"] == "2026-11-27T10:00:00Z"


def test_stamp_future_garbage_unreadable_missing(tmp_path):
    root = tmp_path / "root"
    stamp = root / "var/lib/backup/last"
    stamp.parent.mkdir(parents=True)
    stamp.write_text("2027-01-01T00:00:00Z\n")
    res, _ = check(stamp_conf(tmp_path), "2026-11-28T20:00:00Z", root=root)
    assert res["status"] == "unknown" and "in the future" in res["summary"], res
    stamp.write_text("backup done!\n")
    res, _ = check(stamp_conf(tmp_path), "2026-11-28T20:00:00Z", root=root)
    assert res["status"] == "unknown" and "does not hold an ISO 8601 time" in res["summary"], res
    stamp.unlink()
    stamp.mkdir()
    res, _ = check(stamp_conf(tmp_path), "2026-11-28T20:00:00Z", root=root)
    assert res["status"] == "unknown" and "not a regular file" in res["summary"], res
    stamp.rmdir()
    res, _ = check(stamp_conf(tmp_path), "2026-11-28T20:00:00Z", root=root)
    assert res["status"] == "fail" and "No backup found" in res["summary"], res


# --- configuration ------------------------------------------------------------------------

def test_no_backup_configured(tmp_path):
    conf = write_config(tmp_path, "")
    res, r = check(conf, "2026-11-28T20:00:00Z")
    assert res["status"] == "fail" and res["summary"] == "No backup configured." and r.returncode == 1


def test_bad_backup_config_exits_2(tmp_path, vigie):
    conf = write_config(tmp_path, '[Backup "home"]\nType=restic\nRepository=/srv/r\nPasswordFile=/etc/pw\n'
                                  'ProbeInterval=sometimes\n')
    r = vigie("check", "--config", conf, "--only", "backup")
    assert r.returncode == 2
    assert f'{conf}:8: [Backup "home"] ProbeInterval="sometimes": expected a duration' in r.stderr, r
    conf = write_config(tmp_path, '[Backup "home"]\nType=rsnapshot\n')
    r = vigie("check", "--config", conf, "--only", "backup")
    assert r.returncode == 2 and 'Type="rsnapshot": unknown source type' in r.stderr


def test_human_output_shows_backup(tmp_path, restic_repo, vigie):
    conf = write_config(tmp_path, restic_section(restic_repo, extra="Host=laptop"))
    r = vigie("check", "--config", conf, "--only", "backup", env={"VIGIE_NOW": "2026-11-29T20:00:00Z"})
    assert r.returncode == 0, r
    assert "WARN" in r.stdout and "Backup" in r.stdout and "Deadline: 2026-11-30T10:00:00Z" in r.stdout


def test_remote_unreachable_hides_credentials(tmp_path, restic_repo):
    import socket
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    repo = f"rest:http://vigie:s3cret-in-url@127.0.0.1:{port}/laptop"
    conf = write_config(tmp_path, f'[Backup "office"]\nType=restic\nRepository={repo}\n'
                                  f"PasswordFile={restic_repo.pw}\nTimeout=5s\n")
    res, r = check(conf, "2026-11-28T20:00:00Z")
    assert res["status"] == "unknown", res
    s = source(res, "office")
    assert s["remote"] is True and s["repository"] == f"rest:http://127.0.0.1:{port}/laptop"
    for text in (r.stdout, r.stderr, (tmp_path / "state" / "state.json").read_text()):
        assert "s3cret-in-url" not in text


def test_borg_lock_held_by_a_running_backup(tmp_path, borg_repo):
    """A backup running right now holds the repository lock: listing must not wait for it."""
    import subprocess
    from backup_util import TOOL_ENV
    ready = tmp_path / "locked"
    holder = subprocess.Popen(["borg", "with-lock", borg_repo.path, "sh", "-c", f"touch {ready}; sleep 60"],
                              env=dict(TOOL_ENV, **borg_repo.env), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(200):
            if ready.exists():
                break
            time.sleep(0.05)
        assert ready.exists()
        conf = write_config(tmp_path, borg_section(borg_repo))
        res, _ = check(conf, "2026-11-29T07:00:00Z")
        assert res["status"] == "pass" and source(res, "borg")["error"] is None, res
    finally:
        os.killpg(holder.pid, 9)
        holder.wait()


def test_timeshift_future_snapshot(tmp_path):
    root = tmp_path / "root"
    timeshift_snapshot(root / "mnt/backup/timeshift/snapshots", "2027-01-01_00-00-00", 1798761600, "D W")
    conf = write_config(tmp_path, '[Backup "sys"]\nType=timeshift\nMount=/mnt/backup\n')
    res, _ = check(conf, "2026-11-28T20:00:00Z", root=root)
    assert res["status"] == "unknown" and "in the future" in res["summary"], res
    assert source(res, "sys")["newest"] == "2027-01-01T00:00:00Z"


def test_tool_gets_a_clean_environment_and_no_secret_on_its_command_line(tmp_path, restic_repo):
    """A stand-in "restic" on SearchPath records what it was given, then fails."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    seen = tmp_path / "seen"
    tool = bindir / "restic"
    tool.write_text(f'#!/bin/sh\nexec 4>{seen}\nls /proc/self/fd >&4\nexec 1>&4 4>&-\n'
                    'echo "ARGV $*"; env; cat /dev/fd/3; cat\n'
                    "echo 'Fatal: something broke' >&2\nexit 1\n")
    tool.chmod(0o755)
    envfile = tmp_path / "restic.env"
    envfile.write_text("# keys\nAWS_SECRET_ACCESS_KEY=env-file-secret\n")
    envfile.chmod(0o600)
    conf = write_config(tmp_path, restic_section(restic_repo, extra=f"SearchPath={bindir}:/usr/bin:/bin\n"
                                                 f"Environment=RESTIC_COMPRESSION=max\nEnvironmentFile={envfile}"))
    res, r = check(conf, "2026-11-28T20:00:00Z", env={"LEAKY": "from-parent"})
    assert res["status"] == "unknown" and "something broke" in res["summary"], res
    lines = seen.read_text().splitlines()
    argv = next(l for l in lines if l.startswith("ARGV"))
    assert argv.startswith("ARGV snapshots --json --latest 1 --no-lock --cache-dir ")
    assert "restic-secret-pw" not in argv and str(restic_repo.path) not in argv
    env = dict(l.split("=", 1) for l in lines[1:] if "=" in l and not l.startswith(("PWD=", "SHLVL=", "_=")))
    assert set(env) == {"PATH", "HOME", "LC_ALL", "TZ", "RESTIC_REPOSITORY", "RESTIC_PASSWORD_FILE",
                        "RESTIC_COMPRESSION", "AWS_SECRET_ACCESS_KEY"}, env
    assert env["RESTIC_PASSWORD_FILE"] == "/dev/fd/3" and env["TZ"] == "UTC0"
    assert env["AWS_SECRET_ACCESS_KEY"] == "env-file-secret"
    assert "restic-secret-pw" in lines  # read from fd 3
    fds = [l for l in lines if l.isdigit()]
    assert sorted(fds, key=int) == ["0", "1", "2", "3", "4", "5"]  # 3 secret, 4 script, 5 ls; none inherited
    for text in (r.stdout, r.stderr, (tmp_path / "state" / "state.json").read_text()):
        assert "env-file-secret" not in text and "restic-secret-pw" not in text
    # an environment file others can read is refused
    envfile.chmod(0o640)
    res, _ = check(conf, "2026-11-28T20:00:00Z")
    assert res["status"] == "unknown" and "environment file" in res["summary"] and "0640" in res["summary"], res
