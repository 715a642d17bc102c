#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Loads a synthetic fleet into a vigie-server SQLite database made by `vigie-server init`:
DEVICES devices with REPORTS reports each, their check results, latest state and history,
through the same tables (and counter triggers) the collector writes. The JWS are stand-ins
of realistic size: the fleet queries never verify them."""
import base64
import hashlib
import json
import random
import sqlite3
import sys
import uuid

db_path, n_devices, n_reports, now = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
CHECKS = ("backup", "disk_encryption", "patch_level")
rng = random.Random(42)
db = sqlite3.connect(db_path)
db.execute("PRAGMA journal_mode=MEMORY")
db.execute("PRAGMA synchronous=OFF")
db.execute("BEGIN")
interval = 3600


def status():
    return rng.choices(("pass", "warn", "fail", "unknown", "error"), (80, 5, 10, 4, 1))[0]


for i in range(n_devices):
    dev = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    serial = f"{i:032x}"
    enrolled = now - 86400 * 30
    # most devices report on time; some went silent hours or days ago
    last = now - rng.choice((60, 600, 1800, 3000)) if rng.random() < 0.95 else now - rng.randint(4, 240) * 3600
    host = f"laptop-{i:06d}"
    os_id, os_ver = rng.choice((("debian", "12"), ("debian", "13"), ("ubuntu", "24.04"), ("ubuntu", "22.04")))
    prev = None
    nc_since = None
    state = {}
    history = []
    for seq in range(1, n_reports + 1):
        iat = last - (n_reports - seq) * interval
        st = {c: status() for c in CHECKS}
        ok = all(s in ("pass", "warn") for s in st.values())
        claims = json.dumps({"sub": dev, "iat": iat, "seq": seq, "prev": prev, "host": {"hostname": host},
                             "compliant": ok, "checks": [{"id": c, "status": s} for c, s in st.items()]},
                            separators=(",", ":"))
        # Stored as received (no chunks): the claims are the payload, as the server reads them.
        jws = "eyJhbGciOiJFUzI1NiJ9." + base64.urlsafe_b64encode(claims.encode()).rstrip(b"=").decode() + ".sig"
        h = hashlib.sha256(jws.encode()).hexdigest()
        db.execute("INSERT INTO reports VALUES (?,?,?,?,?,?,0,?,?,?)",
                   (dev, seq, iat, iat, h, prev, int(ok), serial, jws))
        db.executemany("INSERT INTO check_results VALUES (?,?,?,?,?)",
                       [(dev, seq, c, s, f"{c} {s}") for c, s in st.items()])
        for c, s in st.items():
            if state.get(c, (None,))[0] != s:
                history.append((dev, c, seq, iat, s))
                state[c] = (s, iat)
        prev = h
        nc_since = None if ok else (nc_since or iat)
    db.executemany("INSERT INTO check_history VALUES (?,?,?,?,?)", history)
    db.executemany("INSERT INTO latest_checks VALUES (?,?,?,?,?)",
                   [(dev, c, s, since, n_reports) for c, (s, since) in state.items()])
    failing = ",".join(c for c, (s, _) in state.items() if s not in ("pass", "warn")) or None
    db.execute("INSERT INTO latest(device_id, seq, report_at, received_at, verdict, failing, noncompliant_since, "
               "hostname, os_id, os_version, os_pretty, hour) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
               (dev, n_reports, last, last, "compliant" if not failing else "noncompliant", failing,
                nc_since, host, os_id, os_ver, f"{os_id} {os_ver}", last // 3600))
    db.execute("INSERT INTO certificates(serial, role, subject, device_id, fingerprint, not_before, "
               "not_after, issued_at) VALUES (?, 'device', ?, ?, ?, ?, ?, ?)",
               (serial, dev, dev, serial * 2, enrolled, enrolled + 90 * 86400, enrolled))
    db.execute("INSERT INTO devices VALUES (?,?,?,?,?,'ec-p256',?,?,?,?,?,?)",
               (dev, serial, serial * 2, enrolled, enrolled + 90 * 86400, enrolled,
                now - 3600 if rng.random() < 0.005 else None,
                now - 7200 if rng.random() < 0.005 else None, None, n_reports, prev))
    if i == n_devices // 2:
        print(dev)  # the device whose detail the benchmark fetches
db.execute("COMMIT")
db.execute("ANALYZE")
db.execute("PRAGMA journal_mode=WAL")
db.close()
