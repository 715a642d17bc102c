# SPDX-License-Identifier: MIT
"""Fleet test helpers: a real vigie-server on 127.0.0.1 (random port, temp dir), an admin
client over mutual TLS, and simulated devices that enroll with a real token and CSR and
send reports they sign themselves (ES256 with python3-cryptography), so every stored
report carries a real signature and chain."""
import base64
import hashlib
import http.client
import json
import os
import re
import signal
import sqlite3
import ssl
import subprocess
import time
import uuid
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from conftest import binary, run, SANITIZE

# Tests pin the server's clock with VIGIE_NOW near the real time: TLS checks certificate
# validity against the real clock, so time may move forward by hours, not by months.
NOW = int(time.time()) // 60 * 60
CHECKS = ("disk_encryption", "patch_level", "backup")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FleetServer:
    """vigie-server init + admin/scraper certificates + serve, restartable with another
    VIGIE_NOW so tests move time instead of sleeping."""

    def __init__(self, tmp: Path, db=None, conf=""):
        self.dir = tmp / "server"
        self.tmp = tmp
        self.db = db
        self.proc = None
        self.port = None
        self.now = NOW
        self.log = tmp / "server.log"
        r = run("vigie-server", "init", "--dir", self.dir, "--name", "localhost",
                env={"VIGIE_NOW": str(NOW - 3600)})
        assert r.returncode == 0, r
        if conf:
            (self.dir / "server.conf").write_text(conf)
        self.admin = self.client_cert("alice", "admin")
        self.scraper = self.client_cert("prom", "scraper")
        self.ca = str(self.dir / "ca.pem")

    def args(self):
        return ["--dir", self.dir] + (["--db", self.db] if self.db else [])

    def client_cert(self, name, role):
        out = self.tmp / name
        r = run("vigie-server", "admin-cert", "create", name, "--out", out, "--role", role,
                *self.args(), env={"VIGIE_NOW": str(NOW - 3600)})
        assert r.returncode == 0, r
        return (str(out / f"{name}.pem"), str(out / f"{name}.key"))

    def token(self, uses=100):
        r = run("vigie-server", "token", "create", "--uses", uses, *self.args())
        assert r.returncode == 0, r
        return r.stdout.strip().split()[-1]

    def start(self, now=None):
        self.now = now if now is not None else self.now
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "VIGIE_NOW": str(self.now)}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        logf = open(self.log, "a")
        self.proc = subprocess.Popen([binary("vigie-server"), "serve", *map(str, self.args()),
                                      "--listen", "127.0.0.1:0"], stdout=logf, stderr=logf, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            m = re.findall(r"Listening on port (\d+)", self.log.read_text())
            if m and self.proc.poll() is None:
                self.port = int(m[-1])
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"vigie-server exited:\n{self.log.read_text()}")
            time.sleep(0.02)
        raise RuntimeError(f"vigie-server did not start:\n{self.log.read_text()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.proc = None
        # the next start appends; forget the old port line
        self.log.write_text(self.log.read_text().replace("Listening on port", "Listened on port"))
        if SANITIZE and re.search(r"runtime error:|AddressSanitizer|LeakSanitizer", self.log.read_text()):
            raise AssertionError(f"sanitizer report from vigie-server:\n{self.log.read_text()}")

    def restart(self, now):
        self.stop()
        return self.start(now)

    @property
    def url(self):
        return f"https://localhost:{self.port}"

    def context(self, cert=None):
        ctx = ssl.create_default_context(cafile=self.ca)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if cert:
            ctx.load_cert_chain(*cert)
        return ctx

    def request(self, method, path, body=None, cert="admin"):
        """→ (status, headers, bytes)."""
        c = {"admin": self.admin, "scraper": self.scraper}.get(cert, cert) if cert else None
        conn = http.client.HTTPSConnection("localhost", self.port, context=self.context(c), timeout=60)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def get_json(self, path, status=200, cert="admin"):
        st, _, body = self.request("GET", path, cert=cert)
        assert st == status, (st, body)
        return json.loads(body)

    def ctl(self, *args, env=None):
        cert, key = self.admin
        return run("vigiectl", *args, "--server", self.url, "--cert", cert, "--key", key,
                   "--ca", self.ca, env=env)

    def sql(self, statement, params=()):
        """Direct access to the SQLite database, as an attacker with disk access would."""
        db = sqlite3.connect(self.dir / "vigie.db", timeout=30)
        try:
            cur = db.execute(statement, params)
            rows = cur.fetchall()
            db.commit()
            return rows
        finally:
            db.close()


class Device:
    """A simulated laptop: its own P-256 key, enrolled with a token, signing its reports."""

    def __init__(self, server: FleetServer, hostname, os_id="debian", os_version="12"):
        self.server = server
        self.id = str(uuid.uuid4())
        self.hostname = hostname
        self.os_id, self.os_version = os_id, os_version
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.seq = 0
        self.prev = None
        self.cert_files = None
        self.jws = []

    def enroll(self, token):
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.id)]))
               .sign(self.key, hashes.SHA256()))
        body = json.dumps({"token": token,
                           "csr": csr.public_bytes(serialization.Encoding.PEM).decode()})
        st, _, reply = self.server.request("POST", "/v1/enroll", body=body, cert=None)
        assert st in (200, 201), (st, reply)
        cert_pem = json.loads(reply)["certificate"]
        self.cert = x509.load_pem_x509_certificate(cert_pem.encode())
        d = self.server.tmp / "devices" / self.id
        d.mkdir(parents=True)
        (d / "device.crt").write_text(cert_pem)
        (d / "device.key").write_bytes(self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        self.cert_files = (str(d / "device.crt"), str(d / "device.key"))
        self.kid = hashlib.sha256(self.cert.public_bytes(serialization.Encoding.DER)).hexdigest()
        return self

    def claims(self, statuses, iat):
        checks = [{"id": c, "status": s, "title": c.replace("_", " ").capitalize(),
                   "summary": f"{c} is {s}", "remediation": None if s == "pass" else f"fix {c}",
                   "deadline": None, "evidence": {"sample": c}, "duration_us": 10}
                  for c, s in statuses.items()]
        return {"sub": self.id, "iat": iat, "seq": self.seq + 1, "prev": self.prev,
                "agent": {"version": "0.1.0", "key": "file"},
                "host": {"hostname": self.hostname,
                         "os": {"id": self.os_id, "version_id": self.os_version,
                                "pretty": f"{self.os_id} {self.os_version}"},
                         "kernel": "6.1.0"},
                "policy": {"id": "default", "version": 1},
                "compliant": all(s in ("pass", "warn") for s in statuses.values()),
                "checks": checks}

    def sign(self, claims):
        header = b64url(json.dumps({"alg": "ES256", "typ": "vigie-report+jwt", "kid": self.kid},
                                   separators=(",", ":")).encode())
        payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
        der = self.key.sign(f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{header}.{payload}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def report(self, iat=None, expect=(202,), **statuses):
        statuses = {c: statuses.get(c, "pass") for c in CHECKS} | statuses
        jws = self.sign(self.claims(statuses, iat if iat is not None else self.server.now))
        st, _, body = self.server.request("POST", "/v1/reports", body=jws, cert=self.cert_files)
        assert st in expect, (st, body)
        if st in (200, 202):
            self.seq += 1
            self.prev = hashlib.sha256(jws.encode()).hexdigest()
            self.jws.append(jws)
        return st


def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
