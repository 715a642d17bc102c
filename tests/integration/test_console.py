# SPDX-License-Identifier: MIT
"""The console in a real headless Chromium holding an admin client certificate, against a
real server with a generated fleet and a few hours of history: overview → non-compliant
filter → a device page, asserting on the rendered text and the SVG chart, with screenshots
in the test's directory, no console error and no CSP violation."""
import time

import pytest

from browser_util import Browser
from fleet_util import NOW, Device, FleetServer, stamp

HOUR = 3600
START = NOW // HOUR * HOUR - 4 * HOUR
SOON = stamp(int(time.time()) + 2 * 86400)  # the browser's clock decides "next 7 days"

LUKS = {"version": 2, "uuid": "9f0c…", "cipher": "aes-xts-plain64", "key_bits": 512,
        "keyslots": [{"id": 0, "type": "luks2", "pbkdf": "argon2id", "time_cost": 4,
                      "memory_kib": 1048576, "parallel": 4, "key_bits": 512}],
        "tokens": [{"id": 0, "type": "systemd-tpm2", "keyslots": [0]}]}


def disk(encrypted_home=True):
    def mount(name, enc):
        leaf = {"name": "nvme0n1p3", "type": "partition", "dev": "259:3", "verdict": "plain"}
        stack = ({"name": "dm-0", "type": "dm", "dm_name": "luks-root", "crypt": "luks2",
                  "header_device": "/dev/nvme0n1p3", "luks": LUKS, "verdict": "encrypted",
                  "below": [leaf]} if enc else dict(leaf, verdict="unencrypted"))
        return {"mount": name, "mounted_at": name, "source": "/dev/mapper/luks-root" if enc else "/dev/nvme0n1p4",
                "fstype": "ext4", "status": "pass" if enc else "fail",
                "verdict": "encrypted" if enc else "unencrypted",
                "chain": "dm-0 (crypt luks2) → nvme0n1p3" if enc else "nvme0n1p4",
                "problems": [] if enc else [f"{name} is not on an encrypted device"], "stack": stack}
    return {"mounts": [mount("/", True), mount("/home", encrypted_home)]}


def patches(n):
    ups = [{"package": p, "arch": "amd64", "installed": i, "candidate": c, "suite": "bookworm-security",
            "first_seen": stamp(NOW - 9 * 86400), "held": False}
           for p, i, c in [("openssl", "3.0.15-1~deb12u1", "3.0.17-1~deb12u2"),
                           ("libc6", "2.36-9+deb12u9", "2.36-9+deb12u13"),
                           ("linux-image-amd64", "6.1.124-1", "6.1.158-1")][:n]]
    return {"os": {"id": "debian", "version_id": "12", "supported": True}, "security_updates": ups,
            "upgradable": n + 4, "security": n, "last_refresh": stamp(NOW - 3600),
            "days_since_refresh": 0, "reboot_required": {"required": False}}


BACKUP = {"sources": [{"name": "home", "type": "restic", "tool": "restic", "repository": "sftp:nas:/srv/restic",
                       "status": "fresh", "newest": stamp(NOW - 5 * 3600), "age_hours": 5.2}],
          "require": "any", "max_age_hours": 48, "warn_age_hours": 24}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console")
    s = FleetServer(tmp).start(now=START + 60)
    token = s.token()
    full = {"disk_encryption": disk(), "patch_level": patches(0), "backup": BACKUP}
    devs, last = {}, {}

    def send(name, **kw):
        kw.setdefault("evidence", full)
        last[name] = kw
        devs[name].send(**kw)

    def dev(name, **kw):
        devs[name] = Device(s, name).enroll(token)
        send(name, **kw)

    dev("ada-laptop")
    dev("bob-thinkpad")
    dev("cyd-xps")
    dev("dan-latitude")
    dev("<img src=x onerror=alert(1)>")
    for i in range(9):
        dev(f"node-{i:02d}", backup="fail" if i < 3 else "pass")
    # four hours of history: the fleet gets worse, then partly better
    s.restart(START + HOUR + 60)
    send("bob-thinkpad", patch_level="fail", evidence=full | {"patch_level": patches(3)})
    s.restart(START + 2 * HOUR + 60)
    send("cyd-xps", disk_encryption="fail", evidence=full | {"disk_encryption": disk(False)})
    send("dan-latitude", patch_level="warn", evidence=full | {"patch_level": patches(1)},
         deadlines={"patch_level": SOON})
    s.restart(START + 3 * HOUR + 60)
    for i in range(3):
        send(f"node-{i:02d}")
    for name, kw in last.items():  # everyone reports again: none is stale now
        devs[name].send(**kw)
    s.restart(NOW)
    s.devs = devs
    yield s
    s.stop()


def wait(b, cond, timeout=20):
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(b.driver, timeout, ignored_exceptions=[StaleElementReferenceException]).until(
            lambda d: cond(d))
    except TimeoutException:
        b.screenshot("timeout")
        pytest.fail(f"timed out at {b.driver.current_url}; page says: "
                    f"{b.driver.find_element('css selector', 'body').text[:2000]}\nconsole: {b.console()}")


def css(b, sel):
    from selenium.webdriver.common.by import By
    return b.driver.find_elements(By.CSS_SELECTOR, sel)


