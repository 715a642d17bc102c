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

static void test_defaults(void **state) {
        _cleanup_(policy_freep) Policy *p = policy_new_default();
        (void) state;
        assert_non_null(p);
        assert_string_equal(p->policy_id, "default");
        assert_int_equal(p->report_interval_s, 3600);
        assert_true(p->disk_encryption.required);
        assert_int_equal(strv_length(p->disk_encryption.mounts), 3);
        assert_int_equal(p->disk_encryption.min_key_bits, 512);
        assert_int_equal(p->patch_level.grace_days, 7);
        assert_int_equal(p->patch_level.n_supported_os, 4);
        assert_int_equal(p->backup.max_age_hours, 48);
        assert_false(p->backup.require_all);
}

static void test_partial_overlay(void **state) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        (void) state;
        assert_int_equal(load("{\"policy_id\":\"acme\",\"version\":7,\"checks\":{\"backup\":{\"max_age_hours\":24,\"require\":\"all\"}}}",
                              POLICY_STRICT, &p, &err), 0);
        assert_string_equal(p->policy_id, "acme");
        assert_int_equal(p->version, 7);
        assert_int_equal(p->backup.max_age_hours, 24);
        assert_true(p->backup.require_all);
        /* untouched sections and keys keep their defaults */
        assert_int_equal(p->disk_encryption.min_luks_version, 2);
        assert_true(p->backup.required);
        /* warn age at or past the maximum would never warn: disabled */
        assert_int_equal(p->backup.warn_age_hours, 0);
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
        expect_error("{\"checks\":{\"firewall\":{}}}", POLICY_STRICT, "checks.firewall: unknown check");
        expect_error("{\"checks\":", 0, "unexpected end of JSON after 10 bytes");
}

static void test_lenient_ignores_unknown(void **state) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *err = NULL;
        (void) state;
        assert_int_equal(load("{\"future\":1,\"checks\":{\"firewall\":{},\"backup\":{\"new_knob\":true}}}", 0, &p, &err), 0);
}

static void test_round_trip(void **state) {
        _cleanup_(policy_freep) Policy *p = policy_new_default(), *q = NULL;
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *err = NULL;
        (void) state;
        j = policy_to_json(p);
        assert_non_null(j);
        assert_int_equal(policy_from_json(j, POLICY_STRICT, &q, &err), 0);
        assert_int_equal(q->patch_level.n_supported_os, 4);
        assert_string_equal(q->patch_level.supported_os[1].versions[0], "22.04");
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
