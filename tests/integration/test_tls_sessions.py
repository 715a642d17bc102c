# SPDX-License-Identifier: MIT
"""The collector issues no TLS session tickets and resumes no session (docs/server.md,
"TLS"): every client of ours is a new process per run or keeps its connection alive, and
a ticket costs the server a re-encoding and re-decoding of the client's certificate per
handshake. A client that offers a session anyway gets a full handshake, its certificate
verified again, and is served."""
import socket
import ssl

import pytest

from server_util import VigieServer


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
