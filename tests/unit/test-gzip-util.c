/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "gzip-util.h"

static void test_round_trip(void **state) {
        static const char text[] = "eyJhbGciOiJFUzI1NiJ9.eyJzZXEiOjF9.c2lnbmF0dXJl";
        _cleanup_free_ char *gz = NULL, *back = NULL, *empty = NULL, *e = NULL;
        size_t gz_size, n;
        (void) state;

        assert_int_equal(gzip_compress(text, strlen(text), &gz, &gz_size), 0);
        assert_true(gz_size > 18 && (uint8_t) gz[0] == 0x1f && (uint8_t) gz[1] == 0x8b);
        assert_int_equal(gzip_inflate(gz, gz_size, 1024, &back, &n), 0);
        assert_int_equal(n, strlen(text));
        assert_string_equal(back, text); /* NUL-terminated */

        assert_int_equal(gzip_compress("", 0, &empty, &gz_size), 0);
        assert_int_equal(gzip_inflate(empty, gz_size, 0, &e, &n), 0);
        assert_int_equal(n, 0);
}

static void test_cap(void **state) {
        size_t big = 1 << 20, gz_size, n = 7;
        _cleanup_free_ char *data = malloc(big), *gz = NULL, *out = NULL;
        (void) state;

        assert_non_null(data);
        memset(data, 'a', big);
        assert_int_equal(gzip_compress(data, big, &gz, &gz_size), 0);
        assert_true(gz_size < 4096); /* a bomb: tiny on the wire */
        assert_int_equal(gzip_inflate(gz, gz_size, big - 1, &out, &n), -EFBIG);
        assert_null(out);
        assert_int_equal(n, 7); /* outputs untouched on failure */
        assert_int_equal(gzip_inflate(gz, gz_size, big, &out, &n), 0);
        assert_int_equal(n, big);
        assert_memory_equal(out, data, big);
}

static void test_malformed(void **state) {
        _cleanup_free_ char *gz = NULL, *bad = NULL;
        char *out = NULL;
        size_t gz_size, n;
        (void) state;

        assert_int_equal(gzip_compress("hello, world", 12, &gz, &gz_size), 0);
        assert_int_equal(gzip_inflate(gz, gz_size - 1, 100, &out, &n), -EBADMSG); /* truncated */
        assert_int_equal(gzip_inflate(gz, 0, 100, &out, &n), -EBADMSG);
        assert_int_equal(gzip_inflate("hello", 5, 100, &out, &n), -EBADMSG);
        bad = malloc(gz_size + 1);
        assert_non_null(bad);
        memcpy(bad, gz, gz_size);
        bad[gz_size] = 'x';
        assert_int_equal(gzip_inflate(bad, gz_size + 1, 100, &out, &n), -EBADMSG); /* trailing byte */
        bad[gz_size - 3] ^= 0x40; /* the length in the trailer */
        assert_int_equal(gzip_inflate(bad, gz_size, 100, &out, &n), -EBADMSG);
        assert_null(out);
}

/* The first buffer is sized from the trailer's ISIZE: a lying one changes nothing but
 * that buffer's size (zlib still checks the length), and an exact one fills it. */
static void test_trailer_is_a_hint(void **state) {
        static const char text[] = "{\"seq\":1,\"checks\":[]}";
        _cleanup_free_ char *gz = NULL, *out = NULL;
        char *none = NULL;
        size_t gz_size, n;
        (void) state;

        assert_int_equal(gzip_compress(text, strlen(text), &gz, &gz_size), 0);
        assert_int_equal(gzip_inflate(gz, gz_size, strlen(text), &out, &n), 0); /* max == size */
        assert_int_equal(n, strlen(text));
        assert_string_equal(out, text);
        for (unsigned claim = 0; claim < 3; claim++) {
                static const uint32_t isize[] = { 1000, 1, UINT32_MAX };
                for (int i = 0; i < 4; i++)
                        gz[gz_size - 4 + i] = (char) (isize[claim] >> (8 * i));
                assert_int_equal(gzip_inflate(gz, gz_size, 1 << 20, &none, &n), -EBADMSG);
                assert_null(none);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_cap),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_trailer_is_a_hint),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
