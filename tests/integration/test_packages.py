"""The .debs in a fresh Debian 12 chroot: install, enroll, report, upgrade, remove, purge.

`make check-packages` builds the packages twice (VIGIE_PACKAGES: this version;
VIGIE_PACKAGES_NEXT: the same sources as a higher version) and runs this file as root.
The vigie-server that receives the chroot's reports runs outside it, on 127.0.0.1 (a
chroot shares the host's network). Without those variables (plain `make check`), skipped.
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import SRC, binary, run
from server_util import VigieServer

PACKAGES = os.environ.get("VIGIE_PACKAGES")
PACKAGES_NEXT = os.environ.get("VIGIE_PACKAGES_NEXT")
pytestmark = pytest.mark.skipif(not (PACKAGES and PACKAGES_NEXT) or os.geteuid() != 0,
                                reason="make check-packages runs these (built .debs, root, debootstrap)")

# What dpkg itself keeps about packages, gone or not: not "left behind by Vigie".
DPKG_OWN = ("var/lib/dpkg/", "var/log/", "var/cache/debconf/", "var/cache/ldconfig/")


def deb(directory, name):
    found = sorted(Path(directory).glob(f"{name}_*.deb"))
    assert len(found) == 1, f"expected one {name}_*.deb in {directory}, found {found}"
    return found[0]


def control_field(deb_path, field):
    return subprocess.run(["dpkg-deb", "-f", str(deb_path), field], capture_output=True, text=True,
                          check=True).stdout


def runtime_depends(*debs):
    """The packages the .debs need from Debian, to preinstall in the cached chroot, and
    python3 and python3-apt for Ansible's modules."""
    names = ["python3", "python3-apt"]
    for d in debs:
        for dep in control_field(d, "Depends").split(","):
            n = dep.split("(")[0].split("|")[0].strip()
            if n and not n.startswith(("vigie", "libc6", "init-system-helpers")) and n not in names:
                names.append(n)
    return sorted(names)


class Chroot:
    def __init__(self, tmp_path, tarball):
        self.root = tmp_path / "chroot"
        self.root.mkdir()
        subprocess.run(["tar", "-C", str(self.root), "--numeric-owner", "-xf", tarball], check=True)
        self.root.chmod(0o755)  # a system's /, which the vigie user must traverse
        subprocess.run(["mount", "-t", "proc", "proc", str(self.root / "proc")], check=True)

    def close(self):
        subprocess.run(["umount", "-l", str(self.root / "proc")], check=False)

    def path(self, p):
        return self.root / p.lstrip("/")

    def run(self, *args, check=True, env=None, timeout=300):
        e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive",
             "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/run/no-bus"}
        e.update(env or {})
        p = subprocess.run(["chroot", str(self.root), *map(str, args)], capture_output=True, text=True,
                           env=e, timeout=timeout)
        if check:
            assert p.returncode == 0, f"{args} in the chroot failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
        return p

    def dpkg(self, *args):
        """dpkg inside the chroot on .debs copied into it."""
        staged = []
        for a in args:
            if isinstance(a, Path):
                shutil.copy(a, self.path("/tmp") / a.name)
                staged.append(f"/tmp/{a.name}")
            else:
                staged.append(a)
        try:
            return self.run("dpkg", *staged)
        finally:
            for a in args:
                if isinstance(a, Path):
                    (self.path("/tmp") / a.name).unlink()

    def files(self):
        """Every path in the chroot but /proc and dpkg's own records."""
        out = set()
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel = os.path.relpath(dirpath, self.root)
            if rel == ".":
                dirnames.remove("proc")
            for n in dirnames + filenames:
                p = os.path.normpath(os.path.join(rel, n))
                if not p.startswith(DPKG_OWN):
                    out.add(p)
        return out


@pytest.fixture
def chroot(tmp_path):
    debs = [deb(PACKAGES, "vigie-agent"), deb(PACKAGES, "vigie-server")]
    include = ",".join(runtime_depends(*debs))
    p = subprocess.run(["sh", str(SRC / "tests/packages/debian-chroot.sh"), include],
                       capture_output=True, text=True, timeout=1800)
    assert p.returncode == 0, p.stderr
    c = Chroot(tmp_path, p.stdout.strip())
    yield c
    c.close()


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def site_package(srv, out, server_url, version="1"):
    p = subprocess.run(["sh", str(SRC / "packaging/site-package.sh"), "--name", "ACME", "--server", server_url,
                        "--dir", str(srv.dir), "--token-uses", "5", "--token-ttl", "1d", "--version", version,
                        "--maintainer", "ACME IT <it@acme.example>",
                        "--out", str(out)],
                       capture_output=True, text=True, env={**os.environ, "VIGIE_SERVER": binary("vigie-server")})
    assert p.returncode == 0, p.stderr
    return Path(p.stdout.strip())


