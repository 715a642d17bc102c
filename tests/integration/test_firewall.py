# SPDX-License-Identifier: MIT
"""firewall against real rulesets: each test creates a network namespace, loads a ruleset
with `nft -f` and runs `vigie check` inside it (`ip netns exec`), so the check reads that
namespace's ruleset through netlink like it reads the laptop's."""
import json
import os
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from conftest import FIXTURES, SANITIZE, SRC, binary, require_netns
from unit_sandbox import sandbox_argv, supported

RULESETS = FIXTURES / "firewall"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")


@pytest.fixture
def netns():
    require_netns()
    name = f"vigie-fw-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    yield name
    subprocess.run(["ip", "netns", "del", name], check=False)


def load(ns, ruleset):
    subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", str(RULESETS / ruleset)], check=True)


def run_check(ns, tmp_path, policy=None, wrap=(), state=False, env=None):
    """The check's result and what it wrote on stderr; state: with the state directory
    (tmp_path), where the ruleset is kept between runs."""
    conf = tmp_path / "agent.conf"
    conf.write_text(f"[Agent]\nStateDirectory={tmp_path}\n")
    args = ["ip", "netns", "exec", ns, *wrap, binary("vigie"), "check", "--json", "--config", str(conf),
            *([] if state else ["--no-state"]), "--only", "firewall"]
    if policy is not None:
        p = tmp_path / "policy.json"
        p.write_text(json.dumps({"checks": {"firewall": policy}}))
        args += ["--policy", str(p)]
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "LANG": "C.UTF-8", **(env or {})}
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    if SANITIZE:
        assert "runtime error:" not in proc.stderr and "Sanitizer" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    [res] = json.loads(proc.stdout)["checks"]
    assert res["id"] == "firewall" and res["title"] == "Firewall"
    return res, proc.stderr


def check(ns, tmp_path, policy=None, wrap=()):
    return run_check(ns, tmp_path, policy, wrap)[0]


def test_empty_ruleset_fails(netns, tmp_path):
    res = check(netns, tmp_path)
    assert res["status"] == "fail" and res["summary"] == "No firewall filters inbound traffic."
    assert "ufw enable" in res["remediation"]
    assert res["evidence"] == {"input_chains": [], "inbound_default_deny": {"ipv4": False, "ipv6": False},
                               "open_ports": [], "managers": []}


def test_drop_policy_and_open_ports(netns, tmp_path):
    load(netns, "inet-drop.nft")
    res = check(netns, tmp_path, {"allowed_inbound_ports": ["22/tcp", "443/tcp", "8080/tcp", "60000-65535/udp"]})
    assert res["status"] == "pass", res
    ev = res["evidence"]
    assert ev["input_chains"] == [{"family": "inet", "table": "filter", "name": "input", "policy": "drop",
                                   "default_deny": True}]
    # the jumped chain's port counts; the forward chain does not
    assert ev["open_ports"] == ["22/tcp", "443/tcp", "60000-61000/udp", "8080/tcp"]
    assert res["summary"] == "Inbound traffic is dropped unless allowed; open: 22/tcp, 443/tcp, 60000-61000/udp, 8080/tcp."


