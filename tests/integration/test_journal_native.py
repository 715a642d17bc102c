# SPDX-License-Identifier: MIT
"""Log lines reach journald in its native protocol (common/journal-send.c), spoken by Vigie
itself since `vigie` no longer links libsystemd: a real `vigie cycle` whose stderr is "the
journal's stream" ($JOURNAL_STREAM names its device and inode, as systemd sets it) sends
each line, with its fields, as a datagram to the socket the test binds in journald's place
(VIGIE_JOURNAL_SOCKET, a test hook)."""
import os
import socket
import struct
import subprocess

from conftest import SANITIZE, binary


def parse_entry(data: bytes) -> dict:
    """journald's native format: NAME=value\\n, or NAME\\n, 64-bit LE size, value, \\n."""
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            name, value = line.split(b"=", 1)
            i = nl + 1
        else:
            name = line
            (size,) = struct.unpack_from("<Q", data, nl + 1)
            value = data[nl + 9:nl + 9 + size]
            assert data[nl + 9 + size:nl + 10 + size] == b"\n"
            i = nl + 10 + size
        fields[name.decode()] = value.decode()
    return fields


def run_cycle(tmp_path, journal_socket):
    conf = tmp_path / "agent.conf"
    conf.write_text(f"[Agent]\nServer=https://127.0.0.1:1\nStateDirectory={tmp_path}/state\n"
                    f"RuntimeDirectory={tmp_path}/run\nLogLevel=info\n")
    err_path = tmp_path / "stderr"
    with open(err_path, "wb") as err:
        st = os.fstat(err.fileno())
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}",
               "VIGIE_JOURNAL_SOCKET": str(journal_socket)}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        r = subprocess.run([binary("vigie"), "cycle", "--no-deliver", "--config", str(conf)], stdout=subprocess.PIPE,
                           stderr=err, env=env, timeout=300)
    assert r.returncode in (0, 1), r
    return err_path.read_text()


def test_cycle_logs_to_the_journal_socket(tmp_path):
    path = tmp_path / "journal.socket"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    stderr = run_cycle(tmp_path, path)
    entries = []
    while True:
        try:
            entries.append(parse_entry(sock.recv(1 << 20)))
        except BlockingIOError:
            break
    sock.close()
    # Not enrolled, no state yet: check-runner.c warns.
    state = [e for e in entries if "Cannot open state file" in e.get("MESSAGE", "")]
    assert state, entries
    e = state[0]
    assert e["SYSLOG_IDENTIFIER"] == "vigie", e
    assert e["PRIORITY"] == "4", e  # log_warning_errno
    assert e["CODE_FILE"] == "agent/check-runner.c" and int(e["CODE_LINE"]) > 0 and e["CODE_FUNC"], e
    assert e["ERRNO"] == "2", e
    # Sent to the journal, so not also written to its stream.
    if not SANITIZE:
        assert "Cannot open state file" not in stderr, stderr


def test_without_journald_lines_go_to_stderr(tmp_path):
    stderr = run_cycle(tmp_path, tmp_path / "nobody-listens")
    assert "vigie: Cannot open state file" in stderr, stderr

