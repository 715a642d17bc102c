# SPDX-License-Identifier: MIT
"""PostgreSQL pipeline (issue #17, SQL per report; docs/internals/store.md): a report's
writes travel with the next statement that needs an answer, so a write that fails is only
seen later, and must still undo exactly that report; a connection lost in the middle
must still give 503 and store nothing of the report. Failures are made by triggers."""
import random
import re
import shutil
import subprocess
import threading
import time

import pytest

from server_util import Postgres, VigieServer, database, postgres  # noqa: F401 (postgres: fixture)
from test_server import enrolled
from test_storage import api_reports, checks, packages


@pytest.fixture(params=["postgres"])
def srv(request, tmp_path):
    s = VigieServer(tmp_path, db=database(request))
    s.init()
    s.start()
    yield s
    s.stop()


def fail_on(srv, table, event, seq, action):
    """A trigger on table that runs action (PL/pgSQL) for the row of seq."""
    srv.sql(f"CREATE FUNCTION fail_{table}() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN "
            f"IF NEW.{'last_seq' if table == 'devices' else 'seq'} = {seq} THEN {action}; END IF; "
            f"RETURN NEW; END $f$")
    srv.sql(f"CREATE TRIGGER fail_{table} BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION fail_{table}()")


def unfail(srv, table):
    srv.sql(f"DROP TRIGGER fail_{table} ON {table}")
    srv.sql(f"DROP FUNCTION fail_{table}()")


def stored(srv, dev):
    seqs = [int(r[0]) for r in srv.sql("SELECT seq FROM reports WHERE device_id = $1 ORDER BY seq", dev.id)]
    latest = [int(r[0]) for r in srv.sql("SELECT seq FROM latest WHERE device_id = $1", dev.id)]
    head = int(srv.sql("SELECT last_seq FROM devices WHERE id = $1", dev.id)[0][0])
    results = int(srv.sql("SELECT count(DISTINCT seq) FROM check_results WHERE device_id = $1", dev.id)[0][0])
    return seqs, latest, head, results


@pytest.mark.parametrize("table,event", [("reports", "INSERT"),   # seen at the next read
                                         ("devices", "UPDATE")])  # seen at RELEASE
def test_a_failing_write_undoes_exactly_its_report(srv, table, event):
    dev = enrolled(srv)
    fail_on(srv, table, event, 2, "RAISE EXCEPTION 'refused by the test'")
    # reports 1, 2, 3 in one request, one transaction: 1 stays, 2 and what follows do not
    reports = [dev.report(), dev.report(), dev.report()]
    status, body = dev.post(reports)
    assert (status, body["error"]) == (503, "storage_unavailable"), body
    assert "refused by the test" in srv.log()
    assert stored(srv, dev) == ([1], [1], 1, 1)
    unfail(srv, table)
    # the connection goes on; the agent resends what was not acknowledged
    status, body = dev.post(reports[1:])
    assert status == 202, body
    assert stored(srv, dev) == ([1, 2, 3], [3], 3, 3)


@pytest.mark.parametrize("table,event", [("reports", "INSERT"), ("devices", "UPDATE")])
def test_a_unique_violation_sent_ahead_is_a_seq_conflict(srv, table, event):
    """-EEXIST (another instance stored that seq) keeps its meaning wherever it surfaces."""
    dev = enrolled(srv)
    assert dev.post(dev.report())[0] == 202
    fail_on(srv, table, event, 2, "RAISE unique_violation USING MESSAGE = 'taken by the test'")
    report = dev.report()
    status, body = dev.post(report)
    assert (status, body["error"]) == (409, "seq_conflict"), body
    assert stored(srv, dev) == ([1], [1], 1, 1)
    unfail(srv, table)
    status, body = dev.post(report)
    assert status == 202, body
    assert stored(srv, dev) == ([1, 2], [2], 2, 2)


def test_a_connection_lost_mid_pipeline_stores_nothing_of_the_report(srv):
    dev = enrolled(srv)
    assert dev.post(dev.report())[0] == 202
    # the server's own connection ends while the report's writes and RELEASE are queued
    fail_on(srv, "devices", "UPDATE", 3, "PERFORM pg_terminate_backend(pg_backend_pid())")
    reports = [dev.report(), dev.report()]
    status, body = dev.post(reports)
    assert (status, body["error"]) == (503, "storage_unavailable"), body
    assert stored(srv, dev) == ([1], [1], 1, 1)  # report 2 went with the lost transaction
    unfail(srv, "devices")
    # the server reconnects by itself at its next statement
    status, body = dev.post(reports)
    assert status == 202, body
    assert stored(srv, dev) == ([1, 2, 3], [3], 3, 3)


