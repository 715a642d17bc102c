# SPDX-License-Identifier: MIT
"""A client connection's reads on the collector (docs/internals/ingest.md, "System calls
per report"; docs/performance.md, issue #17).

OpenSSL reads ahead on the server: one read() takes a whole TLS record and whatever came
after it, which libevent 2.1 does not look at. Whatever shares a TCP segment with a
record — a request's body sent as a record of its own, a request written right behind
another, a request sent with the handshake's last flight — must still be answered at once,
not when the client next sends something (it never does) or the request deadline cuts it.
The client here is Python's TLS over memory BIOs: each write() is one record, and the test
decides which records leave in one send().

While a request is handled, the socket's read interest stays with the kernel (no
epoll_ctl() off and on per request); a client that sends ahead or closes meanwhile must not
make the loop spin on a socket nobody reads."""
import email.utils
import os
import re
import socket
import ssl
import time

import pytest

from server_util import Device, VigieServer, database, postgres  # noqa: F401 (postgres: fixture)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = VigieServer(tmp_path_factory.mktemp("http-conn"))
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def admin(srv):
    return srv.admin_cert("records")


@pytest.fixture
def device(srv):
    d = Device(srv)
    status, _ = d.enroll(srv.token())
    assert status in (200, 201)
    return d


class Records:
    """A TLS client whose writes are queued as records and sent together by flush()."""

    def __init__(self, srv, cert, key, version=ssl.TLSVersion.TLSv1_3, timeout=5):
        ctx = ssl.create_default_context(cafile=str(srv.ca))
        ctx.load_cert_chain(cert, key)
        ctx.minimum_version = ctx.maximum_version = version
        self.sock = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_hostname="127.0.0.1")
        self.plain = b""
        self.headers = []  # the last response's, as (name, value)

    def handshake(self, send_last_flight=True):
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.receive()
        if send_last_flight:
            self.flush()

    def write(self, *records):
        for r in records:
            self.tls.write(r)

    def flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def receive(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.incoming.write(data)

    def response(self):
        """The next HTTP response → (status, body); socket.timeout if it does not come."""
        while True:
            head, sep, rest = self.plain.partition(b"\r\n\r\n")
            if sep:
                lines = head.decode().split("\r\n")
                self.headers = [(k.strip(), v.strip()) for k, v in (line.split(":", 1) for line in lines[1:])]
                length = next(int(v) for k, v in (line.split(":", 1) for line in lines[1:])
                              if k.strip().lower() == "content-length")
                if len(rest) >= length:
                    self.plain = rest[length:]
                    return int(lines[0].split()[1]), rest[:length]
            try:
                self.plain += self.tls.read(65536)
            except ssl.SSLWantReadError:
                self.receive()

    def close(self):
        self.sock.close()


SUMMARY = b"GET /v1/fleet/summary HTTP/1.1\r\nHost: vigie\r\n\r\n"


def report_request(device):
    body = device.report().encode()
    head = f"POST /v1/reports HTTP/1.1\r\nHost: vigie\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    return head, body


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2])
def test_request_in_several_records_of_one_segment(srv, admin, version):
    c = Records(srv, *admin, version=version)
    try:
        c.handshake()
        c.write(b"GET /v1/fleet/summary HTTP/1.1\r\n", b"Host: vigie\r\n", b"\r\n")
        c.flush()
        assert c.response()[0] == 200
    finally:
        c.close()


def test_report_headers_and_body_as_two_records(srv, device):
    c = Records(srv, device.cert_path, device.key_path)
    try:
        c.handshake()
        c.write(*report_request(device))
        c.flush()
        status, body = c.response()
        assert status in (200, 201, 202), body
        assert srv.count("reports", "device_id = $1", device.id) == 1
    finally:
        c.close()


def test_requests_sent_back_to_back(srv, admin, device):
    c = Records(srv, *admin)
    try:
        c.handshake()
        c.write(SUMMARY, SUMMARY, SUMMARY)
        c.flush()
        assert [c.response()[0] for _ in range(3)] == [200, 200, 200]
    finally:
        c.close()
    # The next request waits in OpenSSL while the report is verified and committed.
    c = Records(srv, device.cert_path, device.key_path)
    try:
        c.handshake()
        c.write(b"".join(report_request(device)), SUMMARY)
        c.flush()
        assert c.response()[0] in (200, 201, 202)
        assert c.response()[0] == 403  # a device may not read the fleet: but it is answered
    finally:
        c.close()


