/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apt-sources.h"
#include "cleanup.h"
#include "macro.h"

static void check_prefix(const char *uri, const char *suite, const char *comp, const char *want) {
        _cleanup_free_ char *p = apt_sources_prefix(uri, suite, comp);
        if (!p || strcmp(p, want) != 0)
                fail_msg("prefix(%s, %s, %s) = %s, want %s", uri, suite, strnull(comp), strnull(p), want);
}

static void test_prefix(void **state) {
        (void) state;
        /* As apt's URItoFileName names them in /var/lib/apt/lists. */
        check_prefix("http://deb.debian.org/debian", "bookworm", "main",
                     "deb.debian.org_debian_dists_bookworm_main_binary-");
        check_prefix("http://deb.debian.org/debian/", "bookworm-updates", "main",
                     "deb.debian.org_debian_dists_bookworm-updates_main_binary-");
        check_prefix("https://user:secret@repo.example.com:8443/apt", "stable", "non-free/debian-installer",
                     "repo.example.com:8443_apt_dists_stable_non-free_debian-installer_binary-");
        check_prefix("http://ppa.launchpad.net/~team/ppa/ubuntu", "jammy", "main",
                     "ppa.launchpad.net_%7eteam_ppa_ubuntu_dists_jammy_main_binary-");
        check_prefix("http://security.debian.org/debian-security", "bookworm/updates", "main",
                     "security.debian.org_debian-security_dists_bookworm_updates_main_binary-");
        check_prefix("http://repo.example.org/flat", "./", NULL, "repo.example.org_flat_Packages");
        check_prefix("http://repo.example.org/flat", "sub/", NULL, "repo.example.org_flat_sub_Packages");
        assert_null(apt_sources_prefix("cdrom:[Debian]/", "bookworm", "main"));
}

static void test_parse(void **state) {
        static const char one_line[] =
                "# comment\n"
                "deb http://deb.debian.org/debian bookworm main contrib # trailing\n"
                "deb-src http://deb.debian.org/debian bookworm main\n"
                "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] https://dl.example.com/repo stable main\n"
                "deb [ trusted=yes ] http://local.example/flat ./\n"
                "junk line\n";
        static const char deb822[] =
                "Types: deb deb-src\n"
                "URIs: http://deb.debian.org/debian\n"
                "Suites: bookworm bookworm-updates\n"
                "Components: main\n"
                "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
                "\n"
                "Types: deb\n"
                "URIs: http://disabled.example/debian\n"
                "Suites: stable\n"
                "Components: main\n"
                "Enabled: no\n"
                "\n"
                "Types: deb-src\n"
                "URIs: http://src.example/debian\n"
                "Suites: stable\n"
                "Components: main\n";
        AptSources s = {};
        (void) state;

        assert_int_equal(apt_sources_parse(&s, "sources.list", one_line, strlen(one_line)), 0);
        assert_int_equal(apt_sources_parse(&s, "debian.sources", deb822, strlen(deb822)), 0);
        assert_true(s.configured);
        assert_false(s.unknown);
        assert_true(apt_sources_wants(&s, "deb.debian.org_debian_dists_bookworm_contrib_binary-amd64_Packages.lz4"));
        assert_true(apt_sources_wants(&s, "deb.debian.org_debian_dists_bookworm-updates_main_binary-i386_Packages"));
        assert_true(apt_sources_wants(&s, "dl.example.com_repo_dists_stable_main_binary-amd64_Packages"));
        assert_true(apt_sources_wants(&s, "local.example_flat_Packages"));
        assert_false(apt_sources_wants(&s, "disabled.example_debian_dists_stable_main_binary-amd64_Packages"));
        assert_false(apt_sources_wants(&s, "src.example_debian_dists_stable_main_binary-amd64_Packages"));
        assert_false(apt_sources_wants(&s, "deb.debian.org_debian_dists_bullseye_main_binary-amd64_Packages"));
        apt_sources_done(&s);

        /* A URI we cannot map: filter nothing rather than guess. */
        assert_int_equal(apt_sources_parse(&s, "x.list", "deb mirror+file:/etc/apt/m.txt stable main\n", 43), 0);
        assert_true(s.unknown);
        assert_true(apt_sources_wants(&s, "anything_Packages"));
        apt_sources_done(&s);
        /* No sources file at all: every list. */
        assert_true(apt_sources_wants(&s, "anything_Packages"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_prefix),
                cmocka_unit_test(test_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
