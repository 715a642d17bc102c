/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "json-strict.h"
#include "json-util.h"

static int check(const char *s, size_t *offset) {
        const char *what = NULL;
        size_t off = 0;
        int r = json_check_grammar(s, strlen(s), 4, &off, &what);
        if (r < 0)
                assert_non_null(what);
        if (offset)
                *offset = off;
        return r;
}

static void test_accepts_json(void **state) {
        static const char *const good[] = {
                "{}", " [ ] ", "0", "-0.5e+10", "1E3", "\"x\"", "true", "false", "null",
                "{\"a\":[1,2,{\"b\":null}],\"c\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"}",
                /* non-ASCII text, which json-c 0.18's strict mode refuses */
                "{\"summary\":\"Mise à jour de sécurité — 2 en attente\",\"€\":\"日本\"}",
                "[[[[1]]]]",
        };
        (void) state;
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                assert_int_equal(check(good[i], NULL), 0);
}

static void test_refuses_what_json_is_not(void **state) {
        static const struct { const char *text; size_t offset; } bad[] = {
                { "", 0 },                    { "{", 1 },                   { "{\"a\":1,}", 7 },
                { "[1,]", 3 },                { "{'a':1}", 1 },             { "{\"a\":NaN}", 5 },
                { "/* c */ {}", 0 },          { "{} // c", 3 },             { "01", 1 },
                { "1.", 2 },                  { "-", 1 },                   { "\"a\tb\"", 2 },
                { "\"\\x41\"", 2 },           { "\"\\u12g4\"", 5 },         { "tru", 0 },
                { "{\"a\" 1}", 5 },           { "{1:2}", 1 },               { "[1 2]", 3 },
                { "{} {}", 3 },               { "[[[[[1]]]]]", 4 },         { "\"open", 5 },
        };
        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                size_t off;
                assert_int_equal(check(bad[i].text, &off), -EBADMSG);
                assert_int_equal(off, bad[i].offset);
        }
        /* a NUL byte is never JSON */
        const char *what;
        size_t off;
        assert_int_equal(json_check_grammar("\"a\0b\"", 5, 4, &off, &what), -EBADMSG);
        assert_int_equal(off, 2);
}

static void test_json_parse_uses_it(void **state) {
        _cleanup_json_ json_object *j = NULL;
        _cleanup_free_ char *err = NULL;
        const char *text = "{\"titre\":\"Chiffrement du disque\",\"résumé\":\"/ est chiffré\"}";
        (void) state;
        assert_int_equal(json_parse(text, strlen(text), &j, NULL), 0);
        assert_string_equal(json_object_get_string(json_object_object_get(j, "résumé")), "/ est chiffré");
        assert_int_equal(json_parse("{\"a\":1,}", 8, &j, &err), -EBADMSG);
        assert_string_equal(err, "malformed JSON at byte 7: expected a member name in double quotes");
        /* json-c still refuses what is not UTF-8 */
        assert_int_equal(json_parse("\"\xc3\"", 3, &j, NULL), -EBADMSG);
        /* The thread's tokener, reused, starts afresh after a refusal and keeps refusing. */
        json_object_put(j);
        j = NULL;
        assert_int_equal(json_parse(text, strlen(text), &j, NULL), 0);
        assert_string_equal(json_object_get_string(json_object_object_get(j, "titre")), "Chiffrement du disque");
        assert_int_equal(json_parse("[\"\xff\"]", 5, &j, NULL), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_accepts_json),
                cmocka_unit_test(test_refuses_what_json_is_not),
                cmocka_unit_test(test_json_parse_uses_it),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
