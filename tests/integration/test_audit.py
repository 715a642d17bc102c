# SPDX-License-Identifier: MIT
"""vigiectl audit: someone with write access to the server's database alters, deletes or
reorders stored reports; the audit, which trusts only its own CA copy, names the report."""
import base64
import json

import pytest

from fleet_util import NOW, Device, FleetServer
from server_util import b64url, stored_jws


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = FleetServer(tmp_path_factory.mktemp("audit")).start(now=NOW)
    s.tok = s.token()
    yield s
    s.stop()


@pytest.fixture
def device(srv, request):
    d = Device(srv, request.node.name[:40]).enroll(srv.tok)
    for i in range(5):
        d.send(backup="fail" if i == 2 else "pass")
    return d


def audit(srv, d, *args):
    return srv.ctl("audit", d.id, *args)


def test_clean_history(srv, device):
    r = audit(srv, device)
    assert r.returncode == 0, r
    assert "5 reports, 5 verified, seq 1 to 5" in r.stdout and "OK" in r.stdout
    j = audit(srv, device, "--json").json()
    assert j["ok"] is True and j["findings"] == [] and j["verified"] == 5


def test_tampered_payload(srv, device):
    """Flip the stored report 3 from a failing backup to a passing one."""
    jws = stored_jws(srv, device.id, 3)
    h, p, sig = jws.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    claims["checks"][2]["status"] = "pass"
    claims["compliant"] = True
    forged = f"{h}.{b64url(json.dumps(claims, separators=(',', ':')).encode())}.{sig}"
    srv.write("UPDATE reports SET jws = $1 WHERE device_id = $2 AND seq = 3", forged, device.id)
    r = audit(srv, device)
    assert r.returncode == 1, r
    assert "bad_signature" in r.stdout and "report stored as seq 3: signature does not verify" in r.stdout
    assert "chain_break" in r.stdout and "report seq 4: prev is not the hash of report seq 3" in r.stdout
    assert "first bad report: seq 3" in r.stdout
    j = audit(srv, device, "--json").json()
    assert j["ok"] is False and j["verified"] == 4
    assert [(f["problem"], f["seq"]) for f in j["findings"]] == [("bad_signature", 3), ("chain_break", 4)]


def test_deleted_report(srv, device):
    srv.write("DELETE FROM reports WHERE device_id = $1 AND seq = 3", device.id)
    r = audit(srv, device)
    assert r.returncode == 1, r
    assert "gap" in r.stdout and "reports seq 3 to 3 are missing before report seq 4" in r.stdout
    assert "first bad report: seq 4" in r.stdout


def test_deleted_first_report(srv, device):
    srv.write("DELETE FROM reports WHERE device_id = $1 AND seq IN (1, 2)", device.id)
    r = audit(srv, device, "--csv")
    assert r.returncode == 1, r
    assert "gap,3,reports seq 1 to 2 are missing" in r.stdout


def test_reordered_reports(srv, device):
    """Swap the stored bytes of reports 2 and 4 (their seq columns stay)."""
    rows = dict(srv.sql("SELECT seq, jws FROM reports WHERE device_id = $1 AND seq IN (2, 4)", device.id))
    srv.write("UPDATE reports SET jws = $1 WHERE device_id = $2 AND seq = 2", rows["4"], device.id)
    srv.write("UPDATE reports SET jws = $1 WHERE device_id = $2 AND seq = 4", rows["2"], device.id)
    r = audit(srv, device)
    assert r.returncode == 1, r
    assert "report stored as seq 2 was signed as seq 4" in r.stdout
    assert "report stored as seq 4 was signed as seq 2" in r.stdout
    assert "out_of_order" in r.stdout
    assert "first bad report: seq 2" in r.stdout


def test_replaced_by_another_device(srv, device):
    """Report 2 swapped for a validly signed report of another device."""
    other = Device(srv, "other").enroll(srv.tok)
    other.send()
    srv.write("UPDATE reports SET jws = $1 WHERE device_id = $2 AND seq = 2", other.jws[0], device.id)
    r = audit(srv, device)
    assert r.returncode == 1, r
    assert "report stored as seq 2: signed by key" in r.stdout and "unknown_key" in r.stdout


def test_swapped_certificate(srv, device):
    """The stored certificate replaced: no report verifies any more."""
    other = Device(srv, "other2").enroll(srv.tok)
    pem = srv.sql("SELECT pem FROM certificates WHERE device_id = $1", other.id)[0][0]
    srv.write("UPDATE certificates SET pem = $1 WHERE device_id = $2", pem, device.id)
    r = audit(srv, device)
    assert r.returncode == 1, r
    assert f'issued to "{other.id}", not to device {device.id}' in r.stdout
    assert "0 verified" in r.stdout
