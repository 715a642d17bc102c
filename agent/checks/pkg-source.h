/* SPDX-License-Identifier: MIT */
#pragma once

/* The package-source seam of the patch-level check: one source per package manager
 * family (apt, dnf) detects its system under the root and loads one generic package
 * state; patch-level.c turns that state into grace periods and a verdict. */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "checks.h"
#include "macro.h"

/* One upgradable package. Strings belong to the source's data (PkgState.data). */
typedef struct PkgUpdate {
        const char *name;
        const char *arch;
        const char *installed;  /* the installed version, as the package manager writes it */
        const char *candidate;  /* the version an upgrade installs */
        bool security;          /* a security fix is among the pending versions */
        bool held;              /* held or excluded: an upgrade leaves it alone */
        int phased;             /* apt's phased-update percentage, 100: not phased */
        const char *origin;     /* apt: the security suite; dnf: the repository */
        const char *severity;   /* dnf: the worst advisory severity, NULL: none */
        char **advisories;      /* dnf: security advisory ids, NULL: none */
        const char *obsoleted_by; /* dnf: "name.arch" of the package that replaces it (candidate
                                   * is its version), NULL: none */
} PkgUpdate;

typedef struct PkgSource PkgSource;

typedef struct PkgState {
        const PkgSource *source;
        PkgUpdate *updates;
        size_t n_updates;
        usec_t last_refresh;       /* newest metadata download, 0: never */
        bool automatic;            /* automatic security updates are on */
        bool reboot;               /* a reboot is needed… */
        char *reboot_reason;       /* …because (translated) */
        json_object *reboot_packages; /* …for these packages (array), NULL: not known */
        char **warnings;           /* configuration the package manager ignores */
        const char *native_arch;
        void *data;                /* what the strings above point into */
        void (*data_free)(void *data);
} PkgState;

void pkg_state_done(PkgState *s);

/* The texts a verdict shows, per family (msgids, translated where shown). */
typedef struct PkgSourceTexts {
        const char *origin_key;     /* evidence key of PkgUpdate.origin */
        const char *automatic_key;  /* evidence key of PkgState.automatic */
        const char *fix_updates;    /* install pending updates */
        const char *never_refreshed;
        const char *fix_refresh;    /* refresh the metadata */
        const char *fix_automatic;  /* turn automatic updates on */
} PkgSourceTexts;

struct PkgSource {
        const char *id;                   /* "apt", "dnf" */
        /* Whether the root is a system of this family. */
        bool (*detect)(int root_fd);
        /* Fills *ret; errors describe the bad input in *ret_error (-ENOMEM: none). */
        int (*load)(const CheckContext *ctx, PkgState *ret, char **ret_error);
        PkgSourceTexts texts;
};

extern const PkgSource pkg_source_apt;
extern const PkgSource pkg_source_dnf;

/* The source whose system the root is, NULL: none. */
const PkgSource *pkg_source_detect(int root_fd);
