/* SPDX-License-Identifier: MIT */
/* Candidate selection as apt's pkgPolicy does it: default priorities, NotAutomatic,
 * ButAutomaticUpgrades, package and release pins, APT::Default-Release, downgrades. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "apt-cache.h"
#include "cleanup.h"

enum { F_MAIN = 1, F_SECURITY, F_BPO_BAU, F_EXPERIMENTAL, F_LOCAL };

static AptFile mkfile(const char *name, const char *suite, const char *codename, const char *label, bool na, bool bau) {
        AptFile f = { .name = strdup(name), .site = strdup("deb.example.org"), .component = strdup("main"),
                      .arch = strdup("amd64"), .has_release = suite != NULL };
        if (suite) {
                snprintf(f.release.origin, sizeof(f.release.origin), "Debian");
                snprintf(f.release.suite, sizeof(f.release.suite), "%s", suite);
                snprintf(f.release.codename, sizeof(f.release.codename), "%s", codename);
                snprintf(f.release.label, sizeof(f.release.label), "%s", label);
                f.release.not_automatic = na;
                f.release.but_automatic_upgrades = bau;
        }
        return f;
}

static AptCache *mkcache(void) {
        AptCache *c = apt_cache_new("amd64");
        AptFile *f = calloc(5, sizeof(AptFile));
        assert_non_null(c);
        f[0] = mkfile("main", "stable", "bookworm", "Debian", false, false);
        f[1] = mkfile("security", "stable-security", "bookworm-security", "Debian-Security", false, false);
        f[2] = mkfile("backports", "stable-backports", "bookworm-backports", "Debian Backports", true, true);
        f[3] = mkfile("experimental", "experimental", "rc-buggy", "Debian", true, false);
        f[4] = mkfile("local", NULL, NULL, NULL, false, false);
        assert_int_equal(apt_cache_add_files(c, f, 5), 0);
        return c;
}

static AptPackage *pkg(AptCache *c, const char *name, const char *installed, bool held) {
        assert_int_equal(apt_cache_add_installed(c, name, "amd64", installed, held, 0), 0);
        AptPackage *p = apt_cache_find(c, name, strlen(name), "amd64", 5);
        assert_non_null(p);
        return p;
}

static void ver(AptCache *c, const char *name, unsigned file, const char *v) {
        AptPackage *p = apt_cache_find(c, name, strlen(name), "amd64", 5);
        assert_non_null(p);
        assert_int_equal(apt_cache_add_version(c, p, file, v, strlen(v), 100, 0, 0), 0);
}

static const char *cand(AptCache *c, const char *name) {
        AptPackage *p = apt_cache_find(c, name, strlen(name), "amd64", 5);
        assert_non_null(p);
        return p->candidate ? p->candidate->version : "(none)";
}

static AptPrefs *prefs(const char *text) {
        AptPrefs *p = apt_prefs_new();
        _cleanup_free_ char *err = NULL;
        assert_int_equal(apt_prefs_parse(p, "test", text, strlen(text), &err), 0);
        return p;
}

static void test_defaults(void **state) {
        _cleanup_(apt_cache_freep) AptCache *c = mkcache();
        (void) state;
        pkg(c, "plain", "1.0", false);           /* newer in main */
        ver(c, "plain", F_MAIN, "1.1");
        pkg(c, "bpo", "1.0", false);             /* newer only in NotAutomatic+BAU backports */
        ver(c, "bpo", F_MAIN, "1.0");
        ver(c, "bpo", F_BPO_BAU, "1.2~bpo12+1");
        pkg(c, "from-bpo", "1.1~bpo12+1", false); /* installed from backports: it follows them */
        ver(c, "from-bpo", F_MAIN, "1.0");
        ver(c, "from-bpo", F_BPO_BAU, "1.1~bpo12+1");
        ver(c, "from-bpo", F_BPO_BAU, "1.2~bpo12+1");
        pkg(c, "exp", "1.0", false);             /* NotAutomatic only: never automatic */
        ver(c, "exp", F_EXPERIMENTAL, "2.0");
        pkg(c, "local", "9.0", false);           /* locally built, newer than the archive */
        ver(c, "local", F_MAIN, "1.0");
        pkg(c, "gone", "1.0", false);            /* in no index at all */
        pkg(c, "sec", "1.0", true);              /* security fix, but held */
        ver(c, "sec", F_MAIN, "1.0");
        ver(c, "sec", F_SECURITY, "1.0+deb12u1");
        pkg(c, "flatrepo", "1.0", false);        /* a repository without Release */
        ver(c, "flatrepo", F_LOCAL, "1.5");
        apt_cache_compute_candidates(c, NULL, NULL);

        assert_string_equal(cand(c, "plain"), "1.1");
        assert_string_equal(cand(c, "bpo"), "1.0");
        assert_string_equal(cand(c, "from-bpo"), "1.2~bpo12+1");
        assert_string_equal(cand(c, "exp"), "1.0");
        assert_string_equal(cand(c, "local"), "9.0");
        assert_string_equal(cand(c, "gone"), "1.0");
        assert_string_equal(cand(c, "sec"), "1.0+deb12u1");
        assert_string_equal(cand(c, "flatrepo"), "1.5");

        AptPackage *p = apt_cache_find(c, "sec", 3, "amd64", 5);
        const AptFile *f = NULL;
        assert_true(apt_package_upgradable(p));
        assert_true(p->held);
        assert_non_null(apt_package_security_version(c, p, &f));
        assert_string_equal(f->release.codename, "bookworm-security");
        assert_false(apt_package_upgradable(apt_cache_find(c, "exp", 3, "amd64", 5)));
        assert_null(apt_package_security_version(c, apt_cache_find(c, "plain", 5, "amd64", 5), NULL));
        assert_int_equal(c->files[0].priority, 100);
        assert_int_equal(c->files[F_MAIN].priority, 500);
        assert_int_equal(c->files[F_BPO_BAU].priority, 100);
        assert_int_equal(c->files[F_EXPERIMENTAL].priority, 1);
}

