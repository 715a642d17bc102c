/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cleanup.h"
#include "screen-lock/dconf.h"
#include "screen-lock/glib-keyfile.h"

/* What GLib itself makes of text: whether it loads, and each plain key's value, as
 * "[group]key=value;" in GLib's order. */
static bool glib_load(const char *text, size_t size, GString *out) {
        g_autoptr(GKeyFile) k = g_key_file_new();
        g_auto(GStrv) groups = NULL;

        if (!g_key_file_load_from_data(k, text, size, G_KEY_FILE_NONE, NULL))
                return false;
        groups = g_key_file_get_groups(k, NULL);
        for (size_t i = 0; groups[i]; i++) {
                g_auto(GStrv) keys = g_key_file_get_keys(k, groups[i], NULL, NULL);
                for (size_t j = 0; keys && keys[j]; j++) {
                        g_autofree char *v = g_key_file_get_value(k, groups[i], keys[j], NULL);
                        bool again = false;
                        for (size_t l = 0; l < j; l++) /* a repeated key is listed once per line */
                                again = again || strcmp(keys[l], keys[j]) == 0;
                        if (!again && !strchr(keys[j], '[')) /* translations: see glib-keyfile.h */
                                g_string_append_printf(out, "[%s]%s=%s;", groups[i], keys[j], v);
                }
        }
        return true;
}

/* The same from our reader: every plain key GLib found must read the same here, and no
 * other. True when GLib loaded values. */
static bool assert_same(const char *text, size_t size) {
        g_autoptr(GString) want = g_string_new(NULL), got = g_string_new(NULL);
        _cleanup_free_ char *err = NULL;
        GlibKeyFile k;
        bool ok = glib_load(text, size, want);
        int r = glib_keyfile_parse(&k, text, size, &err);

        if (ok != (r == 0)) {
                g_autofree char *shown = g_strescape(g_strndup(text, size), NULL);
                fail_msg("GLib %s \"%s\", we say %d (%s)", ok ? "loads" : "refuses", shown, r, err ? err : "");
        }
        if (!ok)
                return false;
        /* GLib's order is its own (groups as first seen, keys newest first): compare as sets. */
        for (size_t i = 0; i < k.n; i++) {
                const GlibKeyFileEntry *e = &k.entries[i];
                if (glib_keyfile_get(&k, e->group, e->key) != e->value)
                        continue; /* overridden by a later line */
                g_string_append_printf(got, "[%s]%s=%s;", e->group, e->key, e->value);
        }
        for (char *p = got->str, *q; *p; p = q + 1) {
                q = strchr(p, ';');
                g_autofree char *one = g_strndup(p, (gsize) (q - p + 1));
                if (!strstr(want->str, one))
                        fail_msg("we read %s, GLib does not: \"%s\"", one, g_strescape(g_strndup(text, size), NULL));
        }
        if (got->len != want->len)
                fail_msg("we read \"%s\", GLib \"%s\"", got->str, want->str);
        glib_keyfile_done(&k);
        return want->len > 0;
}

static void test_cases(void **state) {
        static const char *const cases[] = {
                "", "# only a comment\n", "\n\n",
                "[org/gnome/desktop/screensaver]\nlock-enabled=false\nlock-delay=uint32 30\n",
                "[a]\nx=1\nx=2\n", "[a]\nx=1\n[b]\n[a]\ny=2\n", "[a] \t\nx=1\n", "  [a]\n   x=1\n",
                "[a]\r\nx=1\r\n", "[a]\nx=1\r", "[a]\nx=1\r \n", "[a]\nx   = 1 \t\n", "[a]\nx=a=b\n",
                "[a]\nx=\\s1\\n\n", "[a]\nx=1 # not a comment\n", "\f[a]\nx=1\n", "[a]\n\vx=1\n",
                "[a b]\nx y=1\n", "[ a]\nx=1\n", "[a]\nx[fr_FR.UTF-8@euro]=1\nx=2\n", "[a]\nx[]=1\n",
                "[a]\n$x=1\n", "[$i]\nx=1\n", "[a]\nx\x01=1\n", "[\xc3\xa9]\n\xff=1\n", "[a]\x80\nx=1\n",
                "[a]\nEncoding=UTF-8\n", "[a]\nEncoding=utf-8\n", "[b]\n[a]\nEncoding=latin1\n",
                /* what GLib refuses as a whole */
                "x=1\n[a]\ny=2\n", "[a]\nfoo\n", "[a]junk\nx=1\n", "[a]\n=1\n", "[a]\n  =1\n", "[]\nx=1\n",
                "[a[b]\nx=1\n", "[a\tb]\nx=1\n", "[a]\nx]=1\n", "[a]\nx[fr]y=1\n", "[a]\nx[fr][de]=1\n",
                "[a]\nx[fr=1\n", "[a]\nx[$i]=1\n", "[a]\n; semicolon\nx=1\n", "\xef\xbb\xbf[a]\nx=1\n",
                "[a]\rx=1\r", "[a]\nEncoding=latin1\n", "[a]\nEncoding=UTF-8 \n",
        };
        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_same(cases[i], strlen(cases[i]));
        /* NULs: a C string inside GLib's line, but its group name ends at the line's last "]". */
        assert_same("[a]\nx=1\0y\n", 9);
        assert_same("[a]\0x]\nk=1\n", 11);
        assert_same("[a]\nx\0=1\n", 9);
}

