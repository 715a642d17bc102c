# SPDX-License-Identifier: MIT
"""The stale list sorted by last report, on each backend: the store reads the devices that
reported (by their index, in order) and those that never did (last report: none) one after
the other, so the order, the pages and their cursors must run across both kinds in both
directions. The OS filter sorted by hostname and the outdated-policy filter have their own
indexes since issue #17 (docs/internals/fleet-queries.md): their rows are checked here too."""
import pytest

from fleet_util import NOW, Device, FleetServer

HOUR = 3600


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fleet(tmp_path_factory, request):
    tmp = tmp_path_factory.mktemp("stale-order")
    s = FleetServer.on_backend(request, tmp, conf="[Fleet]\nStaleAfter=2h\n")
    s.start(now=NOW - 5 * HOUR)
    token = s.token()
    devs = {}
    for name in ("pend-1", "pend-2", "pend-3"):           # enrolled, never report: stale
        devs[name] = Device(s, name).enroll(token)
    for name in ("old-1", "old-2", "old-3"):              # last report 5 h ago
        devs[name] = Device(s, name, "ubuntu", "24.04").enroll(token)
        devs[name].send()
    s.restart(NOW - 4 * HOUR)
    for name in ("mid-1", "mid-2"):                       # last report 4 h ago
        devs[name] = Device(s, name, "ubuntu", "22.04").enroll(token)
        devs[name].send()
    s.restart(NOW)
    for name in ("new-b", "new-a"):                       # fresh: not stale
        devs[name] = Device(s, name, "ubuntu", "24.04").enroll(token)
        devs[name].send()
    s.devs = devs
    yield s
    s.stop()


def walk(s, query, limit):
    """Every page of query, through next_cursor: the device ids in order, and the pages."""
    seen, cursor, pages = [], None, 0
    while True:
        body = s.get_json(f"/v1/fleet/devices?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert len(body["devices"]) <= limit
        seen += [d["device_id"] for d in body["devices"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            return seen, pages


def ids(s, names):
    return [s.devs[n].id for n in names]


@pytest.mark.parametrize("desc", [False, True])
@pytest.mark.parametrize("limit", [1, 2, 3, 4, 100])
def test_stale_by_last_report_runs_across_both_kinds(fleet, desc, limit):
    # ascending: never reported (no last report) first, then the oldest report first
    groups = [["pend-1", "pend-2", "pend-3"], ["old-1", "old-2", "old-3"], ["mid-1", "mid-2"]]
    expected = []
    for g in (reversed(groups) if desc else groups):
        expected += sorted(ids(fleet, g), reverse=desc)  # ties by device id
    seen, pages = walk(fleet, f"status=stale&sort={'-' if desc else ''}last_report", limit)
    assert seen == expected
    assert pages == max(1, -(-len(expected) // limit))


def test_stale_rows_carry_their_last_report(fleet):
    rows = fleet.get_json("/v1/fleet/devices?status=stale&sort=-last_report&limit=100")["devices"]
    assert [r["last_report"] is None for r in rows] == [False] * 5 + [True] * 3
    assert fleet.get_json("/v1/fleet/summary")["devices"]["stale"] == 8


@pytest.mark.parametrize("desc", [False, True])
def test_os_sorted_by_hostname(fleet, desc):
    rows, _ = walk(fleet, f"os=ubuntu:24.04&sort={'-' if desc else ''}hostname", 2)
    names = ["new-a", "new-b", "old-1", "old-2", "old-3"]
    assert rows == ids(fleet, sorted(names, reverse=desc))
    assert walk(fleet, "os=ubuntu&sort=hostname", 3)[0] == ids(fleet, ["mid-1", "mid-2", *names])
