# SPDX-License-Identifier: MIT
"""[Retention] (issue #17): the real vigie-server prunes report bodies past Reports= in
small batches while reports keep coming in, keeping each report's seq, iat, hash, prev and
verdict; vigiectl audit then says "pruned before DATE (hashes kept)", never "gap".
SQLite and PostgreSQL. The server's clock (VIGIE_NOW) moves two hours on."""
import time

import pytest

from fleet_util import NOW, Device, FleetServer
from server_util import database, postgres  # noqa: F401 (postgres: fixture)

CONF = "[Retention]\nReports=1h\nHistory=1h\nPruneInterval=1s\n"


@pytest.fixture(params=["sqlite", "postgres"])
def srv(request, tmp_path):
    s = FleetServer(tmp_path, db=database(request), conf=CONF).start(now=NOW)
    yield s
    if s.running():
        s.stop()


def wait_for(cond, what, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_pruned_while_ingesting_and_audit_says_pruned(srv):
    d = Device(srv, "old-laptop").enroll(srv.token())
    for i in range(4):
        d.send(iat=NOW, backup="fail" if i == 1 else "pass")
    assert srv.count("check_history", "device_id = $1", d.id) == 5

    # Two hours on: the first four are past Reports=1h, and reports keep coming in while the
    # server prunes them.
    srv.restart(now=NOW + 7200)
    for _ in range(6):
        d.send(iat=NOW + 7200)
        time.sleep(0.3)
    wait_for(lambda: srv.count("reports", "device_id = $1 AND jws = ''", d.id) == 4, "4 pruned bodies")
    time.sleep(1.5)  # a few more pruning rounds: nothing newer goes
    rows = srv.sql("SELECT seq, jws = '', hash, prev, compliant, iat FROM reports WHERE device_id = $1 ORDER BY seq",
                   d.id)
    assert [int(r[0]) for r in rows] == list(range(1, 11))
    assert [r[1] in (True, 1, "1", "t") for r in rows] == [True] * 4 + [False] * 6
    assert [r[4] in (0, "0", False, "f") for r in rows][:4] == [False, True, False, False]  # verdict kept
    assert all(r[2] and len(r[2]) == 64 for r in rows)
    assert srv.count("check_results", "device_id = $1 AND seq <= 4", d.id) == 0
    assert srv.count("check_results", "device_id = $1 AND seq > 4", d.id) == 18
    assert srv.count("check_history", "device_id = $1 AND changed_at < $2", d.id, NOW + 3600) == 0

    j = srv.get_json(f"/v1/fleet/devices/{d.id}/reports")
    reps = j["reports"]
    assert [r["seq"] for r in reps] == list(range(1, 11))
    assert all(r["pruned"] and r["jws"] is None and len(r["hash"]) == 64 for r in reps[:4])
    assert [r["prev"] for r in reps[1:4]] == [r["hash"] for r in reps[:3]]
    assert [r["jws"] for r in reps[4:]] == d.jws[4:]
    assert all("pruned" not in r for r in reps[4:])

    r = srv.ctl("audit", d.id)
    assert r.returncode == 0, r
    assert "10 reports, 6 verified, seq 5 to 10" in r.stdout
    assert "reports seq 1 to 4 pruned before" in r.stdout and "(hashes kept)" in r.stdout
    assert "gap" not in r.stdout and "OK" in r.stdout
    a = srv.ctl("audit", d.id, "--json").json()
    assert a["ok"] is True and a["pruned"] == 4 and a["findings"] == []

    # The chain stays provable: a pruned report's kept hash altered is caught.
    srv.write("UPDATE reports SET hash = $1 WHERE device_id = $2 AND seq = 4", "0" * 64, d.id)
    r = srv.ctl("audit", d.id)
    assert r.returncode == 1 and "chain_break" in r.stdout and "report seq 5" in r.stdout, r

    # The device page still answers; the device reports on.
    assert srv.get_json(f"/v1/fleet/devices/{d.id}")["latest"]["seq"] == 10
    d.send(iat=NOW + 7200)
