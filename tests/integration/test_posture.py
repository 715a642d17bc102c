# SPDX-License-Identifier: MIT
"""The posture API and forward-auth against a real server, driven over time (VIGIE_NOW):
monitor, warn-then-block before and after the grace, block, stale, revoked, compliant
again; the gateway role; the proxies' certificate headers; /metrics."""
import json
import urllib.parse
from pathlib import Path

import pytest

from conftest import run
from fleet_util import NOW, Device, FleetServer, stamp

HOUR = 3600
T1 = NOW - 30 * HOUR  # the day the devices start failing


def set_policy(srv, enforcement):
    p = Path(srv.tmp) / "policy.json"
    # a published version is never republished with other content: each change is a new one
    srv.policy_version = getattr(srv, "policy_version", 1) + 1
    p.write_text(json.dumps({"policy_id": "acme", "version": srv.policy_version, "enforcement": enforcement}))
    r = srv.cli("policy", "set", p)
    assert r.returncode == 0, r


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def srv(tmp_path_factory, request):
    tmp = tmp_path_factory.mktemp("posture")
    s = FleetServer.on_backend(request, tmp)
    s.gateway = s.admin_cert("vpn-gw", role="gateway")
    set_policy(s, {"mode": "warn_then_block", "grace_hours": 24, "stale_is": "denied",
                   "checks": {"backup": {"mode": "monitor"}}})
    s.start(now=T1)
    assert f"database: {request.param}" in s.log()
    token = s.token()
    s.devs = {n: Device(s, n).enroll(token) for n in ("good", "bad", "backup", "revoked", "silent", "never")}
    s.devs["good"].send()
    s.devs["bad"].send(disk_encryption="fail")
    s.devs["backup"].send(backup="fail")
    s.devs["revoked"].send()
    s.devs["silent"].send()
    assert run("vigie-server", "revoke", s.devs["revoked"].id, *s.args()).returncode == 0
    yield s
    s.stop()


def posture(srv, dev, cert="gateway", status=200):
    c = srv.gateway if cert == "gateway" else cert
    return srv.get_json(f"/v1/posture/{dev.id}", status=status, cert=c)


def test_decisions_over_time(srv):
    srv.restart(T1 + HOUR)
    bad = posture(srv, srv.devs["bad"])
    assert bad["allowed"] is True and bad["state"] == "grace"
    assert bad["verdict"] == "noncompliant" and bad["failing"] == ["disk_encryption"]
    assert bad["grace_until"] == stamp(T1 + 24 * HOUR)
    assert bad["reason"] == "disk_encryption: disk_encryption is fail"
    assert bad["policy"] == {"id": "acme", "version": 2}
    assert bad["report_at"] == stamp(T1)
    good = posture(srv, srv.devs["good"])
    assert (good["allowed"], good["state"], good["verdict"], good["reason"], good["failing"]) == \
        (True, "allowed", "compliant", None, [])
    monitored = posture(srv, srv.devs["backup"])  # backup is only monitored
    assert (monitored["allowed"], monitored["state"], monitored["verdict"]) == (True, "allowed", "noncompliant")

    # past the grace: bad still failing (since T1) is denied; the others report again
    srv.restart(T1 + 25 * HOUR)
    for n in ("good", "backup"):
        srv.devs[n].send(**({"backup": "fail"} if n == "backup" else {}))
    srv.devs["bad"].send(disk_encryption="fail")
    bad = posture(srv, srv.devs["bad"])
    assert (bad["allowed"], bad["state"], bad["grace_until"]) == (False, "blocked", None)
    assert posture(srv, srv.devs["good"])["allowed"] is True
    assert posture(srv, srv.devs["backup"])["allowed"] is True
    # stale (last report 25 h ago) and never reported: stale_is denied
    silent = posture(srv, srv.devs["silent"])
    assert (silent["allowed"], silent["verdict"]) == (False, "stale")
    assert silent["reason"] == f"no report from this laptop since {stamp(T1)}"
    never = posture(srv, srv.devs["never"])
    assert (never["allowed"], never["verdict"], never["report_at"]) == (False, "stale", None)

    # compliant again: allowed at once
    srv.devs["bad"].send()
    bad = posture(srv, srv.devs["bad"])
    assert (bad["allowed"], bad["state"], bad["verdict"]) == (True, "allowed", "compliant")

    # block: the next failure denies at once; monitor: nothing is denied
    set_policy(srv, {"mode": "block"})
    srv.devs["bad"].send(disk_encryption="fail")
    assert posture(srv, srv.devs["bad"])["state"] == "blocked"
    set_policy(srv, {"mode": "monitor", "stale_is": "denied"})
    assert posture(srv, srv.devs["bad"])["state"] == "allowed"
    assert posture(srv, srv.devs["silent"])["allowed"] is True
    set_policy(srv, {"mode": "warn_then_block", "grace_hours": 24, "stale_is": "denied",
                     "checks": {"backup": {"mode": "monitor"}}})


def test_revoked_denied_despite_compliant_report(srv):
    rev = srv.devs["revoked"]
    p = posture(srv, rev)
    assert (p["allowed"], p["verdict"]) == (False, "revoked")
    p = srv.get_json(f"/v1/posture?fingerprint={rev.kid}", cert=srv.gateway)
    assert (p["device_id"], p["allowed"]) == (rev.id, False)


