# SPDX-License-Identifier: MIT
"""PostgreSQL reports partitioned by month (issue #17, docs/internals/store.md
"Partitions"), on a real PostgreSQL and the real vigie-server: reports received over three
months land in their months' partitions; retention prunes across a month boundary, drops
the month wholly past the limit (pg_inherits) while reports keep coming in, and keeps every
chain row, so vigiectl audit still verifies and says "pruned before DATE"; GET …/reports
returns the exact signed bytes of the kept reports. An unpartitioned database (the schema
before partitions) is converted at start, once, under the advisory lock; the DEFAULT
partition catches a month without a partition and is emptied into it."""
import calendar
import subprocess
import threading
import time

import pytest

from agent_util import wait_for
from fleet_util import NOW, Device, FleetServer, Postgres
from server_util import postgres  # noqa: F401 (fixture)

LOCK = 7675926457891  # store-partition.c


def month_start(t, months=0):
    g = time.gmtime(t)
    y, m = divmod(g.tm_year * 12 + g.tm_mon - 1 + months, 12)
    return calendar.timegm((y, m + 1, 1, 0, 0, 0))


def pname(t):
    return time.strftime("reports_p%Y%m", time.gmtime(month_start(t)))


M0 = month_start(NOW)
T_A = month_start(NOW, -2) + 86400       # month A: wholly past the limit
T_B = month_start(NOW, -1) + 86400       # month B: the boundary month
T_B2 = month_start(NOW, -1) + 20 * 86400  # still month B, after the limit
CUTOFF = month_start(NOW, -1) + 10 * 86400
CONF = (f"[Retention]\nReports={NOW - CUTOFF}s\nHistory=0\nPruneInterval=1s\n"
        "[Certificates]\nDeviceLifetime=400d\n")


def fresh_db(pg):
    name = "t" + str(time.monotonic_ns())
    r = pg._as_pg(pg.bin / "createdb", "-h", "127.0.0.1", "-p", pg.port, "-U", "postgres", name)
    assert r.returncode == 0, r.stderr
    return pg.url.replace("dbname=vigie", f"dbname={name}")


def partitions(srv):
    return sorted(r[0] for r in srv.sql("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON "
                                        "c.oid = i.inhrelid WHERE i.inhparent = 'reports'::regclass"))


@pytest.fixture
def srv(postgres, tmp_path):  # noqa: F811
    s = FleetServer(tmp_path, db=fresh_db(postgres), conf=CONF)
    yield s
    if s.running():
        s.stop()


def test_months_dropped_past_retention_chain_kept(srv):
    # Kept while the clock walks through months A and B; then Reports= as in CONF.
    (srv.dir / "server.conf").write_text(CONF.replace(f"Reports={NOW - CUTOFF}s", "Reports=0"))
    srv.start(now=T_A)
    # Months ahead of each start (`vigie-server init` ran at NOW): A, B, this month and on.
    assert {"reports_chain", "reports_default", pname(T_A), pname(T_B), pname(NOW)} <= set(partitions(srv))
    d = Device(srv, "laptop").enroll(srv.token())
    for i in range(3):
        d.send(iat=T_A, backup="fail" if i == 1 else "pass")
    srv.restart(now=T_B)
    for _ in range(3):
        d.send(iat=T_B)
    srv.restart(now=T_B2)
    for _ in range(2):
        d.send(iat=T_B2)
    by_part = dict(srv.sql("SELECT tableoid::regclass::text, count(*) FROM reports GROUP BY 1"))
    assert by_part == {pname(T_A): "3", pname(T_B): "5"}

    # Today: month A is wholly past the limit, month B in part; reports keep coming in.
    (srv.dir / "server.conf").write_text(CONF)
    srv.restart(now=NOW)
    for _ in range(4):
        d.send(iat=NOW)
        time.sleep(0.3)
    wait_for(lambda: pname(T_A) not in partitions(srv), step=0.3, what="month A dropped")
    wait_for(lambda: srv.count("reports", "jws = ''") == 6, step=0.3, what="6 pruned bodies")
    time.sleep(1.5)  # more rounds: nothing newer goes
    assert pname(T_B) in partitions(srv) and pname(NOW) in partitions(srv)
    assert "Dropped 1 monthly partition(s)" in srv.log()
    by_part = dict(srv.sql("SELECT tableoid::regclass::text, count(*) FROM reports GROUP BY 1"))
    assert by_part == {"reports_chain": "6", pname(T_B): "2", pname(NOW): "4"}
    rows = srv.sql("SELECT seq, jws = '', hash, prev, compliant FROM reports WHERE device_id = $1 ORDER BY seq", d.id)
    assert [int(r[0]) for r in rows] == list(range(1, 13))
    assert [r[1] == "t" for r in rows] == [True] * 6 + [False] * 6
    assert [r[4] for r in rows][:3] == ["1", "0", "1"]  # verdicts kept
    assert [r[3] for r in rows[1:]] == [r[2] for r in rows[:-1]]
    assert srv.count("check_results", "device_id = $1 AND seq <= 6", d.id) == 0
    assert srv.count("check_results", "device_id = $1 AND seq > 6", d.id) == 18

    reps = srv.get_json(f"/v1/fleet/devices/{d.id}/reports")["reports"]
    assert [r["seq"] for r in reps] == list(range(1, 13))
    assert all(r["pruned"] and r["jws"] is None for r in reps[:6])
    assert [r["jws"] for r in reps[6:]] == d.jws[6:]

    r = srv.ctl("audit", d.id)
    assert r.returncode == 0, r
    assert "12 reports, 6 verified, seq 7 to 12" in r.stdout
    assert "reports seq 1 to 6 pruned before" in r.stdout and "(hashes kept)" in r.stdout
    assert "gap" not in r.stdout and "OK" in r.stdout
    d.send(iat=NOW)


