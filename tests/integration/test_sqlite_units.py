# SPDX-License-Identifier: MIT
"""On SQLite a batch of reports runs ahead too (docs/internals/store.md, *Transactions*):
its reports take no savepoint. One refused or failed after its first writes cannot be
undone alone, so the whole batch runs again with a savepoint per report: that report
leaves nothing behind, every other report of the batch is stored exactly once, and each
reply says what became of its report."""
import threading

from fleet_util import NOW, CHECKS, Device, FleetServer


def test_a_report_failing_after_its_writes_is_undone_alone(tmp_path):
    srv = FleetServer(tmp_path).start(now=NOW)
    try:
        token = srv.token()
        devs = [Device(srv, f"laptop-{i}").enroll(token) for i in range(6)]
        boom = Device(srv, "boom").enroll(token)
        # Its check results fail after its report row and chunks were written (a constraint:
        # refused as stored concurrently).
        srv.write(f"CREATE TRIGGER boom BEFORE INSERT ON check_results WHEN new.device_id = '{boom.id}' "
                  "BEGIN SELECT RAISE(ABORT, 'boom'); END")
        failures = []

        def send(dev, expect):
            try:
                dev.send(iat=NOW, expect=expect)
            except AssertionError as e:
                failures.append(e)

        for _ in range(4):
            threads = [threading.Thread(target=send, args=(d, (202,))) for d in devs]
            threads.append(threading.Thread(target=send, args=(boom, (409,))))
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert failures == []
        for d in devs:
            assert srv.sql("SELECT seq FROM reports WHERE device_id = $1 ORDER BY seq", d.id) == \
                [(str(s),) for s in range(1, 5)]
            assert srv.count("check_results", "device_id = $1", d.id) == 4 * len(CHECKS)
        for table in ("reports", "check_results", "latest", "latest_checks", "check_history"):
            assert srv.count(table, "device_id = $1", boom.id) == 0, table
        assert srv.sql("SELECT last_seq FROM devices WHERE id = $1", boom.id) == [("-1",)]
        # the batches with its report ran again, one savepoint per report
        assert "running the batch's" in srv.log()
        srv.write("DROP TRIGGER boom")
        boom.send(iat=NOW)
        assert srv.count("reports", "device_id = $1", boom.id) == 1
    finally:
        srv.stop()
