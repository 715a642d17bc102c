/* SPDX-License-Identifier: MIT */
/* The daemon's timing arithmetic: jitter, exponential backoff, renewal due date; and the
 * configuration snapshot a cycle receives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent-renew.h"
#include "agent.h"
#include "cleanup.h"
#include "conf-parser.h"
#include "fs-util.h"

static void test_jitter_bounds(void **state) {
        const usec_t hour = USEC_PER_HOUR;
        (void) state;
        assert_int_equal(jitter(hour, 0), hour - hour / 10);
        assert_int_equal(jitter(hour, hour / 5), hour + hour / 10);
        for (uint64_t r = 0; r < 100000; r += 997) {
                usec_t j = jitter(hour, r * 7919);
                assert_true(j >= hour - hour / 10 && j <= hour + hour / 10);
        }
        assert_int_equal(jitter(3, 12345), 3); /* too small to spread */
}

static void test_backoff_doubles_then_caps(void **state) {
        const usec_t base = 30 * USEC_PER_SEC, cap = USEC_PER_HOUR;
        (void) state;
        /* rnd = span/2 (span = a fifth of the delay) cancels the jitter: the delay itself. */
        assert_int_equal(backoff_delay(1, base, cap, (base / 5) / 2), base);
        assert_int_equal(backoff_delay(2, base, cap, (2 * base / 5) / 2), 2 * base);
        assert_int_equal(backoff_delay(4, base, cap, (8 * base / 5) / 2), 8 * base);
        assert_int_equal(backoff_delay(8, base, cap, (cap / 5) / 2), cap); /* 30 s · 2^7 > 1 h */
        /* Never above cap + 10 %, whatever the count (no overflow at huge counts). */
        for (unsigned f = 1; f < 200; f++)
                assert_true(backoff_delay(f, base, cap, UINT64_MAX - f) <= cap + cap / 10);
        /* Monotonic before jitter. */
        for (unsigned f = 1; f < 12; f++)
                assert_true(backoff_delay(f + 1, base, cap, 0) >= backoff_delay(f, base, cap, 0));
}

static void test_renewal_due_at_two_thirds(void **state) {
        const usec_t nb = 1000 * USEC_PER_DAY, na = nb + 90 * USEC_PER_DAY;
        (void) state;
        assert_false(cert_renewal_due(nb, na, nb));
        assert_false(cert_renewal_due(nb, na, nb + 59 * USEC_PER_DAY));
        assert_true(cert_renewal_due(nb, na, nb + 60 * USEC_PER_DAY));
        assert_true(cert_renewal_due(nb, na, na + 1));
        assert_true(cert_renewal_due(na, nb, nb)); /* nonsense dates: renew */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_jitter_bounds),
                cmocka_unit_test(test_backoff_doubles_then_caps),
                cmocka_unit_test(test_renewal_due_at_two_thirds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
