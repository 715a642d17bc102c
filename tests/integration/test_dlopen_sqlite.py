# SPDX-License-Identifier: MIT
"""libsqlite3 is dlopen()ed when patch_level first reads an rpm database
(agent/checks/sqlite-dl.h): a Debian laptop's `vigie` never maps it, and without it a
Fedora-shaped host's patch_level says which library and which package, instead of `vigie`
not starting at all."""
import json
import sqlite3
import subprocess

from conftest import binary
from test_dlopen_missing import run_without


def fedora_root(path):
    (path / "etc").mkdir(parents=True)
    (path / "etc/os-release").write_text('ID=fedora\nVERSION_ID=41\nNAME="Fedora Linux"\n')
    (path / "var/lib/rpm").mkdir(parents=True)
    con = sqlite3.connect(path / "var/lib/rpm/rpmdb.sqlite")
    con.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
    con.commit()
    con.close()
    return path


def patch_level(cmd, config, root):
    r = cmd("check", "--config", str(config), "--root", str(root), "--only", "patch_level", "--json",
            "--no-state")
    assert r.returncode in (0, 1), r
    return json.loads(r.stdout)["checks"][0]


def test_rpm_database_without_libsqlite3_names_the_package(empty_config, tmp_path):
    root = fedora_root(tmp_path / "root")
    c = patch_level(lambda *a: run_without("libsqlite3.so.0", *a), empty_config, root)
    assert c["status"] == "unknown", c
    assert "cannot load libsqlite3.so.0" in c["summary"], c
    assert "install the package libsqlite3-0 (Debian, Ubuntu) or sqlite-libs (Fedora, RHEL)" in c["summary"], c
    # With the library there, the same database is read (empty: no rpm package installed).
    c = patch_level(lambda *a: subprocess.run([binary("vigie"), *a], capture_output=True, text=True),
                    empty_config, root)
    assert "libsqlite3" not in c["summary"], c


def test_vigie_does_not_map_libsqlite3_at_start():
    out = subprocess.run(["ldd", binary("vigie")], capture_output=True, text=True, check=True).stdout
    assert "libsqlite3" not in out, out
