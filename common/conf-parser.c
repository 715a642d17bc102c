/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <ini.h>

#include "cleanup.h"
#include "conf-parser.h"
#include "fs-util.h"
#include "macro.h"
#include "parse-util.h"

typedef struct ParseState {
        const char *file;
        unsigned line;
        const ConfigTableItem *table;
        void *obj;
        ConfigSectionHandler other;
        void *userdata;
        char *error; /* first error */
        /* string reader state */
        const char *cursor;
} ParseState;

static void set_error(ParseState *s, const char *fmt, ...) _printf_(2, 3);
static void set_error(ParseState *s, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;

        if (s->error)
                return;
        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        if (m && asprintf(&s->error, "%s:%u: %s", s->file, s->line, m) < 0)
                s->error = NULL;
}

static int handler(void *user, const char *section, const char *key, const char *value) {
        ParseState *s = user;

        if (!key) /* a bare section header */
                return 1;
        for (const ConfigTableItem *t = s->table; t && t->key; t++) {
                int r;
                if (!streq(t->section, section) || !streq(t->key, key))
                        continue;
                r = t->parse(value, (char *) s->obj + t->offset);
                if (r < 0) {
                        set_error(s, "[%s] %s=\"%s\": %s%s%s", section, key, value,
                                  r == -ERANGE ? "out of range" : "invalid value",
                                  t->expected ? ", expected " : "", strempty(t->expected));
                        return 0;
                }
                return 1;
        }
        for (const ConfigTableItem *t = s->table; t && t->key; t++)
                if (streq(t->section, section)) {
                        set_error(s, "unknown key \"%s\" in section [%s]", key, section);
                        return 0;
                }
        if (s->other) {
                _cleanup_free_ char *msg = NULL;
                int r = s->other(section, key, value, s->file, s->line, &msg, s->userdata);
                if (r == 0)
                        return 1;
                if (r != -ENOENT) {
                        set_error(s, "%s", msg ? msg : "invalid line");
                        return 0;
                }
        }
        set_error(s, "unknown key \"%s\" in section [%s]", key, section);
        return 0;
}

static char *reader_file(char *str, int num, void *stream) {
        ParseState *s = stream;
        char *r = fgets(str, num, (FILE *) s->cursor);
        if (r)
                s->line++;
        return r;
}

static char *reader_string(char *str, int num, void *stream) {
        ParseState *s = stream;
        size_t n = 0;

        if (!*s->cursor)
                return NULL;
        while (s->cursor[n] && s->cursor[n] != '\n' && n + 1 < (size_t) num - 1)
                n++;
        if (s->cursor[n] == '\n')
                n++;
        memcpy(str, s->cursor, n);
        str[n] = 0;
        s->cursor += n;
        s->line++;
        return str;
}

static int finish(ParseState *s, int r, char **ret_error) {
        if (r == 0 && !s->error)
                return 0;
        if (!s->error) {
                if (r == -2)
                        return -ENOMEM;
                set_error(s, "syntax error (expected \"[Section]\", \"Key=Value\" or a comment)");
        }
        if (ret_error)
                *ret_error = TAKE_PTR(s->error);
        free(s->error);
        return -EINVAL;
}

static int load_one(const char *path, const ConfigTableItem *table, void *obj,
                    ConfigSectionHandler other, void *userdata, char **ret_error) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        ParseState s = { .file = path, .table = table, .obj = obj, .other = other,
                         .userdata = userdata };

        if (!f)
                return -errno;
        s.cursor = (const char *) f;
        return finish(&s, ini_parse_stream(reader_file, &s, handler, &s), ret_error);
}

int config_load_string(const char *text, const char *name, const ConfigTableItem *table,
                       void *obj, ConfigSectionHandler other, void *userdata,
                       char **ret_error) {
        ParseState s = { .file = name, .table = table, .obj = obj, .other = other,
                         .userdata = userdata, .cursor = text };
        return finish(&s, ini_parse_stream(reader_string, &s, handler, &s), ret_error);
}

