/* SPDX-License-Identifier: MIT */
/* report_claims_scan (common/report-read.c): the one-pass reader accepts with the tree
 * reader's fields, refuses what it refuses, and leaves to it what only json-c's tree can
 * decide; report_claims_read words every refusal as report_claims_parse does. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "macro.h"
#include "report.h"

#define REPORT                                                                                                  \
        "{\"sub\":\"6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b\",\"iat\":1764439200,\"seq\":1,\"prev\":null,"        \
        "\"agent\":{\"version\":\"0.1.0\",\"key\":\"file\"},\"host\":{\"hostname\":\"laptop-42\",\"os\":{"      \
        "\"id\":\"debian\",\"version_id\":\"12\",\"pretty\":\"Debian GNU/Linux 12 (bookworm)\"},"             \
        "\"kernel\":\"6.1.0-26-amd64\"},\"policy\":{\"id\":\"default\",\"version\":1},\"compliant\":false,"   \
        "\"checks\":[{\"id\":\"disk_encryption\",\"status\":\"pass\",\"title\":\"Disk encryption\","           \
        "\"summary\":\"/ is on LUKS2\",\"remediation\":null,\"deadline\":null,\"evidence\":{\"mounts\":[\"/\"]}," \
        "\"duration_us\":812},{\"id\":\"patch_level\",\"status\":\"fail\",\"title\":\"Patch level\","          \
        "\"summary\":\"1 security update pending\",\"remediation\":\"apt upgrade\","                            \
        "\"deadline\":\"2026-12-06T10:00:00Z\",\"evidence\":{\"pending\":1,\"x\":[1.5e3,true,null,{}]},"        \
        "\"duration_us\":40}]}"

/* REPORT with its first `find` replaced by `replace`. */
static char *variant(const char *find, const char *replace) {
        const char *p = strstr(REPORT, find);
        char *s;

        assert_non_null(p);
        assert_true(asprintf(&s, "%.*s%s%s", (int) (p - REPORT), REPORT, replace, p + strlen(find)) > 0);
        return s;
}

/* The scan's code for the variant; report_claims_read must decide as the tree reader. */
static int scan(const char *find, const char *replace) {
        _cleanup_free_ char *s = variant(find, replace), *tree_err = NULL, *read_err = NULL;
        _cleanup_(report_claims_freep) ReportClaims *c = NULL, *tree = NULL, *read = NULL;
        int r = report_claims_scan(s, strlen(s), &c);
        int t = report_claims_parse(s, strlen(s), &tree, &tree_err);

        assert_int_equal(report_claims_read(s, strlen(s), &read, &read_err) == 0, t == 0);
        if (t < 0)
                assert_string_equal(read_err, tree_err);
        if (r == 0)
                assert_int_equal(t, 0);
        else if (r != -EAGAIN)
                assert_true(t < 0);
        return r;
}

static void test_accept(void **state) {
        _cleanup_(report_claims_freep) ReportClaims *c = NULL;
        (void) state;

        assert_int_equal(report_claims_scan(REPORT, strlen(REPORT), &c), 0);
        assert_string_equal(c->sub, "6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b");
        assert_int_equal(c->iat, 1764439200);
        assert_int_equal(c->seq, 1);
        assert_null(c->prev);
        assert_string_equal(c->agent_key, "file");
        assert_string_equal(c->os_pretty, "Debian GNU/Linux 12 (bookworm)");
        assert_string_equal(c->policy_id, "default");
        assert_int_equal(c->policy_version, 1);
        assert_false(c->compliant);
        assert_int_equal(c->dropped, 0);
        assert_int_equal(c->n_checks, 2);
        assert_string_equal(c->checks[0]->id, "disk_encryption");
        assert_int_equal(c->checks[0]->status, CHECK_PASS);
        assert_null(c->checks[0]->remediation);
        assert_int_equal(c->checks[0]->duration_us, 812);
        assert_null(c->checks[0]->evidence); /* validated, not built */
        assert_int_equal(c->checks[1]->status, CHECK_FAIL);
        assert_string_equal(c->checks[1]->remediation, "apt upgrade");
        assert_int_equal(c->checks[1]->deadline, UINT64_C(1796551200) * USEC_PER_SEC);

        /* what json-c accepts too: whitespace, escapes, UTF-8, optional members */
        assert_int_equal(scan("{\"sub\":", " \r\n\t{ \"sub\" : "), 0);
        assert_int_equal(scan("\"summary\":\"/ is on LUKS2\"",
                              "\"summary\":\"\\/ is on \\u004cUKS2\\n\\u00e9\\u20ac\\ud83d\\ude00 été\""), 0);
        assert_int_equal(scan("\"compliant\"", "\"dropped\":3,\"compliant\""), 0);
        assert_int_equal(scan(",\"duration_us\":812", ""), 0);
        assert_int_equal(scan("\"duration_us\":812", "\"duration_us\":812,\"extra\":{\"a\":[1,{}]}"), 0);
        assert_int_equal(scan("\"version\":1}", "\"version\":-0}"), 0);
}

