# SPDX-License-Identifier: MIT
"""Run a real vigie-server in tests, and talk to it like an agent would.

API (kept small on purpose; other test files import it):

    from server_util import VigieServer, Device, Postgres, https

    srv = VigieServer(tmp_path, conf="[Limits]\\nRequestTimeout=2s\\n", db=None)
    srv.start()                      # init (once) + serve on 127.0.0.1:<random>, waits for READY
    srv.port, srv.dir, srv.ca        # port, server directory, CA certificate path
    srv.cli("token", "list")         # runs `vigie-server token list --dir DIR` -> conftest.Result
    tok = srv.token(uses=1, ttl="7d", label=None)
    cert, key = srv.admin_cert("alice", role="admin")
    srv.sql("SELECT count(*) FROM reports")   # rows, SQLite or PostgreSQL
    srv.stop()                       # SIGTERM, waits, asserts exit 0;  srv.kill() = SIGKILL
    srv.log()                        # the server's stderr so far

    dev = Device(srv)                # a test-side agent: P-256 key + CSR (Python cryptography)
    status, body = dev.enroll(tok)   # POST /v1/enroll; on success dev.cert is set
    jws = dev.report(seq=1)          # signed ES256 JWS; prev chains automatically
    status, body = dev.post(jws)     # POST /v1/reports over mTLS with dev's certificate
    status, body, headers = https(srv, "GET", "/v1/policy", cert=dev.cert_path, key=dev.key_path)

    pg = Postgres(tmp_path)          # a real PostgreSQL on 127.0.0.1:<random> (skips if absent)
    pg.start(); pg.url               # "postgres:host=127.0.0.1 port=… dbname=vigie user=postgres"
    pg.stop(keep=True); pg.start(init=False)   # restart on the same port with the same data
    pg.stop()                        # and remove it

Fixture: `vigie_server` (started, stopped at teardown).
"""
import base64
import datetime
import glob
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from conftest import SANITIZE, binary, run

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID


def bench_exit_on_sigterm():
    """For the benches (tests/bench/): SIGTERM (kill, timeout(1)) ends the run through its
    finally blocks as Ctrl-C does, so that a stopped run stops its servers and PostgreSQL
    cluster rather than leaving a backend to run its statement for an hour."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unchunk(stored: str, chunk) -> str:
    """The compact JWS from what reports.jws holds: the JWS itself, or "@HEADER.SIG.H1,=123,H2,…"
    with the payload in report_chunks (server/store-body.h) and, inline, the values that change
    at every report ("=" then the bytes themselves); chunk(hash) → its text. Written apart from
    the server's code, so that the tests check its round trip."""
    if not stored.startswith("@"):
        return stored
    header, sig, items = stored[1:].split(".")
    payload = "".join(i[1:] if i.startswith("=") else chunk(i) for i in items.split(","))
    return f"{header}.{b64url(payload.encode())}.{sig}"


