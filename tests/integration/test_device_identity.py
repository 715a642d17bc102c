# SPDX-License-Identifier: MIT
"""How each device's key is held, as the SERVER recorded it at enrollment (file, tpm,
tpm_unverified, provider; unknown for devices of older databases): in the device JSON,
vigiectl and the identity history, on SQLite and PostgreSQL; a report whose agent.key
contradicts the record is refused; renewing the same key keeps the record. Simulated
devices (real signed CSRs and reports) against the real vigie-server."""
import json

import pytest

from fleet_util import Device, FleetServer
from server_util import database, https, postgres  # noqa: F401 (postgres: the module's cluster)


@pytest.fixture(params=["sqlite", "postgres"])
def srv(tmp_path, request):
    s = FleetServer(tmp_path, db=database(request))
    s.start()
    yield s
    if s.running():
        s.stop()


class Laptop(Device):
    """A simulated device that says how its key is held, at enrollment and in reports."""

    def __init__(self, srv, name, key_claim=None):
        super().__init__(srv, name)
        self.key_claim = key_claim

    def enroll(self, token, extra=None):
        body = {"token": token, "csr": self.csr()}
        if self.key_claim:
            body["key"] = self.key_claim
        status, reply, _ = https(self.srv, "POST", "/v1/enroll", body | (extra or {}))
        assert status in (200, 201), (status, reply)
        self.set_cert(reply["certificate"])
        self.reply = reply
        return self

    def claims(self, *args, **kw):
        c = super().claims(*args, **kw)
        c["agent"]["key"] = self.report_key
        return c

    report_key = "file"


def identity(srv, dev):
    return srv.get_json(f"/v1/fleet/devices/{dev.id}")["identity"]


def test_key_kind_recorded_shown_and_enforced(srv):
    token = srv.token()
    old = Laptop(srv, "old-agent").enroll(token)            # says nothing: a key file
    filed = Laptop(srv, "filed", "file").enroll(token)
    tpm = Laptop(srv, "tpm-claimed", "tpm").enroll(token)
    prov = Laptop(srv, "pkcs11", "provider").enroll(token)

    assert [d.reply["key"] for d in (old, filed, tpm, prov)] == ["file", "file", "tpm_unverified", "provider"]
    assert identity(srv, filed)["key_kind"] == "file"
    ident = identity(srv, tpm)
    assert ident["key_kind"] == "tpm_unverified"
    (event,) = ident["events"]
    assert event["event"] == "enrolled"
    assert event["detail"] == "tpm_unverified: the agent sent no TPM attestation"
    r = srv.ctl("device", tpm.id)
    assert r.returncode == 0 and "(key: tpm_unverified)" in r.stdout, r

    # A file-key device cannot claim a TPM in its reports: the record wins.
    filed.report_key = "tpm"
    st = filed.send(expect=(400,))
    assert st == 400
    assert "agent.key \"tpm\" contradicts the key kind recorded at enrollment (file)" in srv.log()
    filed.report_key = "file"
    filed.send()
    # A TPM key (unverified or not) reports "tpm", never "file".
    tpm.report_key = "tpm"
    tpm.send()
    tpm.report_key = "file"
    tpm.send(expect=(400,))
    prov.report_key = "provider"
    prov.send()

    # Bad words are refused at enrollment.
    st, body, _ = https(srv, "POST", "/v1/enroll", {"token": token, "csr": Laptop(srv, "x").csr(), "key": "hsm"})
    assert st == 400 and body["error"] == "malformed_request" and "key:" in body["detail"], body


def test_renewal_keeps_the_record_a_new_key_is_a_new_claim(srv):
    token = srv.token()
    dev = Laptop(srv, "renewer", "tpm").enroll(token)
    # What a verified enrollment records (attestation, test_tpm.py): renewing the same key keeps it.
    srv.write("UPDATE devices SET key_kind = 'tpm' WHERE id = $1", dev.id)
    st, reply, _ = https(srv, "POST", "/v1/renew", {"csr": dev.csr(), "key": "tpm"},
                         cert=dev.cert_path, key=dev.key_path)
    assert st == 200 and reply["key"] == "tpm", reply
    dev.set_cert(reply["certificate"])
    assert identity(srv, dev)["key_kind"] == "tpm"
    # A rotation to another key proves nothing about the new one.
    new = Laptop(srv, "renewer")
    st, reply, _ = https(srv, "POST", "/v1/renew", {"csr": new.csr(cn=dev.id), "key": "tpm"},
                         cert=dev.cert_path, key=dev.key_path)
    assert st == 200 and reply["key"] == "tpm_unverified", reply
    events = identity(srv, dev)["events"]
    assert [e["event"] for e in events] == ["enrolled", "renewed", "renewed"]
    assert events[1]["detail"] == "tpm" and events[2]["detail"].startswith("tpm_unverified: ")


