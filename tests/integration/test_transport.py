# SPDX-License-Identifier: MIT
"""The HTTPS client (common/transport.c, HTTP/1.1 over libssl) against hostile servers: a
Python TLS server on 127.0.0.1 that answers vigiectl's GETs with chunked bodies, bodies over
the limit, endless headers, silence, a close mid-body, garbage, 1xx interim responses,
kept-alive connections it closes; certificates that must be refused; and the agent
reporting to a real vigie-server through a real HTTP proxy (tinyproxy), or around it with
no_proxy."""
import base64
import datetime
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest

from conftest import binary, run
from reports_util import Ca, VigieServer, agent_config, free_port, openssl

EXIT_UNREACHABLE, EXIT_SERVER = 4, 7


def recv_request(conn):
    """One request's head and body, or None when the client closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += conn.recv(65536)
    return head.decode(), body


class Hostile:
    """A TLS server (certificate from the test CA) whose handler(server, conn, n) answers the
    n-th connection as it likes; records every request head."""

    def __init__(self, tmp, ca, handler, cert=None, key=None, host="127.0.0.1"):
        if cert is None:
            cert, key = tmp / "hostile.pem", tmp / "hostile.key"
            ca.issue("127.0.0.1", key, cert, server=True)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.ctx.load_verify_locations(ca.cert)
        self.ctx.verify_mode = ssl.CERT_OPTIONAL
        self.handler = handler
        self.heads = []
        self.connections = 0
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"https://{'[' + host + ']' if ':' in host else host}:{self.port}"
        self.stopping = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stopping:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.one, args=(raw, self.connections), daemon=True).start()

    def one(self, raw, n):
        try:
            with self.ctx.wrap_socket(raw, server_side=True) as conn:
                self.handler(self, conn, n)
        except (OSError, ssl.SSLError):
            pass

    def request(self, conn):
        r = recv_request(conn)
        if r:
            self.heads.append(r[0])
        return r

    def stop(self):
        self.stopping = True
        self.sock.close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca = Ca(d / "ca")
    ca.issue("admin", d / "admin.key", d / "admin.pem")
    return ca, d


def ctl(pki, tmp_path, url, *args, env=None, ca_file=None):
    """vigiectl export (one GET whose body it prints as is) or another command; ca_file
    pins another CA file than the test CA's."""
    ca, d = pki
    conf = tmp_path / "vigiectl.conf"
    conf.write_text("[Server]\nTimeout=2s\n")
    return run("vigiectl", *(args or ("export", "--format", "jsonl")), "--config", conf, "--server", url,
               "--cert", d / "admin.pem", "--key", d / "admin.key", "--ca", ca_file or ca.cert, env=env)


def serve_once(answer, after=None):
    """A handler: reads the request, sends answer (bytes), then runs after(conn)."""
    def handler(server, conn, n):
        if server.request(conn):
            conn.sendall(answer)
            if after:
                after(conn)
    return handler


@pytest.fixture
def hostile(pki, tmp_path):
    servers = []

    def make(handler, **kw):
        s = Hostile(tmp_path, pki[0], handler, **kw)
        servers.append(s)
        return s
    yield make
    for s in servers:
        s.stop()


def test_chunked_body_with_extensions_and_trailer(pki, tmp_path, hostile):
    s = hostile(serve_once(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"5;name=value\r\n{\"a\":\r\nA\r\n 1}\n{\"b\": \r\n3\r\n2}\n\r\n0\r\nX-Trailer: t\r\n\r\n"))
    r = ctl(pki, tmp_path, s.url)
    assert r.returncode == 0, r
    assert r.stdout == '{"a": 1}\n{"b": 2}\n'
    head = s.heads[0]
    assert head.startswith("GET /v1/fleet/export?format=jsonl HTTP/1.1\r\n"), head
    assert f"\r\nHost: 127.0.0.1:{s.port}\r\n" in head and "User-Agent: vigie/" in head, head


