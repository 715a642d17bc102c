/* SPDX-License-Identifier: MIT */
/* dnf's INI files: the first byte picks a .repo file or dnf.conf; then the excludes match. */
#include <stdint.h>
#include <stdlib.h>

#include "cleanup.h"
#include "yum-repo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(yum_repos_done) YumRepos r = {};
        _cleanup_free_ char *err = NULL;

        if (size < 1 || size > 65536)
                return 0;
        if (yum_repos_parse(&r, (const char *) data + 1, size - 1, "fuzz.repo", data[0] & 1, &err) < 0)
                return 0;
        for (size_t i = 0; i < r.n_repos; i++)
                (void) yum_excluded(r.repos[i].excludes, "kernel-core", "x86_64");
        (void) yum_excluded(r.main_excludes, "kernel-core", "x86_64");
        return 0;
}
