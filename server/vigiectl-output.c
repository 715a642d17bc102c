/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "macro.h"
#include "vigiectl-output.h"

struct Table {
        size_t n_columns, n_rows;
        char **cells; /* row-major, header row first */
};

Table *table_new(const char *const *columns) {
        _cleanup_(table_freep) Table *t = calloc(1, sizeof(Table));

        if (!t)
                return NULL;
        while (columns[t->n_columns])
                t->n_columns++;
        if (table_add_row(t, columns) < 0)
                return NULL;
        return TAKE_PTR(t);
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_rows * t->n_columns; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

int table_add_row(Table *t, const char *const *cells) {
        char **c = reallocarray(t->cells, (t->n_rows + 1) * t->n_columns, sizeof(char *));

        if (!c)
                return -ENOMEM;
        t->cells = c;
        for (size_t i = 0; i < t->n_columns; i++) {
                char **slot = &t->cells[t->n_rows * t->n_columns + i];
                *slot = cells[i] ? strdup(cells[i]) : NULL;
                if (cells[i] && !*slot) {
                        for (size_t k = 0; k < i; k++)
                                free(t->cells[t->n_rows * t->n_columns + k]);
                        return -ENOMEM;
                }
        }
        t->n_rows++;
        return 0;
}

/* Characters, counting UTF-8 continuation bytes as nothing. */
static size_t text_width(const char *s) {
        size_t w = 0;
        for (; *s; s++)
                w += ((unsigned char) *s & 0xC0) != 0x80;
        return w;
}

void csv_write_field(FILE *f, const char *s) {
        if (!s)
                return;
        if (!strpbrk(s, ",\"\r\n")) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', f);
                fputc(*s, f);
        }
        fputc('"', f);
}

int table_print(const Table *t, OutputMode mode, FILE *f) {
        _cleanup_free_ size_t *width = calloc(t->n_columns, sizeof(size_t));

        if (!width)
                return -ENOMEM;
        if (mode == OUTPUT_CSV) {
                for (size_t r = 0; r < t->n_rows; r++)
                        for (size_t c = 0; c < t->n_columns; c++) {
                                csv_write_field(f, t->cells[r * t->n_columns + c]);
                                fputs(c + 1 < t->n_columns ? "," : "\r\n", f);
                        }
                return ferror(f) ? -EIO : 0;
        }
        for (size_t r = 0; r < t->n_rows; r++)
                for (size_t c = 0; c < t->n_columns; c++) {
                        const char *s = t->cells[r * t->n_columns + c];
                        width[c] = MAX(width[c], text_width(s ? s : "-"));
                }
        for (size_t r = 0; r < t->n_rows; r++)
                for (size_t c = 0; c < t->n_columns; c++) {
                        const char *s = t->cells[r * t->n_columns + c];
                        s = s ? s : "-";
                        if (c + 1 == t->n_columns)
                                fprintf(f, "%s\n", s);
                        else
                                fprintf(f, "%s%*s", s, (int) (width[c] - text_width(s) + 2), "");
                }
        return ferror(f) ? -EIO : 0;
}

void json_print(json_object *j, FILE *f) {
        fprintf(f, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
}
