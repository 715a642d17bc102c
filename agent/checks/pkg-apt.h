/* SPDX-License-Identifier: MIT */
#pragma once

/* What the apt package source (pkg-source.h) reads from a root: dpkg's status with apt's
 * candidates, apt's configuration and the age of its lists. */

#include "apt-cache.h"
#include "apt-conf.h"
#include "apt-sources.h"
#include "macro.h"

typedef struct AptState {
        AptCache *cache;        /* installed packages with their candidates */
        AptConf *conf;          /* apt.conf settings */
        char **pref_warnings;   /* preference records apt ignores */
        usec_t lists_newest;    /* newest mtime in apt's lists, 0: none */
} AptState;

/* Reads dpkg's status, apt's configuration, pins and lists under root_fd and computes the
 * candidates. cache_dir (NULL: none) keeps a digest of each list (apt-index-cache.h), read
 * instead of the list while the list is unchanged. Errors describe the bad input in
 * *ret_error. */
int apt_state_load(int root_fd, const char *cache_dir, AptState **ret, char **ret_error);
AptState *apt_state_free(AptState *d);
static inline void apt_state_freep(AptState **d) {
        apt_state_free(*d);
}
/* Adds the indexes of the lists directory that sources names (NULL: all) to the cache,
 * through their digests in cache_dir (NULL: none), which it refreshes and prunes. */
int apt_scan_lists(AptCache *cache, int lists_fd, const AptSources *sources, const char *cache_dir,
                           usec_t *ret_newest, char **ret_error);
