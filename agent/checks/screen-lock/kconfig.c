/* SPDX-License-Identifier: MIT */
/* As KConfigIniBackend::parseConfig reads a file; only what we need (no $e expansion, no
 * [$d] deletion markers beyond skipping them). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "error-util.h"
#include "kconfig.h"
#include "macro.h"
#include "parse-util.h"

/* Decodes KConfig's escapes from s[0..n) into a new string. A NUL byte (\x00) is refused:
 * our strings end there. */
static int unescape(const char *s, size_t n, char **ret) {
        _cleanup_free_ char *out = malloc(n + 1);
        size_t o = 0;

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (s[i] != '\\' || i + 1 >= n) {
                        out[o++] = s[i];
                        continue;
                }
                switch (s[++i]) {
                case 's': out[o++] = ' '; break;
                case 't': out[o++] = '\t'; break;
                case 'n': out[o++] = '\n'; break;
                case 'r': out[o++] = '\r'; break;
                case '\\': out[o++] = '\\'; break;
                case 'x': {
                        int hi = i + 1 < n ? unhexchar(s[i + 1]) : -1, lo = i + 2 < n ? unhexchar(s[i + 2]) : -1;

                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                                return -EBADMSG;
                        out[o++] = (char) (hi << 4 | lo);
                        i += 2;
                        break;
                }
                default: /* KConfig keeps an unknown escape as the backslash and the character */
                        out[o++] = '\\';
                        out[o++] = s[i];
                }
        }
        out[o] = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

static void trim(const char **b, const char **e) {
        while (*b < *e && strchr(" \t\r", **b))
                (*b)++;
        while (*e > *b && strchr(" \t\r", (*e)[-1]))
                (*e)--;
}

static bool group_is_immutable(const KConfig *c, const char *group) {
        return strv_contains(c->immutable_groups, group);
}

/* "[A][B][$i]" → group "A/B", *ret_immutable. */
static int parse_group(const char *b, const char *e, char **ret, bool *ret_immutable) {
        _cleanup_free_ char *group = NULL;
        size_t len = 0;

        *ret_immutable = false;
        while (b < e && *b == '[') {
                const char *close = memchr(b, ']', (size_t) (e - b));
                _cleanup_free_ char *part = NULL;
                char *n;

                if (!close)
                        return -EBADMSG;
                if (close - b == 3 && memcmp(b, "[$i]", 4) == 0)
                        *ret_immutable = true;
                else if (*ret_immutable)
                        return -EBADMSG; /* nothing may follow the marker */
                else {
                        int r = unescape(b + 1, (size_t) (close - b - 1), &part);

                        if (r < 0)
                                return r;
                        n = realloc(group, len + strlen(part) + 2);
                        if (!n)
                                return -ENOMEM;
                        group = n;
                        if (len)
                                group[len++] = '/';
                        strcpy(group + len, part);
                        len += strlen(part);
                }
                b = close + 1;
        }
        if (b != e || !group)
                return -EBADMSG;
        *ret = TAKE_PTR(group);
        return 0;
}

static KConfigEntry *find(const KConfig *c, const char *group, const char *key) {
        for (size_t i = 0; i < c->n; i++)
                if (streq(c->entries[i].group, group) && streq(c->entries[i].key, key))
                        return &c->entries[i];
        return NULL;
}

