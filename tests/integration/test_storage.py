# SPDX-License-Identifier: MIT
"""Reports stored once (issue #17): the JWS bytes once (no second copy of the claims),
evidence that did not change since the device's previous report once (content-addressed
chunks), and still the exact signed bytes back from GET …/reports and vigiectl audit.
SQLite and PostgreSQL, real vigie-server."""
import gzip
import hashlib
import json
import random
import time
from pathlib import Path

import pytest

from conftest import run
from server_util import Device, VigieServer, database, https, postgres, stored_jws  # noqa: F401 (postgres: fixture)


@pytest.fixture(params=["sqlite", "postgres"])
def srv(request, tmp_path):
    s = VigieServer(tmp_path, db=database(request))
    s.start()
    s.admin = s.admin_cert("auditor")
    yield s
    if s.running():
        s.stop()


def packages(rng, n=400):
    """A patch_level-like evidence: many lines that stay the same from one report to the next."""
    return [{"name": f"pkg-{i:04d}-{rng.randrange(1 << 30):x}", "version": f"{rng.randrange(9)}.{i}-1",
             "note": "déjà vu ✓"} for i in range(n)]


def checks(evidence, duration):
    return [{"id": "patch_level", "status": "pass", "title": "Patches", "summary": "up to date",
             "remediation": None, "deadline": None, "evidence": {"packages": evidence}, "duration_us": duration},
            {"id": "backup", "status": "pass", "title": "Backup", "summary": "restic 2 h ago",
             "remediation": None, "deadline": None, "evidence": {"repo": "s3:b/laptop"}, "duration_us": duration + 1},
            {"id": "disk_encryption", "status": "pass", "title": "Disk encryption", "summary": "/ on LUKS2",
             "remediation": None, "deadline": None, "evidence": {"mounts": []}, "duration_us": duration}]


def api_reports(srv, dev):
    status, body, _ = https(srv, "GET", f"/v1/fleet/devices/{dev.id}/reports", cert=srv.admin[0], key=srv.admin[1])
    assert status == 200, body
    return [r["jws"] for r in body["reports"]]


def chunk_bytes(srv):
    return int(srv.sql("SELECT coalesce(sum(length(data)), 0) FROM report_chunks")[0][0])


