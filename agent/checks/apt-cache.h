/* SPDX-License-Identifier: MIT */
#pragma once

/* The part of apt's package cache the patch-level check needs: the installed packages
 * (name + architecture, as apt keys them), every version of them that dpkg's status or an
 * index publishes, and apt's candidate version per package (pkgPolicy::GetCandidateVer):
 *
 *   file priorities: 500; 100 for dpkg's status (the installed version only) and for
 *   NotAutomatic+ButAutomaticUpgrades suites; 1 for NotAutomatic suites; the first
 *   matching "Package: *" pin (APT::Default-Release first, at 990) replaces it.
 *   version priority: the first package pin matching the version, else the highest
 *   priority of the files that publish it.
 *   candidate: walking versions from the highest down, the first with a priority above
 *   every one before it; at the installed version the bar rises to 999, so only a pin of
 *   1000 or more can select an older version (a downgrade).
 *
 * Like apt (pkgCacheGenerator::MergeListVersion), one version published by several files is
 * one entry only when the files agree on it: same dependency hash (debListParser::
 * VersionHash: Installed-Size, Depends, Pre-Depends, Conflicts, Breaks, Replaces without
 * blanks, '=' and case), same Multi-Arch, same Size where both have one. Otherwise the
 * entries stay apart, dpkg's status (which apt reads last) after the others; a locally
 * rebuilt package then shows as "upgradable" to the archive's build of the same version,
 * exactly as apt lists it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apt-lists.h"
#include "apt-prefs.h"
#include "deb822.h"

typedef struct AptVersion {
        char *version;
        uint32_t *files;    /* indices into AptCache.files */
        size_t n_files;
        int phased;         /* Phased-Update-Percentage, 100 when absent */
        int priority;       /* filled by apt_cache_compute_candidates() */
        uint32_t hash;      /* apt_stanza_hash() of the first stanza */
        uint64_t size;      /* Size of the first index stanza, 0: none (dpkg status) */
        bool current;       /* the installed version */
} AptVersion;

typedef struct AptPackage {
        char *name;         /* one allocation holding name, arch and installed, in that order */
        char *arch;         /* "all" is recorded as the native architecture, as apt does */
        char *installed;    /* installed version (the entry flagged current) */
        bool held;          /* dpkg selection "hold" */
        AptVersion *versions; /* highest first */
        size_t n_versions;
        const AptVersion *candidate;
        size_t next_same_name; /* index + 1 of another architecture of this name, 0: none */
} AptPackage;

typedef struct AptSlot {
        uint32_t hash;
        uint32_t index;     /* index + 1 into packages, 0: empty */
} AptSlot;

typedef struct AptCache {
        char *native_arch;
        AptFile *files;     /* files[0] is dpkg's status */
        size_t n_files;
        AptPackage *packages;
        size_t n_packages;
        size_t n_packages_allocated; /* grown by halves: one realloc per package cost 0.46 M a run */
        AptSlot *table;     /* open addressing by name */
        size_t table_size;
} AptCache;

AptCache *apt_cache_new(const char *native_arch);
AptCache *apt_cache_free(AptCache *c);
static inline void apt_cache_freep(AptCache **c) {
        apt_cache_free(*c);
}

/* Takes ownership of the index files (appended after the status file). */
int apt_cache_add_files(AptCache *c, AptFile *files, size_t n);
/* What makes two stanzas of one version the same version for apt. */
uint32_t apt_stanza_hash(const Deb822Stanza *s);
/* Records an installed package (and its version in dpkg's status, hash from its stanza).
 * "all" → native. */
int apt_cache_add_installed(AptCache *c, const char *name, const char *arch, const char *version, bool held,
                            uint32_t hash);
/* First package of that name (any architecture), or NULL. */
AptPackage *apt_cache_find_name(const AptCache *c, const char *name, size_t len);
AptPackage *apt_cache_find(const AptCache *c, const char *name, size_t name_len, const char *arch, size_t arch_len);
/* Adds a version published by file file_index (merged with an entry of the same version
 * that agrees on hash and size). */
int apt_cache_add_version(AptCache *c, AptPackage *p, uint32_t file_index, const char *version,
                          size_t len, int phased, uint32_t hash, uint64_t size);

/* Computes file priorities and every package's candidate. default_release is
 * APT::Default-Release (NULL: none). */
void apt_cache_compute_candidates(AptCache *c, const AptPrefs *prefs, const char *default_release);
/* Candidate newer than installed, as `apt list --upgradable` shows. */
bool apt_package_upgradable(const AptPackage *p);
/* Whether a file belongs to a security suite (Suite or Codename ending in "-security",
 * or Debian's "Debian-Security" label). */
bool apt_file_is_security(const AptFile *f);
/* The newest version above installed published in a security suite, or NULL. */
const AptVersion *apt_package_security_version(const AptCache *c, const AptPackage *p, const AptFile **ret_file);
