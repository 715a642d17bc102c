/* SPDX-License-Identifier: MIT */
/* The versionlock plugin's list: hawkey's forms, locks and "!" excludes, as the plugin
 * applies them (expected results checked with the real plugin on Debian's dnf). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "dnf-versionlock.h"
#include "yum-repo.h"

static void test_forms(void **state) {
        _cleanup_(dnf_versionlock_done) DnfVersionlock v = {};
        (void) state;

        /* NEVRA, and NEVR (release "1.fc38.*"); the other forms would put the ':' in a name. */
        assert_int_equal(dnf_versionlock_parse(&v, "bash-0:5.2.15-1.fc38.*\n", 23), 0);
        assert_int_equal(v.n_patterns, 2);
        const DnfLockPattern *p = &v.patterns[0];
        assert_string_equal(p->name, "bash");
        assert_int_equal(p->epoch, 0);
        assert_string_equal(p->version, "5.2.15");
        assert_string_equal(p->release, "1.fc38");
        assert_string_equal(p->arch, "*");
        assert_string_equal(v.patterns[1].release, "1.fc38.*");
        assert_null(v.patterns[1].arch);
        /* "foo-1.0": NEV (foo 1.0), NA ("foo-1" of arch "0"), NAME. */
        assert_int_equal(dnf_versionlock_parse(&v, "foo-1.0", 7), 0);
        assert_int_equal(v.n_patterns, 5);
        assert_string_equal(v.patterns[2].name, "foo");
        assert_string_equal(v.patterns[2].version, "1.0");
        assert_int_equal(v.patterns[2].epoch, -1);
        assert_string_equal(v.patterns[3].name, "foo-1");
        assert_string_equal(v.patterns[3].arch, "0");
        assert_string_equal(v.patterns[4].name, "foo-1.0");
}

static void test_hides(void **state) {
        static const char list[] = "# comment\n  \nlocked-0:1.0-1.*\nglob-1.*\n!excl-0:1.1-1.noarch\n";
        _cleanup_(dnf_versionlock_done) DnfVersionlock v = {};
        (void) state;

        assert_int_equal(dnf_versionlock_parse(&v, list, strlen(list)), 0);
        assert_true(dnf_versionlock_hides(&v, "locked", NULL, "1.1", "1", "noarch"));
        assert_false(dnf_versionlock_hides(&v, "locked", "0", "1.0", "1", "x86_64"));
        assert_true(dnf_versionlock_hides(&v, "locked", "1", "1.0", "1", "x86_64")); /* another epoch */
        assert_false(dnf_versionlock_hides(&v, "glob", "0", "1.1", "1", "noarch"));
        assert_true(dnf_versionlock_hides(&v, "glob", "0", "2.0", "1", "noarch"));
        assert_true(dnf_versionlock_hides(&v, "excl", "0", "1.1", "1", "noarch"));
        assert_false(dnf_versionlock_hides(&v, "excl", "0", "1.2", "1", "noarch"));
        assert_false(dnf_versionlock_hides(&v, "free", "0", "9", "1", "noarch"));
        assert_true(dnf_versionlock_locked(&v, "locked", "0", "1.0", "1", "noarch"));
        assert_false(dnf_versionlock_locked(&v, "excl", "0", "1.1", "1", "noarch"));
}

static void test_ini(void **state) {
        static const char conf[] = "[other]\nenabled=0\n[main]\n enabled = 1 \nlocklist=/a\nlocklist = /etc/x.list\n";
        _cleanup_free_ char *enabled = NULL, *list = NULL, *none = NULL;
        bool b = false;
        (void) state;

        assert_int_equal(yum_ini_get(conf, "main", "enabled", &enabled), 0);
        assert_string_equal(enabled, "1");
        assert_int_equal(yum_parse_bool(enabled, &b), 0);
        assert_true(b);
        assert_int_equal(yum_ini_get(conf, "main", "locklist", &list), 0);
        assert_string_equal(list, "/etc/x.list");
        assert_int_equal(yum_ini_get(conf, "main", "lock", &none), 0);
        assert_null(none);
        assert_int_equal(yum_parse_bool("maybe", &b), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_forms),
                cmocka_unit_test(test_hides),
                cmocka_unit_test(test_ini),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
