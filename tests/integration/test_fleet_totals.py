# SPDX-License-Identifier: MIT
"""The summary's totals (fleet_totals, fleet_check_counts: kept by triggers so that a
million-device summary reads a few rows): right after enrollments and verdict changes,
revocations and their removal, and policy changes, on both backends; and rebuilt from the
tables on a database that has none (one made before they existed) or older ones."""
import sqlite3

import pytest

from fleet_util import NOW, Device, FleetServer
from server_util import Device as Laptop, database, postgres  # noqa: F401 (postgres: fixture)
from test_policy_current import send
from test_trust import publish


def test_totals_follow_verdicts_and_are_rebuilt(tmp_path):
    s = FleetServer(tmp_path)
    s.start(now=NOW)
    token = s.token()
    a = Device(s, "alpha").enroll(token)
    b = Device(s, "bravo").enroll(token)
    Device(s, "charlie").enroll(token)  # never reports: pending
    a.send()
    b.send(backup="fail")
    b.send()               # non-compliant, then compliant
    a.send(backup="fail")  # compliant, then non-compliant
    expected = {"enrolled": 3, "reporting": 2, "compliant": 1, "noncompliant": 1, "stale": 0, "pending": 1,
                "revoked": 0, "flagged": 0}
    assert s.get_json("/v1/fleet/summary")["devices"] == expected
    s.stop()
    db = sqlite3.connect(s.dir / "vigie.db")
    assert dict(db.execute("SELECT name, n FROM fleet_totals")) == {"devices": 3, "compliant": 1,
                                                                     "noncompliant": 1}
    db.execute("DROP TABLE fleet_totals")
    db.commit()
    db.close()
    s.start(now=NOW)
    assert s.get_json("/v1/fleet/summary")["devices"] == expected
    s.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def srv(request, tmp_path):
    s = FleetServer(tmp_path, db=database(request)).start(now=NOW)
    yield s
    s.stop()


def summary(srv):
    j = srv.get_json("/v1/fleet/summary")
    return j["devices"], j["checks"]


def same_after_a_recount(srv, expected):
    """The trigger-kept counters equal a count from the tables: the server recounts them at
    start when their version mark is gone."""
    srv.write("DELETE FROM meta WHERE key = 'fleet_counters'")
    srv.restart(NOW)
    assert summary(srv) == expected


def test_revoked_devices_leave_the_counters_and_come_back(srv, tmp_path):
    tok = srv.token()
    a, b, c = Laptop(srv), Laptop(srv), Laptop(srv)
    for d in (a, b, c):
        assert d.enroll(tok)[0] == 201
    send(a, 1)
    send(b, 1, backup="fail")
    send(c, 1, patch_level="warn")
    devices, checks = summary(srv)
    assert (devices["compliant"], devices["noncompliant"], devices["revoked"]) == (2, 1, 0)
    assert checks["backup"] == {"pass": 2, "warn": 0, "fail": 1, "unknown": 0, "error": 0}

    # revoked: its verdict and check statuses leave the counts at once
    assert srv.cli("revoke", b.id).returncode == 0
    devices, checks = summary(srv)
    assert (devices["enrolled"], devices["compliant"], devices["noncompliant"], devices["revoked"]) == (2, 2, 0, 1)
    assert checks["backup"]["fail"] == 0 and checks["backup"]["pass"] == 2
    same_after_a_recount(srv, (devices, checks))

    # a policy change re-evaluates every verdict, the revoked device's too: it stays out
    publish(srv, tmp_path, 2, disk_encryption=True, patch_level=True, backup=False)
    assert summary(srv) == (devices, checks)
    # a check result dropped (as when a device stops reporting a check): a revoked
    # device's leaves the counts as they are
    srv.write("DELETE FROM latest_checks WHERE check_id = 'backup' AND device_id IN ($1, $2)", a.id, b.id)
    checks["backup"]["pass"] -= 1
    assert summary(srv) == (devices, checks)
    same_after_a_recount(srv, (devices, checks))

    # the revocation lifted by an operator (as the enrollment refusal says, in the database): it counts again,
    # with the verdict the new policy gave it, and its next report moves it as any other
    srv.write("UPDATE devices SET revoked_at = NULL WHERE id = $1", b.id)
    srv.write("UPDATE certificates SET revoked_at = NULL WHERE device_id = $1", b.id)
    devices, checks = summary(srv)
    assert (devices["enrolled"], devices["compliant"], devices["noncompliant"], devices["revoked"]) == (3, 3, 0, 0)
    assert checks["backup"]["pass"] == 1 and checks["patch_level"] == {"pass": 2, "warn": 1, "fail": 0,
                                                                        "unknown": 0, "error": 0}
    send(b, 2, patch_level="fail")
    devices, checks = summary(srv)
    assert (devices["compliant"], devices["noncompliant"]) == (2, 1)
    assert checks["patch_level"]["fail"] == 1
    same_after_a_recount(srv, (devices, checks))

    # stale: a revoked stale device is counted as revoked only
    assert srv.cli("revoke", c.id).returncode == 0
    srv.restart(NOW + 30 * 24 * 3600)
    devices, checks = summary(srv)
    assert (devices["stale"], devices["compliant"], devices["noncompliant"], devices["revoked"]) == (2, 0, 0, 1)


