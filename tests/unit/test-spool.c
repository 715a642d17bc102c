/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs-util.h"
#include "json-util.h"
#include "spool.h"

#define KID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static EVP_PKEY *key;

/* A signed report continuing s's chain, padded with `pad` bytes of summary. */
static char *make_report(Spool *s, size_t pad) {
        _cleanup_(check_result_freep) CheckResult *cr = check_result_new("backup", "Backup");
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *summary = calloc(1, pad + 1);
        CheckResult *checks[1] = { cr };
        char *jws = NULL;

        assert_non_null(summary);
        memset(summary, 'x', pad);
        assert_int_equal(check_result_set(cr, CHECK_PASS, "%s", summary), 0);
        ReportClaims c = {
                .sub = (char *) "6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
                .iat = 1764439200,
                .seq = spool_next_seq(s),
                .prev = (char *) spool_prev(s),
                .agent_version = (char *) "0.1.0",
                .agent_key = (char *) "file",
                .hostname = (char *) "h",
                .os_id = (char *) "debian",
                .os_version_id = (char *) "12",
                .os_pretty = (char *) "",
                .kernel = (char *) "6.1",
                .policy_id = (char *) "default",
                .policy_version = 1,
                .compliant = true,
                .dropped = spool_dropped(s),
                .checks = checks,
                .n_checks = 1,
        };
        assert_int_equal(report_claims_to_json(&c, &j), 0);
        assert_int_equal(jws_sign(key, KID, NULL, json_compact(j), strlen(json_compact(j)), &jws), 0);
        return jws;
}

static char *tmpdir(void) {
        char *d = strdup("/tmp/test-spool-XXXXXX");
        assert_non_null(mkdtemp(d));
        return d;
}

static void rm_rf(const char *dir) {
        _cleanup_free_ char *cmd = NULL;
        assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
        assert_int_equal(system(cmd), 0);
}

static void test_append_and_chain(void **state) {
        _cleanup_free_ char *dir = tmpdir(), *a = NULL, *b = NULL, *data = NULL;
        _cleanup_(spool_freep) Spool *s = NULL;
        char hash[REPORT_HASH_SIZE];
        size_t n, len;
        (void) state;

        assert_int_equal(spool_open(dir, NULL, 0, &s, NULL), 0);
        assert_int_equal(spool_next_seq(s), 1);
        assert_null(spool_prev(s));
        a = make_report(s, 0);
        assert_int_equal(spool_append(s, a, strlen(a), NULL, NULL), 0);
        assert_int_equal(spool_next_seq(s), 2);
        assert_int_equal(report_hash(a, strlen(a), hash), 0);
        assert_string_equal(spool_prev(s), hash);
        b = make_report(s, 0);
        assert_int_equal(spool_append(s, b, strlen(b), NULL, NULL), 0);
        /* The same report again does not continue the chain. */
        assert_int_equal(spool_append(s, b, strlen(b), NULL, NULL), -ESTALE);
        assert_int_equal(spool_count(s), 2);
        assert_int_equal(spool_entries(s, &n)[0].seq, 1);
        assert_int_equal(spool_read(s, 1, &data, &len, NULL, NULL), 0);
        assert_string_equal(data, a);
        assert_int_equal(spool_remove(s, 1), 0);
        assert_int_equal(spool_count(s), 1);

        /* Reopened: same chain. */
        s = spool_free(s);
        assert_int_equal(spool_open(dir, NULL, 0, &s, NULL), 0);
        assert_int_equal(spool_next_seq(s), 3);
        assert_int_equal(spool_count(s), 1);
        assert_int_equal(spool_entries(s, &n)[0].seq, 2);
        s = spool_free(s);
        rm_rf(dir);
}

/* The report appended last is read back without parsing it again, but only while its file
 * holds exactly those bytes. */
