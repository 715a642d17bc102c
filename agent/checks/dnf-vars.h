/* SPDX-License-Identifier: MIT */
#pragma once

/* dnf's configuration variables ($releasever, $basearch, $arch and the files of
 * /etc/dnf/vars), substituted into .repo values as libdnf's ConfigParser::substitute
 * does, and the release version as dnf's detect_releasever finds it in rpm's database. */

#include <stddef.h>
#include <stdint.h>

#include "rpm-header.h"

#define DNF_VARS_MAX 256
#define DNF_VAR_VALUE_MAX 4096
#define DNF_SUBSTITUTED_MAX (64u * 1024)

typedef struct DnfVars {
        char **names;   /* parallel arrays, n entries */
        char **values;
        size_t n;
} DnfVars;

void dnf_vars_done(DnfVars *v);
/* Sets (or replaces) one variable. Returns 0, -E2BIG past DNF_VARS_MAX, -ENOMEM. */
int dnf_vars_set(DnfVars *v, const char *name, const char *value);
const char *dnf_vars_get(const DnfVars *v, const char *name);
/* The files of ROOT/etc/yum/vars then ROOT/etc/dnf/vars: the name is the variable, the
 * first line its value (a later directory wins); names that substitution can never match
 * (other than [A-Za-z0-9_]) are skipped. Missing directories are empty. */
int dnf_vars_load_dirs(DnfVars *v, int root_fd);
/* rpm's base architecture of an architecture (x86_64 → x86_64, i686 → i386, armv7hl →
 * armhfp); the architecture itself when unknown. */
const char *dnf_basearch(const char *arch);
/* $name and ${name} (name: [A-Za-z0-9_]+) replaced by known variables; unknown ones, and
 * a ${ without its }, are left as written. Returns 0, -E2BIG past DNF_SUBSTITUTED_MAX. */
int dnf_vars_substitute(const DnfVars *v, const char *text, char **ret);

/* dnf's release version, fed every installed package header: the first of
 * system-release(releasever), system-release, distribution-release(releasever),
 * distribution-release, redhat-release, suse-release that a package provides; its value
 * is the package's version, or the provide's "= VERSION" when the package is not named
 * so. */
typedef struct DnfReleasever {
        char *found[6];   /* per provide above, the first package's value */
} DnfReleasever;

void dnf_releasever_done(DnfReleasever *r);
int dnf_releasever_add(DnfReleasever *r, const RpmHeaderInfo *h);
/* NULL: none found (dnf then leaves $releasever unexpanded). */
const char *dnf_releasever_get(const DnfReleasever *r);
