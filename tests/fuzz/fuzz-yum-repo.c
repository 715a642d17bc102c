/* SPDX-License-Identifier: MIT */
/* dnf's INI files: the first byte picks a .repo file or dnf.conf, and whether dnf's
 * variables are substituted; then the excludes match and the cache names are made. */
#include <stdint.h>
#include <stdlib.h>

#include "cleanup.h"
#include "yum-repo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(yum_repos_done) YumRepos r = {};
        _cleanup_(dnf_vars_done) DnfVars v = {};
        _cleanup_free_ char *err = NULL;
        char name[YUM_CACHE_NAME_MAX];

        if (size < 1 || size > 65536)
                return 0;
        if (dnf_vars_set(&v, "releasever", "41") < 0 || dnf_vars_set(&v, "basearch", "x86_64") < 0 ||
            dnf_vars_set(&v, "long", "0123456789012345678901234567890123456789") < 0)
                abort();
        if (yum_repos_parse(&r, (const char *) data + 1, size - 1, "fuzz.repo", data[0] & 1, data[0] & 2 ? &v : NULL,
                            &err) < 0)
                return 0;
        for (size_t i = 0; i < r.n_repos; i++) {
                (void) yum_excluded(r.repos[i].excludes, "kernel-core", "x86_64");
                (void) yum_repo_cache_name(&r.repos[i], name);
        }
        (void) yum_excluded(r.main_excludes, "kernel-core", "x86_64");
        return 0;
}
