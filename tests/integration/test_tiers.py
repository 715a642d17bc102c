# SPDX-License-Identifier: MIT
"""The tiers of DESIGN.md (Layout), as the linker sees them: vigiectl, an operator tool,
links common/ and the fleet API's types, never agent code (the TLS client and key loading
live in common/ for both)."""
import subprocess

from conftest import binary

# One symbol per agent module that an operator tool must not carry.
AGENT_SYMBOLS = ("check_registry", "checks_run", "identity_load", "enroll_device", "spool_open",
                 "backup_sources_from_config")


def defined_symbols(path):
    out = subprocess.run(["nm", "--defined-only", path], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def test_vigiectl_links_no_agent_code():
    syms = defined_symbols(binary("vigiectl"))
    assert "transport_request" in syms and "pki_load_key" in syms  # the shared TLS client
    assert not syms & set(AGENT_SYMBOLS), sorted(syms & set(AGENT_SYMBOLS))


def test_the_agent_links_the_checks():
    """The same probe finds them where they belong (so the test above can fail)."""
    syms = defined_symbols(binary("vigie"))
    assert {"check_registry", "checks_run", "identity_load"} <= syms
