# SPDX-License-Identifier: MIT
"""Signed reports, agent side: JWS cross-checked with the openssl command line, `vigie
verify`, the transport against a real openssl s_server, and the spool under kill -9."""
import hashlib
import json
import os
import random
import signal
import subprocess
import time

import pytest

from conftest import binary
from reports_util import (Ca, SServer, agent_config, b64url, kid_of, openssl_sign_jws, openssl_verify_jws,
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
        assert f"CN = {device_id}" in out and "verify return:1" in out
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
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
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
