# SPDX-License-Identifier: MIT
"""Fleet test helpers on top of server_util: a server whose clock (VIGIE_NOW) tests move
by restarting it, an admin and a scraper certificate, vigiectl bound to the server, and
simulated devices with a hostname, an OS and chosen check statuses, sending reports they
really sign (ES256)."""
import hashlib
import http.client
import json
import re
import sqlite3
import ssl
import time

from conftest import run
from server_util import Device as AgentDevice
from server_util import Postgres, VigieServer  # noqa: F401 (re-exported for the tests)

# Near the real time: TLS checks certificates against the real clock, so tests move the
# server's clock forward by hours, not by months.
NOW = int(time.time()) // 60 * 60
CHECKS = ("disk_encryption", "patch_level", "backup")


class FleetServer(VigieServer):
    def __init__(self, tmp, db=None, conf=None):
        super().__init__(tmp, conf=conf, db=db, env={"VIGIE_NOW": str(NOW - 3600)})
        self.init()
        self.admin = self.admin_cert("alice")
        self.scraper = self.admin_cert("prom", role="scraper")
        self.now = NOW

    def start(self, now=None):
        self.now = now if now is not None else self.now
        self.env["VIGIE_NOW"] = str(self.now)
        return super().start()

    def restart(self, now):
        self.stop()
        return self.start(now)

    @classmethod
    def on_backend(cls, request, tmp, conf=None):
        """A FleetServer on a parametrized fixture's backend (request.param: "sqlite", or
        "postgres": a real cluster started here and stopped at the fixture's teardown)."""
        pg = None
        if request.param == "postgres":
            pg = Postgres(tmp).start()
            request.addfinalizer(pg.stop)
        return cls(tmp, db=pg.url if pg else None, conf=conf)

    def token(self, uses=100):
        return super().token(uses=uses)

    @property
    def url(self):
        return f"https://localhost:{self.port}"

    def args(self):
        return ["--dir", self.dir] + (["--db", self.db] if self.db else [])

    def request(self, method, path, body=None, cert="admin"):
        """→ (status, headers, raw body bytes): the export is not JSON."""
        c = {"admin": self.admin, "scraper": self.scraper}.get(cert, cert) if cert else None
        ctx = ssl.create_default_context(cafile=str(self.ca))
        if c:
            ctx.load_cert_chain(*c)
        conn = http.client.HTTPSConnection("localhost", self.port, context=ctx, timeout=60)
        try:
            conn.request(method, path, body=body)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def get_json(self, path, status=200, cert="admin"):
        st, _, body = self.request("GET", path, cert=cert)
        assert st == status, (st, body)
        return json.loads(body)

    def write(self, statement, *params):
        """Changes the database behind the server's back, as someone with disk access
        could ($1-style parameters)."""
        if self.db and self.db.startswith("postgres:"):
            return self.sql(statement, *params)  # psql commits
        con = sqlite3.connect(self.dir / "vigie.db", timeout=30)
        try:
            con.execute(re.sub(r"\$(\d+)", r"?\1", statement), params)
            con.commit()
        finally:
            con.close()

    def ctl(self, *args, env=None):
        cert, key = self.admin
        return run("vigiectl", *args, "--server", self.url, "--cert", cert, "--key", key,
                   "--ca", self.ca, env=env)


class Device(AgentDevice):
    """A simulated laptop: hostname, OS, and the check statuses of each report."""

    def __init__(self, srv, hostname, os_id="debian", os_version="12"):
        super().__init__(srv)
        self.hostname, self.os_id, self.os_version = hostname, os_id, os_version
        self.jws = []

    def enroll(self, token):
        st, body = super().enroll(token)
        assert st in (200, 201), (st, body)
        return self

    @property
    def cert_files(self):
        return (self.cert_path, self.key_path)

    def send(self, iat=None, expect=(202,), evidence=None, deadlines=None, summaries=None, omit=(),
             compliant=None, **statuses):
        """Signs and posts the next report; statuses default to pass; evidence, deadlines
        and summaries map a check id to its own; omit leaves checks out of the report
        (then say whether it is compliant)."""
        statuses = {c: statuses.get(c, "pass") for c in CHECKS if c not in omit} | statuses
        checks = [{"id": c, "status": s, "title": c.replace("_", " ").capitalize(),
                   "summary": (summaries or {}).get(c, f"{c} is {s}"), "remediation": None if s == "pass" else f"fix {c}",
                   "deadline": (deadlines or {}).get(c),
                   "evidence": (evidence or {}).get(c, {"sample": c}), "duration_us": 10}
                  for c, s in statuses.items()]
        claims = self.claims(iat=iat if iat is not None else self.srv.now, checks=checks,
                             compliant=all(s in ("pass", "warn") for s in statuses.values())
                             if compliant is None else compliant)
        claims["host"] = {"hostname": self.hostname, "kernel": "6.1.0",
                          "os": {"id": self.os_id, "version_id": self.os_version,
                                 "pretty": f"{self.os_id} {self.os_version}"}}
        jws = self.sign(claims)
        st, body = self.post(jws)
        assert st in expect, (st, body)
        if st in (200, 202):
            self.seq = claims["seq"]
            self.prev = hashlib.sha256(jws.encode()).hexdigest()
            self.jws.append(jws)
        return st


def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