def test_by_fingerprint_and_self(srv):
    good = srv.devs["good"]
    p = srv.get_json(f"/v1/posture?fingerprint={good.kid.upper()}", cert=srv.gateway)
    assert (p["device_id"], p["allowed"]) == (good.id, True)
    # admins may ask too
    assert srv.get_json(f"/v1/posture/{good.id}")["device_id"] == good.id
    me = srv.get_json("/v1/posture/self", cert=good.cert_files)
    assert (me["device_id"], me["allowed"]) == (good.id, True)


def test_errors_and_roles(srv):
    good = srv.devs["good"]
    assert srv.get_json("/v1/posture/00000000-0000-4000-8000-000000000000", status=404,
                        cert=srv.gateway)["error"] == "unknown_device"
    assert srv.get_json("/v1/posture?fingerprint=" + "ab" * 32, status=404,
                        cert=srv.gateway)["error"] == "unknown_certificate"
    assert srv.get_json("/v1/posture?fingerprint=xyz", status=400, cert=srv.gateway)["error"] == "bad_fingerprint"
    assert srv.get_json("/v1/posture/bad%20id", status=400, cert=srv.gateway)["error"] == "bad_device_id"
    for cert in (good.cert_files, "scraper"):
        assert srv.get_json(f"/v1/posture/{good.id}", status=403, cert=cert)["error"] == "wrong_role"
        assert srv.get_json(f"/v1/posture?fingerprint={good.kid}", status=403, cert=cert)["error"] == "wrong_role"
    assert srv.get_json("/v1/posture/self", status=403, cert=srv.gateway)["error"] == "wrong_role"
    # a gateway is no admin
    assert srv.get_json("/v1/fleet/summary", status=403, cert=srv.gateway)["error"] == "wrong_role"
    assert srv.request("GET", f"/v1/posture/{good.id}", cert=None)[0] == 401


def forward_auth(srv, header, value):
    import http.client
    import ssl
    ctx = ssl.create_default_context(cafile=str(srv.ca))
    ctx.load_cert_chain(*srv.gateway)
    conn = http.client.HTTPSConnection("localhost", srv.port, context=ctx, timeout=30)
    try:
        conn.request("GET", "/v1/forward-auth", headers={header: value} if value else {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    finally:
        conn.close()


def pem_forms(dev):
    pem = Path(dev.cert_path).read_text()
    der_b64 = "".join(l for l in pem.splitlines() if not l.startswith("-----"))
    return {"nginx": ("X-Client-Cert", urllib.parse.quote(pem)),
            "caddy": ("X-Client-Cert", der_b64),
            "traefik": ("X-Forwarded-Tls-Client-Cert", urllib.parse.quote(der_b64) + "," + der_b64)}


def test_forward_auth(srv):
    good, bad = srv.devs["good"], srv.devs["bad"]
    srv.restart(T1 + 26 * HOUR)
    bad.send(disk_encryption="fail")  # failing again since T1 + 25 h: in its grace
    good.send()
    for proxy, (h, v) in pem_forms(good).items():
        st, hdrs, _ = forward_auth(srv, h, v)
        assert st == 200, proxy
        assert hdrs["x-vigie-device"] == good.id and hdrs["x-vigie-verdict"] == "compliant"
        assert "x-vigie-warning" not in hdrs
    st, hdrs, _ = forward_auth(srv, *pem_forms(bad)["nginx"])
    assert st == 200 and hdrs["x-vigie-state"] == "grace"
    assert hdrs["x-vigie-grace-until"] == stamp(T1 + 49 * HOUR)
    assert hdrs["x-vigie-warning"] == f"access will be blocked at {stamp(T1 + 49 * HOUR)} unless fixed: " \
        "disk_encryption: disk_encryption is fail"
    srv.restart(T1 + 50 * HOUR)
    bad.send(disk_encryption="fail")
    st, hdrs, body = forward_auth(srv, *pem_forms(bad)["nginx"])
    assert st == 403 and hdrs["x-vigie-state"] == "blocked"
    assert "disk_encryption" in hdrs["x-vigie-reason"]
    assert "vigie check" in body and "text/html" in hdrs["content-type"]
    st, hdrs, body = forward_auth(srv, "X-Client-Cert", None)
    assert st == 403 and "no Vigie device certificate" in hdrs["x-vigie-reason"]
    st, hdrs, _ = forward_auth(srv, "X-Client-Cert", "bm90IGEgY2VydA==")
    assert st == 403 and "cannot be read" in hdrs["x-vigie-reason"]
    st, hdrs, _ = forward_auth(srv, "X-Client-Cert", urllib.parse.quote(Path(srv.gateway[0]).read_text()))
    assert st == 403 and "not a Vigie device certificate" in hdrs["x-vigie-reason"]


def test_counted_in_metrics(srv):
    srv.devs["good"].send()
    posture(srv, srv.devs["good"])
    st, _, body = srv.request("GET", "/metrics", cert="scraper")
    text = body.decode()
    assert st == 200
    counts = {line.split('"')[1]: float(line.split()[-1]) for line in text.splitlines()
              if line.startswith("vigie_posture_decisions_total{")}
    assert set(counts) == {"allowed", "grace", "blocked", "unknown"}
    assert counts["allowed"] >= 1 and counts["blocked"] >= 1 and counts["unknown"] >= 1
