# SPDX-License-Identifier: MIT
"""Devices whose last report predates the current policy are marked in the fleet view: the
device list and detail say which policy that report named and that it is not the current
one, the summary counts them, vigiectl shows it; a report under the new policy clears the
mark. Publishing still re-evaluates the fleet's verdicts at once."""
import hashlib
import json

import pytest

from fleet_util import NOW, FleetServer
from server_util import Device, database, postgres  # noqa: F401 (postgres: fixture)
from test_trust import publish


@pytest.fixture(params=["sqlite", "postgres"])
def srv(request, tmp_path):
    s = FleetServer(tmp_path, db=database(request)).start(now=NOW)
    yield s
    s.stop()


def checks(**statuses):
    base = {"disk_encryption": "pass", "patch_level": "pass", "backup": "pass"} | statuses
    return [{"id": c, "status": s, "title": c, "summary": f"{c} {s}", "remediation": None,
             "deadline": None, "evidence": {}, "duration_us": 5} for c, s in base.items()]


def send(dev, version, compliant=None, **statuses):
    c = checks(**statuses)
    if compliant is None:
        compliant = all(x["status"] in ("pass", "warn") for x in c)
    claims = dev.claims(iat=NOW, checks=c, compliant=compliant)
    claims["policy"] = {"id": "default", "version": version}
    jws = dev.sign(claims)
    status, body = dev.post(jws)
    assert status == 202, body
    dev.seq = claims["seq"]
    dev.prev = hashlib.sha256(jws.encode()).hexdigest()


def device(srv, d):
    return srv.get_json(f"/v1/fleet/devices/{d.id}")


def listed(srv):
    return {x["device_id"]: x for x in srv.get_json("/v1/fleet/devices?limit=100")["devices"]}


def test_devices_on_an_older_policy_are_marked(srv, tmp_path):
    tok = srv.token()
    a, b, pending = Device(srv), Device(srv), Device(srv)
    for d in (a, b, pending):
        assert d.enroll(tok)[0] == 201
    send(a, 1, backup="fail")
    send(b, 1)
    d = device(srv, a)
    assert d["policy"] == {"id": "default", "version": 1} and d["policy_current"] is True
    assert device(srv, pending)["policy"] is None and device(srv, pending)["policy_current"] is None
    assert srv.get_json("/v1/fleet/summary")["policy_outdated"] == 0

    # v2 drops the backup requirement: verdicts follow at once, both devices are marked
    r = publish(srv, tmp_path, 2, disk_encryption=True, patch_level=True, backup=False)
    assert "1 device verdict(s) changed" in r.stdout
    d = device(srv, a)
    assert d["verdict"] == "compliant" and d["policy_current"] is False
    assert d["policy"] == {"id": "default", "version": 1}
    rows = listed(srv)
    assert rows[a.id]["policy_current"] is False and rows[b.id]["policy_current"] is False
    assert rows[pending.id]["policy_current"] is None
    assert srv.get_json("/v1/fleet/summary")["policy_outdated"] == 2

    out = srv.ctl("devices").stdout
    line_a = next(line for line in out.splitlines() if line.startswith(a.id))
    assert "default v1 (not current)" in line_a, out
    assert "POLICY" in out.splitlines()[0]
    show = srv.ctl("device", a.id).stdout
    assert "Policy:        default v1 (not current)" in show and "predates the current policy" in show, show
    summary = srv.ctl("summary").stdout
    assert any("older policy" in line and line.split()[-1] == "2" for line in summary.splitlines()), summary
    assert ["policy_outdated", "2"] in [row.split(",") for row in srv.ctl("summary", "--csv").stdout.splitlines()]

    # a's next report names v2: no longer marked; b still is
    send(a, 2, compliant=True, backup="fail")  # backup is not required under v2
    d = device(srv, a)
    assert d["policy"] == {"id": "default", "version": 2} and d["policy_current"] is True
    assert d["verdict"] == "compliant"  # backup is not required under v2
    assert device(srv, b)["policy_current"] is False
    assert srv.get_json("/v1/fleet/summary")["policy_outdated"] == 1
    assert "(not current)" not in srv.ctl("device", a.id).stdout

    # tightened again in v3: the verdict changes at once, and a is marked again
    publish(srv, tmp_path, 3, disk_encryption=True, patch_level=True, backup=True)
    d = device(srv, a)
    assert d["verdict"] == "noncompliant" and d["policy_current"] is False
    assert srv.get_json("/v1/fleet/summary")["policy_outdated"] == 2
    exported = [json.loads(line) for line in srv.request("GET", "/v1/fleet/export?format=jsonl")[2].splitlines()]
    assert {x["device_id"]: x["policy_current"] for x in exported}[a.id] is False


