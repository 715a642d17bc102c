/* SPDX-License-Identifier: MIT */
/* dnf's variables: libdnf's substitution rules, base architectures, .repo ids and URLs
 * with variables, and the cache directory names libdnf and dnf5 derive from them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "dnf-vars.h"
#include "yum-repo.h"

static void vars_init(DnfVars *v) {
        assert_int_equal(dnf_vars_set(v, "releasever", "41"), 0);
        assert_int_equal(dnf_vars_set(v, "basearch", "x86_64"), 0);
        assert_int_equal(dnf_vars_set(v, "releasever", "42"), 0); /* replaces */
        assert_int_equal(dnf_vars_set(v, "empty", ""), 0);
}

static void test_substitute(void **state) {
        static const char *const cases[][2] = {
                { "f$releasever/$basearch/", "f42/x86_64/" },
                { "${releasever}x", "42x" },
                { "$releaseverx", "$releaseverx" },      /* the longest name, unknown */
                { "${releasever", "${releasever" },      /* no } */
                { "${releasever-1}", "${releasever-1}" }, /* not a name: left as written */
                { "$$releasever", "$42" },
                { "a$empty.b", "a.b" },
                { "$", "$" },
                { "${", "${" },
                { "$unknown $basearch", "$unknown x86_64" },
                { "", "" },
        };
        _cleanup_(dnf_vars_done) DnfVars v = {};
        (void) state;

        vars_init(&v);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *out = NULL;
                assert_int_equal(dnf_vars_substitute(&v, cases[i][0], &out), 0);
                assert_string_equal(out, cases[i][1]);
        }
        /* A value is not scanned again. */
        assert_int_equal(dnf_vars_set(&v, "loop", "$loop$loop"), 0);
        _cleanup_free_ char *out = NULL;
        assert_int_equal(dnf_vars_substitute(&v, "$loop", &out), 0);
        assert_string_equal(out, "$loop$loop");
}

static void test_limits(void **state) {
        _cleanup_(dnf_vars_done) DnfVars v = {};
        char big[DNF_VAR_VALUE_MAX], text[200];
        (void) state;

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        assert_int_equal(dnf_vars_set(&v, "big", big), 0);
        memset(text, 0, sizeof(text));
        for (size_t i = 0; i + 4 < sizeof(text); i += 4)
                memcpy(text + i, "$big", 4);
        char *out = NULL;
        assert_int_equal(dnf_vars_substitute(&v, text, &out), -E2BIG);
        assert_null(out);
        for (unsigned i = v.n; i < DNF_VARS_MAX; i++) {
                char name[16];
                snprintf(name, sizeof(name), "v%u", i);
                assert_int_equal(dnf_vars_set(&v, name, "1"), 0);
        }
        assert_int_equal(dnf_vars_set(&v, "onemore", "1"), -E2BIG);
}

static void test_basearch(void **state) {
        (void) state;
        assert_string_equal(dnf_basearch("x86_64"), "x86_64");
        assert_string_equal(dnf_basearch("i686"), "i386");
        assert_string_equal(dnf_basearch("armv7hl"), "armhfp");
        assert_string_equal(dnf_basearch("aarch64"), "aarch64");
        assert_string_equal(dnf_basearch("i"), "i");
}

static void test_repo_ids_and_cache_names(void **state) {
        static const char repo[] =
                "[updates]\nmetalink=https://mirrors.fedoraproject.org/metalink?repo=updates-released-f$releasever&arch=$basearch\n"
                "baseurl=http://ignored/\n"
                "[extra-$releasever]\nbaseurl=\"http://a/$releasever/$basearch/ http://b/\"\n"
                "[bad/$releasever]\nbaseurl=http://c/\n"
                "[fedora]\nmirrorlist=\n";
        _cleanup_(dnf_vars_done) DnfVars v = {};
        _cleanup_(yum_repos_done) YumRepos r = {};
        char name[YUM_CACHE_NAME_MAX];
        (void) state;

        assert_int_equal(dnf_vars_set(&v, "releasever", "41"), 0);
        assert_int_equal(dnf_vars_set(&v, "basearch", "x86_64"), 0);
        assert_int_equal(yum_repos_parse(&r, repo, strlen(repo), "f.repo", false, &v, NULL), 0);
        /* The id with a / is skipped, as dnf skips it. */
        assert_int_equal(r.n_repos, 3);
        /* Expected names: sha256 of the URL (python3 hashlib), as dnf names its directories. */
        assert_int_equal(yum_repo_cache_name(&r.repos[0], name), 0);
        assert_string_equal(name, "updates-e19adde8fd271134");
        assert_string_equal(r.repos[1].id, "extra-41");
        assert_string_equal(r.repos[1].baseurl, "http://a/41/x86_64/");
        assert_int_equal(yum_repo_cache_name(&r.repos[1], name), 0);
        assert_string_equal(name, "extra-41-3afd476f2888620c");
        /* Without any URL, the id. */
        assert_int_equal(yum_repo_cache_name(&r.repos[2], name), 0);
        assert_string_equal(name, "fedora-44f86611d4de6daf");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_substitute),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_basearch),
                cmocka_unit_test(test_repo_ids_and_cache_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
