/* SPDX-License-Identifier: MIT */
/* Fleet queries on a real SQLite store filled through the store's own ingest functions.
 * The device list is driven by query strings, turned into the store's FleetFilter the way
 * the API does (fleet_query_filter()). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "fleet-query.h"
#include "store-fleet.h"

#define NOW 1764439200
static const FleetTimes times = { .stale_before = NOW - 3 * 3600, .flagged_after = NOW - 86400 };

static char dir[] = "/tmp/vigie-store-fleet-XXXXXX";
static Store *store;

static void enroll(const char *id, int64_t at) {
        char serial[64];
        snprintf(serial, sizeof serial, "s-%s", id);
        StoreCert c = { .serial = serial, .role = CERT_ROLE_DEVICE, .subject = id, .device_id = id,
                        .fingerprint = serial, .not_before = at, .not_after = at + 86400 * 90,
                        .issued_at = at, .pem = "PEM" };
        assert_int_equal(store_device_set_cert(store, id, &c, "file", true, at), 0);
}

static void report(const char *id, int64_t seq, int64_t at, const char *host, const char *os_version,
                   const char *backup, const char *disk) {
        StoreCheck checks[] = { { "backup", backup, "b" }, { "disk_encryption", disk, "d" } };
        bool ok = check_status_ok(check_status_from_string(backup)) &&
                  check_status_ok(check_status_from_string(disk));
        char hash[65];
        snprintf(hash, sizeof hash, "%064" PRId64, seq);
        StoreReport r = { .device_id = id, .seq = seq, .iat = at, .received_at = at, .hash = hash,
                          .compliant = ok, .failing = ok ? NULL : "backup", .jws = "x.eyJzdWIiOiJ4In0.z",
                          .claims = "{\"sub\":\"x\"}", /* the payload, decoded */ .cert_serial = "s", .hostname = host,
                          .os_id = "debian", .os_version = os_version, .os_pretty = "Debian",
                          .checks = checks, .n_checks = 2 };
        assert_int_equal(store_report_insert(store, &r), 0);
}

static int setup(void **state) {
        char path[128];
        (void) state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "sqlite:%s/db", dir);
        assert_int_equal(store_open(path, &store, NULL), 0);
        enroll("a", NOW - 86400);
        report("a", 1, NOW - 7200, "Alpha", "12", "fail", "pass");
        report("a", 2, NOW - 60, "Alpha", "12", "pass", "pass");   /* compliant */
        enroll("b", NOW - 86400);
        report("b", 1, NOW - 120, "bravo", "13", "fail", "pass");  /* noncompliant */
        enroll("c", NOW - 86400);
        report("c", 1, NOW - 86400 / 2, "charlie", "12", "pass", "pass"); /* stale */
        enroll("d", NOW - 86400);                                   /* stale, never reported */
        enroll("e", NOW - 60);                                      /* pending */
        enroll("f", NOW - 86400);
        report("f", 1, NOW - 30, "foxtrot", "12", "pass", "fail");  /* noncompliant, then revoked */
        assert_int_equal(store_device_revoke(store, "f", NOW), 0);
        assert_int_equal(store_device_flag(store, "b", "replay", NOW), 0);
        return 0;
}

static int teardown(void **state) {
        char cmd[128];
        (void) state;
        store_free(store);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        return system(cmd);
}

static void test_summary(void **state) {
        FleetSummary s = {};
        (void) state;
        assert_int_equal(store_fleet_summary(store, &times, &s), 0);
        assert_int_equal(s.revoked, 1);
        assert_int_equal(s.enrolled, 5);
        assert_int_equal(s.compliant, 1);
        assert_int_equal(s.noncompliant, 1);
        assert_int_equal(s.reporting, 2);
        assert_int_equal(s.stale, 2);
        assert_int_equal(s.pending, 1);
        assert_int_equal(s.flagged, 1);
        assert_int_equal(s.n_checks, 2);
        assert_string_equal(s.checks[0].check_id, "backup");
        /* a: pass, b: fail, c: pass (f revoked is not counted) */
        assert_int_equal(s.checks[0].n[CHECK_PASS], 2);
        assert_int_equal(s.checks[0].n[CHECK_FAIL], 1);
        assert_string_equal(s.checks[1].check_id, "disk_encryption");
        assert_int_equal(s.checks[1].n[CHECK_PASS], 3);
        assert_int_equal(s.checks[1].n[CHECK_FAIL], 0);
        fleet_summary_done(&s);
        /* time passes: the flag ages out of its window, every report goes stale */
        FleetTimes later = { .stale_before = NOW + 1, .flagged_after = NOW + 1 };
        assert_int_equal(store_fleet_summary(store, &later, &s), 0);
        assert_int_equal(s.flagged, 0);
        assert_int_equal(s.stale, 5);
        assert_int_equal(s.reporting, 0);
        fleet_summary_done(&s);
}

