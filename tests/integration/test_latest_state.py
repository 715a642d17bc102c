# SPDX-License-Identifier: MIT
"""The device's latest row (issue #17, SQLite's cost per report; docs/internals/store.md):
each report advances seq and the times, while the verdict, failing checks, hostname and OS
are written by a second statement only when one of them differs. What the fleet sees stays
the same: the latest row, noncompliant_since, the verdict counters and per-hour counters,
the alert events of a verdict change (with the hostname and OS of that report), the
summary's pending count without the index of last_seq. On both backends."""
from fleet_util import NOW, Device, FleetServer
from server_util import postgres  # noqa: F401 (fixture)
from test_sql_per_report import srv  # noqa: F401 (fixture: a FleetServer on each backend)


def latest(srv, dev):
    (row,) = srv.sql("SELECT seq, report_at, verdict, failing, noncompliant_since, hostname, os_id, "
                     "os_version, os_pretty FROM latest WHERE device_id = $1", dev.id)
    seq, at, verdict, failing, since, host, os_id, os_version, pretty = row
    return (int(seq), int(at), verdict, failing, int(since) if since is not None else None, host, os_id,
            os_version, pretty)


def events(srv, dev):
    return srv.sql("SELECT kind, hostname, os_id, os_version, failing FROM alert_events "
                   "WHERE device_id = $1 AND kind <> 'enrolled' ORDER BY id", dev.id)


def assert_counters_match(srv):
    """fleet_totals and fleet_hours, kept by triggers, equal a count of latest (the devices
    not revoked); latest.hour is received_at's."""
    live = "FROM latest l JOIN devices d ON d.id = l.device_id WHERE d.revoked_at IS NULL"
    by_verdict = dict(srv.sql(f"SELECT verdict, count(*) {live} GROUP BY verdict"))
    totals = dict(srv.sql("SELECT name, n FROM fleet_totals WHERE name <> 'devices' AND n > 0"))
    assert {k: int(v) for k, v in totals.items()} == {k: int(v) for k, v in by_verdict.items()}
    hours = srv.sql("SELECT hour, verdict, n FROM fleet_hours")
    counted = srv.sql(f"SELECT received_at / 3600, verdict, count(*) {live} GROUP BY 1, 2")
    assert sorted((int(h), v, int(n)) for h, v, n in hours) == sorted((int(h), v, int(n)) for h, v, n in counted)
    assert srv.count("latest", "hour IS DISTINCT FROM received_at / 3600") == 0


def test_latest_follows_every_report(srv):
    tok = srv.token()
    a = Device(srv, "alpha").enroll(tok)
    Device(srv, "bravo").enroll(tok)  # never reports: pending
    a.send(iat=NOW - 50)
    assert latest(srv, a) == (1, NOW - 50, "compliant", None, None, "alpha", "debian", "12", "debian 12")
    first_events = events(srv, a)
    assert first_events == [("compliant", "alpha", "debian", "12", None)]

    a.send(iat=NOW - 40)  # stable: only seq and the times move
    assert latest(srv, a) == (2, NOW - 40, "compliant", None, None, "alpha", "debian", "12", "debian 12")

    a.hostname, a.os_version = "alpha-2", "13"  # renamed, upgraded, still compliant: no event
    a.send(iat=NOW - 30)
    assert latest(srv, a) == (3, NOW - 30, "compliant", None, None, "alpha-2", "debian", "13", "debian 13")
    assert events(srv, a) == first_events

    a.send(iat=NOW - 20, backup="fail")  # the event carries this report's hostname and OS
    assert latest(srv, a) == (4, NOW - 20, "noncompliant", "backup", NOW - 20, "alpha-2", "debian", "13",
                              "debian 13")
    assert events(srv, a)[1:] == [("noncompliant", "alpha-2", "debian", "13", "backup")]

    a.hostname = "alpha-3"  # still failing, one more check: since stays, no event
    a.send(iat=NOW - 10, backup="fail", patch_level="fail")
    assert latest(srv, a) == (5, NOW - 10, "noncompliant", "patch_level,backup", NOW - 20, "alpha-3", "debian",
                              "13", "debian 13")
    assert len(events(srv, a)) == 2
    assert_counters_match(srv)
    s = srv.get_json("/v1/fleet/summary")["devices"]
    assert (s["compliant"], s["noncompliant"], s["pending"]) == (0, 1, 1)

    a.send(iat=NOW)
    assert latest(srv, a) == (6, NOW, "compliant", None, None, "alpha-3", "debian", "13", "debian 13")
    assert events(srv, a)[2:] == [("compliant", "alpha-3", "debian", "13", None)]
    assert_counters_match(srv)
    s = srv.get_json("/v1/fleet/summary")["devices"]
    assert (s["compliant"], s["noncompliant"], s["pending"]) == (1, 0, 1)


def probe_updates_of(srv, column):
    """A probe trigger on UPDATE OF column of latest, which SQLite fires as it would one of
    ours: the seqs of the reports whose statements name the column."""
    srv.write("CREATE TABLE probe (seq BIGINT)")
    srv.write(f"CREATE TRIGGER probe AFTER UPDATE OF {column} ON latest BEGIN "
              "INSERT INTO probe VALUES (new.seq); END")
    return lambda: srv.sql("SELECT seq FROM probe")


