/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cleanup.h"
#include "hash-util.h"
#include "os-release.h"

static void test_parse(void **state) {
        _cleanup_(os_release_freep) OsRelease *o = NULL;
        (void) state;
        assert_int_equal(os_release_parse("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\r\n"
                                          "# comment\nNAME='Debian'\nVERSION_ID=\"12\"\n"
                                          "ID=debian\nID_LIKE=\"ubuntu debian\"\nBROKEN\n"
                                          "VERSION_CODENAME=bookworm", &o), 0);
        assert_string_equal(o->id, "debian");
        assert_string_equal(o->version_id, "12");
        assert_string_equal(o->version_codename, "bookworm");
        assert_string_equal(o->pretty_name, "Debian GNU/Linux 12 (bookworm)");
        assert_string_equal(o->id_like, "ubuntu debian");
}

static void test_escapes_and_missing(void **state) {
        _cleanup_(os_release_freep) OsRelease *o = NULL;
        (void) state;
        assert_int_equal(os_release_parse("PRETTY_NAME=\"a \\\"quoted\\\" \\$x\"\n", &o), 0);
        assert_string_equal(o->pretty_name, "a \"quoted\" $x");
        assert_null(o->id);
}

static void test_sha256(void **state) {
        char hex[SHA256_HEX_SIZE];
        (void) state;
        assert_int_equal(sha256_hex("abc", 3, hex), 0);
        assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_escapes_and_missing),
                cmocka_unit_test(test_sha256),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