static void test_pins(void **state) {
        _cleanup_(apt_cache_freep) AptCache *c = mkcache();
        _cleanup_(apt_prefs_freep) AptPrefs *p = prefs(
                "Package: down\nPin: version 1.0*\nPin-Priority: 1001\n\n"
                "Package: keep\nPin: version 1.1\nPin-Priority: 990\n\n"
                "Package: frozen\nPin: release a=stable\nPin-Priority: -1\n\n"
                "Package: lowpin\nPin: version 0.9\nPin-Priority: 700\n\n"
                "Package: exp-wanted\nPin: release a=experimental\nPin-Priority: 500\n\n"
                "Package: *\nPin: release l=Debian-Security\nPin-Priority: never\n\n"
                "Package: *\nPin: release a=stable-security\nPin-Priority: 900\n");
        (void) state;
        pkg(c, "down", "1.1", false);
        ver(c, "down", F_MAIN, "1.0.5");
        ver(c, "down", F_MAIN, "1.2");
        pkg(c, "keep", "1.0", false);
        ver(c, "keep", F_MAIN, "1.1");
        ver(c, "keep", F_MAIN, "1.2");
        pkg(c, "frozen", "1.0", false);
        ver(c, "frozen", F_MAIN, "1.3");
        pkg(c, "lowpin", "1.0", false);
        ver(c, "lowpin", F_MAIN, "0.9");
        ver(c, "lowpin", F_MAIN, "1.1");
        pkg(c, "exp-wanted", "1.0", false);
        ver(c, "exp-wanted", F_EXPERIMENTAL, "2.0");
        pkg(c, "sec", "1.0", false);
        ver(c, "sec", F_SECURITY, "1.0+deb12u1");
        apt_cache_compute_candidates(c, p, NULL);

        assert_string_equal(cand(c, "down"), "1.0.5"); /* >= 1000 allows a downgrade */
        assert_false(apt_package_upgradable(apt_cache_find(c, "down", 4, "amd64", 5)));
        assert_string_equal(cand(c, "keep"), "1.1");
        assert_string_equal(cand(c, "frozen"), "1.0");
        assert_string_equal(cand(c, "lowpin"), "1.1"); /* < 1000: no downgrade */
        assert_string_equal(cand(c, "exp-wanted"), "2.0");
        /* "never" comes first and cannot be overridden by the later 900 */
        assert_int_equal(c->files[F_SECURITY].priority, APT_PIN_NEVER);
        assert_string_equal(cand(c, "sec"), "1.0");
}

