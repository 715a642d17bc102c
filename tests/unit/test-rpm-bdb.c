/* SPDX-License-Identifier: MIT */
/* The BerkeleyDB Packages reader on databases db_load made (tests/fuzz/corpus/rpm-bdb:
 * three packages, 512-byte pages, each byte order), and damaged copies of them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "fs-util.h"
#include "rpm-bdb.h"
#include "rpm-header.h"

typedef struct Seen {
        char names[256];
        unsigned n;
} Seen;

static int collect(uint32_t hdrnum, const uint8_t *value, size_t size, void *userdata) {
        Seen *s = userdata;
        RpmHeaderInfo h;

        assert_true(hdrnum >= 1 && hdrnum <= 3);
        assert_int_equal(rpm_header_parse(value, size, &h), 0);
        size_t l = strlen(s->names);
        snprintf(s->names + l, sizeof(s->names) - l, "%s%s", l ? " " : "", h.name);
        s->n++;
        return 0;
}

#define CORPUS "tests/fuzz/corpus/rpm-bdb/"

static size_t load(const char *name, uint8_t *buf, size_t max) {
        _cleanup_free_ char *data = NULL;
        size_t size;
        assert_int_equal(read_file_full(name, max, &data, &size), 0);
        memcpy(buf, data, size);
        return size;
}

static void test_both_byte_orders(void **state) {
        static const char *const files[] = { CORPUS "packages-le", CORPUS "packages-be" };
        (void) state;

        for (size_t i = 0; i < 2; i++) {
                uint8_t buf[16384];
                Seen s = {};
                size_t n = load(files[i], buf, sizeof(buf));
                assert_int_equal(rpm_bdb_foreach(-1, buf, n, collect, &s), 0);
                assert_int_equal(s.n, 3); /* header 0 (rpm's counter) is not a package */
                assert_non_null(strstr(s.names, "foo"));
                assert_non_null(strstr(s.names, "bar"));
                assert_non_null(strstr(s.names, "baz"));
        }
}

static int count(uint32_t hdrnum, const uint8_t *value, size_t size, void *userdata) {
        (void) hdrnum, (void) value, (void) size;
        ++*(unsigned *) userdata;
        return 0;
}

static void test_damaged(void **state) {
        uint8_t buf[16384], copy[16384];
        size_t n = load(CORPUS "packages-le", buf, sizeof(buf));
        unsigned seen = 0;
        (void) state;

        /* Not a hash database; an unknown version; truncated. */
        memcpy(copy, buf, n);
        copy[12] ^= 1;
        assert_int_equal(rpm_bdb_foreach(-1, copy, n, count, &seen), -EBADMSG);
        memcpy(copy, buf, n);
        copy[16] = 42;
        assert_int_equal(rpm_bdb_foreach(-1, copy, n, count, &seen), -EPROTONOSUPPORT);
        assert_int_equal(rpm_bdb_foreach(-1, buf, n - 512, count, &seen), -EBADMSG);
        /* A meta page claiming more pages than the file has (libFuzzer found the loop below
         * running for billions of reads when the bound came from this claim). */
        memcpy(copy, buf, n);
        memcpy(copy + 32, &(uint32_t) { 0xfffffff0u }, 4);
        assert_int_equal(rpm_bdb_foreach(-1, copy, n, count, &seen), -EBADMSG);
        /* Every page's next pointer at itself: the bounded page reads stop the loop. */
        memcpy(copy, buf, n);
        for (size_t pg = 1; pg < n / 512; pg++)
                memcpy(copy + pg * 512 + 16, &(uint32_t) { (uint32_t) pg }, 4);
        assert_int_equal(rpm_bdb_foreach(-1, copy, n, count, &seen), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_both_byte_orders),
                cmocka_unit_test(test_damaged),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
