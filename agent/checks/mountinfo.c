/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json-util.h"
#include "macro.h"
#include "mountinfo.h"
#include "parse-util.h"

/* Bounds on what we accept from the kernel's text: far above any real machine. */
#define MOUNTS_MAX 100000u
#define SWAPS_MAX 4096u

void mountinfo_unescape(char *s) {
        char *w = s;

        for (const char *r = s; *r; ) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
                    r[3] >= '0' && r[3] <= '7') {
                        char c = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
                        if (c == 0) /* "\000" would cut the string: keep it literal */
                                c = '?';
                        *w++ = c;
                        r += 4;
                } else
                        *w++ = *r++;
        }
        *w = 0;
}

/* Next space-separated field of *p, NUL-terminated in place; NULL at the end. */
static char *next_field(char **p) {
        char *s = *p, *e;

        while (*s == ' ' || *s == '\t')
                s++;
        if (!*s)
                return NULL;
        e = s + strcspn(s, " \t");
        if (*e)
                *e++ = 0;
        *p = e;
        return s;
}

static int parse_devno(const char *s, unsigned *ret_major, unsigned *ret_minor) {
        _cleanup_free_ char *copy = strdup(s);
        char *colon;
        int maj, min, r;

        if (!copy)
                return -ENOMEM;
        colon = strchr(copy, ':');
        if (!colon)
                return -EINVAL;
        *colon = 0;
        r = parse_int_range(copy, 0, 0xfff, &maj);
        if (r < 0)
                return r;
        r = parse_int_range(colon + 1, 0, 0xfffff, &min);
        if (r < 0)
                return r;
        *ret_major = (unsigned) maj;
        *ret_minor = (unsigned) min;
        return 0;
}

static void mount_entry_done(MountEntry *e) {
        free(e->root);
        free(e->path);
        free(e->fstype);
        free(e->source);
        free(e->super_opts);
}

MountTable *mount_table_free(MountTable *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n; i++)
                mount_entry_done(&t->entries[i]);
        free(t->entries);
        free(t);
        return NULL;
}

static char *dup_unescaped(const char *s) {
        char *d = strdup(s);
        if (d)
                mountinfo_unescape(d);
        return d;
}

/* Calls fn on each line (a NUL-terminated copy, no newline) of text[0..size). Lines with an
 * embedded NUL are cut there, as the kernel never writes one. */
static int for_each_line(const char *text, size_t size, int (*fn)(char *line, unsigned n, void *userdata),
                         void *userdata) {
        unsigned n = 0;

        for (size_t off = 0; off < size; ) {
                const char *nl = memchr(text + off, '\n', size - off);
                size_t len = nl ? (size_t) (nl - (text + off)) : size - off;
                _cleanup_free_ char *line = strndup(text + off, len);
                int r;

                if (!line)
                        return -ENOMEM;
                n++;
                r = fn(line, n, userdata);
                if (r < 0)
                        return r;
                off += len + 1;
        }
        return 0;
}

typedef struct ParseState {
        MountTable *table;
        SwapTable *swaps;
        char **error;
} ParseState;

static int parse_mount_line(char *line, unsigned n, void *userdata) {
        ParseState *st = userdata;
        MountTable *t = st->table;
        char *p = line, *f[6], *fstype, *source, *super, *field;
        MountEntry e = {};
        int r;

        if (line[strspn(line, " \t")] == 0) /* blank line */
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(f); i++)
                if (!(f[i] = next_field(&p)))
                        return json_error(st->error, "line %u: expected at least 6 fields", n), -EBADMSG;
        /* optional fields end at a lone "-" */
        for (;;) {
                field = next_field(&p);
                if (!field)
                        return json_error(st->error, "line %u: no \" - \" separator", n), -EBADMSG;
                if (streq(field, "-"))
                        break;
        }
        fstype = next_field(&p);
        source = next_field(&p);
        super = next_field(&p);
        if (!fstype || !source)
                return json_error(st->error, "line %u: missing filesystem type or source", n), -EBADMSG;
        r = parse_devno(f[2], &e.major, &e.minor);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return json_error(st->error, "line %u: bad device number \"%s\"", n, f[2]), -EBADMSG;
        if (f[4][0] != '/')
                return json_error(st->error, "line %u: mount point \"%s\" is not absolute", n, f[4]),
                       -EBADMSG;
        if (t->n >= MOUNTS_MAX)
                return json_error(st->error, "more than %u mounts", MOUNTS_MAX), -E2BIG;

        e.root = dup_unescaped(f[3]);
        e.path = dup_unescaped(f[4]);
        e.fstype = dup_unescaped(fstype);
        e.source = dup_unescaped(source);
        e.super_opts = dup_unescaped(super ?: "");
        if (!e.root || !e.path || !e.fstype || !e.source || !e.super_opts) {
                mount_entry_done(&e);
                return -ENOMEM;
        }
        MountEntry *ne = reallocarray(t->entries, t->n + 1, sizeof(MountEntry));
        if (!ne) {
                mount_entry_done(&e);
                return -ENOMEM;
        }
        t->entries = ne;
        t->entries[t->n++] = e;
        return 0;
}

