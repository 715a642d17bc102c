/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apt-conf.h"
#include "cleanup.h"

static AptConf *parse(const char *text, int want) {
        AptConf *c = apt_conf_new();
        _cleanup_free_ char *err = NULL;
        assert_non_null(c);
        int r = apt_conf_parse(c, text, strlen(text), &err);
        if (r != want)
                fail_msg("parse → %d (%s), want %d", r, err ? err : "", want);
        return c;
}

static void test_syntax(void **state) {
        _cleanup_(apt_conf_freep) AptConf *c = parse(
                "// comment\n"
                "APT::Periodic::Update-Package-Lists \"1\";\n"
                "APT::Periodic::Unattended-Upgrade \"0\"; # trailing comment\n"
                "/* block\n   comment */\n"
                "APT {\n"
                "  Periodic {\n"
                "    Unattended-Upgrade \"1\";\n"
                "    AutocleanInterval 7;\n"
                "  };\n"
                "  NeverAutoRemove { \"^linux-image.*\"; \"^firmware\"; };\n"
                "};\n"
                "Acquire::http::Proxy \"http://proxy:3128/\"; // the // in the string stays\n"
                "DPkg::Post-Invoke {\"/usr/bin/test -e /x && echo '#not a comment'\";};\n",
                0);
        (void) state;
        assert_string_equal(apt_conf_get(c, "APT::Periodic::Unattended-Upgrade"), "1");
        assert_string_equal(apt_conf_get(c, "apt::periodic::unattended-upgrade"), "1");
        assert_int_equal(apt_conf_get_int(c, "APT::Periodic::AutocleanInterval", 0), 7);
        assert_int_equal(apt_conf_get_int(c, "APT::Periodic::Update-Package-Lists", 0), 1);
        assert_string_equal(apt_conf_get(c, "Acquire::http::Proxy"), "http://proxy:3128/");
        assert_string_equal(apt_conf_get(c, "APT::NeverAutoRemove::"), "^firmware");
        assert_string_equal(apt_conf_get(c, "DPkg::Post-Invoke::"), "/usr/bin/test -e /x && echo '#not a comment'");
        assert_null(apt_conf_get(c, "APT::Periodic"));
        assert_int_equal(apt_conf_get_int(c, "Nope", 42), 42);
}

static void test_clear_and_override(void **state) {
        _cleanup_(apt_conf_freep) AptConf *c = parse(
                "APT::Periodic::Unattended-Upgrade \"1\";\n"
                "APT::Periodic::Enable \"true\";\n"
                "#clear APT::Periodic;\n"
                "APT::Default-Release \"stable\";\n"
                "APT::Default-Release \"bookworm\";\n"
                "#include /etc/apt/other.conf;\n",
                0);
        (void) state;
        assert_null(apt_conf_get(c, "APT::Periodic::Unattended-Upgrade"));
        assert_null(apt_conf_get(c, "APT::Periodic::Enable"));
        assert_string_equal(apt_conf_get(c, "APT::Default-Release"), "bookworm");
}

static void test_errors(void **state) {
        static const char *const bad[] = {
                "APT::Periodic::Unattended-Upgrade \"1\"\n",   /* no ';' */
                "APT { Periodic \"1\";\n",                   /* unclosed scope */
                "};\n",                                      /* stray close */
                "APT::X \"unterminated;\n",
                "/* never closed\n",
                "{ \"x\"; };\n",
                "A { B \"1\" };\n",                          /* missing ';' before '}' */
        };
        (void) state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                AptConf *c = apt_conf_new();
                _cleanup_free_ char *err = NULL;
                assert_int_equal(apt_conf_parse(c, bad[i], strlen(bad[i]), &err), -EBADMSG);
                assert_non_null(err);
                apt_conf_free(c);
        }
}

static void test_part_names(void **state) {
        (void) state;
        assert_true(apt_conf_part_name_ok("50unattended-upgrades", "conf"));
        assert_true(apt_conf_part_name_ok("99local.conf", "conf"));
        assert_false(apt_conf_part_name_ok("50unattended-upgrades.ucf-dist", "conf"));
        assert_false(apt_conf_part_name_ok("foo.dpkg-old", "conf"));
        assert_false(apt_conf_part_name_ok("with space", "conf"));
        assert_false(apt_conf_part_name_ok(".hidden", "conf"));
        assert_true(apt_conf_part_name_ok("nodejs", "pref"));
        assert_true(apt_conf_part_name_ok("pin.pref", "pref"));
        assert_false(apt_conf_part_name_ok("pin.conf", "pref"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_syntax),
                cmocka_unit_test(test_clear_and_override),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_part_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