@pytest.mark.parametrize("action", ["RAISE EXCEPTION 'refused at commit'",        # the COMMIT fails
                                    "PERFORM pg_terminate_backend(pg_backend_pid())"])  # the connection ends
def test_a_commit_that_fails_answers_503_and_stores_nothing(srv, action):
    """The loop awaits the batch's COMMIT on the connection's socket (docs/internals/
    ingest.md, *Group commit*): a COMMIT that fails (a deferred trigger, run by COMMIT) or
    whose connection ends answers 503 to the batch and stores nothing of it; the server
    goes on, reconnecting by itself."""
    dev = enrolled(srv)
    assert dev.post(dev.report())[0] == 202
    srv.sql("CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN "
            f"IF NEW.seq = 2 THEN {action}; END IF; RETURN NULL; END $f$")
    srv.sql("CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON reports DEFERRABLE INITIALLY DEFERRED "
            "FOR EACH ROW EXECUTE FUNCTION fail_commit()")
    reports = [dev.report(), dev.report()]
    status, body = dev.post(reports)
    assert (status, body["error"]) == (503, "storage_unavailable"), body
    assert stored(srv, dev) == ([1], [1], 1, 1)
    srv.sql("DROP TRIGGER fail_commit ON reports")
    srv.sql("DROP FUNCTION fail_commit()")
    status, body = dev.post(reports)
    assert status == 202, body
    assert stored(srv, dev) == ([1, 2, 3], [3], 3, 3)


def test_a_stable_report_costs_one_round_trip(srv):
    """Counted, not timed (the server's stop line): a report alone in its batch waits for
    BEGIN, its reads (chain head, certificate status, each chunk's freshness,
    latest_checks) and COMMIT (with its writes: the batch runs ahead, its units take no
    savepoint), whatever its number of chunks; and for nothing on the read connection (the
    certificate's status came with the chain head). Each statement was one round trip
    before the pipeline, ~5.4 a report with the pipeline alone, then 4 (RELEASE waited
    for). And how many statements it sends."""
    devs = [enrolled(srv) for _ in range(3)]
    srv.stop()

    def run(rounds):
        srv.start()
        for _ in range(rounds):
            for d in devs:
                assert d.post(d.report())[0] == 202
        srv.stop()
        return counters(srv.log())

    warm = run(1)  # the schema, each statement's PREPARE, the first reports
    more = run(11)
    srv.start()
    statements, trips, read_statements, read_trips = ((b - a) / 30 for a, b in zip(warm, more))
    chunks = len(srv.sql("SELECT jws FROM reports ORDER BY received_at DESC LIMIT 1")[0][0].split(","))
    assert trips <= 2, (trips, statements, chunks)
    assert statements >= trips + 3 + chunks, (trips, statements, chunks)
    # BEGIN, 4 reads (chunks 16 to a statement), reports, check_results, the latest row
    # with the chain head (one statement: 3 before), COMMIT, and a chunk's upsert now and
    # then (a new one); no SAVEPOINT and RELEASE (the batch runs ahead): 13.2 before
    assert statements < 10, (trips, statements, chunks)
    assert read_trips < 0.1, (read_statements, read_trips)  # 1 a report before (revocation lookup)


def one_batch(srv, slow, others):
    """Posts slow's body, then, while its batch commits (a deferred trigger makes it
    slow), the others' bodies: they make the next batch. Returns the replies by device."""
    srv.sql("CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN "
            "PERFORM pg_sleep(1.5); RETURN NULL; END $f$")
    srv.sql("CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON check_results DEFERRABLE INITIALLY DEFERRED "
            f"FOR EACH ROW WHEN (NEW.device_id = '{slow[0].id}') EXECUTE FUNCTION slow_commit()")
    replies = {}

    def post(dev, body):
        replies[dev.id] = dev.post(body)

    threads = [threading.Thread(target=post, args=slow)]
    threads[0].start()
    time.sleep(0.5)  # the slow report's batch is committing: the others make the next one
    threads += [threading.Thread(target=post, args=o) for o in others]
    for t in threads[1:]:
        t.start()
        time.sleep(0.05)  # in this order, most likely
    for t in threads:
        t.join()
    srv.sql("DROP TRIGGER slow_commit ON check_results")
    srv.sql("DROP FUNCTION slow_commit()")
    return replies


