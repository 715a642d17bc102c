# SPDX-License-Identifier: MIT
"""What one report writes (issue #17, SQL per report; docs/internals/store.md): a device
whose check statuses did not change rewrites none of its latest_checks rows, history or
counters; a status change, a check no longer reported, and a revocation move them exactly
as before; the posture's failing summary still follows the latest report. On both
backends."""
import pytest

from fleet_util import NOW, Device, FleetServer
from server_util import database, postgres  # noqa: F401 (postgres: fixture)
from test_trust import publish


@pytest.fixture(params=["sqlite", "postgres"])
def srv(request, tmp_path):
    s = FleetServer(tmp_path, db=database(request)).start(now=NOW)
    yield s
    s.stop()


def latest_checks(srv, dev):
    rows = srv.sql("SELECT check_id, status, since, seq FROM latest_checks WHERE device_id = $1", dev.id)
    return {r[0]: (r[1], int(r[2]), int(r[3])) for r in rows}


def counts(srv):
    return {(r[0], r[1]): int(r[2]) for r in srv.sql("SELECT check_id, status, n FROM fleet_check_counts")}


def test_a_stable_device_rewrites_no_check_row(srv):
    tok = srv.token()
    a = Device(srv, "alpha").enroll(tok)
    Device(srv, "bravo").enroll(tok).send()
    a.send(iat=NOW - 20)
    first = latest_checks(srv, a)
    assert {c: v for c, v in first.items() if c != "device_identity"} == \
        {c: ("pass", NOW - 20, 1) for c in ("disk_encryption", "patch_level", "backup")}
    history, before = srv.count("check_history", "device_id = $1", a.id), counts(srv)
    for i in range(3):
        a.send(iat=NOW - 10 + i)
    # unchanged: the rows of seq 1, no history, the same counters; every report's results kept
    assert latest_checks(srv, a) == first
    assert srv.count("check_history", "device_id = $1", a.id) == history
    assert counts(srv) == before
    assert srv.count("check_results", "device_id = $1 AND seq = 4", a.id) == \
        srv.count("check_results", "device_id = $1 AND seq = 1", a.id)
    assert [int(r[0]) for r in srv.sql("SELECT seq FROM latest WHERE device_id = $1", a.id)] == [4]

    # a status change: that check's row, one history row, the counters move
    a.send(iat=NOW, backup="fail", summaries={"backup": "last backup 3 days ago"})
    now = latest_checks(srv, a)
    assert now["backup"] == ("fail", NOW, 5)
    assert now["disk_encryption"] == first["disk_encryption"]
    assert srv.count("check_history", "device_id = $1", a.id) == history + 1
    c = counts(srv)
    assert (c[("backup", "pass")], c[("backup", "fail")]) == (1, 1)
    assert srv.get_json("/v1/fleet/summary")["checks"]["backup"]["fail"] == 1

    # still failing, another summary: the posture quotes the latest report's
    a.send(iat=NOW + 1, backup="fail", summaries={"backup": "last backup 4 days ago"})
    assert latest_checks(srv, a)["backup"] == ("fail", NOW, 5)
    gateway = srv.admin_cert("vpn-gw", role="gateway")
    reason = srv.get_json(f"/v1/posture/{a.id}", cert=gateway)["reason"]
    assert "4 days ago" in reason, reason

    # back to pass: the fail counter reaches zero and its row goes
    a.send(iat=NOW + 2)
    assert ("backup", "fail") not in counts(srv)
    assert counts(srv)[("backup", "pass")] == 2


def test_a_check_no_longer_reported_leaves_the_fleet_state(srv, tmp_path):
    publish(srv, tmp_path, 2, disk_encryption=True, patch_level=True, backup=False)
    tok = srv.token()
    a = Device(srv, "alpha").enroll(tok)
    a.policy_version = 2
    a.send(backup="fail", compliant=True)  # backup is not required
    assert latest_checks(srv, a)["backup"][0] == "fail"
    assert counts(srv)[("backup", "fail")] == 1
    a.send(omit=("backup",))
    assert "backup" not in latest_checks(srv, a)
    assert all(k[0] != "backup" for k in counts(srv)), counts(srv)
    assert srv.get_json("/v1/fleet/summary")["checks"].get("backup", {}).get("fail", 0) == 0


def test_revoking_leaves_no_counter_at_zero(srv):
    tok = srv.token()
    a, b = Device(srv, "alpha").enroll(tok), Device(srv, "bravo").enroll(tok)
    a.send()
    b.send(backup="fail")
    assert counts(srv)[("backup", "fail")] == 1
    assert srv.cli("revoke", b.id).returncode == 0
    assert all(n > 0 for n in counts(srv).values()), counts(srv)
    assert ("backup", "fail") not in counts(srv)


def test_a_report_of_many_checks_stores_them_all(srv):
    """check_results take up to 16 rows a statement (50 parameters on PostgreSQL, where
    more than 10 rows once failed the report): 3 + 20 checks are two statements."""
    a = Device(srv, "alpha").enroll(srv.token())
    extra = {f"extra_{i:02}": "pass" for i in range(20)}
    a.send(iat=NOW, **extra)
    rows = srv.sql("SELECT check_id, status, summary FROM check_results WHERE device_id = $1 AND seq = 1", a.id)
    got = {r[0]: (r[1], r[2]) for r in rows}
    assert {c: v for c, v in got.items() if c.startswith("extra_")} == \
        {c: ("pass", f"{c} is pass") for c in extra}
    assert {"disk_encryption", "patch_level", "backup"} <= set(got)
