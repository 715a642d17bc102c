/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "budget.h"
#include "cleanup.h"

static void test_burst_then_rate(void **state) {
        _cleanup_(budget_freep) Budget *b = budget_new(3, 10 * USEC_PER_SEC);
        usec_t t = 1000 * USEC_PER_SEC;
        uint64_t retry = 0;
        (void) state;

        assert_non_null(b);
        for (int i = 0; i < 3; i++)
                assert_int_equal(budget_take(b, "a", t, &retry), 0);
        assert_int_equal(budget_take(b, "a", t, &retry), -EBUSY);
        assert_int_equal(retry, 10);
        /* another key has its own budget */
        assert_int_equal(budget_take(b, "b", t, &retry), 0);
        /* one more per interval */
        assert_int_equal(budget_take(b, "a", t + 10 * USEC_PER_SEC, &retry), 0);
        assert_int_equal(budget_take(b, "a", t + 10 * USEC_PER_SEC, &retry), -EBUSY);
        /* idle long enough: the whole burst again */
        for (int i = 0; i < 3; i++)
                assert_int_equal(budget_take(b, "a", t + 100 * USEC_PER_SEC, &retry), 0);
        assert_int_equal(budget_take(b, "", t, &retry), -EINVAL);
}

static void test_many_keys(void **state) {
        _cleanup_(budget_freep) Budget *b = budget_new(1, USEC_PER_SEC);
        uint64_t retry;
        char key[32];
        (void) state;

        /* 10,000 devices: each has its own budget; the table grows and forgets the idle. */
        for (int round = 0; round < 3; round++)
                for (int i = 0; i < 10000; i++) {
                        snprintf(key, sizeof(key), "device-%d", i);
                        assert_int_equal(budget_take(b, key, (usec_t) round * 10 * USEC_PER_SEC, &retry), 0);
                }
        snprintf(key, sizeof(key), "device-%d", 42);
        assert_int_equal(budget_take(b, key, 20 * USEC_PER_SEC, &retry), -EBUSY);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_burst_then_rate),
                cmocka_unit_test(test_many_keys),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