def test_body_delimited_by_close_and_interim_responses(pki, tmp_path, hostile):
    s = hostile(serve_once(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
                           b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"c\": 3}\n", after=lambda c: c.unwrap()))
    r = ctl(pki, tmp_path, s.url)
    assert r.returncode == 0, r
    assert r.stdout == '{"c": 3}\n'


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 600000000\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n30000000\r\n",
], ids=["content-length", "chunked"])
def test_body_over_the_limit(pki, tmp_path, hostile, answer):
    s = hostile(serve_once(answer + b"x" * 1000))
    r = ctl(pki, tmp_path, s.url)
    assert r.returncode == EXIT_SERVER, r
    assert "answer larger than 536870912 bytes" in r.stderr, r.stderr


def endless_headers(server, conn, n):
    if server.request(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(1000):
            conn.sendall(b"X-Filler: " + b"a" * 4000 + b"\r\n")


@pytest.mark.parametrize("case,answer,message", [
    ("endless-headers", None, "more header bytes than the limit"),
    ("long-line", b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 10000 + b"\r\n\r\n", "header line longer than the limit"),
    ("many-headers", b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 101 + b"\r\n", "too many header lines"),
    ("garbage", b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "not an HTTP/1.x status line"),
    ("bad-length", b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length that is not a number"),
    ("gzip-coding", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "other than chunked"),
    ("bad-chunk", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk size"),
    ("switching", b"HTTP/1.1 101 Switching Protocols\r\n\r\n", "switched protocols"),
])
def test_malformed_answers_are_protocol_errors(pki, tmp_path, hostile, case, answer, message):
    s = hostile(endless_headers if answer is None else serve_once(answer))
    r = ctl(pki, tmp_path, s.url)
    assert r.returncode == EXIT_UNREACHABLE, r
    assert message in r.stderr, r.stderr
    assert f"127.0.0.1:{s.port}" in r.stderr, r.stderr


def test_close_mid_body(pki, tmp_path, hostile):
    s = hostile(serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial\"", after=lambda c: c.unwrap()))
    r = ctl(pki, tmp_path, s.url)
    assert r.returncode == EXIT_UNREACHABLE, r
    assert "closed the connection before the end of its response" in r.stderr, r.stderr


def test_stalled_server_times_out(pki, tmp_path, hostile):
    release = threading.Event()

    def stall(server, conn, n):
        server.request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
        release.wait(30)
    s = hostile(stall)
    try:
        r = ctl(pki, tmp_path, s.url)
    finally:
        release.set()
    assert r.returncode == EXIT_UNREACHABLE, r
    assert "timed out after 2000 ms" in r.stderr, r.stderr


def test_silent_tls_handshake_times_out(pki, tmp_path):
    """A TCP peer that never speaks TLS: the handshake is bounded too."""
    ca, _ = pki
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    try:
        r = ctl(pki, tmp_path, f"https://127.0.0.1:{sock.getsockname()[1]}")
    finally:
        sock.close()
    assert r.returncode == EXIT_UNREACHABLE, r
    assert "TLS handshake with 127.0.0.1" in r.stderr and "timed out" in r.stderr, r.stderr


def page_then(close_how):
    """First connection: a page with a next cursor, kept alive, then closed (close_how);
    then the last page. The client must resend on a new connection."""
    def handler(server, conn, n):
        while server.request(conn):
            if "cursor=" not in server.heads[-1]:
                body = b'{"devices": [{"id": "a"}], "next_cursor": "c1"}'
            else:
                body = b'{"devices": [{"id": "b"}]}'
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(body), body))
            if n == 1 and close_how == "close":
                conn.unwrap()
                return
            if n == 1 and close_how == "reset":
                # RST: the client's next write on it is EPIPE (a SIGPIPE without MSG_NOSIGNAL).
                raw = conn.unwrap()
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                raw.close()
                return
    return handler


