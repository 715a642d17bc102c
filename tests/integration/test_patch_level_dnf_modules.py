# SPDX-License-Identifier: MIT
"""patch_level on RHEL-8/9-shaped roots with dnf 4 modules: modular filtering (the
repositories' modules.yaml, published with modifyrepo_c, and the root's
/etc/dnf/modules.d) against real dnf, whose libdnf filters the same way."""
import subprocess

from test_patch_level_dnf import (adv, assert_digests_agree, cache, check, pytestmark,  # noqa: F401
                                  rpm, make_repo, vigie_sets)
from mkroot_dnf import DnfRoot, add_modules, modules_yaml  # noqa: I001 (test_patch_level_dnf sets sys.path)

STREAMS = [
    ("nodejs", "18", ["nodejs-0:18.1-1.noarch", "nodejs-0:18.1-1.src"]),
    # shadow 1.2-1.mod is modular; the non-modular shadow 1.5 hides behind it when nodejs:20 is on.
    ("nodejs", "20", ["nodejs-0:20.1-1.noarch", "shadow-0:1.2-1.mod.noarch"]),
    ("defmod", "two", ["defmod-0:2.0-1.noarch"]),
    ("defmod", "three", ["defmod-0:3.0-1.noarch"]),
    ("dis", "a", ["dis-0:2.0-1.noarch"]),
]


def modular_root(cache, tmp_path, compress="gz"):
    root = DnfRoot(tmp_path / "root", cache)
    root.install(*(rpm(cache, n, "1.0") for n in ("shadow", "plain", "defmod", "dis", "hot")),
                 rpm(cache, "nodejs", "18.0"))
    repo = make_repo(cache, tmp_path / "repo", [
        rpm(cache, "nodejs", "18.1"), rpm(cache, "nodejs", "20.1"), rpm(cache, "plain", "1.1"),
        rpm(cache, "shadow", "1.5"), rpm(cache, "shadow", "1.2", "1.mod"), rpm(cache, "defmod", "2.0"),
        rpm(cache, "defmod", "3.0"), rpm(cache, "dis", "2.0")],
        [adv(1, "Important", ("nodejs", 0, "20.1", "1", "noarch")),
         adv(2, "Moderate", ("plain", 0, "1.1", "1", "noarch"))])
    add_modules(cache, repo, modules_yaml(STREAMS, [("defmod", "two"), ("dis", "a")]), compress)
    # A module_hotfixes repository: modular filtering spares it (hot 2.0 is an artifact of
    # no active stream, and of a stream of module "hot" that is not on).
    hot = make_repo(cache, tmp_path / "hotfix", [rpm(cache, "hot", "2.0"), rpm(cache, "defmod", "3.0")])
    add_modules(cache, hot, modules_yaml([("hot", "x", ["hot-0:2.0-1.noarch"])]))
    root.add_repo("appstream", repo)
    root.add_repo("hotfixes", hot, extra="module_hotfixes=1\n")
    root.add_repo("plainrepo", make_repo(cache, tmp_path / "plain", [rpm(cache, "hot", "1.5")]))
    root.makecache()
    return root


def assert_agrees_with_dnf(root, ev):
    """`dnf updateinfo list --security` names the advisory of nodejs 20.1 even where modular
    filtering hides that version: the security updates to compare with are the ones
    `check-update --security` can install."""
    upg, sec = vigie_sets(ev)
    assert upg == root.check_update(), ev["upgradable_packages"]
    assert sec == root.check_update_security(), ev["security_updates"]


def upgradable(ev):
    return {p["package"]: p["candidate"] for p in ev["upgradable_packages"]}


def test_modular_filtering_agrees_with_dnf(vigie, empty_config, cache, tmp_path):
    root = modular_root(cache, tmp_path)
    # No module state: defmod's default stream is active, nodejs (no default) is not.
    ev = check(vigie, empty_config, root, tmp_path)["evidence"]
    assert_agrees_with_dnf(root, ev)
    assert upgradable(ev) == {"defmod": "3.0-1", "dis": "2.0-1", "plain": "1.1-1", "shadow": "1.5-1", "hot": "2.0-1"}
    # nodejs:20 enabled, dis disabled: nodejs 20.1, the modular shadow, nothing of dis.
    root.module_state("nodejs", "20")
    root.module_state("dis", "a", "disabled")
    ev = check(vigie, empty_config, root, tmp_path)["evidence"]
    assert_agrees_with_dnf(root, ev)
    assert upgradable(ev) == {"defmod": "3.0-1", "nodejs": "20.1-1", "plain": "1.1-1", "shadow": "1.2-1.mod",
                              "hot": "2.0-1"}
    # nodejs:18: shadow is not one of its artifacts, the non-modular one is back.
    root.module_state("nodejs", "18")
    ev = check(vigie, empty_config, root, tmp_path)["evidence"]
    assert_agrees_with_dnf(root, ev)
    assert upgradable(ev)["nodejs"] == "18.1-1" and upgradable(ev)["shadow"] == "1.5-1"
    assert ("nodejs", "noarch") in root.security() and "nodejs" not in {s["package"] for s in ev["security_updates"]}
    # The metadata digests of a state directory: modular filtering applies to them too.
    assert_digests_agree(vigie, root, tmp_path, ev)


def test_modules_yaml_compressions_and_errors(vigie, empty_config, cache, tmp_path):
    """modules.yaml in xz (modifyrepo_c) and zstd (as Fedora publishes it; Debian's
    createrepo_c cannot write it) reads as in gzip; a modules.yaml Vigie cannot read makes
    the check unknown, with the file and line named."""
    root = modular_root(cache, tmp_path, "xz")
    root.module_state("nodejs", "20")
    ev = check(vigie, empty_config, root, tmp_path)["evidence"]
    assert_agrees_with_dnf(root, ev)
    assert upgradable(ev)["shadow"] == "1.2-1.mod"
    repodata = next((root.path / "var/cache/dnf").glob("appstream-*/repodata"))
    xz = next(repodata.glob("*modules.yaml.xz"))
    zst = xz.with_suffix(".zst")
    subprocess.run(["sh", "-c", f"xz -dc '{xz}' | zstd -q -o '{zst}'"], check=True)
    xz.unlink()
    (repodata / "repomd.xml").write_text((repodata / "repomd.xml").read_text().replace(xz.name, zst.name))
    assert check(vigie, empty_config, root, tmp_path)["evidence"]["upgradable_packages"] == ev["upgradable_packages"]
    zst.write_bytes(subprocess.run(["zstd", "-q", "-c"], input=b"---\ndocument: modulemd\nversion: 2\ndata:\n"
                                   b"  name: 'broken\n", capture_output=True, check=True).stdout)
    c = check(vigie, empty_config, root, tmp_path)
    assert c["status"] == "unknown", c
    assert "modules.yaml" in c["summary"] and "line 5" in c["summary"], c
