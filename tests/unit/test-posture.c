/* SPDX-License-Identifier: MIT */
/* Posture decisions over time: one device's latest state, the policy's enforcement, and
 * the clock moving across the grace period. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "json-util.h"
#include "posture.h"

#define HOUR 3600
#define T0 1764439200 /* the device starts failing */

static Policy *policy(const char *enforcement) {
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *text = NULL;
        Policy *p = NULL;
        assert_true(asprintf(&text, "{\"enforcement\":%s}", enforcement) > 0);
        assert_int_equal(json_parse(text, strlen(text), &j, NULL), 0);
        assert_int_equal(policy_from_json(j, POLICY_STRICT, &p, NULL), 0);
        return p;
}

static const PostureCheck disk_failing[] = {
        { .id = "disk_encryption", .status = "fail", .since = T0, .summary = "/home is not encrypted" },
};

/* A fresh noncompliant report (received at `at`) failing disk_encryption since T0. */
static PostureInput failing_at(int64_t at) {
        return (PostureInput) { .has_report = true, .enrolled_at = T0 - 30 * 24 * HOUR,
                                .report_at = at, .received_at = at, .verdict = "noncompliant",
                                .failing = disk_failing, .n_failing = 1, .stale_before = at - 3 * HOUR };
}

static PostureState decide(const PostureInput *in, const Policy *p, int64_t now, Posture *ret) {
        assert_int_equal(posture_decide(in, p, now, ret), 0);
        return ret->state;
}

static void test_monitor_never_blocks(void **state) {
        _cleanup_(policy_freep) Policy *p = policy("{\"mode\":\"monitor\"}");
        _cleanup_(posture_done) Posture d = {};
        PostureInput in = failing_at(T0 + 1000 * HOUR);
        (void) state;
        assert_int_equal(decide(&in, p, T0 + 1000 * HOUR, &d), POSTURE_ALLOWED);
        assert_string_equal(d.verdict, "noncompliant");
        assert_string_equal(d.reason, "disk_encryption: /home is not encrypted");
        assert_int_equal(d.grace_until, 0);
}

static void test_warn_then_block_over_time(void **state) {
        _cleanup_(policy_freep) Policy *p = policy("{\"mode\":\"warn_then_block\",\"grace_hours\":72}");
        (void) state;
        for (int64_t h = 0; h <= 100; h += 1) {
                _cleanup_(posture_done) Posture d = {};
                PostureInput in = failing_at(T0 + h * HOUR);
                PostureState s = decide(&in, p, T0 + h * HOUR, &d);
                if (h < 72) {
                        assert_int_equal(s, POSTURE_GRACE);
                        assert_int_equal(d.grace_until, T0 + 72 * HOUR);
                        assert_true(posture_allowed(&d));
                } else {
                        assert_int_equal(s, POSTURE_BLOCKED);
                        assert_false(posture_allowed(&d));
                        assert_int_equal(d.grace_until, 0);
                }
        }
}

static void test_compliant_again(void **state) {
        _cleanup_(policy_freep) Policy *p = policy("{\"mode\":\"warn_then_block\",\"grace_hours\":1}");
        _cleanup_(posture_done) Posture d = {};
        PostureInput in = failing_at(T0 + 10 * HOUR);
        (void) state;
        in.verdict = "compliant";
        in.n_failing = 0;
        assert_int_equal(decide(&in, p, T0 + 10 * HOUR, &d), POSTURE_ALLOWED);
        assert_string_equal(d.verdict, "compliant");
        assert_null(d.reason);
}

static void test_block_is_immediate(void **state) {
        _cleanup_(policy_freep) Policy *p = policy("{\"mode\":\"block\"}");
        _cleanup_(posture_done) Posture d = {};
        PostureInput in = failing_at(T0);
        (void) state;
        assert_int_equal(decide(&in, p, T0, &d), POSTURE_BLOCKED);
}

static void test_per_check_override(void **state) {
        _cleanup_(policy_freep) Policy *mon = policy("{\"mode\":\"block\",\"checks\":{\"disk_encryption\":{\"mode\":\"monitor\"}}}");
        _cleanup_(policy_freep) Policy *grace = policy("{\"mode\":\"block\",\"checks\":{\"disk_encryption\":{\"mode\":\"warn_then_block\",\"grace_hours\":5}}}");
        _cleanup_(posture_done) Posture a = {}, b = {}, c = {};
        PostureInput in = failing_at(T0 + HOUR);
        (void) state;
        assert_int_equal(decide(&in, mon, T0 + HOUR, &a), POSTURE_ALLOWED);
        assert_int_equal(decide(&in, grace, T0 + HOUR, &b), POSTURE_GRACE);
        assert_int_equal(b.grace_until, T0 + 5 * HOUR);
        in = failing_at(T0 + 5 * HOUR);
        assert_int_equal(decide(&in, grace, T0 + 5 * HOUR, &c), POSTURE_BLOCKED);
}

