/* SPDX-License-Identifier: MIT */
/* server/store.c over SQLite in a temporary directory (the integration tests run the same
 * operations through the HTTP API on SQLite and PostgreSQL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "cleanup.h"
#include "store.h"

#define DEV "6f1c2a9e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
#define H(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

/* The chain head as ingest reads it (store_report_prepare()), with certificate 02. */
static int chain_head(Store *s, int64_t *ret_seq, char ret_hash[static SHA256_HEX_SIZE]) {
        _cleanup_(store_report_prep_done) StoreReportPrep p = {};
        int r = store_report_prepare(s, DEV, "02", "x.y.z", "{}", 100, &p);

        if (r < 0)
                return r;
        if (!p.head.found)
                return -ENOENT;
        assert_true(p.cert.known && !p.cert.revoked);
        *ret_seq = p.head.seq;
        memcpy(ret_hash, p.head.hash, SHA256_HEX_SIZE);
        return 0;
}

static Store *open_temp(char dir[static 64]) {
        char url[128];
        Store *s = NULL;
        snprintf(dir, 64, "/tmp/vigie-test-store.XXXXXX");
        assert_non_null(mkdtemp(dir));
        snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
        assert_int_equal(store_open(url, &s, NULL), 0);
        return s;
}

static void cleanup_temp(Store *s, const char *dir) {
        char cmd[128];
        store_free(s);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

static void test_tokens(void **state) {
        char dir[64], *id = NULL;
        Store *s = open_temp(dir);
        const char hash[SHA256_HEX_SIZE] = H("a");
        (void) state;

        assert_int_equal(store_token_add(s, hash, &(StoreToken) { .uses_left = 2, .created_at = 100, .expires_at = 200 }), 0);
        assert_int_equal(store_token_consume(s, hash, 150, &id), 0);
        assert_string_equal(id, "aaaaaaaaaaaa");
        free(id);
        assert_int_equal(store_token_consume(s, hash, 250, NULL), -EKEYEXPIRED);
        assert_int_equal(store_token_consume(s, hash, 150, NULL), 0);
        assert_int_equal(store_token_consume(s, hash, 150, NULL), -EUSERS);
        assert_int_equal(store_token_consume(s, H("b"), 150, NULL), -ENOENT);
        assert_int_equal(store_token_revoke(s, "aaaaa", 160), -EINVAL);
        assert_int_equal(store_token_revoke(s, "aaaaaa", 160), 0);
        assert_int_equal(store_token_revoke(s, "aaaaaa", 160), -EALREADY);
        assert_int_equal(store_token_consume(s, hash, 150, NULL), -EKEYREVOKED);
        cleanup_temp(s, dir);
}

static void test_devices_and_reports(void **state) {
        char dir[64], head_hash[SHA256_HEX_SIZE], got[SHA256_HEX_SIZE];
        Store *s = open_temp(dir);
        StoreCertStatus st;
        int64_t head;
        _cleanup_(store_device_done) StoreDevice d = {};
        const StoreCert c1 = { .serial = "01", .role = CERT_ROLE_DEVICE, .subject = DEV, .device_id = DEV,
                               .fingerprint = H("1"), .not_before = 1, .not_after = 2, .issued_at = 1 };
        const StoreCert c2 = { .serial = "02", .role = CERT_ROLE_DEVICE, .subject = DEV, .device_id = DEV,
                               .fingerprint = H("2"), .not_before = 1, .not_after = 3, .issued_at = 2 };
        StoreCheck fail[] = { { "backup", "fail", "old" }, { "disk_encryption", "pass", "ok" } };
        StoreCheck pass[] = { { "backup", "pass", "fresh" }, { "disk_encryption", "pass", "ok" } };
        (void) state;

        assert_int_equal(chain_head(s, &head, head_hash), -ENOENT);
        assert_int_equal(store_device_set_cert(s, DEV, &c1, "ec-p256", true, 10), 0);
        assert_int_equal(store_cert_status(s, "01", &st), 0);
        assert_true(st.known && !st.revoked);
        /* Renewal revokes the previous certificate. */
        assert_int_equal(store_device_set_cert(s, DEV, &c2, "ec-p256", false, 20), 0);
        assert_int_equal(store_cert_status(s, "01", &st), 0);
        assert_true(st.known && st.revoked);
        assert_int_equal(store_cert_status(s, "03", &st), 0);
        assert_false(st.known);
        assert_int_equal(store_device_get(s, DEV, &d), 0);
        assert_string_equal(d.cert_serial, "02");
        assert_int_equal(d.enrolled_at, 10);
        assert_int_equal(d.last_seq, -1);

        assert_int_equal(store_begin(s), 0);
        assert_int_equal(chain_head(s, &head, head_hash), 0);
        assert_int_equal(head, -1);
        assert_int_equal(store_report_insert(s, &(StoreReport) {
                .device_id = DEV, .seq = 1, .iat = 100, .received_at = 101, .hash = H("c"),
                .compliant = false, .failing = "backup", .jws = "x.y.z", .claims = "{}",
                .cert_serial = "02", .hostname = "h", .checks = fail, .n_checks = 2 }), 0);
        /* A savepoint that fails is undone alone. */
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_report_insert(s, &(StoreReport) {
                .device_id = DEV, .seq = 1, .iat = 100, .received_at = 101, .hash = H("d"),
                .jws = "x", .claims = "{}", .cert_serial = "02" }), -EEXIST);
        assert_int_equal(store_rollback(s), 0);
        assert_int_equal(store_report_insert(s, &(StoreReport) {
                .device_id = DEV, .seq = 2, .iat = 200, .received_at = 201, .hash = H("e"), .prev = H("c"),
                .compliant = true, .jws = "x.y.z", .claims = "{}", .cert_serial = "02",
                .hostname = "h", .checks = pass, .n_checks = 2 }), 0);
        assert_int_equal(store_commit(s), 0);

        assert_int_equal(chain_head(s, &head, head_hash), 0);
        assert_int_equal(head, 2);
        assert_string_equal(head_hash, H("e"));
        assert_int_equal(store_report_hash(s, DEV, 1, got), 0);
        assert_string_equal(got, H("c"));
        assert_int_equal(store_report_hash(s, DEV, 3, got), -ENOENT);

        assert_int_equal(store_device_flag(s, DEV, "seq_conflict", 300), 0);
        assert_int_equal(store_device_revoke(s, DEV, 400), 0);
        assert_int_equal(store_cert_status(s, "02", &st), 0);
        assert_true(st.revoked && st.device_flagged);
        assert_int_equal(store_device_revoke(s, DEV, 400), -ENOENT);
        cleanup_temp(s, dir);
}