def devices(srv, admin):
    r = run("vigiectl", "devices", "--json", "--server", f"https://localhost:{srv.port}",
            "--cert", admin[0], "--key", admin[1], "--ca", srv.ca)
    assert r.returncode == 0, r
    j = r.json()
    return j["devices"] if isinstance(j, dict) else j


def agent_cycle(c, timeout=120):
    """The unit's ExecStart until its first report is delivered (no systemd as PID 1 here:
    the daemon runs in the foreground and is stopped with SIGTERM)."""
    chain = c.path("/var/lib/vigie/spool/chain.json")
    proc = subprocess.Popen(["chroot", str(c.root), "/usr/sbin/vigie-agent"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                                 "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/run/no-bus"})
    delivered = lambda: chain.exists() and next_seq(c) >= 2 and not spooled(c)  # noqa: E731
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and not delivered():
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert delivered(), f"no report delivered in {timeout}s:\n{out}"
    return out


def next_seq(c):
    """The report chain's next seq (agent/spool.c keeps it in spool/chain.json)."""
    return json.loads(c.path("/var/lib/vigie/spool/chain.json").read_text())["next_seq"]


def assert_no_test_hooks(c, *programs):
    """Packages are built without the test flavour: no program reads VIGIE_NOW or
    VIGIE_DEVICE_ID_SEED (docs/hardening.md, "Test hooks")."""
    for prog in programs:
        data = c.path(prog).read_bytes()
        assert b"VIGIE_NOW" not in data and b"VIGIE_DEVICE_ID_SEED" not in data, f"{prog} holds a test hook"


def spooled(c):
    return sorted(p.name for p in c.path("/var/lib/vigie/spool").glob("*.jws"))


def test_agent_recommends_its_tpm_stack():
    """The TPM key's provider and libraries are recommended (apt installs them by default),
    not required: a laptop without a TPM, or a minimal install, needs none of them."""
    agent = deb(PACKAGES, "vigie-agent")
    fields = {f: control_field(agent, f) for f in ("Depends", "Recommends")}
    assert "tss2" not in fields["Depends"] and "tpm2" not in fields["Depends"], fields
    assert "tpm2-openssl" in fields["Recommends"] and "libtss2-esys" in fields["Recommends"], fields