static void test_accept_fields(void **state) {
        _cleanup_free_ char *s = variant("\"summary\":\"/ is on LUKS2\"", "\"summary\":\"a\\nb\\u00e9\\ud83d\\ude00\"");
        _cleanup_(report_claims_freep) ReportClaims *c = NULL;
        (void) state;

        assert_int_equal(report_claims_scan(s, strlen(s), &c), 0);
        assert_string_equal(c->checks[0]->summary, "a\nb\xc3\xa9\xf0\x9f\x98\x80");
}

/* The scan decodes into a buffer its thread keeps (256 KiB), a larger payload into one of
 * its own; either way the claims returned own their strings: a later scan on the same
 * thread does not touch them. */
static void test_scratch(void **state) {
        _cleanup_(report_claims_freep) ReportClaims *a = NULL, *b = NULL, *big = NULL, *tree = NULL;
        _cleanup_free_ char *other = variant("laptop-42", "laptop-43"), *list = NULL, *s = NULL;
        const size_t n = 80, len = 4000;
        char *p;
        (void) state;

        assert_int_equal(report_claims_scan(REPORT, strlen(REPORT), &a), 0);
        assert_int_equal(report_claims_scan(other, strlen(other), &b), 0);
        assert_string_equal(a->hostname, "laptop-42");
        assert_string_equal(b->hostname, "laptop-43");
        assert_string_equal(a->checks[1]->summary, "1 security update pending");

        /* evidence of n strings of len bytes: past the kept buffer */
        p = list = malloc(n * (len + 3) + 1);
        assert_non_null(list);
        for (size_t i = 0; i < n; i++) {
                p = stpcpy(p, i ? ",\"" : "\"");
                memset(p, 'a' + (int) (i % 26), len);
                p = stpcpy(p + len, "\"");
        }
        assert_true(asprintf(&p, "\"mounts\":[%s]", list) > 0);
        s = variant("\"mounts\":[\"/\"]", p);
        free(p);
        assert_true(strlen(s) > 256 * 1024);
        assert_int_equal(report_claims_scan(s, strlen(s), &big), 0);
        assert_int_equal(report_claims_parse(s, strlen(s), &tree, NULL), 0);
        assert_string_equal(big->hostname, tree->hostname);
        assert_string_equal(big->checks[1]->remediation, tree->checks[1]->remediation);
        assert_string_equal(a->hostname, "laptop-42");
        assert_string_equal(b->checks[0]->title, "Disk encryption");
}

