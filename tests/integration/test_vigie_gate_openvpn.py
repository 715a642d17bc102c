# SPDX-License-Identifier: MIT
"""vigie-gate with a real OpenVPN 2.6: the server (in this namespace, on a veth the test
creates) runs vigie-gate as its auth-user-pass-verify script against a real vigie-server;
laptops connect from a network namespace the test creates with their Vigie device
certificate and key, as docs/enforcement.md configures them. The compliant laptop's
tunnel comes up; the non-compliant one is refused with the reason in its own log."""
import json
import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BIN, SRC, require_netns
from fleet_util import Device, FleetServer
from server_util import free_port

OPENVPN = shutil.which("openvpn") or "/usr/sbin/openvpn"

pytestmark = pytest.mark.skipif(
    not Path(OPENVPN).exists() or not Path("/dev/net/tun").exists() or os.geteuid() != 0,
    reason="needs openvpn (packaging/deps.sh), /dev/net/tun and root for ip netns")


def sh(*args):
    subprocess.run([str(a) for a in args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def net():
    """A namespace for the laptops, joined to this one by a veth pair on a random /30."""
    require_netns()
    tag = f"{os.getpid() % 10000}{random.randrange(100)}"
    ns, host, peer = f"vgc{tag}", f"vgh{tag}", f"vgp{tag}"
    a, b = random.randrange(100, 250), random.randrange(1, 250)
    sh("ip", "netns", "add", ns)
    try:
        sh("ip", "link", "add", host, "type", "veth", "peer", "name", peer)
        sh("ip", "link", "set", peer, "netns", ns)
        sh("ip", "addr", "add", f"10.{a}.{b}.1/30", "dev", host)
        sh("ip", "link", "set", host, "up")
        sh("ip", "-n", ns, "addr", "add", f"10.{a}.{b}.2/30", "dev", peer)
        sh("ip", "-n", ns, "link", "set", peer, "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        yield {"ns": ns, "server_ip": f"10.{a}.{b}.1", "pool": f"10.{a}.{(b + 1) % 250}.0", "tag": tag}
    finally:
        subprocess.run(["ip", "link", "del", host], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def example(name, subs):
    """A shipped example (packaging/examples/) with this test's paths and addresses."""
    text = (SRC / "packaging" / "examples" / name).read_text()
    for a, b in subs.items():
        assert a in text, a
        text = text.replace(a, str(b))
    return text


def vpn_server_cert(tmp):
    """The VPN server's own identity, from a CA of its own (laptops pin it)."""
    for args in (
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
         "-keyout", tmp / "vpn-ca.key", "-out", tmp / "vpn-ca.pem", "-subj", "/CN=Test VPN CA"],
        ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", tmp / "vpn.key", "-out", tmp / "vpn.csr", "-subj", "/CN=vpn.test"],
    ):
        sh("openssl", *args)
    (tmp / "ext").write_text("extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n")
    sh("openssl", "x509", "-req", "-in", tmp / "vpn.csr", "-CA", tmp / "vpn-ca.pem", "-CAkey", tmp / "vpn-ca.key",
       "-CAcreateserial", "-days", "2", "-extfile", tmp / "ext", "-out", tmp / "vpn.pem")


@pytest.fixture(scope="module")
def vpn(tmp_path_factory, net):
    tmp = tmp_path_factory.mktemp("openvpn")
    srv = FleetServer(tmp)
    gw_cert, gw_key = srv.admin_cert("vpn-gw", role="gateway")
    (tmp / "policy.json").write_text(json.dumps({"version": 2, "enforcement": {"mode": "block"}}))
    assert srv.cli("policy", "set", tmp / "policy.json").returncode == 0
    srv.start()
    proc = None
    try:
        token = srv.token()
        devs = {n: Device(srv, n).enroll(token) for n in ("good", "bad")}
        devs["good"].send()
        devs["bad"].send(disk_encryption="fail")
        vpn_server_cert(tmp)
        (tmp / "ovpn-tmp").mkdir()
        port = free_port()
        (tmp / "gate.conf").write_text(example("gate.conf", {
            "https://vigie.example.com:8443": f"https://localhost:{srv.port}",
            "/etc/openvpn/vigie/ca.pem": srv.ca, "/etc/openvpn/vigie/vpn-gw.pem": gw_cert,
            "/etc/openvpn/vigie/vpn-gw.key": gw_key}))
        gate = f"{BIN / 'vigie-gate'} -v --config {tmp / 'gate.conf'}"
        conf = tmp / "server.conf"
        conf.write_text(f"""\
# the docs/enforcement.md server settings, with this test's paths
server {net['pool']} 255.255.255.0
topology subnet
proto udp
local {net['server_ip']}
port {port}
dev vgt{net['tag']}
dev-type tun
ifconfig-noexec
disable-dco
ca {srv.ca}
cert {tmp / 'vpn.pem'}
key {tmp / 'vpn.key'}
dh none
script-security 2
auth-user-pass-optional
auth-user-pass-verify "{gate}" via-file
tmp-dir {tmp / 'ovpn-tmp'}
verb 3
""")
        log = tmp / "server.log"
        proc = subprocess.Popen([OPENVPN, "--config", conf], stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while "Initialization Sequence Completed" not in log.read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield tmp, srv, devs, net, port, log
    finally:
        if proc:
            proc.terminate()
            proc.wait(20)
        srv.stop()


def connect(vpn, dev):
    """The laptop's OpenVPN client (the documented config), in the laptops' namespace;
    → (came up, its log)."""
    tmp, srv, devs, net, port, _ = vpn
    conf = tmp / f"client-{dev.hostname}.conf"
    conf.write_text(example("openvpn-laptop.conf", {
        "remote vpn.example.com 1194": f"remote {net['server_ip']} {port}",
        "/etc/openvpn/vpn-ca.pem": tmp / "vpn-ca.pem",
        "verify-x509-name vpn.example.com": "verify-x509-name vpn.test",
        "/var/lib/vigie/device.crt": dev.cert_path, "/var/lib/vigie/device.key": dev.key_path,
    }) + "disable-dco\nconnect-retry-max 1\nverb 3\n")
    log = tmp / f"client-{dev.hostname}.log"
    proc = subprocess.Popen(["ip", "netns", "exec", net["ns"], OPENVPN, "--config", conf],
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 40
    try:
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace")
            if "Initialization Sequence Completed" in text:
                addr = subprocess.run(["ip", "-n", net["ns"], "-4", "addr", "show", "dev", "tun0"],
                                      capture_output=True, text=True).stdout
                return True, text, addr
            if proc.poll() is not None:
                return False, text, ""
            time.sleep(0.1)
        return False, log.read_text(errors="replace"), ""
    finally:
        proc.terminate()
        proc.wait(20)


def test_compliant_laptop_tunnel_comes_up(vpn):
    tmp, srv, devs, net, port, server_log = vpn
    up, log, addr = connect(vpn, devs["good"])
    assert up, log + server_log.read_text()
    assert f"inet {net['pool'][:-1]}" in addr, addr  # an address from the VPN's pool
    assert f"{devs['good'].id}: let in (allowed)" in server_log.read_text()


def test_noncompliant_laptop_refused_with_reason(vpn):
    tmp, srv, devs, net, port, server_log = vpn
    up, log, _ = connect(vpn, devs["bad"])
    assert not up, log
    assert "AUTH_FAILED,Vigie: disk_encryption: disk_encryption is fail. Run \"vigie check\" on this laptop to fix it" \
        in log, log
    assert f"{devs['bad'].id}: refused: Vigie: disk_encryption" in server_log.read_text()


def test_vigie_gate_ran_clean(vpn):
    """vigie-gate's stderr lands in OpenVPN's log: so do sanitizer reports (make SANITIZE=1)."""
    text = vpn[-1].read_text()
    assert "vigie-gate:" in text
    assert "runtime error:" not in text and "Sanitizer" not in text, text
