/* SPDX-License-Identifier: MIT */
/* dconf's engine, for reading: dconf-engine-profile.c (the profile) and dconf-engine.c
 * (dconf_engine_read: locks first, then the sources from the locking one down). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "dconf.h"
#include "error-util.h"
#include "fs-util.h"
#include "macro.h"

/* dconf looks for the "user" profile here, in order (no $DCONF_PROFILE: we are not in the
 * user's session). */
static const char *const profile_paths[] = {
        "/etc/dconf/profile/user",
        "/usr/local/share/dconf/profile/user",
        "/usr/share/dconf/profile/user",
};

#define DB_MAX (8u * 1024 * 1024)
#define PROFILE_MAX (64u * 1024)
#define NAME_MAX_LEN 255

static bool db_name_is_valid(const char *s, size_t n) {
        if (n == 0 || n > NAME_MAX_LEN)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] == '/' || s[i] < 0x20 || s[i] == 0x7f)
                        return false;
        return !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.');
}

static int add_source(Dconf *d, bool user, const char *name, size_t n, const char *home, char **ret_error) {
        DconfSource *s;
        int r;

        if (d->n_sources >= DCONF_SOURCES_MAX)
                return error_set(ret_error, -E2BIG, "more than %d databases", DCONF_SOURCES_MAX);
        if (!db_name_is_valid(name, n))
                return error_set(ret_error, -EINVAL, "invalid database name \"%.*s\"", (int) MIN(n, 64), name);
        s = &d->sources[d->n_sources];
        *s = (DconfSource) { .user = user };
        r = user ? asprintf(&s->path, "%s/.config/dconf/%.*s", home, (int) n, name)
                 : asprintf(&s->path, "/etc/dconf/db/%.*s", (int) n, name);
        if (r < 0) {
                s->path = NULL;
                return -ENOMEM;
        }
        d->n_sources++;
        return 0;
}

int dconf_profile_parse(const char *text, const char *home, Dconf *d, char **ret_error) {
        unsigned line = 0;

        for (const char *p = text; *p;) {
                const char *eol = strchrnul(p, '\n'), *end = eol, *hash;
                int r = 0;

                line++;
                hash = memchr(p, '#', (size_t) (end - p));
                if (hash)
                        end = hash;
                while (p < end && strchr(" \t\r", *p))
                        p++;
                while (end > p && strchr(" \t\r", end[-1]))
                        end--;
                if (end > p) {
                        size_t n = (size_t) (end - p);

                        if (n > 8 && memcmp(p, "user-db:", 8) == 0)
                                r = add_source(d, true, p + 8, n - 8, home, ret_error);
                        else if (n > 10 && memcmp(p, "system-db:", 10) == 0)
                                r = add_source(d, false, p + 10, n - 10, home, ret_error);
                        else if (n > 11 && memcmp(p, "service-db:", 11) == 0)
                                ; /* a database kept by a service at run time: nothing on disk to read */
                        else if (n > 8 && memcmp(p, "file-db:", 8) == 0)
                                ; /* dconf 0.26+: a database at a path, read only; rare, not supported */
                        else
                                r = error_set(ret_error, -EINVAL, "line %u: unknown source \"%.*s\"", line,
                                              (int) MIN(n, 64), p);
                        if (r < 0)
                                return r;
                }
                p = *eol ? eol + 1 : eol;
        }
        return 0;
}

static int load_source(int root_fd, DconfSource *s, char **ret_error) {
        int r = root_read_file(root_fd, s->path, DB_MAX, &s->data, &s->size);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return error_set(ret_error, r, "%s: %s", s->path, strerror(-r));
        r = gvdb_table_open(s->data, s->size, &s->values);
        if (r == -EPROTONOSUPPORT)
                return error_set(ret_error, r, "%s: a big-endian dconf database, not supported", s->path);
        if (r < 0)
                return error_set(ret_error, r, "%s: not a valid dconf database (corrupt or truncated)", s->path);
        if (s->user)
                return 0;
        r = gvdb_table_get_table(&s->values, ".locks", &s->locks);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return error_set(ret_error, r, "%s: its table of locks is corrupt", s->path);
        s->has_locks = true;
        return 0;
}

int dconf_load(int root_fd, const char *home, Dconf *ret, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        int r = -ENOENT;

        *ret = (Dconf) {};
        for (size_t i = 0; i < ELEMENTSOF(profile_paths) && r == -ENOENT; i++) {
                r = root_read_file(root_fd, profile_paths[i], PROFILE_MAX, &text, NULL);
                if (r >= 0 && !(ret->profile = strdup(profile_paths[i])))
                        return -ENOMEM;
        }
        if (r < 0 && r != -ENOENT)
                return error_set(ret_error, r, "cannot read the dconf profile: %s", strerror(-r));
        if (r == -ENOENT)
                r = dconf_profile_parse("user-db:user", home, ret, ret_error);
        else {
                _cleanup_free_ char *err = NULL;

                r = dconf_profile_parse(text, home, ret, &err);
                if (r < 0 && err)
                        r = error_set(ret_error, r, "%s: %s", ret->profile, err);
        }
        for (size_t i = 0; r >= 0 && i < ret->n_sources; i++)
                r = load_source(root_fd, &ret->sources[i], ret_error);
        if (r < 0)
                dconf_done(ret);
        return r;
}

void dconf_done(Dconf *d) {
        for (size_t i = 0; i < d->n_sources; i++) {
                free(d->sources[i].path);
                free(d->sources[i].data);
        }
        free(d->profile);
        *d = (Dconf) {};
}

int dconf_read(const Dconf *d, const char *key, char type, GVariantValue *ret, const char **ret_source,
               bool *ret_locked) {
        size_t from = 0;

        /* dconf_engine_read(): the last source that locks the key is where reading starts,
         * so nothing above it (the user's database) can override it. */
        for (size_t i = d->n_sources; i-- > 1;)
                if (d->sources[i].has_locks && gvdb_table_has(&d->sources[i].locks, key)) {
                        from = i;
                        break;
                }
        for (size_t i = from; i < d->n_sources; i++) {
                GVariantValue v;
                int r;

                if (!d->sources[i].data)
                        continue;
                r = gvdb_table_get_value(&d->sources[i].values, key, &v);
                if (r == -ENOENT)
                        continue;
                if (r == -EMEDIUMTYPE || (r >= 0 && v.type != type))
                        return 0; /* GSettings ignores a value of the wrong type: the default */
                if (r < 0)
                        return r;
                *ret = v;
                *ret_source = d->sources[i].path;
                *ret_locked = from > 0;
                return 1;
        }
        return 0;
}
