# SPDX-License-Identifier: MIT
"""The summary's totals (fleet_totals, kept by triggers so that a million-device summary
reads a few rows): right after enrollments and verdict changes, and rebuilt from the
tables on a database that has none (one made before they existed)."""
import sqlite3

from fleet_util import NOW, Device, FleetServer


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