def stop_line(log):
    """(requests, accepted, duplicates, refused, committed requests, commits) of the last stop."""
    m = re.findall(r"Stopped after (\d+) requests: (\d+) reports accepted, (\d+) duplicates, (\d+) refused; "
                   r"(\d+) requests in (\d+) commits", log)
    assert m, log[-2000:]
    return tuple(map(int, m[-1]))


def test_a_write_failing_in_a_batch_run_ahead_is_refused_as_before(srv):
    """The batch runs ahead (each report's RELEASE goes with the next report's reads, the
    last with the COMMIT): a middle report's write fails in the next report's wait, which
    cannot tell whose it is. The batch is rolled back and run again one wait per report,
    which refuses that report as before (409 seq_conflict: its seq taken meanwhile) and
    stores the others; each is counted and logged once."""
    slow, before, failing, after = devs = [enrolled(srv) for _ in range(4)]
    for d in devs:
        assert d.post(d.report())[0] == 202
    srv.stop()
    srv.start()
    fail_on(srv, "reports", "INSERT", 2,
            f"IF NEW.device_id = '{failing.id}' THEN RAISE unique_violation USING MESSAGE = 'taken by the test'; "
            "END IF")
    bodies = {d.id: d.report() for d in devs}
    replies = one_batch(srv, (slow, bodies[slow.id]), [(d, bodies[d.id]) for d in (before, failing, after)])
    unfail(srv, "reports")
    for d in (slow, before, after):
        assert replies[d.id][0] == 202, replies
        assert stored(srv, d) == ([1, 2], [2], 2, 2)
    assert (replies[failing.id][0], replies[failing.id][1]["error"]) == (409, "seq_conflict"), replies
    assert "stored concurrently" in replies[failing.id][1]["detail"], replies
    assert stored(srv, failing) == ([1], [1], 1, 1)
    srv.stop()
    log = srv.log()
    srv.start()
    assert len(re.findall(r"A report of the batch failed after writing \(.*taken by the test\)", log)) == 1, log[-3000:]
    assert log.count(f"Refused report 0 (seq 2) from {failing.id}") == 1, log[-3000:]
    requests, accepted, duplicates, refused, committed, commits = stop_line(log)
    assert (requests, accepted, duplicates, refused) == (4, 3, 0, 1), log[-3000:]
    assert committed - commits >= 2, (committed, commits)  # the three made one batch, or nearly
    # the agent resends it once the seq is free again
    status, body = failing.post(bodies[failing.id])
    assert status == 202, body
    assert stored(srv, failing) == ([1, 2], [2], 2, 2)


def test_refusals_in_a_batch_leave_the_other_reports_stored(srv):
    """Several devices' reports in one batch (they queue while the batch before commits,
    made slow by a deferred trigger): a broken chain, a conflicting seq and an identical
    resend are answered each for itself, the others are stored."""
    slow, good, broken, clone, resent = devs = [enrolled(srv) for _ in range(5)]
    first = {d.id: d.report() for d in devs}
    for d in devs:
        assert d.post(first[d.id])[0] == 202
    bodies = {slow.id: slow.report(), good.id: good.report(),
              broken.id: broken.report(prev="0" * 64),
              clone.id: clone.report(advance=False, seq=1, prev=None, compliant=False),
              resent.id: first[resent.id]}
    replies = one_batch(srv, (slow, bodies[slow.id]), [(d, bodies[d.id]) for d in devs[1:]])
    assert replies[slow.id][0] == 202, replies
    assert replies[good.id][0] == 202, replies
    assert (replies[broken.id][0], replies[broken.id][1]["error"]) == (409, "broken_chain"), replies
    assert (replies[clone.id][0], replies[clone.id][1]["error"]) == (409, "seq_conflict"), replies
    assert (replies[resent.id][0], replies[resent.id][1]["duplicates"]) == (200, 1), replies
    assert stored(srv, good) == ([1, 2], [2], 2, 2)
    for d in (broken, clone, resent):
        assert stored(srv, d) == ([1], [1], 1, 1)
    assert int(srv.sql("SELECT count(*) FROM devices WHERE flagged_at IS NOT NULL")[0][0]) == 2
    srv.stop()
    requests, commits = stop_line(srv.log())[4:]
    srv.start()
    assert requests - commits >= 3, (requests, commits)  # the four made one batch, or nearly


