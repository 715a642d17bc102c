/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "apt-lists.h"
#include "deb822.h"

static void test_stanzas(void **state) {
        static const char text[] =
                "# leading comment\n"
                "\n"
                "Package: foo\n"
                "Version: 1.0-1\n"
                "Description: short\n"
                " long line one\n"
                " .\n"
                "# comment inside\n"
                " long line two\n"
                "status:   install ok installed  \n"
                "\n\n"
                "Package: bar\r\n"
                "Version: 2\r\n"
                "\r\n"
                "Package: baz";
        Deb822Parser p;
        Deb822Stanza s;
        char buf[64];
        (void) state;

        deb822_parser_init(&p, text, strlen(text));
        assert_int_equal(deb822_next(&p, &s), 1);
        assert_int_equal(s.line, 3);
        assert_string_equal(deb822_get(&s, "package", buf, sizeof(buf)), "foo");
        assert_string_equal(deb822_get(&s, "Status", buf, sizeof(buf)), "install ok installed");
        const Deb822Field *d = deb822_find(&s, "Description");
        assert_non_null(d);
        assert_string_equal(deb822_get(&s, "Description", buf, sizeof(buf)), "short");
        assert_int_equal(d->value_len, strlen("short\n long line one\n .\n# comment inside\n long line two"));
        assert_null(deb822_find(&s, "Missing"));
        assert_null(deb822_get(&s, "Missing", buf, sizeof(buf)));

        assert_int_equal(deb822_next(&p, &s), 1);
        assert_string_equal(deb822_get(&s, "Package", buf, sizeof(buf)), "bar");
        assert_string_equal(deb822_get(&s, "Version", buf, sizeof(buf)), "2");
        assert_int_equal(deb822_next(&p, &s), 1);
        assert_string_equal(deb822_get(&s, "Package", buf, sizeof(buf)), "baz");
        assert_int_equal(deb822_next(&p, &s), 0);
        /* truncation of long values */
        char tiny[3];
        deb822_parser_init(&p, text, strlen(text));
        assert_int_equal(deb822_next(&p, &s), 1);
        assert_string_equal(deb822_get(&s, "Version", tiny, sizeof(tiny)), "1.");
}

static void test_errors(void **state) {
        Deb822Parser p;
        Deb822Stanza s;
        (void) state;

        deb822_parser_init(&p, "Package: a\nno colon here\n", 25);
        assert_int_equal(deb822_next(&p, &s), -EBADMSG);
        assert_int_equal(p.error_line, 2);
        deb822_parser_init(&p, " continuation first\n", 20);
        assert_int_equal(deb822_next(&p, &s), -EBADMSG);
        deb822_parser_init(&p, ": empty name\n", 13);
        assert_int_equal(deb822_next(&p, &s), -EBADMSG);
        deb822_parser_init(&p, "", 0);
        assert_int_equal(deb822_next(&p, &s), 0);
}

static void test_bool(void **state) {
        static const char text[] = "A: yes\nB: No\nC: maybe\n";
        Deb822Parser p;
        Deb822Stanza s;
        (void) state;
        deb822_parser_init(&p, text, strlen(text));
        assert_int_equal(deb822_next(&p, &s), 1);
        assert_true(deb822_get_bool(&s, "a", false));
        assert_false(deb822_get_bool(&s, "B", true));
        assert_true(deb822_get_bool(&s, "C", true));
        assert_false(deb822_get_bool(&s, "D", false));
}

static void test_skip(void **state) {
        static const char a[] = "Package: x\nDescription: d\n  more text to pass sixteen bytes\n\nPackage: y\n";
        static const char b[] = "Package: x\r\nDescription: a long enough line to use the fast path\r\n\r\nPackage: y\r\n";
        static const char c[] = "Package: x\nVersion: 1";
        (void) state;
        assert_string_equal(deb822_skip_stanza(a, a + strlen(a)), "Package: y\n");
        assert_string_equal(deb822_skip_stanza(b, b + strlen(b)), "Package: y\r\n");
        assert_ptr_equal(deb822_skip_stanza(c, c + strlen(c)), c + strlen(c));
        /* the blank line straddling a 16-byte block */
        static const char d[] = "0123456789abcde\n\nX: y\n";
        assert_string_equal(deb822_skip_stanza(d, d + strlen(d)), "X: y\n");
}

static void test_release(void **state) {
        static const char clear[] =
                "-----BEGIN PGP SIGNED MESSAGE-----\n"
                "Hash: SHA256\n"
                "\n"
                "Origin: Debian\n"
                "Label: Debian-Security\n"
                "Suite: oldstable-security\n"
                "Version: 12\n"
                "Codename: bookworm-security\n"
                "- Dashed: escaped\n"
                "NotAutomatic: no\n"
                "-----BEGIN PGP SIGNATURE-----\n"
                "\n"
                "iQIzBAEBCAAdFiEE\n"
                "-----END PGP SIGNATURE-----\n";
        AptRelease r;
        (void) state;

        assert_int_equal(apt_release_parse(clear, strlen(clear), &r), 0);
        assert_string_equal(r.origin, "Debian");
        assert_string_equal(r.label, "Debian-Security");
        assert_string_equal(r.suite, "oldstable-security");
        assert_string_equal(r.codename, "bookworm-security");
        assert_string_equal(r.version, "12");
        assert_false(r.not_automatic);

        static const char plain[] = "Origin: Debian Backports\nSuite: bookworm-backports\n"
                                    "NotAutomatic: yes\nButAutomaticUpgrades: yes\n";
        assert_int_equal(apt_release_parse(plain, strlen(plain), &r), 0);
        assert_true(r.not_automatic);
        assert_true(r.but_automatic_upgrades);
        assert_string_equal(r.codename, "");

        /* Nothing escaped, so read in place: the last field before the signature counts,
         * what follows the signature's line does not. */
        static const char unescaped[] = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
                                        "Suite: stable\nNotAutomatic: yes\n"
                                        "-----BEGIN PGP SIGNATURE-----\nLabel: unsigned\n-----END PGP SIGNATURE-----\n";
        assert_int_equal(apt_release_parse(unescaped, strlen(unescaped), &r), 0);
        assert_string_equal(r.suite, "stable");
        assert_true(r.not_automatic);
        assert_string_equal(r.label, "");
        /* An escaped field, the first line of the text, is read unescaped. */
        static const char escaped[] = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
                                      "- Suite: escaped\nCodename: trixie\n-----BEGIN PGP SIGNATURE-----\n";
        assert_int_equal(apt_release_parse(escaped, strlen(escaped), &r), 0);
        assert_string_equal(r.suite, "escaped");
        assert_string_equal(r.codename, "trixie");

        /* truncated before the signature, garbage, not a Release */
        assert_int_equal(apt_release_parse(clear, 120, &r), -EBADMSG);
        assert_int_equal(apt_release_parse("\x01\x02garbage", 9, &r), -EBADMSG);
        assert_int_equal(apt_release_parse("Package: foo\n", 13, &r), -EBADMSG);
        assert_int_equal(apt_release_parse("", 0, &r), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stanzas),   cmocka_unit_test(test_errors),
                cmocka_unit_test(test_bool),      cmocka_unit_test(test_skip),
                cmocka_unit_test(test_release),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
