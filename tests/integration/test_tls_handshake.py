# SPDX-License-Identifier: MIT
"""What a handshake with the collector carries, and no more (docs/server.md, "TLS";
docs/performance.md, issue #17).

TLS sessions stay in the server (stateful TLS 1.3 tickets that only name one): a client
that comes back within TLSSessionLifetime= resumes, skipping its certificate's decode and
check and both signatures; a resumed session's certificate is held to its dates again, a
TLS 1.3 ticket resumes once, the cache keeps one session per certificate and at most
TLSSessions= in all (the oldest goes first). TLSSessions=0 turns it off. Our clients send their
own certificate only, not the Vigie CA the server has: each certificate sent is one more
the server decodes."""
import datetime
import json
import re
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from server_util import Device, VigieServer, binary


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = VigieServer(tmp_path_factory.mktemp("tls-sessions"))
    s.start()
    yield s
    s.stop()


def context(srv, version, cert_key=None):
    cert, key = cert_key or srv.admin_cert(f"sessions-{version.name}")
    ctx = ssl.create_default_context(cafile=str(srv.ca))
    ctx.load_cert_chain(cert, key)
    ctx.minimum_version = ctx.maximum_version = version
    # As Vigie's transport: the server ends a Connection: close reply without a close_notify,
    # which OpenSSL 3.2 and later otherwise take for a truncation, spoiling the session.
    ctx.options |= ssl.OP_IGNORE_UNEXPECTED_EOF
    return ctx


def request_on(srv, ctx, method, path, body=b"", session=None):
    """One request on a new connection → (status line, body, the connection's session,
    whether it resumed the one offered)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1", session=session) as s:
            s.sendall(f"{method} {path} HTTP/1.1\r\nHost: vigie\r\nConnection: close\r\n"
                      f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            return head.split(b"\r\n", 1)[0].decode(), rest.decode(), s.session, s.session_reused


def get_summary(srv, ctx, session=None):
    return request_on(srv, ctx, "GET", "/v1/fleet/summary", session=session)


def test_tls13_session_resumes_once(srv):
    ctx = context(srv, ssl.TLSVersion.TLSv1_3)
    status, _, session, reused = get_summary(srv, ctx)
    assert status == "HTTP/1.1 200 OK" and not reused
    # The reply was read whole: the NewSessionTicket sent after the handshake came first.
    assert session.has_ticket
    status, _, second, reused = get_summary(srv, ctx, session=session)
    assert status == "HTTP/1.1 200 OK"
    assert reused
    # The ticket the resumption brought resumes in its turn: the server kept no decoded
    # certificate, and still knows whose session it is (a role's route, the summary).
    status, _, _, reused = get_summary(srv, ctx, session=second)
    assert status == "HTTP/1.1 200 OK" and reused
    # The first ticket was used: offered again it finds nothing, and the client gets a
    # full handshake (its certificate checked again) and is served.
    status, _, _, reused = get_summary(srv, ctx, session=session)
    assert status == "HTTP/1.1 200 OK"
    assert not reused


def test_tls12_session_resumes_and_the_client_is_served(srv):
    ctx = context(srv, ssl.TLSVersion.TLSv1_2)
    status, _, session, _ = get_summary(srv, ctx)
    assert status == "HTTP/1.1 200 OK"
    assert not session.has_ticket  # a session ID: the session stays in the server
    status, _, _, reused = get_summary(srv, ctx, session=session)
    assert status == "HTTP/1.1 200 OK" and reused


def short_lived_cert(srv, tmp_path, seconds):
    """A client certificate from the server's CA that expires in `seconds`."""
    ca_key = serialization.load_pem_private_key((srv.dir / "ca.key").read_bytes(), None)
    ca = x509.load_pem_x509_certificate(srv.ca.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "short-lived"),
                                     x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "admin")]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(seconds=seconds))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "short.pem", tmp_path / "short.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_resumed_session_of_an_expired_certificate_is_refused(srv, tmp_path):
    ctx = context(srv, ssl.TLSVersion.TLSv1_3, short_lived_cert(srv, tmp_path, 5))
    status, body, session, _ = get_summary(srv, ctx)
    # Valid and from our CA, but not in the server's records.
    assert status.startswith("HTTP/1.1 401") and "certificate_unknown" in body, (status, body)
    time.sleep(6)
    status, body, _, reused = get_summary(srv, ctx, session=session)
    assert reused
    assert status.startswith("HTTP/1.1 401") and "certificate_invalid" in body and "expired" in body, (status, body)


