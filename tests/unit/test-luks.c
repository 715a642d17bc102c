/* SPDX-License-Identifier: MIT */
/* LUKS headers written by cryptsetup (the fuzz seed corpus), then damaged on purpose. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "fs-util.h"
#include "luks.h"

#define CORPUS "tests/fuzz/corpus/luks/"

static char *load(const char *name, size_t *ret_size) {
        char *buf = NULL;
        assert_int_equal(read_file_full(name, 1u << 22, &buf, ret_size), 0);
        return buf;
}

static void test_luks2_argon2id_tpm2(void **state) {
        _cleanup_(luks_header_freep) LuksHeader *h = NULL;
        _cleanup_free_ char *buf = NULL, *err = NULL;
        size_t size;
        (void) state;

        buf = load(CORPUS "luks2-argon2id-tpm2", &size);
        assert_int_equal(luks_header_parse_buffer(buf, size, &h, &err), 0);
        assert_int_equal(h->version, 2);
        assert_string_equal(h->cipher, "aes-xts-plain64");
        assert_int_equal(h->key_bits, 512);
        assert_int_equal(h->header_size, 16384);
        assert_false(h->from_secondary);
        assert_null(h->secondary_error);
        assert_int_equal(h->n_keyslots, 1);
        assert_string_equal(h->keyslots[0].pbkdf, "argon2id");
        assert_int_equal(h->keyslots[0].iterations, 4);
        assert_int_equal(h->keyslots[0].memory_kib, 32);
        assert_int_equal(h->n_tokens, 1);
        assert_string_equal(h->tokens[0].type, "systemd-tpm2");
        assert_string_equal(h->tokens[0].keyslots[0], "0");
}

static void test_luks2_two_slots_64k(void **state) {
        _cleanup_(luks_header_freep) LuksHeader *h = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t size;
        (void) state;

        buf = load(CORPUS "luks2-64k-two-slots", &size);
        assert_int_equal(luks_header_parse_buffer(buf, size, &h, NULL), 0);
        assert_int_equal(h->header_size, 65536);
        assert_string_equal(h->label, "My Disk");
        assert_int_equal(h->n_keyslots, 2);
        assert_string_equal(h->keyslots[0].pbkdf, "argon2i");
        assert_string_equal(h->keyslots[1].pbkdf, "pbkdf2");
        assert_string_equal(h->keyslots[1].hash, "sha256");
        assert_int_equal(h->keyslots[1].iterations, 1000);
}

static void test_luks1(void **state) {
        _cleanup_(luks_header_freep) LuksHeader *h = NULL;
        _cleanup_free_ char *buf = NULL, *err = NULL;
        size_t size;
        (void) state;

        buf = load(CORPUS "luks1-pbkdf2", &size);
        assert_int_equal(luks_header_parse_buffer(buf, size, &h, NULL), 0);
        assert_int_equal(h->version, 1);
        assert_string_equal(h->cipher, "aes-xts-plain64");
        assert_int_equal(h->key_bits, 512);
        assert_int_equal(h->n_keyslots, 1);
        assert_string_equal(h->keyslots[0].pbkdf, "pbkdf2");
        luks_header_free(h);
        h = NULL;
        /* cut inside the keyslot table */
        assert_int_equal(luks_header_parse_buffer(buf, 300, &h, &err), -EBADMSG);
        assert_string_equal(err, "truncated LUKS1 header: 300 of 592 bytes");
        free(err);
        err = NULL;
        buf[8 + 31] = 'x'; /* cipher name no longer NUL-terminated… */
        memset(buf + 8, 'a', 32);
        assert_int_equal(luks_header_parse_buffer(buf, size, &h, &err), -EBADMSG);
        assert_string_equal(err, "LUKS1 cipher name is not NUL-terminated");
}

static void test_checksum_and_secondary(void **state) {
        _cleanup_(luks_header_freep) LuksHeader *h = NULL;
        _cleanup_free_ char *buf = NULL, *err = NULL;
        size_t size;
        (void) state;

        buf = load(CORPUS "luks2-argon2id-tpm2", &size);
        /* one byte of the primary JSON area changed: the checksum catches it */
        buf[4096 + 2] ^= 0x20;
        assert_int_equal(luks_header_parse_buffer(buf, size, &h, &err), 0);
        assert_true(h->from_secondary);
        assert_string_equal(h->primary_error, "sha256 checksum mismatch at offset 0");
        assert_string_equal(h->cipher, "aes-xts-plain64");
        luks_header_free(h);
        h = NULL;

        /* the secondary damaged too: a clear error naming the primary's fault */
        buf[16384 + 4096 + 2] ^= 0x20;
        assert_int_equal(luks_header_parse_buffer(buf, size, &h, &err), -EBADMSG);
        assert_string_equal(err, "no valid LUKS2 header: primary: sha256 checksum mismatch at offset 0; "
                                 "no valid secondary copy found");
        free(err);
        err = NULL;

        /* primary fine, secondary damaged: used, and said */
        buf[4096 + 2] ^= 0x20;
        assert_int_equal(luks_header_parse_buffer(buf, size, &h, &err), 0);
        assert_false(h->from_secondary);
        assert_string_equal(h->secondary_error, "sha256 checksum mismatch at offset 16384");
}

static void test_bad_sizes_and_offsets(void **state) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        (void) state;

        buf = load(CORPUS "luks2-argon2id-tpm2", &size);
        {
                _cleanup_(luks_header_freep) LuksHeader *h = NULL;
                _cleanup_free_ char *err = NULL, *copy = malloc(size);
                assert_non_null(copy);
                memcpy(copy, buf, size);
                copy[8 + 5] = 0x7f; /* hdr_size: absurd */
                memset(copy + 16384, 0, 16); /* and no secondary */
                assert_int_equal(luks_header_parse_buffer(copy, size, &h, &err), -EBADMSG);
                assert_non_null(strstr(err, "is not one the spec allows"));
        }
        {
                _cleanup_(luks_header_freep) LuksHeader *h = NULL;
                _cleanup_free_ char *err = NULL, *copy = malloc(size);
                assert_non_null(copy);
                memcpy(copy, buf, size);
                copy[256 + 7] = 1; /* hdr_offset says 1 */
                memset(copy + 16384, 0, 16);
                assert_int_equal(luks_header_parse_buffer(copy, size, &h, &err), -EBADMSG);
                assert_non_null(strstr(err, "header at offset 0 says it is at 1"));
        }
}

static void test_garbage(void **state) {
        static const char *const files[] = { CORPUS "garbage", CORPUS "magic-only", CORPUS "luks2-truncated" };
        (void) state;

        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                _cleanup_(luks_header_freep) LuksHeader *h = NULL;
                _cleanup_free_ char *buf = NULL, *err = NULL;
                size_t size;
                buf = load(files[i], &size);
                assert_int_equal(luks_header_parse_buffer(buf, size, &h, &err), -EBADMSG);
                assert_non_null(err);
        }
        assert_true(luks_cipher_is_null("cipher_null-ecb"));
        assert_false(luks_cipher_is_null("aes-xts-plain64"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_luks2_argon2id_tpm2),
                cmocka_unit_test(test_luks2_two_slots_64k),
                cmocka_unit_test(test_luks1),
                cmocka_unit_test(test_checksum_and_secondary),
                cmocka_unit_test(test_bad_sizes_and_offsets),
                cmocka_unit_test(test_garbage),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
