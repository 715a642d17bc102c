# SPDX-License-Identifier: MIT
"""The `vigie` command line: help, version, exit codes, configuration and policy errors."""
import json


def test_version_and_help(vigie):
    r = vigie("--version")
    assert r.returncode == 0 and r.stdout.startswith("vigie ")
    r = vigie("--help")
    assert r.returncode == 0 and "check" in r.stdout
    r = vigie("check", "--help")
    assert r.returncode == 0 and "--root DIR" in r.stdout and "Exit status" in r.stdout


def test_usage_errors_exit_2(vigie):
    assert vigie().returncode == 2
    r = vigie("frobnicate")
    assert r.returncode == 2 and 'unknown command "frobnicate"' in r.stderr
    r = vigie("check", "--bogus")
    assert r.returncode == 2
    r = vigie("check", "--only", "teleport", "--no-state")
    assert r.returncode == 2 and 'Unknown check "teleport"' in r.stderr


def test_bad_config_names_file_and_line(vigie, tmp_path):
    conf = tmp_path / "agent.conf"
    conf.write_text("[Agent]\n# ok\nLogLevel=shouting\n")
    r = vigie("check", "--config", conf, "--no-state")
    assert r.returncode == 2
    assert f"{conf}:3: [Agent] LogLevel=\"shouting\"" in r.stderr
    r = vigie("check", "--config", tmp_path / "missing.conf")
    assert r.returncode == 2 and "missing.conf" in r.stderr


def test_bad_policy_names_the_field(vigie, tmp_path, empty_config):
    pol = tmp_path / "policy.json"
    pol.write_text(json.dumps({"checks": {"disk_encryption": {"min_key_bits": "512"}}}))
    r = vigie("check", "--config", empty_config, "--policy", pol)
    assert r.returncode == 2
    assert "checks.disk_encryption.min_key_bits: expected integer, got string" in r.stderr
    pol.write_text("{not json")
    r = vigie("check", "--config", empty_config, "--policy", pol)
    assert r.returncode == 2 and "malformed JSON" in r.stderr


def test_json_output_shape(vigie, tmp_path, empty_config):
    r = vigie("check", "--config", empty_config, "--json", "--root", tmp_path)
    assert r.returncode in (0, 1), r
    doc = r.json()
    assert set(doc) == {"compliant", "checks"}
    # every registered check, in registry order (the default policy lists them too)
    assert [c["id"] for c in doc["checks"]] == list(vigie("policy", "--default").json()["checks"])
    assert [c["id"] for c in doc["checks"]][:3] == ["disk_encryption", "patch_level", "backup"]
    for c in doc["checks"]:
        assert list(c) == ["id", "status", "title", "summary", "remediation", "deadline",
                           "evidence", "duration_us"]
        assert c["status"] in ("pass", "warn", "fail", "unknown", "error")
        assert isinstance(c["evidence"], dict)
    assert doc["compliant"] == (r.returncode == 0)


def test_only_selects_checks(vigie, tmp_path, empty_config):
    r = vigie("check", "--config", empty_config, "--json", "--root", tmp_path, "--only", "backup")
    assert [c["id"] for c in r.json()["checks"]] == ["backup"]


def test_partial_policy_keeps_defaults(vigie, tmp_path, empty_config):
    pol = tmp_path / "policy.json"
    pol.write_text(json.dumps({"checks": {"backup": {"required": False}}}))
    r = vigie("check", "--config", empty_config, "--json", "--root", tmp_path,
              "--only", "backup", "--policy", pol)
    # backup no longer required: the verdict cannot be failed by it alone
    assert r.returncode == 0 and r.json()["compliant"] is True