def iat_indexes(srv):
    return srv.sql("SELECT tablename, indexname FROM pg_indexes WHERE indexdef LIKE '%(device_id, iat)%'")


def old_schema(srv):
    """Turns the partitioned table back into the schema before partitions (as a database
    written by an earlier vigie-server), rows kept."""
    srv.sql("CREATE TABLE reports_plain (LIKE reports INCLUDING DEFAULTS, PRIMARY KEY (device_id, seq));"
            "INSERT INTO reports_plain SELECT * FROM reports; DROP TABLE reports;"
            "ALTER TABLE reports_plain RENAME TO reports;"
            "CREATE INDEX reports_device_iat ON reports(device_id, iat);"
            "CREATE INDEX reports_unpruned ON reports(received_at) WHERE jws <> '';")
    assert srv.sql("SELECT relkind FROM pg_class WHERE oid = 'reports'::regclass") == [("r",)]


def test_unpartitioned_database_converted_once_under_the_lock(srv):
    srv.start(now=T_B2)
    d = Device(srv, "laptop").enroll(srv.token())
    for _ in range(3):
        d.send(iat=T_B2)
    srv.restart(now=NOW - 60)
    for _ in range(3):
        d.send(iat=NOW - 60)
    srv.stop()
    old_schema(srv)

    # Another instance holds the lock (converting): this one waits for it.
    holder = subprocess.Popen(Postgres.psql_args(srv.db[len("postgres:"):]), stdin=subprocess.PIPE, text=True)
    holder.stdin.write(f"SELECT pg_advisory_lock({LOCK});\n")
    holder.stdin.flush()
    time.sleep(1)
    release = threading.Timer(3, lambda: holder.communicate(f"SELECT pg_advisory_unlock({LOCK});\n"))
    release.start()
    t0 = time.monotonic()
    srv.start(now=NOW)
    assert time.monotonic() - t0 >= 2.5
    release.join()

    assert srv.sql("SELECT relkind FROM pg_class WHERE oid = 'reports'::regclass") == [("p",)]
    by_part = dict(srv.sql("SELECT tableoid::regclass::text, count(*) FROM reports GROUP BY 1"))
    assert by_part == {pname(T_B2): "3", pname(NOW): "3"}
    reps = srv.get_json(f"/v1/fleet/devices/{d.id}/reports")["reports"]
    assert [r["jws"] for r in reps] == d.jws
    d.send(iat=NOW)
    r = srv.ctl("audit", d.id)
    assert r.returncode == 0 and "7 reports, 7 verified" in r.stdout, r

    # No (device_id, iat) index, which every report's INSERT wrote and no query reads: not
    # carried over from the plain table, nor kept on a partitioned one made before.
    assert iat_indexes(srv) == []
    srv.sql("CREATE INDEX reports_device_iat ON reports(device_id, iat)")
    assert len(iat_indexes(srv)) == len(partitions(srv)) + 1

    # Already partitioned: left alone (the same partitions, the same rows).
    before = partitions(srv)
    srv.restart(now=NOW)
    assert partitions(srv) == before and srv.count("reports") == 7
    assert iat_indexes(srv) == []
    reps = srv.get_json(f"/v1/fleet/devices/{d.id}/reports")["reports"]
    assert [r["jws"] for r in reps] == d.jws


def test_default_partition_emptied_into_its_month(srv):
    (srv.dir / "server.conf").write_text(CONF.replace("PruneInterval=1s", "PruneInterval=1h"))
    srv.start(now=T_B2)
    d = Device(srv, "laptop").enroll(srv.token())
    # A month without its partition (as after a clock jump): the DEFAULT partition takes it.
    srv.sql(f"ALTER TABLE reports DETACH PARTITION {pname(T_B2)}; DROP TABLE {pname(T_B2)};")
    d.send(iat=T_B2)
    assert srv.count("reports_default") == 1
    # Later: the start creates the months ahead, not that one; the retention job creates
    # it and moves the row there.
    (srv.dir / "server.conf").write_text(CONF)
    srv.restart(now=NOW)
    wait_for(lambda: pname(T_B2) in partitions(srv), step=0.3, what="the month's partition back")
    assert srv.count("reports_default") == 0
    assert srv.count(pname(T_B2)) == 1
    assert [r["jws"] for r in srv.get_json(f"/v1/fleet/devices/{d.id}/reports")["reports"]] == d.jws