def test_reply_date(srv, admin):
    """Each HTTP/1.1 reply has one Date header (the server sets the one evhttp would make,
    formatted once a second: http.c, reply_date()), of RFC 1123's form, for the second it
    leaves in; a reply to HTTP/1.0 has none, as evhttp does."""
    rfc1123 = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                         r"\d{4} \d\d:\d\d:\d\d GMT")
    c = Records(srv, *admin)
    try:
        c.handshake()
        seen = []
        for i in range(3):
            if i:
                time.sleep(1.1)
            c.write(SUMMARY)
            c.flush()
            assert c.response()[0] == 200
            dates = [v for k, v in c.headers if k.lower() == "date"]
            assert len(dates) == 1, c.headers
            assert rfc1123.fullmatch(dates[0]), dates[0]
            assert abs(email.utils.parsedate_to_datetime(dates[0]).timestamp() - time.time()) <= 2
            seen.append(dates[0])
        assert len(set(seen)) == 3, seen
        c.write(b"GET /v1/fleet/summary HTTP/1.0\r\nHost: vigie\r\nConnection: keep-alive\r\n\r\n")
        c.flush()
        assert c.response()[0] == 200
        assert not [k for k, _ in c.headers if k.lower() == "date"], c.headers
    finally:
        c.close()


def test_request_sent_with_the_handshakes_last_flight(srv, admin):
    # TLS 1.3: the client's Finished and its request leave together (in TLS 1.2 the client
    # waits for the server's Finished before it may send data)
    c = Records(srv, *admin)
    try:
        c.handshake(send_last_flight=False)
        c.write(SUMMARY)
        c.flush()
        assert c.response()[0] == 200
    finally:
        c.close()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@pytest.fixture(scope="module")
def pg_srv(request, tmp_path_factory):
    """A server on PostgreSQL whose COMMIT of a report can be made to wait (on the commit
    thread, while the loop goes on): a deferred trigger that sleeps, run by COMMIT."""
    request.param = "postgres"
    s = VigieServer(tmp_path_factory.mktemp("http-conn-pg"), db=database(request))
    s.start()
    s.sql("CREATE TABLE slow_commit (seconds float)")
    s.sql("CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN "
          "PERFORM pg_sleep(coalesce((SELECT sum(seconds) FROM slow_commit), 0)); RETURN NULL; END $f$")
    s.sql("CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON reports DEFERRABLE INITIALLY DEFERRED "
          "FOR EACH ROW EXECUTE FUNCTION slow_commit()")
    yield s
    s.stop()


@pytest.mark.parametrize("then", ["sends ahead", "closes"])
def test_client_acting_while_its_report_is_handled_does_not_spin_the_loop(pg_srv, then):
    srv = pg_srv
    device = Device(srv)
    assert device.enroll(srv.token())[0] in (200, 201)
    c = Records(srv, device.cert_path, device.key_path, timeout=20)
    try:
        c.handshake()
        srv.sql("INSERT INTO slow_commit VALUES (2.5)")
        c.write(b"".join(report_request(device)))
        c.flush()
        time.sleep(0.3)
        if then == "closes":
            c.sock.shutdown(socket.SHUT_WR)
        else:
            c.write(b"GET /v1/fleet/")  # the next request's start: readable, nobody reads
            c.flush()
        before = cpu_seconds(srv.proc.pid)
        time.sleep(1.5)
        spent = cpu_seconds(srv.proc.pid) - before
        assert spent < 0.5, f"the server used {spent:.2f} s of CPU in 1.5 s with nothing to do"
        assert c.response()[0] in (200, 201, 202)  # the reply leaves before EOF is seen
        if then == "sends ahead":
            c.write(b"summary HTTP/1.1\r\nHost: vigie\r\n\r\n")
            c.flush()
            assert c.response()[0] == 403
    finally:
        srv.sql("DELETE FROM slow_commit")
        c.close()
    assert srv.count("reports", "device_id = $1", device.id) == 1
