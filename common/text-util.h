/* SPDX-License-Identifier: MIT */
#pragma once

/* Text a device sends is data, never markup: what a report's strings may hold, and how an
 * operator tool prints a string it did not validate (defence in depth). */

#include <stdbool.h>
#include <stddef.h>

#define CHECK_ID_MAX 64

/* ^[a-z][a-z0-9_]{0,63}$ */
bool check_id_is_valid(const char *s);

typedef enum TextFlags {
        TEXT_MULTILINE = 1 << 0, /* text for people: '\n' allowed */
        TEXT_EMPTY_OK = 1 << 1,
} TextFlags;

/* At most max bytes, and no C0 control (but '\n' with TEXT_MULTILINE), DEL or C1 control
 * (U+0080…U+009F: terminals obey them as they do ESC sequences). */
bool text_is_safe(const char *s, size_t max, TextFlags flags);

/* In place, what a builder does with text it did not write (a disk label, a unit name)
 * so that its own validator takes it: each control text_is_safe() refuses becomes '?'
 * (a C1 control "??"), and the text is cut to max bytes on a UTF-8 boundary. */
void text_neutralise(char *s, size_t max, TextFlags flags);

/* A copy with every C0/C1 control, DEL and backslash written as an escape (\n, \t, \e,
 * \x9b, \\), so that printing it cannot move a cursor, set a clipboard or forge lines.
 * NULL on ENOMEM. */
char *text_escape(const char *s);

/* Whether a spreadsheet would read this CSV cell as a formula (OWASP CSV injection):
 * it starts with = + - @ TAB or CR. */
bool csv_cell_is_formula(const char *s);
