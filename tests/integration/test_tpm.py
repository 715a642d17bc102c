# SPDX-License-Identifier: MIT
"""Device keys held by a TPM 2.0: real swtpm instances, the real tpm2 OpenSSL provider, the
real vigie-server on 127.0.0.1. The key is made in the TPM, signs reports and TLS, cannot
be used from another TPM or after the TPM is cleared, and is never silently replaced."""
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from agent_util import PrivateBus, wait_for
from conftest import binary
from reports_util import VigieServer, agent_config, b64url, free_port, kid_of, openssl_verify_jws, unb64url

pytestmark = pytest.mark.skipif(
    shutil.which("swtpm") is None or shutil.which("swtpm_setup") is None
    or not list(Path("/usr/lib").glob("*/ossl-modules/tpm2.so")),
    reason="swtpm and tpm2-openssl are needed (packaging/deps.sh installs them)")


def free_port_pair():
    """Two free loopback ports N and N+1: the swtpm TCTI finds the control channel at N+1."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port, port + 1
    raise AssertionError("no two free ports in a row")


class Swtpm:
    """A TPM 2.0 simulator with its own state (a laptop's TPM), on two loopback ports, behind
    tpm2-abrmd on a private session bus: the resource manager that swaps TPM objects and
    sessions in and out for its clients, as the kernel's /dev/tpmrm0 does on a laptop."""

    def __init__(self, d: Path, vendor=None):
        """vendor: a VendorCA that certifies the EK (as TPM makers do), or None: no EK certificate."""
        self.dir = d
        d.mkdir(parents=True)
        self.bus = PrivateBus(d, bus_type="session")
        self.abrmd = None
        ek = ["--create-ek-cert", "--config", str(vendor.setup_conf)] if vendor else ["--createek"]
        subprocess.run(["swtpm_setup", "--tpm2", "--tpmstate", str(d), *ek, "--overwrite"],
                       check=True, capture_output=True)
        self.port, self.ctrl = free_port_pair()
        self.proc = None
        self.start()

    @property
    def raw_tcti(self):
        return f"swtpm:host=127.0.0.1,port={self.port}"

    @property
    def tcti(self):
        return f"tabrmd:bus_name=com.intel.tss2.Tabrmd,bus_type=session"

    @property
    def env(self):
        return {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={self.bus.sock}"}

    def start(self):
        self.proc = subprocess.Popen(
            ["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={self.dir}",
             "--server", f"type=tcp,port={self.port},bindaddr=127.0.0.1",
             "--ctrl", f"type=tcp,port={self.ctrl},bindaddr=127.0.0.1", "--flags", "startup-clear",
             "--log", f"file={self.dir}/swtpm.log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: subprocess.run(["tpm2_getcap", "-T", self.raw_tcti, "properties-fixed"],
                                        capture_output=True).returncode == 0, 30, what="swtpm")
        self.abrmd = subprocess.Popen(
            ["tpm2-abrmd", "--session", "--allow-root", "--flush-all", f"--tcti={self.raw_tcti}"],
            env={**os.environ, **self.env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: subprocess.run(["tpm2_getcap", "-T", self.tcti, "properties-fixed"], capture_output=True,
                                        env={**os.environ, **self.env}).returncode == 0, 20, what="tpm2-abrmd")

    def clear(self):
        """What "Clear TPM" in the firmware setup does: a new storage seed, every key gone."""
        subprocess.run(["tpm2_clear", "-T", self.tcti, "-c", "p"], check=True, capture_output=True,
                       env={**os.environ, **self.env})

    def stop(self):
        for p in (self.abrmd,):
            if p:
                p.terminate()
                p.wait(5)
        self.abrmd = None
        self.bus.close()
        if self.proc:
            self.proc.terminate()
            self.proc.wait(5)
            self.proc = None


class VendorCA:
    """A TPM maker's CA (swtpm_localca): a root and an issuing CA that sign EK certificates."""

    def __init__(self, d: Path):
        d.mkdir(parents=True)
        (d / "localca.conf").write_text(f"statedir = {d}\nsigningkey = {d}/signkey.pem\n"
                                        f"issuercert = {d}/issuercert.pem\ncertserial = {d}/certserial\n")
        (d / "localca.options").write_text("--platform-manufacturer Vigie\n--platform-version 2.1\n"
                                           "--platform-model test\n")
        self.setup_conf = d / "setup.conf"
        self.setup_conf.write_text(f"create_certs_tool = /usr/bin/swtpm_localca\n"
                                   f"create_certs_tool_config = {d}/localca.conf\n"
                                   f"create_certs_tool_options = {d}/localca.options\nactive_pcr_banks = sha256\n")
        self.dir = d

    def bundle(self, path: Path):
        """What IT configures as TPMRootCAs=: the vendor's root and issuing CA."""
        path.write_text((self.dir / "issuercert.pem").read_text() +
                        (self.dir / "swtpm-localca-rootca-cert.pem").read_text())
        return path


def trust_vendor(server, bundle):
    """[Enroll] TPMRootCAs= in server.conf, then a restart."""
    server.stop()
    with open(server.dir / "server.conf", "a") as f:
        f.write(f"\n[Enroll]\nTPMRootCAs={bundle}\n")
    server.start()


@pytest.fixture
def tpm(tmp_path):
    t = Swtpm(tmp_path / "tpm")
    yield t
    t.stop()


@pytest.fixture
def vigie(tpm):
    """vigie on this laptop: it reaches its TPM's resource manager."""
    from conftest import run

    def _run(*args, env=None, **kw):
        return run("vigie", *args, env={**tpm.env, **(env or {})}, **kw)
    return _run


@pytest.fixture
def server(tmp_path):
    from conftest import run
    srv = VigieServer(tmp_path, run, binary)
    srv.start()
    yield srv
    srv.stop()


def tpm_config(tmp_path, state, server, tcti, storage="tpm"):
    return agent_config(tmp_path, state, server=server.url, extra=f"[Agent]\nKeyStorage={storage}\nTPM={tcti}\n")


def device_of(state):
    return subprocess.run(["openssl", "x509", "-in", state / "device.crt", "-noout", "-subject", "-nameopt",
                           "RFC2253"], capture_output=True, text=True).stdout.strip().split("CN=")[1].split(",")[0]


def reset_token(server, device_id):
    """The one-time token that re-enrolls a known device (vigie-server device reset ID)."""
    from conftest import run
    r = run("vigie-server", "device", "reset", device_id, "--dir", server.dir)
    assert r.returncode == 0, r
    return r.stdout.strip()


def recorded_key(server, device_id):
    """How the server recorded the device's key at enrollment (devices.key_kind)."""
    import sqlite3
    db = sqlite3.connect(f"file:{server.dir / 'vigie.db'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT key_kind FROM devices WHERE id = ?", (device_id,)).fetchone()[0]
    finally:
        db.close()


def identity_detail(server, device_id):
    """The detail of the device's latest identity event: the key kind recorded, and why not tpm."""
    import sqlite3
    db = sqlite3.connect(f"file:{server.dir / 'vigie.db'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT detail FROM identity_events WHERE device_id = ? ORDER BY rowid DESC LIMIT 1",
                          (device_id,)).fetchone()[0]
    finally:
        db.close()


def claims_of(jws):
    return json.loads(unb64url(jws.split(".")[1]))


def test_key_made_in_the_tpm_signs_reports_and_tls(vigie, tmp_path, server, tpm):
    state = tmp_path / "state"
    conf = tpm_config(tmp_path, state, server, tpm.tcti, "auto")
    r = vigie("enroll", "--config", conf, "--token", server.token(), "--ca", server.ca)
    assert r.returncode == 0, r
    assert "esys" not in r.stderr, r  # tpm2-tss's own warnings (absent NV indices) are not for people
    blob = (state / "device.key").read_text()
    assert blob.startswith("-----BEGIN TSS2 PRIVATE KEY-----"), blob[:40]
    assert (state / "device.key").stat().st_mode & 0o777 == 0o600
    # mTLS with the TPM's key, then a report signed by it
    r = vigie("report", "--config", conf)
    assert r.returncode == 0 and "Report 1 signed and sent" in r.stdout, r
    device_id = device_of(state)
    (row,) = server.reports(device_id)
    jws = row[3]
    assert claims_of(jws)["agent"]["key"] == "tpm"
    # This TPM has no EK certificate: nothing vouches for it, whatever it answers.
    assert recorded_key(server, device_id) == "tpm_unverified"
    assert identity_detail(server, device_id) == "tpm_unverified: the TPM has no endorsement key certificate"
    assert json.loads(unb64url(jws.split(".")[0]))["kid"] == kid_of(state / "device.crt")
    assert openssl_verify_jws(jws, state / "device.crt", tmp_path / "v")


def test_copied_state_is_useless_on_another_tpm(vigie, tmp_path, server, tpm):
    state = tmp_path / "state"
    conf = tpm_config(tmp_path, state, server, tpm.tcti)
    assert vigie("enroll", "--config", conf, "--token", server.token(), "--ca", server.ca).returncode == 0
    assert vigie("report", "--config", conf).returncode == 0

    # root copies the state directory to another laptop: its own TPM cannot unwrap the blob
    other = Swtpm(tmp_path / "other-tpm")
    try:
        stolen = tmp_path / "stolen"
        shutil.copytree(state, stolen)
        (tmp_path / "thief").mkdir()
        conf2 = tpm_config(tmp_path / "thief", stolen, server, other.tcti)
        r = vigie("report", "--config", conf2, env=other.env)
        assert r.returncode == 2, r
        assert "this laptop's TPM can no longer use the device key" in r.stderr
        assert "device reset token" in r.stderr
        assert sorted((stolen / "spool").glob("*.jws")) == [], "nothing is signed with another key"
        assert (stolen / "device.key").read_bytes() == (state / "device.key").read_bytes()
    finally:
        other.stop()
    # the real laptop still reports
    assert vigie("report", "--config", conf).returncode == 0


def test_cleared_tpm_locks_nothing_silently(vigie, tmp_path, server, tpm):
    state = tmp_path / "state"
    conf = tpm_config(tmp_path, state, server, tpm.tcti)
    assert vigie("enroll", "--config", conf, "--token", server.token(), "--ca", server.ca).returncode == 0
    key_before = (state / "device.key").read_bytes()
    tpm.clear()
    r = vigie("report", "--config", conf)
    assert r.returncode == 2 and "can no longer use the device key" in r.stderr, r
    # a second enrollment does not quietly make another key
    r = vigie("enroll", "--config", conf, "--token", server.token(), "--force")
    assert r.returncode != 0 and "can no longer use the device key" in r.stderr, r
    assert (state / "device.key").read_bytes() == key_before
    # the runbook: a new key, said so, enrolled with the token IT gives (docs/agent.md)
    r = vigie("enroll", "--config", conf, "--token", reset_token(server, device_of(state)), "--force", "--new-key")
    assert r.returncode == 0, r
    assert (state / "device.key.replaced").read_bytes() == key_before
    assert (state / "device.key").read_text().startswith("-----BEGIN TSS2 PRIVATE KEY-----")
    assert vigie("report", "--config", conf).returncode == 0


def test_rotate_key_in_the_tpm_keeps_the_chain(vigie, tmp_path, server, tpm):
    state = tmp_path / "state"
    conf = tpm_config(tmp_path, state, server, tpm.tcti)
    assert vigie("enroll", "--config", conf, "--token", server.token(), "--ca", server.ca).returncode == 0
    assert vigie("report", "--config", conf).returncode == 0
    old_kid = kid_of(state / "device.crt")
    old_blob = (state / "device.key").read_bytes()
    r = vigie("enroll", "--config", conf, "--rotate-key")
    assert r.returncode == 0 and "New device key made in the TPM and certified." in r.stdout, r
    assert (state / "device.key").read_bytes() != old_blob
    assert not (state / "device.key.new").exists() and not (state / "device.crt.new").exists()
    assert kid_of(state / "device.crt") != old_kid
    assert vigie("report", "--config", conf).returncode == 0
    device_id = device_of(state)
    rows = server.reports(device_id)
    assert [r[0] for r in rows] == [1, 2] and rows[1][2] == rows[0][1]  # the chain goes on
    assert json.loads(unb64url(rows[1][3].split(".")[0]))["kid"] == kid_of(state / "device.crt")


def test_interrupted_rotation_finishes_on_next_load(vigie, tmp_path, server, tpm):
    """A crash between the two renames: new key in place, new certificate still beside it."""
    state = tmp_path / "state"
    conf = tpm_config(tmp_path, state, server, tpm.tcti)
    assert vigie("enroll", "--config", conf, "--token", server.token(), "--ca", server.ca).returncode == 0
    old_crt = (state / "device.crt").read_bytes()
    assert vigie("enroll", "--config", conf, "--rotate-key").returncode == 0
    # replay the crash: the new key in place, the old certificate still device.crt
    new_crt = (state / "device.crt").read_bytes()
    (state / "device.crt.new").write_bytes(new_crt)
    (state / "device.crt").write_bytes(old_crt)
    r = vigie("report", "--config", conf)
    assert r.returncode == 0, r
    assert (state / "device.crt").read_bytes() == new_crt and not (state / "device.crt.new").exists()


def test_no_tpm_falls_back_to_a_file_key(vigie, tmp_path, server):
    state = tmp_path / "state"
    conf = tpm_config(tmp_path, state, server, f"device:{tmp_path}/no-such-tpmrm0", "auto")
    r = vigie("enroll", "--config", conf, "--token", server.token(), "--ca", server.ca)
    assert r.returncode == 0, r
    assert (state / "device.key").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert vigie("report", "--config", conf).returncode == 0
    assert recorded_key(server, device_of(state)) == "file"
    # tpm forces it: no TPM, no key, a clear message
    state2 = tmp_path / "state2"
    (tmp_path / "t2").mkdir()
    conf2 = tpm_config(tmp_path / "t2", state2, server, f"device:{tmp_path}/no-such-tpmrm0", "tpm")
    r = vigie("enroll", "--config", conf2, "--token", server.token(), "--ca", server.ca)
    assert r.returncode != 0 and "KeyStorage=tpm, but the TPM cannot hold the device key" in r.stderr, r
    assert not (state2 / "device.key").exists()


@pytest.fixture
def vendor(tmp_path):
    return VendorCA(tmp_path / "vendor")


@pytest.fixture
def certified_tpm(tmp_path, vendor):
    """A TPM whose maker certified its EK (NV 0x01c00002), as laptops' TPMs are."""
    t = Swtpm(tmp_path / "tpm", vendor)
    yield t
    t.stop()


def enroll_with(tpm, tmp_path, server, name="state"):
    from conftest import run
    state = tmp_path / name
    (tmp_path / f"{name}-conf").mkdir()
    conf = tpm_config(tmp_path / f"{name}-conf", state, server, tpm.tcti)
    r = run("vigie", "enroll", "--config", conf, "--token", server.token(), "--ca", server.ca, env=tpm.env)
    assert r.returncode == 0, r
    return state, conf, r


def test_attested_key_is_recorded_tpm(tmp_path, server, vendor, certified_tpm):
    from conftest import run
    trust_vendor(server, vendor.bundle(tmp_path / "tpm-roots.pem"))
    state, conf, r = enroll_with(certified_tpm, tmp_path, server)
    assert "could not prove" not in r.stderr and "could not verify" not in r.stderr, r
    device_id = device_of(state)
    assert recorded_key(server, device_id) == "tpm"
    assert identity_detail(server, device_id) == "tpm"
    r = run("vigie", "report", "--config", conf, env=certified_tpm.env)
    assert r.returncode == 0, r
    # Re-enrolling the same key with its certificate proves it again.
    r = run("vigie", "enroll", "--config", conf, "--force", env=certified_tpm.env)
    assert r.returncode == 0 and recorded_key(server, device_id) == "tpm", r
    # A new key made in the TPM is attested as it is certified.
    r = run("vigie", "enroll", "--config", conf, "--rotate-key", env=certified_tpm.env)
    assert r.returncode == 0 and "could not prove" not in r.stderr, r
    assert recorded_key(server, device_id) == "tpm" and identity_detail(server, device_id) == "tpm"
    assert run("vigie", "report", "--config", conf, env=certified_tpm.env).returncode == 0


def test_ek_certificate_of_a_vendor_not_trusted_is_unverified(tmp_path, server, certified_tpm):
    other = tmp_path / "other-ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", tmp_path / "other-ca.key", "-out", other, "-subj", "/CN=Another TPM vendor",
                    "-days", "2"], check=True, capture_output=True)
    trust_vendor(server, other)
    state, conf, r = enroll_with(certified_tpm, tmp_path, server)
    device_id = device_of(state)
    assert recorded_key(server, device_id) == "tpm_unverified"
    assert identity_detail(server, device_id).startswith(
        "tpm_unverified: the endorsement key certificate does not chain to a configured TPM vendor CA: ")


def test_no_vendor_configured_is_unverified(tmp_path, server, vendor, certified_tpm):
    state, conf, r = enroll_with(certified_tpm, tmp_path, server)
    assert identity_detail(server, device_of(state)) == (
        "tpm_unverified: no TPM vendor CA is configured ([Enroll] TPMRootCAs=)")
    assert 'The server could not verify that the TPM holds the device key: it records it as "tpm_unverified"' \
        in r.stderr, r
    # The runbook (docs/agent.md): IT adds the maker's CAs, the laptop enrolls again, same key.
    from conftest import run
    trust_vendor(server, vendor.bundle(tmp_path / "tpm-roots.pem"))
    key = (state / "device.key").read_bytes()
    r = run("vigie", "enroll", "--config", conf, "--force", env=certified_tpm.env)
    assert r.returncode == 0 and (state / "device.key").read_bytes() == key, r
    assert recorded_key(server, device_of(state)) == "tpm"


# ---- attestations a device makes up: built with tpm2-tools, sent by hand ----

class Tools:
    """tpm2-tools and openssl's tpm2 provider on one TPM, files in d."""

    def __init__(self, tpm, d: Path):
        self.tpm, self.d = tpm, d
        d.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, **tpm.env, "TPM2TOOLS_TCTI": tpm.tcti, "TPM2OPENSSL_TCTI": tpm.tcti}
        self.answers = []

    def run(self, *args):
        r = subprocess.run([str(a) for a in args], capture_output=True, cwd=self.d, env=self.env)
        assert r.returncode == 0, (args, r.stderr.decode())
        return r

    def ek(self):
        """(TPM2B_PUBLIC, DER certificate) of the RSA EK, its context in ek.ctx."""
        self.run("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub")
        self.run("tpm2_nvread", "0x01c00002", "-o", "ek.der")
        return (self.d / "ek.pub").read_bytes(), (self.d / "ek.der").read_bytes()

    def certify(self):
        """A signing key made in this TPM (key.pub), an AK under the EK of ek.ctx (ak.ctx), and
        TPM2_Certify of the key by the AK."""
        self.run("tpm2_createprimary", "-C", "o", "-c", "primary.ctx")
        self.run("tpm2_create", "-C", "primary.ctx", "-G", "ecc256:ecdsa-sha256", "-u", "key.pub", "-r", "key.priv")
        self.run("tpm2_load", "-C", "primary.ctx", "-u", "key.pub", "-r", "key.priv", "-c", "key.ctx")
        self.run("tpm2_createak", "-C", "ek.ctx", "-c", "ak.ctx", "-G", "ecc", "-g", "sha256", "-s", "ecdsa",
                 "-u", "ak.pub")
        self.run("tpm2_certify", "-c", "key.ctx", "-C", "ak.ctx", "-g", "sha256", "-o", "attest.out",
                 "-s", "sig.out")
        return {k: b64url((self.d / f).read_bytes()) for k, f in
                (("ak_public", "ak.pub"), ("key_public", "key.pub"), ("attest", "attest.out"),
                 ("signature", "sig.out"))}

    def answer(self, challenge):
        """The TPM's answer to a challenge of the server (None when it cannot), kept in answers."""
        self.answers.append(self.activate(challenge["credential_blob"], challenge["secret"]))
        return self.answers[-1]

    def activate(self, blob, secret):
        """TPM2_ActivateCredential of the server's challenge with ak.ctx and ek.ctx."""
        import struct
        (self.d / "cred.in").write_bytes(struct.pack(">II", 0xBADCC0DE, 1) + unb64url(blob) + unb64url(secret))
        self.run("tpm2_startauthsession", "--policy-session", "-S", "session.ctx")
        self.run("tpm2_policysecret", "-S", "session.ctx", "-c", "e")
        r = subprocess.run(["tpm2_activatecredential", "-c", "ak.ctx", "-C", "ek.ctx", "-i", "cred.in",
                            "-o", "cred.out", "-P", "session:session.ctx"], capture_output=True, cwd=self.d,
                           env=self.env)
        subprocess.run(["tpm2_flushcontext", "session.ctx"], capture_output=True, cwd=self.d, env=self.env)
        return (self.d / "cred.out").read_bytes() if r.returncode == 0 else None