def test_the_oldest_session_goes_first_past_the_bound(tmp_path):
    s = VigieServer(tmp_path / "srv", conf="[Limits]\nTLSSessions=2\n")
    s.start()
    try:
        ctxs = [context(s, ssl.TLSVersion.TLSv1_3, s.admin_cert(f"bound-{i}")) for i in range(3)]
        sessions = [get_summary(s, ctx)[2] for ctx in ctxs]  # three clients, a full handshake each
        # The second and third are kept (each resumption puts its next session in its place)…
        for ctx, kept in reversed(list(zip(ctxs[1:], sessions[1:]))):
            assert get_summary(s, ctx, session=kept)[3]
        # …the first was dropped for the third.
        status, _, _, reused = get_summary(s, ctxs[0], session=sessions[0])
        assert status == "HTTP/1.1 200 OK" and not reused
    finally:
        s.stop()


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2], ids=["tls1.3", "tls1.2"])
def test_one_session_per_certificate(srv, version):
    """A client that does not resume, or connects many times at once, replaces its own
    session: whatever it does, it holds one place in the cache, not TLSSessions= of them."""
    ctx = context(srv, version)
    first, second = get_summary(srv, ctx)[2], get_summary(srv, ctx)[2]  # two full handshakes
    status, _, _, reused = get_summary(srv, ctx, session=first)
    assert status == "HTTP/1.1 200 OK" and not reused
    # That third full handshake's session has replaced the second's in its turn.
    status, _, _, reused = get_summary(srv, ctx, session=second)
    assert status == "HTTP/1.1 200 OK" and not reused
    third = get_summary(srv, ctx)[2]
    assert get_summary(srv, ctx, session=third)[3]


def test_no_session_kept_for_a_client_without_a_certificate(srv):
    """Strangers (enrollment needs no certificate) must not push the devices' sessions out."""
    ctx = ssl.create_default_context(cafile=str(srv.ca))
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.options |= ssl.OP_IGNORE_UNEXPECTED_EOF
    status, _, session, _ = get_summary(srv, ctx)
    assert status.startswith("HTTP/1.1 401")
    status, _, _, reused = get_summary(srv, ctx, session=session)
    assert status.startswith("HTTP/1.1 401") and not reused


def test_a_session_past_its_lifetime_is_not_resumed(tmp_path):
    s = VigieServer(tmp_path / "srv", conf="[Limits]\nTLSSessionLifetime=3s\n")
    s.start()
    try:
        # TLS 1.2: the client offers its session ID whatever the server's lifetime (a TLS
        # 1.3 client would not offer a ticket past its lifetime hint).
        ctx = context(s, ssl.TLSVersion.TLSv1_2)
        session = get_summary(s, ctx)[2]
        assert get_summary(s, ctx, session=session)[3]
        time.sleep(5)  # OpenSSL counts a session's age in whole seconds
        status, _, _, reused = get_summary(s, ctx, session=session)
        assert status == "HTTP/1.1 200 OK" and not reused
    finally:
        s.stop()


