# SPDX-License-Identifier: MIT
"""vigiectl against a real server: table, JSON and CSV output, the configuration file, and
an exit code with a clear message for each kind of failure."""
import csv
import io
import json
import socket

import pytest

from conftest import run
from fleet_util import NOW, Device, FleetServer


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = FleetServer(tmp_path_factory.mktemp("ctl")).start(now=NOW)
    token = s.token()
    s.devs = {}
    for name, kw in (("alpha", {}), ("bravo", {"backup": "fail"}), ("charlie, \"the\" laptop", {}),
                     ("delta", {"disk_encryption": "fail", "patch_level": "warn"})):
        d = Device(s, name).enroll(token)
        d.send(**kw)
        s.devs[name] = d
    s.devs["delta"].send(disk_encryption="fail")
    yield s
    s.stop()


def test_summary_table(srv):
    r = srv.ctl("summary")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["DEVICES", "COUNT"]
    assert "compliant       2" in r.stdout and "non-compliant   2" in r.stdout
    # columns line up: every value of the check table starts under its header
    header = next(l for l in lines if l.startswith("CHECK"))
    backup = next(l for l in lines if l.startswith("backup"))
    assert backup[header.index("FAIL")] == "1"


def test_summary_json_is_the_api(srv):
    r = srv.ctl("summary", "--json")
    assert r.returncode == 0
    assert r.json()["devices"] == srv.get_json("/v1/fleet/summary")["devices"]


def test_summary_csv(srv):
    r = srv.ctl("summary", "--csv")
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == ["DEVICES", "COUNT"] and ["noncompliant", "2"] in rows


