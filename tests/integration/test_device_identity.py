# SPDX-License-Identifier: MIT
"""How each device's key is held, as the SERVER recorded it at enrollment (file, tpm,
tpm_unverified, provider; unknown for devices of older databases): in the device JSON,
vigiectl and the identity history, on SQLite and PostgreSQL; a report whose agent.key
contradicts the record is refused; renewing the same key keeps the record. Simulated
devices (real signed CSRs and reports) against the real vigie-server."""
import pytest

from fleet_util import NOW, Device, FleetServer, Postgres
from server_util import https


@pytest.fixture(params=["sqlite", "postgres"])
def srv(tmp_path, request):
    pg = None
    if request.param == "postgres":
        pg = Postgres(tmp_path).start()
        request.addfinalizer(pg.stop)
    s = FleetServer(tmp_path, db=pg.url if pg else None)
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
    assert event["detail"] == ("tpm_unverified: the agent says its key is in a TPM, with no attestation "
                               "the server could check")
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
