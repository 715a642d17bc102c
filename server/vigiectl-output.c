/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "macro.h"
#include "text-util.h"
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
        bool formula;

        if (!s)
                return;
        formula = csv_cell_is_formula(s);
        if (!formula && !strpbrk(s, ",\"\r\n")) {
                fputs(s, f);
                return;
        }
        /* OWASP: a cell a spreadsheet would evaluate starts with a quote, and is quoted. */
        fputs(formula ? "\"'" : "\"", f);
        for (; *s; s++) {
                if (*s == '"')
                        fputc('"', f);
                fputc(*s, f);
        }
        fputc('"', f);
}

/* Whatever the server sent, a terminal gets no control character from us. */
static int table_print_text(const Table *t, FILE *f) {
        size_t n = t->n_rows * t->n_columns;
        _cleanup_free_ size_t *width = calloc(t->n_columns, sizeof(size_t));
        _cleanup_free_ char **text = calloc(n, sizeof(char *));
        int r = 0;

        if (!width || !text)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (!(text[i] = text_escape(t->cells[i] ?: "-")))
                        r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n; i++)
                width[i % t->n_columns] = MAX(width[i % t->n_columns], text_width(text[i]));
        for (size_t i = 0; r >= 0 && i < n; i++) {
                size_t c = i % t->n_columns;
                if (c + 1 == t->n_columns)
                        fprintf(f, "%s\n", text[i]);
                else
                        fprintf(f, "%s%*s", text[i], (int) (width[c] - text_width(text[i]) + 2), "");
        }
        for (size_t i = 0; i < n; i++)
                free(text[i]);
        if (r < 0)
                return r;
        return ferror(f) ? -EIO : 0;
}

int table_print(const Table *t, OutputMode mode, FILE *f) {
        if (mode == OUTPUT_CSV) {
                for (size_t r = 0; r < t->n_rows; r++)
                        for (size_t c = 0; c < t->n_columns; c++) {
                                csv_write_field(f, t->cells[r * t->n_columns + c]);
                                fputs(c + 1 < t->n_columns ? "," : "\r\n", f);
                        }
                return ferror(f) ? -EIO : 0;
        }
        return table_print_text(t, f);
}

void json_print(json_object *j, FILE *f) {
        fprintf(f, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
                                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
}
