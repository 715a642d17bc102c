/* SPDX-License-Identifier: MIT */
#pragma once

/* deb822 control-file stanzas (deb822(5)) over a buffer, without copying or allocating:
 * fields are "Name: value" lines, continuation lines start with a space or tab, stanzas
 * are separated by blank lines, '#' lines are comments, CRLF line ends are accepted.
 * Used for dpkg's status file, apt's Packages and Release files and apt preferences. */

#include <stdbool.h>
#include <stddef.h>

#define DEB822_MAX_FIELDS 64

typedef struct Deb822Field {
        const char *name;
        size_t name_len;
        const char *value;      /* first character after "Name:" and blanks */
        size_t value_len;       /* up to the end of the last continuation line, no line end */
} Deb822Field;

typedef struct Deb822Stanza {
        Deb822Field fields[DEB822_MAX_FIELDS];
        size_t n_fields;        /* fields beyond DEB822_MAX_FIELDS are skipped */
        unsigned line;          /* line number of the stanza's first field */
} Deb822Stanza;

typedef struct Deb822Parser {
        const char *p, *end;
        unsigned line;          /* current line, 1-based */
        unsigned error_line;    /* where the last -EBADMSG was found */
} Deb822Parser;

void deb822_parser_init(Deb822Parser *parser, const char *data, size_t size);
/* Parses the next stanza. Returns 1 with *ret filled, 0 at the end, -EBADMSG on a line
 * that is neither a field, a continuation, a comment nor blank (error_line says where). */
int deb822_next(Deb822Parser *parser, Deb822Stanza *ret);
/* Field lookup, case-insensitive like dpkg and apt. NULL when absent. */
const Deb822Field *deb822_find(const Deb822Stanza *s, const char *name);
/* The value's first line, trimmed, as a NUL-terminated copy in buf (truncated to size);
 * returns buf, or NULL when the field is absent. */
const char *deb822_get(const Deb822Stanza *s, const char *name, char *buf, size_t size);
/* Whether value (len bytes) equals s, case-insensitive. */
bool deb822_value_eq(const Deb822Field *f, const char *s);
/* apt's boolean reading of a field ("yes", "true", "1", …); def when absent or junk. */
bool deb822_get_bool(const Deb822Stanza *s, const char *name, bool def);

/* Finds the end of the stanza that starts at p: the position after its terminating empty
 * line ("\n\n" or "\n\r\n", as apt's tag file reader), or end. Fast path for skipping stanzas whose first field says they are not
 * interesting. */
const char *deb822_skip_stanza(const char *p, const char *end);
