# SPDX-License-Identifier: MIT
"""Helpers for the signed-report tests: certificates made by the openssl command line,
JWS handling with openssl alone (as docs/reports.md shows an auditor), openssl s_server."""
import base64
import hashlib
import json
import socket
import subprocess
import time
import uuid
from pathlib import Path

from server_util import unchunk


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def openssl(*args, input=None, check=True):
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, input=input, check=check)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Ca:
    """A P-256 CA made with openssl req, able to issue server and device certificates."""

    def __init__(self, d: Path, name="Test CA"):
        self.dir = d
        d.mkdir(parents=True, exist_ok=True)
        self.key, self.cert = d / "ca.key", d / "ca.pem"
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", self.key, "-out", self.cert, "-subj", f"/CN={name}", "-days", "2")

    def issue(self, cn: str, key: Path, out: Path, server=False):
        if not key.exists():
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
        csr = out.with_suffix(".csr")
        openssl("req", "-new", "-key", key, "-subj", f"/CN={cn}", "-out", csr)
        ext = self.dir / "ext.cnf"
        ext.write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n" if server
                       else "extendedKeyUsage=clientAuth\n")
        openssl("x509", "-req", "-in", csr, "-CA", self.cert, "-CAkey", self.key, "-CAcreateserial",
                "-out", out, "-days", "1", "-extfile", ext)
        return out


def simulate_enrollment(ca: Ca, state: Path, device_id=None) -> str:
    """What a successful `vigie enroll` leaves behind, without a server."""
    device_id = device_id or str(uuid.uuid4())
    state.mkdir(parents=True, exist_ok=True)
    ca.issue(device_id, state / "device.key", state / "device.crt")
    (state / "ca.pem").write_bytes(ca.cert.read_bytes())  # as `vigie enroll --ca` pins it
    return device_id


def kid_of(cert: Path) -> str:
    der = openssl("x509", "-in", cert, "-outform", "DER").stdout
    return hashlib.sha256(der).hexdigest()


def openssl_verify_jws(jws: str, cert: Path, work: Path) -> bool:
    """ES256 verification with openssl alone: raw R||S → DER with asn1parse -genconf."""
    signing_input, sig = jws.rsplit(".", 1)
    raw = unb64url(sig)
    assert len(raw) == 64
    work.mkdir(parents=True, exist_ok=True)
    (work / "input").write_bytes(signing_input.encode())
    (work / "sig.cnf").write_text(f"asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x{raw[:32].hex()}\n"
                                  f"s=INTEGER:0x{raw[32:].hex()}\n")
    openssl("asn1parse", "-genconf", work / "sig.cnf", "-out", work / "sig.der", "-noout")
    pub = openssl("x509", "-in", cert, "-pubkey", "-noout").stdout
    (work / "pub.pem").write_bytes(pub)
    r = openssl("dgst", "-sha256", "-verify", work / "pub.pem", "-signature", work / "sig.der",
                work / "input", check=False)
    return r.returncode == 0 and b"Verified OK" in r.stdout


def openssl_sign_jws(claims: dict, key: Path, kid: str, work: Path, typ="vigie-report+jwt") -> str:
    """ES256 signing with openssl: DER signature → raw R||S read back with asn1parse."""
    header = {"alg": "ES256", "typ": typ, "kid": kid}
    signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64url(json.dumps(claims, separators=(",", ":")).encode())
    work.mkdir(parents=True, exist_ok=True)
    (work / "input").write_bytes(signing_input.encode())
    openssl("dgst", "-sha256", "-sign", key, "-out", work / "sig.der", work / "input")
    parsed = openssl("asn1parse", "-inform", "DER", "-in", work / "sig.der").stdout.decode()
    ints = [line.rsplit(":", 1)[1] for line in parsed.splitlines() if "INTEGER" in line]
    raw = b"".join(bytes.fromhex(i.rjust(64, "0")) for i in ints)
    assert len(raw) == 64
    return signing_input + "." + b64url(raw)


