# SPDX-License-Identifier: MIT
"""The fleet query API against a real server holding a fleet of simulated devices that
enrolled and sent really signed reports: every filter, sort, pagination, error, and the
admin-only gate."""
import csv
import io
import json
import urllib.parse

import pytest

from conftest import run
from fleet_util import NOW, Device, FleetServer, stamp

HOUR = 3600


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fleet(tmp_path_factory, request):
    """A fleet with one device in each state, on each backend. The server clock starts
    5 h early so that 'foxtrot' reports then and is stale at NOW."""
    tmp = tmp_path_factory.mktemp("fleet")
    s = FleetServer.on_backend(request, tmp)
    s.start(now=NOW - 5 * HOUR)
    assert f"database: {request.param}" in s.log()
    token = s.token()
    devs = {}

    def dev(name, *args):
        devs[name] = Device(s, name, *args).enroll(token)
        return devs[name]

    dev("foxtrot").send()                                   # stale by NOW
    s.restart(NOW - 10 * 60)
    dev("Alpha-Laptop").send()                              # compliant
    dev("bravo").send(backup="fail")                        # non-compliant
    dev("charlie", "ubuntu", "24.04").send(patch_level="warn")  # compliant (warn)
    d = dev("delta", "debian", "13")
    d.send()
    d.send(disk_encryption="fail", patch_level="unknown")   # non-compliant since now
    dev("echo")                                               # enrolled, never reported
    dev("golf").send(backup="error")
    hotel = dev("hotel")
    hotel.send()
    hotel.send()
    # a replayed (older) seq: refused with 409 and the device flagged
    hotel.seq, hotel.prev = 0, None
    hotel.send(expect=(409,))
    for i in range(12):
        dev(f"node-{i:02d}").send(backup="fail" if i % 3 == 0 else "pass")
    s.restart(NOW)
    # revoked while the server runs: it must leave every count
    assert run("vigie-server", "revoke", devs["golf"].id, *s.args()).returncode == 0
    s.devs = devs
    yield s
    s.stop()


def names(s, query):
    body = s.get_json("/v1/fleet/devices?" + query)
    return [d["hostname"] for d in body["devices"]]


def test_summary_counts(fleet):
    s = fleet.get_json("/v1/fleet/summary")
    d = s["devices"]
    # 20 enrolled, golf revoked; foxtrot stale; echo pending
    assert d == {"enrolled": 19, "reporting": 17, "compliant": 11, "noncompliant": 6,
                 "stale": 1, "pending": 1, "revoked": 1, "flagged": 1}
    assert d["enrolled"] == d["reporting"] + d["stale"] + d["pending"]
    assert s["stale_after_s"] == 3 * HOUR
    # per check: latest status of every non-revoked device that reported (18 incl. stale)
    assert s["checks"]["backup"] == {"pass": 13, "warn": 0, "fail": 5, "unknown": 0, "error": 0}
    assert s["checks"]["disk_encryption"]["fail"] == 1
    assert s["checks"]["patch_level"] == {"pass": 16, "warn": 1, "fail": 0, "unknown": 1, "error": 0}


@pytest.mark.parametrize("query,expected", [
    ("status=compliant&q=a", ["Alpha-Laptop", "charlie"]),
    ("status=noncompliant&q=a", ["bravo", "delta"]),
    ("status=stale", ["foxtrot"]),
    ("status=flagged", ["hotel"]),
    ("status=revoked", ["golf"]),
    ("check=backup&check_status=fail&q=o", ["bravo", "node-00", "node-03", "node-06", "node-09"]),
    ("check=patch_level&check_status=warn", ["charlie"]),
    ("check=patch_level&check_status=unknown", ["delta"]),
    ("os=ubuntu", ["charlie"]),
    ("os=debian:13", ["delta"]),
    ("os=debian:99", []),
    ("q=ALPHA", ["Alpha-Laptop"]),
    ("q=e-0", ["node-00", "node-01", "node-02", "node-03", "node-04", "node-05", "node-06",
               "node-07", "node-08", "node-09"]),
    ("q=%25", []),                      # a literal '%', not a wildcard
    ("q=_", []),
    # every simulated device enrolled a key file; all reported the current policy
    ("key=file&q=e-0&status=noncompliant", ["node-00", "node-03", "node-06", "node-09"]),
    ("key=tpm", []),
    ("key=unknown", []),
    ("policy=outdated", []),
])
def test_filters(fleet, query, expected):
    assert sorted(names(fleet, query + "&sort=hostname&limit=1000")) == sorted(expected)


