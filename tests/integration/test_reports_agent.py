# SPDX-License-Identifier: MIT
"""Signed reports, agent side: JWS cross-checked with the openssl command line, `vigie
verify`, the transport against a real openssl s_server, and the spool under kill -9."""
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import time

import pytest

from conftest import binary
from reports_util import (Ca, SServer, VigieServer, agent_config, b64url, kid_of, openssl_sign_jws, openssl_verify_jws,
                          sample_claims, simulate_enrollment, spool_files, unb64url)


@pytest.fixture
def enrolled(tmp_path):
    ca = Ca(tmp_path / "ca")
    state = tmp_path / "state"
    device_id = simulate_enrollment(ca, state)
    return ca, state, device_id


def claims_of(jws: str) -> dict:
    return json.loads(unb64url(jws.split(".")[1]))


def test_vigie_signs_openssl_verifies(vigie, tmp_path, enrolled):
    ca, state, device_id = enrolled
    conf = agent_config(tmp_path, state)
    for seq in (1, 2):
        r = vigie("report", "--offline", "--config", conf)
        assert r.returncode == 0, r
        assert f"Report {seq} signed; queued, {seq} waiting." in r.stdout
    first, second = (f.read_text() for f in spool_files(state))
    # The exact header of DESIGN.md, kid = sha256 of the certificate's DER.
    header = json.loads(unb64url(first.split(".")[0]))
    assert header == {"alg": "ES256", "typ": "vigie-report+jwt", "kid": kid_of(state / "device.crt")}
    assert openssl_verify_jws(first, state / "device.crt", tmp_path / "v1")
    assert openssl_verify_jws(second, state / "device.crt", tmp_path / "v2")
    c1, c2 = claims_of(first), claims_of(second)
    assert c1["sub"] == device_id and c1["seq"] == 1 and c1["prev"] is None
    assert c2["seq"] == 2
    assert c2["prev"] == hashlib.sha256(first.encode()).hexdigest()
    # And a flipped byte fails openssl too.
    tampered = first[:40] + ("A" if first[40] != "A" else "B") + first[41:]
    assert not openssl_verify_jws(tampered, state / "device.crt", tmp_path / "v3")


def test_openssl_signs_vigie_verifies(vigie, tmp_path, enrolled):
    ca, state, device_id = enrolled
    cert, key = state / "device.crt", state / "device.key"
    jws = openssl_sign_jws(sample_claims(device_id), key, kid_of(cert), tmp_path / "sign")
    report = tmp_path / "report.jws"
    report.write_text(jws + "\n")
    r = vigie("verify", report, "--cert", cert, "--ca", ca.cert)
    assert r.returncode == 0, r
    assert json.loads(r.stdout)["sub"] == device_id
    assert f"Verified: device {device_id}, seq 1" in r.stderr
    r = vigie("verify", "-", "--cert", cert, input=jws)
    assert r.returncode == 0, r

    # Payload changed after signing.
    h, p, s = jws.split(".")
    evil = sample_claims(device_id)
    evil["compliant"] = True
    evil["checks"][0]["summary"] = "forged"
    report.write_text(f"{h}.{b64url(json.dumps(evil).encode())}.{s}")
    r = vigie("verify", report, "--cert", cert)
    assert r.returncode == 1 and "signature does not match" in r.stderr

    # Another device's certificate (other key, other kid).
    other = tmp_path / "other"
    simulate_enrollment(ca, other)
    report.write_text(jws)
    r = vigie("verify", report, "--cert", other / "device.crt")
    assert r.returncode == 1 and "does not match the certificate" in r.stderr

    # A certificate from another CA.
    r = vigie("verify", report, "--cert", cert, "--ca", Ca(tmp_path / "ca2", "Other CA").cert)
    assert r.returncode == 1 and "does not chain to the CA" in r.stderr

    # Claims for another device, signed by this one.
    wrong_sub = openssl_sign_jws(sample_claims("00000000-0000-4000-8000-000000000000"), key, kid_of(cert),
                                 tmp_path / "sign2")
    r = vigie("verify", "-", "--cert", cert, input=wrong_sub)
    assert r.returncode == 1 and "is not the certificate's device" in r.stderr

    # Another typ, and the chain check.
    r = vigie("verify", "-", "--cert", cert,
              input=openssl_sign_jws(sample_claims(device_id), key, kid_of(cert), tmp_path / "s3", typ="JWT"))
    assert r.returncode == 1 and 'typ "JWT"' in r.stderr
    r = vigie("verify", report, "--cert", cert, "--prev", "ab" * 32)
    assert r.returncode == 1 and "missing or altered in the chain" in r.stderr
    r = vigie("verify", tmp_path / "nope.jws", "--cert", cert)
    assert r.returncode == 2