def ids(srv, query):
    return [x["device_id"] for x in srv.get_json("/v1/fleet/devices?" + query)["devices"]]


def test_the_devices_on_an_older_policy_are_one_filter_away(srv, tmp_path):
    tok = srv.token()
    a, b, c, gone, pending = (Device(srv) for _ in range(5))
    for d in (a, b, c, gone, pending):
        assert d.enroll(tok)[0] == 201
    for d in (a, b, c, gone):
        send(d, 1)
    assert ids(srv, "policy=outdated") == []
    publish(srv, tmp_path, 2, disk_encryption=True, patch_level=True, backup=False)
    send(a, 2)
    assert srv.cli("revoke", gone.id).returncode == 0
    # not revoked, latest report named v1: what the summary counts (never-reported devices are not)
    outdated = sorted([b.id, c.id])
    assert ids(srv, "policy=outdated") == outdated
    assert srv.get_json("/v1/fleet/summary")["policy_outdated"] == 2
    # beside the other filters, and paged with a cursor
    page = srv.get_json("/v1/fleet/devices?policy=outdated&status=compliant&limit=1")
    assert [x["device_id"] for x in page["devices"]] == outdated[:1] and page["next_cursor"]
    page = srv.get_json(f"/v1/fleet/devices?policy=outdated&status=compliant&limit=1&cursor={page['next_cursor']}")
    assert [x["device_id"] for x in page["devices"]] == outdated[1:] and page["next_cursor"] is None
    assert ids(srv, "policy=outdated&key=file") == outdated and ids(srv, "policy=outdated&key=tpm") == []
    assert ids(srv, "policy=outdated&status=revoked") == []

    _, _, body = srv.request("GET", "/v1/fleet/export?policy=outdated")
    rows = [line.split(",") for line in body.decode().splitlines()]
    assert rows[0][-3:] == ["policy_id", "policy_version", "policy_current"]
    assert [(r[0], r[-3], r[-2], r[-1]) for r in rows[1:]] == [(i, "default", "1", "false") for i in outdated]
    _, _, body = srv.request("GET", "/v1/fleet/export?format=jsonl&policy=outdated")
    assert [json.loads(x)["device_id"] for x in body.decode().splitlines()] == outdated
    _, _, body = srv.request("GET", "/v1/fleet/export")
    current = next(r.split(",") for r in body.decode().splitlines() if r.startswith(a.id))
    assert current[-3:] == ["default", "2", "true"]

    r = srv.ctl("devices", "--policy-outdated", "--json")
    assert [d["device_id"] for d in r.json()["devices"]] == outdated, r
    r = srv.ctl("devices", "--policy-outdated")
    assert [line.split()[0] for line in r.stdout.splitlines()[1:]] == outdated, r.stdout
    r = srv.ctl("export", "--policy-outdated", "--key-kind", "file")
    assert [line.split(",")[0] for line in r.stdout.splitlines()[1:]] == outdated, r
    r = srv.ctl("export", "--policy-outdated", "--json")
    assert [json.loads(x)["device_id"] for x in r.stdout.splitlines()] == outdated, r
    st, _, body = srv.request("GET", "/v1/fleet/devices?policy=old")
    assert st == 400 and 'policy=\\"old\\": expected outdated' in body.decode(), body
