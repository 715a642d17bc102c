/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "parse-util.h"

int parse_int64(const char *s, int64_t *ret) {
        char *end;
        long long v;

        if (!s || !*s || isspace((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

size_t format_int64(int64_t v, char *ret) {
        char digits[INT64_TEXT_MAX], *d = digits + sizeof(digits);
        uint64_t u = v < 0 ? -(uint64_t) v : (uint64_t) v; /* INT64_MIN included */
        size_t len;

        do
                *--d = (char) ('0' + u % 10);
        while ((u /= 10) > 0);
        if (v < 0)
                *--d = '-';
        len = (size_t) (digits + sizeof(digits) - d);
        memcpy(ret, d, len);
        ret[len] = 0;
        return len;
}

int parse_uint64(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;

        if (!s || !*s || !isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_int_range(const char *s, int min, int max, int *ret) {
        int64_t v;
        int r = parse_int64(s, &v);
        if (r < 0)
                return r;
        if (v < min || v > max)
                return -ERANGE;
        *ret = (int) v;
        return 0;
}

int parse_boolean(const char *s, bool *ret) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}

int parse_duration(const char *s, usec_t *ret) {
        static const struct {
                const char *suffix;
                usec_t usec;
        } units[] = {
                { "ms", USEC_PER_MSEC },   { "min", USEC_PER_MINUTE }, { "s", USEC_PER_SEC },
                { "m", USEC_PER_MINUTE },  { "h", USEC_PER_HOUR },     { "d", USEC_PER_DAY },
                { "w", 7 * USEC_PER_DAY },
        };
        usec_t total = 0;
        const char *p = s;

        if (!s || !*s)
                return -EINVAL;
        while (*p) {
                char *end;
                unsigned long long v;
                usec_t mul = USEC_PER_SEC;
                size_t i;

                while (*p == ' ')
                        p++;
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                errno = 0;
                v = strtoull(p, &end, 10);
                if (errno == ERANGE)
                        return -ERANGE;
                p = end;
                while (*p == ' ')
                        p++;
                if (isalpha((unsigned char) *p)) {
                        for (i = 0; i < ELEMENTSOF(units); i++) {
                                size_t l = strlen(units[i].suffix);
                                if (strncmp(p, units[i].suffix, l) == 0 &&
                                    !isalpha((unsigned char) p[l])) {
                                        mul = units[i].usec;
                                        p += l;
                                        break;
                                }
                        }
                        if (i == ELEMENTSOF(units))
                                return -EINVAL;
                } else if (*p || total > 0)
                        /* a bare number (seconds) must stand alone: "1h30" is ambiguous */
                        return -EINVAL;
                if (v > UINT64_MAX / mul || total + v * mul < total)
                        return -ERANGE;
                total += v * mul;
        }
        *ret = total;
        return 0;
}

int parse_size(const char *s, uint64_t *ret) {
        char *end;
        unsigned long long v;
        uint64_t mul = 1;

        if (!s || !isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        switch (*end) {
        case 0: break;
        case 'K': case 'k': mul = 1024ULL; end++; break;
        case 'M': mul = 1024ULL * 1024; end++; break;
        case 'G': mul = 1024ULL * 1024 * 1024; end++; break;
        default: return -EINVAL;
        }
        if (*end == 'i' && end[1] == 'B')
                end += 2;
        else if (*end == 'B')
                end++;
        if (*end)
                return -EINVAL;
        if (v > UINT64_MAX / mul)
                return -ERANGE;
        *ret = v * mul;
        return 0;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        for (; l && l[n]; n++)
                ;
        return n;
}

int strv_push(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **c;

        if (!value)
                return -EINVAL;
        c = realloc(*l, sizeof(char *) * (n + 2));
        if (!c)
                return -ENOMEM;
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *value) {
        char *v = strdup(value);
        int r;

        if (!v)
                return -ENOMEM;
        r = strv_push(l, v);
        if (r < 0)
                free(v);
        return r;
}

bool strv_contains(char *const *l, const char *s) {
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

char **strv_free(char **l) {
        strv_freep(&l);
        return NULL;
}

char **strv_copy(char *const *l) {
        _cleanup_strv_free_ char **c = calloc(strv_length(l) + 1, sizeof(char *));
        if (!c)
                return NULL;
        for (size_t i = 0; l && l[i]; i++)
                if (!(c[i] = strdup(l[i])))
                        return NULL;
        return TAKE_PTR(c);
}

char *strv_join(char *const *l, const char *sep) {
        size_t len = 1, sl = strlen(sep);
        char *r, *p;

        for (size_t i = 0; l && l[i]; i++)
                len += strlen(l[i]) + sl;
        r = p = malloc(len);
        if (!r)
                return NULL;
        *p = 0;
        for (size_t i = 0; l && l[i]; i++) {
                if (i > 0)
                        p = stpcpy(p, sep);
                p = stpcpy(p, l[i]);
        }
        return r;
}

bool string_has_cc(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || *s == 127)
                        return true;
        return false;
}

int unhexchar(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -EINVAL;
}

void hexlify(const uint8_t *data, size_t len, char *ret) {
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < len; i++) {
                ret[2 * i] = hex[data[i] >> 4];
                ret[2 * i + 1] = hex[data[i] & 15];
        }
        ret[2 * len] = 0;
}

bool contact_url_is_valid(const char *s) {
        size_t n;

        if (!s || (strncmp(s, "https://", 8) != 0 && strncmp(s, "mailto:", 7) != 0))
                return false;
        n = strlen(s);
        if (n > CONTACT_URL_MAX || n <= 8)
                return false;
        for (; *s; s++)
                if (*s <= ' ' || *s >= 0x7f || strchr("\"'<>`\\", *s))
                        return false;
        return true;
}

bool email_address_is_valid(const char *s) {
        const char *at, *p;

        if (!s || strlen(s) > 254 || !(at = strchr(s, '@')) || at == s || strchr(at + 1, '@'))
                return false;
        for (p = s; p < at; p++)
                if (!isalnum((unsigned char) *p) && !strchr("._%+-", *p))
                        return false;
        if (!strchr(at + 1, '.') || at[1] == '.' || at[1] == 0 || p[strlen(p) - 1] == '.')
                return false;
        for (p = at + 1; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr(".-", *p))
                        return false;
        return true;
}
