# SPDX-License-Identifier: MIT
"""patch_level on RHEL 8-shaped roots: rpm's BerkeleyDB Packages database, built with
db_load from the header blobs of an rpmdb.sqlite root, read by Vigie as by rpm's own
read-only backend (which real rpm and dnf use here as the oracle)."""
import shutil

import pytest

from test_patch_level_dnf import (adv, assert_agrees_with_dnf, cache, check, pytestmark,  # noqa: F401
                                  rpm, make_repo)
from mkroot_dnf import DnfRoot  # noqa: I001 (test_patch_level_dnf sets sys.path)

needs_db_load = pytest.mark.skipif(not shutil.which("db5.3_load"), reason="needs db5.3-util (packaging/deps.sh)")


def evidence(vigie, empty_config, root, tmp_path):
    ev = check(vigie, empty_config, root, tmp_path)["evidence"]
    for u in ev["security_updates"]:
        u.pop("first_seen")
    return ev


@needs_db_load
@pytest.mark.parametrize("lorder", [1234, 4321])
def test_berkeleydb_reads_as_sqlite(vigie, empty_config, cache, tmp_path, lorder):
    """Thirty packages, several buckets, every header on overflow pages (512-byte pages),
    both byte orders: the same installed set as rpm -qa, the same verdict as from the
    sqlite database, and agreement with dnf reading the BerkeleyDB database."""
    root = DnfRoot(tmp_path / "root", cache)
    names = [f"pkg{i:02d}" for i in range(30)]
    root.install(*(rpm(cache, n, "1.0") for n in names), rpm(cache, "epoch", "1.0", epoch=2))
    repo = make_repo(cache, tmp_path / "repo", [rpm(cache, n, "1.1") for n in names[:10]] + [rpm(cache, "epoch", "1.1", epoch=2)],
                     [adv(1, "Important", ("pkg03", 0, "1.1", "1", "noarch"), ("epoch", 2, "1.1", "1", "noarch"))])
    root.add_repo("rhel-8-appstream", repo)
    root.makecache()
    want_installed = root.installed()
    sqlite_ev = evidence(vigie, empty_config, root, tmp_path)
    assert sqlite_ev["upgradable"] == 11 and sqlite_ev["security"] == 2

    root.to_bdb(pagesize=512, lorder=lorder)
    assert not list((root.path / "var/lib/rpm").glob("rpmdb.sqlite*"))
    assert root.installed() == want_installed and len(want_installed) == 31
    ev = evidence(vigie, empty_config, root, tmp_path)
    assert ev == sqlite_ev
    assert_agrees_with_dnf(root, ev)


@needs_db_load
def test_damaged_berkeleydb_is_unknown(vigie, empty_config, cache, tmp_path):
    root = DnfRoot(tmp_path / "root", cache)
    root.install(rpm(cache, "foo", "1.0"))
    root.to_bdb()
    packages = root.path / "var/lib/rpm/Packages"
    data = bytearray(packages.read_bytes())
    data[512 + 8] ^= 0xFF  # page 1 no longer says it is page 1
    packages.write_bytes(bytes(data))
    c = check(vigie, empty_config, root, tmp_path)
    assert c["status"] == "unknown" and "Packages" in c["summary"] and "damaged" in c["summary"], c
