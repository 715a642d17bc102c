/* SPDX-License-Identifier: MIT */
/* rpm's version comparison: vectors from rpm's tests/rpmvercmp.at, each checked against
 * rpm 4.18's own rpm.vercmp (rpm --eval '%{lua: print(rpm.vercmp(A, B))}'); epochs; and
 * the package headers of rpm's database. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "macro.h"
#include "rpm-header.h"
#include "rpm-version.h"

static int sign(int x) {
        return x > 0 ? 1 : x < 0 ? -1 : 0;
}

static void check(const char *a, const char *b, int want) {
        int got = sign(rpm_vercmp(a, b));
        if (got != want)
                fail_msg("rpm_vercmp(\"%s\", \"%s\") = %d, want %d", a, b, got, want);
        got = sign(rpm_vercmp(b, a));
        if (got != -want)
                fail_msg("rpm_vercmp(\"%s\", \"%s\") = %d, want %d", b, a, got, -want);
}

static void test_rpmvercmp(void **state) {
        (void) state;
        check("1.0", "1.0", 0);
        check("1.0", "2.0", -1);
        check("2.0.1", "2.0", 1);
        check("2.0.1a", "2.0.1", 1);
        check("5.5p1", "5.5p10", -1);
        check("10xyz", "10.1xyz", -1);
        check("xyz10", "xyz10.1", -1);
        check("xyz.4", "8", -1);
        check("xyz.4", "2", -1);
        check("5.5p2", "5.6p1", -1);
        check("6.0.rc1", "6.0", 1);
        check("10b2", "10a1", 1);
        check("1.0a", "1.0aa", -1);
        check("10.0001", "10.1", 0);
        check("10.0001", "10.0039", -1);
        check("4.999.9", "5.0", -1);
        check("20101121", "20101122", -1);
        check("2_0", "2.0", 0);
        check("a+", "a_", 0);
        check("+a", "_a", 0);
        check("_+", "_", 0);
        check("+", "_", 0);
        check("1.0~rc1", "1.0", -1);
        check("1.0~rc1", "1.0~rc2", -1);
        check("1.0~rc1~git123", "1.0~rc1", -1);
        check("1.0^", "1.0", 1);
        check("1.0^git1", "1.0", 1);
        check("1.0^git1", "1.0^git2", -1);
        check("1.0^git1", "1.01", -1);
        check("1.0^20160101", "1.0.1", -1);
        check("1.0^20160102", "1.0^20160101^git1", 1);
        check("1.0~rc1^git1", "1.0~rc1", 1);
        check("1.0^git1~pre", "1.0^git1", -1);
        check("1.0", "1.0~", 1);
        check("~", "^", -1);
        check("a", "1", -1);
        check("0", "00", 0);
        check("1.0a", "1.0.a", 0);
}

static void test_evr(void **state) {
        (void) state;
        RpmEvr a = { NULL, "2.0", "1" }, b = { "1", "1.0", "1" }, c = { "0", "2.0", "1" }, d = { "", "2.0", "1.fc41" };
        assert_true(rpm_evr_compare(&a, &b) < 0);   /* the epoch first */
        assert_int_equal(rpm_evr_compare(&a, &c), 0); /* no epoch is epoch 0 */
        assert_true(rpm_evr_compare(&d, &c) > 0);    /* then the release */
}

/* A header as rpm stores it: il, dl, entries, data. */
static size_t put_header(uint8_t *buf, const uint32_t (*entries)[4], uint32_t il, const void *data, uint32_t dl) {
        uint32_t w[2] = { __builtin_bswap32(il), __builtin_bswap32(dl) };
        memcpy(buf, w, 8);
        for (uint32_t i = 0; i < il; i++)
                for (int j = 0; j < 4; j++) {
                        uint32_t v = __builtin_bswap32(entries[i][j]);
                        memcpy(buf + 8 + i * 16 + j * 4, &v, 4);
                }
        memcpy(buf + 8 + il * 16, data, dl);
        return 8 + il * 16 + dl;
}

static void test_header(void **state) {
        static const char data[] = "foo\0" "1.0\0" "3.fc41\0" "x86_64\0" "\0\0\0\0\0\0\0\2" "\x67\x00\x00\x01";
        const uint32_t e[][4] = { { 1000, 6, 0, 1 },  { 1001, 6, 4, 1 },  { 1002, 6, 8, 1 },
                                  { 1022, 6, 15, 1 }, { 1003, 4, 26, 1 }, { 1008, 4, 30, 1 } };
        uint8_t buf[256];
        RpmHeaderInfo h;
        (void) state;

        size_t n = put_header(buf, e, ELEMENTSOF(e), data, sizeof(data) - 1);
        assert_int_equal(rpm_header_parse(buf, n, &h), 0);
        assert_string_equal(h.name, "foo");
        assert_string_equal(h.version, "1.0");
        assert_string_equal(h.release, "3.fc41");
        assert_string_equal(h.arch, "x86_64");
        assert_true(h.has_epoch);
        assert_int_equal(h.epoch, 2);
        assert_int_equal(h.install_time, 0x67000001);
        /* Truncated, a size that does not add up, a string running off the data. */
        assert_int_equal(rpm_header_parse(buf, n - 1, &h), -EBADMSG);
        assert_int_equal(rpm_header_parse(buf, 7, &h), -EBADMSG);
        const uint32_t off[][4] = { { 1000, 6, 40, 1 }, { 1001, 6, 4, 1 }, { 1002, 6, 8, 1 } };
        n = put_header(buf, off, ELEMENTSOF(off), data, 15);
        assert_int_equal(rpm_header_parse(buf, n, &h), -EBADMSG);
        /* An unterminated last string. */
        n = put_header(buf, e, 3, data, 10);
        assert_int_equal(rpm_header_parse(buf, n, &h), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rpmvercmp),
                cmocka_unit_test(test_evr),
                cmocka_unit_test(test_header),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
