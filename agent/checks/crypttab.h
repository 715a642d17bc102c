/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

/* One crypttab(5) line, split in place in a copy: NULL fields when absent. */
typedef struct CrypttabEntry {
        char *line;             /* owns the fields below */
        const char *key_file;   /* third field; "none" or "-" for a passphrase */
        const char *options;    /* fourth field, comma-separated */
} CrypttabEntry;

void crypttab_entry_done(CrypttabEntry *e);

/* The line of mapping `name` in the text of a crypttab: 1 and *ret filled, 0 when there is
 * none, -ENOMEM. */
int crypttab_find(const char *crypttab, const char *name, CrypttabEntry *ret);

/* The value of option `key` ("header", "cipher", "size") in a crypttab options field, in
 * *ret (NULL when absent); 0 or -ENOMEM. */
int crypttab_option(const char *options, const char *key, char **ret);

/* A key file that is a random source: a new key at every boot, no header, no passphrase. */
bool crypttab_key_is_random(const CrypttabEntry *e);
