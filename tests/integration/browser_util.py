# SPDX-License-Identifier: MIT
"""A real headless Chromium (Debian's chromium + chromium-driver, driven by python3-selenium)
that presents a Vigie admin client certificate: the certificate and the Vigie CA go into an
NSS database under a throwaway $HOME (where Chromium on Linux looks for it), and an
AutoSelectCertificateForUrls policy picks the certificate for the test server's origin
without a dialog. Console messages and CSP violations are collected for the test to assert
on."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

POLICY_DIR = Path("/etc/chromium/policies/managed")

# Recorded from before any page script runs, whatever the page's CSP.
CSP_PROBE = """
window.__vigie_csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__vigie_csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def _need(path, package):
    if not shutil.which(path) and not Path(path).exists():
        pytest.skip(f"{path} is not installed (Debian package {package}; packaging/deps.sh installs it)")


class Browser:
    def __init__(self, tmp, origin, cert, key, ca, lang="en-US"):
        _need("/usr/bin/chromium", "chromium")
        _need("/usr/bin/chromedriver", "chromium-driver")
        _need("certutil", "libnss3-tools")
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError:
            pytest.skip("python3-selenium is not installed (packaging/deps.sh installs it)")
        if os.geteuid() != 0 and not os.access(POLICY_DIR.parent, os.W_OK):
            pytest.skip(f"{POLICY_DIR} is not writable: the certificate policy cannot be set")
        self.tmp = Path(tmp)
        self.home = self.tmp / "home"
        nssdb = self.home / ".pki" / "nssdb"
        nssdb.mkdir(parents=True)
        p12 = self.tmp / "admin.p12"
        subprocess.run(["openssl", "pkcs12", "-export", "-in", cert, "-inkey", key, "-out", p12,
                        "-passout", "pass:", "-name", "vigie-admin"], check=True, capture_output=True)
        db = f"sql:{nssdb}"
        subprocess.run(["certutil", "-N", "-d", db, "--empty-password"], check=True, capture_output=True)
        subprocess.run(["pk12util", "-d", db, "-i", p12, "-W", ""], check=True, capture_output=True)
        subprocess.run(["certutil", "-A", "-d", db, "-n", "vigie-ca", "-t", "C,,", "-i", ca],
                       check=True, capture_output=True)
        POLICY_DIR.mkdir(parents=True, exist_ok=True)
        # one file per test process and origin, removed by close()
        self.policy = POLICY_DIR / f"vigie-test-{os.getpid()}-{origin.rsplit(':', 1)[-1]}.json"
        self.policy.write_text(json.dumps({"AutoSelectCertificateForUrls": [
            json.dumps({"pattern": origin, "filter": {}})]}))
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-dev-shm-usage", "--window-size=1280,800", f"--lang={lang}",
                  f"--user-data-dir={self.tmp / 'profile'}"):
            opts.add_argument(a)
        opts.add_experimental_option("prefs", {"intl.accept_languages": lang})
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        env = dict(os.environ, HOME=str(self.home))
        service = Service("/usr/bin/chromedriver", log_path=str(self.tmp / "chromedriver.log"), env=env)
        try:
            self.driver = webdriver.Chrome(service=service, options=opts)
        except Exception:
            self.policy.unlink(missing_ok=True)
            raise
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_PROBE})
        self.logs = []

    def console(self):
        """Every console message so far (kept across calls)."""
        self.logs += self.driver.get_log("browser")
        return self.logs

    def csp_violations(self):
        return self.driver.execute_script("return window.__vigie_csp || []")

    def screenshot(self, name):
        path = self.tmp / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def close(self):
        try:
            self.driver.quit()
        finally:
            self.policy.unlink(missing_ok=True)
