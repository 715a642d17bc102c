/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "json-strict.h"

typedef struct Scanner {
        const unsigned char *p, *end, *start;
        unsigned depth, max_depth;
        const char *what;
} Scanner;

static int fail(Scanner *s, const char *what) {
        s->what = what;
        return -EBADMSG;
}

static void skip_ws(Scanner *s) {
        while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
                s->p++;
}

static bool is_digit(unsigned char c) {
        return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c) {
        return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int string(Scanner *s) {
        s->p++; /* the opening quote */
        while (s->p < s->end) {
                unsigned char c = *s->p;
                if (c == '"') {
                        s->p++;
                        return 0;
                }
                if (c < 0x20)
                        return fail(s, "a string without raw control characters");
                if (c == '\\') {
                        if (++s->p >= s->end)
                                break;
                        if (*s->p == 'u') {
                                for (int i = 0; i < 4; i++)
                                        if (++s->p >= s->end || !is_hex(*s->p))
                                                return fail(s, "four hex digits after \\u");
                        } else if (!strchr("\"\\/bfnrt", *s->p) || !*s->p)
                                return fail(s, "a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
                }
                s->p++;
        }
        return fail(s, "the end of the string");
}

static int number(Scanner *s) {
        if (s->p < s->end && *s->p == '-')
                s->p++;
        if (s->p >= s->end || !is_digit(*s->p))
                return fail(s, "a digit");
        if (*s->p == '0')
                s->p++;
        else
                while (s->p < s->end && is_digit(*s->p))
                        s->p++;
        if (s->p < s->end && *s->p == '.') {
                if (++s->p >= s->end || !is_digit(*s->p))
                        return fail(s, "a digit after the decimal point");
                while (s->p < s->end && is_digit(*s->p))
                        s->p++;
        }
        if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
                s->p++;
                if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
                        s->p++;
                if (s->p >= s->end || !is_digit(*s->p))
                        return fail(s, "a digit in the exponent");
                while (s->p < s->end && is_digit(*s->p))
                        s->p++;
        }
        return 0;
}

static int literal(Scanner *s, const char *word) {
        size_t n = strlen(word);
        if ((size_t) (s->end - s->p) < n || memcmp(s->p, word, n) != 0)
                return fail(s, "a value (object, array, string, number, true, false or null)");
        s->p += n;
        return 0;
}

static int value(Scanner *s);

/* Members or elements up to `close`, each checked by value() (after a key for objects). */
static int container(Scanner *s, unsigned char close, bool object) {
        int r;

        if (++s->depth > s->max_depth)
                return fail(s, "less nesting");
        s->p++;
        skip_ws(s);
        if (s->p < s->end && *s->p == close) {
                s->p++;
                s->depth--;
                return 0;
        }
        for (;;) {
                skip_ws(s);
                if (object) {
                        if (s->p >= s->end || *s->p != '"')
                                return fail(s, "a member name in double quotes");
                        if ((r = string(s)) < 0)
                                return r;
                        skip_ws(s);
                        if (s->p >= s->end || *s->p != ':')
                                return fail(s, "':' after the member name");
                        s->p++;
                }
                if ((r = value(s)) < 0)
                        return r;
                skip_ws(s);
                if (s->p < s->end && *s->p == ',') {
                        s->p++;
                        continue;
                }
                if (s->p < s->end && *s->p == close) {
                        s->p++;
                        s->depth--;
                        return 0;
                }
                return fail(s, object ? "',' or '}'" : "',' or ']'");
        }
}

static int value(Scanner *s) {
        skip_ws(s);
        if (s->p >= s->end)
                return fail(s, "a value");
        switch (*s->p) {
        case '{': return container(s, '}', true);
        case '[': return container(s, ']', false);
        case '"': return string(s);
        case 't': return literal(s, "true");
        case 'f': return literal(s, "false");
        case 'n': return literal(s, "null");
        default:  return number(s);
        }
}

int json_check_grammar(const char *data, size_t size, unsigned max_depth, size_t *ret_offset,
                       const char **ret_what) {
        Scanner s = { .p = (const unsigned char *) data, .end = (const unsigned char *) data + size,
                      .start = (const unsigned char *) data, .max_depth = max_depth };
        int r = value(&s);

        if (r >= 0) {
                skip_ws(&s);
                if (s.p < s.end)
                        r = fail(&s, "the end of the document");
        }
        if (r < 0) {
                *ret_offset = (size_t) (s.p - s.start);
                *ret_what = s.what;
        }
        return r;
}
