/* SPDX-License-Identifier: MIT */
/* The daemon's fallback to the system locale (locale.conf) when systemd gives it none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "i18n.h"

static void test_locale_conf_get(void **state) {
        _cleanup_free_ char *v = NULL;
        (void) state;
        const char *text = "# comment\nLANGUAGE=fr:en\n  LANG=\"fr_FR.UTF-8\"  \r\nLC_TIME='de_DE.UTF-8'\nLC_X=\n";

        assert_int_equal(i18n_locale_conf_get(text, "LANG", &v), 1);
        assert_string_equal(v, "fr_FR.UTF-8");
        free(TAKE_PTR(v));
        assert_int_equal(i18n_locale_conf_get(text, "LANGUAGE", &v), 1);
        assert_string_equal(v, "fr:en");
        free(TAKE_PTR(v));
        assert_int_equal(i18n_locale_conf_get(text, "LC_TIME", &v), 1);
        assert_string_equal(v, "de_DE.UTF-8");
        free(TAKE_PTR(v));
        assert_int_equal(i18n_locale_conf_get(text, "LC_X", &v), 0);
        assert_int_equal(i18n_locale_conf_get(text, "LC_MESSAGES", &v), 0);
        assert_int_equal(i18n_locale_conf_get("", "LANG", &v), 0);
        assert_int_equal(i18n_locale_conf_get("LANG", "LANG", &v), 0);
}

static void test_use_system_locale(void **state) {
        char missing[] = "/nonexistent/locale.conf", path[] = "/tmp/test-i18n-XXXXXX";
        int fd = mkstemp(path);
        (void) state;

        assert_true(fd >= 0);
        assert_int_equal(write(fd, "LANG=fr_FR.UTF-8\n", 17), 17);
        close(fd);
        const char *files[] = { missing, path, NULL };

        /* An explicit LANG wins. */
        setenv("LANG", "C.UTF-8", 1);
        unsetenv("LC_ALL");
        unsetenv("LC_MESSAGES");
        i18n_use_system_locale(files);
        assert_string_equal(getenv("LANG"), "C.UTF-8");

        /* Without one, the first file that exists gives it. */
        unsetenv("LANG");
        i18n_use_system_locale(files);
        assert_string_equal(getenv("LANG"), "fr_FR.UTF-8");
        unlink(path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_locale_conf_get),
                cmocka_unit_test(test_use_system_locale),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