def test_devices_filters_and_outputs(srv):
    r = srv.ctl("devices", "--status", "noncompliant", "--sort", "hostname")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0].split()[:2] == ["DEVICE", "HOSTNAME"]
    assert [l.split()[1] for l in lines[1:]] == ["bravo", "delta"]
    assert "disk_encryption" in lines[2]
    r = srv.ctl("devices", "--check", "backup", "--check-status", "fail", "--json")
    assert [d["hostname"] for d in r.json()["devices"]] == ["bravo"]
    r = srv.ctl("devices", "-q", "THE", "--csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["HOSTNAME"] for row in rows] == ['charlie, "the" laptop']
    r = srv.ctl("devices", "--os", "debian:12", "--since", "1h", "--json")
    assert len(r.json()["devices"]) == 4


def test_devices_pages(srv):
    r = srv.ctl("devices", "--limit", "1", "--sort", "-hostname")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 2
    assert "--cursor" in r.stderr
    cursor = r.stderr.split("--cursor ")[1].split()[0]
    r2 = srv.ctl("devices", "--limit", "1", "--sort", "-hostname", "--cursor", cursor, "--json")
    assert r2.json()["devices"][0]["hostname"] == "charlie, \"the\" laptop"
    r3 = srv.ctl("devices", "--limit", "1", "--all", "--json")
    assert len(r3.json()["devices"]) == 4 and r3.json()["next_cursor"] is None


def test_device(srv):
    d = srv.devs["delta"]
    r = srv.ctl("device", d.id)
    assert r.returncode == 0, r
    assert f"Device:        {d.id}" in r.stdout
    assert "Verdict:       noncompliant" in r.stdout
    assert f"sha256:{d.kid}" in r.stdout
    assert "patch_level" in r.stdout and "warn" in r.stdout
    j = srv.ctl("device", d.id, "--json").json()
    assert j["identity"]["fingerprint"] == d.kid and j["latest"]["claims"]["seq"] == 2


def test_reports(srv):
    d = srv.devs["delta"]
    r = srv.ctl("reports", d.id)
    assert r.returncode == 0 and r.stdout.splitlines()[0].split() == ["SEQ", "ISSUED", "RECEIVED", "BYTES"]
    rows = list(csv.DictReader(io.StringIO(srv.ctl("reports", d.id, "--csv").stdout)))
    assert [row["jws"] for row in rows] == d.jws
    r = srv.ctl("reports", d.id, "--to", "2000-01-01T00:00:00Z", "--json")
    assert r.json()["reports"] == []


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export(srv, fmt):
    r = srv.ctl("export", "--format", fmt)
    assert r.returncode == 0, r
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        assert {row["hostname"] for row in rows} == set(srv.devs)
    else:
        assert {json.loads(l)["hostname"] for l in r.stdout.splitlines()} == set(srv.devs)


def test_config_file(srv, tmp_path):
    cert, key = srv.admin
    conf = tmp_path / "home" / ".config" / "vigie" / "vigiectl.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(f"[Server]\nURL={srv.url}\nCA={srv.ca}\n[Admin]\nCertificate={cert}\nKey={key}\n")
    r = run("vigiectl", "summary", "--json", env={"HOME": str(tmp_path / "home")})
    assert r.returncode == 0, r
    conf.write_text("[Server]\nURL=ftp://x\n")
    r = run("vigiectl", "summary", env={"HOME": str(tmp_path / "home")})
    assert r.returncode == 2 and "not an https:// URL" in r.stderr
    conf.write_text("[Server]\nColour=blue\n")
    r = run("vigiectl", "summary", env={"HOME": str(tmp_path / "home")})
    assert r.returncode == 2 and "vigiectl.conf:2" in r.stderr and "Colour" in r.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_exit_unreachable(srv):
    cert, key = srv.admin
    r = run("vigiectl", "summary", "--server", f"https://localhost:{free_port()}", "--cert", cert,
            "--key", key, "--ca", srv.ca)
    assert r.returncode == 4, r
    assert "cannot reach the server" in r.stderr and "is vigie-server running" in r.stderr


def test_exit_certificate_refused(srv):
    """A device's certificate is from the right CA but not an admin's."""
    cert, key = srv.devs["alpha"].cert_files
    r = run("vigiectl", "summary", "--server", srv.url, "--cert", cert, "--key", key, "--ca", srv.ca)
    assert r.returncode == 5, r
    assert "HTTP 403" in r.stderr and "wrong_role" in r.stderr


def test_exit_foreign_certificate(srv, tmp_path):
    """An admin certificate from another server's CA."""
    other = FleetServer(tmp_path)
    cert, key = other.admin
    r = run("vigiectl", "summary", "--server", srv.url, "--cert", cert, "--key", key, "--ca", srv.ca)
    assert r.returncode == 5, r
    assert "401" in r.stderr or "refused our certificate" in r.stderr


def test_key_not_the_certificates_is_named(srv):
    """The admin certificate with a device's key: said as such, not as a TLS error code."""
    cert, _ = srv.admin
    _, other_key = srv.devs["alpha"].cert_files
    r = run("vigiectl", "summary", "--server", srv.url, "--cert", cert, "--key", other_key, "--ca", srv.ca)
    assert r.returncode != 0, r
    assert "cannot use the client certificate: its key does not match it" in r.stderr, r.stderr


def test_exit_wrong_server_ca(srv, tmp_path):
    other = FleetServer(tmp_path)
    cert, key = srv.admin
    r = run("vigiectl", "summary", "--server", srv.url, "--cert", cert, "--key", key, "--ca", other.ca)
    assert r.returncode == 4, r
    assert "no trusted TLS connection" in r.stderr and str(other.ca) in r.stderr


def test_exit_no_such_device(srv):
    for verb in ("device", "reports", "audit"):
        r = srv.ctl(verb, "6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b")
        assert r.returncode == 6, r
        assert "no_such_device" in r.stderr


def test_exit_bad_filter(srv):
    r = srv.ctl("devices", "--status", "green")
    assert r.returncode == 7, r
    assert 'status=\\"green\\"' in r.stderr or 'status="green"' in r.stderr


@pytest.mark.parametrize("args", [["devices", "--colour"], ["device"], ["summary", "extra"],
                                  ["frobnicate"], ["export", "--format", "xml"]])
def test_exit_usage(srv, args):
    r = srv.ctl(*args)
    assert r.returncode == 2, r
    assert r.stderr


def test_unusable_key(srv, tmp_path):
    cert, _ = srv.admin
    bad = tmp_path / "garbage.key"
    bad.write_text("not a key\n")
    r = run("vigiectl", "summary", "--server", srv.url, "--cert", cert, "--key", bad, "--ca", srv.ca)
    assert r.returncode == 2 and f'cannot use the admin key "{bad}"' in r.stderr, r
    r = run("vigiectl", "summary", "--server", srv.url, "--cert", bad, "--key", bad, "--ca", srv.ca)
    assert r.returncode == 2 and "not a PEM certificate" in r.stderr, r


def test_missing_credentials(tmp_path):
    r = run("vigiectl", "summary", "--server", "https://localhost:1", env={"HOME": str(tmp_path)})
    assert r.returncode == 2 and "--cert, --key and --ca" in r.stderr
    r = run("vigiectl", "summary", "--server", "https://localhost:1", "--cert", "/nonexistent",
            "--key", "/nonexistent", "--ca", "/nonexistent", env={"HOME": str(tmp_path)})
    assert r.returncode == 2 and 'cannot read "/nonexistent"' in r.stderr