def count_chunk_puts(srv):
    """Each chunk insert the server sends, counted by a trigger (a conflicting upsert too:
    BEFORE INSERT runs before the conflict is found), in the transaction that sends it."""
    srv.sql("CREATE TABLE chunk_puts(hash TEXT NOT NULL)")
    srv.sql("CREATE FUNCTION chunk_put() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN "
            "INSERT INTO chunk_puts VALUES (NEW.hash); RETURN NEW; END $f$")
    srv.sql("CREATE TRIGGER chunk_put BEFORE INSERT ON report_chunks FOR EACH ROW EXECUTE FUNCTION chunk_put()")


def test_identical_evidence_of_several_devices_in_one_batch(srv):
    """The batch's BEGIN and the reads of each device's first report travel together
    (docs/internals/store.md, *Prefetch*): the second device to send evidence the first
    one's report writes in the same batch read it as missing. Its chunks are written once
    (not again, which would lock them again, nor in a batch run again), every report is
    stored once and reads back byte for byte."""
    srv.admin = srv.admin_cert("auditor")
    rng = random.Random(8)
    evidence = packages(rng, 300)  # new to the database: every chunk of it is written
    slow, *devs = [enrolled(srv) for _ in range(4)]
    for d in [slow] + devs:
        assert d.post(d.report())[0] == 202
    count_chunk_puts(srv)
    srv.stop()
    srv.start()
    bodies = {d.id: d.report(checks=checks(evidence, 5)) for d in devs}
    replies = one_batch(srv, (slow, slow.report()), [(d, bodies[d.id]) for d in devs])
    srv.stop()
    log = srv.log()
    srv.start()
    assert "A report of the batch failed after writing" not in log, log[-3000:]
    requests, commits = stop_line(log)[4:]
    assert requests - commits >= 2, (requests, commits)  # the three made one batch, or nearly
    for d in [slow] + devs:
        assert replies[d.id][0] == 202, replies
        assert stored(srv, d) == ([1, 2], [2], 2, 2)
    for d in devs:
        assert api_reports(srv, d)[-1] == bodies[d.id]
    twice = srv.sql("SELECT hash, count(*) FROM chunk_puts GROUP BY hash HAVING count(*) > 1")
    assert twice == [], twice
    assert int(srv.sql("SELECT count(*) FROM chunk_puts")[0][0]) >= 10  # the evidence's chunks, once


def test_arrays_and_two_requests_of_one_device_in_one_batch(srv):
    """Only a device's first report in the batch is read with the BEGIN: the rest of an
    array (an agent sending its offline queue), and a second request of the same device in
    the batch, read after the writes before them, as one report at a time would: every
    report is stored once, without a gap, and reads back byte for byte."""
    srv.admin = srv.admin_cert("auditor")
    slow, queued, twice, other = devs = [enrolled(srv) for _ in range(4)]
    sent = {d.id: [d.report()] for d in devs}
    for d in devs:
        assert d.post(sent[d.id][0])[0] == 202
    srv.stop()
    srv.start()
    array = [queued.report() for _ in range(3)]
    first, second = twice.report(), twice.report()
    replies = {}

    def post(dev, body, key):
        replies[key] = dev.post(body)

    # the slow batch commits while the others queue: queued's array, twice's two requests
    # (two connections) and other's report make the next batch
    srv.sql("CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN "
            "PERFORM pg_sleep(1.5); RETURN NULL; END $f$")
    srv.sql("CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON check_results DEFERRABLE INITIALLY DEFERRED "
            f"FOR EACH ROW WHEN (NEW.device_id = '{slow.id}') EXECUTE FUNCTION slow_commit()")
    threads = [threading.Thread(target=post, args=a) for a in
               [(slow, slow.report(), "slow"), (queued, array, "array"), (twice, first, "first"),
                (twice, second, "second"), (other, other.report(), "other")]]
    threads[0].start()
    time.sleep(0.5)
    for t in threads[1:]:
        t.start()
        time.sleep(0.05)  # in this order
    for t in threads:
        t.join()
    srv.sql("DROP TRIGGER slow_commit ON check_results")
    srv.sql("DROP FUNCTION slow_commit()")
    srv.stop()
    requests, commits = stop_line(srv.log())[4:]
    srv.start()
    assert requests - commits >= 3, (requests, commits)  # the four made one batch, or nearly
    assert all(status == 202 for status, _ in replies.values()), replies
    assert replies["array"][1] == {"accepted": 3, "duplicates": 0, "last_seq": 4}, replies
    assert stored(srv, queued) == ([1, 2, 3, 4], [4], 4, 4)
    assert stored(srv, twice) == ([1, 2, 3], [3], 3, 3)
    assert srv.sql("SELECT device_id, seq FROM reports WHERE gap <> 0") == []
    assert api_reports(srv, queued) == sent[queued.id] + array
    assert api_reports(srv, twice) == sent[twice.id] + [first, second]


