/* SPDX-License-Identifier: MIT */
#pragma once

/* GLib's key files, read as g_key_file_load_from_data() reads them (GLib 2.74 and 2.84
 * agree): dconf's keyfile service loads ~/.config/dconf/NAME.txt with it. One line GLib
 * does not take refuses the whole file, and the service then applies none of its values.
 * Such lines are a line that is neither `[group]`, `key=value`, a `#` comment nor blank; a
 * key before the first group; a group name with brackets or control characters; a key with
 * brackets other than one `[locale]` at its end; and `Encoding=` other than UTF-8 in the
 * first group. Values stay raw, as g_key_file_get_value() gives them: no escapes undone,
 * leading blanks removed, trailing ones kept. Keys with a locale are not kept: dconf's keys
 * have none. */

#include <stddef.h>

#define GLIB_KEYFILE_ENTRIES_MAX 4096

typedef struct GlibKeyFileEntry {
        char *group;
        char *key;
        char *value;
} GlibKeyFileEntry;

typedef struct GlibKeyFile {
        GlibKeyFileEntry *entries;
        size_t n;
} GlibKeyFile;

/* -EBADMSG with "line N: …" in *ret_error where GLib refuses the text (k is then empty),
 * -E2BIG past GLIB_KEYFILE_ENTRIES_MAX entries. */
int glib_keyfile_parse(GlibKeyFile *k, const char *text, size_t size, char **ret_error);
void glib_keyfile_done(GlibKeyFile *k);
/* The value of key in group (the last one when a key repeats), or NULL. */
const char *glib_keyfile_get(const GlibKeyFile *k, const char *group, const char *key);