def test_stable_device_costs_little_and_round_trips(srv):
    rng = random.Random(17)
    evidence = packages(rng)
    dev = Device(srv)
    assert dev.enroll(srv.token())[0] == 201
    sent = []
    for i in range(12):
        jws = dev.report(checks=checks(evidence, 1000 + rng.randrange(9000)))
        assert dev.post(jws)[0] == 202
        sent.append(jws)
        if i == 0:
            first = chunk_bytes(srv)
    payload = len(sent[0].split(".")[1]) * 3 // 4
    assert first >= payload * 0.99       # the first report's claims, once
    growth = (chunk_bytes(srv) - first) / 11
    # Each later report adds only the chunks around what changed (iat, seq, prev, durations).
    assert growth < payload / 5, (growth, payload)
    # One JWS column, no second copy of the claims.
    cols = [r[1] for r in srv.sql("SELECT cid, name FROM pragma_table_info('reports')")] \
        if not srv.db else [r[0] for r in srv.sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'reports'")]
    assert "claims" not in cols and "jws" in cols
    assert all(j.startswith("@") for (j,) in srv.sql("SELECT jws FROM reports"))

    # The exact signed bytes, from the API and from the database rows put back together.
    assert api_reports(srv, dev) == sent
    assert stored_jws(srv, dev.id) == sent
    (h,), = srv.sql("SELECT hash FROM reports WHERE seq = 12")
    assert h == hashlib.sha256(sent[-1].encode()).hexdigest()

    # The device page shows the latest claims, put back together.
    status, body, _ = https(srv, "GET", f"/v1/fleet/devices/{dev.id}", cert=srv.admin[0], key=srv.admin[1])
    assert status == 200, body
    assert body["latest"]["claims"]["seq"] == 12
    assert body["latest"]["claims"]["checks"][0]["evidence"]["packages"] == evidence


def test_changed_evidence_and_other_devices(srv):
    """Evidence that changes is stored; identical evidence on two devices is shared."""
    rng = random.Random(3)
    evidence = packages(rng, 200)
    a, b = Device(srv), Device(srv)
    for d in (a, b):
        assert d.enroll(srv.token())[0] == 201
    sa = [a.report(checks=checks(evidence, 5))]
    assert a.post(sa[0])[0] == 202
    evidence2 = [dict(p) for p in evidence]
    evidence2[100]["version"] = "99.0-1"
    sa.append(a.report(checks=checks(evidence2, 5)))
    assert a.post(sa[1])[0] == 202
    sb = [b.report(checks=checks(evidence2, 7))]
    assert b.post(sb[0])[0] == 202
    assert api_reports(srv, a) == sa and api_reports(srv, b) == sb
    # Unicode and JSON escapes round-trip too (controls are refused at ingest: test_trust).
    odd_checks = checks([], 1)
    odd_checks[0].update(title="ünï\\cødé \u2028 \"quoted\"", summary="line one\nline two")
    odd = a.report(checks=odd_checks)
    assert a.post(odd)[0] == 202
    sa.append(odd)
    assert api_reports(srv, a) == sa


def test_every_row_count_of_the_check_results_insert(srv):
    """A report's results go in one statement per 16 checks (50 parameters, what PostgreSQL binds at most: 64), one text per row
    count: reports of 1 to 35 checks write each of them, and their rows come back."""
    dev = Device(srv)
    assert dev.enroll(srv.token())[0] == 201
    for n in range(1, 36):
        cs = [{"id": f"c{i:02d}", "status": "fail" if i % 3 == 0 else "pass", "title": f"Check {i}",
               "summary": f"{n}/{i}", "remediation": None, "deadline": None, "evidence": {},
               "duration_us": i} for i in range(n)]
        st, body = dev.post(dev.report(checks=cs, compliant=False))[:2]
        assert st == 202, body
        rows = srv.sql(f"SELECT check_id, status, summary FROM check_results WHERE seq = {n} ORDER BY check_id")
        assert [tuple(r) for r in rows] == [(c["id"], c["status"], c["summary"]) for c in cs]


REAL = json.loads(gzip.decompress((Path(__file__).parent.parent / "bench" / "report-real.json.gz").read_bytes()))


def real_checks(rng):
    """A real agent's checks (`vigie check --json` on Debian 12: tests/bench/report-real.json.gz, 29 KB of
    claims), each with a duration of its own at every report, as a real agent's timings."""
    return [dict(c, duration_us=rng.randrange(1, 10 ** rng.randrange(1, 7))) for c in REAL["checks"]]


def stored_text(srv):
    return int(srv.sql("SELECT (SELECT coalesce(sum(length(jws)), 0) FROM reports) + "
                       "(SELECT coalesce(sum(length(data)), 0) FROM report_chunks)")[0][0])


def test_stable_real_report_adds_no_chunk(srv):
    """What changes at every report of a stable laptop (iat, seq, prev, each check's duration) is
    kept inline in the chunk list: its next reports store the list alone (~2.3 KB, was 7.3 KB with
    the ~6 chunks around the durations new), and still come back byte for byte."""
    rng = random.Random(9)
    dev = Device(srv)
    assert dev.enroll(srv.token())[0] == 201
    sent, text = [], []
    for i in range(6):
        jws = dev.report(checks=real_checks(rng), compliant=False, iat=int(time.time()) + i)
        assert dev.post(jws)[0] == 202
        sent.append(jws)
        text.append((stored_text(srv), int(srv.sql("SELECT count(*) FROM report_chunks")[0][0])))
    payload = len(sent[0].split(".")[1]) * 3 // 4
    assert payload > 25000 and text[0][0] >= payload
    # The second report still has new chunks (the first had "prev":null); from the third on, none.
    assert text[1][1] == text[-1][1] > 0, text
    # Its list: ~30 hashes of 65 bytes, the literals, the header and signature.
    per_report = (text[-1][0] - text[1][0]) / (len(text) - 2)
    assert per_report < 3500, (per_report, text)
    rows = [j for (j,) in srv.sql("SELECT jws FROM reports ORDER BY seq")]
    assert all(j.startswith("@") and ",=" in j for j in rows)

    # Odd values around the pinned keys: exact all the same.
    odd = real_checks(rng)
    odd[0]["evidence"] = {"note": '"duration_us":12 "seq":5 \u00e9', "duration_us": 10 ** 30, "seq": -1,
                          "iat": 1.5, "prev": "ABCDEF" * 10 + "abcd", "é": {"duration_us": 3}}
    sent.append(dev.report(checks=odd, compliant=False))
    assert dev.post(sent[-1])[0] == 202

    assert api_reports(srv, dev) == sent
    assert stored_jws(srv, dev.id) == sent
    r = run("vigiectl", "audit", dev.id, "--server", f"https://localhost:{srv.port}", "--cert", srv.admin[0],
            "--key", srv.admin[1], "--ca", srv.ca)
    assert r.returncode == 0, r
    assert "7 reports, 7 verified, seq 1 to 7" in r.stdout, r.stdout
