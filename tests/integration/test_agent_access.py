# SPDX-License-Identifier: MIT
"""The employee knows first: the running agent asks the real server for its own posture
each cycle and puts it in status.json ("access"), and `vigie status` says when access
will be blocked (grace) or that it is, in English and French."""
import json
import signal

from agent_util import wait_for
from conftest import BUILD, lang_env
from test_agent_daemon import TRANSPORT, fleet  # noqa: F401 (the fixture)




def set_policy(srv, tmp_path, enforcement):
    p = tmp_path / "policy.json"
    # a published version is never republished with other content: each change is a new one
    srv.policy_version = getattr(srv, "policy_version", 2) + 1
    p.write_text(json.dumps({"policy_id": "acme", "version": srv.policy_version, "enforcement": enforcement}))
    r = srv.cli("policy", "set", p)
    assert r.returncode == 0, r


def access_after_next_cycle(a, state):
    a.signal(signal.SIGUSR1)
    wait_for(lambda: (a.status().get("access") or {}).get("state") == state,
             what=f"access {state} in status.json")
    return a.status()["access"]


def test_access_in_status_and_vigie_status(fleet, tmp_path, vigie, fr_locale):  # noqa: F811
    srv, relay, a = fleet
    a.write_conf("RetryMinSec=1\n" + TRANSPORT)
    a.start()
    wait_for(lambda: a.status() and "access" in a.status(), what="access in status.json")
    st = a.status()
    # this machine's disk is not encrypted as the default policy wants: noncompliant, but
    # the default policy only monitors
    assert st["compliant"] is False, st["checks"]
    assert st["access"]["state"] == "allowed" and st["access"]["grace_until"] is None
    assert set(st["access"]) == {"state", "grace_until", "reason", "checked_at"}
    r = vigie("status", "--config", a.conf)
    assert "Access to company resources" not in r.stdout

    set_policy(srv, tmp_path, {"mode": "warn_then_block", "grace_hours": 48})
    acc = access_after_next_cycle(a, "grace")
    assert acc["state"] == "grace" and acc["grace_until"] and acc["reason"], acc
    r = vigie("status", "--config", a.conf)
    assert f"Access to company resources will be blocked at {acc['grace_until']} unless this is fixed: " \
           f"{acc['reason']}" in r.stdout, r
    r = vigie("status", "--config", a.conf, env={**lang_env(fr_locale), "VIGIE_LOCALEDIR": str(BUILD / "locale")})
    assert f"L'accès aux ressources de l'entreprise sera bloqué le {acc['grace_until']}" in r.stdout, r

    set_policy(srv, tmp_path, {"mode": "block"})
    acc = access_after_next_cycle(a, "blocked")
    assert acc["state"] == "blocked" and acc["grace_until"] is None
    r = vigie("status", "--config", a.conf)
    assert f"Access to company resources is blocked: {acc['reason']}" in r.stdout, r
    r = vigie("status", "--config", a.conf, env={**lang_env(fr_locale), "VIGIE_LOCALEDIR": str(BUILD / "locale")})
    assert f"L'accès aux ressources de l'entreprise est bloqué\u00a0: {acc['reason']}" in r.stdout, r
