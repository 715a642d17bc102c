/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>

#include "cleanup.h"
#include "parse-util.h"
#include "time-util.h"

static void test_parse_int(void **state) {
        int64_t v;
        int i;
        (void) state;
        assert_int_equal(parse_int64("42", &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(parse_int64("-7", &v), 0);
        assert_int_equal(v, -7);
        assert_int_equal(parse_int64("", &v), -EINVAL);
        assert_int_equal(parse_int64(" 1", &v), -EINVAL);
        assert_int_equal(parse_int64("1x", &v), -EINVAL);
        assert_int_equal(parse_int64("99999999999999999999", &v), -ERANGE);
        assert_int_equal(parse_int_range("5", 0, 4, &i), -ERANGE);
        assert_int_equal(parse_int_range("4", 0, 4, &i), 0);
        assert_int_equal(i, 4);
}

static void test_format_int64(void **state) {
        static const int64_t values[] = { 0, 7, -7, 10, 99, -100, 1780000000, INT64_MAX, INT64_MIN, INT64_MIN + 1 };
        char text[INT64_TEXT_MAX], expected[32];
        (void) state;
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
                int n = snprintf(expected, sizeof(expected), "%" PRId64, values[i]);
                assert_int_equal(format_int64(values[i], text), n);
                assert_string_equal(text, expected);
        }
        assert_int_equal(format_int64(INT64_MIN, text), INT64_TEXT_MAX - 1);
}

static void test_parse_boolean(void **state) {
        bool b;
        (void) state;
        assert_int_equal(parse_boolean("yes", &b), 0);
        assert_true(b);
        assert_int_equal(parse_boolean("OFF", &b), 0);
        assert_false(b);
        assert_int_equal(parse_boolean("maybe", &b), -EINVAL);
}

static void test_parse_duration(void **state) {
        usec_t u;
        (void) state;
        assert_int_equal(parse_duration("90", &u), 0);
        assert_int_equal(u, 90 * USEC_PER_SEC);
        assert_int_equal(parse_duration("6h", &u), 0);
        assert_int_equal(u, 6 * USEC_PER_HOUR);
        assert_int_equal(parse_duration("1h30min", &u), 0);
        assert_int_equal(u, 90 * USEC_PER_MINUTE);
        assert_int_equal(parse_duration("7d", &u), 0);
        assert_int_equal(u, 7 * USEC_PER_DAY);
        assert_int_equal(parse_duration("2 w", &u), 0);
        assert_int_equal(u, 14 * USEC_PER_DAY);
        assert_int_equal(parse_duration("1h30", &u), -EINVAL);
        assert_int_equal(parse_duration("h", &u), -EINVAL);
        assert_int_equal(parse_duration("5parsecs", &u), -EINVAL);
        assert_int_equal(parse_duration("", &u), -EINVAL);
        assert_int_equal(parse_duration("99999999999999999999w", &u), -ERANGE);
}

static void test_parse_size(void **state) {
        uint64_t s;
        (void) state;
        assert_int_equal(parse_size("1M", &s), 0);
        assert_int_equal(s, 1024 * 1024);
        assert_int_equal(parse_size("10KiB", &s), 0);
        assert_int_equal(s, 10240);
        assert_int_equal(parse_size("3X", &s), -EINVAL);
}

static void test_strv(void **state) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *j = NULL;
        (void) state;
        assert_int_equal(strv_extend(&l, "a"), 0);
        assert_int_equal(strv_extend(&l, "b"), 0);
        assert_int_equal(strv_length(l), 2);
        assert_true(strv_contains(l, "b"));
        assert_false(strv_contains(l, "c"));
        j = strv_join(l, ", ");
        assert_string_equal(j, "a, b");
}

static void test_contact(void **state) {
        (void) state;
        assert_true(contact_url_is_valid("https://it.example.com/help?x=1"));
        assert_true(contact_url_is_valid("mailto:it@example.com"));
        assert_false(contact_url_is_valid(NULL));
        assert_false(contact_url_is_valid("http://it.example.com"));
        assert_false(contact_url_is_valid("javascript:alert(1)"));
        assert_false(contact_url_is_valid("file:///etc/shadow"));
        assert_false(contact_url_is_valid("https://"));
        assert_false(contact_url_is_valid("https://a b"));
        assert_false(contact_url_is_valid("https://a\"b"));
        assert_false(contact_url_is_valid("https://\xc3\xa9t\xc3\xa9"));
        char long_url[CONTACT_URL_MAX + 2];
        memset(long_url, 'a', sizeof(long_url) - 1);
        memcpy(long_url, "https://", 8);
        long_url[sizeof(long_url) - 1] = 0;
        assert_false(contact_url_is_valid(long_url));
        long_url[CONTACT_URL_MAX] = 0;
        assert_true(contact_url_is_valid(long_url));

        assert_true(email_address_is_valid("it-help+vigie@corp.example.com"));
        assert_false(email_address_is_valid(NULL));
        assert_false(email_address_is_valid("it"));
        assert_false(email_address_is_valid("@example.com"));
        assert_false(email_address_is_valid("it@"));
        assert_false(email_address_is_valid("it@localhost"));
        assert_false(email_address_is_valid("it@example.com."));
        assert_false(email_address_is_valid("it@@example.com"));
        assert_false(email_address_is_valid("i t@example.com"));
        assert_false(email_address_is_valid("it@exa_mple.com"));
}

static void test_rfc3339(void **state) {
        usec_t t;
        char buf[RFC3339_MAX];
        (void) state;
        assert_int_equal(parse_rfc3339("2026-11-29T19:09:58Z", false, &t), 0);
        assert_int_equal(t, 1795979398ULL * USEC_PER_SEC);
        assert_string_equal(format_rfc3339(t, buf), "2026-11-29T19:09:58Z");
        assert_int_equal(parse_rfc3339("2026-11-29T20:09:58+01:00", false, &t), 0);
        assert_int_equal(t, 1795979398ULL * USEC_PER_SEC);
        assert_int_equal(parse_rfc3339("2026-11-29T19:09:58.250000Z", false, &t), 0);
        assert_int_equal(t, 1795979398ULL * USEC_PER_SEC + 250000);
        assert_int_equal(parse_rfc3339("2026-11-29", false, &t), 0);
        assert_int_equal(parse_rfc3339("2026-13-01", false, &t), -EINVAL);
        assert_int_equal(parse_rfc3339("2026-11-29T19:09:58Zjunk", false, &t), -EINVAL);
        assert_int_equal(parse_rfc3339("yesterday", false, &t), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_int),     cmocka_unit_test(test_format_int64),
                cmocka_unit_test(test_parse_boolean),
                cmocka_unit_test(test_parse_duration), cmocka_unit_test(test_parse_size),
                cmocka_unit_test(test_strv),          cmocka_unit_test(test_rfc3339),
                cmocka_unit_test(test_contact),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
