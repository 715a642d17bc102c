# SPDX-License-Identifier: MIT
"""The check seam (docs/checks.md): a check is one module plus one line in
agent/checks/check-list.h. A copy of the tree gets the toy check of
tests/fixtures/seam/toy.c and that line, nothing else; the rebuilt programs then show it in
the default policy, `vigie check` (and its --only and --help), strict policy validation on
the server, the server's own verdict on reports, and the fleet summary."""
import json
import shutil
import subprocess

import pytest

import conftest
from conftest import BUILD, FIXTURES, SANITIZE, SRC, run


# The checks of the tree as it is.
BUILT_IN = list(json.loads(subprocess.run([str(conftest.BIN / "vigie"), "policy", "--default"], capture_output=True,
                                          text=True).stdout or '{"checks":{}}')["checks"])


@pytest.fixture(scope="module")
def toy_build(tmp_path_factory):
    """→ the bin/ directory of a build with the toy check added."""
    tree = tmp_path_factory.mktemp("tree")
    files = subprocess.run(["git", "ls-files", "-z"], cwd=SRC, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for f in filter(None, files):
        if (SRC / f).is_file():
            (tree / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(SRC / f, tree / f)
    # The objects already built (with their times): only the new module and the registry
    # are compiled again.
    build = tree / ("build/san-test" if SANITIZE else "build/test")  # the Makefile's own choice: the
    # objects' dependency files name it relative to the tree
    shutil.copytree(BUILD, build, symlinks=True, ignore=shutil.ignore_patterns("destdir", "fuzz*"))
    shutil.copy2(FIXTURES / "seam" / "toy.c", tree / "agent" / "checks" / "toy.c")
    with open(tree / "agent" / "checks" / "check-list.h", "a") as f:
        f.write("CHECK(toy)\n")
    p = subprocess.run(["make", "-j2", f"SANITIZE={int(SANITIZE)}", "TEST_HOOKS=1", "all"], cwd=tree,
                       capture_output=True, text=True, timeout=1800)
    assert p.returncode == 0, p.stdout + p.stderr
    return build / "bin"


@pytest.fixture
def toy_bin(toy_build, monkeypatch):
    monkeypatch.setattr(conftest, "BIN", toy_build)
    return toy_build


def toy_root(tmp_path, widgets):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "toy-widgets").write_text("w\n" * widgets)
    return root


def test_toy_check_in_policy_and_vigie_check(toy_bin, tmp_path, empty_config):
    policy = run("vigie", "policy", "--default").json()
    assert policy["checks"]["toy"] == {"required": True, "max_widgets": 3}
    # The others are untouched, the toy comes last (its line is last).
    assert list(policy["checks"]) == BUILT_IN + ["toy"]

    base = ("check", "--json", "--config", empty_config, "--no-state", "--only", "toy")
    r = run("vigie", *base, "--root", toy_root(tmp_path, 2))
    assert r.returncode == 0, r
    [res] = r.json()["checks"]
    assert (res["id"], res["status"], res["title"]) == ("toy", "pass", "Toy widgets")
    assert res["evidence"] == {"widgets": 2, "max_widgets": 3}

    strict = tmp_path / "policy.json"
    strict.write_text(json.dumps({"checks": {"toy": {"max_widgets": 1}}}))
    r = run("vigie", *base, "--root", tmp_path / "root", "--policy", strict)
    assert r.returncode == 1, r
    assert r.json()["checks"][0]["status"] == "fail"

    strict.write_text(json.dumps({"checks": {"toy": {"max_widgets": 101}}}))
    r = run("vigie", *base, "--root", tmp_path / "root", "--policy", strict)
    assert r.returncode == 2 and "checks.toy.max_widgets: 101 is out of range (0 to 100)" in r.stderr, r

    assert "toy" in run("vigie", "check", "--help").stdout
    r = run("vigie", "check", "--config", empty_config, "--only", "nope")
    assert f"Known checks: {', '.join(BUILT_IN)}, toy." in r.stderr, r


def test_toy_check_on_the_server(toy_bin, tmp_path):
    import fleet_util
    from fleet_util import Device, FleetServer

    s = FleetServer(tmp_path)
    # Strict validation of a published policy knows the toy's schema.
    pol = tmp_path / "toy-policy.json"
    pol.write_text(json.dumps({"policy_id": "toys", "version": 2, "checks": {"toy": {"max_widgets": 5}}}))
    r = s.cli("policy", "set", pol)
    assert r.returncode == 0, r
    pol.write_text(json.dumps({"policy_id": "toys", "version": 3, "checks": {"toy": {"max_widgetz": 5}}}))
    r = s.cli("policy", "set", pol)
    assert r.returncode != 0 and "checks.toy.max_widgetz: unknown key" in r.stderr, r
    s.start()
    checks = fleet_util.CHECKS
    try:
        token = s.token()
        fleet_util.CHECKS = checks + ("toy",)
        Device(s, "alpha").enroll(token).send(toy="fail")
        Device(s, "bravo").enroll(token).send()
        summary = s.get_json("/v1/fleet/summary")
        assert summary["checks"]["toy"]["fail"] == 1 and summary["checks"]["toy"]["pass"] == 1, summary
    finally:
        fleet_util.CHECKS = checks
        s.stop()


def test_without_the_toy_the_server_refuses_its_policy(tmp_path):
    """The same policy is an error for the programs built without the module (strict)."""
    from fleet_util import FleetServer

    s = FleetServer(tmp_path)
    pol = tmp_path / "toy-policy.json"
    pol.write_text(json.dumps({"checks": {"toy": {"max_widgets": 5}}}))
    r = s.cli("policy", "set", pol)
    assert r.returncode != 0 and "checks.toy: unknown check" in r.stderr, r


def registry_ids():
    """The check ids in registry order, as `vigie check --help` prints them."""
    out = run("vigie", "check", "--help").stdout
    lines = out.split("Checks (--only ID):\n", 1)[1].splitlines()
    return [l.split()[0] for l in lines if l.startswith("  ") and l.split()]


def test_docs_list_every_registered_check():
    """The man page's CHECKS list and docs/checks.md follow the registry, in its order."""
    ids = registry_ids()
    assert ids[:3] == ["disk_encryption", "patch_level", "backup"]
    assert list(run("vigie", "policy", "--default").json()["checks"]) == ids
    man = (SRC / "docs" / "man" / "vigie.1").read_text().split(".SH CHECKS", 1)[1].split(".SH ", 1)[0]
    assert [l.split()[1] for l in man.splitlines()[1:] if l.startswith(".B ") and
            man.splitlines()[man.splitlines().index(l) - 1] == ".TP"] == ids
    guide = (SRC / "docs" / "checks.md").read_text()
    headings = [l[4:].strip("` ") for l in guide.splitlines() if l.startswith("### `")]
    assert headings == ids