@pytest.mark.parametrize("close_how", ["keep", "close", "reset"])
def test_connection_kept_alive_and_resent_once_when_closed(pki, tmp_path, hostile, close_how):
    s = hostile(page_then(close_how))
    r = ctl(pki, tmp_path, s.url, "devices", "--all", "--json")
    assert r.returncode == 0, r
    assert [d["id"] for d in r.json()["devices"]] == ["a", "b"]
    assert len(s.heads) == 2
    assert s.connections == (1 if close_how == "keep" else 2)


def issue_cert(ca, tmp, name, san, days_offset=(0, 1)):
    """A server certificate for san, valid from now+days_offset[0] to now+days_offset[1]."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    import ipaddress
    ca_key = serialization.load_pem_private_key(ca.key.read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    try:
        alt = x509.IPAddress(ipaddress.ip_address(san))
    except ValueError:
        alt = x509.DNSName(san)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, san)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=days_offset[0]) - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=days_offset[1]))
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (tmp / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / f"{name}.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    return tmp / f"{name}.pem", tmp / f"{name}.key"


OK_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"


@pytest.mark.parametrize("case,message", [
    ("wrong-ca", "SSL certificate problem: unable to get local issuer certificate"),
    ("expired", "SSL certificate problem: certificate has expired"),
    ("wrong-ip", "SSL certificate problem: IP address mismatch"),
    ("wrong-name", "SSL certificate problem: hostname mismatch"),
])
def test_untrusted_server_certificates(pki, tmp_path, hostile, case, message):
    ca, _ = pki
    url_host = "127.0.0.1"
    if case == "wrong-ca":
        cert, key = issue_cert(Ca(tmp_path / "other-ca", "Impostor"), tmp_path, "srv", "127.0.0.1")
    elif case == "expired":
        cert, key = issue_cert(ca, tmp_path, "srv", "127.0.0.1", days_offset=(-10, -1))
    elif case == "wrong-ip":
        cert, key = issue_cert(ca, tmp_path, "srv", "127.0.0.2")
    else:
        cert, key = issue_cert(ca, tmp_path, "srv", "vigie.example.com")
        url_host = "localhost"
    s = hostile(serve_once(OK_ANSWER), cert=cert, key=key)
    r = ctl(pki, tmp_path, f"https://{url_host}:{s.port}")
    assert r.returncode == EXIT_UNREACHABLE, r
    assert "no trusted TLS connection" in r.stderr and message in r.stderr, r.stderr
    assert s.heads == []  # no request was ever sent


def test_host_name_checked_and_sent_as_sni(pki, tmp_path, hostile):
    ca, _ = pki
    cert, key = issue_cert(ca, tmp_path, "srv", "localhost")
    seen = []
    s = hostile(serve_once(OK_ANSWER), cert=cert, key=key)
    s.ctx.sni_callback = lambda sock, name, ctx: seen.append(name)
    r = ctl(pki, tmp_path, f"https://localhost:{s.port}/")
    assert r.returncode == 0 and r.stdout == "ok\n", r
    assert seen == ["localhost"]
    assert f"\r\nHost: localhost:{s.port}\r\n" in s.heads[0]


def test_ipv6_literal(pki, tmp_path, hostile):
    ca, _ = pki
    cert, key = issue_cert(ca, tmp_path, "srv", "::1")
    s = hostile(serve_once(OK_ANSWER), cert=cert, key=key, host="::1")
    r = ctl(pki, tmp_path, s.url)
    assert r.returncode == 0 and r.stdout == "ok\n", r
    assert f"\r\nHost: [::1]:{s.port}\r\n" in s.heads[0]


def test_each_address_of_the_name_in_turn(pki, tmp_path, hostile):
    """multi.test is ::1 then 127.0.0.1 (a hosts file of this command's mount namespace);
    the server listens on 127.0.0.1 only: the first address is refused, the second serves."""
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs unshare -m (root)")
    ca, d = pki
    cert, key = issue_cert(ca, tmp_path, "srv", "multi.test")
    s = hostile(serve_once(OK_ANSWER), cert=cert, key=key)
    hosts = tmp_path / "hosts"
    hosts.write_text("::1 multi.test\n127.0.0.1 multi.test\n")
    conf = tmp_path / "vigiectl.conf"
    conf.write_text("[Server]\nTimeout=2s\n")
    r = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind '{hosts}' /etc/hosts && exec \"$0\" \"$@\"",
                        binary("vigiectl"), "export", "--format", "jsonl", "--config", str(conf),
                        "--server", f"https://multi.test:{s.port}", "--cert", str(d / "admin.pem"),
                        "--key", str(d / "admin.key"), "--ca", str(ca.cert)],
                       capture_output=True, text=True, env={"PATH": os.environ["PATH"], "LANG": "C.UTF-8",
                       **{k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}})
    assert r.returncode == 0 and r.stdout == "ok\n", r


def test_refused_and_unresolvable(pki, tmp_path):
    r = ctl(pki, tmp_path, f"https://127.0.0.1:{free_port()}")
    assert r.returncode == EXIT_UNREACHABLE and "Connection refused" in r.stderr, r
    r = ctl(pki, tmp_path, "https://no-such-host.invalid:8443")
    assert r.returncode == EXIT_UNREACHABLE and "Could not resolve host: no-such-host.invalid" in r.stderr, r



def test_silent_name_server_bounded_by_the_timeout(pki, tmp_path):
    """A name server that never answers (a UDP socket that swallows queries, in a network
    namespace of this command) while resolv.conf says to wait 30 s: the lookup is given up
    at the transport's 2 s timeout, with a message that says so."""
    if subprocess.run(["unshare", "-mn", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs unshare -mn (root)")
    ca, d = pki
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions timeout:30 attempts:1\n")
    conf = tmp_path / "vigiectl.conf"
    conf.write_text("[Server]\nTimeout=2s\n")
    swallow = ("import socket, sys, time\n"
               "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 53))\n"
               "print('ready', flush=True); time.sleep(120)\n")
    script = (f"ip link set lo up && mount --bind '{resolv}' /etc/resolv.conf && "
              f"{{ {sys.executable} -c \"$SWALLOW\" > '{tmp_path}/ns' 2>&1 & pid=$!; }} && "
              f"while ! grep -q ready '{tmp_path}/ns'; do sleep 0.05; done && \"$0\" \"$@\"; "
              "rc=$?; kill $pid; exit $rc")
    start = time.monotonic()
    r = subprocess.run(["unshare", "-mn", "sh", "-c", script, binary("vigiectl"), "export", "--format", "jsonl",
                        "--config", str(conf), "--server", "https://silent.vigie.test:8443",
                        "--cert", str(d / "admin.pem"), "--key", str(d / "admin.key"), "--ca", str(ca.cert)],
                       capture_output=True, text=True, timeout=60,
                       env={"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "SWALLOW": swallow,
                            **{k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}})
    elapsed = time.monotonic() - start
    assert r.returncode == EXIT_UNREACHABLE, r
    assert "Could not resolve host: silent.vigie.test (no answer from the name servers in time)" in r.stderr, r
    assert elapsed < 20, f"the lookup was not bounded by the 2 s timeout: {elapsed:.1f} s"


@pytest.mark.parametrize("url", ["https://[::1", "https://localhost:99999", "https://:8443"])
def test_malformed_server_url_says_which_form(pki, tmp_path, url):
    r = ctl(pki, tmp_path, url)
    assert r.returncode != 0 and "is not https://host[:port][/prefix]" in r.stderr, r


class FakeProxy:
    """A plain-TCP proxy that answers every CONNECT with status and records the request."""

    def __init__(self, status):
        self.heads = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.status = status
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                r = recv_request(conn)
                if r:
                    self.heads.append(r[0])
                    conn.sendall(b"HTTP/1.1 %s\r\nContent-Length: 0\r\n\r\n" % self.status)


def test_proxy_refusal_names_the_proxy_and_sends_basic_auth(pki, tmp_path, hostile):
    proxy = FakeProxy(b"407 Proxy Authentication Required")
    s = hostile(serve_once(OK_ANSWER))
    try:
        r = ctl(pki, tmp_path, s.url, env={"https_proxy": f"http://alice:p%40ss@127.0.0.1:{proxy.port}"})
    finally:
        proxy.sock.close()
    assert r.returncode == EXIT_UNREACHABLE, r
    assert f"the proxy 127.0.0.1:{proxy.port} refused the tunnel to 127.0.0.1:{s.port}: HTTP 407" in r.stderr, r
    head = proxy.heads[0]
    assert head.startswith(f"CONNECT 127.0.0.1:{s.port} HTTP/1.1\r\n"), head
    assert "Proxy-Authorization: Basic " + base64.b64encode(b"alice:p@ss").decode() in head, head
    assert s.heads == []


@pytest.fixture
def tinyproxy(tmp_path):
    exe = shutil.which("tinyproxy") or "/usr/bin/tinyproxy"
    if not os.path.exists(exe):
        pytest.skip("tinyproxy is not installed (packaging/deps.sh check)")
    port = free_port()
    log = tmp_path / "tinyproxy.log"
    conf = tmp_path / "tinyproxy.conf"
    conf.write_text(f"Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{log}\"\nLogLevel Connect\n"
                    f"MaxClients 8\nAllow 127.0.0.1\n")
    log.touch()
    os.chmod(tmp_path, 0o777)
    os.chmod(log, 0o666)
    proc = subprocess.Popen([exe, "-d", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    yield port, log
    proc.terminate()
    proc.wait(timeout=10)


def test_agent_reports_through_tinyproxy_and_around_it_with_no_proxy(vigie, tmp_path, tinyproxy):
    port, log = tinyproxy
    server = VigieServer(tmp_path, run, binary)
    server.start()
    try:
        state = tmp_path / "state"
        conf = agent_config(tmp_path, state, server=server.url)
        env = {"https_proxy": f"http://127.0.0.1:{port}"}
        r = vigie("enroll", "--config", conf, "--token", server.token(), "--ca", server.ca, env=env)
        assert r.returncode == 0, r
        r = vigie("report", "--config", conf, env=env)
        assert r.returncode == 0 and "Report 1 signed and sent" in r.stdout, r
        connects = log.read_text().count(f"CONNECT 127.0.0.1:{server.port}")
        assert connects >= 2, log.read_text()  # enroll and report, each one tunnel

        r = vigie("report", "--config", conf, env={**env, "no_proxy": "localhost, 127.0.0.1"})
        assert r.returncode == 0 and "Report 2 signed and sent" in r.stdout, r
        assert log.read_text().count(f"CONNECT 127.0.0.1:{server.port}") == connects, log.read_text()

        # A proxy that is not there: the report waits in the spool, the reason said.
        r = vigie("report", "--config", conf, env={"HTTPS_PROXY": f"http://127.0.0.1:{free_port()}"})
        assert r.returncode == 0 and "queued, 1 waiting" in r.stdout, r
        assert "Failed to connect to 127.0.0.1 port" in r.stdout + r.stderr, r
    finally:
        server.stop()


@pytest.mark.parametrize("content", [b"", b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"])
def test_unusable_ca_file_is_named(pki, tmp_path, hostile, content):
    """The pinned CA file is read at the first full handshake (a resumed session checks no
    certificate): when it holds no certificate, the error names the file, not the server."""
    bad = tmp_path / "pinned.pem"
    bad.write_bytes(content)
    s = hostile(serve_once(OK_ANSWER))
    r = ctl(pki, tmp_path, f"https://127.0.0.1:{s.port}", ca_file=bad)
    assert r.returncode != 0, r
    assert f'cannot use the CA file "{bad}": not readable or not PEM certificates' in r.stderr, r.stderr
    assert s.heads == []
