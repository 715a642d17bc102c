# SPDX-License-Identifier: MIT
"""GET /metrics parses with the Prometheus text-format parser (python3-prometheus-client)
and agrees with the summary."""
import pytest
from prometheus_client.parser import text_string_to_metric_families

from fleet_util import NOW, Device, FleetServer


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = FleetServer(tmp_path_factory.mktemp("metrics")).start(now=NOW - 4 * 3600)
    tok = s.token()
    Device(s, "old").enroll(tok).send()                       # stale at NOW
    s.restart(NOW)
    for i, kw in enumerate([{}, {"backup": "fail"}, {"patch_level": "warn"},
                            {"disk_encryption": "unknown"}, {"backup": "error"}]):
        Device(s, f"d{i}").enroll(tok).send(**kw)
    Device(s, "pending").enroll(tok)
    replayer = Device(s, "replayer").enroll(tok)
    replayer.send()
    replayer.seq, replayer.prev = 0, None
    replayer.send(expect=(409,))                              # refused: replay, flagged
    st, _, _ = s.request("POST", "/v1/reports", body="not a jws", cert=replayer.cert_files)
    assert st == 400
    yield s
    s.stop()


def scrape(srv, cert="scraper"):
    st, headers, body = srv.request("GET", "/metrics", cert=cert)
    assert st == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {f.name: f for f in text_string_to_metric_families(body.decode())}


def samples(family):
    return {tuple(sorted(s.labels.items())): s.value for s in family.samples}


def test_parses_and_matches_summary(srv):
    fams = scrape(srv)
    summary = srv.get_json("/v1/fleet/summary")
    devices = samples(fams["vigie_devices"])
    assert fams["vigie_devices"].type == "gauge"
    for status in ("compliant", "noncompliant", "stale", "pending", "revoked", "flagged"):
        assert devices[(("status", status),)] == summary["devices"][status], status
    assert samples(fams["vigie_devices_enrolled"])[()] == summary["devices"]["enrolled"]
    checks = samples(fams["vigie_check_results"])
    for check, counts in summary["checks"].items():
        for status, n in counts.items():
            assert checks[(("check", check), ("status", status))] == n
    assert checks[(("check", "backup"), ("status", "fail"))] == 1
    assert summary["devices"]["stale"] == 1 and summary["devices"]["flagged"] == 1


def test_server_counters(srv):
    fams = scrape(srv, cert="admin")
    # prometheus_client names counter families without the _total suffix
    assert fams["vigie_reports_accepted"].type == "counter"
    assert samples(fams["vigie_reports_accepted"])[()] == 6   # since the last restart
    refused = samples(fams["vigie_reports_refused"])
    assert refused[(("reason", "seq_conflict"),)] == 1
    assert refused[(("reason", "malformed_report"),)] == 1
    assert samples(fams["vigie_enrollments"])[()] == 7
    hist = fams["vigie_http_request_duration_seconds"]
    assert hist.type == "histogram"
    s = {(x.name, x.labels.get("le")): x.value for x in hist.samples}
    assert s[("vigie_http_request_duration_seconds_bucket", "+Inf")] == \
        s[("vigie_http_request_duration_seconds_count", None)] > 0
    les = [float(x.labels["le"]) for x in hist.samples if x.name.endswith("_bucket")]
    assert les == sorted(les)


def test_help_and_type_for_every_family(srv):
    st, _, body = srv.request("GET", "/metrics", cert="scraper")
    text = body.decode()
    for name in ("vigie_devices", "vigie_check_results", "vigie_reports_accepted_total",
                 "vigie_reports_refused_total", "vigie_enrollments_total",
                 "vigie_http_request_duration_seconds"):
        assert f"# HELP {name} " in text and f"# TYPE {name} " in text
