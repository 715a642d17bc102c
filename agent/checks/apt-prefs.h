/* SPDX-License-Identifier: MIT */
#pragma once

/* apt_preferences(5): pins from ROOT/etc/apt/preferences, then preferences.d/ (apt's
 * order: the first matching pin wins). Records have `Package` (names, globs, /regex/, "*"
 * for every package file, an optional ":arch"), `Pin: version V` | `release a=,n=,o=,l=,
 * c=,b=,v=` | `origin HOST`, and `Pin-Priority` (a number, or "never" for "*"). Matching
 * follows apt's pkgVersionMatch: exact strings compare case-insensitively, globs through
 * fnmatch, /regex/ as an extended regular expression; `Pin: version 1.2*` is a prefix. */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "apt-lists.h"

#define APT_PIN_NEVER SHRT_MIN

typedef enum AptPinType {
        APT_PIN_VERSION,
        APT_PIN_RELEASE,
        APT_PIN_ORIGIN,
} AptPinType;

typedef struct AptPin {
        char *package;      /* one name or pattern, optionally ":arch"; NULL for "*" */
        AptPinType type;
        char *data;         /* after the type word */
        /* Release pins, parsed: NULL when not given. */
        char *rel_version, *rel_origin, *rel_archive, *rel_codename, *rel_label,
             *rel_component, *rel_arch, *rel_release;
        bool rel_version_prefix, match_all;
        /* Version pins: */
        char *version;
        bool version_prefix;
        int priority;
        char *file;
        unsigned line;
} AptPin;

typedef struct AptPrefs {
        AptPin *pins;
        size_t n_pins;
        char **warnings;    /* records apt would ignore with a warning, "FILE:LINE: why" */
} AptPrefs;

AptPrefs *apt_prefs_new(void);
AptPrefs *apt_prefs_free(AptPrefs *p);
static inline void apt_prefs_freep(AptPrefs **p) {
        apt_prefs_free(*p);
}

/* Adds the pins of one file. An invalid record (no Package, a priority out of range) is
 * -EBADMSG with "FILE:LINE: reason" in *ret_error, as apt itself refuses it. */
int apt_prefs_parse(AptPrefs *p, const char *file, const char *data, size_t size, char **ret_error);
int apt_prefs_load(int root_fd, AptPrefs **ret, char **ret_error);

/* apt's ExpressionMatches: /regex/ (case-insensitive), else fnmatch with case folding. */
bool apt_expression_matches(const char *pattern, const char *s);
/* Whether a default pin ("Package: *", release or origin) applies to the file. */
bool apt_pin_matches_file(const AptPin *pin, const AptFile *f);
/* Whether a package pin applies to the package NAME of ARCH (native_arch: the one pins
 * without ":arch" mean). */
bool apt_pin_matches_package(const AptPin *pin, const char *name, const char *arch, const char *native_arch);
/* Whether the pin selects a version (its string, and the files that publish it). */
bool apt_pin_matches_version(const AptPin *pin, const char *version, const AptFile *const *files, size_t n_files);