static void test_refuse(void **state) {
        (void) state;
        /* grammar: json-strict's */
        assert_int_equal(scan("\"seq\":1", "\"seq\":01"), -EBADMSG);
        assert_int_equal(scan("]}", "],}"), -EBADMSG);
        assert_int_equal(scan("\"laptop-42\"", "\"lap\ttop\""), -EBADMSG);
        assert_int_equal(scan("\"laptop-42\"", "\"lap\\xtop\""), -EBADMSG);
        assert_int_equal(scan("\"laptop-42\"", "\"lap\\u12\""), -EBADMSG);
        assert_int_equal(scan("\"compliant\":false", "\"compliant\":fals"), -EBADMSG);
        assert_int_equal(scan("\"pending\":1", "\"pending\":1."), -EBADMSG);
        assert_int_equal(scan("\"pending\":1", "\"pending\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
                         -EBADMSG);
        assert_int_equal(scan("]}", "]} x"), -EBADMSG);
        /* UTF-8 as json-c checks it */
        assert_int_equal(scan("\"laptop-42\"", "\"lap\xc3(\""), -EBADMSG);
        assert_int_equal(scan("\"laptop-42\"", "\"lap\xf8\x80\x80\x80\""), -EBADMSG);
        assert_int_equal(scan("\"laptop-42\"", "\"lap\xe2\x82\""), -EBADMSG);
        /* shape */
        assert_int_equal(scan("{\"sub\"", "{\"evil\":1,\"sub\""), -EINVAL);
        assert_int_equal(scan("\"key\":\"file\"", "\"key\":\"file\",\"x\":[]"), -EINVAL);
        assert_int_equal(scan("\"iat\":1764439200,", ""), -EINVAL);
        assert_int_equal(scan("\"remediation\":null,", ""), -EINVAL);
        assert_int_equal(scan("\"evidence\":{\"mounts\":[\"/\"]}", "\"evidence\":[]"), -EINVAL);
        assert_int_equal(scan("\"policy\":{\"id\":\"default\",\"version\":1}", "\"policy\":[]"), -EINVAL);
        assert_int_equal(scan("\"checks\":[", "\"checks\":[1,"), -EINVAL);
        /* types and ranges */
        assert_int_equal(scan("\"seq\":1", "\"seq\":\"1\""), -EINVAL);
        assert_int_equal(scan("\"seq\":1", "\"seq\":1.0"), -EINVAL);
        assert_int_equal(scan("\"seq\":1", "\"seq\":1e0"), -EINVAL);
        assert_int_equal(scan("\"seq\":1", "\"seq\":0"), -EINVAL);
        assert_int_equal(scan("\"iat\":1764439200", "\"iat\":-1"), -EINVAL);
        assert_int_equal(scan("\"compliant\"", "\"dropped\":0,\"compliant\""), -EINVAL);
        assert_int_equal(scan("\"compliant\"", "\"dropped\":null,\"compliant\""), -EINVAL);
        assert_int_equal(scan("\"duration_us\":812", "\"duration_us\":-1"), -EINVAL);
        assert_int_equal(scan("\"compliant\":false", "\"compliant\":0"), -EINVAL);
        assert_int_equal(scan("\"prev\":null", "\"prev\":1"), -EINVAL);
        /* the rules of report_claims_check and check_texts_check */
        assert_int_equal(scan("\"sub\":\"6f1c", "\"sub\":\"6F1C"), -EINVAL);
        assert_int_equal(scan("\"laptop-42\"", "\"lap\\u009btop\""), -EINVAL);
        assert_int_equal(scan("\"id\":\"disk_encryption\"", "\"id\":\"Disk\""), -EINVAL);
        assert_int_equal(scan("\"id\":\"patch_level\"", "\"id\":\"disk_encryption\""), -EINVAL);
        assert_int_equal(scan("\"status\":\"fail\"", "\"status\":\"great\""), -EINVAL);
        assert_int_equal(scan("\"status\":\"fail\"", "\"status\":\"warn\""), -EINVAL);
        assert_int_equal(scan("\"deadline\":\"2026-12-06T10:00:00Z\"", "\"deadline\":\"soon\""), -EINVAL);
        assert_int_equal(scan("\"title\":\"Patch level\"", "\"title\":\"\""), -EINVAL);
}

/* What only json-c's tree can decide is left to it: -EAGAIN, and report_claims_read
 * decides as report_claims_parse (scan() checks it). */
static void test_undecided(void **state) {
        _cleanup_free_ char *s = variant("{\"sub\":", "{\"sub\":5,\"sub\":");
        _cleanup_(report_claims_freep) ReportClaims *c = NULL;
        (void) state;

        /* a member named twice: json-c keeps the last value */
        assert_int_equal(scan("{\"sub\":", "{\"sub\":5,\"sub\":"), -EAGAIN);
        assert_int_equal(report_claims_read(s, strlen(s), &c, NULL), 0);
        assert_int_equal(scan("\"mounts\":[\"/\"]", "\"mounts\":\"\\u0001\",\"mounts\":[\"/\"]"), -EAGAIN);
        assert_int_equal(scan("\"mounts\":[\"/\"]", "\"mounts\":[\"/\"],\"mounts\":\"\\u0001\""), -EAGAIN);
        /* evidence breaking a rule */
        assert_int_equal(scan("\"pending\":1", "\"pending\":[[[[[[[[1]]]]]]]]"), -EAGAIN);
        assert_int_equal(scan("\"pending\":1", "\"\":1"), -EAGAIN);
        assert_int_equal(scan("\"pending\":1", "\"pending\":\"\\u001b[31m\""), -EAGAIN);
        /* json-c's own readings */
        assert_int_equal(scan("\"laptop-42\"", "\"lap\\u0000\\u0001\""), -EAGAIN);
        assert_int_equal(scan("\"laptop-42\"", "\"lap\\udc00\""), -EAGAIN);
        assert_int_equal(scan("\"duration_us\":812", "\"duration_us\":18446744073709551615"), -EAGAIN);
        /* within json-strict's nesting, deeper than a report */
        assert_int_equal(scan("\"duration_us\":812", "\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]"), -EAGAIN);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_accept),
                cmocka_unit_test(test_accept_fields),
                cmocka_unit_test(test_scratch),
                cmocka_unit_test(test_refuse),
                cmocka_unit_test(test_undecided),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