def post(server, path, body):
    from server_util import https

    class Srv:
        port = int(server.url.rsplit(":", 1)[1])
        ca = server.ca
    return https(Srv, "POST", path, body)


def enroll_attested(server, csr, evidence, credential_of):
    """Challenge, answer, enrollment: the key kind the server recorded for the CSR's device."""
    st, ch, _ = post(server, "/v1/enroll/challenge", dict(evidence, csr=csr))
    assert st == 200, ch
    credential = credential_of(ch)
    st, body, _ = post(server, "/v1/enroll", {
        "token": server.token(), "csr": csr, "key": "tpm",
        "attestation": {"challenge": ch["challenge"], "credential": b64url(credential)}})
    assert st == 201, body
    return body["key"], body["device_id"]


def file_key_csr(tmp_path, device_id):
    key = tmp_path / f"{device_id}.key"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key],
                   check=True)
    return subprocess.run(["openssl", "req", "-new", "-key", key, "-subj", f"/CN={device_id}"], check=True,
                          capture_output=True, text=True).stdout


def test_attestation_of_another_key_than_the_csrs_is_not_trusted(tmp_path, server, vendor, certified_tpm):
    """A trusted TPM, answering for itself, that certified a key of its own: the CSR is of a key
    file (copyable), so nothing says the device key is in the TPM."""
    trust_vendor(server, vendor.bundle(tmp_path / "tpm-roots.pem"))
    tools = Tools(certified_tpm, tmp_path / "tools")
    ek_pub, ek_der = tools.ek()
    evidence = dict(tools.certify(), ek_public=b64url(ek_pub), ek_certificate=b64url(ek_der))
    key, dev = enroll_attested(server, file_key_csr(tmp_path, "0a1c2d3e-4a5b-4c6d-8e7f-0123456789ab"), evidence, tools.answer)
    assert tools.answers[0] is not None, "the TPM answers the challenge: the server's credential is right"
    assert key == "tpm_unverified"
    assert identity_detail(server, dev) == (
        "tpm_unverified: the key the TPM certified is not the key of the certificate request")


