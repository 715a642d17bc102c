/* SPDX-License-Identifier: MIT */
/* dconf's engine, for reading: dconf-engine-profile.c (the profile) and dconf-engine.c
 * (dconf_engine_read: locks first, then the sources from the locking one down). */
#include <errno.h>
#include <stdint.h>
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

typedef enum SourceKind {
        SOURCE_USER,
        SOURCE_SYSTEM,
        SOURCE_SERVICE,
        SOURCE_FILE,
} SourceKind;

/* service-db names are paths below the service's directory ("keyfile/user"). */
static bool service_name_is_valid(const char *s, size_t n) {
        for (const char *p = s, *end = s + n; p <= end;) {
                const char *slash = memchr(p, '/', (size_t) (end - p));
                size_t len = slash ? (size_t) (slash - p) : (size_t) (end - p);

                if (!db_name_is_valid(p, len))
                        return false;
                if (!slash)
                        break;
                p = slash + 1;
        }
        return n > 0;
}

static int add_source(Dconf *d, SourceKind kind, const char *name, size_t n, const char *home, uid_t uid,
                      char **ret_error) {
        DconfSource *s;
        int r;

        if (d->n_sources >= DCONF_SOURCES_MAX)
                return error_set(ret_error, -E2BIG, "more than %d databases", DCONF_SOURCES_MAX);
        if (kind == SOURCE_FILE ? n < 2 || name[0] != '/' || memchr(name, 0, n)
                                : !(kind == SOURCE_SERVICE ? service_name_is_valid : db_name_is_valid)(name, n))
                return error_set(ret_error, -EINVAL, kind == SOURCE_FILE ? "file-db \"%.*s\" is not an absolute path"
                                                                          : "invalid database name \"%.*s\"",
                                 (int) MIN(n, 64), name);
        s = &d->sources[d->n_sources];
        *s = (DconfSource) { .user = kind == SOURCE_USER };
        switch (kind) {
        case SOURCE_USER:
                r = asprintf(&s->path, "%s/.config/dconf/%.*s", home, (int) n, name);
                break;
        case SOURCE_SYSTEM:
                r = asprintf(&s->path, "/etc/dconf/db/%.*s", (int) n, name);
                break;
        case SOURCE_SERVICE:
                r = asprintf(&s->path, "/run/user/%u/dconf-service/%.*s", (unsigned) uid, (int) n, name);
                if (r >= 0 && n > 8 && memcmp(name, "keyfile/", 8) == 0 &&
                    asprintf(&s->keyfile_path, "%s/.config/dconf/%.*s.txt", home, (int) n - 8, name + 8) < 0) {
                        s->keyfile_path = NULL;
                        r = -1;
                }
                break;
        default:
                r = asprintf(&s->path, "%.*s", (int) n, name);
        }
        d->n_sources++; /* freed by dconf_done() from here on */
        if (r < 0) {
                s->path = NULL;
                return -ENOMEM;
        }
        return 0;
}