def test_kept_ruleset_follows_the_generation(netns, tmp_path):
    """With a state directory the listed ruleset is kept under the kernel's ruleset
    generation: the next run reads it without loading libnftables, and any change to the
    ruleset is listed at once, as is a kept file damaged in place."""
    kept = tmp_path / "cache" / "nft-ruleset"
    loads_libnftables = lambda stderr: "libnftables.so" in stderr  # noqa: E731
    same = lambda a, b: {**a, "duration_us": 0} == {**b, "duration_us": 0}  # noqa: E731
    load(netns, "inet-drop.nft")
    first, err = run_check(netns, tmp_path, state=True, env={"LD_DEBUG": "libs"})
    assert loads_libnftables(err)
    assert first["evidence"]["open_ports"] == ["22/tcp", "443/tcp", "60000-61000/udp", "8080/tcp"]
    head = kept.read_bytes().split(b"\n", 3)
    assert head[0] == b"vigie nft-ruleset 1" and b" generation " in head[1] and int(head[2]) == len(head[3])
    again, err = run_check(netns, tmp_path, state=True, env={"LD_DEBUG": "libs"})
    assert not loads_libnftables(err) and same(again, first)

    # one rule more: a new generation, listed
    subprocess.run(["ip", "netns", "exec", netns, "nft", "add", "rule", "inet", "filter", "extra", "tcp", "dport",
                    "9999", "accept"], check=True)
    changed, err = run_check(netns, tmp_path, state=True, env={"LD_DEBUG": "libs"})
    assert loads_libnftables(err)
    assert changed["evidence"]["open_ports"] == ["22/tcp", "443/tcp", "60000-61000/udp", "8080/tcp", "9999/tcp"]
    assert kept.read_bytes().split(b"\n", 2)[1] != head[1]

    # the same size, not a ruleset any more: listed over, not reported
    data = kept.read_bytes()
    cut = data.index(b"{")
    kept.write_bytes(data[:cut] + b"x" * (len(data) - cut))
    damaged, err = run_check(netns, tmp_path, state=True, env={"LD_DEBUG": "libs"})
    assert loads_libnftables(err) and same(damaged, changed)


def test_kept_ruleset_is_the_namespaces_own(netns, tmp_path):
    """Two namespaces whose rulesets have the same generation (each fresh, one `nft -f`)
    never share the kept one: the key names the namespace."""
    kept = tmp_path / "cache" / "nft-ruleset"
    generation = lambda: kept.read_bytes().split(b"\n")[1].rsplit(b" ", 1)[1]  # noqa: E731
    load(netns, "inet-drop.nft")
    first, _ = run_check(netns, tmp_path, state=True)
    first_generation = generation()
    other = f"vigie-fw-{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", other], check=True)
    try:
        load(other, "ipv4-only.nft")
        res, _ = run_check(other, tmp_path, state=True)
        assert generation() == first_generation  # the same number: only the namespace differs
    finally:
        subprocess.run(["ip", "netns", "del", other], check=False)
    assert first["evidence"]["input_chains"][0]["family"] == "inet"
    assert [c["family"] for c in res["evidence"]["input_chains"]] == ["ip"], res


def test_ports_beyond_the_policy_fail(netns, tmp_path):
    load(netns, "inet-drop.nft")
    res = check(netns, tmp_path, {"allowed_inbound_ports": ["22/tcp", "60000-60999/udp"]})
    assert res["status"] == "fail"
    assert res["summary"] == "Open to inbound connections beyond the policy: 443/tcp, 60000-61000/udp, 8080/tcp."
    # by default no port may be open
    assert check(netns, tmp_path)["status"] == "fail"


def test_firewalld_final_reject(netns, tmp_path):
    load(netns, "firewalld.nft")
    res = check(netns, tmp_path, {"allowed_inbound_ports": ["22/tcp", "546/udp"]})
    assert res["status"] == "pass", res
    ev = res["evidence"]
    assert ev["managers"] == ["firewalld"]
    assert ev["input_chains"][0]["policy"] == "accept" and ev["input_chains"][0]["default_deny"] is True
    assert ev["open_ports"] == ["22/tcp", "546/udp"]


def test_ufw_ip_and_ip6(netns, tmp_path):
    load(netns, "ufw.nft")
    res = check(netns, tmp_path, {"allowed_inbound_ports": ["22/tcp"]})
    assert res["status"] == "pass", res
    assert res["evidence"]["managers"] == ["ufw"]
    assert res["evidence"]["inbound_default_deny"] == {"ipv4": True, "ipv6": True}