def test_since(fleet):
    got = names(fleet, "since=" + urllib.parse.quote(stamp(NOW - 3 * HOUR)) + "&limit=1000")
    assert "foxtrot" not in got and "echo" not in got and "bravo" in got
    assert names(fleet, "since=5min&limit=1000") == []     # nothing in the last 5 minutes
    assert "foxtrot" in names(fleet, "since=6h&limit=1000")


def test_rows(fleet):
    body = fleet.get_json("/v1/fleet/devices?q=delta")
    (row,) = body["devices"]
    assert row["device_id"] == fleet.devs["delta"].id
    assert row["os"] == {"id": "debian", "version_id": "13", "pretty": "debian 13"}
    assert row["verdict"] == "noncompliant"
    assert sorted(row["failing_checks"]) == ["disk_encryption", "patch_level"]
    assert row["noncompliant_since"] == stamp(NOW - 10 * 60)
    assert row["last_report"] == stamp(NOW - 10 * 60)
    assert row["seq"] == 2 and row["flagged"] is False
    assert row["key_kind"] == "file"
    echo = fleet.get_json("/v1/fleet/devices?status=any&sort=hostname&limit=1000")["devices"]
    echo = [d for d in echo if d["device_id"] == fleet.devs["echo"].id][0]
    assert echo["verdict"] == "pending" and echo["os"] is None and echo["last_report"] is None


@pytest.mark.parametrize("sort,key", [
    ("device", "device_id"), ("hostname", "hostname"), ("last_report", "last_report"),
    ("noncompliant_since", "noncompliant_since")])
@pytest.mark.parametrize("desc", [False, True])
def test_sort(fleet, sort, key, desc):
    rows = fleet.get_json(f"/v1/fleet/devices?limit=1000&sort={'-' if desc else ''}{sort}")["devices"]
    assert len(rows) == 20
    keys = [(r[key] or "", r["device_id"]) for r in rows]  # none sorts as "" (or 0)
    assert keys == sorted(keys, reverse=desc)


