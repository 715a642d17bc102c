# SPDX-License-Identifier: MIT
"""GET /v1/fleet/devices/{id}/reports pages (limit=, the opaque cursor= of next_cursor) and
streams: a device with a long history of large reports does not grow the server's memory,
whoever reads it and however slowly. vigiectl reports and audit follow the cursors to the
end, and the audit still proves the seq/prev chain across page boundaries."""
import json
import os
import subprocess
import time

from fleet_util import NOW, Device
from test_audit import device, srv  # noqa: F401 (fixtures: a server, a device with 5 reports)


def reports(srv, d, query=""):
    return srv.get_json(f"/v1/fleet/devices/{d.id}/reports{query}")


def refused(srv, d, query):
    st, _, body = srv.request("GET", f"/v1/fleet/devices/{d.id}/reports{query}")
    assert st == 400, (query, st, body)
    err = json.loads(body)
    assert err["error"] == "bad_filter", err
    return err["detail"]


def test_pages_follow_the_cursor(srv, device):
    whole = reports(srv, device)
    assert whole["limit"] == 100 and whole["next_cursor"] is None
    assert [r["jws"] for r in whole["reports"]] == device.jws
    seen, cursor, pages = [], None, 0
    while True:
        page = reports(srv, device, "?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        pages += 1
        assert page["limit"] == 2 and len(page["reports"]) <= 2
        assert page["certificates"] == whole["certificates"]
        seen += [r["seq"] for r in page["reports"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [1, 2, 3, 4, 5] and pages == 3
    # a page that ends exactly at the last report says there is no next one
    assert reports(srv, device, "?limit=5")["next_cursor"] is None
    assert reports(srv, device, "?limit=4")["next_cursor"] is not None


def test_cursor_with_a_time_window(srv, device):
    page = reports(srv, device, "?limit=1&from=2000-01-01T00:00:00Z")
    assert [r["seq"] for r in page["reports"]] == [1]
    nxt = reports(srv, device, f"?limit=3&from=2000-01-01T00:00:00Z&cursor={page['next_cursor']}")
    assert [r["seq"] for r in nxt["reports"]] == [2, 3, 4]


def test_bad_limits_and_cursors(srv, device):
    other = Device(srv, "other-device").enroll(srv.tok)
    other.send()
    other.send()
    theirs = reports(srv, other, "?limit=1")["next_cursor"]
    assert "another device" in refused(srv, device, f"?cursor={theirs}")
    devices_cursor = srv.get_json("/v1/fleet/devices?limit=1")["next_cursor"]
    for forged in ("zz", "abc", "7b7d", devices_cursor, "7b2272223a2278222c2271223a2d317d",
                   "00" * 300, "%1b%5b2J"):
        assert "not a cursor this server returned" in refused(srv, device, f"?cursor={forged}"), forged
    for bad in ("0", "501", "-1", "ten", "1e3", ""):
        assert "expected a number of reports from 1 to 500" in refused(srv, device, f"?limit={bad}"), bad
    assert "given twice" in refused(srv, device, "?limit=1&limit=2")
    assert "unknown parameter" in refused(srv, device, "?seq=1")


def test_vigiectl_reports_reads_every_page(srv, device):
    r = srv.ctl("reports", device.id, "--page-size", "2", "--json")
    assert r.returncode == 0, r
    j = r.json()
    assert [x["seq"] for x in j["reports"]] == [1, 2, 3, 4, 5] and j["next_cursor"] is None
    r = srv.ctl("reports", device.id, "--page-size", "2", "--csv")
    assert r.returncode == 0 and r.stdout.count("\n") == 6, r


def test_audit_across_pages(srv, device):
    r = srv.ctl("audit", device.id, "--page-size", "2")
    assert r.returncode == 0, r
    assert "5 reports, 5 verified, seq 1 to 5" in r.stdout
    # report 3 starts the second page: its removal must show as a gap all the same
    srv.write("DELETE FROM reports WHERE device_id = $1 AND seq = 3", device.id)
    r = srv.ctl("audit", device.id, "--page-size", "2")
    assert r.returncode == 1, r
    assert "reports seq 3 to 3 are missing before report seq 4" in r.stdout


def test_audit_chain_break_at_a_page_boundary(srv, device):
    """Report 3 (first of page 2) swapped for report 2's bytes: its prev no longer links."""
    jws2 = srv.sql("SELECT jws FROM reports WHERE device_id = $1 AND seq = 2", device.id)[0][0]
    srv.write("UPDATE reports SET jws = $1 WHERE device_id = $2 AND seq = 3", jws2, device.id)
    r = srv.ctl("audit", device.id, "--page-size", "2")
    assert r.returncode == 1, r
    assert "first bad report: seq 3" in r.stdout


def vm_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(field)


def curl(srv, path, *args):
    cert, key = srv.admin
    return ["curl", "-sS", "--fail", "--cacert", str(srv.ca), "--cert", str(cert), "--key", str(key),
            *args, f"{srv.url}{path}"]


def test_huge_history_streams_in_bounded_memory(srv, device):
    """200 stored reports of 1 MiB each (written behind the server's back, as the benchmark
    generator does): reading them all in one page, slowly, with a real curl, must not raise
    the server's peak RSS by anything near their size. A first read fills SQLite's page cache
    (cache_size: 64 MiB, bounded whatever the history); the peak is measured from there on
    (/proc/PID/clear_refs 5 resets VmHWM)."""
    n, size = 200, 1 << 20
    for i in range(n):
        srv.write("INSERT INTO reports (device_id, seq, iat, received_at, hash, prev, gap, compliant, "
                  "cert_serial, jws) VALUES ($1, $2, $3, $4, $5, $6, 0, 1, '00', $7)",
                  device.id, 100 + i, NOW, NOW, f"{i:064x}", None,
                  "eyJhbGciOiJFUzI1NiJ9." + chr(ord("a") + i % 26) * size + ".sig")
    path = f"/v1/fleet/devices/{device.id}/reports?limit=500"
    pid = srv.proc.pid
    warm = subprocess.run(curl(srv, path, "-o", "/dev/null"), capture_output=True, text=True, timeout=300)
    assert warm.returncode == 0, warm.stderr
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")
    before = vm_kib(pid, "VmHWM")
    out = srv.dir / "pages.json"
    slow = subprocess.run(curl(srv, path, "--limit-rate", "40M", "-D", "-", "-o", str(out)),
                          capture_output=True, text=True, timeout=300)
    assert slow.returncode == 0, slow.stderr
    assert "transfer-encoding: chunked" in slow.stdout.lower()
    grown = vm_kib(pid, "VmHWM") - before
    total = os.path.getsize(out)
    with open(out) as f:
        page = json.load(f)
    os.unlink(out)
    assert [r["seq"] for r in page["reports"]] == [1, 2, 3, 4, 5] + [100 + i for i in range(n)]
    assert total > n * size
    print(f"served {total >> 20} MiB of reports at 40 MB/s; server peak RSS grew {grown >> 10} MiB "
          f"(load average {os.getloadavg()[0]:.2f})")
    # a whole reply built in memory would grow it by more than the total
    assert grown < 32 * 1024, grown
    # a client that stops reading leaves the server serving others, its memory still bounded
    stuck = subprocess.Popen(curl(srv, path, "--limit-rate", "100K", "-o", "/dev/null"))
    time.sleep(2)
    assert reports(srv, device, "?limit=1")["reports"][0]["seq"] == 1
    stuck.kill()
    stuck.wait()
    assert vm_kib(pid, "VmHWM") - before < 32 * 1024