def test_report_needs_enrollment(vigie, tmp_path):
    conf = agent_config(tmp_path, tmp_path / "state")
    r = vigie("report", "--offline", "--config", conf)
    assert r.returncode == 2 and 'run "vigie enroll"' in r.stderr


def test_transport_mtls_against_openssl_s_server(vigie, tmp_path, enrolled):
    """The real OpenSSL server sees our client certificate; the policy it serves is cached."""
    ca, state, device_id = enrolled
    ca.issue("127.0.0.1", tmp_path / "srv.key", tmp_path / "srv.pem", server=True)
    www = tmp_path / "www"
    (www / "v1").mkdir(parents=True)
    (www / "v1" / "policy").write_text(json.dumps({"policy_id": "from-s_server", "version": 3}))
    srv = SServer(tmp_path, tmp_path / "srv.pem", tmp_path / "srv.key", ca.cert, www=www)
    try:
        conf = agent_config(tmp_path, state, server=srv.url)
        r = vigie("report", "--config", conf)
        # s_server -WWW cannot answer a POST: the report stays queued, exit 0.
        assert r.returncode == 0, r
        assert "queued, 1 waiting" in r.stdout
        out = srv.output()
        # OpenSSL 3.0 prints "CN = …", 3.5 (Debian 13) "CN=…"
        assert re.search(rf"CN ?= ?{device_id}", out) and "verify return:1" in out, out
        assert json.loads((state / "policy.json").read_text())["policy_id"] == "from-s_server"
        claims = claims_of(spool_files(state)[0].read_text())
        assert claims["policy"] == {"id": "from-s_server", "version": 3}
    finally:
        srv.stop()


