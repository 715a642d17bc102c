/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text-util.h"

bool check_id_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > CHECK_ID_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* Length of the control character at s (1 for C0/DEL, 2 for a UTF-8 C1), or 0. */
static size_t control_at(const char *s) {
        const unsigned char *u = (const unsigned char *) s;

        if (u[0] < 0x20 || u[0] == 0x7f)
                return 1;
        if (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f)
                return 2;
        return 0;
}

bool text_is_safe(const char *s, size_t max, TextFlags flags) {
        size_t n = strnlen(s, max + 1);

        if (n > max || (n == 0 && !(flags & TEXT_EMPTY_OK)))
                return false;
        for (size_t i = 0; i < n; i++)
                if (control_at(s + i) && !(s[i] == '\n' && (flags & TEXT_MULTILINE)))
                        return false;
        return true;
}

void text_neutralise(char *s, size_t max, TextFlags flags) {
        size_t n = strnlen(s, max + 1);

        if (n > max) {
                n = max;
                while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                        n--;
                s[n] = 0;
        }
        for (size_t i = 0; i < n; i++) {
                size_t c = control_at(s + i);
                if (!c || (s[i] == '\n' && (flags & TEXT_MULTILINE)))
                        continue;
                memset(s + i, '?', c);
                i += c - 1;
        }
}

char *text_escape(const char *s) {
        size_t n = strlen(s), size = 4 * n + 1; /* \xHH is the longest escape of one byte */
        char *out = malloc(size), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                size_t c = control_at(s + i), left = size - (size_t) (o - out);
                const char *esc = s[i] == '\\' ? "\\\\" : s[i] == '\n' ? "\\n" : s[i] == '\t' ? "\\t"
                                : s[i] == '\033' ? "\\e" : NULL;

                if (!c && !esc)
                        *o++ = s[i];
                else if (esc)
                        o += snprintf(o, left, "%s", esc);
                else {
                        /* a C1 control is two bytes: escape its code point */
                        o += snprintf(o, left, "\\x%02x", (unsigned char) s[i + c - 1]);
                        i += c - 1;
                }
        }
        *o = 0;
        return out;
}

bool csv_cell_is_formula(const char *s) {
        return s && *s && strchr("=+-@\t\r", *s);
}