def test_a_stable_report_names_no_descriptive_column(tmp_path):
    """SQLite rewrites the index entries of every column an UPDATE names, changed or not:
    a trigger on UPDATE OF hostname (fired the same way) shows which reports name it. And
    no b-tree that a report writes for nothing."""
    srv = FleetServer(tmp_path).start(now=NOW)
    try:
        a = Device(srv, "alpha").enroll(srv.token())
        a.send(iat=NOW - 30)
        probed = probe_updates_of(srv, "hostname")
        a.send(iat=NOW - 20)
        a.send(iat=NOW - 10)
        assert probed() == []
        a.hostname = "alpha-2"
        a.send(iat=NOW)
        assert probed() == [("4",)]
        # the indexes that only cost a rewrite per report are gone
        names = {r[0] for r in srv.sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert not names & {"latest_report_at", "fleet_devices_seq", "reports_device_iat"}
        # a report's check results, and the device's check statuses read at every report:
        # one b-tree each, not the rows and their key's index
        for table in ("check_results", "latest_checks"):
            assert f"sqlite_autoindex_{table}_1" not in names
            (ddl,), = srv.sql("SELECT sql FROM sqlite_master WHERE name = $1", table)
            assert ddl.rstrip().endswith("WITHOUT ROWID")
        # a database made before keeps no (device_id, iat) index of reports either, and the
        # device's pages of reports read the same
        before = srv.get_json(f"/v1/fleet/devices/{a.id}/reports")
        srv.stop()
        srv.write("CREATE INDEX reports_device_iat ON reports(device_id, iat)")
        srv.start(now=NOW)
        names = {r[0] for r in srv.sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "reports_device_iat" not in names
        after = srv.get_json(f"/v1/fleet/devices/{a.id}/reports")
        assert after == before and [r["seq"] for r in after["reports"]] == [1, 2, 3, 4]
    finally:
        srv.stop()


def test_the_hour_is_written_once_an_hour(srv):
    """fleet_hours follows latest.hour (received_at's hour), written only when it changes:
    a stable report in the same hour leaves the row's hour and the counters alone, one in
    the next hour moves the device from one hour to the next."""
    tok = srv.token()
    a = Device(srv, "alpha").enroll(tok)
    b = Device(srv, "bravo").enroll(tok)
    a.send(iat=NOW - 30)
    b.send(iat=NOW - 30, backup="fail")
    a.send(iat=NOW - 20)
    assert_counters_match(srv)
    assert {(int(h), v, int(n)) for h, v, n in srv.sql("SELECT hour, verdict, n FROM fleet_hours")} == \
        {(NOW // 3600, "compliant", 1), (NOW // 3600, "noncompliant", 1)}
    srv.restart(NOW + 3600)
    a.send(iat=NOW + 3590)
    assert_counters_match(srv)
    b.send(iat=NOW + 3590)  # the next hour and another verdict at once
    assert_counters_match(srv)
    assert {(int(h), v, int(n)) for h, v, n in srv.sql("SELECT hour, verdict, n FROM fleet_hours")} == \
        {(NOW // 3600 + 1, "compliant", 2)}
    assert srv.cli("revoke", b.id).returncode == 0
    assert_counters_match(srv)


def test_a_stable_report_runs_no_hour_trigger(tmp_path):
    """SQLite codes a trigger's WHEN inside the trigger's program: a trigger on a column the
    upsert names ran at every report. A probe trigger on UPDATE OF hour (fired the same way)
    shows which reports name the hour: the first of each hour only."""
    srv = FleetServer(tmp_path).start(now=NOW)
    try:
        a = Device(srv, "alpha").enroll(srv.token())
        a.send(iat=NOW - 30)
        probed = probe_updates_of(srv, "hour")
        a.send(iat=NOW - 20)
        a.send(iat=NOW - 10)
        assert probed() == []
        srv.restart(NOW + 3600)
        a.send(iat=NOW + 3590)
        a.send(iat=NOW + 3595)
        assert probed() == [("4",)]
        (ddl,), = srv.sql("SELECT sql FROM sqlite_master WHERE name = 'fleet_hours_update'")
        assert "UPDATE OF hour, verdict ON latest" in ddl
    finally:
        srv.stop()


def test_a_database_without_the_hour_is_migrated(srv):
    """A database made before latest.hour (main up to abb9c7b: the hour computed from
    received_at in the triggers) gets the column filled at start, in one transaction, and
    its hour counters, counted the old way, stay right as reports come in."""
    tok = srv.token()
    a = Device(srv, "alpha").enroll(tok)
    b = Device(srv, "bravo").enroll(tok)
    c = Device(srv, "charlie").enroll(tok)
    a.send(iat=NOW - 30)
    b.send(iat=NOW - 20, backup="fail")
    c.send(iat=NOW - 10)
    srv.stop()
    if srv.db and srv.db.startswith("postgres:"):
        srv.write("ALTER TABLE latest DROP COLUMN hour CASCADE")  # with fleet_hours_update
    else:
        for t in ("fleet_hours_insert", "fleet_hours_update", "fleet_hours_delete", "fleet_revoked"):
            srv.write(f"DROP TRIGGER {t}")
        srv.write("ALTER TABLE latest DROP COLUMN hour")
    before = sorted(srv.sql("SELECT hour, verdict, n FROM fleet_hours"))
    srv.start(now=NOW + 3600)
    assert [(int(h),) for h, in srv.sql("SELECT hour FROM latest ORDER BY device_id")] == [(NOW // 3600,)] * 3
    assert sorted(srv.sql("SELECT hour, verdict, n FROM fleet_hours")) == before
    assert_counters_match(srv)
    a.send(iat=NOW + 3590)
    b.send(iat=NOW + 3590)
    assert_counters_match(srv)
    assert srv.cli("revoke", c.id).returncode == 0
    assert_counters_match(srv)
    assert {(int(h), v, int(n)) for h, v, n in srv.sql("SELECT hour, verdict, n FROM fleet_hours")} == \
        {(NOW // 3600 + 1, "compliant", 2)}