def stored_jws(srv, device_id, seq=None):
    """The reports srv stored for device_id as the exact JWS, in seq order (or the one seq)."""
    where = "device_id = $1" + (" AND seq = $2" if seq is not None else "")
    rows = srv.sql(f"SELECT jws FROM reports WHERE {where} ORDER BY seq", device_id,
                   *([seq] if seq is not None else []))

    chunks = dict(srv.sql("SELECT hash, data FROM report_chunks")) if any(j.startswith("@") for (j,) in rows) else {}
    out = [unchunk(j, chunks.__getitem__) for (j,) in rows]
    return out if seq is None else out[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VigieServer:
    def __init__(self, tmp_path, name="localhost", conf=None, db=None, env=None):
        self.tmp = Path(tmp_path)
        self.dir = self.tmp / "server"
        self.name = name
        self.conf = conf
        self.db = db
        self.env = dict(env or {})
        self.wrapper = []  # a command to run the server under (valgrind, for a bench)
        self.proc = None
        self.port = None
        self.logfile = self.tmp / "server.log"
        self.ca = self.dir / "ca.pem"

    # -- command line --------------------------------------------------------------
    def cli(self, *args, env=None):
        e = dict(self.env)
        e.update(env or {})
        extra = ["--db", self.db] if self.db else []
        return run("vigie-server", *args, "--dir", self.dir, *extra, env=e)

    def init(self):
        if (self.dir / "ca.key").exists():
            return
        r = self.cli("init", "--name", self.name)
        assert r.returncode == 0, r
        if self.conf:
            (self.dir / "server.conf").write_text(self.conf)

    def token(self, uses=1, ttl="7d", label=None, env=None):
        args = ["token", "create", "--uses", str(uses), "--ttl", ttl]
        if label:
            args += ["--label", label]
        r = self.cli(*args, env=env)
        assert r.returncode == 0, r
        return r.stdout.strip()

    def device_reset(self, device_id, ttl="7d"):
        """The one-time token `vigie-server device reset` prints for device_id."""
        r = self.cli("device", "reset", device_id, "--ttl", ttl)
        assert r.returncode == 0, r
        return r.stdout.strip()

    def admin_cert(self, name, role="admin", env=None):
        out = self.tmp / f"client-{name}"
        r = self.cli("admin-cert", "create", name, "--out", out, "--role", role, env=env)
        assert r.returncode == 0, r
        return str(out / f"{name}.pem"), str(out / f"{name}.key")

    # -- process -------------------------------------------------------------------
    def start(self, timeout=20, port=0):
        """port: 0 for a random one; a restart that agents must find again passes self.port."""
        self.init()
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "GLIBC_TUNABLES"):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update(self.env)
        args = self.wrapper + [binary("vigie-server"), "serve", "--dir", str(self.dir), "--listen", f"127.0.0.1:{port}", "-v"]
        if self.db:
            args += ["--db", self.db]
        self._log = open(self.logfile, "ab")
        start = self.logfile.stat().st_size
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=self._log, env=e)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.logfile.read_bytes()[start:].decode(errors="replace")
            m = re.search(r"Listening on port (\d+)", text)
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                raise AssertionError(f"vigie-server exited with {self.proc.returncode}:\n{text}")
            time.sleep(0.02)
        self.kill()
        raise AssertionError(f"vigie-server did not start:\n{self.log()}")

    def stop(self, timeout=30):
        if not self.proc:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout)
        self.proc = None
        self._log.close()
        self.check_sanitizer()
        assert rc == 0, f"vigie-server exit {rc}:\n{self.log()}"
        return rc

    def kill(self):
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
            self._log.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log(self):
        return self.logfile.read_text(errors="replace") if self.logfile.exists() else ""

    def check_sanitizer(self):
        text = self.log()
        if SANITIZE and ("runtime error:" in text or "AddressSanitizer" in text or "LeakSanitizer" in text):
            pytest.fail(f"sanitizer report from vigie-server:\n{text}")

    # -- database ------------------------------------------------------------------
    def sql(self, query, *params):
        """Rows of a query, on whichever database the server uses ($1-style parameters)."""
        if self.db and self.db.startswith("postgres:"):
            import_args = Postgres.psql_args(self.db[len("postgres:"):])
            q = query
            for i, p in reversed(list(enumerate(params, 1))):
                lit = "NULL" if p is None else (str(p) if isinstance(p, int) else "'" + str(p).replace("'", "''") + "'")
                q = q.replace(f"${i}", lit)
            out = subprocess.run(import_args + ["-At", "-F", "\t", "-P", "null=\\N", "-c", q],
                                 capture_output=True, text=True, check=True)
            return [tuple(None if v == "\\N" else v for v in line.split("\t"))
                    for line in out.stdout.splitlines() if line]
        path = self.db[len("sqlite:"):] if self.db else str(self.dir / "vigie.db")
        con = sqlite3.connect(path, timeout=30)
        try:
            q = re.sub(r"\$(\d+)", r"?\1", query)
            return [tuple(str(v) if v is not None and not isinstance(v, str) else v for v in row)
                    for row in con.execute(q, params).fetchall()]
        finally:
            con.close()

    def count(self, table, where="1=1", *params):
        return int(self.sql(f"SELECT count(*) FROM {table} WHERE {where}", *params)[0][0])


