/* SPDX-License-Identifier: MIT */
/* Debian version ordering: dpkg's own test vectors (lib/dpkg/t/t-version.c), the
 * deb-version(7) and Debian Policy §5.6.12 examples, and apt's comparison list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "deb-version.h"
#include "macro.h"

static int sign(int x) {
        return x > 0 ? 1 : x < 0 ? -1 : 0;
}

static void check(const char *a, const char *b, int want) {
        int got = sign(deb_version_compare(a, b));
        if (got != want)
                fail_msg("compare(\"%s\", \"%s\") = %d, want %d", a, b, got, want);
        got = sign(deb_version_compare(b, a));
        if (got != -want)
                fail_msg("compare(\"%s\", \"%s\") = %d, want %d", b, a, got, -want);
}

static void test_dpkg_vectors(void **state) {
        (void) state;
        /* dpkg t-version.c: test_version_compare */
        check("0", "0", 0);
        check("1:0", "2:0", -1);
        check("1-1", "2-1", -1);
        check("1-1", "1-2", -1);
        check("0-0", "0-0", 0);
        check("0-00", "00-0", 0);
        check("1:2-3", "1:2-3", 0);
        check("0-0", "1:0-0", -1);
        check("a-0", "b-0", -1);
        check("0-a", "0-b", -1);
        /* dpkg t-version.c: test_version_parse equivalences */
        check("0", "0:0", 0);
        check("0", "0:0-", 0);
        check("0:0-0", "0-0", 0);
        check("0:0.0-0.0", "0.0-0.0", 0);
        check("1:0", "1:0", 0);
        check("5:1", "5:1", 0);
        check("0:0-0-0", "0-0-0", 0);
        check("0:0:0-0", "0:0:0-0", 0);
        check("  \t0:0-1", "0:0-1", 0);
        check("0:0-1\t  ", "0-1", 0);
}

static void test_policy_and_tilde(void **state) {
        (void) state;
        /* deb-version(7): "~~" < "~~a" < "~" < "" < "a" */
        check("1.0~~", "1.0~~a", -1);
        check("1.0~~a", "1.0~", -1);
        check("1.0~", "1.0", -1);
        check("1.0", "1.0a", -1);
        check("1.0~rc1", "1.0", -1);
        check("1.0~rc1-1", "1.0-1", -1);
        check("2.6.1~beta2", "2.6.1~rc1", -1);
        /* letters sort before non-letters */
        check("1.0a", "1.0+", -1);
        check("1.0+", "1.0.", -1);
        check("1.0a", "1.0.", -1);
        check("1.0+deb12u1", "1.0+deb12u2", -1);
        check("1.0+deb12u9", "1.0+deb12u10", -1);
        /* digits compare numerically, leading zeros ignored */
        check("1.002", "1.2", 0);
        check("1.10", "1.9", 1);
        check("10", "9", 1);
        check("1.0-10", "1.0-9", 1);
        /* a missing revision equals "0" */
        check("1.0", "1.0-0", 0);
        check("1.0", "1.0-1", -1);
        /* the revision is after the last hyphen */
        check("1.0-2-1", "1.0-10", 1);
        /* epochs win, and compare as numbers */
        check("1:0.1", "0:9.9", 1);
        check("2:1.0", "10:1.0", -1);
        check("00002:1", "2:1", 0);
        check("99999999999999999999:1", "99999999999999999998:1", 1);
        /* real Debian/Ubuntu versions */
        check("3.0.11-1~deb12u2", "3.0.15-1~deb12u1", -1);
        check("2.36-9+deb12u4", "2.36-9+deb12u10", -1);
        check("1:2.66-4+deb12u2+b2", "1:2.66-4+deb12u3+b1", -1);
        check("5.2.15-2+b8", "5.2.15-2+b13", -1);
        check("20230311+deb12u1", "20250419~deb12u2", -1);
        check("6.1.0-13-amd64", "6.1.0-15-amd64", -1);
        check("1.6-2.1+deb12u1", "1.6-2.1+deb12u3", -1);
        check("0.16.1-2", "0.16.1-2+b1", -1);
        check("7.81.0-1ubuntu1.15", "7.81.0-1ubuntu1.16", -1);
        check("2.4.11", "2.4.11ubuntu1", -1);
        check("1.2.3-1build1", "1.2.3-1", 1);
}

static void test_apt_list(void **state) {
        (void) state;
        /* From apt's test/libapt compareversion list. */
        check("7.6p2-4", "7.6-0", 1);
        check("1.0.3-3", "1.0-1", 1);
        check("1.3", "1.2.2-2", 1);
        check("1.3", "1.2.2", 1);
        check("0-pre", "0-pre", 0);
        check("0-pre", "0-pree", -1);
        check("1.1.6r2-2", "1.1.6r-1", 1);
        check("2.6b2-1", "2.6b-2", 1);
        check("98.1p5-1", "98.1-pre2-b6-2", -1);
        check("0.4a6-2", "0.4-1", 1);
        check("1:3.0.5-2", "1:3.0.5.1", -1);
        check("1:0.4", "10.3", 1);
        check("1:1.25-4", "1:1.25-8", -1);
        check("0:1.18.36", "1.18.36", 0);
        check("1.18.36", "1.18.35", 1);
        check("0:1.18.36", "1.18.35", 1);
        check("9:1.18.36:5.4-20", "10:0.5.1-22", -1);
        check("9:1.18.36:5.4-20", "9:1.18.36:5.5-1", -1);
        check("9:1.18.36:5.4-20", " 9:1.18.37:4.3-22", -1);
        check("1.18.36-0.17.35-18", "1.18.36-19", 1);
        check("1:1.2.13-3", "1:1.2.13-3.1", -1);
        check("2.0.7pre1-4", "2.0.7r-1", -1);
        check("0:0-0-0", "0-0", 1);
        check("0:0:0-0", "0:0-0", 1);
        check("0:0:0:0-0", "0:0:0-0", 1);
        check("0:0-0:0-0", "0:0:0-0", -1);
        check("1.2.3~rc1", "1.2.3", -1);
        check("1.2.3~rc1", "1.2.3~~", 1);
}

static void test_valid(void **state) {
        static const char *const good[] = { "0", "0:0", "0:0-", "0:0-0", "1:0", "0:0-0-0", "0:0:0-0",
                                            "0:09azAZ.-+~:-0", "0:0-azAZ09.+~", "  \t0:0-1", "2147483647:1" };
        static const char *const bad[] = { "", "  ", "0:", "0:0 0-1", "-1:0-1", "999999999999999999999999:0-1",
                                           "a:0-0", "A:0-0", "-0", "0:-0", "0:abc3-0", "0:0!-0", "0:0_-0",
                                           "0:0-0:0", "0:0-0_", ":1.0", "2147483648:1" };
        (void) state;
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (!deb_version_valid(good[i]))
                        fail_msg("\"%s\" should be valid", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (deb_version_valid(bad[i]))
                        fail_msg("\"%s\" should be invalid", bad[i]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dpkg_vectors),
                cmocka_unit_test(test_policy_and_tilde),
                cmocka_unit_test(test_apt_list),
                cmocka_unit_test(test_valid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
