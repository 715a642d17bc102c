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
 * candidates. Errors describe the bad input in *ret_error. */
int patch_level_load(int root_fd, PatchLevelData **ret, char **ret_error);
PatchLevelData *patch_level_data_free(PatchLevelData *d);
static inline void patch_level_data_freep(PatchLevelData **d) {
        patch_level_data_free(*d);
}
/* Adds the indexes of the lists directory that sources names (NULL: all) to the cache. */
int patch_level_scan_lists(AptCache *cache, int lists_fd, const AptSources *sources, usec_t *ret_newest,
                           char **ret_error);