static void test_earliest_check_wins(void **state) {
        _cleanup_(policy_freep) Policy *p = policy("{\"mode\":\"warn_then_block\",\"grace_hours\":48,\"checks\":{\"backup\":{\"grace_hours\":10}}}");
        _cleanup_(posture_done) Posture d = {};
        const PostureCheck two[] = {
                { .id = "backup", .status = "fail", .since = T0 + 20 * HOUR, .summary = "last backup 3 days ago" },
                { .id = "disk_encryption", .status = "fail", .since = T0, .summary = NULL },
        };
        PostureInput in = failing_at(T0 + 21 * HOUR);
        (void) state;
        in.failing = two;
        in.n_failing = 2;
        assert_int_equal(decide(&in, p, T0 + 21 * HOUR, &d), POSTURE_GRACE);
        assert_int_equal(d.grace_until, T0 + 30 * HOUR);
        assert_string_equal(d.reason, "backup: last backup 3 days ago; disk_encryption: fail");
}

static void test_not_required_never_blocks(void **state) {
        _cleanup_json_ json_object *j = NULL;
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_(posture_done) Posture d = {};
        const char *text = "{\"checks\":{\"disk_encryption\":{\"required\":false}},\"enforcement\":{\"mode\":\"block\"}}";
        PostureInput in = failing_at(T0);
        (void) state;
        assert_int_equal(json_parse(text, strlen(text), &j, NULL), 0);
        assert_int_equal(policy_from_json(j, POLICY_STRICT, &p, NULL), 0);
        assert_int_equal(decide(&in, p, T0, &d), POSTURE_ALLOWED);
}

static void test_stale(void **state) {
        _cleanup_(policy_freep) Policy *allowed = policy("{\"mode\":\"block\",\"stale_is\":\"allowed\"}");
        _cleanup_(policy_freep) Policy *denied = policy("{\"mode\":\"block\",\"stale_is\":\"denied\"}");
        _cleanup_(policy_freep) Policy *monitor = policy("{\"mode\":\"monitor\",\"stale_is\":\"denied\"}");
        _cleanup_(posture_done) Posture a = {}, b = {}, c = {}, e = {};
        PostureInput in = failing_at(T0);
        (void) state;
        in.verdict = "compliant";
        in.n_failing = 0;
        in.stale_before = T0 + 1; /* the compliant report is now too old */
        assert_int_equal(decide(&in, allowed, T0 + 10 * HOUR, &a), POSTURE_ALLOWED);
        assert_string_equal(a.verdict, "stale");
        assert_int_equal(decide(&in, denied, T0 + 10 * HOUR, &b), POSTURE_BLOCKED);
        assert_string_equal(b.reason, "no report from this laptop since 2025-11-29T18:00:00Z");
        assert_int_equal(decide(&in, monitor, T0 + 10 * HOUR, &c), POSTURE_ALLOWED);
        in.has_report = false;
        in.enrolled_at = T0 + 2; /* enrolled recently, never reported */
        assert_int_equal(decide(&in, denied, T0 + 10, &e), POSTURE_BLOCKED);
        assert_string_equal(e.verdict, "pending");
}

static void test_revoked_despite_compliant(void **state) {
        _cleanup_(policy_freep) Policy *p = policy("{\"mode\":\"monitor\"}");
        _cleanup_(posture_done) Posture d = {};
        PostureInput in = failing_at(T0);
        (void) state;
        in.verdict = "compliant";
        in.n_failing = 0;
        in.revoked = true;
        assert_int_equal(decide(&in, p, T0, &d), POSTURE_BLOCKED);
        assert_string_equal(d.verdict, "revoked");
}

static void test_reason_bounded_and_clean(void **state) {
        _cleanup_(policy_freep) Policy *p = policy("{\"mode\":\"block\"}");
        _cleanup_(posture_done) Posture d = {};
        char summary[2000];
        PostureCheck c = { .id = "backup", .status = "fail", .since = T0, .summary = summary };
        PostureInput in = failing_at(T0);
        (void) state;
        memset(summary, 'x', sizeof summary - 1);
        summary[sizeof summary - 1] = 0;
        summary[5] = '\r';
        summary[6] = '\n';
        in.failing = &c;
        assert_int_equal(decide(&in, p, T0, &d), POSTURE_BLOCKED);
        assert_int_equal(strlen(d.reason), POSTURE_REASON_MAX - 1);
        assert_null(strpbrk(d.reason, "\r\n"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_monitor_never_blocks),
                cmocka_unit_test(test_warn_then_block_over_time),
                cmocka_unit_test(test_compliant_again),
                cmocka_unit_test(test_block_is_immediate),
                cmocka_unit_test(test_per_check_override),
                cmocka_unit_test(test_earliest_check_wins),
                cmocka_unit_test(test_not_required_never_blocks),
                cmocka_unit_test(test_stale),
                cmocka_unit_test(test_revoked_despite_compliant),
                cmocka_unit_test(test_reason_bounded_and_clean),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
