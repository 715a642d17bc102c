# SPDX-License-Identifier: MIT
"""What a handshake with the collector carries, and no more (docs/server.md, "TLS";
docs/performance.md, issue #17 fourth part).

The server issues no TLS session tickets and resumes no session: every client of ours is
a new process per run or keeps its connection alive, and a ticket cost the server a
re-encoding and re-decoding of the client's certificate per handshake. A client that
offers a session anyway gets a full handshake, its certificate verified again, and is
served. Our clients send their own certificate only, not the Vigie CA the server has:
each certificate sent is one more the server decodes."""
import re
import socket
import ssl
import subprocess
from pathlib import Path

import pytest

from server_util import VigieServer, binary


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = VigieServer(tmp_path_factory.mktemp("tls-sessions"))
    s.start()
    yield s
    s.stop()


def context(srv, version):
    cert, key = srv.admin_cert(f"sessions-{version.name}")
    ctx = ssl.create_default_context(cafile=str(srv.ca))
    ctx.load_cert_chain(cert, key)
    ctx.minimum_version = ctx.maximum_version = version
    return ctx


def get_summary(srv, ctx, session=None):
    """GET /v1/fleet/summary on a new connection → (status line, the connection's SSL object)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1", session=session) as s:
            s.sendall(b"GET /v1/fleet/summary HTTP/1.1\r\nHost: vigie\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            return data.split(b"\r\n", 1)[0].decode(), s.session, s.session_reused


def test_tls13_handshake_sends_no_session_ticket(srv):
    ctx = context(srv, ssl.TLSVersion.TLSv1_3)
    status, session, reused = get_summary(srv, ctx)
    assert status == "HTTP/1.1 200 OK"
    # The reply was read whole: any NewSessionTicket sent after the handshake came first.
    assert not session.has_ticket
    assert not reused


def test_tls12_session_is_not_resumed_and_the_client_is_still_served(srv):
    ctx = context(srv, ssl.TLSVersion.TLSv1_2)
    status, session, _ = get_summary(srv, ctx)
    assert status == "HTTP/1.1 200 OK"
    assert not session.has_ticket
    status, _, reused = get_summary(srv, ctx, session=session)
    assert status == "HTTP/1.1 200 OK"
    assert not reused


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
