# SPDX-License-Identifier: MIT
"""A real nginx (Debian's package) with the shipped packaging/examples/nginx-vigie.conf:
it terminates mTLS with the Vigie CA and asks a real vigie-server through auth_request.
A compliant laptop's curl gets the upstream page, one past its grace gets 403 with the
reason, one in its grace gets through with the warning header."""
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import SRC
from fleet_util import NOW, Device, FleetServer, stamp
from server_util import free_port

HOUR = 3600
T1 = NOW - 30 * HOUR
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (packaging/deps.sh)")


def nginx_conf(tmp, srv, gateway, port, upstream):
    """The shipped example, with this test's paths and ports, inside a minimal http{}."""
    example = (SRC / "packaging" / "examples" / "nginx-vigie.conf").read_text()
    gw_cert, gw_key = gateway
    subs = {
        "listen 443 ssl;": f"listen 127.0.0.1:{port} ssl;",
        "/etc/nginx/tls/app.example.com.pem": str(tmp / "app.pem"),
        "/etc/nginx/tls/app.example.com.key": str(tmp / "app.key"),
        "/etc/nginx/vigie/ca.pem": str(srv.ca),
        "/etc/nginx/vigie/nginx-app.pem": gw_cert,
        "/etc/nginx/vigie/nginx-app.key": gw_key,
        "server vigie.example.com:8443;": f"server 127.0.0.1:{srv.port};",
        "proxy_ssl_name vigie.example.com;": "proxy_ssl_name localhost;",
        "http://127.0.0.1:8080": f"http://127.0.0.1:{upstream}",
    }
    for a, b in subs.items():
        assert a in example, a
        example = example.replace(a, b)
    return f"""
daemon off;
user root;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{upstream};
        location / {{ default_type text/plain; return 200 "hello from the app, $http_x_vigie_device\\n"; }}
    }}
{example}
}}
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nginx")
    srv = FleetServer(tmp)
    gateway = srv.admin_cert("nginx-app", role="gateway")
    p = tmp / "policy.json"
    p.write_text(json.dumps({"version": 2, "enforcement": {"mode": "warn_then_block", "grace_hours": 24}}))
    assert srv.cli("policy", "set", p).returncode == 0
    srv.start(now=T1)
    proc = None
    try:
        token = srv.token()
        devs = {n: Device(srv, n).enroll(token) for n in ("good", "late", "fresh")}
        devs["late"].send(disk_encryption="fail")      # failing since T1: past the grace at T1 + 25 h
        srv.restart(T1 + 25 * HOUR)
        devs["good"].send()
        devs["late"].send(disk_encryption="fail")
        devs["fresh"].send(backup="fail")              # failing since now: in its grace
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", tmp / "app.key", "-out", tmp / "app.pem", "-days", "2",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                       check=True, capture_output=True)
        port, upstream = free_port(), free_port()
        conf = tmp / "nginx.conf"
        conf.write_text(nginx_conf(tmp, srv, gateway, port, upstream))
        r = subprocess.run([NGINX, "-t", "-c", conf, "-p", tmp], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        proc = subprocess.Popen([NGINX, "-c", conf, "-p", tmp], stderr=open(tmp / "nginx.stderr", "wb"))
        deadline = time.monotonic() + 20
        while not (tmp / "nginx.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield tmp, srv, devs, port
    finally:
        if proc:
            proc.terminate()
            proc.wait(20)
        srv.stop()


def curl(tmp, port, dev=None):
    args = ["curl", "-sS", "-i", "--cacert", str(tmp / "app.pem"), f"https://localhost:{port}/"]
    if dev:
        args += ["--cert", dev.cert_path, "--key", dev.key_path]
    for _ in range(50):  # nginx may still be binding
        r = subprocess.run(args, capture_output=True, text=True, timeout=30)
        if r.returncode != 7:
            break
        time.sleep(0.1)
    head, _, body = r.stdout.replace("\r\n", "\n").partition("\n\n")
    status = int(head.split()[1]) if head else 0
    headers = {k.strip().lower(): v.strip() for k, v in
               (line.split(":", 1) for line in head.splitlines()[1:] if ":" in line)}
    return status, headers, body, r


def test_compliant_laptop_reaches_the_app(setup):
    tmp, srv, devs, port = setup
    st, h, body, r = curl(tmp, port, devs["good"])
    assert st == 200, (r, (tmp / "error.log").read_text())
    assert body == f"hello from the app, {devs['good'].id}\n"
    assert "x-vigie-warning" not in h


def test_past_grace_gets_403_with_reason(setup):
    tmp, srv, devs, port = setup
    st, h, body, r = curl(tmp, port, devs["late"])
    assert st == 403, r
    assert body.startswith("Access blocked by Vigie: disk_encryption: disk_encryption is fail\n"), body
    assert "vigie check" in body
    assert "hello from the app" not in body


def test_in_grace_gets_through_with_warning(setup):
    tmp, srv, devs, port = setup
    st, h, body, r = curl(tmp, port, devs["fresh"])
    assert st == 200, r
    assert body.startswith("hello from the app")
    until = stamp(T1 + 25 * HOUR + 24 * HOUR)
    assert h["x-vigie-warning"] == f"access will be blocked at {until} unless fixed: backup: backup is fail"


def test_without_a_device_certificate_nginx_refuses(setup):
    tmp, srv, devs, port = setup
    st, _, body, r = curl(tmp, port)
    assert st == 400, r  # nginx: "No required SSL certificate was sent"
