/* SPDX-License-Identifier: MIT */
#pragma once

/* A shared library loaded on first use (dlopen) rather than linked: every library linked
 * costs every run its mapping and relocation at start-up, used or not. A table names the
 * functions to look up and where each pointer goes in the caller's struct of pointers. */

#include <stddef.h>

typedef struct DlSymbol {
        const char *name;
        size_t offset; /* offsetof(the caller's API struct, its pointer) */
} DlSymbol;

/* dlopen(soname) (never closed: the libraries we load keep global state) and fills api
 * from table. Returns 0, or -ELIBACC with errbuf saying what could not be loaded (the
 * library, with dlerror's reason, or a missing function) followed by ": " and
 * install_hint (which package to install). */
int dl_load(const char *soname, const DlSymbol *table, size_t n, void *api, const char *install_hint,
            char *errbuf, size_t errsize);