def https(srv, method, path, body=None, cert=None, key=None, headers=None, timeout=30):
    """One HTTPS request to srv on 127.0.0.1 → (status, parsed JSON or text, headers)."""
    ctx = ssl.create_default_context(cafile=str(srv.ca))
    if cert:
        ctx.load_cert_chain(cert, key)
    conn = http.client.HTTPSConnection("127.0.0.1", srv.port, context=ctx, timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read().decode(errors="replace")
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data
        return resp.status, parsed, dict(resp.getheaders())
    finally:
        conn.close()


class Device:
    """A test-side agent: its own P-256 key, CSR with CN = device id, ES256 reports."""

    policy_version = 1  # of policy "default", named by its reports

    def __init__(self, srv, device_id=None, key=None):
        self.srv = srv
        self.id = device_id or str(uuid.uuid4())
        self.key = key or ec.generate_private_key(ec.SECP256R1())
        self.dir = Path(tempfile.mkdtemp(prefix=f"device-{self.id[:8]}-", dir=srv.tmp))
        self.key_path = str(self.dir / "device.key")
        self.cert_path = str(self.dir / "device.crt")
        Path(self.key_path).write_bytes(self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        self.cert = None
        self.seq = 0
        self.prev = None

    def csr(self, cn=None):
        req = x509.CertificateSigningRequestBuilder().subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn or self.id)])).sign(self.key, hashes.SHA256())
        return req.public_bytes(serialization.Encoding.PEM).decode()

    def enroll(self, token, csr=None):
        status, body, _ = https(self.srv, "POST", "/v1/enroll", {"token": token, "csr": csr or self.csr()})
        if status in (200, 201):
            self.set_cert(body["certificate"])
        return status, body

    def set_cert(self, pem):
        Path(self.cert_path).write_text(pem)
        self.cert = x509.load_pem_x509_certificate(pem.encode())

    @property
    def kid(self):
        return hashlib.sha256(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()

    def claims(self, seq=None, prev="chain", iat=None, compliant=True, checks=None, sub=None):
        if seq is None:
            seq = self.seq + 1
        if prev == "chain":
            prev = self.prev
        return {
            "sub": sub or self.id, "iat": int(iat if iat is not None else time.time()), "seq": seq, "prev": prev,
            "agent": {"version": "0.1.0", "key": "file"},
            "host": {"hostname": f"laptop-{self.id[:8]}", "os": {"id": "debian", "version_id": "12",
                     "pretty": "Debian GNU/Linux 12 (bookworm)"}, "kernel": "6.1.0-26-amd64"},
            "policy": {"id": "default", "version": self.policy_version}, "compliant": compliant,
            "checks": checks if checks is not None else [
                {"id": "disk_encryption", "status": "pass" if compliant else "fail", "title": "Disk encryption",
                 "summary": "/ is on LUKS2", "remediation": None, "deadline": None, "evidence": {}, "duration_us": 5},
                {"id": "patch_level", "status": "pass", "title": "Patch level", "summary": "up to date",
                 "remediation": None, "deadline": None, "evidence": {}, "duration_us": 5},
                {"id": "backup", "status": "pass", "title": "Backup", "summary": "restic 2 h ago",
                 "remediation": None, "deadline": None, "evidence": {}, "duration_us": 5}],
        }

    def sign(self, claims, key=None, kid=None, header=None):
        h = header or {"alg": "ES256", "typ": "vigie-report+jwt", "kid": kid or self.kid}
        signing_input = b64url(json.dumps(h, separators=(",", ":")).encode()) + "." + \
            b64url(json.dumps(claims, separators=(",", ":")).encode())
        der = (key or self.key).sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def report(self, advance=True, **kw):
        """The next report in the chain (or what kw says); advance=True moves the chain on."""
        claims = self.claims(**{k: v for k, v in kw.items() if k in ("seq", "prev", "iat", "compliant", "checks", "sub")})
        jws = self.sign(claims, key=kw.get("key"), kid=kw.get("kid"))
        if advance:
            self.seq = claims["seq"]
            self.prev = hashlib.sha256(jws.encode()).hexdigest()
        return jws

    def post(self, body, cert=None, key=None):
        status, parsed, _ = https(self.srv, "POST", "/v1/reports", body,
                                  cert=cert or self.cert_path, key=key or self.key_path)
        return status, parsed


class Postgres:
    """A throwaway PostgreSQL cluster, run as the `postgres` user (initdb refuses root)."""

    def __init__(self, tmp_path):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); "
                        "packaging/deps.sh installs it")
        self.bin = Path(bins[-1]).parent
        # Not under pytest's tmp: pytest resets its root to 0700 on every run (other
        # sessions run concurrently), which would lock the postgres user out mid-test.
        self.base = Path(tempfile.mkdtemp(prefix="vigie-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.url = f"postgres:host=127.0.0.1 port={self.port} dbname=vigie user=postgres connect_timeout=10"

    def _as_pg(self, *args, **kw):
        cmd = [str(a) for a in args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, capture_output=True, text=True, **kw)

    def start(self, init=True):
        if init:
            if os.geteuid() == 0:
                shutil.chown(self.base, "postgres", "postgres")
            r = self._as_pg(self.bin / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync")
            assert r.returncode == 0, f"initdb failed: {r.stderr.strip()}"
        r = self._as_pg(self.bin / "pg_ctl", "-D", self.data, "-l", self.base / "pg.log", "-w", "-t", "60",
                        "-o", f"-h 127.0.0.1 -p {self.port} -k {self.base} -c fsync=on", "start")
        assert r.returncode == 0, r.stderr + (self.base / "pg.log").read_text(errors="replace")
        if init:
            r = self._as_pg(self.bin / "createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", "vigie")
            assert r.returncode == 0, r.stderr
        return self

    def stop(self, keep=False):
        """keep=True: stop the cluster but keep its data for start(init=False)."""
        self._as_pg(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        if not keep:
            shutil.rmtree(self.base, ignore_errors=True)

    @staticmethod
    def psql_args(conninfo):
        kv = dict(item.split("=", 1) for item in conninfo.split())
        return ["psql", "-h", kv["host"], "-p", kv["port"], "-U", kv["user"], "-d", kv["dbname"], "-v", "ON_ERROR_STOP=1"]


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    """One PostgreSQL cluster per test module (import the fixture to use it)."""
    pg = Postgres(tmp_path_factory.mktemp("pg"))
    pg.start()
    yield pg
    pg.stop()


def database(request):
    """For a fixture parametrised over "sqlite" and "postgres": None (the server's own
    SQLite), or the --db URL of a new database on the module's cluster."""
    if request.param != "postgres":
        return None
    pg = request.getfixturevalue("postgres")
    name = "t" + uuid.uuid4().hex[:12]
    r = pg._as_pg(pg.bin / "createdb", "-h", "127.0.0.1", "-p", pg.port, "-U", "postgres", name)
    assert r.returncode == 0, r.stderr
    return pg.url.replace("dbname=vigie", f"dbname={name}")


@pytest.fixture
def vigie_server(tmp_path):
    srv = VigieServer(tmp_path, conf="[Limits]\nRequestTimeout=3s\n")
    srv.start()
    yield srv
    if srv.running():
        srv.stop()