typedef struct Ids {
        char ids[16][8];
        size_t n;
} Ids;

static int collect(const FleetDevice *d, void *userdata) {
        Ids *ids = userdata;
        snprintf(ids->ids[ids->n++], 8, "%s", d->device_id);
        return 0;
}

static int devices(const FleetQuery *q, Ids *ids) {
        FleetFilter f;
        fleet_query_filter(q, &f);
        return store_fleet_devices(store, &f, &times, collect, ids);
}

static char *list(const char *query) {
        _cleanup_(fleet_query_freep) FleetQuery *q = NULL;
        _cleanup_free_ char *err = NULL;
        Ids ids = {};
        char *out = calloc(1, 64);
        assert_int_equal(fleet_query_parse(query, &q, &err), 0);
        assert_true(devices(q, &ids) >= 0);
        for (size_t i = 0; i < ids.n; i++)
                strcat(out, ids.ids[i]);
        return out;
}

#define assert_list(query, expected)                            \
        do {                                                    \
                _cleanup_free_ char *_l = list(query);          \
                assert_string_equal(_l, expected);              \
        } while (0)

static void test_filters(void **state) {
        (void) state;
        assert_list("", "abcdef");
        assert_list("status=compliant", "a");
        assert_list("status=noncompliant", "b");
        assert_list("status=stale", "cd");
        assert_list("status=flagged", "b");
        assert_list("status=revoked", "f");
        assert_list("check=backup&check_status=fail", "b");
        assert_list("check=disk_encryption&check_status=fail", "f");
        assert_list("check=backup", "abcf");
        assert_list("os=debian:13", "b");
        assert_list("os=debian", "abcf");
        assert_list("os=ubuntu", "");
        assert_list("q=ALP", "a");
        assert_list("q=%25", "");
        assert_list("since=2025-11-29T17:00:00Z", "abf");
        assert_list("sort=-device", "fedcba");
        assert_list("sort=hostname", "deabcf"); /* no hostname first, then Alpha bravo… by case */
        assert_list("sort=-last_report", "fabced");
        assert_list("status=any&sort=noncompliant_since&limit=2", "acd"); /* limit + 1 rows */
}

static void test_pagination(void **state) {
        _cleanup_(fleet_query_freep) FleetQuery *q = NULL, *q2 = NULL;
        _cleanup_free_ char *c = NULL, *next = NULL;
        Ids ids = {};
        (void) state;
        assert_int_equal(fleet_query_parse("sort=-last_report&limit=2", &q, NULL), 0);
        assert_int_equal(devices(q, &ids), 3);
        assert_string_equal(ids.ids[1], "a");
        c = fleet_cursor_encode(q, NOW - 60, NULL, "a");
        assert_true(asprintf(&next, "sort=-last_report&limit=2&cursor=%s", c) > 0);
        ids = (Ids) {};
        assert_int_equal(fleet_query_parse(next, &q2, NULL), 0);
        assert_int_equal(devices(q2, &ids), 3);
        assert_string_equal(ids.ids[0], "b");
        assert_string_equal(ids.ids[1], "c");
}

static int count_history(const FleetHistory *h, void *userdata) {
        (void) h;
        (*(int *) userdata)++;
        return 0;
}

static void test_detail(void **state) {
        _cleanup_free_ char *claims = NULL;
        int n = 0;
        Ids ids = {};
        (void) state;
        assert_int_equal(store_fleet_device(store, "a", collect, &ids), 0);
        assert_int_equal(store_fleet_device(store, "zz", collect, &ids), -ENOENT);
        assert_int_equal(store_fleet_latest_claims(store, "a", &claims), 0);
        assert_string_equal(claims, "{\"sub\":\"x\"}");
        assert_int_equal(store_fleet_latest_claims(store, "d", &claims), -ENOENT);
        assert_int_equal(store_fleet_history(store, "a", 100, count_history, &n), 0);
        assert_int_equal(n, 3); /* backup fail→pass, disk pass */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_summary),
                cmocka_unit_test(test_filters),
                cmocka_unit_test(test_pagination),
                cmocka_unit_test(test_detail),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