static unsigned rnd(unsigned *seed, unsigned n) {
        *seed = *seed * 1103515245 + 12345;
        return (*seed >> 16) % n;
}

/* A piece of a line: mostly ordinary, now and then one of the characters GLib decides on. */
static void piece(GString *s, unsigned *seed, const char *plain) {
        static const char odd[] = "[]= \t\r\f\v#;$.@_-\x01\x7f\x80\xc3";
        static const char *const words[] = { "Encoding", "UTF-8", "utf-8", "latin1", "[fr]", "[]", "[$i]" };
        for (unsigned n = 1 + rnd(seed, 3); n > 0; n--) {
                unsigned pick = rnd(seed, 24);
                if (pick == 0)
                        g_string_append_c(s, odd[rnd(seed, sizeof(odd) - 1)]);
                else if (pick == 1)
                        g_string_append(s, words[rnd(seed, sizeof(words) / sizeof(words[0]))]);
                else
                        g_string_append_c(s, plain[rnd(seed, (unsigned) strlen(plain))]);
        }
}

/* Key files made of groups, keys, comments and junk, against GLib itself. */
static void test_against_glib(void **state) {
        static const char *const blanks[] = { "", "", "", "", "", "", " ", "\t", " \t", " ", "", "",
                                              "", "", "", "", "", "", "", "", "", "", "", "", "",
                                              "\f", "\v", "\r" };
        unsigned seed = 0x5eed, loaded = 0;
        (void) state;

        for (unsigned n = 0; n < 100000; n++) {
                g_autoptr(GString) s = g_string_new(NULL);
                for (unsigned lines = 1 + rnd(&seed, 6), first = 1; lines > 0; lines--, first = 0) {
                        unsigned kind = first && rnd(&seed, 5) ? 0 : rnd(&seed, 20);
                        g_string_append(s, blanks[rnd(&seed, sizeof(blanks) / sizeof(blanks[0]))]);
                        if (kind < 3) { /* [group] */
                                g_string_append_c(s, '[');
                                piece(s, &seed, "ab/");
                                g_string_append_c(s, ']');
                                g_string_append(s, blanks[rnd(&seed, sizeof(blanks) / sizeof(blanks[0]))]);
                        } else if (kind < 17) { /* key=value */
                                piece(s, &seed, "kx-");
                                g_string_append(s, blanks[rnd(&seed, sizeof(blanks) / sizeof(blanks[0]))]);
                                g_string_append_c(s, '=');
                                g_string_append(s, blanks[rnd(&seed, sizeof(blanks) / sizeof(blanks[0]))]);
                                piece(s, &seed, "01tf ");
                        } else if (kind < 19)
                                g_string_append(s, "# c");
                        else
                                piece(s, &seed, "z");
                        g_string_append(s, rnd(&seed, 4) == 0 ? "\r\n" : "\n");
                }
                if (s->len > 0 && rnd(&seed, 3) == 0)
                        g_string_truncate(s, s->len - 1);
                if (s->len > 0 && rnd(&seed, 50) == 0)
                        s->str[rnd(&seed, (unsigned) s->len)] = '\0';
                loaded += assert_same(s->str, s->len);
        }
        /* The generator must reach GLib's accepting paths, not only its refusals. */
        assert_true(loaded > 20000);
}

