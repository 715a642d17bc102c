/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "cleanup.h"
#include "fleet-query.h"

static void test_defaults(void **state) {
        _cleanup_(fleet_query_freep) FleetQuery *q = NULL;
        (void) state;
        assert_int_equal(fleet_query_parse("", &q, NULL), 0);
        assert_int_equal(q->status, FLEET_STATUS_ANY);
        assert_int_equal(q->limit, FLEET_LIMIT_DEFAULT);
        assert_int_equal(q->sort, FLEET_SORT_DEVICE);
        assert_null(q->check);
        assert_false(q->cursor.set);
}

static void test_all_filters(void **state) {
        _cleanup_(fleet_query_freep) FleetQuery *q = NULL;
        (void) state;
        assert_int_equal(fleet_query_parse("status=stale&check=backup&check_status=fail&os=debian%3A12"
                                           "&q=lap+top&since=2026-11-29T10:00:00Z&sort=-last_report&limit=7",
                                           &q, NULL), 0);
        assert_int_equal(q->status, FLEET_STATUS_STALE);
        assert_string_equal(q->check, "backup");
        assert_int_equal(q->check_status, CHECK_FAIL);
        assert_string_equal(q->os, "debian:12");
        assert_string_equal(q->q, "lap top");
        assert_true(q->since > 0);
        assert_int_equal(q->sort, FLEET_SORT_LAST_REPORT);
        assert_true(q->descending);
        assert_int_equal(q->limit, 7);
}

static void refused(const char *query, const char *needle) {
        _cleanup_(fleet_query_freep) FleetQuery *q = NULL;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(fleet_query_parse(query, &q, &err), -EINVAL);
        assert_non_null(err);
        if (!strstr(err, needle))
                fail_msg("\"%s\": message \"%s\" lacks \"%s\"", query, err, needle);
}

static void test_errors(void **state) {
        (void) state;
        refused("status=green", "status=\"green\"");
        refused("limit=0", "limit=\"0\"");
        refused("limit=1001", "limit");
        refused("limit=12abc", "limit");
        refused("check=Back;up", "check=");
        refused("check_status=broken&check=backup", "check_status=\"broken\"");
        refused("check_status=fail", "needs check=");
        refused("sort=color", "sort=\"color\"");
        refused("colour=red", "unknown parameter \"colour\"");
        refused("status=stale&status=flagged", "given twice");
        refused("q=%zz", "URL-encoded");
        refused("q=%0a", "URL-encoded");
        refused("q", "no value");
        refused("since=yesterday", "since=");
        refused("cursor=zz", "cursor=");
        refused("cursor=7b7d", "cursor=");
}

static void test_cursor_roundtrip(void **state) {
        _cleanup_(fleet_query_freep) FleetQuery *q = NULL, *q2 = NULL, *q3 = NULL;
        _cleanup_free_ char *c = NULL, *query = NULL, *err = NULL;
        (void) state;
        assert_int_equal(fleet_query_parse("sort=-hostname", &q, NULL), 0);
        c = fleet_cursor_encode(q, 0, "host-07", "0a1b");
        assert_non_null(c);
        assert_true(asprintf(&query, "sort=-hostname&cursor=%s", c) > 0);
        assert_int_equal(fleet_query_parse(query, &q2, NULL), 0);
        assert_true(q2->cursor.set);
        assert_string_equal(q2->cursor.key_text, "host-07");
        assert_string_equal(q2->cursor.device_id, "0a1b");
        free(query);
        /* a cursor made for another sort order is refused */
        assert_true(asprintf(&query, "cursor=%s&sort=hostname", c) > 0);
        assert_int_equal(fleet_query_parse(query, &q3, &err), -EINVAL);
        assert_non_null(strstr(err, "another sort order"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_all_filters),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_cursor_roundtrip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
