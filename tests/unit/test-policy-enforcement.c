/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "json-util.h"
#include "policy.h"

static int load(const char *text, PolicyFlags flags, Policy **ret, char **ret_error) {
        _cleanup_json_ json_object *j = NULL;
        int r = json_parse(text, strlen(text), &j, ret_error);
        if (r < 0)
                return r;
        return policy_from_json(j, flags, ret, ret_error);
}

static void test_default_is_monitor(void **state) {
        _cleanup_(policy_freep) Policy *p = policy_new_default();
        _cleanup_json_ json_object *j = NULL;
        json_object *e;
        (void) state;
        assert_non_null(p);
        assert_int_equal(p->enforcement.mode, ENFORCEMENT_MONITOR);
        assert_int_equal(p->enforcement.grace_hours, 72);
        assert_true(p->enforcement.stale_allowed);
        j = policy_to_json(p);
        assert_true(json_object_object_get_ex(j, "enforcement", &e));
        assert_string_equal(json_compact(e), "{\"checks\":{},\"mode\":\"monitor\",\"grace_hours\":72,\"stale_is\":\"allowed\"}");
}

static void test_overrides(void **state) {
        _cleanup_(policy_freep) Policy *p = NULL, *again = NULL;
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *err = NULL;
        EnforcementMode mode;
        int hours;
        (void) state;
        assert_int_equal(load("{\"enforcement\":{\"mode\":\"warn_then_block\",\"grace_hours\":24,\"stale_is\":\"denied\","
                              "\"checks\":{\"backup\":{\"mode\":\"monitor\"},\"patch_level\":{\"grace_hours\":0}}}}",
                              POLICY_STRICT, &p, &err), 0);
        assert_int_equal(p->enforcement.mode, ENFORCEMENT_WARN_THEN_BLOCK);
        assert_false(p->enforcement.stale_allowed);
        policy_enforcement_for_check(&p->enforcement, "backup", &mode, &hours);
        assert_int_equal(mode, ENFORCEMENT_MONITOR);
        assert_int_equal(hours, 24);
        policy_enforcement_for_check(&p->enforcement, "patch_level", &mode, &hours);
        assert_int_equal(mode, ENFORCEMENT_WARN_THEN_BLOCK);
        assert_int_equal(hours, 0);
        policy_enforcement_for_check(&p->enforcement, "disk_encryption", &mode, &hours);
        assert_int_equal(mode, ENFORCEMENT_WARN_THEN_BLOCK);
        assert_int_equal(hours, 24);
        /* round trip through the JSON the server serves */
        j = policy_to_json(p);
        assert_int_equal(policy_from_json(j, POLICY_STRICT, &again, &err), 0);
        assert_int_equal(again->enforcement.n_overrides, 2);
        policy_enforcement_for_check(&again->enforcement, "backup", &mode, &hours);
        assert_int_equal(mode, ENFORCEMENT_MONITOR);
}

static void test_refused(void **state) {
        static const struct {
                const char *json, *error;
        } bad[] = {
                { "{\"enforcement\":\"block\"}", "enforcement: expected object, got string" },
                { "{\"enforcement\":{\"mode\":\"deny\"}}", "enforcement.mode: expected \"monitor\", \"warn_then_block\" or \"block\", got \"deny\"" },
                { "{\"enforcement\":{\"grace_hours\":-1}}", NULL },
                { "{\"enforcement\":{\"grace_hours\":9000000}}", NULL },
                { "{\"enforcement\":{\"stale_is\":\"maybe\"}}", "enforcement.stale_is: expected \"allowed\" or \"denied\", got \"maybe\"" },
                { "{\"enforcement\":{\"grace\":3}}", "enforcement.grace: unknown key" },
                { "{\"enforcement\":{\"checks\":{\"firewal\":{}}}}", "enforcement.checks.firewal: unknown check" },
                { "{\"enforcement\":{\"checks\":{\"Backup\":{}}}}", NULL },
                { "{\"enforcement\":{\"checks\":{\"backup\":{\"when\":1}}}}", "enforcement.checks.backup.when: unknown key" },
                { "{\"enforcement\":{\"checks\":{\"backup\":[]}}}", "enforcement.checks.backup: expected object, got array" },
                { "{\"enforcement\":{\"checks\":[]}}", NULL },
        };
        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                _cleanup_(policy_freep) Policy *p = NULL;
                _cleanup_free_ char *err = NULL;
                assert_int_equal(load(bad[i].json, POLICY_STRICT, &p, &err), -EINVAL);
                assert_non_null(err);
                if (bad[i].error)
                        assert_string_equal(err, bad[i].error);
        }
}

static void test_lenient_accepts_unknown_check(void **state) {
        _cleanup_(policy_freep) Policy *p = NULL;
        (void) state;
        /* an agent older than the server's checks still loads the policy */
        assert_int_equal(load("{\"enforcement\":{\"mode\":\"block\",\"checks\":{\"firewall\":{\"mode\":\"monitor\"}}}}",
                              0, &p, NULL), 0);
        assert_int_equal(p->enforcement.mode, ENFORCEMENT_BLOCK);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_is_monitor),
                cmocka_unit_test(test_overrides),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_lenient_accepts_unknown_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
