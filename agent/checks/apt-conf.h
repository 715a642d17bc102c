/* SPDX-License-Identifier: MIT */
#pragma once

/* apt.conf(5) syntax, enough to read the settings the patch-level check needs
 * (APT::Periodic::*, APT::Default-Release): `A::B "v";`, nested scopes `A { B "v"; };`,
 * list values `A { "x"; "y"; };`, comments (// to the end of the line, C block comments, #), `#clear A::B;`.
 * `#include` is reported in includes and not followed. Keys are case-insensitive. */

#include <stdbool.h>
#include <stddef.h>

typedef struct AptConfEntry {
        char *key;   /* "APT::Periodic::Unattended-Upgrade"; list items end in "::" */
        char *value;
} AptConfEntry;

typedef struct AptConf {
        AptConfEntry *entries;
        size_t n_entries;
} AptConf;

AptConf *apt_conf_new(void);
AptConf *apt_conf_free(AptConf *c);
static inline void apt_conf_freep(AptConf **c) {
        apt_conf_free(*c);
}

/* Parses text into c (later values override earlier ones). On a syntax error returns
 * -EBADMSG with "LINE: reason" in *ret_error. */
int apt_conf_parse(AptConf *c, const char *text, size_t size, char **ret_error);
/* Reads ROOT/etc/apt/apt.conf.d/ (in apt's order and with its file-name rules) and then
 * ROOT/etc/apt/apt.conf. Errors name the file. */
int apt_conf_load(int root_fd, AptConf **ret, char **ret_error);

/* Last value set for key, NULL when unset. */
const char *apt_conf_get(const AptConf *c, const char *key);
/* apt's FindI: a number (or def when unset or junk). */
long apt_conf_get_int(const AptConf *c, const char *key, long def);

/* Whether a file in a `.d` directory is one apt reads: [A-Za-z0-9_.-] only, and either no
 * extension or `.EXT`. */
bool apt_conf_part_name_ok(const char *name, const char *ext);
/* The files apt reads from a `.d` directory of the root (DIR/NAME paths, sorted by name);
 * an empty list when the directory does not exist. */
int apt_parts_list(int root_fd, const char *dir, const char *ext, char ***ret, char **ret_error);