def sample_claims(device_id: str, seq=1, prev=None) -> dict:
    return {"sub": device_id, "iat": int(time.time()), "seq": seq, "prev": prev,
            "agent": {"version": "0.1.0", "key": "file"},
            "host": {"hostname": "laptop", "os": {"id": "debian", "version_id": "12", "pretty": "Debian"},
                     "kernel": "6.1.0"},
            "policy": {"id": "default", "version": 1}, "compliant": True,
            "checks": [{"id": "backup", "status": "pass", "title": "Backup", "summary": "fresh",
                        "remediation": None, "deadline": None, "evidence": {}, "duration_us": 3}]}


def agent_config(tmp: Path, state: Path, server=None, extra="") -> Path:
    root = tmp / "root"
    root.mkdir(exist_ok=True)
    conf = tmp / "agent.conf"
    text = f"[Agent]\nStateDirectory={state}\nRoot={root}\nCA={tmp / 'no-ca.pem'}\n"
    if server:
        text += f"Server={server}\n"
    conf.write_text(text + "[Transport]\nConnectTimeoutSec=2s\nTimeoutSec=3s\n" + extra)
    return conf


def spool_files(state: Path):
    return sorted((state / "spool").glob("*.jws"))


class SServer:
    """openssl s_server on a random 127.0.0.1 port, requiring a client certificate."""

    def __init__(self, tmp: Path, cert: Path, key: Path, ca: Path, *extra, www: Path = None):
        self.port = free_port()
        self.log = tmp / f"s_server-{self.port}.log"
        args = ["openssl", "s_server", "-accept", f"127.0.0.1:{self.port}", "-cert", str(cert),
                "-key", str(key), "-CAfile", str(ca), "-Verify", "1", "-WWW", *extra]
        self.proc = subprocess.Popen(args, cwd=www or tmp, stdout=open(self.log, "wb"),
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        for _ in range(100):
            if "ACCEPT" in self.log.read_text(errors="replace"):
                break
            time.sleep(0.05)
        self.url = f"https://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class VigieServer:
    """The real vigie-server: init once, serve on a random port, stop and start again."""

    def __init__(self, tmp: Path, run, binary):
        self.dir = tmp / "server"
        self.run = run
        self.binary = binary
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.proc = None
        self.log = tmp / "vigie-server.log"
        r = run("vigie-server", "init", "--dir", self.dir, "--name", "127.0.0.1")
        assert r.returncode == 0, r
        self.ca = self.dir / "ca.pem"

    def token(self, *args) -> str:
        r = self.run("vigie-server", "token", "create", "--dir", self.dir, *args)
        assert r.returncode == 0, r
        return r.stdout.strip()

    def start(self):
        self.proc = subprocess.Popen([self.binary("vigie-server"), "serve", "--dir", str(self.dir),
                                      "--listen", f"127.0.0.1:{self.port}"],
                                     stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    raise AssertionError(f"vigie-server exited: {self.log.read_text()}")
                time.sleep(0.05)
        raise AssertionError("vigie-server did not start listening")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None

    def reports(self, device_id: str):
        """(seq, hash, prev, jws) rows the server stored, in seq order."""
        import sqlite3
        db = sqlite3.connect(f"file:{self.dir / 'vigie.db'}?mode=ro", uri=True)
        try:
            def chunk(h):
                return db.execute("SELECT data FROM report_chunks WHERE hash = ?", (h,)).fetchone()[0]
            return [(seq, h, prev, unchunk(jws, chunk)) for seq, h, prev, jws in db.execute(
                "SELECT seq, hash, prev, jws FROM reports WHERE device_id = ? ORDER BY seq", (device_id,))]
        finally:
            db.close()

    def device_flag(self, device_id: str):
        import sqlite3
        db = sqlite3.connect(f"file:{self.dir / 'vigie.db'}?mode=ro", uri=True)
        try:
            return db.execute("SELECT flag_reason FROM devices WHERE id = ?", (device_id,)).fetchone()
        finally:
            db.close()