static void test_default_release_and_multiarch(void **state) {
        _cleanup_(apt_cache_freep) AptCache *c = mkcache();
        (void) state;
        pkg(c, "tool", "1.0", false);
        ver(c, "tool", F_MAIN, "1.1");
        ver(c, "tool", F_BPO_BAU, "1.5~bpo12+1");
        assert_int_equal(apt_cache_add_installed(c, "libfoo", "i386", "1.0", false, 0), 0);
        assert_int_equal(apt_cache_add_installed(c, "libfoo", "amd64", "1.0", false, 0), 0);
        assert_int_equal(apt_cache_add_installed(c, "data", "all", "1.0", false, 0), 0);
        assert_int_equal(apt_cache_add_installed(c, "data", "amd64", "1.0", false, 0), -EEXIST);
        AptPackage *i386 = apt_cache_find(c, "libfoo", 6, "i386", 4);
        AptPackage *amd64 = apt_cache_find(c, "libfoo", 6, "amd64", 5);
        AptPackage *data = apt_cache_find(c, "data", 4, "all", 3);
        assert_non_null(i386);
        assert_non_null(amd64);
        assert_non_null(data);
        assert_string_equal(data->arch, "amd64");
        assert_int_equal(apt_cache_add_version(c, i386, F_MAIN, "1.1", 3, 100, 0, 0), 0);
        assert_int_equal(apt_cache_add_version(c, data, F_MAIN, "2.0", 3, 40, 0, 0), 0);
        apt_cache_compute_candidates(c, NULL, "stable-backports");
        assert_string_equal(cand(c, "tool"), "1.5~bpo12+1");
        assert_true(apt_package_upgradable(i386));
        assert_false(apt_package_upgradable(amd64));
        assert_true(apt_package_upgradable(data));
        assert_int_equal(data->candidate->phased, 40);
}

static uint32_t hash_of(const char *text) {
        Deb822Parser p;
        Deb822Stanza s;
        deb822_parser_init(&p, text, strlen(text));
        assert_int_equal(deb822_next(&p, &s), 1);
        return apt_stanza_hash(&s);
}

static void test_same_version_other_build(void **state) {
        _cleanup_(apt_cache_freep) AptCache *c = mkcache();
        uint32_t status = hash_of("Package: x\nDepends: libc6 (>= 2.36), libssl3\nMulti-Arch: no\n");
        (void) state;

        /* Blanks, '=', case, "0:" epochs and an explicit "Multi-Arch: no" do not count. */
        assert_int_equal(status, hash_of("Package: x\nDepends: libc6 (>=0:2.36),LIBSSL3\n"));
        assert_int_not_equal(status, hash_of("Package: x\nDepends: libc6 (>= 2.36)\n"));
        assert_int_not_equal(status, hash_of("Package: x\nDepends: libc6 (>= 2.36), libssl3\nMulti-Arch: same\n"));

        assert_int_equal(apt_cache_add_installed(c, "x", "amd64", "1.0", false, status), 0);
        assert_int_equal(apt_cache_add_installed(c, "y", "amd64", "1.0", false, status), 0);
        AptPackage *x = apt_cache_find(c, "x", 1, "amd64", 5), *y = apt_cache_find(c, "y", 1, "amd64", 5);
        /* x: the archive's 1.0 is another build → two entries, the status one last */
        assert_int_equal(apt_cache_add_version(c, x, F_MAIN, "1.0", 3, 100, status + 1, 1234), 0);
        /* y: same build in two archives, then one with another Size: apt appends it after
         * the entry the status merged into */
        assert_int_equal(apt_cache_add_version(c, y, F_MAIN, "1.0", 3, 100, status, 1234), 0);
        assert_int_equal(apt_cache_add_version(c, y, F_SECURITY, "1.0", 3, 100, status, 1234), 0);
        assert_int_equal(apt_cache_add_version(c, y, F_LOCAL, "1.0", 3, 100, status, 999), 0);
        assert_int_equal(x->n_versions, 2);
        assert_true(x->versions[1].current);
        assert_int_equal(y->n_versions, 2);
        assert_true(y->versions[0].current);
        assert_int_equal(y->versions[0].n_files, 3);
        apt_cache_compute_candidates(c, NULL, NULL);
        assert_true(apt_package_upgradable(x));
        assert_false(apt_package_upgradable(y));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_pins),
                cmocka_unit_test(test_default_release_and_multiarch),
                cmocka_unit_test(test_same_version_other_build),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