def test_replayed_endorsement_key_cannot_answer(tmp_path, server, vendor, certified_tpm):
    """A device presents a trusted TPM's EK and certificate (public data) with an AK of its own
    TPM: only the trusted TPM could unwrap the credential."""
    trust_vendor(server, vendor.bundle(tmp_path / "tpm-roots.pem"))
    ek_pub, ek_der = Tools(certified_tpm, tmp_path / "honest").ek()
    rogue_tpm = Swtpm(tmp_path / "rogue-tpm")
    try:
        rogue = Tools(rogue_tpm, tmp_path / "rogue")
        rogue.run("tpm2_createek", "-c", "ek.ctx", "-G", "rsa", "-u", "ek.pub")  # its own, untrusted
        evidence = dict(rogue.certify(), ek_public=b64url(ek_pub), ek_certificate=b64url(ek_der))
        key, dev = enroll_attested(server, file_key_csr(tmp_path, "1b1c2d3e-4a5b-4c6d-8e7f-0123456789ab"),
                                   evidence, lambda ch: rogue.answer(ch) or os.urandom(32))
    finally:
        rogue_tpm.stop()
    assert rogue.answers == [None], "the rogue TPM cannot unwrap a credential sealed to another TPM's EK"
    assert key == "tpm_unverified"
    assert identity_detail(server, dev) == ("tpm_unverified: the TPM did not recover the credential: the "
                                            "attestation key is not in the TPM of that endorsement key")
    # An unknown (or already used) challenge proves nothing either.
    st, body, _ = post(server, "/v1/enroll", {
        "token": server.token(), "csr": file_key_csr(tmp_path, "2c1c2d3e-4a5b-4c6d-8e7f-0123456789ab"),
        "key": "tpm", "attestation": {"challenge": "00" * 16, "credential": b64url(b"x")}})
    assert st == 201 and body["key"] == "tpm_unverified", body


def test_credential_for_an_ecc_endorsement_key(tmp_path, server, tpm):
    """MakeCredential's ECC path (ECDH, KDFe): the TPM recovers the secret."""
    tools = Tools(tpm, tmp_path / "tools")
    tools.run("tpm2_createek", "-c", "ek.ctx", "-G", "ecc", "-u", "ek.pub")
    evidence = dict(tools.certify(), ek_public=b64url((tools.d / "ek.pub").read_bytes()))
    key, dev = enroll_attested(server, file_key_csr(tmp_path, "3d1c2d3e-4a5b-4c6d-8e7f-0123456789ab"), evidence, tools.answer)
    assert tools.answers[0] is not None and len(tools.answers[0]) == 32
    # the CSR is a key file's: answered, but not proven
    assert key == "tpm_unverified"
    assert identity_detail(server, dev) == (
        "tpm_unverified: the key the TPM certified is not the key of the certificate request")