def test_renewal_needs_a_handshake_with_the_key(srv):
    """A resumed session proves no key (and could have been copied off the laptop): no
    certificate is issued on one. On the same session's full handshake, it is."""
    d = Device(srv)
    assert d.enroll(srv.token())[0] in (200, 201)
    ctx = context(srv, ssl.TLSVersion.TLSv1_3, (d.cert_path, d.key_path))
    body = json.dumps({"csr": d.csr()}).encode()
    _, _, session, _ = request_on(srv, ctx, "GET", "/v1/policy")
    status, reply, session, reused = request_on(srv, ctx, "POST", "/v1/renew", body, session=session)
    assert reused and status.startswith("HTTP/1.1 401") and "handshake_required" in reply, (status, reply)
    status, reply, _, reused = request_on(srv, ctx, "POST", "/v1/renew", body)
    assert not reused and status.startswith(("HTTP/1.1 200", "HTTP/1.1 201")), (status, reply)


def test_no_sessions_when_turned_off(tmp_path):
    s = VigieServer(tmp_path / "srv", conf="[Limits]\nTLSSessions=0\n")
    s.start()
    try:
        ctx = context(s, ssl.TLSVersion.TLSv1_3)
        status, _, session, _ = get_summary(s, ctx)
        assert status == "HTTP/1.1 200 OK"
        assert not session.has_ticket
        status, _, _, reused = get_summary(s, ctx, session=session)
        assert status == "HTTP/1.1 200 OK" and not reused
    finally:
        s.stop()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_clients_send_only_their_own_certificate(srv, tmp_path):
    """vigiectl (the same transport as the agent and vigie-gate) against openssl s_server
    -trace: the client's Certificate message holds one certificate."""
    cert, key = srv.admin_cert("chain")
    port = free_port()
    # OpenSSL 3.2 and later compress certificates (RFC 8879), which the trace cannot list:
    # the server asks for them plain where it can.
    usage = subprocess.run(["openssl", "s_server", "-help"], capture_output=True, text=True)
    plain = ["-no_rx_cert_comp"] if "-no_rx_cert_comp" in usage.stdout + usage.stderr else []
    server = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-naccept", "1",
                               "-cert", str(srv.dir / "server.pem"), "-key", str(srv.dir / "server.key"),
                               "-CAfile", str(srv.ca), "-Verify", "2", "-trace", "-www"] + plain,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        head = ""
        while "ACCEPT" not in head:  # listening (it takes one connection only: no probe)
            line = server.stdout.readline()
            assert line, head
            head += line
        subprocess.run([binary("vigiectl"), "summary", "--server", f"https://localhost:{port}", "--cert", cert,
                        "--key", key, "--ca", str(srv.ca)], capture_output=True, timeout=30)
        trace = head + server.communicate(timeout=30)[0]
    finally:
        server.kill()
        server.wait()
    (tmp_path / "s_server-trace.txt").write_text(trace)
    # Records as s_server prints them ("Received Record", "Received TLS Record" from 3.2);
    # the client's Certificate message is in a received one.
    received = [r for r in re.split(r"\n(?=(?:Sent|Received) (?:TLS )?Record)", trace)
                if r.startswith("Received") and "    Certificate, Length=" in r]
    assert len(received) == 1, trace
    assert received[0].count("ASN.1Cert, length=") == 1, received[0]


def test_server_sends_its_certificate_without_the_ca(srv):
    """server.pem holds the server's certificate and the CA after it: the CA stays home
    (every client verifies against its own copy), and the chain still verifies."""
    cert, key = srv.admin_cert("server-chain")
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{srv.port}", "-showcerts",
                        "-CAfile", str(srv.ca), "-cert", str(cert), "-key", str(key),
                        "-verify_return_error", "-servername", "localhost"],
                       input="", capture_output=True, text=True, timeout=30)
    assert "Verify return code: 0 (ok)" in r.stdout, r.stdout + r.stderr
    assert r.stdout.count("-----BEGIN CERTIFICATE-----") == 1, r.stdout
    assert "BEGIN CERTIFICATE" in Path(srv.dir, "server.pem").read_text().split("END CERTIFICATE", 1)[1]
