# SPDX-License-Identifier: MIT
"""The console in a real headless Chromium: a device page lists and verifies every stored
report even when they take more than one page of the API (it follows next_cursor, and the
chain verifies across the page boundary), and a device whose last report predates the
current policy carries the "on an older policy" badge and note, in English and French; the
overview's count of those links to the list filtered by policy=outdated; the list shows
each device's key kind and filters by it."""
import hashlib
import json

import pytest

from browser_util import Browser
from fleet_util import NOW, Device, FleetServer
from test_console import css, clean, wait

N_REPORTS = 105  # the API's default page is 100


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console-trust")
    s = FleetServer(tmp, conf="[Limits]\nDeviceReportBurst=1000\n").start(now=NOW)
    tok = s.token()
    s.busy = Device(s, "busy-laptop").enroll(tok)
    for i in range(N_REPORTS):
        s.busy.send(iat=NOW - (N_REPORTS - i) * 60)
    s.quiet = Device(s, "quiet-laptop").enroll(tok)
    s.quiet.send()
    pol = tmp / "policy-2.json"
    pol.write_text(json.dumps({"policy_id": "default", "version": 2,
                               "checks": {c: {"required": True} for c in ("disk_encryption", "patch_level", "backup")}}))
    r = s.cli("policy", "set", pol)
    assert r.returncode == 0, r
    yield s
    s.stop()


def test_device_page_follows_the_report_pages(fleet, tmp_path):
    b = Browser(tmp_path, f"https://localhost:{fleet.port}", *fleet.admin, fleet.ca)
    try:
        b.driver.get(f"https://localhost:{fleet.port}/#/device/{fleet.busy.id}")
        wait(b, lambda d: css(b, "#verify") and len(css(b, "span[data-seq]")) == N_REPORTS)
        css(b, "#verify")[0].click()
        wait(b, lambda d: all(c.text for c in css(b, "span[data-seq]")), timeout=60)
        assert {c.text for c in css(b, "span[data-seq]")} == {"signature and chain valid"}
        clean(b)
    finally:
        b.close()


@pytest.mark.parametrize("lang,badge", [("en-US", "on an older policy"), ("fr-FR", "sur une politique dépassée")])
def test_devices_on_an_older_policy_are_badged(fleet, tmp_path, lang, badge):
    b = Browser(tmp_path, f"https://localhost:{fleet.port}", *fleet.admin, fleet.ca, lang=lang)
    try:
        b.driver.get(f"https://localhost:{fleet.port}/")
        wait(b, lambda d: css(b, "#counts"))
        counts = {a.get_attribute("data-count"): a.text for a in css(b, "#counts a")}
        # English first: both devices reported under v1; then the quiet one reports under v2
        outdated = ["busy-laptop", "quiet-laptop"] if lang == "en-US" else ["busy-laptop"]
        assert counts["policy_outdated"].split("\n") == [str(len(outdated)), badge]
        # the count links to exactly those devices
        css(b, 'a[data-count="policy_outdated"]')[0].click()
        wait(b, lambda d: "policy=outdated" in d.current_url and css(b, "#device-table table"))
        assert sorted(a.text for a in css(b, "#device-table a[data-device]")) == outdated
        assert css(b, 'select[name="policy"]')[0].get_attribute("value") == "outdated"
        b.driver.get(f"https://localhost:{fleet.port}/#/devices?sort=hostname")
        wait(b, lambda d: css(b, "#device-table table") and "policy=" not in d.current_url)
        rows = [r.text for r in css(b, "#device-table tbody tr")]
        assert [r.split()[0] for r in rows if badge in r] == outdated, rows
        # the key column: both simulated laptops enrolled a key file
        keys = css(b, "#device-table span[data-key]")
        assert [k.get_attribute("data-key") for k in keys] == ["file", "file"]
        assert {k.text for k in keys} == {"file" if lang == "en-US" else "fichier"}
        assert css(b, "#device-table th")[-1].text == ("Key" if lang == "en-US" else "Clé")
        # filtered by key kind from the form: nobody holds a TPM key here
        sel = css(b, 'select[name="key"]')[0]
        b.driver.execute_script("arguments[0].value = 'tpm'; arguments[0].dispatchEvent(new Event('change'))", sel)
        wait(b, lambda d: "key=tpm" in d.current_url and css(b, "#device-table p") and
             not css(b, "#device-table table"))
        # the quiet one reports under the current policy: no badge any more
        q = fleet.quiet
        claims = q.claims(iat=NOW, checks=[{"id": c, "status": "pass", "title": c, "summary": "ok", "remediation": None,
                                             "deadline": None, "evidence": {}, "duration_us": 1}
                                            for c in ("disk_encryption", "patch_level", "backup")])
        claims["policy"]["version"] = 2
        claims["host"]["hostname"] = "quiet-laptop"
        if lang == "en-US":
            jws = q.sign(claims)
            assert q.post(jws)[0] == 202
            q.seq, q.prev = claims["seq"], hashlib.sha256(jws.encode()).hexdigest()
        b.driver.get(f"https://localhost:{fleet.port}/#/device/{q.id}")
        wait(b, lambda d: css(b, "main h1") and css(b, "main h1")[0].text == "quiet-laptop" and css(b, "dl.kv"))
        assert badge not in css(b, "main")[0].text and not css(b, "#policy-outdated")
        assert "default version 2" in css(b, "dl.kv")[0].text
        b.driver.get(f"https://localhost:{fleet.port}/#/device/{fleet.busy.id}")
        wait(b, lambda d: css(b, "#policy-outdated"))
        assert badge in css(b, "main")[0].text and "default version 1" in css(b, "dl.kv")[0].text
        clean(b)
    finally:
        b.close()