int mount_table_parse(const char *text, size_t size, MountTable **ret, char **ret_error) {
        _cleanup_(mount_table_freep) MountTable *t = calloc(1, sizeof(MountTable));
        ParseState st = { .table = t, .error = ret_error };
        int r;

        if (!t)
                return -ENOMEM;
        r = for_each_line(text, size, parse_mount_line, &st);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

/* Whether mount point m holds path: m is "/" or a prefix of path ending at a '/'. */
static bool path_under(const char *path, const char *m) {
        size_t l = strlen(m);

        if (streq(m, "/"))
                return path[0] == '/';
        while (l > 1 && m[l - 1] == '/')
                l--;
        return strncmp(path, m, l) == 0 && (path[l] == 0 || path[l] == '/');
}

const MountEntry *mount_table_find(const MountTable *t, const char *path) {
        const MountEntry *best = NULL;
        size_t best_len = 0;

        for (size_t i = 0; i < t->n; i++) {
                const MountEntry *e = &t->entries[i];
                size_t l = strlen(e->path);

                if (!path_under(path, e->path))
                        continue;
                if (!best || l >= best_len) { /* ">=": a later mount on the same point is on top */
                        best = e;
                        best_len = l;
                }
        }
        return best;
}

SwapTable *swap_table_free(SwapTable *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n; i++)
                free(t->entries[i].path);
        free(t->entries);
        free(t);
        return NULL;
}

static int parse_swap_line(char *line, unsigned n, void *userdata) {
        ParseState *st = userdata;
        SwapTable *t = st->swaps;
        char *p = line, *name, *type;
        SwapEntry *ne;
        size_t l;

        name = next_field(&p);
        if (!name || (n == 1 && streq(name, "Filename"))) /* header, blank line */
                return 0;
        type = next_field(&p);
        if (!type)
                return json_error(st->error, "line %u: no swap type", n), -EBADMSG;
        if (name[0] != '/')
                return json_error(st->error, "line %u: swap \"%s\" is not an absolute path", n, name),
                       -EBADMSG;
        if (t->n >= SWAPS_MAX)
                return json_error(st->error, "more than %u swaps", SWAPS_MAX), -E2BIG;
        ne = reallocarray(t->entries, t->n + 1, sizeof(SwapEntry));
        if (!ne)
                return -ENOMEM;
        t->entries = ne;
        ne = &t->entries[t->n];
        ne->path = dup_unescaped(name);
        if (!ne->path)
                return -ENOMEM;
        /* a swap file deleted while active: the kernel appends " (deleted)" */
        l = strlen(ne->path);
        if (l > 10 && streq(ne->path + l - 10, " (deleted)"))
                ne->path[l - 10] = 0;
        ne->is_file = streq(type, "file");
        t->n++;
        return 0;
}

int swap_table_parse(const char *text, size_t size, SwapTable **ret, char **ret_error) {
        _cleanup_(swap_table_freep) SwapTable *t = calloc(1, sizeof(SwapTable));
        ParseState st = { .swaps = t, .error = ret_error };
        int r;

        if (!t)
                return -ENOMEM;
        r = for_each_line(text, size, parse_swap_line, &st);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}