int dconf_profile_parse(const char *text, const char *home, uid_t uid, Dconf *d, char **ret_error) {
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
                                r = add_source(d, SOURCE_USER, p + 8, n - 8, home, uid, ret_error);
                        else if (n > 10 && memcmp(p, "system-db:", 10) == 0)
                                r = add_source(d, SOURCE_SYSTEM, p + 10, n - 10, home, uid, ret_error);
                        else if (n > 11 && memcmp(p, "service-db:", 11) == 0)
                                r = add_source(d, SOURCE_SERVICE, p + 11, n - 11, home, uid, ret_error);
                        else if (n > 8 && memcmp(p, "file-db:", 8) == 0)
                                r = add_source(d, SOURCE_FILE, p + 8, n - 8, home, uid, ret_error);
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

/* The keyfile service's text, its session gone (no compiled copy in /run/user). Where GLib
 * refuses it, the service does not start its database and the session gets none of the
 * file's values: nothing is read from it here either. */
static int load_keyfile(int root_fd, DconfSource *s, char **ret_error) {
        _cleanup_free_ char *text = NULL, *err = NULL;
        size_t size;
        int r = root_read_file(root_fd, s->keyfile_path, DB_MAX, &text, &size);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return error_set(ret_error, r, "%s: %s", s->keyfile_path, strerror(-r));
        r = glib_keyfile_parse(&s->keyfile, text, size, &err);
        if (r == -EBADMSG)
                return 0;
        if (r < 0)
                return error_set(ret_error, r, "%s: %s", s->keyfile_path, err ? err : strerror(-r));
        s->has_keyfile = true;
        return 0;
}

static int load_source(int root_fd, DconfSource *s, char **ret_error) {
        int r = root_read_file(root_fd, s->path, DB_MAX, &s->data, &s->size);

        if (r == -ENOENT && s->keyfile_path)
                return load_keyfile(root_fd, s, ret_error);
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

int dconf_load(int root_fd, const char *home, uid_t uid, Dconf *ret, char **ret_error) {
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
                r = dconf_profile_parse("user-db:user", home, uid, ret, ret_error);
        else {
                _cleanup_free_ char *err = NULL;

                r = dconf_profile_parse(text, home, uid, ret, &err);
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
                free(d->sources[i].keyfile_path);
                free(d->sources[i].data);
                glib_keyfile_done(&d->sources[i].keyfile);
        }
        free(d->profile);
        *d = (Dconf) {};
}

int dconf_keyfile_value(const char *text, GVariantValue *ret) {
        static const struct {
                const char *annotation;
                char type;
        } annotations[] = {
                { "boolean", 'b' }, { "int32", 'i' }, { "uint32", 'u' },
                { "@b", 'b' },      { "@i", 'i' },    { "@u", 'u' },
        };
        static const char blanks[] = " \t\n\f\r"; /* g_ascii_isspace(), which GVariant's parser skips */
        char type = 0, *end;
        size_t len;
        long long n;

        text += strspn(text, blanks);
        for (size_t i = 0; i < ELEMENTSOF(annotations); i++) {
                size_t a = strlen(annotations[i].annotation);
                /* A keyword may touch its number's sign ("uint32+5"); "@u" needs a blank. */
                if (strncmp(text, annotations[i].annotation, a) == 0 && text[a] &&
                    (strchr(blanks, text[a]) || (text[0] != '@' && strchr("+-", text[a])))) {
                        type = annotations[i].type;
                        text += a;
                        text += strspn(text, blanks);
                        break;
                }
        }
        len = strlen(text);
        while (len > 0 && strchr(blanks, text[len - 1]))
                len--;
        if (len == 0)
                return -EINVAL;
        if ((len == 4 && memcmp(text, "true", 4) == 0) || (len == 5 && memcmp(text, "false", 5) == 0)) {
                if (type && type != 'b')
                        return -EINVAL;
                *ret = (GVariantValue) { .type = 'b', .b = len == 4 };
                return 1;
        }
        if (!strchr("+-0123456789", text[0]))
                return type ? -EINVAL : 0; /* a string, a list…: another type */
        /* Unannotated, GVariant takes a signed number with an "e" for a double, even in hex. */
        if (!type && strchr("+-", text[0]) && memchr(text, 'e', len))
                return 0;
        /* GVariant's numbers: decimal, 0x hexadecimal, 0 octal; int32 unless annotated. */
        errno = 0;
        n = strtoll(text, &end, 0);
        if (errno != 0 || end != text + len || type == 'b') {
                /* "1.5", "2e3": a double, another type; else text dconf cannot parse */
                bool real = !type && end > text && strspn(end, "0123456789.eE+-") == len - (size_t) (end - text) &&
                            strpbrk(end, ".eE");
                return real ? 0 : -EINVAL;
        }
        if (type == 'u') {
                if (n < 0 || n > (long long) UINT32_MAX)
                        return -EINVAL;
                *ret = (GVariantValue) { .type = 'u', .u = (uint32_t) n };
                return 1;
        }
        if (n < INT32_MIN || n > INT32_MAX)
                return -EINVAL;
        *ret = (GVariantValue) { .type = 'i', .i = (int32_t) n };
        return 1;
}

/* key "/a/b/c" is [a/b] c= in the keyfile; "/c" is [/] c=. Like gvdb_table_get_value():
 * -ENOENT when absent or skipped (dconf skips a value it cannot parse), -EMEDIUMTYPE for
 * a value of a type we do not decode. */
static int keyfile_get(const GlibKeyFile *k, const char *key, GVariantValue *ret) {
        const char *slash = strrchr(key, '/'), *value;
        _cleanup_free_ char *group = NULL;
        int r;

        if (!slash || key[0] != '/')
                return -ENOENT;
        group = slash == key ? strdup("/") : strndup(key + 1, (size_t) (slash - key - 1));
        if (!group)
                return -ENOMEM;
        value = glib_keyfile_get(k, group, slash + 1);
        if (!value)
                return -ENOENT;
        r = dconf_keyfile_value(value, ret);
        return r < 0 ? -ENOENT : r == 0 ? -EMEDIUMTYPE : 0;
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

                if (d->sources[i].has_keyfile)
                        r = keyfile_get(&d->sources[i].keyfile, key, &v);
                else if (d->sources[i].data)
                        r = gvdb_table_get_value(&d->sources[i].values, key, &v);
                else
                        continue;
                if (r == -ENOENT)
                        continue;
                if (r == -EMEDIUMTYPE || (r >= 0 && v.type != type))
                        return 0; /* GSettings ignores a value of the wrong type: the default */
                if (r < 0)
                        return r;
                *ret = v;
                *ret_source = d->sources[i].has_keyfile ? d->sources[i].keyfile_path : d->sources[i].path;
                *ret_locked = from > 0;
                return 1;
        }
        return 0;
}