def test_devices_of_an_older_database_are_unknown_and_not_refused(srv):
    token = srv.token()
    dev = Laptop(srv, "legacy", "file").enroll(token)
    srv.stop()
    # A version-2 database: key_kind was the algorithm, identity events had no detail.
    srv.write("UPDATE devices SET key_kind = 'ec-p256'")
    srv.write("ALTER TABLE identity_events DROP COLUMN detail")
    srv.write("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    srv.start()
    assert srv.sql("SELECT value FROM meta WHERE key = 'schema_version'") == [("3",)]
    ident = identity(srv, dev)
    assert ident["key_kind"] == "unknown" and ident["events"][0]["detail"] is None
    dev.report_key = "tpm"
    dev.send()  # nothing recorded to contradict
    dev.report_key = "file"
    dev.send()
    srv.stop()
    srv.start()  # migrated once
    assert identity(srv, dev)["key_kind"] == "unknown"


def set_policy(srv, **sections):
    """Publishes the next version of the policy (a version is never republished)."""
    srv.policy_version = getattr(srv, "policy_version", 1) + 1
    p = srv.dir / f"policy-{srv.policy_version}.json"
    p.write_text(json.dumps({"policy_id": "acme", "version": srv.policy_version} | sections))
    running = srv.running()
    if running:
        srv.stop()
    r = srv.cli("policy", "set", p)
    if running:
        srv.start()
    return r


def identity_check(srv, dev):
    """The device_identity result the server stored with the device's latest report."""
    rows = srv.sql("SELECT status, summary FROM check_results WHERE device_id = $1 AND check_id = $2 "
                   "ORDER BY seq DESC", dev.id, "device_identity")
    return rows[0] if rows else None


def row(srv, dev):
    (r,) = [d for d in srv.get_json("/v1/fleet/devices?status=any&limit=1000")["devices"] if d["device_id"] == dev.id]
    return r


def test_policy_requiring_a_tpm_key_follows_the_server_record(srv):
    token = srv.token()
    filed = Laptop(srv, "filed", "file").enroll(token)
    unverified = Laptop(srv, "unverified", "tpm").enroll(token)
    proven = Laptop(srv, "proven", "tpm").enroll(token)
    unverified.report_key = proven.report_key = "tpm"
    srv.write("UPDATE devices SET key_kind = 'tpm' WHERE id = $1", proven.id)  # as attestation records it
    assert set_policy(srv, device_identity={"required": True, "key": "tpm"}).returncode == 0
    published = srv.get_json("/v1/policy")
    assert published["device_identity"] == {"required": True, "key": "tpm"}

    # Every report says compliant and verifies: the server's own judgement decides the fleet.
    for d in (filed, unverified, proven):
        d.send()
    assert row(srv, filed)["verdict"] == "noncompliant" and row(srv, filed)["failing_checks"] == ["device_identity"]
    assert identity_check(srv, filed) == (
        "fail", "device key is a file; this policy requires a TPM-held key — see runbook")
    assert row(srv, unverified)["verdict"] == "noncompliant"
    assert identity_check(srv, unverified)[1].startswith("device key said to be held by a TPM, but the server "
                                                         "could not verify it")
    assert row(srv, proven)["verdict"] == "compliant"
    assert identity_check(srv, proven) == ("pass", "device key held by a TPM, verified by attestation at enrollment")
    counts = srv.get_json("/v1/fleet/summary")["checks"]["device_identity"]
    assert (counts["pass"], counts["fail"]) == (1, 2), counts

    # A device cannot report the check itself.
    assert filed.send(expect=(400,), device_identity="pass") == 400
    assert '"device_identity" is judged by the server, not reported' in srv.log()

    # A policy that accepts TPMs the server could not verify.
    assert set_policy(srv, device_identity={"required": True, "key": "tpm_unverified"}).returncode == 0
    unverified.send()
    assert row(srv, unverified)["verdict"] == "compliant"
    filed.send()
    assert row(srv, filed)["verdict"] == "noncompliant"

    # Not required: still judged and shown, not in the verdict.
    assert set_policy(srv, device_identity={"required": False}).returncode == 0
    filed.send()
    assert row(srv, filed)["verdict"] == "compliant" and identity_check(srv, filed)[0] == "fail"

    # Without the section there is no such check.
    assert set_policy(srv).returncode == 0
    filed.send()
    assert "device_identity" not in srv.get_json("/v1/fleet/summary")["checks"]

    # The section is checked like the rest of the policy.
    r = set_policy(srv, device_identity={"required": True, "key": "yubikey"})
    assert r.returncode != 0 and 'device_identity.key: "yubikey" is not "tpm" or "tpm_unverified"' in r.stderr, r
    r = set_policy(srv, device_identity={"require": True})
    assert r.returncode != 0 and "device_identity.require: unknown key" in r.stderr, r


def test_key_kind_in_the_list_the_exports_and_vigiectl(srv):
    token = srv.token()
    filed = Laptop(srv, "filed", "file").enroll(token)
    unverified = Laptop(srv, "unverified", "tpm").enroll(token)
    prov = Laptop(srv, "pkcs11", "provider").enroll(token)
    proven = Laptop(srv, "proven", "tpm").enroll(token)
    legacy = Laptop(srv, "legacy", "file").enroll(token)
    srv.write("UPDATE devices SET key_kind = 'tpm' WHERE id = $1", proven.id)  # as attestation records it
    srv.write("UPDATE devices SET key_kind = 'unknown' WHERE id = $1", legacy.id)  # as a version-2 record migrates
    unverified.report_key = proven.report_key = "tpm"
    prov.report_key = "provider"
    for d in (filed, unverified, prov, proven):
        d.send()
    kinds = {filed.id: "file", unverified.id: "tpm_unverified", prov.id: "provider", proven.id: "tpm",
             legacy.id: "unknown"}

    rows = srv.get_json("/v1/fleet/devices?limit=1000")["devices"]
    assert {r["device_id"]: r["key_kind"] for r in rows} == kinds
    for kind in ("tpm", "tpm_unverified", "file", "provider", "unknown"):
        want = sorted(i for i, k in kinds.items() if k == kind)
        got = [r["device_id"] for r in srv.get_json(f"/v1/fleet/devices?key={kind}")["devices"]]
        assert got == want, kind
        _, _, body = srv.request("GET", f"/v1/fleet/export?format=jsonl&key={kind}")
        assert [json.loads(x)["device_id"] for x in body.decode().splitlines()] == want, kind
    # with the other filters and a cursor: the two TPM-ish devices, one page each
    q = "/v1/fleet/devices?key=tpm_unverified&status=compliant&sort=hostname&limit=1"
    page = srv.get_json(q)
    assert [r["hostname"] for r in page["devices"]] == ["unverified"] and page["next_cursor"] is None
    _, _, body = srv.request("GET", "/v1/fleet/export?key=provider")
    (header, line) = body.decode().splitlines()
    assert header.split(",")[9:] == ["key_kind", "policy_id", "policy_version", "policy_current"]
    assert line.split(",")[9:] == ["provider", "default", "1", "true"], line

    out = srv.ctl("devices").stdout.splitlines()
    assert out[0].split()[-1] == "KEY", out
    for i, kind in kinds.items():
        assert next(x for x in out if x.startswith(i)).split()[-1] == kind, out
    r = srv.ctl("devices", "--key-kind", "tpm", "--json")
    assert [d["device_id"] for d in r.json()["devices"]] == [proven.id], r
    r = srv.ctl("devices", "--key-kind", "unknown", "--csv")
    (header, line) = r.stdout.splitlines()
    assert header.endswith(",KEY") and line.startswith(legacy.id) and line.endswith(",unknown"), r.stdout
    r = srv.ctl("export", "--key-kind", "tpm_unverified", "--format", "jsonl")
    assert [json.loads(x)["device_id"] for x in r.stdout.splitlines()] == [unverified.id], r
    r = srv.ctl("devices", "--key-kind", "hsm")
    assert r.returncode == 7 and 'key="hsm": expected one of tpm' in r.stderr, r