def counters(log):
    """(statements, round trips) on the write connection, then on the read connection,
    from the last stop line."""
    m = re.findall(r"SQL statements: (\d+) on the write connection \((\d+) round trips\), "
                   r"(\d+) on the read connection \((\d+) round trips\)", log)
    assert m, log[-2000:]
    return tuple(map(int, m[-1]))


def test_over_tls_the_commit_is_awaited_by_the_commit_thread(tmp_path):
    """With `sslmode=require` libpq may hold decrypted answers that no readable socket
    announces, so the loop does not watch the socket for the COMMIT (pg_commit_send()) and
    the commit thread waits instead: reports from devices posting at once are all stored,
    over a connection the cluster says is TLS."""
    pg = Postgres(tmp_path / "pg").start()
    try:
        key, crt = pg.base / "server.key", pg.base / "server.crt"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", crt, "-subj", "/CN=127.0.0.1", "-days", "1"],
                       check=True, capture_output=True)
        for f in (key, crt):
            shutil.chown(f, "postgres", "postgres")
        key.chmod(0o600)
        with open(pg.data / "postgresql.conf", "a") as conf:
            conf.write(f"ssl = on\nssl_cert_file = '{crt}'\nssl_key_file = '{key}'\n")
        assert pg._as_pg(pg.bin / "pg_ctl", "-D", pg.data, "reload").returncode == 0
        srv = VigieServer(tmp_path / "srv", db=pg.url + " sslmode=require")
        srv.init()
        srv.start()
        try:
            devs = [enrolled(srv) for _ in range(4)]
            replies = []

            def post(d):
                replies.extend(d.post(d.report())[0] for _ in range(5))

            threads = [threading.Thread(target=post, args=(d,)) for d in devs]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert replies == [202] * 20
            for d in devs:
                assert stored(srv, d) == ([1, 2, 3, 4, 5], [5], 5, 5)
            tls = srv.sql("SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_ssl s "
                          "JOIN pg_stat_activity a USING (pid) WHERE a.datname = 'vigie' AND a.pid <> pg_backend_pid()")
            assert int(tls[0][0]) >= 1 and tls[0][0] == tls[0][1], tls
        finally:
            srv.stop()
        assert "Stopped after" in srv.log()
    finally:
        pg.stop()


def test_a_database_restarted_between_batches_is_reconnected_to(tmp_path):
    """The batch's BEGIN travels with its reports' reads: a connection that PostgreSQL
    closed while the server was idle (a restart) is found lost at that first wait, where
    nothing was written yet; the batch is begun again on a new connection and its reports
    stored, not answered 503 (docs/internals/store.md, *Prefetch*)."""
    pg = Postgres(tmp_path)
    pg.start()
    srv = VigieServer(tmp_path, db=pg.url)
    srv.start()
    try:
        devs = [enrolled(srv) for _ in range(2)]
        for d in devs:
            assert d.post(d.report())[0] == 202
        for _ in range(2):
            pg.stop(keep=True)
            pg.start(init=False)
            status, body = devs[0].post([devs[0].report(), devs[0].report()])
            assert status == 202, body
            assert devs[1].post(devs[1].report())[0] == 202
        assert [srv.count("reports", "device_id = $1", d.id) for d in devs] == [5, 3]
    finally:
        srv.stop()
        pg.stop()
