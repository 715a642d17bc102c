# SPDX-License-Identifier: MIT
"""Webhook alerts: a real HTTPS receiver on 127.0.0.1 (its own CA) that fails the first
deliveries, the server killed with SIGKILL between state changes and their delivery, then
restarted: every event arrives, each with a valid HMAC-SHA256 signature, and exactly the
expected set of events (duplicates only with the same Idempotency-Key)."""
import hashlib
import hmac
import http.server
import json
import ssl
import subprocess
import threading
import time

import pytest

from conftest import run
from fleet_util import NOW, Device, FleetServer, Postgres

SECRET = "s3cret-for-tests"
HOUR = 3600


class Receiver:
    """HTTPS on 127.0.0.1 with a certificate for "localhost" from its own CA; answers 503
    to the first `fail` POSTs, then 204; keeps every request it accepted."""

    def __init__(self, tmp, fail, client_ca=None):
        self.tmp, self.fail = tmp, fail
        self.ca = tmp / "hook-ca.pem"
        key, cert = tmp / "hook.key", tmp / "hook.pem"
        sh = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
        sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", tmp / "hook-ca.key", "-out", self.ca, "-subj", "/CN=hook test CA", "-days", "2")
        sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", key, "-out", tmp / "hook.csr", "-subj", "/CN=localhost")
        (tmp / "ext").write_text("subjectAltName=DNS:localhost\n")
        sh("openssl", "x509", "-req", "-in", tmp / "hook.csr", "-CA", self.ca, "-CAkey", tmp / "hook-ca.key",
           "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", tmp / "ext")
        self.accepted, self.refused, self.clients = [], 0, []
        lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    if outer.refused < outer.fail:
                        outer.refused += 1
                        self.send_response(503)
                    else:
                        peer = self.connection.getpeercert() or {}
                        outer.accepted.append((self.path, dict(self.headers), body))
                        outer.clients.append(dict(x[0] for x in peer.get("subject", ())).get("commonName"))
                        self.send_response(204)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        if client_ca:  # mutual TLS: the server must present its webhook client certificate
            ctx.load_verify_locations(client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def events(self):
        return list(self.accepted)

    def close(self):
        self.httpd.shutdown()


@pytest.fixture(params=["sqlite", "postgres"])
def setup(tmp_path, request):
    pg = None
    if request.param == "postgres":
        pg = Postgres(tmp_path).start()
        request.addfinalizer(pg.stop)
    hook = Receiver(tmp_path, fail=3)
    conf = (f"[Fleet]\nStaleAfter=2h\n[Events]\nFile={tmp_path / 'events.jsonl'}\n"
            f"[Alert \"security\"]\nURL=https://localhost:{hook.port}/hook\nCA={hook.ca}\n"
            f"Secret={SECRET}\nEvents=noncompliant compliant flagged stale revoked enrolled\n"
            f"[Alert \"patches-only\"]\nURL=https://localhost:{hook.port}/patches\nCA={hook.ca}\n"
            f"Secret={SECRET}\nEvents=noncompliant\nChecks=patch_level\n")
    s = FleetServer(tmp_path, db=pg.url if pg else None, conf=conf)
    yield s, hook
    if s.running():
        s.stop()
    hook.close()


def wait_for(cond, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return False


def test_every_event_arrives_signed_once_or_with_the_same_key(setup):
    s, hook = setup
    s.start(now=NOW - 3 * HOUR)
    token = s.token()
    a = Device(s, "alpha").enroll(token)
    b = Device(s, "bravo").enroll(token)
    a.send()
    b.send(patch_level="fail")
    s.proc.kill()  # SIGKILL: the events are committed, not yet delivered (the receiver fails 3)
    s.proc.wait()
    s.proc = None
    s._log.close()
    s.start()
    b.send()                                      # bravo compliant again
    a.send(backup="fail")                         # alpha fails a check we do not filter on
    assert run("vigie-server", "revoke", b.id, *s.args()).returncode == 0
    s.stop()
    s.start(now=NOW)                              # alpha silent for 3 h > StaleAfter=2h: stale

    key = lambda d: (d["event"], d["hostname"])  # noqa: E731
    expected = {("enrolled", None), ("compliant", "alpha"), ("noncompliant", "bravo"),
                ("compliant", "bravo"), ("noncompliant", "alpha"), ("revoked", "bravo"),
                ("stale", "alpha")}

    def seen(path):
        return [(h, json.loads(body)) for p, h, body in hook.events() if p == path]

    ok = wait_for(lambda: {key(d) for _, d in seen("/hook")} >= expected and
                  len({d["id"] for _, d in seen("/patches")}) >= 1)
    assert ok, (hook.events(), s.log()[-3000:])
    time.sleep(2)  # nothing more may come
    hooks = seen("/hook")
    assert hook.refused == 3
    by_id = {}
    for headers, d in hooks:
        body = json.dumps(d)  # for messages only; the signature is over the raw bytes below
        assert headers["Idempotency-Key"] == d["id"], body
        by_id.setdefault(d["id"], []).append(d)
    for p, headers, raw in hook.events():
        mac = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        assert headers["X-Vigie-Signature"] == f"sha256={mac}"
        assert headers["Content-Type"] == "application/json"
    # duplicates are the same event: same key, same body
    for k, copies in by_id.items():
        assert all(c == copies[0] for c in copies), copies
    # exactly: two enrollments, and one of each other event
    kinds = sorted((d["event"], d["hostname"]) for d in (c[0] for c in by_id.values()))
    assert kinds == sorted([("enrolled", None), ("enrolled", None), ("compliant", "alpha"),
                            ("noncompliant", "bravo"), ("compliant", "bravo"), ("noncompliant", "alpha"),
                            ("revoked", "bravo"), ("stale", "alpha")])
    bravo_nc = next(c[0] for c in by_id.values() if c[0]["event"] == "noncompliant" and c[0]["hostname"] == "bravo")
    assert bravo_nc["failing_checks"] == ["patch_level"] and bravo_nc["device_id"] == b.id
    assert "bravo (debian 12) is not compliant: patch_level" in bravo_nc["text"]
    # the filtered alert got only bravo's patch_level failure
    patches = {d["id"]: d for _, d in seen("/patches")}
    assert [(d["event"], d["hostname"]) for d in patches.values()] == [("noncompliant", "bravo")]
    # the JSON-lines stream holds the same events, whatever the webhook's failures
    lines = [json.loads(line) for line in (s.tmp / "events.jsonl").read_text().splitlines()]
    assert {d["id"]: (d["event"], d["hostname"]) for d in lines} == \
        {k: (c[0]["event"], c[0]["hostname"]) for k, c in by_id.items()}
    assert all(d["alert"] is None and set(d) == set(bravo_nc) for d in lines)
    # stale fires once per silence: a restart does not repeat it
    s.restart(NOW + 60)
    time.sleep(3)
    assert sum(1 for _, d in seen("/hook") if d["event"] == "stale") == \
        sum(1 for _, d in hooks if d["event"] == "stale")


@pytest.mark.parametrize("section, message", [
    ('[Alert "x"]\nURL=http://hooks.example.com/\nSecret=s\n', 'expected an https:// URL'),
    ('[Alert "x"]\nURL=https://hooks.example.com/\n', 'needs URL= and Secret='),
    ('[Alert "x"]\nURL=https://h/\nSecret=s\nEvents=noncompliant exploded\n', 'Events="noncompliant exploded"'),
    ('[Alert "x"]\nURL=https://h/\nSecret=s\nCertificate=/c.pem\n', 'Certificate= and Key= go together'),
    ('[Alert "x"]\nURL=https://h/\nSecret=s\nColour=red\n', 'unknown key "Colour"'),
    ('[Webhook "x"]\nURL=https://h/\n', 'expected [Alert "NAME"]'),
])
def test_bad_alert_configuration_is_refused(tmp_path, section, message):
    s = FleetServer(tmp_path)
    (s.dir / "server.conf").write_text(section)
    with pytest.raises(AssertionError) as e:
        s.start(now=NOW)
    assert message in str(e.value) and "server.conf" in str(e.value)


def test_mutual_tls_webhook_with_an_rsa_key_and_a_query(tmp_path):
    """Certificate= and Key= (RSA: any key type for webhooks) go to a receiver that requires
    them; the URL's query is kept."""
    sh = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", tmp_path / "client-ca.key",
       "-out", tmp_path / "client-ca.pem", "-subj", "/CN=client CA", "-days", "2")
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", tmp_path / "client.key",
       "-out", tmp_path / "client.csr", "-subj", "/CN=vigie-webhook-client")
    sh("openssl", "x509", "-req", "-in", tmp_path / "client.csr", "-CA", tmp_path / "client-ca.pem",
       "-CAkey", tmp_path / "client-ca.key", "-CAcreateserial", "-out", tmp_path / "client.pem", "-days", "2")
    hook = Receiver(tmp_path, fail=0, client_ca=tmp_path / "client-ca.pem")
    conf = (f"[Alert \"mtls\"]\nURL=https://localhost:{hook.port}/hook?team=sec&x=1\nCA={hook.ca}\n"
            f"Certificate={tmp_path / 'client.pem'}\nKey={tmp_path / 'client.key'}\n"
            f"Secret={SECRET}\nEvents=enrolled\n")
    s = FleetServer(tmp_path, conf=conf)
    try:
        s.start()
        Device(s, "alpha").enroll(s.token())
        assert wait_for(lambda: hook.events()), s.log()[-3000:]
        path, headers, body = hook.events()[0]
        assert path == "/hook?team=sec&x=1"
        assert hook.clients[0] == "vigie-webhook-client"
        assert json.loads(body)["event"] == "enrolled"
    finally:
        if s.running():
            s.stop()
        hook.close()
