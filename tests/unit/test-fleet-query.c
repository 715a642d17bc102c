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
        assert_string_equal(q->os_id, "debian");
        assert_string_equal(q->os_version, "12");
        assert_string_equal(q->q, "lap top");
        assert_true(q->since > 0);
        assert_int_equal(q->sort, FLEET_SORT_LAST_REPORT);
        assert_true(q->descending);
        assert_int_equal(q->limit, 7);
}

/* The store's filter carries the same selection in storage terms, os= split in two. */
static void test_filter(void **state) {
        _cleanup_(fleet_query_freep) FleetQuery *q = NULL, *q2 = NULL;
        _cleanup_free_ char *c = NULL, *query = NULL;
        FleetFilter f;
        (void) state;
        assert_int_equal(fleet_query_parse("os=debian&q=lap&since=1970-01-01T00:00:00.5Z", &q, NULL), 0);
        fleet_query_filter(q, &f);
        assert_string_equal(f.os_id, "debian");
        assert_null(f.os_version);
        assert_string_equal(f.hostname_part, "lap");
        assert_int_equal(f.received_since, 1); /* still asks for a report */
        assert_int_equal(f.check_status, _CHECK_STATUS_INVALID);
        assert_int_equal(f.limit, FLEET_LIMIT_DEFAULT);
        assert_false(f.after.set);

        c = fleet_cursor_encode(q, 0, NULL, "0a1b");
        assert_non_null(c);
        assert_true(asprintf(&query, "sort=-last_report&cursor=%s&status=stale", c) > 0);
        assert_int_equal(fleet_query_parse(query, &q2, NULL), -EINVAL); /* made for sort=device */
        free(c);
        c = NULL;
        q = fleet_query_free(q);
        assert_int_equal(fleet_query_parse("sort=-last_report&status=stale", &q, NULL), 0);
        c = fleet_cursor_encode(q, 1764439200, NULL, "0a1b");
        free(query);
        assert_true(asprintf(&query, "sort=-last_report&cursor=%s&status=stale", c) > 0);
        assert_int_equal(fleet_query_parse(query, &q2, NULL), 0);
        fleet_query_filter(q2, &f);
        assert_int_equal(f.status, FLEET_STATUS_STALE);
        assert_int_equal(f.sort, FLEET_SORT_LAST_REPORT);
        assert_true(f.descending);
        assert_true(f.after.set);
        assert_int_equal(f.after.key_int, 1764439200);
        assert_string_equal(f.after.device_id, "0a1b");
        assert_ptr_equal(f.after.device_id, q2->cursor.device_id); /* borrowed */
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
                cmocka_unit_test(test_filter),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_cursor_roundtrip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