/* A value of the keyfile as dconf takes it: GVariant's text, against GLib's parser. */
static void test_values_against_gvariant(void **state) {
        static const char *const tokens[] = { "true", "false", "1", "-2", "0x1e", "010", "4294967295", "2147483648",
                                              "-2147483649", "1.5", "2e3", "+5", "uint32", "int32", "boolean",
                                              "@u", "@i", "@b", "'s'", "[1]", "foo", "", " ", "\t", "\r", "\f",
                                              "\v", "0", "-", "x", "nothing", "@as", "byte", "uint64" };
        unsigned seed = 0x7a1;
        (void) state;

        for (unsigned n = 0; n < 50000; n++) {
                g_autoptr(GString) s = g_string_new(NULL);
                g_autoptr(GVariant) v = NULL;
                g_autoptr(GError) e = NULL;
                GVariantValue ours = {};
                int r;

                for (unsigned t = 1 + rnd(&seed, 3); t > 0; t--)
                        g_string_append(s, tokens[rnd(&seed, sizeof(tokens) / sizeof(tokens[0]))]);
                /* Not followed: GVariant's reading of a sign without digits after it ("-" is
                 * 0, "-+5" is -5, "--5" out of range). */
                if (g_regex_match_simple("[-+]([^0-9]|$)", s->str, 0, 0))
                        continue;
                v = g_variant_parse(NULL, s->str, NULL, NULL, &e);
                r = dconf_keyfile_value(s->str, &ours);
                /* Booleans, int32 and uint32 read as GVariant reads them; nothing else reads as
                 * a value. We do not parse all of GVariant's text, so "another type" (0) and
                 * "unparseable" (-EINVAL) are not always told apart as GLib would. */
                if (!v) {
                        if (r > 0)
                                fail_msg("GVariant refuses \"%s\", we read it", s->str);
                } else if (g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN)) {
                        if (r != 1 || ours.type != 'b' || ours.b != g_variant_get_boolean(v))
                                fail_msg("\"%s\" is a boolean, we say %d", s->str, r);
                } else if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32)) {
                        if (r != 1 || ours.type != 'i' || ours.i != g_variant_get_int32(v))
                                fail_msg("\"%s\" is an int32, we say %d", s->str, r);
                } else if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32)) {
                        if (r != 1 || ours.type != 'u' || ours.u != g_variant_get_uint32(v))
                                fail_msg("\"%s\" is a uint32, we say %d", s->str, r);
                } else if (r > 0)
                        fail_msg("\"%s\" is a %s, we read a value", s->str, g_variant_get_type_string(v));
        }
}

static void test_bound(void **state) {
        g_autoptr(GString) many = g_string_new("[a]\n");
        _cleanup_free_ char *err = NULL;
        GlibKeyFile k;
        (void) state;

        for (unsigned i = 0; i <= GLIB_KEYFILE_ENTRIES_MAX; i++)
                g_string_append_printf(many, "k%u=1\n", i);
        assert_int_equal(glib_keyfile_parse(&k, many->str, many->len, &err), -E2BIG);
        assert_int_equal(k.n, 0);
}

static void test_get(void **state) {
        static const char text[] = "[org/gnome/desktop/screensaver]\nlock-enabled=true\n# x\nlock-enabled = false\n";
        _cleanup_free_ char *err = NULL;
        GlibKeyFile k;
        (void) state;

        assert_int_equal(glib_keyfile_parse(&k, text, strlen(text), &err), 0);
        assert_string_equal(glib_keyfile_get(&k, "org/gnome/desktop/screensaver", "lock-enabled"), "false");
        assert_null(glib_keyfile_get(&k, "org/gnome/desktop/screensaver", "lock-delay"));
        assert_null(glib_keyfile_get(&k, "org/gnome/desktop", "lock-enabled"));
        glib_keyfile_done(&k);
        assert_int_equal(glib_keyfile_parse(&k, "[a]\nbad\n", 8, &err), -EBADMSG);
        assert_string_equal(err, "line 2: neither a [group], a key=value nor a # comment");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cases),
                cmocka_unit_test(test_against_glib),
                cmocka_unit_test(test_values_against_gvariant),
                cmocka_unit_test(test_bound),
                cmocka_unit_test(test_get),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
