# SPDX-License-Identifier: MIT
"""The tiers of DESIGN.md (Layout), as the compiler and the linker see them: vigiectl, an
operator tool, links common/ and the fleet API's types, never agent code (the TLS client and
key loading live in common/ for both); the store knows SQL, not HTTP or query strings; the
report pipeline is written once (agent/reporter.c) for the daemon's cycle and `vigie report`."""
import re
import subprocess

from conftest import BUILD, SRC, binary

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


def object_file(source):
    path = BUILD / "obj" / source.replace(".c", ".o")
    assert path.exists(), f"{path} is not built; run make first"
    return path


def header_dependencies(source):
    """Every header the compiler read for a source file (its -MMD dependency file)."""
    text = object_file(source).with_suffix(".d").read_text().replace("\\\n", " ")
    first_rule = text.split("\n\n")[0]
    return {p.rsplit("/", 1)[-1] for p in first_rule.split(":", 1)[1].split() if p.endswith(".h")}


def undefined_symbols(source):
    out = subprocess.run(["nm", "--undefined-only", str(object_file(source))], capture_output=True, text=True,
                         check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


STORE_SOURCES = sorted(str(p.relative_to(SRC)) for p in (SRC / "server").glob("store*.c"))
# The API layer's headers: the HTTP query types and the HTTP server.
HTTP_HEADERS = {"fleet-query.h", "http.h", "routes.h", "server.h"}


def test_the_store_knows_no_http_type():
    assert "server/store-fleet.c" in STORE_SOURCES and "server/store-postgres.c" in STORE_SOURCES
    for source in STORE_SOURCES:
        leaked = header_dependencies(source) & HTTP_HEADERS
        assert not leaked, f"{source} includes {sorted(leaked)}: give the store its own types (fleet-filter.h)"
        assert not any(s.startswith(("fleet_query_", "evhttp_")) for s in undefined_symbols(source)), source


def test_the_api_layer_is_where_the_query_type_is():
    """The same probes find the query type where it belongs (so the test above can fail)."""
    assert "fleet-query.h" in header_dependencies("server/api-fleet.c")
    assert "fleet_query_filter" in undefined_symbols("server/api-fleet.c")


# The steps of a report: only reporter.c calls them.
PIPELINE_STEPS = {"reporter_fetch_policy", "reporter_load_policy", "reporter_build", "reporter_flush", "checks_run",
                  "jws_sign", "spool_append", "transport_request"}


def test_one_report_pipeline():
    for source in ("agent/agent-cycle.c", "agent/verb-report.c"):
        calls = undefined_symbols(source)
        assert "reporter_run" in calls, source
        assert not calls & PIPELINE_STEPS, f"{source} runs {sorted(calls & PIPELINE_STEPS)} itself: use reporter_run()"
    assert {"checks_run", "spool_append", "jws_sign"} <= undefined_symbols("agent/reporter.c")  # the probe works


def test_store_statement_ids_are_unique():
    """A store module's statement ids (`enum { Q_X = N, Q_Y, … }`) key the prepared-statement
    cache of a connection: two modules sharing an id would run each other's SQL."""
    owner = {}
    for path in sorted((SRC / "server").glob("store*.c")):
        for body in re.findall(r"enum\s*{([^}]*)}", path.read_text()):
            names = re.findall(r"^\s*(Q_[A-Z0-9_]+)(?:\s*=\s*(\d+))?\s*,", body, re.M)
            if not names:
                continue
            first = int(names[0][1] or 0)
            for i, (name, explicit) in enumerate(names):
                sid = int(explicit) if explicit else first + i
                assert sid not in owner, f"statement id {sid}: {name} ({path.name}) and {owner[sid]}"
                owner[sid] = f"{name} ({path.name})"
    assert len(owner) > 20, "no statement ids found: the probe is broken"