/* Takes *key and *value. */
static int set_entry(KConfig *c, const char *group, char **key, char **value, bool immutable, unsigned file) {
        KConfigEntry *e = find(c, group, *key), *n;
        char *g;

        if (e) {
                if (e->immutable && e->file != file)
                        return 0; /* an earlier file fixed it */
                free(e->value);
                e->value = TAKE_PTR(*value);
                e->immutable = immutable;
                e->file = file;
                return 0;
        }
        if (c->n >= KCONFIG_ENTRIES_MAX)
                return -E2BIG;
        n = reallocarray(c->entries, c->n + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        c->entries = n;
        g = strdup(group);
        if (!g)
                return -ENOMEM;
        c->entries[c->n++] = (KConfigEntry) {
                .group = g, .key = TAKE_PTR(*key), .value = TAKE_PTR(*value), .immutable = immutable, .file = file,
        };
        return 0;
}

/* "Key[$i]=value", "Key[fr]=…" (skipped, 0), "Key=value". */
static int parse_entry(KConfig *c, const char *group, bool group_immutable, const char *b, const char *e,
                       unsigned file) {
        const char *eq = memchr(b, '=', (size_t) (e - b)), *kend, *vb;
        _cleanup_free_ char *key = NULL, *value = NULL;
        bool immutable = group_immutable;
        int r;

        if (!eq)
                return -EBADMSG;
        kend = eq;
        vb = eq + 1;
        trim(&b, &kend);
        trim(&vb, &e);
        /* Options in brackets after the key: [$i], [$e], [$d], combined ([$ei]); or a locale. */
        while (kend > b && kend[-1] == ']') {
                const char *open = kend - 1;

                while (open > b && *open != '[')
                        open--;
                if (*open != '[' || open == b)
                        return -EBADMSG;
                if (open[1] != '$')
                        return 0; /* a localised value */
                if (memchr(open, 'i', (size_t) (kend - open)))
                        immutable = true;
                if (memchr(open, 'd', (size_t) (kend - open)))
                        return 0;
                kend = open;
        }
        if (kend == b)
                return -EBADMSG;
        r = unescape(b, (size_t) (kend - b), &key);
        if (r < 0)
                return r;
        r = unescape(vb, (size_t) (e - vb), &value);
        if (r < 0)
                return r;
        return set_entry(c, group, &key, &value, immutable, file);
}

int kconfig_parse(KConfig *c, const char *text, size_t size, unsigned file, char **ret_error) {
        _cleanup_free_ char *group = strdup("<default>");
        bool skip_group = false, group_immutable = false;
        unsigned line = 0;
        int r;

        if (!group)
                return -ENOMEM;
        if (c->frozen)
                return 0;
        for (const char *p = text, *end = text + size; p < end;) {
                const char *eol = memchr(p, '\n', (size_t) (end - p)), *b = p, *e;

                e = eol ? eol : end;
                p = eol ? eol + 1 : end;
                line++;
                trim(&b, &e);
                if (b == e || *b == '#')
                        continue;
                if (memchr(b, 0, (size_t) (e - b)))
                        return error_set(ret_error, -EBADMSG, "line %u: a NUL byte", line);
                if (*b == '[') {
                        _cleanup_free_ char *g = NULL;
                        bool immutable;

                        if (line == 1 && e - b == 4 && memcmp(b, "[$i]", 4) == 0) {
                                c->frozen = true; /* this file counts, the ones after it do not */
                                continue;
                        }
                        r = parse_group(b, e, &g, &immutable);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0)
                                return error_set(ret_error, r, "line %u: a malformed group header", line);
                        free(group);
                        group = TAKE_PTR(g);
                        /* An earlier file's immutable group: this file cannot change it. */
                        skip_group = group_is_immutable(c, group);
                        group_immutable = immutable || c->frozen;
                        if (immutable && !skip_group && strv_extend(&c->immutable_groups, group) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (skip_group)
                        continue;
                r = parse_entry(c, group, group_immutable || c->frozen, b, e, file);
                if (r == -ENOMEM || r == -E2BIG)
                        return r == -E2BIG ? error_set(ret_error, r, "more than %d entries", KCONFIG_ENTRIES_MAX) : r;
                if (r < 0)
                        return error_set(ret_error, r, "line %u: expected Key=Value", line);
        }
        return 0;
}

void kconfig_done(KConfig *c) {
        for (size_t i = 0; i < c->n; i++) {
                free(c->entries[i].group);
                free(c->entries[i].key);
                free(c->entries[i].value);
        }
        free(c->entries);
        strv_free(c->immutable_groups);
        *c = (KConfig) {};
}

const KConfigEntry *kconfig_get(const KConfig *c, const char *group, const char *key) {
        return find(c, group, key);
}

bool kconfig_value_bool(const char *value) {
        static const char *const negatives[] = { "false", "no", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(negatives); i++)
                if (strcasecmp(value, negatives[i]) == 0)
                        return false;
        return true;
}
