# SPDX-License-Identifier: MIT
"""Fleet history (GET /v1/fleet/history, vigiectl history): a fleet driven through known
transitions — reports, a fix, a revocation, a policy change that makes devices stale — on
both backends. The server records a snapshot when it starts and each minute, so moving its
clock (restart with another VIGIE_NOW) into a new hour records that hour."""
import json

import pytest

from conftest import run
from fleet_util import NOW, Device, FleetServer, Postgres, stamp

HOUR = 3600
DAY = 86400
H = NOW // HOUR * HOUR - 3 * HOUR  # the first snapshot's hour


def counts(j):
    """The comparable part of a summary or of a history point."""
    return {"devices": j["devices"], "checks": j["checks"]}


def zero_checks(**statuses):
    out = {}
    for check, st in statuses.items():
        out[check] = {s: 0 for s in ("pass", "warn", "fail", "unknown", "error")} | st
    return out


@pytest.fixture(params=["sqlite", "postgres"])
def srv(tmp_path, request):
    pg = None
    if request.param == "postgres":
        pg = Postgres(tmp_path).start()
        request.addfinalizer(pg.stop)
    s = FleetServer(tmp_path, db=pg.url if pg else None,
                    conf="[Fleet]\nHistoryRetention=2d\n")
    yield s
    if s.running():
        s.stop()


def hour_points(s, frm, to):
    j = s.get_json(f"/v1/fleet/history?step=hour&from={stamp(frm)}&to={stamp(to)}")
    assert j["step"] == "hour"
    return {p["at"]: counts(p) for p in j["points"]}


def test_history_follows_transitions(srv):
    s = srv
    seen = {}        # snapshot time → the summary right after the server recorded it
    first_of_day = {}

    def restart(t):
        s.restart(t) if s.running() else s.start(now=t)
        seen[stamp(t // HOUR * HOUR)] = counts(s.get_json("/v1/fleet/summary"))
        first_of_day.setdefault(stamp(t // DAY * DAY), seen[stamp(t // HOUR * HOUR)])

    restart(H + 60)
    token = s.token()
    a, b, c, d = (Device(s, n).enroll(token) for n in ("a", "b", "c", "d"))
    a.send()
    b.send(patch_level="fail")
    c.send(backup="warn")                                   # d never reports

    restart(H + HOUR + 60)
    b.send()                                                # b fixed
    a.send(backup="fail")                                   # a broke
    assert run("vigie-server", "revoke", c.id, *s.args()).returncode == 0

    restart(H + 2 * HOUR + 60)
    # policy change: a 10 min report interval makes silence of 30 min stale
    policy = json.loads(s.cli("policy", "show").stdout)
    policy["version"] += 1
    policy["report_interval_s"] = 600
    (s.tmp / "policy.json").write_text(json.dumps(policy))
    r = s.cli("policy", "set", s.tmp / "policy.json")
    assert r.returncode == 0, r

    restart(H + 3 * HOUR + 60)

    got = hour_points(s, H, H + 4 * HOUR)
    assert got == seen
    # and those are the transitions we made, not just whatever the summary said
    dev = {k: v["devices"] for k, v in got.items()}
    assert dev[stamp(H)] == dict.fromkeys(dev[stamp(H)], 0)
    assert dev[stamp(H + HOUR)] == {"enrolled": 4, "reporting": 3, "compliant": 2, "noncompliant": 1,
                                    "stale": 0, "pending": 1, "revoked": 0, "flagged": 0}
    assert got[stamp(H + HOUR)]["checks"] == zero_checks(
        disk_encryption={"pass": 3}, patch_level={"pass": 2, "fail": 1}, backup={"pass": 2, "warn": 1})
    assert dev[stamp(H + 2 * HOUR)] == {"enrolled": 3, "reporting": 2, "compliant": 1, "noncompliant": 1,
                                        "stale": 0, "pending": 1, "revoked": 1, "flagged": 0}
    assert got[stamp(H + 2 * HOUR)]["checks"] == zero_checks(
        disk_encryption={"pass": 2}, patch_level={"pass": 2}, backup={"pass": 1, "fail": 1})
    assert dev[stamp(H + 3 * HOUR)] == {"enrolled": 3, "reporting": 0, "compliant": 0, "noncompliant": 0,
                                        "stale": 3, "pending": 0, "revoked": 1, "flagged": 0}

    # a day's point is the fleet when its first snapshot was recorded
    j = s.get_json(f"/v1/fleet/history?step=day&from={stamp(H - DAY)}&to={stamp(H + DAY)}")
    assert {p["at"]: counts(p) for p in j["points"]} == first_of_day

    # vigiectl prints the same series
    r = s.ctl("history", "--step", "hour", "--from", stamp(H), "--to", stamp(H + 4 * HOUR))
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0].split()[:4] == ["AT", "ENROLLED", "COMPLIANT", "NONCOMPLIANT"]
    assert [ln.split()[0] for ln in lines[1:]] == sorted(seen)
    assert lines[3].split()[1:4] == ["3", "1", "1"] and "backup=1" in lines[3]
    r = s.ctl("history", "--step", "hour", "--from", stamp(H), "--to", stamp(H + 4 * HOUR), "--json")
    assert r.returncode == 0 and {p["at"]: counts(p) for p in json.loads(r.stdout)["points"]} == seen

    # retention: hourly snapshots live 48 h, daily ones HistoryRetention= (2d here: the
    # day before H stays while the test runs, even across midnight)
    s.restart(H + 50 * HOUR + 60)
    left = hour_points(s, H, H + 4 * HOUR)
    assert sorted(left) == [stamp(H + 3 * HOUR)]
    j = s.get_json(f"/v1/fleet/history?step=day&from={stamp(H - DAY)}&to={stamp(H + DAY)}")
    assert stamp(H // DAY * DAY) not in [p["at"] for p in j["points"]]


@pytest.mark.parametrize("query, detail", [
    ("step=week", "expected hour or day"),
    ("from=yesterday", "expected an RFC 3339 time"),
    ("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from must be before to"),
    ("step=hour&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "more than 1000 hours"),
    ("limit=3", "unknown parameter \"limit\""),
])
def test_history_refuses_bad_ranges(tmp_path, query, detail):
    s = FleetServer(tmp_path).start(now=NOW)
    try:
        st, _, body = s.request("GET", "/v1/fleet/history?" + query)
        assert st == 400 and detail in json.loads(body)["detail"], body
        st, _, _ = s.request("GET", "/v1/fleet/history", cert="scraper")
        assert st == 403
    finally:
        s.stop()
