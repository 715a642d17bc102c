# SPDX-License-Identifier: MIT
"""What a `vigie cycle` makes durable (docs/internals/spool.md): the report it spools and
the chain state, each with an fsync of the file and one of the spool directory, and
nothing else — the list and status digests are caches, checked on load; the unlink of a
delivered report is not synced, since a crash that undoes it only makes the next run
resend bytes the server acknowledges again, stored once."""
import json
import shutil
import sqlite3
import subprocess

import pytest

from conftest import binary, run
from reports_util import VigieServer

pytestmark = pytest.mark.skipif(not shutil.which("strace"), reason="needs strace (packaging/deps.sh)")


@pytest.fixture
def agent(tmp_path, vigie):
    srv = VigieServer(tmp_path, run, binary)
    srv.start()
    state = tmp_path / "state"
    conf = tmp_path / "agent.conf"
    conf.write_text(f"[Agent]\nServer={srv.url}\nStateDirectory={state}\nRuntimeDirectory={tmp_path}/run\n"
                    "LogLevel=warning\n")
    r = vigie("enroll", "--config", conf, "--server", srv.url, "--token", srv.token(), "--ca", srv.ca)
    assert r.returncode == 0, r
    yield conf, state, srv
    srv.stop()


def cycle(conf, trace=None):
    # The main thread only (no -f): the syncs are its, and another thread's calls (libcurl's
    # resolver) would split its lines into "unfinished" and "resumed" halves.
    strace = ["strace", "-qq", "-y", "-o", str(trace), "-e", "trace=fsync,fdatasync,syncfs,sync,rename"] \
        if trace else []
    r = subprocess.run([*strace, binary("vigie"), "cycle", "--config", str(conf)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode in (0, 1), r
    out = json.loads(r.stdout)
    assert out["spool_depth"] == 0 and out["delivery_error"] is None, out
    return out


def traced(trace, call):
    """The fd paths (strace -y) of the successful fsync-like calls, or rename's arguments."""
    text = trace.read_text()
    assert "resumed>" not in text, text
    return [line[len(call) + 1:line.rindex(")")] for line in text.splitlines()
            if line.startswith(call + "(") and line.rstrip().endswith("= 0")]


def fd_path(arg):
    return arg[arg.index("<") + 1:arg.rindex(">")]


def test_cycle_syncs_the_report_and_the_chain_state_only(agent, tmp_path):
    conf, state, _ = agent
    cycle(conf)  # the first: the policy, its digests
    spool = state / "spool"
    for name, caches_rewritten in (("rewrites", True), ("steady", False)):
        if caches_rewritten:
            shutil.rmtree(state / "cache", ignore_errors=True)
        trace = tmp_path / f"{name}.strace"
        seq = cycle(conf, trace)["seq"]
        synced = [fd_path(a) for a in traced(trace, "fsync")]
        assert synced[0].startswith(f"{spool}/{seq:020d}.jws.tmp."), synced
        assert synced[1] == str(spool), synced
        assert synced[2].startswith(f"{spool}/chain.json.tmp."), synced
        assert synced[3] == str(spool), synced
        assert len(synced) == 4, synced
        for call in ("fdatasync", "syncfs", "sync"):
            assert not traced(trace, call), (call, trace.read_text())
        cache_renames = [a for a in traced(trace, "rename") if f"{state}/cache/" in a]
        assert bool(cache_renames) == caches_rewritten, trace.read_text()


def test_an_undone_unlink_is_resent_and_stored_once(agent, vigie, tmp_path):
    conf, state, srv = agent
    r = vigie("report", "--offline", "--config", conf)
    assert r.returncode == 0, r
    (queued,) = sorted((state / "spool").glob("*.jws"))
    kept = queued.read_bytes()
    cycle(conf)  # delivers it and its own report; the unlinks are not synced
    assert not queued.exists()
    queued.write_bytes(kept)  # what a crash before the directory's next sync may leave
    out = cycle(conf)
    assert not queued.exists()
    db = sqlite3.connect(f"file:{srv.dir / 'vigie.db'}?mode=ro", uri=True)
    try:
        seqs = [s for (s,) in db.execute("SELECT seq FROM reports ORDER BY seq")]
    finally:
        db.close()
    assert seqs == list(range(1, out["seq"] + 1)), seqs
