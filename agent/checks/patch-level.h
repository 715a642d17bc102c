/* SPDX-License-Identifier: MIT */
#pragma once

/* The package state the patch-level check decides on, loaded from a root. Exposed for
 * tests and benchmarks. */

#include "apt-cache.h"
#include "apt-conf.h"
#include "apt-sources.h"
#include "macro.h"

typedef struct PatchLevelData {
        AptCache *cache;        /* installed packages with their candidates */
        AptConf *conf;          /* apt.conf settings */
        char **pref_warnings;   /* preference records apt ignores */
        usec_t lists_newest;    /* newest mtime in apt's lists, 0: none */
} PatchLevelData;

/* Reads dpkg's status, apt's configuration, pins and lists under root_fd and computes the
 * candidates. cache_dir (NULL: none) keeps a digest of each list (apt-index-cache.h), read
 * instead of the list while the list is unchanged. Errors describe the bad input in
 * *ret_error. */
int patch_level_load(int root_fd, const char *cache_dir, PatchLevelData **ret, char **ret_error);
PatchLevelData *patch_level_data_free(PatchLevelData *d);
static inline void patch_level_data_freep(PatchLevelData **d) {
        patch_level_data_free(*d);
}
/* Adds the indexes of the lists directory that sources names (NULL: all) to the cache,
 * through their digests in cache_dir (NULL: none), which it refreshes and prunes. */
int patch_level_scan_lists(AptCache *cache, int lists_fd, const AptSources *sources, const char *cache_dir,
                           usec_t *ret_newest, char **ret_error);
