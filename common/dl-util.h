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

/* One library of a set loaded together, and the symbols it provides. */
typedef struct DlLibrary {
        const char *soname;
        const DlSymbol *table;
        size_t n;
} DlLibrary;

/* The outcome of loading a set once, kept for the process. */
typedef struct DlOnce {
        int state;       /* 0: not tried yet, 1: loaded, <0: failed */
        char error[512]; /* what failed and what to install, when state < 0 */
} DlOnce;

/* dl_load() of each library into api, the first time only (not thread-safe: for code
 * that runs in one thread). Returns 0, or -ELIBACC with *ret_error (when not NULL)
 * pointing to o->error. */
int dl_load_once(DlOnce *o, const DlLibrary *libs, size_t n, void *api, const char *install_hint,
                 const char **ret_error);
