/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cleanup.h"
#include "json-util.h"
#include "macro.h"
#include "report.h"

#define UUID "6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
#define HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static ReportClaims *sample(void) {
        ReportClaims *c = calloc(1, sizeof(ReportClaims));
        assert_non_null(c);
        c->sub = strdup(UUID);
        c->iat = 1764439200;
        c->seq = 2;
        c->prev = strdup(HASH);
        c->agent_version = strdup("0.1.0");
        c->agent_key = strdup("file");
        c->hostname = strdup("laptop-42");
        c->os_id = strdup("debian");
        c->os_version_id = strdup("12");
        c->os_pretty = strdup("Debian GNU/Linux 12 (bookworm)");
        c->kernel = strdup("6.1.0-26-amd64");
        c->policy_id = strdup("default");
        c->policy_version = 1;
        c->checks = calloc(2, sizeof(CheckResult *));
        c->checks[0] = check_result_new("backup", "Backup");
        c->checks[0]->required = true;
        assert_int_equal(check_result_set(c->checks[0], CHECK_FAIL, "no backup for %d hours", 72), 0);
        c->n_checks = 1;
        c->compliant = false;
        return c;
}

static void test_round_trip(void **state) {
        _cleanup_(report_claims_freep) ReportClaims *c = sample(), *back = NULL;
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *err = NULL;
        const char *text;
        (void) state;

        c->dropped = 3;
        assert_int_equal(report_claims_to_json(c, &j), 0);
        text = json_compact(j);
        assert_true(startswith_str(text, "{\"sub\":\"" UUID "\",\"iat\":1764439200,\"seq\":2,\"prev\":\"" HASH
                                         "\",\"agent\":{\"version\":\"0.1.0\",\"key\":\"file\"},\"host\":{\"hostname\":\"laptop-42\""));
        assert_int_equal(report_claims_parse(text, strlen(text), &back, &err), 0);
        assert_string_equal(back->sub, UUID);
        assert_int_equal(back->seq, 2);
        assert_string_equal(back->prev, HASH);
        assert_int_equal(back->dropped, 3);
        assert_false(back->compliant);
        assert_int_equal(back->n_checks, 1);
        assert_int_equal(back->checks[0]->status, CHECK_FAIL);
}

static void expect_error(const char *find, const char *replace, const char *message) {
        _cleanup_(report_claims_freep) ReportClaims *c = sample(), *back = NULL;
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *err = NULL, *text = NULL;
        char *p;

        assert_int_equal(report_claims_to_json(c, &j), 0);
        text = strdup(json_compact(j));
        p = strstr(text, find);
        assert_non_null(p);
        {
                _cleanup_free_ char *edited = NULL;
                assert_true(asprintf(&edited, "%.*s%s%s", (int) (p - text), text, replace, p + strlen(find)) > 0);
                assert_true(report_claims_parse(edited, strlen(edited), &back, &err) < 0);
        }
        assert_null(back);
        assert_non_null(err);
        assert_string_equal(err, message);
}

static void test_refusals(void **state) {
        (void) state;
        expect_error("\"sub\":\"" UUID "\"", "\"sub\":\"not-a-uuid\"", "sub: \"not-a-uuid\" is not a lower-case UUID");
        expect_error("\"seq\":2", "\"seq\":0", "seq: 0 is out of range (1 to 9007199254740991)");
        expect_error("\"seq\":2", "\"seq\":\"2\"", "seq: expected integer, got string");
        expect_error("\"seq\":2,", "", "seq: missing");
        expect_error("\"prev\":\"" HASH "\"", "\"prev\":\"abc\"", "prev: \"abc\" is not 64 lower-case hex digits");
        expect_error("\"seq\":2", "\"seq\":1", "prev: must be null when seq is 1");
        expect_error("\"key\":\"file\"", "\"key\":\"hsm\"", "agent.key: \"hsm\" is not \"file\", \"tpm\" or \"provider\"");
        expect_error("\"key\":\"file\"", "\"key\":\"file\",\"x\":1", "agent.x: unknown member");
        expect_error("\"sub\"", "\"evil\":1,\"sub\"", "evil: unknown member");
        expect_error("\"hostname\":\"laptop-42\"", "\"hostname\":\"a\\nb\"",
                     "host.hostname: must be non-empty printable text of at most 255 bytes");
        expect_error("\"compliant\":false", "\"compliant\":0", "compliant: expected true or false, got int");
        expect_error("\"status\":\"fail\"", "\"status\":\"pass\"", "compliant: false, but every check is pass or warn");
        expect_error("\"status\":\"fail\"", "\"status\":\"great\"", "checks[].status: unknown status \"great\"");
        expect_error("\"checks\":[", "\"checks\":[{\"id\":\"backup\",\"title\":\"B\",\"status\":\"pass\",\"summary\":\"\",\"remediation\":null,\"deadline\":null,\"evidence\":{}},",
                     "checks: \"backup\" appears twice");
        expect_error("\"policy\":{\"id\":\"default\",\"version\":1}", "\"policy\":[]", "policy: expected object, got array");
}

static void test_policy_verdict(void **state) {
        _cleanup_(report_claims_freep) ReportClaims *c = sample();
        _cleanup_(policy_freep) Policy *p = policy_new_default();
        _cleanup_json_ json_object *pj = NULL;
        _cleanup_free_ char *err = NULL;
        static const char none_required[] = "{\"checks\":{\"disk_encryption\":{\"required\":false},"
                                            "\"patch_level\":{\"required\":false},\"backup\":{\"required\":false}}}";
        (void) state;

        /* Only backup is in the report: the required disk and patch checks count as failing. */
        assert_int_equal(report_claims_check_policy(c, p, &err), 0);
        c->compliant = true;
        assert_int_equal(report_claims_check_policy(c, p, &err), -EINVAL);
        assert_string_equal(err, "compliant: true, but the checks under policy \"default\" give false");
        free(err);
        err = NULL;
        policy_free(p);
        assert_int_equal(json_parse(none_required, strlen(none_required), &pj, NULL), 0);
        assert_int_equal(policy_from_json(pj, 0, &p, &err), 0);
        assert_int_equal(report_claims_check_policy(c, p, &err), 0);
        p->version = 2;
        assert_int_equal(report_claims_check_policy(c, p, &err), -EINVAL);
}

static void test_uuid(void **state) {
        (void) state;
        assert_true(uuid_string_is_valid(UUID));
        assert_false(uuid_string_is_valid("6F1C2A9E-3B4D-4E5F-8A9B-0C1D2E3F4A5B"));
        assert_false(uuid_string_is_valid("6f1c2a9e3b4d4e5f8a9b0c1d2e3f4a5b"));
        assert_false(uuid_string_is_valid(UUID "0"));
        assert_false(uuid_string_is_valid(""));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_policy_verdict),
                cmocka_unit_test(test_uuid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
