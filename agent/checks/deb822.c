/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "deb822.h"
#include "macro.h"

void deb822_parser_init(Deb822Parser *parser, const char *data, size_t size) {
        *parser = (Deb822Parser) { .p = data, .end = data + size, .line = 1 };
}

static const char *line_end(const char *p, const char *end) {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        return nl ? nl : end;
}

/* Length without a trailing CR and blanks. */
static size_t trim_len(const char *s, const char *e) {
        while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
                e--;
        return (size_t) (e - s);
}

static bool blank_line(const char *p, const char *eol) {
        return trim_len(p, eol) == 0;
}

int deb822_next(Deb822Parser *parser, Deb822Stanza *ret) {
        const char *p = parser->p, *end = parser->end;
        Deb822Field *cur = NULL;
        bool in_stanza = false, skipping = false;

        ret->n_fields = 0;
        ret->line = 0;
        while (p < end) {
                const char *eol = line_end(p, end), *next = eol < end ? eol + 1 : end;

                if (blank_line(p, eol)) {
                        parser->line++;
                        p = next;
                        if (in_stanza)
                                break;
                        continue;
                }
                if (*p == '#') {
                        /* A comment does not end the field before it. */
                        parser->line++;
                        p = next;
                        continue;
                }
                if (*p == ' ' || *p == '\t') {
                        if (!in_stanza) {
                                parser->error_line = parser->line;
                                parser->p = end;
                                return -EBADMSG;
                        }
                        if (cur && !skipping)
                                cur->value_len = (size_t) (p + trim_len(p, eol) - cur->value);
                        parser->line++;
                        p = next;
                        continue;
                }
                const char *colon = memchr(p, ':', (size_t) (eol - p));
                if (!colon || colon == p) {
                        parser->error_line = parser->line;
                        parser->p = end;
                        return -EBADMSG;
                }
                if (!in_stanza)
                        ret->line = parser->line;
                in_stanza = true;
                if (ret->n_fields < DEB822_MAX_FIELDS) {
                        const char *v = colon + 1;
                        while (v < eol && (*v == ' ' || *v == '\t'))
                                v++;
                        cur = &ret->fields[ret->n_fields++];
                        *cur = (Deb822Field) {
                                .name = p,
                                .name_len = trim_len(p, colon),
                                .value = v,
                                .value_len = trim_len(v, eol),
                        };
                        skipping = false;
                } else
                        skipping = true;
                parser->line++;
                p = next;
        }
        parser->p = p;
        return in_stanza ? 1 : 0;
}

const Deb822Field *deb822_find(const Deb822Stanza *s, const char *name) {
        size_t len = strlen(name);

        for (size_t i = 0; i < s->n_fields; i++)
                if (s->fields[i].name_len == len && strncasecmp(s->fields[i].name, name, len) == 0)
                        return &s->fields[i];
        return NULL;
}

const char *deb822_get(const Deb822Stanza *s, const char *name, char *buf, size_t size) {
        const Deb822Field *f = deb822_find(s, name);
        size_t len;

        if (!f || size == 0)
                return NULL;
        const char *nl = memchr(f->value, '\n', f->value_len);
        len = trim_len(f->value, nl ? nl : f->value + f->value_len);
        len = MIN(len, size - 1);
        memcpy(buf, f->value, len);
        buf[len] = 0;
        return buf;
}

bool deb822_value_eq(const Deb822Field *f, const char *s) {
        size_t len = strlen(s);
        return f && f->value_len == len && strncasecmp(f->value, s, len) == 0;
}

bool deb822_get_bool(const Deb822Stanza *s, const char *name, bool def) {
        static const char *const yes[] = { "yes", "true", "with", "on", "enable", "1" };
        static const char *const no[] = { "no", "false", "without", "off", "disable", "0" };
        const Deb822Field *f = deb822_find(s, name);

        if (!f)
                return def;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (deb822_value_eq(f, yes[i]))
                        return true;
                if (deb822_value_eq(f, no[i]))
                        return false;
        }
        return def;
}

/* Line by line: the general case, and CRLF files. */
static const char *skip_stanza_slow(const char *p, const char *end) {
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                if (!nl || nl + 1 >= end)
                        return end;
                if (nl[1] == '\n')
                        return nl + 2;
                if (nl[1] == '\r' && nl + 2 < end && nl[2] == '\n')
                        return nl + 3;
                p = nl + 1;
        }
        return end;
}

const char *deb822_skip_stanza(const char *p, const char *end) {
        /* Like apt's pkgTagFile, a stanza ends at "\n\n" or "\n\r\n". This runs over
         * every byte of a 50 MB Packages file, so look at 16 bytes at a time for a '\n'
         * followed by '\n'; a '\r' anywhere hands over to the line-by-line scan. */
#ifdef __SSE2__
        const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
        while (end - p >= 17) {
                __m128i a = _mm_loadu_si128((const __m128i *) (const void *) p);
                __m128i b = _mm_loadu_si128((const __m128i *) (const void *) (p + 1));
                unsigned pair = (unsigned) _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, lf), _mm_cmpeq_epi8(b, lf)));
                unsigned has_cr = (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(a, cr));
                if (has_cr)
                        return skip_stanza_slow(p, end);
                if (pair)
                        return p + __builtin_ctz(pair) + 2;
                p += 16;
        }
#endif
        return skip_stanza_slow(p, end);
}