@pytest.mark.parametrize("sort", ["device", "-hostname", "last_report", "-noncompliant_since"])
def test_pagination(fleet, sort):
    seen, cursor, pages = [], None, 0
    while True:
        q = f"limit=3&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
        body = fleet.get_json("/v1/fleet/devices?" + q)
        assert len(body["devices"]) <= 3
        seen += [d["device_id"] for d in body["devices"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 7
    full = [d["device_id"] for d in fleet.get_json(f"/v1/fleet/devices?limit=1000&sort={sort}")["devices"]]
    assert seen == full and len(set(seen)) == 20


@pytest.mark.parametrize("query,reason", [
    ("status=green", 'status="green"'),
    ("check_status=fail", "needs check="),
    ("check=backup&check_status=late", 'check_status="late"'),
    ("check=Bad!", 'check="Bad!"'),
    ("sort=colour", 'sort="colour"'),
    ("limit=0", 'limit="0"'),
    ("limit=5000", 'limit="5000"'),
    ("limit=ten", 'limit="ten"'),
    ("since=yesterday", 'since="yesterday"'),
    ("cursor=abcd", "cursor="),
    ("colour=red", 'unknown parameter "colour"'),
    ("status=stale&status=flagged", "given twice"),
    ("q=%ZZ", "URL-encoded"),
    ("key=hsm", 'key="hsm": expected one of tpm, tpm_unverified, file, provider, unknown'),
    ("key=TPM", 'key="TPM"'),
    ("policy=current", 'policy="current": expected outdated'),
])
def test_bad_filter(fleet, query, reason):
    st, _, body = fleet.request("GET", "/v1/fleet/devices?" + query)
    assert st == 400, body
    err = json.loads(body)
    assert err["error"] == "bad_filter" and reason in err["detail"], err


def test_cursor_of_another_sort(fleet):
    c = fleet.get_json("/v1/fleet/devices?limit=2&sort=hostname")["next_cursor"]
    st, _, body = fleet.request("GET", f"/v1/fleet/devices?limit=2&sort=-hostname&cursor={c}")
    assert st == 400 and b"another sort order" in body


def test_unknown_device(fleet):
    for path in ("/v1/fleet/devices/6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
                 "/v1/fleet/devices/6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b/reports",
                 "/v1/fleet/devices/not-a-uuid", "/v1/fleet/devices/..%2F..%2Fetc"):
        st, _, body = fleet.request("GET", path)
        assert st == 404, (path, body)
        assert json.loads(body)["error"] == "no_such_device"
    st, _, _ = fleet.request("GET", f"/v1/fleet/devices/{fleet.devs['delta'].id}/nothing")
    assert st == 404


def test_device_detail(fleet):
    d = fleet.devs["delta"]
    j = fleet.get_json(f"/v1/fleet/devices/{d.id}")
    ident = j["identity"]
    assert ident["fingerprint"] == d.kid
    assert int(ident["serial"], 16) == d.cert.serial_number
    assert ident["not_after"] and ident["not_before"] and ident["enrolled_at"]
    assert ident["key_kind"]
    claims = j["latest"]["claims"]
    assert claims["seq"] == 2 and claims["sub"] == d.id
    assert {c["id"]: c["evidence"] for c in claims["checks"]}["backup"] == {"sample": "backup"}
    # history: every check's first status, then the two that changed at seq 2
    changes = {(h["check"], h["status"], h["seq"]) for h in j["history"]}
    assert ("disk_encryption", "fail", 2) in changes and ("patch_level", "unknown", 2) in changes
    assert ("disk_encryption", "pass", 1) in changes and ("backup", "pass", 1) in changes
    assert not any(h["check"] == "backup" and h["seq"] == 2 for h in j["history"])
    assert j["certificates"] and "BEGIN CERTIFICATE" in j["certificates"][0]
    pending = fleet.get_json(f"/v1/fleet/devices/{fleet.devs['echo'].id}")
    assert pending["latest"] is None and pending["verdict"] == "pending"


def test_reports_raw_jws(fleet):
    d = fleet.devs["delta"]
    j = fleet.get_json(f"/v1/fleet/devices/{d.id}/reports")
    assert [r["jws"] for r in j["reports"]] == d.jws
    assert [r["seq"] for r in j["reports"]] == [1, 2]
    assert len(j["certificates"]) == 1
    frm = urllib.parse.quote(stamp(NOW - 10 * 60))
    assert fleet.get_json(f"/v1/fleet/devices/{d.id}/reports?from={frm}")["reports"][0]["seq"] == 1
    assert fleet.get_json(f"/v1/fleet/devices/{d.id}/reports?to={frm}")["reports"] == []
    st, _, body = fleet.request("GET", f"/v1/fleet/devices/{d.id}/reports?from=monday")
    assert st == 400 and json.loads(body)["error"] == "bad_filter" and "monday" in json.loads(body)["detail"]
    st, _, body = fleet.request("GET", f"/v1/fleet/devices/{d.id}/reports?seq=1")
    assert st == 400


def test_export_csv_streamed(fleet):
    st, headers, body = fleet.request("GET", "/v1/fleet/export?format=csv")
    assert st == 200
    assert headers.get("Transfer-Encoding") == "chunked"
    assert headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert len(rows) == 20
    by_name = {r["hostname"]: r for r in rows}
    assert by_name["delta"]["verdict"] == "noncompliant"
    assert by_name["delta"]["failing_checks"] in ("disk_encryption,patch_level", "patch_level,disk_encryption")
    assert by_name["foxtrot"]["verdict"] == "stale"
    assert by_name["golf"]["verdict"] == "revoked"
    assert by_name["hotel"]["flagged"] == "true"
    assert list(rows[0])[-4:] == ["key_kind", "policy_id", "policy_version", "policy_current"]
    assert {r["key_kind"] for r in rows} == {"file"}
    d = by_name["delta"]
    assert (d["policy_id"], d["policy_version"], d["policy_current"]) == ("default", "1", "true")
    e = {r["device_id"]: r for r in rows}[fleet.devs["echo"].id]  # never reported: the server does not know its policy
    assert (e["policy_id"], e["policy_version"], e["policy_current"]) == ("", "", "")
    assert [r["device_id"] for r in rows] == sorted(r["device_id"] for r in rows)


def test_export_jsonl(fleet):
    st, headers, body = fleet.request("GET", "/v1/fleet/export?format=jsonl")
    assert st == 200
    lines = [json.loads(l) for l in body.decode().splitlines()]
    assert len(lines) == 20 and {"device_id", "verdict", "failing_checks", "key_kind"} <= set(lines[0])
    st, _, body = fleet.request("GET", "/v1/fleet/export?format=xml")
    assert st == 400 and b"csv or jsonl" in body


@pytest.mark.parametrize("query,n", [("key=file", 20), ("key=tpm", 0), ("policy=outdated", 0),
                                     ("key=file&policy=outdated", 0)])
def test_export_filters(fleet, query, n):
    st, _, body = fleet.request("GET", "/v1/fleet/export?format=jsonl&" + query)
    assert st == 200 and len(body.decode().splitlines()) == n, body
    st, _, body = fleet.request("GET", "/v1/fleet/export?" + query)
    assert st == 200 and len(body.decode().splitlines()) == n + 1  # the header


@pytest.mark.parametrize("query,reason", [("key=hsm", 'key="hsm"'), ("policy=new", 'policy="new"'),
                                          ("status=stale", 'unknown parameter "status"')])
def test_export_bad_filter(fleet, query, reason):
    st, _, body = fleet.request("GET", "/v1/fleet/export?" + query)
    err = json.loads(body)
    assert st == 400 and err["error"] == "bad_filter" and reason in err["detail"], err


ADMIN_ROUTES = ["/v1/fleet/summary", "/v1/fleet/devices", "/v1/fleet/devices?status=stale",
                "/v1/fleet/devices/{id}", "/v1/fleet/devices/{id}/reports",
                "/v1/fleet/export", "/v1/fleet/export?format=jsonl", "/metrics", "/", "/ui/console.js",
                "/v1/fleet/history"]


@pytest.mark.parametrize("route", ADMIN_ROUTES)
def test_device_certificate_refused(fleet, route):
    d = fleet.devs["bravo"]
    path = route.format(id=d.id)
    st, _, body = fleet.request("GET", path, cert=d.cert_files)
    assert st == 403, (path, body)
    assert json.loads(body)["error"] == "wrong_role"
    st, _, body = fleet.request("GET", path, cert=None)
    assert st == 401, (path, body)


@pytest.mark.parametrize("route", ADMIN_ROUTES)
def test_scraper_only_metrics(fleet, route):
    path = route.format(id=fleet.devs["bravo"].id)
    st, _, _ = fleet.request("GET", path, cert="scraper")
    assert st == (200 if path == "/metrics" else 403)


def test_dashboard(fleet):
    """The console's files (test_console.py drives them in a browser)."""
    st, headers, body = fleet.request("GET", "/")
    assert st == 200 and headers["Content-Type"].startswith("text/html")
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert b'src="/ui/console.js"' in body and b"<script>" not in body and b"style=" not in body
    st, headers, js = fleet.request("GET", "/ui/console.js")
    assert st == 200 and headers["Content-Type"].startswith("text/javascript")
    assert b"/v1/fleet/summary" in js and b"textContent" in js and b"innerHTML" not in js
    assert fleet.request("GET", "/ui/console.css")[0] == 200
    assert fleet.request("GET", "/ui/../server.conf")[0] == 404
    assert fleet.request("GET", "/ui/index.html")[0] == 404


def test_stale_and_flagged_follow_the_clock(tmp_path):
    """Time moves by restarting the server with another VIGIE_NOW, never by sleeping."""
    s = FleetServer(tmp_path, conf="[Fleet]\nStaleAfter=2h\nFlagWindow=1d\n").start(now=NOW)
    try:
        token = s.token()
        a = Device(s, "a").enroll(token)
        b = Device(s, "b").enroll(token)
        a.send()
        b.send()

        def state():
            j = s.get_json("/v1/fleet/summary")["devices"]
            return j["stale"], j["flagged"], sorted(names(s, "status=stale")), names(s, "status=flagged")

        assert state() == (0, 0, [], [])
        s.restart(NOW + 2 * HOUR - 60)
        assert state() == (0, 0, [], [])
        s.restart(NOW + 2 * HOUR + 60)                 # both silent for > 2 h
        assert state() == (2, 0, ["a", "b"], [])
        a.send()                                     # a speaks again
        assert state() == (1, 0, ["b"], [])
        b.seq, b.prev = 0, None                        # b replays seq 1
        b.send(expect=(409,))
        assert state() == (1, 1, ["b"], ["b"])
        s.restart(NOW + 2 * HOUR + 60 + 86400 - 60)    # the flag is still within its day
        assert s.get_json("/v1/fleet/summary")["devices"]["flagged"] == 1
        s.restart(NOW + 2 * HOUR + 60 + 86400 + 60)    # and then it is not
        assert s.get_json("/v1/fleet/summary")["devices"]["flagged"] == 0
        assert names(s, "status=flagged") == []
        # an enrolled device that never reports goes stale too
        c = Device(s, "c").enroll(token)

        def stale_ids():
            return {d["device_id"] for d in s.get_json("/v1/fleet/devices?status=stale")["devices"]}

        assert c.id not in stale_ids()
        assert s.get_json("/v1/fleet/summary")["devices"]["pending"] == 1
        s.restart(s.now + 2 * HOUR + 60)
        assert stale_ids() == {a.id, b.id, c.id}
        assert s.get_json("/v1/fleet/summary")["devices"]["pending"] == 0
    finally:
        s.stop()
