# SPDX-License-Identifier: MIT
"""Runs a command with the privileges a systemd unit grants, without systemd: the unit's
CapabilityBoundingSet= (through setpriv) and RestrictAddressFamilies= (through a seccomp
filter on socket(), as systemd installs one). As a module: sandbox_argv(unit, ...) builds
the command line; as a script: `unit_sandbox.py FAMILY,… -- COMMAND…` installs the filter
and executes COMMAND."""
import ctypes
import os
import platform
import socket
import struct
import sys
from pathlib import Path

SOCKET_NR = {"x86_64": 41, "aarch64": 198}  # __NR_socket


def directive(unit: str, name: str) -> list[str]:
    """The effective list of a list directive: lines add up, an empty assignment resets."""
    values: list[str] = []
    for line in unit.splitlines():
        if line.startswith(name + "="):
            v = line[len(name) + 1:].split()
            values = values + v if v else []
    return values


def sandbox_argv(unit: str, drop_caps=(), drop_families=()) -> list[str]:
    caps = [c for c in directive(unit, "CapabilityBoundingSet") if c not in drop_caps]
    families = [f for f in directive(unit, "RestrictAddressFamilies") if f not in drop_families]
    bounding = ",".join(["-all"] + ["+" + c.lower().removeprefix("cap_") for c in caps])
    numbers = ",".join(str(int(getattr(socket, f))) for f in families)
    return ["setpriv", "--inh-caps=-all", f"--bounding-set={bounding}", sys.executable, str(Path(__file__)),
            numbers, "--"]


def supported() -> bool:
    return platform.machine() in SOCKET_NR


def _install_filter(families: list[int]) -> None:
    ld, jeq, ret = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
    allow, eafnosupport = 0x7FFF0000, 0x00050000 | 97  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO|EAFNOSUPPORT
    n = len(families)
    prog = [(ld, 0, 0, 0),  # seccomp_data.nr
            (jeq, 0, n + 2, SOCKET_NR[platform.machine()]),  # not socket(): allow
            (ld, 0, 0, 16)]  # args[0], the family (low half, little-endian)
    prog += [(jeq, n - i, 0, f) for i, f in enumerate(families)]  # an allowed family: allow
    prog += [(ret, 0, 0, eafnosupport), (ret, 0, 0, allow)]
    code = b"".join(struct.pack("HBBI", *insn) for insn in prog)
    buf = ctypes.create_string_buffer(code)
    fprog = struct.pack("HxxxxxxP", len(prog), ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if libc.prctl(22, 2, ctypes.c_char_p(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP")


if __name__ == "__main__":
    _, numbers, sep, *command = sys.argv
    assert sep == "--" and command, "usage: unit_sandbox.py FAMILY,… -- COMMAND…"
    _install_filter([int(x) for x in numbers.split(",") if x])
    os.execvp(command[0], command)
