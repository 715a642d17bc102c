# SPDX-License-Identifier: MIT
"""libcurl is dlopen()ed when the agent first speaks HTTPS (common/curl-dl.h): without it,
the message names the library that could not be loaded and the package that provides it,
instead of a bare "Can not access a needed shared library"."""
import os
import subprocess

import pytest

from conftest import binary

LIBCURL = "/usr/lib/x86_64-linux-gnu/libcurl.so.4"


def test_enroll_without_libcurl_names_the_package(tmp_path):
    if not os.path.exists(LIBCURL):
        pytest.skip(f"no {LIBCURL} to hide on this machine")
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs unshare -m (root)")
    conf = tmp_path / "agent.conf"
    conf.write_text(f"[Agent]\nStateDirectory={tmp_path / 'state'}\n")
    (tmp_path / "ca.pem").write_text("not used: libcurl fails to load first\n")
    # libcurl hidden behind an empty file, in a mount namespace of this command only.
    lib = os.path.realpath(LIBCURL)
    r = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind /dev/null '{lib}' && exec \"$0\" \"$@\"",
                        binary("vigie"), "enroll", "--config", str(conf), "--server", "https://127.0.0.1:9",
                        "--token", "t", "--ca", str(tmp_path / "ca.pem")],
                       capture_output=True, text=True, env={"PATH": os.environ["PATH"], "LANG": "C.UTF-8",
                            **{k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")}})
    assert r.returncode != 0, r
    assert "cannot load libcurl.so.4" in r.stderr, r.stderr
    assert "install the package libcurl4 (Debian, Ubuntu) or libcurl (Fedora, RHEL)" in r.stderr, r.stderr
    assert "Can not access a needed shared library" not in r.stderr, r.stderr
