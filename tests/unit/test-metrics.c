/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "metrics.h"

static char *render(int (*fn)(FILE *f, const void *arg), const void *arg) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        assert_non_null(f);
        assert_int_equal(fn(f, arg), 0);
        fclose(f);
        return buf;
}

static int write_escaped(FILE *f, const void *arg) {
        (void) arg;
        int r = metrics_write_header(f, "vigie_x", "gauge", "a\\b\nc");
        if (r >= 0)
                r = metrics_write_sample(f, "vigie_x",
                                         (const char *const[]) { "check", "a\"b\\c\nd", "status", "pass", NULL },
                                         3);
        return r;
}

static void test_escaping(void **state) {
        _cleanup_free_ char *out = render(write_escaped, NULL);
        (void) state;
        assert_string_equal(out, "# HELP vigie_x a\\\\b\\nc\n# TYPE vigie_x gauge\n"
                                 "vigie_x{check=\"a\\\"b\\\\c\\nd\",status=\"pass\"} 3\n");
}

static int write_server(FILE *f, const void *arg) {
        return metrics_write_server(f, arg, 3, 1);
}

static void test_counters(void **state) {
        ServerMetrics m = {};
        _cleanup_free_ char *out = NULL;
        (void) state;
        metrics_report_refused(&m, "replay");
        metrics_report_refused(&m, "replay");
        metrics_report_refused(&m, "bad_signature");
        metrics_observe_request(&m, 700);            /* 0.7 ms */
        metrics_observe_request(&m, 30 * USEC_PER_SEC); /* beyond every bucket */
        out = render(write_server, &m);
        assert_non_null(strstr(out, "vigie_reports_accepted_total 3\n"));
        assert_non_null(strstr(out, "vigie_reports_refused_total{reason=\"replay\"} 2\n"));
        assert_non_null(strstr(out, "vigie_reports_refused_total{reason=\"bad_signature\"} 1\n"));
        assert_non_null(strstr(out, "vigie_enrollments_total 1\n"));
        assert_non_null(strstr(out, "vigie_http_request_duration_seconds_bucket{le=\"0.0005\"} 0\n"));
        assert_non_null(strstr(out, "vigie_http_request_duration_seconds_bucket{le=\"0.001\"} 1\n"));
        assert_non_null(strstr(out, "vigie_http_request_duration_seconds_bucket{le=\"2.5\"} 1\n"));
        assert_non_null(strstr(out, "vigie_http_request_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert_non_null(strstr(out, "vigie_http_request_duration_seconds_count 2\n"));
        assert_non_null(strstr(out, "# TYPE vigie_http_request_duration_seconds histogram\n"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escaping),
                cmocka_unit_test(test_counters),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
