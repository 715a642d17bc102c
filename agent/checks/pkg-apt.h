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
 * candidates. cache_dir (NULL: none; STATE_DIRECTORY/cache) keeps digests of each list
 * (apt-index-cache.h) in APT_INDEX_CACHE_DIR, read instead of the list while the list is
 * unchanged, and of its installed packages' stanzas in APT_INSTALLED_CACHE_DIR, read
 * instead of both while neither the list nor dpkg's status changed. Errors describe the
 * bad input in *ret_error. */
int apt_state_load(int root_fd, const char *cache_dir, AptState **ret, char **ret_error);
AptState *apt_state_free(AptState *d);
static inline void apt_state_freep(AptState **d) {
        apt_state_free(*d);
}
/* The digest directories of apt_scan_lists (each NULL: none). */
typedef struct AptDigests {
        const char *lists_dir;     /* every stanza of a list */
        const char *installed_dir; /* the stanzas of installed packages, valid for scope */
        const char *scope;         /* the dpkg status (and architecture) they were kept for */
} AptDigests;

/* Adds the indexes of the lists directory that sources names (NULL: all) to the cache,
 * through their digests (dg NULL: none), which it refreshes and prunes. */
int apt_scan_lists(AptCache *cache, int lists_fd, const AptSources *sources, const AptDigests *dg,
                   usec_t *ret_newest, char **ret_error);