static void test_read_recent(void **state) {
        _cleanup_free_ char *dir = tmpdir(), *a = NULL, *b = NULL, *data = NULL, *path = NULL;
        _cleanup_(spool_freep) Spool *s = NULL;
        SpoolRecord rec = {}, parsed = {};
        size_t len;
        (void) state;

        assert_int_equal(spool_open(dir, NULL, 0, &s, NULL), 0);
        a = make_report(s, 0);
        assert_int_equal(spool_append(s, a, strlen(a), NULL, NULL), 0);
        b = make_report(s, 0);
        assert_int_equal(spool_append(s, b, strlen(b), NULL, NULL), 0);
        assert_int_equal(spool_read(s, 2, &data, &len, &rec, NULL), 0);
        assert_string_equal(data, b);
        assert_int_equal(spool_record_parse(b, strlen(b), &parsed, NULL), 0);
        assert_int_equal(rec.seq, 2);
        assert_string_equal(rec.prev, parsed.prev);
        assert_memory_equal(rec.kid, parsed.kid, sizeof(rec.kid));
        assert_memory_equal(rec.hash, parsed.hash, sizeof(rec.hash));
        spool_record_done(&rec);
        spool_record_done(&parsed);
        data = (free(data), NULL);

        /* Its file changed, same length (one signature character): what the file says,
         * not what was cached. */
        char hash[REPORT_HASH_SIZE];
        b[strlen(b) - 2] = b[strlen(b) - 2] == 'A' ? 'B' : 'A';
        assert_int_equal(report_hash(b, strlen(b), hash), 0);
        path = path_join(dir, "spool/00000000000000000002.jws");
        assert_int_equal(write_file_atomic(path, b, strlen(b), 0600), 0);
        assert_int_equal(spool_read(s, 2, &data, &len, &rec, NULL), 0);
        assert_string_equal(data, b);
        assert_memory_equal(rec.hash, hash, sizeof(hash));
        spool_record_done(&rec);
        data = (free(data), NULL);
        /* Replaced by another report: refused. */
        assert_int_equal(write_file_atomic(path, a, strlen(a), 0600), 0);
        assert_int_equal(spool_read(s, 2, &data, &len, &rec, NULL), -EBADMSG);
        assert_null(data);
        s = spool_free(s);
        rm_rf(dir);
}

static void test_crash_between_report_and_state(void **state) {
        _cleanup_free_ char *dir = tmpdir(), *a = NULL, *b = NULL, *chain = NULL, *saved = NULL,
                            *tmp = NULL;
        _cleanup_(spool_freep) Spool *s = NULL;
        char hash[REPORT_HASH_SIZE];
        size_t size;
        (void) state;

        assert_int_equal(spool_open(dir, NULL, 0, &s, NULL), 0);
        a = make_report(s, 0);
        assert_int_equal(spool_append(s, a, strlen(a), NULL, NULL), 0);
        chain = path_join(dir, "spool/chain.json");
        assert_int_equal(read_file_full(chain, 4096, &saved, &size), 0);
        b = make_report(s, 0);
        assert_int_equal(spool_append(s, b, strlen(b), NULL, NULL), 0);
        s = spool_free(s);
        /* As if the process died after writing report 2 but before its chain state, and
         * left a temp file behind. */
        assert_int_equal(write_file_atomic(chain, saved, size, 0600), 0);
        tmp = path_join(dir, "spool/00000000000000000003.jws.tmp.12345");
        assert_int_equal(write_file_atomic(tmp, "half", 4, 0600), 0);

        assert_int_equal(spool_open(dir, NULL, 0, &s, NULL), 0);
        assert_int_equal(spool_next_seq(s), 3);
        assert_int_equal(report_hash(b, strlen(b), hash), 0);
        assert_string_equal(spool_prev(s), hash);
        assert_int_equal(spool_count(s), 2);
        assert_int_equal(access(tmp, F_OK), -1);
        s = spool_free(s);

        /* No chain state at all: the spool still says where the chain is. */
        assert_int_equal(unlink(chain), 0);
        assert_int_equal(spool_open(dir, NULL, 0, &s, NULL), 0);
        assert_int_equal(spool_next_seq(s), 3);
        s = spool_free(s);

        /* A damaged chain state with an empty spool cannot be guessed. */
        assert_int_equal(write_file_atomic(chain, "{", 1, 0600), 0);
        {
                _cleanup_free_ char *p1 = path_join(dir, "spool/00000000000000000001.jws"),
                                    *p2 = path_join(dir, "spool/00000000000000000002.jws");
                _cleanup_free_ char *err = NULL;
                assert_int_equal(unlink(p1), 0);
                assert_int_equal(unlink(p2), 0);
                assert_int_equal(spool_open(dir, NULL, 0, &s, &err), -EBADMSG);
                assert_non_null(strstr(err, "chain state is damaged"));
        }
        rm_rf(dir);
}

