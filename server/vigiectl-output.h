/* SPDX-License-Identifier: MIT */
#pragma once

/* vigiectl's output: aligned columns for people, RFC 4180 CSV and JSON for scripts. */

#include <stdio.h>

#include <json-c/json.h>

typedef enum OutputMode {
        OUTPUT_TABLE,
        OUTPUT_JSON,
        OUTPUT_CSV,
} OutputMode;

typedef struct Table Table;

/* columns: NULL-terminated header names. */
Table *table_new(const char *const *columns);
Table *table_free(Table *t);
static inline void table_freep(Table **t) {
        table_free(*t);
}
/* Adds a row of exactly as many cells as columns (NULL prints as "-" or empty in CSV). */
int table_add_row(Table *t, const char *const *cells);
/* OUTPUT_TABLE: columns padded to their widest cell (in characters, not bytes), control
 * characters escaped (text_escape); OUTPUT_CSV: header line then rows, quoted where needed. */
int table_print(const Table *t, OutputMode mode, FILE *f);

/* One CSV field, quoted when it holds a comma, quote, CR or LF; a cell a spreadsheet would
 * evaluate (= + - @ TAB CR first) is prefixed with ' (OWASP CSV injection). */
void csv_write_field(FILE *f, const char *s);
/* Pretty JSON with a final newline. */
void json_print(json_object *j, FILE *f);
