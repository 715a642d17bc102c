/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apt-prefs.h"
#include "cleanup.h"

static AptFile file(const char *site, const char *origin, const char *label, const char *suite,
                    const char *codename, const char *version, const char *component) {
        AptFile f = { .site = (char *) site, .component = (char *) component, .arch = (char *) "amd64",
                      .has_release = true };
        snprintf(f.release.origin, sizeof(f.release.origin), "%s", origin);
        snprintf(f.release.label, sizeof(f.release.label), "%s", label);
        snprintf(f.release.suite, sizeof(f.release.suite), "%s", suite);
        snprintf(f.release.codename, sizeof(f.release.codename), "%s", codename);
        snprintf(f.release.version, sizeof(f.release.version), "%s", version);
        return f;
}

static void test_parse(void **state) {
        static const char text[] =
                "# comment\n"
                "Explanation: keep the backports low\n"
                "Package: *\n"
                "Pin: release a=bookworm-backports\n"
                "Pin-Priority: 50\n"
                "\n"
                "Package: nodejs npm:i386\n"
                "Pin: origin \"deb.nodesource.com\"\n"
                "Pin-Priority: 600\n"
                "\n"
                "Package: firefox*\n"
                "Pin: version 115.*\n"
                "Pin-Priority: 1001\n"
                "\n"
                "Package: weird\n"
                "Pin: flavour x\n"
                "Pin-Priority: 10\n"
                "\n"
                "Package: zero\n"
                "Pin: release n=bookworm\n"
                "Pin-Priority: 0\n"
                "\n"
                "Package: *\n"
                "Pin: release o=Evil, l=Evil Label , c=main\n"
                "Pin-Priority: never\n";
        _cleanup_(apt_prefs_freep) AptPrefs *p = apt_prefs_new();
        _cleanup_free_ char *err = NULL;
        (void) state;

        assert_int_equal(apt_prefs_parse(p, "prefs", text, strlen(text), &err), 0);
        assert_int_equal(p->n_pins, 5);
        assert_null(p->pins[0].package);
        assert_string_equal(p->pins[0].rel_archive, "bookworm-backports");
        assert_int_equal(p->pins[0].priority, 50);
        assert_string_equal(p->pins[1].package, "nodejs");
        assert_string_equal(p->pins[2].package, "npm:i386");
        assert_string_equal(p->pins[2].data, "deb.nodesource.com");
        assert_int_equal(p->pins[3].type, APT_PIN_VERSION);
        assert_string_equal(p->pins[3].version, "115.");
        assert_true(p->pins[3].version_prefix);
        assert_int_equal(p->pins[4].priority, APT_PIN_NEVER);
        assert_string_equal(p->pins[4].rel_label, "Evil Label");
        assert_string_equal(p->pins[4].rel_component, "main");
        /* two ignored records warned about */
        assert_non_null(p->warnings);
        assert_non_null(strstr(p->warnings[0], "prefs:15"));
}

static void test_errors(void **state) {
        static const char *const bad[] = {
                "Pin: release a=stable\nPin-Priority: 1\n",
                "Package: foo\nPin: release a=stable\nPin-Priority: high\n",
                "Package: foo\nPin: release a=stable\nPin-Priority: 40000\n",
                "Package: foo\nPin: release a=stable\nPin-Priority: never\n",
                "Package: foo\nthis line is junk\n",
        };
        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                _cleanup_(apt_prefs_freep) AptPrefs *p = apt_prefs_new();
                _cleanup_free_ char *err = NULL;
                assert_int_equal(apt_prefs_parse(p, "f", bad[i], strlen(bad[i]), &err), -EBADMSG);
                assert_non_null(err);
                assert_true(strncmp(err, "f:", 2) == 0);
        }
}

/* A one-pin preferences file: "Package: *" with "Pin: release DATA". */
static AptPrefs *release_pin(const char *data) {
        AptPrefs *p = apt_prefs_new();
        _cleanup_free_ char *text = NULL, *err = NULL;
        assert_true(asprintf(&text, "Package: *\nPin: release %s\nPin-Priority: 1\n", data) > 0);
        assert_int_equal(apt_prefs_parse(p, "f", text, strlen(text), &err), 0);
        assert_int_equal(p->n_pins, 1);
        return p;
}