static int filter_conf(const struct dirent *de) {
        size_t l = strlen(de->d_name);
        return de->d_name[0] != '.' && l > 5 && streq(de->d_name + l - 5, ".conf");
}

typedef int (*ConfigFileFn)(const char *path, void *userdata);

/* The main file, then its drop-ins in lexical order; stops at the first failure. */
static int config_foreach_file(const char *path, bool missing_ok, ConfigFileFn fn, void *userdata) {
        _cleanup_free_ char *dropin_dir = NULL;
        struct dirent **list = NULL;
        int r, n;

        r = fn(path, userdata);
        if (r == -ENOENT && missing_ok)
                r = 0;
        if (r < 0)
                return r;

        if (asprintf(&dropin_dir, "%s.d", path) < 0)
                return -ENOMEM;
        n = scandir(dropin_dir, &list, filter_conf, alphasort);
        if (n < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *p = path_join(dropin_dir, list[i]->d_name);
                if (r >= 0)
                        r = p ? fn(p, userdata) : -ENOMEM;
                free(list[i]);
        }
        free(list);
        return r;
}

typedef struct LoadArgs {
        const ConfigTableItem *table;
        void *obj;
        ConfigSectionHandler other;
        void *userdata;
        char **ret_error;
} LoadArgs;

static int load_one_fn(const char *path, void *userdata) {
        LoadArgs *a = userdata;
        return load_one(path, a->table, a->obj, a->other, a->userdata, a->ret_error);
}

int config_load(const char *path, bool missing_ok, const ConfigTableItem *table, void *obj,
                ConfigSectionHandler other, void *userdata, char **ret_error) {
        LoadArgs a = { table, obj, other, userdata, ret_error };
        return config_foreach_file(path, missing_ok, load_one_fn, &a);
}

int config_parse_string(const char *value, void *field) {
        char **s = field, *c;

        if (string_has_cc(value))
                return -EINVAL;
        c = *value ? strdup(value) : NULL;
        if (*value && !c)
                return -ENOMEM;
        free(*s);
        *s = c;
        return 0;
}

int config_parse_path(const char *value, void *field) {
        if (*value && value[0] != '/')
                return -EINVAL;
        return config_parse_string(value, field);
}

int config_parse_bool(const char *value, void *field) {
        return parse_boolean(value, field);
}

int config_parse_int(const char *value, void *field) {
        return parse_int_range(value, 0, INT32_MAX, field);
}

int config_parse_duration(const char *value, void *field) {
        return parse_duration(value, field);
}

int config_parse_size(const char *value, void *field) {
        return parse_size(value, field);
}

int config_parse_strv(const char *value, void *field) {
        char ***l = field;
        _cleanup_free_ char *copy = strdup(value);
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        if (!*value) {
                *l = strv_free(*l);
                return 0;
        }
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                int r = strv_extend(l, w);
                if (r < 0)
                        return r;
        }
        return 0;
}

int config_parse_log_level(const char *value, void *field) {
        static const char *const names[] = { "emerg", "alert", "crit", "err",
                                             "warning", "notice", "info", "debug" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(value, names[i])) {
                        *(int *) field = (int) i;
                        return 0;
                }
        return -EINVAL;
}

int config_section_split(const char *section, char **ret_kind, char **ret_name) {
        const char *q = strchr(section, '"');
        _cleanup_free_ char *kind = NULL, *name = NULL;
        size_t kl;

        if (!q) {
                kind = strdup(section);
                if (!kind)
                        return -ENOMEM;
                *ret_kind = TAKE_PTR(kind);
                *ret_name = NULL;
                return 0;
        }
        kl = (size_t) (q - section);
        while (kl > 0 && section[kl - 1] == ' ')
                kl--;
        size_t nl = strlen(q + 1);
        if (kl == 0 || nl < 2 || q[nl] != '"' || memchr(q + 1, '"', nl - 1))
                return -EINVAL;
        kind = strndup(section, kl);
        name = strndup(q + 1, nl - 1);
        if (!kind || !name)
                return -ENOMEM;
        *ret_kind = TAKE_PTR(kind);
        *ret_name = TAKE_PTR(name);
        return 0;
}