static void test_bounds_and_dropped(void **state) {
        _cleanup_free_ char *dir = tmpdir();
        _cleanup_(spool_freep) Spool *s = NULL;
        SpoolLimits limits = { .max_reports = 3 };
        uint64_t dropped = 0;
        size_t n;
        (void) state;

        assert_int_equal(spool_open(dir, &limits, 0, &s, NULL), 0);
        for (int i = 0; i < 5; i++) {
                _cleanup_free_ char *r = make_report(s, 0);
                assert_int_equal(spool_append(s, r, strlen(r), &dropped, NULL), 0);
        }
        assert_int_equal(spool_count(s), 3);
        assert_int_equal(spool_entries(s, &n)[0].seq, 3);
        /* Report 4 pushed out report 1 and said so in report 5 ("dropped":1); report 5
         * pushed out report 2, which report 6 reports. */
        assert_int_equal(spool_dropped(s), 1);
        {
                _cleanup_free_ char *r = make_report(s, 0), *data = NULL;
                size_t len;
                _cleanup_(report_claims_freep) ReportClaims *c = NULL;
                _cleanup_(jws_freep) Jws *jws = NULL;
                assert_int_equal(spool_append(s, r, strlen(r), &dropped, NULL), 0);
                assert_int_equal(dropped, 1);
                assert_int_equal(spool_read(s, 6, &data, &len, NULL, NULL), 0);
                assert_int_equal(jws_parse(data, len, &jws, NULL), 0);
                assert_int_equal(report_claims_parse(jws->payload, jws->payload_size, &c, NULL), 0);
                assert_int_equal(c->dropped, 1);
        }
        assert_int_equal(spool_dropped(s), 1); /* report 3, pushed out by 6 */
        s = spool_free(s);

        /* A byte bound keeps at least the newest report. */
        limits = (SpoolLimits) { .max_bytes = 10 };
        assert_int_equal(spool_open(dir, &limits, 0, &s, NULL), 0);
        {
                _cleanup_free_ char *r = make_report(s, 100);
                assert_int_equal(spool_append(s, r, strlen(r), &dropped, NULL), 0);
        }
        assert_int_equal(spool_count(s), 1);
        assert_int_equal(spool_entries(s, &n)[0].seq, 7);
        s = spool_free(s);
        rm_rf(dir);
}

static void test_lock_and_reject(void **state) {
        _cleanup_free_ char *dir = tmpdir(), *err = NULL, *rejected = NULL;
        _cleanup_(spool_freep) Spool *s = NULL, *t = NULL;
        (void) state;

        assert_int_equal(spool_open(dir, NULL, 0, &s, NULL), 0);
        assert_int_equal(spool_open(dir, NULL, SPOOL_NONBLOCK, &t, &err), -EBUSY);
        {
                _cleanup_free_ char *r = make_report(s, 0);
                assert_int_equal(spool_append(s, r, strlen(r), NULL, NULL), 0);
        }
        assert_int_equal(spool_reject(s, 1), 0);
        assert_int_equal(spool_count(s), 0);
        rejected = path_join(dir, "spool/rejected/00000000000000000001.jws");
        assert_int_equal(access(rejected, F_OK), 0);
        assert_int_equal(spool_remove(s, 1), -ENOENT);
        s = spool_free(s);
        assert_int_equal(spool_open(dir, NULL, SPOOL_NONBLOCK, &t, NULL), 0);
        assert_int_equal(spool_next_seq(t), 2);
        t = spool_free(t);
        rm_rf(dir);
}

static void test_record_parse(void **state) {
        SpoolRecord rec = {};
        _cleanup_free_ char *err = NULL;
        (void) state;

        assert_int_equal(spool_record_parse("x.y.z", 5, &rec, &err), -EBADMSG);
        assert_non_null(err);
}

static int setup(void **state) {
        (void) state;
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        return key ? 0 : -1;
}

static int teardown(void **state) {
        (void) state;
        EVP_PKEY_free(key);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_append_and_chain),
                cmocka_unit_test(test_read_recent),
                cmocka_unit_test(test_crash_between_report_and_state),
                cmocka_unit_test(test_bounds_and_dropped),
                cmocka_unit_test(test_lock_and_reject),
                cmocka_unit_test(test_record_parse),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
