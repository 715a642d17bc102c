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

static void test_config_snapshot_matches_the_files(void **state) {
        char dir[] = "/tmp/test-agent-schedule-XXXXXX";
        _cleanup_free_ char *main_path = NULL, *dropins = NULL, *d1 = NULL, *d2 = NULL, *text = NULL,
                            *err = NULL;
        _cleanup_(agent_config_freep) AgentConfig *from_files = NULL, *from_text = NULL;
        (void) state;

        assert_non_null(mkdtemp(dir));
        main_path = path_join(dir, "agent.conf");
        dropins = path_join(dir, "agent.conf.d");
        d1 = path_join(dropins, "10-a.conf");
        d2 = path_join(dropins, "20-b.conf");
        assert_int_equal(mkdir_p(dropins, 0755), 0);
        /* No final newline in the main file: the next file must not join its last line. */
        assert_int_equal(write_file_atomic(main_path, "[Agent]\nRetryMinSec=5s", 22, 0644), 0);
        assert_int_equal(write_file_atomic(d1, "[Agent]\nRetryMinSec=7s\nReportIntervalSec=2\n", 42, 0644), 0);
        assert_int_equal(write_file_atomic(d2, "[Spool]\nMaxReports=5\n", 21, 0644), 0);
        assert_int_equal(agent_config_load(main_path, &from_files, &err), 0);
        assert_int_equal(config_read_text(main_path, &text), 0);
        assert_int_equal(agent_config_load_string(text, &from_text, &err), 0);
        assert_int_equal(from_text->retry_min, 7 * USEC_PER_SEC);
        assert_int_equal(from_text->retry_min, from_files->retry_min);
        assert_int_equal(from_text->report_interval, from_files->report_interval);
        assert_int_equal(from_text->spool_max_reports, 5);
        unlink(d1), unlink(d2), rmdir(dropins), unlink(main_path), rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_jitter_bounds),
                cmocka_unit_test(test_backoff_doubles_then_caps),
                cmocka_unit_test(test_renewal_due_at_two_thirds),
                cmocka_unit_test(test_config_snapshot_matches_the_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
