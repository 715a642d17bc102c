# SPDX-License-Identifier: MIT
"""What `vigie` maps at every start, and vigie-agent, which forks each cycle from itself
(issue #17): the libraries a typical laptop's cycle does not use are dlopen()ed on first use
instead (common/dl-util.h), each with a message naming its package when it is missing."""
import subprocess

from conftest import binary


def needed(program):
    r = subprocess.run(["readelf", "-d", binary(program)], capture_output=True, text=True, check=True)
    libs = [line.split("[", 1)[1].rstrip("]") for line in r.stdout.splitlines() if "(NEEDED)" in line]
    assert libs, r.stdout
    return libs


def test_vigie_does_not_link_libsystemd():
    """libsystemd (and libcap, libgcrypt, libgpg-error it brings) is loaded only when the
    backup check asks systemd about a unit (agent/checks/sd-bus-dl.h); the device id and the
    journal's protocol are Vigie's own (agent/identity.c, common/journal-send.c)."""
    libs = needed("vigie")
    assert not any(n.startswith("libsystemd") for n in libs), libs


def test_vigie_and_the_agent_do_not_link_libexpat():
    """XML is dnf's metadata and XFCE's settings only (agent/checks/expat-dl.h)."""
    for program in ("vigie", "vigie-agent"):
        libs = needed(program)
        assert not any(n.startswith("libexpat") for n in libs), (program, libs)


def test_vigie_does_not_link_the_decompressors():
    """liblzma, liblz4 and libzstd read compressed apt lists and dnf metadata only
    (agent/checks/compress-dl.h); zlib stays, for the gzip of every report. Nor libdeflate,
    the server's inflate (common/gzip-util.c): RHEL 8 and 9 ship it in EPEL only."""
    libs = needed("vigie")
    assert not any(n.startswith(("liblzma", "liblz4", "libzstd", "libdeflate")) for n in libs), libs
    assert any(n.startswith("libz.so") for n in libs), libs
