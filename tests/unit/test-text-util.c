/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "text-util.h"

static void test_check_id(void **state) {
        (void) state;
        assert_true(check_id_is_valid("disk_encryption"));
        assert_true(check_id_is_valid("a"));
        assert_true(check_id_is_valid("screen_lock2"));
        assert_true(check_id_is_valid("a123456789012345678901234567890123456789012345678901234567890123"));
        assert_false(check_id_is_valid("a1234567890123456789012345678901234567890123456789012345678901234"));
        assert_false(check_id_is_valid(""));
        assert_false(check_id_is_valid("_x"));
        assert_false(check_id_is_valid("1x"));
        assert_false(check_id_is_valid("Disk"));
        assert_false(check_id_is_valid("disk-encryption"));
        assert_false(check_id_is_valid("=1+2"));
        assert_false(check_id_is_valid("a\n"));
}

static void test_text_is_safe(void **state) {
        (void) state;
        assert_true(text_is_safe("Chiffrement du disque — réussi", 64, 0));
        assert_false(text_is_safe("", 64, 0));
        assert_true(text_is_safe("", 64, TEXT_EMPTY_OK));
        assert_false(text_is_safe("abcd", 3, 0));
        assert_true(text_is_safe("abc", 3, 0));
        assert_false(text_is_safe("a\nb", 64, 0));
        assert_true(text_is_safe("a\nb", 64, TEXT_MULTILINE));
        assert_false(text_is_safe("a\rb", 64, TEXT_MULTILINE));
        assert_false(text_is_safe("a\tb", 64, TEXT_MULTILINE));
        assert_false(text_is_safe("\033]52;c;eA==\007", 64, TEXT_MULTILINE));
        assert_false(text_is_safe("del\177", 64, 0));
        assert_false(text_is_safe("csi \xc2\x9b" "2J", 64, 0));  /* U+009B */
        assert_false(text_is_safe("nel \xc2\x85", 64, 0));       /* U+0085 */
        assert_true(text_is_safe("nbsp \xc2\xa0", 64, 0));       /* U+00A0 is printable */
}

static void test_text_escape(void **state) {
        static const struct { const char *in, *out; } cases[] = {
                { "plain é", "plain é" },
                { "\033[2J", "\\e[2J" },
                { "a\nb\tc\\d", "a\\nb\\tc\\\\d" },
                { "bell\007", "bell\\x07" },
                { "\177", "\\x7f" },
                { "\xc2\x9b" "2J", "\\x9b2J" },
                { "", "" },
        };
        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *e = text_escape(cases[i].in);
                assert_non_null(e);
                assert_string_equal(e, cases[i].out);
                assert_true(text_is_safe(e, 1024, TEXT_EMPTY_OK));
        }
}

static void test_text_neutralise(void **state) {
        static const struct { const char *in; size_t max; TextFlags f; const char *out; } cases[] = {
                { "label\tx\033[2J", 64, 0, "label?x?[2J" },
                { "a\nb", 64, 0, "a?b" },
                { "a\nb", 64, TEXT_MULTILINE, "a\nb" },
                { "csi \xc2\x9b" "2J", 64, 0, "csi ??2J" },
                { "r\xc3\xa9ussi", 2, 0, "r" },          /* cut before a split é */
                { "r\xc3\xa9ussi", 3, 0, "r\xc3\xa9" },
        };
        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *s = strdup(cases[i].in);
                assert_non_null(s);
                text_neutralise(s, cases[i].max, cases[i].f);
                assert_string_equal(s, cases[i].out);
                assert_true(text_is_safe(s, cases[i].max, cases[i].f | TEXT_EMPTY_OK));
        }
}

static void test_csv_formula(void **state) {
        (void) state;
        assert_true(csv_cell_is_formula("=1+2"));
        assert_true(csv_cell_is_formula("+1"));
        assert_true(csv_cell_is_formula("-2+3"));
        assert_true(csv_cell_is_formula("@SUM(A1)"));
        assert_true(csv_cell_is_formula("\tx"));
        assert_true(csv_cell_is_formula("\rx"));
        assert_false(csv_cell_is_formula("laptop-1"));
        assert_false(csv_cell_is_formula(""));
        assert_false(csv_cell_is_formula(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check_id),
                cmocka_unit_test(test_text_is_safe),
                cmocka_unit_test(test_text_escape),
                cmocka_unit_test(test_text_neutralise),
                cmocka_unit_test(test_csv_formula),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