@pytest.mark.parametrize("offset", [-60, 0, 60, 3600 + 60])
def test_stale_at_the_bound(srv, offset):
    """A device is stale once its last report is older than the bound: the summary sums the
    hours before the bound's and counts the bound's own hour, which must meet exactly."""
    d = Laptop(srv)
    assert d.enroll(srv.token())[0] == 201
    send(d, 1)
    after = srv.get_json("/v1/fleet/summary")["stale_after_s"]
    srv.restart(NOW + after + offset)
    devices = srv.get_json("/v1/fleet/summary")["devices"]
    stale = offset > 0  # received at NOW, stale when older than the bound
    assert (devices["stale"], devices["compliant"]) == ((1, 0) if stale else (0, 1)), devices


def policy_counts(srv):
    return {(p, int(v)): int(n) for p, v, n in srv.sql("SELECT policy_id, version, n FROM fleet_policy_counts")}


def outdated(srv, query=""):
    """The summary's count and the list's devices (paged one by one through the cursor,
    each way) of the devices on an older policy."""
    pages = {}
    for order in ("device", "-device"):
        got, cursor = [], None
        while True:
            page = srv.get_json(f"/v1/fleet/devices?policy=outdated&sort={order}&limit=1{query}"
                                + (f"&cursor={cursor}" if cursor else ""))
            got += [x["device_id"] for x in page["devices"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        pages[order] = got
    assert pages["-device"] == pages["device"][::-1]
    return srv.get_json("/v1/fleet/summary")["policy_outdated"], pages["device"]


def test_outdated_policy_counts_follow_reports_publishes_and_revocations(srv, tmp_path):
    """fleet_policy_counts (devices by the policy version their latest report named, kept by
    triggers on latest_policy) gives the summary's outdated count and the versions the list
    reads: right after a publish, a device catching up, a revocation and its lifting, and
    recounted from latest_policy when its version mark is gone."""
    tok = srv.token()
    devs = [Laptop(srv) for _ in range(4)]
    for d in devs:
        assert d.enroll(tok)[0] == 201
    for d in devs[:3]:
        send(d, 1)
    a, b, c, pending = devs
    assert outdated(srv) == (0, []) and policy_counts(srv) == {("default", 1): 3}

    publish(srv, tmp_path, 2, disk_encryption=True, patch_level=True, backup=False)
    assert outdated(srv) == (3, sorted([a.id, b.id, c.id]))
    send(a, 2)  # catches up: one version less behind
    assert outdated(srv) == (2, sorted([b.id, c.id]))
    assert policy_counts(srv) == {("default", 1): 2, ("default", 2): 1}

    publish(srv, tmp_path, 3, disk_encryption=True, patch_level=True, backup=True)
    assert outdated(srv) == (3, sorted([a.id, b.id, c.id]))
    # revoked: out of the counts and the list at once, whatever version it is on
    assert srv.cli("revoke", b.id).returncode == 0
    assert outdated(srv) == (2, sorted([a.id, c.id]))
    assert policy_counts(srv) == {("default", 1): 1, ("default", 2): 1}
    # with another filter the list takes the general path: the same devices
    assert outdated(srv, "&key=file") == (2, sorted([a.id, c.id]))
    # c catches up: version 1 has no counted device left (b is revoked), so no row
    send(c, 3)
    assert outdated(srv) == (1, [a.id]) and policy_counts(srv) == {("default", 2): 1, ("default", 3): 1}
    srv.write("DELETE FROM meta WHERE key = 'fleet_policy_counts'")
    srv.write("DELETE FROM fleet_policy_counts")
    srv.restart(NOW)
    assert outdated(srv) == (1, [a.id]) and policy_counts(srv) == {("default", 2): 1, ("default", 3): 1}

    # lifted: counted again on the version its last report named
    srv.write("UPDATE devices SET revoked_at = NULL WHERE id = $1", b.id)
    assert outdated(srv) == (2, sorted([a.id, b.id]))
    assert policy_counts(srv) == {("default", 1): 1, ("default", 2): 1, ("default", 3): 1}
    # a device's latest policy row gone (as when it is removed): out of the counts
    srv.write("DELETE FROM latest_policy WHERE device_id = $1", a.id)
    assert outdated(srv) == (1, [b.id]) and policy_counts(srv) == {("default", 1): 1, ("default", 3): 1}
    assert pending.id not in outdated(srv)[1]
