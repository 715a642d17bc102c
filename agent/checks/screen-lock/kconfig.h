/* SPDX-License-Identifier: MIT */
#pragma once

/* KConfig files (KDE's kscreenlockerrc; the same reader serves AccountsService's key
 * files): `[Group]` headers (nested `[A][B]`), `Key=Value` with KConfig's escapes (\s \t \n
 * \r \\ \xHH), localised `Key[fr]=` entries (skipped: we read the plain value), and the
 * kiosk marker `[$i]`: on an entry, a group, or alone on the first line for the whole file.
 * Files are merged in KConfig's order, system first (/etc/xdg/…) then the user's: a later
 * file overrides, except what an earlier one marked immutable. */

#include <stdbool.h>
#include <stddef.h>

#define KCONFIG_ENTRIES_MAX 4096

typedef struct KConfigEntry {
        char *group;           /* nested groups joined with '/' */
        char *key;
        char *value;
        bool immutable;
        unsigned file;         /* the index the caller passed to kconfig_parse() */
} KConfigEntry;

typedef struct KConfig {
        KConfigEntry *entries;
        size_t n;
        char **immutable_groups;
        bool frozen;           /* a file was immutable as a whole: later files are ignored */
} KConfig;

/* Merges one file's text into c. -EBADMSG with "line N: …" in *ret_error on a malformed
 * line (KConfig would skip it; we say so), -E2BIG past KCONFIG_ENTRIES_MAX. */
int kconfig_parse(KConfig *c, const char *text, size_t size, unsigned file, char **ret_error);
void kconfig_done(KConfig *c);
/* The merged entry, or NULL. */
const KConfigEntry *kconfig_get(const KConfig *c, const char *group, const char *key);
/* KConfig's reading of a boolean: false, no, off and 0 (any case) are false, anything else
 * true. */
bool kconfig_value_bool(const char *value);
