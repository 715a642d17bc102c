/* SPDX-License-Identifier: MIT */
#pragma once

/* The dnf 4 versionlock plugin (dnf-plugins-core's versionlock.py): its lock list,
 * /etc/dnf/plugins/versionlock.list, one pattern per line. "NAME-[EPOCH:]VERSION-RELEASE.ARCH"
 * (what `dnf versionlock add` writes; globs allowed) locks NAME to the versions it matches:
 * every other version of that name the repositories offer is hidden. A "!" pattern
 * hides what it matches. dnf then treats hidden versions as excluded. */

#include <stdbool.h>
#include <stddef.h>

#define DNF_VERSIONLOCK_CONF "/etc/dnf/plugins/versionlock.conf"
#define DNF_VERSIONLOCK_MAX 65536      /* patterns */
#define DNF_VERSIONLOCK_FILE_MAX (8u * 1024 * 1024)

/* A pattern in one of hawkey's forms: NULL parts match anything; epoch -1: any. */
typedef struct DnfLockPattern {
        char *name, *version, *release, *arch;
        long epoch;
        bool exclude;          /* a "!" line */
} DnfLockPattern;

typedef struct DnfVersionlock {
        DnfLockPattern *patterns;
        size_t n_patterns;
} DnfVersionlock;

void dnf_versionlock_done(DnfVersionlock *v);
/* Adds the patterns of a lock list text: each line in every form of hawkey's
 * NEVRA, NEVR, NEV, NA and NAME it parses in (dnf stops at the first form that matches a
 * package; the other forms of a real NEVRA line name no package). '#' lines and blank lines
 * are skipped. Returns 0, -E2BIG past DNF_VERSIONLOCK_MAX, -ENOMEM. */
int dnf_versionlock_parse(DnfVersionlock *v, const char *text, size_t size);
/* The lock list the plugin reads, when the plugin is on: ROOT/etc/dnf/plugins/versionlock.conf
 * exists, does not say enabled=0, names a locklist=, and dnf.conf does not say plugins=0
 * (plugins_enabled). Nothing when off or when the list is missing. Returns 0 or -errno with
 * *ret_error. */
int dnf_versionlock_load(int root_fd, bool plugins_enabled, DnfVersionlock *ret, char **ret_error);
/* Whether the plugin hides this version that a repository offers. */
bool dnf_versionlock_hides(const DnfVersionlock *v, const char *name, const char *epoch, const char *version,
                           const char *release, const char *arch);
/* Whether a lock pattern keeps this (installed) version: its obsoleters are hidden too. */
bool dnf_versionlock_locked(const DnfVersionlock *v, const char *name, const char *epoch, const char *version,
                            const char *release, const char *arch);