/* A transaction run ahead on SQLite: its units take no savepoint (no statement run for
 * their begin and end), and a unit rolled back after it changed rows says the whole
 * transaction must run again; one that changed nothing does not. */
static void test_units_without_savepoint(void **state) {
        char dir[64], *id = NULL;
        Store *s = open_temp(dir);
        const char a[SHA256_HEX_SIZE] = H("a"), b[SHA256_HEX_SIZE] = H("b");
        uint64_t n;
        (void) state;

        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_run_ahead(s), 1);
        n = s->statements;
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_token_add(s, a, &(StoreToken) { .uses_left = 1, .created_at = 1 }), 0);
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(s->statements, n + 1);
        /* refused before any write */
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_token_consume(s, b, 2, NULL), -ENOENT);
        assert_int_equal(store_rollback(s), 0);
        assert_false(store_ahead_failed(s));
        /* refused after a write: only the whole transaction undoes it */
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_token_add(s, b, &(StoreToken) { .uses_left = 1, .created_at = 1 }), 0);
        assert_int_equal(store_rollback(s), 0);
        assert_true(store_ahead_failed(s));
        assert_int_equal(store_rollback(s), 0);
        assert_int_equal(store_token_consume(s, a, 2, NULL), -ENOENT);

        /* run again without running ahead: savepoints */
        assert_int_equal(store_begin(s), 0);
        assert_false(store_ahead_failed(s));
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_token_add(s, a, &(StoreToken) { .uses_left = 1, .created_at = 1 }), 0);
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(store_begin(s), 0);
        assert_int_equal(store_token_add(s, b, &(StoreToken) { .uses_left = 1, .created_at = 1 }), 0);
        assert_int_equal(store_rollback(s), 0);
        assert_int_equal(store_commit(s), 0);
        assert_int_equal(store_token_consume(s, a, 2, &id), 0);
        assert_string_equal(id, "aaaaaaaaaaaa");
        free(id);
        assert_int_equal(store_token_consume(s, b, 2, NULL), -ENOENT);
        cleanup_temp(s, dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tokens),
                cmocka_unit_test(test_devices_and_reports),
                cmocka_unit_test(test_units_without_savepoint),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