def test_agent_tray_site_install_enroll_upgrade_remove_purge(chroot, tmp_path):
    c = chroot
    pristine = c.files()
    srv = VigieServer(tmp_path / "server")
    srv.start()
    try:
        admin = srv.admin_cert("it")
        site = site_package(srv, tmp_path / "site", f"https://127.0.0.1:{srv.port}")
        lint = subprocess.run(["lintian", "--pedantic", "--fail-on", "error,warning", str(site)],
                              capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout + lint.stderr

        # Install: the site's files root-only where they are secret; the agent's state made.
        c.dpkg("-i", deb(PACKAGES, "vigie-agent"), deb(PACKAGES, "vigie-tray"), site)
        token = c.path("/etc/vigie/enroll.token").stat()
        assert (token.st_uid, token.st_mode & 0o777) == (0, 0o600)
        assert (c.path("/var/lib/vigie").stat().st_mode & 0o777) == 0o700
        assert c.path("/etc/systemd/system/multi-user.target.wants/vigie-agent.service").is_symlink()
        assert c.path("/etc/systemd/user/graphical-session.target.wants/vigie-tray.service").is_symlink()
        assert_no_test_hooks(c, "/usr/bin/vigie", "/usr/sbin/vigie-agent", "/usr/bin/vigie-tray")

        # First cycle: enrolls with the token and reports.
        out = agent_cycle(c)
        listed = devices(srv, admin)
        assert len(listed) == 1, out
        device_id = listed[0]["device_id"]
        key = sha256(c.path("/var/lib/vigie/device.key"))
        seq = next_seq(c)
        assert seq >= 2 and not spooled(c), out

        # A report made while the server is down waits in the spool.
        srv.stop()
        r = c.run("vigie", "report", check=False)
        assert r.returncode != 0 or "queued" in (r.stdout + r.stderr).lower(), r
        waiting = spooled(c)
        assert len(waiting) == 1, f"the report sent to a stopped server was not spooled: {r}"

        # Upgrade to a higher version of the same sources: key, seq and spool survive.
        c.dpkg("-i", deb(PACKAGES_NEXT, "vigie-agent"), deb(PACKAGES_NEXT, "vigie-tray"))
        assert c.run("dpkg-query", "-W", "-f=${Version}", "vigie-agent").stdout == \
            deb(PACKAGES_NEXT, "vigie-agent").name.split("_")[1]
        assert sha256(c.path("/var/lib/vigie/device.key")) == key
        assert next_seq(c) == seq + 1
        assert spooled(c) == waiting

        # The next report chains on: the server takes the spooled one and a new one.
        srv.start(port=srv.port)
        r = c.run("vigie", "report")
        assert next_seq(c) == seq + 2
        assert not spooled(c), r
        (d,) = devices(srv, admin)
        assert d["device_id"] == device_id
        r = run("vigiectl", "device", device_id, "--json", "--server", f"https://localhost:{srv.port}",
                "--cert", admin[0], "--key", admin[1], "--ca", srv.ca)
        assert r.json()["latest"]["claims"]["seq"] == seq + 1, r

        # Remove keeps the device's identity and chain; purge leaves nothing of Vigie's.
        c.dpkg("-r", "vigie-site-acme", "vigie-tray", "vigie-agent")
        assert sha256(c.path("/var/lib/vigie/device.key")) == key
        c.dpkg("-P", "vigie-site-acme", "vigie-tray", "vigie-agent")
        left = sorted(c.files() - pristine)
        assert left == [], f"left behind after purge: {left}"
    finally:
        if srv.running():
            srv.stop()


def test_server_install_init_upgrade_remove_purge(chroot):
    c = chroot
    pristine = c.files()
    c.dpkg("-i", deb(PACKAGES, "vigie-server"))
    assert_no_test_hooks(c, "/usr/sbin/vigie-server", "/usr/bin/vigiectl", "/usr/bin/vigie-gate")
    # The vigie user (sysusers) and its private state directory (tmpfiles).
    assert "vigie:" in c.path("/etc/passwd").read_text()
    st = c.path("/var/lib/vigie-server").stat()
    assert st.st_mode & 0o777 == 0o700
    assert c.run("stat", "-c", "%U", "/var/lib/vigie-server").stdout.strip() == "vigie"

    # The operator initialises the server once (docs/deploy.md), as its user.
    c.run("runuser", "-u", "vigie", "--", "vigie-server", "init", "--dir", "/var/lib/vigie-server",
          "--name", "vigie.acme.example")
    ca = sha256(c.path("/var/lib/vigie-server/ca.pem"))
    tok = c.run("runuser", "-u", "vigie", "--", "vigie-server", "token", "create", "--dir",
                "/var/lib/vigie-server").stdout.strip()
    assert tok

    c.dpkg("-i", deb(PACKAGES_NEXT, "vigie-server"))
    assert sha256(c.path("/var/lib/vigie-server/ca.pem")) == ca
    listed = c.run("runuser", "-u", "vigie", "--", "vigie-server", "token", "list", "--dir",
                   "/var/lib/vigie-server")
    assert len([line for line in listed.stdout.splitlines() if line.strip()]) >= 2, listed.stdout

    c.dpkg("-r", "vigie-server")
    assert sha256(c.path("/var/lib/vigie-server/ca.pem")) == ca
    c.dpkg("-P", "vigie-server")
    left = sorted(c.files() - pristine)
    assert left == [], f"left behind after purge: {left}"


def test_ansible_role_installs_and_enrolls(chroot, tmp_path):
    """packaging/ansible's role against the chroot (community.general.chroot), with the
    site settings written by the role rather than a site package."""
    if not shutil.which("ansible-playbook"):
        pytest.skip("ansible-playbook is not installed (packaging/deps.sh installs ansible)")
    c = chroot
    srv = VigieServer(tmp_path / "server")
    srv.start()
    try:
        admin = srv.admin_cert("it")
        token = tmp_path / "enroll.token"
        token.write_text(srv.token(uses=1) + "\n")
        inventory = tmp_path / "inventory"
        inventory.write_text(f"[laptops]\n{c.root} ansible_connection=community.general.chroot "
                             "ansible_python_interpreter=/usr/bin/python3 ansible_become=false\n")
        extra = tmp_path / "vars.json"
        extra.write_text(json.dumps({
            "vigie_deb_dir": PACKAGES, "vigie_install_tray": False,
            "vigie_server_url": f"https://127.0.0.1:{srv.port}", "vigie_ca_file": str(srv.ca),
            "vigie_enroll_token_file": str(token), "vigie_start": False}))
        p = subprocess.run(["ansible-playbook", "-i", str(inventory), str(SRC / "packaging/ansible/site.yml"),
                            "-e", f"@{extra}"], capture_output=True, text=True, timeout=600,
                           env={**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_HOST_KEY_CHECKING": "0"})
        assert p.returncode == 0, p.stdout + p.stderr
        st = c.path("/etc/vigie/enroll.token").stat()
        assert (st.st_uid, st.st_mode & 0o777) == (0, 0o600)
        assert c.path("/etc/systemd/system/multi-user.target.wants/vigie-agent.service").is_symlink()

        out = agent_cycle(c)
        assert len(devices(srv, admin)) == 1, out
    finally:
        if srv.running():
            srv.stop()
