/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "deb-version.h"

typedef struct Span {
        const char *p, *end;
} Span;

static bool is_digit(int c) {
        return c >= '0' && c <= '9';
}

static bool is_alpha(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* dpkg's order(): digits are handled elsewhere (0), letters by their code, '~' below the
 * end of the string (0), anything else above every letter. */
static int order(const Span *s) {
        if (s->p >= s->end)
                return 0;
        int c = (unsigned char) *s->p;
        if (is_digit(c))
                return 0;
        if (is_alpha(c))
                return c;
        if (c == '~')
                return -1;
        return c + 256;
}

static bool at_digit(const Span *s) {
        return s->p < s->end && is_digit((unsigned char) *s->p);
}

static int verrevcmp(Span a, Span b) {
        while (a.p < a.end || b.p < b.end) {
                int first_diff = 0;

                while ((a.p < a.end && !at_digit(&a)) || (b.p < b.end && !at_digit(&b))) {
                        int ac = order(&a), bc = order(&b);
                        if (ac != bc)
                                return ac - bc;
                        if (a.p < a.end)
                                a.p++;
                        if (b.p < b.end)
                                b.p++;
                }
                while (a.p < a.end && *a.p == '0')
                        a.p++;
                while (b.p < b.end && *b.p == '0')
                        b.p++;
                while (at_digit(&a) && at_digit(&b)) {
                        if (!first_diff)
                                first_diff = *a.p - *b.p;
                        a.p++;
                        b.p++;
                }
                if (at_digit(&a))
                        return 1;
                if (at_digit(&b))
                        return -1;
                if (first_diff)
                        return first_diff;
        }
        return 0;
}

typedef struct Version {
        Span epoch, upstream, revision;
} Version;

static void split(const char *s, size_t len, Version *v) {
        const char *end = s + len, *colon, *dash;

        /* dpkg strips surrounding blanks before parsing. */
        while (s < end && (*s == ' ' || *s == '\t'))
                s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
                end--;

        colon = memchr(s, ':', (size_t) (end - s));
        if (colon) {
                v->epoch = (Span) { s, colon };
                s = colon + 1;
        } else
                v->epoch = (Span) { s, s };
        dash = memrchr(s, '-', (size_t) (end - s));
        if (dash) {
                v->upstream = (Span) { s, dash };
                v->revision = (Span) { dash + 1, end };
        } else {
                v->upstream = (Span) { s, end };
                v->revision = (Span) { end, end };
        }
}

/* Epochs are numbers; compare digit strings without overflow (leading zeros ignored).
 * A malformed epoch falls back to verrevcmp so the order stays total. */
static int epoch_cmp(Span a, Span b) {
        for (const char *p = a.p; p < a.end; p++)
                if (!is_digit((unsigned char) *p))
                        return verrevcmp(a, b);
        for (const char *p = b.p; p < b.end; p++)
                if (!is_digit((unsigned char) *p))
                        return verrevcmp(a, b);
        while (a.p < a.end && *a.p == '0')
                a.p++;
        while (b.p < b.end && *b.p == '0')
                b.p++;
        if (a.end - a.p != b.end - b.p)
                return a.end - a.p > b.end - b.p ? 1 : -1;
        int r = memcmp(a.p, b.p, (size_t) (a.end - a.p));
        return r > 0 ? 1 : r < 0 ? -1 : 0;
}

int deb_version_compare_n(const char *a, size_t a_len, const char *b, size_t b_len) {
        Version va, vb;
        int r;

        split(a, a_len, &va);
        split(b, b_len, &vb);
        r = epoch_cmp(va.epoch, vb.epoch);
        if (r)
                return r;
        r = verrevcmp(va.upstream, vb.upstream);
        if (r)
                return r;
        return verrevcmp(va.revision, vb.revision);
}

int deb_version_compare(const char *a, const char *b) {
        return deb_version_compare_n(a, strlen(a), b, strlen(b));
}

bool deb_version_valid(const char *s) {
        Version v;

        split(s, strlen(s), &v);
        for (const char *p = v.epoch.p; p < v.epoch.end; p++)
                if (!is_digit((unsigned char) *p))
                        return false;
        if (v.epoch.p == v.epoch.end && memchr(v.epoch.p, ':', (size_t) (v.revision.end - v.epoch.p)) == v.epoch.p)
                return false; /* ":1.0" */
        if (v.upstream.p == v.upstream.end || !is_digit((unsigned char) *v.upstream.p))
                return false;
        for (const char *p = v.upstream.p; p < v.revision.end; p++) {
                if (p >= v.upstream.end && p < v.revision.p)
                        continue; /* the separating '-' */
                if (!is_digit((unsigned char) *p) && !is_alpha((unsigned char) *p) &&
                    !strchr(".+~-:", *p))
                        return false;
                if (p >= v.revision.p && (*p == '-' || *p == ':'))
                        return false;
        }
        /* dpkg stores the epoch as an int. */
        if (v.epoch.end - v.epoch.p > 10 ||
            (v.epoch.end - v.epoch.p == 10 && memcmp(v.epoch.p, "2147483647", 10) > 0))
                return false;
        return true;
}