@pytest.mark.parametrize("case", ["other-ca", "tls1.1"])
def test_transport_refuses_untrusted_or_old_server(vigie, tmp_path, enrolled, case):
    ca, state, device_id = enrolled
    if case == "other-ca":
        other = Ca(tmp_path / "other-ca", "Impostor")
        other.issue("127.0.0.1", tmp_path / "srv.key", tmp_path / "srv.pem", server=True)
        extra = ()
    else:
        ca.issue("127.0.0.1", tmp_path / "srv.key", tmp_path / "srv.pem", server=True)
        extra = ("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    www = tmp_path / "www"
    (www / "v1").mkdir(parents=True)
    (www / "v1" / "policy").write_text(json.dumps({"policy_id": "evil", "version": 9}))
    srv = SServer(tmp_path, tmp_path / "srv.pem", tmp_path / "srv.key", ca.cert, *extra, www=www)
    try:
        conf = agent_config(tmp_path, state, server=srv.url)
        r = vigie("report", "--config", conf)
        assert r.returncode == 0, r
        assert "queued, 1 waiting" in r.stdout
        assert not (state / "policy.json").exists()
        assert f"CN = {device_id}" not in srv.output()  # our certificate was never shown
    finally:
        srv.stop()


def test_spool_bound_drops_oldest_and_says_so(vigie, tmp_path, enrolled):
    ca, state, _ = enrolled
    conf = agent_config(tmp_path, state, extra="[Spool]\nMaxReports=3\n")
    for _ in range(5):
        assert vigie("report", "--offline", "--config", conf).returncode == 0
    files = spool_files(state)
    assert [int(f.stem) for f in files] == [3, 4, 5]
    # Report 4 pushed out report 1 and report 5 says so; report 5 pushed out report 2,
    # which the next report will carry.
    assert "dropped" not in claims_of(files[0].read_text())
    assert claims_of(files[-1].read_text())["dropped"] == 1
    assert json.loads((state / "spool" / "chain.json").read_text())["dropped"] == 1


def clean_env():
    """What conftest.run passes, for the tests that need Popen to kill the process."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    env.update({k: v for k, v in os.environ.items() if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")})
    return env


def spool_invariants(state, history):
    """Every spooled report parses, seqs are unique and chained, a seq's bytes never change,
    and the chain state is ahead of every spooled seq."""
    files = spool_files(state)
    prev_hash = None
    for f in files:
        jws = f.read_text()
        c = claims_of(jws)
        seq = int(f.stem)
        assert c["seq"] == seq
        assert history.setdefault(seq, jws) == jws, f"seq {seq} reused"
        if prev_hash is not None:
            assert c["prev"] == prev_hash
        prev_hash = hashlib.sha256(jws.encode()).hexdigest()
    return [int(f.stem) for f in files]


def test_kill9_never_corrupts_spool(tmp_path, enrolled):
    ca, state, _ = enrolled
    conf = agent_config(tmp_path, state)
    env = clean_env()
    rng = random.Random(1234)
    history = {}
    # Calibrate: how long one run takes, so the kills land all over it.
    t0 = time.monotonic()
    subprocess.run([binary("vigie"), "report", "--offline", "--config", str(conf)], env=env, check=True,
                   capture_output=True)
    span = time.monotonic() - t0
    killed = 0
    for _ in range(50):
        p = subprocess.Popen([binary("vigie"), "report", "--offline", "--config", str(conf)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, span * 1.2))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            killed += 1
        p.wait()
        spool_invariants(state, history)
    # A last clean run continues the chain right after the highest seq ever written.
    r = subprocess.run([binary("vigie"), "report", "--offline", "--config", str(conf)], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    seqs = spool_invariants(state, history)
    assert seqs == list(range(1, len(seqs) + 1))  # offline: nothing removed, no gap, no reuse
    assert seqs[-1] == max(history)
    assert not list((state / "spool").glob("*.tmp.*"))
    assert killed > 0


# --- With the real vigie-server --------------------------------------------------------

@pytest.fixture
def server(tmp_path):
    from conftest import run
    srv = VigieServer(tmp_path, run, binary)
    srv.start()
    yield srv
    srv.stop()


def enroll(vigie, tmp_path, server, state=None, seed=None, *extra):
    state = state or tmp_path / "state"
    conf = agent_config(tmp_path, state, server=server.url)
    env = {"VIGIE_DEVICE_ID_SEED": seed} if seed else None
    r = vigie("enroll", "--config", conf, "--token", server.token(), "--ca", server.ca, *extra, env=env)
    return r, conf, state


def device_of(state):
    from reports_util import openssl
    subject = openssl("x509", "-in", state / "device.crt", "-noout", "-subject", "-nameopt", "RFC2253").stdout
    return subject.decode().strip().split("CN=")[1].split(",")[0]


def test_whole_path_init_token_enroll_report_verify(vigie, tmp_path, server):
    r, conf, state = enroll(vigie, tmp_path, server)
    assert r.returncode == 0, r
    device_id = device_of(state)
    assert f"Enrolled as {device_id}." in r.stdout
    assert (state / "device.key").stat().st_mode & 0o777 == 0o600

    # Enrolled already: says so, changes nothing.
    before = (state / "device.crt").read_bytes()
    r = vigie("enroll", "--config", conf, "--token", server.token(), "--ca", server.ca)
    assert r.returncode == 0 and "already enrolled" in r.stdout
    assert (state / "device.crt").read_bytes() == before

    r = vigie("report", "--config", conf)
    assert r.returncode == 0, r
    assert "Report 1 signed and sent" in r.stdout
    assert spool_files(state) == []
    assert (state / "policy.json").exists() and (state / "policy.etag").exists()
    # The cached policy is revalidated with its ETag: unchanged, the file is not rewritten.
    inode = (state / "policy.json").stat().st_ino
    r = vigie("report", "--config", conf)
    assert r.returncode == 0 and "Report 2 signed and sent" in r.stdout
    assert (state / "policy.json").stat().st_ino == inode

    rows = server.reports(device_id)
    assert [row[0] for row in rows] == [1, 2]
    assert rows[1][2] == rows[0][1]  # prev of 2 = hash of 1

    # A new policy on the server reaches the next report.
    from conftest import run
    pol = tmp_path / "policy.json"
    pol.write_text(json.dumps({"policy_id": "acme", "version": 7,
                               "checks": {"backup": {"required": False}}}))
    assert run("vigie-server", "policy", "set", "--dir", server.dir, pol).returncode == 0
    assert vigie("report", "--config", conf).returncode == 0
    assert json.loads((state / "policy.json").read_text())["policy_id"] == "acme"
    assert claims_of(server.reports(device_id)[-1][3])["policy"] == {"id": "acme", "version": 7}
    for seq, _, _, jws in rows:
        stored = tmp_path / f"stored-{seq}.jws"
        stored.write_text(jws)
        v = vigie("verify", stored, "--cert", state / "device.crt", "--ca", server.ca)
        assert v.returncode == 0, v
        assert json.loads(v.stdout)["seq"] == seq
        assert openssl_verify_jws(jws, state / "device.crt", tmp_path / f"ossl-{seq}")


def test_enroll_refusals_store_nothing(vigie, tmp_path, server):
    state = tmp_path / "state"
    conf = agent_config(tmp_path, state, server=server.url)
    r = vigie("enroll", "--config", conf, "--token", "vgt_not-a-real-token", "--ca", server.ca)
    assert r.returncode != 0 and "refused the enrollment" in r.stderr and "HTTP 40" in r.stderr
    assert not (state / "device.crt").exists()
    other = Ca(tmp_path / "impostor", "Impostor")
    r = vigie("enroll", "--config", conf, "--token", server.token(), "--ca", other.cert)
    assert r.returncode != 0 and "cannot reach" in r.stderr
    assert not (state / "device.crt").exists()
    token_file = tmp_path / "token"
    token_file.write_text(server.token() + "\n")
    r = vigie("enroll", "--config", conf, "--token-file", token_file, "--ca", server.ca)
    assert r.returncode == 0, r


def test_device_id_seed_simulates_several_laptops(vigie, tmp_path, server):
    ids = []
    for seed, sub in (("laptop-a", "a1"), ("laptop-b", "b1"), ("laptop-a", "a2")):
        (tmp_path / sub).mkdir()
        r, conf, state = enroll(vigie, tmp_path / sub, server, state=tmp_path / sub / "state", seed=seed)
        assert r.returncode == 0, r
        ids.append(device_of(state))
    assert ids[0] != ids[1] and ids[0] == ids[2]
    import uuid
    assert all(str(uuid.UUID(i)) == i for i in ids)


def test_offline_queue_then_all_arrive_once_in_order(vigie, tmp_path, server):
    r, conf, state = enroll(vigie, tmp_path, server)
    assert r.returncode == 0, r
    device_id = device_of(state)
    assert vigie("report", "--config", conf).returncode == 0
    server.stop()
    for n in range(1, 21):
        r = vigie("report", "--config", conf)
        assert r.returncode == 0, r
        assert f"queued, {n} waiting" in r.stdout
    assert len(spool_files(state)) == 20
    server.start()
    r = vigie("report", "--config", conf)
    assert r.returncode == 0 and "Report 22 signed and sent (21 sent)." in r.stdout, r
    rows = server.reports(device_id)
    assert [row[0] for row in rows] == list(range(1, 23))
    for a, b in zip(rows, rows[1:]):
        assert b[2] == a[1]
    assert server.device_flag(device_id) == (None,)
    assert spool_files(state) == []


def test_kill9_with_server_nothing_lost_no_seq_reused(tmp_path, server, vigie):
    r, conf, state = enroll(vigie, tmp_path, server)
    assert r.returncode == 0, r
    device_id = device_of(state)
    env = clean_env()
    cmd = [binary("vigie"), "report", "--config", str(conf)]
    t0 = time.monotonic()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    span = time.monotonic() - t0
    rng = random.Random(99)
    history = {}
    killed = 0
    for _ in range(50):
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, span * 1.2))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            killed += 1
        p.wait()
        for f in spool_files(state):
            jws = f.read_text()
            assert claims_of(jws)["seq"] == int(f.stem)
            assert history.setdefault(int(f.stem), jws) == jws, "seq reused"
    assert server.proc.poll() is None, "vigie-server died while clients were killed"
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert r.returncode == 0 and "signed and sent" in r.stdout, r.stdout + r.stderr
    rows = server.reports(device_id)
    seqs = [row[0] for row in rows]
    # Every report ever made reached the server once; the spool is empty; no conflict.
    assert seqs == list(range(1, seqs[-1] + 1))
    for seq, _, _, jws in rows:
        assert history.get(seq, jws) == jws
    for a, b in zip(rows, rows[1:]):
        assert b[2] == a[1]
    assert spool_files(state) == []
    assert server.device_flag(device_id) == (None,)
    assert killed > 0


def test_revoked_device_keeps_reports_queued(vigie, tmp_path, server):
    from conftest import run
    r, conf, state = enroll(vigie, tmp_path, server)
    assert r.returncode == 0, r
    device_id = device_of(state)
    assert run("vigie-server", "revoke", "--dir", server.dir, device_id).returncode == 0
    r = vigie("report", "--config", conf)
    assert r.returncode == 3 and "queued, 1 waiting" in r.stderr, r
    assert len(spool_files(state)) == 1
    assert server.reports(device_id) == []


def test_reenrolled_device_sets_old_reports_aside(vigie, tmp_path, server):
    r, conf, state = enroll(vigie, tmp_path, server)
    assert r.returncode == 0, r
    device_id = device_of(state)
    assert vigie("report", "--config", conf).returncode == 0
    server.stop()
    assert "queued, 1 waiting" in vigie("report", "--config", conf).stdout
    server.start()
    r = vigie("enroll", "--config", conf, "--token", server.token(), "--force")
    assert r.returncode == 0, r
    r = vigie("report", "--config", conf)
    assert r.returncode == 0, r
    assert "refused" in r.stderr and "previous certificate" in r.stderr
    assert [int(f.stem) for f in (state / "spool" / "rejected").glob("*.jws")] == [2]
    rows = server.reports(device_id)
    assert [row[0] for row in rows] == [1, 3]  # the server records the gap


def test_docs_auditor_example_verifies_a_stored_report(vigie, tmp_path, server):
    """The openssl-only commands of docs/reports.md, run as written on a stored report."""
    from conftest import SRC
    doc = (SRC / "docs" / "reports.md").read_text()
    script = doc.split("### Verify with openssl alone", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    r, conf, state = enroll(vigie, tmp_path, server)
    assert r.returncode == 0, r
    assert vigie("report", "--config", conf).returncode == 0
    seq, stored_hash, _, jws = server.reports(device_of(state))[0]
    audit = tmp_path / "audit"
    audit.mkdir()
    (audit / "report.jws").write_text(jws)
    (audit / "device.crt").write_bytes((state / "device.crt").read_bytes())
    out = subprocess.run(["sh", "-c", script], cwd=audit, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert json.loads(lines[0])["kid"] == lines[1] == kid_of(state / "device.crt")
    assert "Verified OK" in lines[2]
    assert json.loads(lines[3])["seq"] == seq
    assert lines[4] == stored_hash
    # And a tampered report fails the same commands.
    h, p, s = jws.split(".")
    forged = claims_of(jws)
    forged["compliant"] = not forged["compliant"]
    (audit / "report.jws").write_text(f"{h}.{b64url(json.dumps(forged).encode())}.{s}")
    out = subprocess.run(["sh", "-c", script], cwd=audit, capture_output=True, text=True)
    assert "Verified OK" not in out.stdout and "Verification failure" in out.stdout + out.stderr


def test_key_uri_elsewhere_and_wrong_key_type(vigie, tmp_path, server):
    """KeyURI= points OSSL_STORE at another key; a key that is not P-256 is refused."""
    from reports_util import openssl
    key = tmp_path / "keys" / "laptop.key"
    key.parent.mkdir()
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
    state = tmp_path / "state"
    conf = agent_config(tmp_path, state, server=server.url, extra=f"[Agent]\nKeyURI=file:{key}\n")
    r = vigie("enroll", "--config", conf, "--token", server.token(), "--ca", server.ca)
    assert r.returncode == 0, r
    assert not (state / "device.key").exists()
    r = vigie("report", "--config", conf)
    assert r.returncode == 0 and "signed and sent" in r.stdout, r
    assert claims_of(server.reports(device_of(state))[0][3])["agent"]["key"] == "file"

    rsa = tmp_path / "keys" / "rsa.key"
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", rsa)
    conf2 = agent_config(tmp_path / "keys", tmp_path / "state2", server=server.url,
                         extra=f"[Agent]\nKeyURI=file:{rsa}\n")
    r = vigie("enroll", "--config", conf2, "--token", server.token(), "--ca", server.ca)
    assert r.returncode == 2 and "not an ECDSA P-256 key" in r.stderr
    assert not (tmp_path / "state2" / "device.crt").exists()


def test_verify_checks_the_certificate_when_the_report_was_signed(vigie, tmp_path):
    """A certificate that expired since: its old reports verify, a report dated after not."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    t0 = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    ca = (x509.CertificateBuilder().subject_name(name("Old CA")).issuer_name(name("Old CA"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(t0)
          .not_valid_after(t0 + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    device_id = "6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
    cert = (x509.CertificateBuilder().subject_name(name(device_id)).issuer_name(name("Old CA"))
            .public_key(key.public_key()).serial_number(2).not_valid_before(t0)
            .not_valid_after(t0 + datetime.timedelta(days=90)).sign(ca_key, hashes.SHA256()))
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "device.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "device.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    kid = kid_of(tmp_path / "device.crt")
    claims = sample_claims(device_id)
    claims["iat"] = int((t0 + datetime.timedelta(days=30)).timestamp())
    old = openssl_sign_jws(claims, tmp_path / "device.key", kid, tmp_path / "s1")
    r = vigie("verify", "-", "--cert", tmp_path / "device.crt", "--ca", tmp_path / "ca.pem", input=old)
    assert r.returncode == 0, r
    claims["iat"] = int((t0 + datetime.timedelta(days=200)).timestamp())
    late = openssl_sign_jws(claims, tmp_path / "device.key", kid, tmp_path / "s2")
    r = vigie("verify", "-", "--cert", tmp_path / "device.crt", "--ca", tmp_path / "ca.pem", input=late)
    assert r.returncode == 1 and "certificate has expired" in r.stderr, r