def clean(b):
    errors = [m for m in b.console() if m["level"] in ("SEVERE", "ERROR")]
    assert errors == [], errors
    assert b.csp_violations() == []


@pytest.fixture
def browser(fleet, tmp_path):
    b = Browser(tmp_path, f"https://localhost:{fleet.port}", *fleet.admin, fleet.ca)
    yield b
    b.close()


def test_overview_filter_device(fleet, browser):
    b = browser
    b.driver.get(f"https://localhost:{fleet.port}/")
    wait(b, lambda d: css(b, "#counts") and css(b, "#deadlines table"))
    counts = {a.get_attribute("data-count"): a.text.split("\n")[0] for a in css(b, "#counts a")}
    assert counts == {"compliant": "12", "noncompliant": "2", "stale": "0", "pending": "0",
                           "flagged": "0", "revoked": "0", "policy_outdated": "0", "enrolled": "14"}
    # the chart: one dot per hourly snapshot with enrolled devices (4 of 5), a line, 12/14 now
    chart = css(b, "svg#rate-chart")[0]
    assert len(css(b, "svg#rate-chart circle")) == 4
    assert css(b, "svg#rate-chart polyline")
    assert "86 %" in chart.get_attribute("aria-label")
    assert len(css(b, "#check-charts svg")) == 3
    # dan's patch deadline falls within 7 days
    assert "dan-latitude" in css(b, "#deadlines table")[0].text
    b.screenshot("overview")
    clean(b)

    css(b, 'a[data-count="noncompliant"]')[0].click()
    wait(b, lambda d: "status=noncompliant" in d.current_url and css(b, "#device-table table"))
    assert {a.text for a in css(b, "#device-table a[data-device]")} == {"bob-thinkpad", "cyd-xps"}
    assert css(b, 'select[name="status"]')[0].get_attribute("value") == "noncompliant"
    b.screenshot("noncompliant")
    clean(b)

    next(a for a in css(b, "#device-table a[data-device]") if a.text == "bob-thinkpad").click()
    wait(b, lambda d: css(b, 'section[data-check="patch_level"] table'))
    assert css(b, "main h1")[0].text == "bob-thinkpad"
    patch = css(b, 'section[data-check="patch_level"]')[0].text
    assert "openssl:amd64" in patch and "3.0.17-1~deb12u2" in patch and "bookworm-security" in patch
    d = css(b, 'section[data-check="disk_encryption"]')[0].text
    assert "LUKS2 aes-xts-plain64 512-bit, argon2id, systemd-tpm2" in d and "dm-0 (crypt luks2)" in d
    assert "sftp:nas" not in css(b, 'section[data-check="backup"]')[0].text  # the source name, not the repo
    assert "home" in css(b, 'section[data-check="backup"]')[0].text
    assert css(b, "#audit-command")[0].text == f"vigiectl audit {fleet.devs['bob-thinkpad'].id}"
    assert "a key file (its root can copy it)" in css(b, "main")[0].text  # as the server recorded it
    b.screenshot("device")
    css(b, "#verify")[0].click()
    wait(b, lambda d: all(c.text for c in css(b, "span[data-seq]")))
    assert {c.text for c in css(b, "span[data-seq]")} == {"signature and chain valid"}
    b.driver.execute_script("document.getElementById('verify').scrollIntoView()")
    b.screenshot("device-verified")
    clean(b)


def test_french_keyboard_and_hostile_hostname(fleet, tmp_path):
    """French from the browser's language; the list reached with the keyboard alone; a
    hostname made of HTML stays text."""
    from selenium.webdriver.common.keys import Keys
    b = Browser(tmp_path, f"https://localhost:{fleet.port}", *fleet.admin, fleet.ca, lang="fr-FR")
    try:
        b.driver.get(f"https://localhost:{fleet.port}/#/devices?sort=hostname")
        wait(b, lambda d: css(b, "#device-table table"))
        assert b.driver.find_element("css selector", "html").get_attribute("lang") == "fr"
        assert css(b, "main h1")[0].text == "Appareils"
        assert "non conforme" in css(b, "#device-table")[0].text
        # the hostname is shown as typed, and no <img> came out of it
        assert "<img src=x onerror=alert(1)>" in [a.text for a in css(b, "#device-table a[data-device]")]
        assert css(b, "img") == []
        # keyboard: the search field, type, Enter → the URL and the list follow
        q = css(b, 'input[name="q"]')[0]
        q.send_keys("ada", Keys.ENTER)
        wait(b, lambda d: "q=ada" in d.current_url and
             [a.text for a in css(b, "#device-table a[data-device]")] == ["ada-laptop"])
        link = css(b, "#device-table a[data-device]")[0]
        link.send_keys(Keys.ENTER)
        wait(b, lambda d: css(b, 'section[data-check="disk_encryption"]'))
        assert "Chiffrement" in css(b, 'section[data-check="disk_encryption"]')[0].text
        b.driver.get(f"https://localhost:{fleet.port}/")
        wait(b, lambda d: css(b, "#rate-chart"))
        assert "Conformité dans le temps" in css(b, "main")[0].text
        b.screenshot("overview-fr")
        clean(b)
    finally:
        b.close()
