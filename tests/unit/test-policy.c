/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cleanup.h"
#include "json-util.h"
#include "parse-util.h"
#include "policy.h"

static int load(const char *text, PolicyFlags flags, Policy **ret, char **ret_error) {
        _cleanup_json_ json_object *j = NULL;
        int r = json_parse(text, strlen(text), &j, ret_error);
        if (r < 0)
                return r;
        return policy_from_json(j, flags, ret, ret_error);
}

/* The value at "checks.SECTION.KEY" of the effective policy, as JSON text. */
static const char *value(const Policy *p, const char *section, const char *key) {
        static char buf[512];
        _cleanup_json_ json_object *j = policy_to_json(p);
        json_object *checks, *s, *v;

        assert_non_null(j);
        assert_true(json_object_object_get_ex(j, "checks", &checks));
        assert_true(json_object_object_get_ex(checks, section, &s));
        assert_true(json_object_object_get_ex(s, key, &v));
        snprintf(buf, sizeof(buf), "%s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        return buf;
}

/* The built-in default is the one DESIGN.md shows, key for key. */
static void test_defaults(void **state) {
        _cleanup_(policy_freep) Policy *p = policy_new_default();
        _cleanup_json_ json_object *j = NULL;
        (void) state;
        assert_non_null(p);
        j = policy_to_json(p);
        assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
                            "{\"policy_id\":\"default\",\"version\":1,\"report_interval_s\":3600,\"checks\":{"
                            "\"disk_encryption\":{\"required\":true,\"mounts\":[\"\\/\",\"\\/home\",\"swap\"],"
                            "\"min_luks_version\":2,\"ciphers\":[\"aes-xts-plain64\"],\"min_key_bits\":512,"
                            "\"pbkdf\":[\"argon2id\",\"argon2i\"]},"
                            "\"patch_level\":{\"required\":true,\"max_pending_security\":0,\"grace_days\":7,"
                            "\"max_days_since_refresh\":3,\"reboot_grace_days\":3,\"require_unattended_upgrades\":false,"
                            "\"supported_os\":{\"debian\":[\"12\",\"13\"],\"ubuntu\":[\"22.04\",\"24.04\",\"26.04\"],"
                            "\"fedora\":[\"43\",\"44\",\"45\"],\"rhel\":[\"8\",\"9\",\"10\"]}},"
                            "\"backup\":{\"required\":true,\"max_age_hours\":48,\"warn_age_hours\":24,"
                            "\"require\":\"any\"},"
                            "\"screen_lock\":{\"required\":false,\"max_idle_minutes\":15,\"require_lock\":true,"
                            "\"require_password\":true},"
                            "\"secure_boot\":{\"required\":false,\"require_lockdown\":false},"
                            "\"firewall\":{\"required\":false,\"require_inbound_default_deny\":true,"
                            "\"allowed_inbound_ports\":[]}},"
                            "\"enforcement\":{\"checks\":{},\"mode\":\"monitor\",\"grace_hours\":72,\"stale_is\":\"allowed\"}}");
        assert_string_equal(p->policy_id, "default");
        assert_int_equal(p->report_interval_s, 3600);
        assert_true(policy_check_required(p, "disk_encryption"));
}

static void test_partial_overlay(void **state) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        (void) state;
        assert_int_equal(load("{\"policy_id\":\"acme\",\"version\":7,\"checks\":{\"backup\":{\"max_age_hours\":24,\"require\":\"all\"}}}",
                              POLICY_STRICT, &p, &err), 0);
        assert_string_equal(p->policy_id, "acme");
        assert_int_equal(p->version, 7);
        assert_string_equal(value(p, "backup", "max_age_hours"), "24");
        assert_string_equal(value(p, "backup", "require"), "\"all\"");
        /* untouched sections and keys keep their defaults */
        assert_string_equal(value(p, "disk_encryption", "min_luks_version"), "2");
        assert_true(policy_check_required(p, "backup"));
        /* warn age at or past the maximum would never warn: disabled (the schema's finalize) */
        assert_string_equal(value(p, "backup", "warn_age_hours"), "0");
}

static void expect_error(const char *text, PolicyFlags flags, const char *message) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        assert_true(load(text, flags, &p, &err) < 0);
        assert_null(p);
        assert_non_null(err);
        assert_string_equal(err, message);
}

static void test_errors_name_the_path(void **state) {
        (void) state;
        expect_error("{\"checks\":{\"disk_encryption\":{\"min_key_bits\":\"512\"}}}", 0,
                     "checks.disk_encryption.min_key_bits: expected integer, got string");
        expect_error("{\"checks\":{\"disk_encryption\":{\"ciphers\":[\"aes\",3]}}}", 0,
                     "checks.disk_encryption.ciphers[1]: expected string, got int");
        expect_error("{\"checks\":{\"patch_level\":{\"grace_days\":-1}}}", 0,
                     "checks.patch_level.grace_days: -1 is out of range (0 to 365)");
        expect_error("{\"checks\":{\"backup\":{\"require\":\"most\"}}}", 0,
                     "checks.backup.require: expected \"any\" or \"all\", got \"most\"");
        expect_error("{\"checks\":{\"patch_level\":{\"supported_os\":{\"debian\":\"12\"}}}}", 0,
                     "checks.patch_level.supported_os.debian: expected array of strings, got string");
        expect_error("{\"report_interval_s\":5}", 0, "report_interval_s: 5 is out of range (60 to 604800)");
        expect_error("[]", 0, "policy: expected a JSON object, got array");
        expect_error("{\"checks\":{\"backup\":{\"max_age_hour\":3}}}", POLICY_STRICT,
                     "checks.backup.max_age_hour: unknown key");
        expect_error("{\"checks\":{\"teleport\":{}}}", POLICY_STRICT, "checks.teleport: unknown check");
        expect_error("{\"checks\":{\"backup\":[]}}", 0, "checks.backup: expected object, got array");
        expect_error("{\"checks\":", 0, "unexpected end of JSON after 10 bytes");
}

static void test_lenient_ignores_unknown(void **state) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        (void) state;
        assert_int_equal(load("{\"future\":1,\"checks\":{\"teleport\":{},\"backup\":{\"new_knob\":true}}}", 0, &p, &err), 0);
}

static void test_round_trip(void **state) {
        _cleanup_(policy_freep) Policy *p = policy_new_default(), *q = NULL;
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *err = NULL;
        (void) state;
        j = policy_to_json(p);
        assert_non_null(j);
        assert_int_equal(policy_from_json(j, POLICY_STRICT, &q, &err), 0);
        assert_string_equal(value(q, "patch_level", "supported_os"),
                            "{\"debian\":[\"12\",\"13\"],\"ubuntu\":[\"22.04\",\"24.04\",\"26.04\"],\"fedora\":[\"43\",\"44\",\"45\"],"
                            "\"rhel\":[\"8\",\"9\",\"10\"]}");
        assert_true(policy_check_required(q, "backup"));
        assert_false(policy_check_required(q, "nonexistent"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_partial_overlay),
                cmocka_unit_test(test_errors_name_the_path),
                cmocka_unit_test(test_lenient_ignores_unknown),
                cmocka_unit_test(test_round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