def test_ipv4_only_leaves_ipv6_open(netns, tmp_path):
    load(netns, "ipv4-only.nft")
    res = check(netns, tmp_path)
    assert res["status"] == "fail" and res["summary"] == "Inbound IPv6 traffic is accepted unless a rule drops it."
    # the policy may not ask for it
    assert check(netns, tmp_path, {"require_inbound_default_deny": False})["status"] == "pass"


def test_unconditional_accept_voids_the_drop_policy(netns, tmp_path):
    load(netns, "accept-all-first.nft")
    res = check(netns, tmp_path)
    assert res["status"] == "fail" and res["evidence"]["input_chains"][0]["default_deny"] is False


def test_without_privileges_unknown(netns, tmp_path):
    """Without CAP_NET_ADMIN netlink refuses the listing: unknown, never pass."""
    load(netns, "inet-drop.nft")
    with tempfile.TemporaryDirectory() as d:  # pytest's tmp_path is not readable by nobody
        os.chmod(d, 0o755)
        conf = Path(d) / "agent.conf"
        conf.write_text(f"[Agent]\nStateDirectory={d}\n")
        conf.chmod(0o644)
        proc = subprocess.run(["ip", "netns", "exec", netns, "setpriv", "--reuid=65534", "--regid=65534",
                               "--clear-groups", binary("vigie"), "check", "--json", "--config", str(conf),
                               "--no-state", "--only", "firewall"], capture_output=True, text=True, timeout=60)
    [res] = json.loads(proc.stdout)["checks"]
    assert res["status"] == "unknown" and "Cannot read the nftables ruleset" in res["summary"], res
    assert res["evidence"]["cause"] == "missing_cap_net_admin" and "CAP_NET_ADMIN" in res["summary"], res


AGENT_UNIT = (SRC / "systemd/vigie-agent.service.in").read_text()
needs_seccomp = pytest.mark.skipif(not supported(), reason="the socket() filter knows x86_64 and aarch64")


@needs_seccomp
def test_under_the_shipped_unit_the_ruleset_is_read(netns, tmp_path):
    """With exactly the capabilities and address families vigie-agent.service grants."""
    load(netns, "inet-drop.nft")
    policy = {"allowed_inbound_ports": ["22/tcp", "443/tcp", "8080/tcp", "60000-65535/udp"]}
    res = check(netns, tmp_path, policy, wrap=sandbox_argv(AGENT_UNIT))
    assert res["status"] == "pass" and res["evidence"]["input_chains"], res
    # with the state directory: kept, then read back without libnftables
    for loaded in (True, False):
        res, err = run_check(netns, tmp_path, policy, wrap=sandbox_argv(AGENT_UNIT), state=True,
                             env={"LD_DEBUG": "libs"})
        assert res["status"] == "pass" and ("libnftables.so" in err) == loaded, res


@needs_seccomp
@pytest.mark.parametrize("taken, cause, words", [
    ({"drop_caps": ("CAP_NET_ADMIN",)}, "missing_cap_net_admin", "lacks the CAP_NET_ADMIN capability"),
    # libnftables would end the process without a netlink socket: the check asks first
    ({"drop_families": ("AF_NETLINK",)}, "no_netlink_socket", "needs AF_NETLINK"),
])
def test_the_unit_without_what_it_grants_says_which(netns, tmp_path, taken, cause, words):
    load(netns, "inet-drop.nft")
    res = check(netns, tmp_path, wrap=sandbox_argv(AGENT_UNIT, **taken))
    assert res["status"] == "unknown" and res["evidence"]["cause"] == cause and words in res["summary"], res
    # a ruleset kept while the agent could read it is not reported once it cannot: the
    # generation that would vouch for it cannot be read either
    assert run_check(netns, tmp_path, state=True)[0]["status"] == "fail"
    res, _ = run_check(netns, tmp_path, wrap=sandbox_argv(AGENT_UNIT, **taken), state=True)
    assert res["status"] == "unknown" and res["evidence"]["cause"] == cause, res