static void test_file_match(void **state) {
        AptFile sec = file("deb.debian.org", "Debian", "Debian-Security", "oldstable-security", "bookworm-security", "12", "main");
        AptFile bpo = file("deb.debian.org", "Debian Backports", "Debian Backports", "bookworm-backports", "bookworm-backports", "", "main");
        AptFile status = { .is_status = true };
        struct {
                const char *data;
                bool sec, bpo, status;
        } cases[] = {
                { "a=oldstable-security", true, false, false },
                { "a=OLDSTABLE-SECURITY", true, false, false },
                { "n=bookworm-security", true, false, false },
                { "n=bookworm*", true, true, false },
                { "o=Debian", true, false, false },
                { "o=Debian,l=Debian-Security", true, false, false },
                { "o=Debian, l=Debian Backports", false, false, false },
                { "l=/backports/", false, true, false },
                { "v=12", true, false, false },
                { "v=1*", true, false, false },
                { "c=main", true, true, false },
                { "b=amd64", true, true, false },
                { "b=i386", false, false, false },
                { "bookworm-backports", false, true, false },
                { "oldstable-security", true, false, false },
                { "12", true, false, false },
                { "a=now", false, false, true },
                { "*", true, true, true },
                { "x=unknown", false, false, false },
        };
        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_(apt_prefs_freep) AptPrefs *p = release_pin(cases[i].data);
                const AptPin *pin = &p->pins[0];
                if (apt_pin_matches_file(pin, &sec) != cases[i].sec ||
                    apt_pin_matches_file(pin, &bpo) != cases[i].bpo ||
                    apt_pin_matches_file(pin, &status) != cases[i].status)
                        fail_msg("Pin: release %s matched wrongly", cases[i].data);
        }
        AptPin origin = { .type = APT_PIN_ORIGIN, .data = (char *) "deb.debian.org" };
        assert_true(apt_pin_matches_file(&origin, &sec));
        assert_false(apt_pin_matches_file(&origin, &status));
        origin.data = (char *) "";
        assert_false(apt_pin_matches_file(&origin, &sec));
}

static void test_package_and_version(void **state) {
        AptPin p = { .package = (char *) "firefox*", .type = APT_PIN_VERSION, .version = (char *) "115.", .version_prefix = true };
        (void) state;
        assert_true(apt_pin_matches_package(&p, "firefox-esr", "amd64", "amd64"));
        assert_false(apt_pin_matches_package(&p, "firefox-esr", "i386", "amd64"));
        assert_true(apt_pin_matches_version(&p, "115.5.0esr-1~deb12u1", NULL, 0));
        assert_false(apt_pin_matches_version(&p, "128.1.0esr-1~deb12u1", NULL, 0));
        p.package = (char *) "libc6:i386";
        assert_true(apt_pin_matches_package(&p, "libc6", "i386", "amd64"));
        assert_false(apt_pin_matches_package(&p, "libc6", "amd64", "amd64"));
        p.package = (char *) "libc6:any";
        assert_true(apt_pin_matches_package(&p, "libc6", "arm64", "amd64"));
        p.package = (char *) "/^lib(ssl|crypto)/";
        assert_true(apt_pin_matches_package(&p, "libssl3", "amd64", "amd64"));
        assert_false(apt_pin_matches_package(&p, "openssl", "amd64", "amd64"));
        p.package = (char *) "openssl";
        assert_true(apt_pin_matches_package(&p, "openssl", "amd64", "amd64"));
        assert_false(apt_pin_matches_package(&p, "openssl-provider", "amd64", "amd64"));
        assert_false(apt_pin_matches_package(&p, "openss", "amd64", "amd64"));
        assert_false(apt_pin_matches_package(&p, "openssl", "i386", "amd64"));
        p.package = (char *) "openssl:i386";
        assert_true(apt_pin_matches_package(&p, "openssl", "i386", "amd64"));
        assert_false(apt_pin_matches_package(&p, "openssl:i386", "i386", "amd64"));
        p.package = (char *) "/^lib(ssl|crypto)/:i*";
        assert_true(apt_pin_matches_package(&p, "libssl3", "i386", "amd64"));
        assert_false(apt_pin_matches_package(&p, "libssl3", "amd64", "amd64"));
        /* exact version pins */
        AptPin v = { .package = (char *) "x", .type = APT_PIN_VERSION, .version = (char *) "1.0-1" };
        assert_true(apt_pin_matches_version(&v, "1.0-1", NULL, 0));
        assert_false(apt_pin_matches_version(&v, "1.0-10", NULL, 0));
        v.version = (char *) "1.0-?";
        assert_true(apt_pin_matches_version(&v, "1.0-3", NULL, 0));
        /* release pins on a version: any file publishing it */
        AptFile sec = file("deb.debian.org", "Debian", "Debian-Security", "oldstable-security", "bookworm-security", "12", "main");
        const AptFile *files[] = { &sec };
        _cleanup_(apt_prefs_freep) AptPrefs *r = release_pin("l=Debian-Security");
        assert_true(apt_pin_matches_version(&r->pins[0], "1.0", files, 1));
        assert_false(apt_pin_matches_version(&r->pins[0], "1.0", files, 0));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_file_match),
                cmocka_unit_test(test_package_and_version),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
