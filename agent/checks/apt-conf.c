/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apt-conf.h"
#include "cleanup.h"
#include "fs-util.h"
#include "json-util.h"
#include "parse-util.h"

#define APT_CONF_MAX (4u * 1024 * 1024)
#define APT_CONF_DEPTH 32
#define APT_CONF_MAX_ENTRIES 100000

AptConf *apt_conf_new(void) {
        return calloc(1, sizeof(AptConf));
}

AptConf *apt_conf_free(AptConf *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_entries; i++) {
                free(c->entries[i].key);
                free(c->entries[i].value);
        }
        free(c->entries);
        free(c);
        return NULL;
}

static int conf_set(AptConf *c, const char *key, const char *value) {
        if (c->n_entries >= APT_CONF_MAX_ENTRIES)
                return -E2BIG;
        AptConfEntry *n = reallocarray(c->entries, c->n_entries + 1, sizeof(AptConfEntry));
        if (!n)
                return -ENOMEM;
        c->entries = n;
        n[c->n_entries] = (AptConfEntry) { strdup(key), strdup(value) };
        if (!n[c->n_entries].key || !n[c->n_entries].value) {
                free(n[c->n_entries].key);
                free(n[c->n_entries].value);
                return -ENOMEM;
        }
        c->n_entries++;
        return 0;
}

/* #clear: drops key and everything below it. */
static void conf_clear(AptConf *c, const char *key) {
        size_t len = strlen(key), j = 0;
        for (size_t i = 0; i < c->n_entries; i++) {
                const char *k = c->entries[i].key;
                if (strncasecmp(k, key, len) == 0 && (k[len] == 0 || (k[len] == ':' && k[len + 1] == ':'))) {
                        free(c->entries[i].key);
                        free(c->entries[i].value);
                        continue;
                }
                c->entries[j++] = c->entries[i];
        }
        c->n_entries = j;
}

const char *apt_conf_get(const AptConf *c, const char *key) {
        for (size_t i = c->n_entries; i-- > 0;)
                if (strcasecmp(c->entries[i].key, key) == 0)
                        return c->entries[i].value;
        return NULL;
}

long apt_conf_get_int(const AptConf *c, const char *key, long def) {
        const char *v = apt_conf_get(c, key);
        int64_t n;
        bool b;

        if (!v)
                return def;
        if (parse_int64(v, &n) >= 0)
                return (long) n;
        /* apt's FindI falls back to booleans ("true" → 1). */
        if (parse_boolean(v, &b) >= 0)
                return b;
        return def;
}

typedef enum TokenType {
        TOKEN_END,
        TOKEN_WORD,
        TOKEN_STRING,
        TOKEN_OPEN,
        TOKEN_CLOSE,
        TOKEN_SEMI,
        TOKEN_CLEAR,
        TOKEN_INCLUDE,
} TokenType;

typedef struct Lexer {
        const char *p, *end;
        unsigned line;
        char *text; /* the current word or string */
} Lexer;

static int lex(Lexer *l, TokenType *ret, char **ret_error) {
        for (;;) {
                while (l->p < l->end && isspace((unsigned char) *l->p)) {
                        if (*l->p == '\n')
                                l->line++;
                        l->p++;
                }
                if (l->p >= l->end) {
                        *ret = TOKEN_END;
                        return 0;
                }
                size_t rest = (size_t) (l->end - l->p);
                if (rest >= 2 && l->p[0] == '/' && l->p[1] == '*') {
                        unsigned start = l->line;
                        l->p += 2;
                        for (;;) {
                                if ((size_t) (l->end - l->p) < 2)
                                        return json_error(ret_error, "%u: unterminated /* comment", start), -EBADMSG;
                                if (l->p[0] == '*' && l->p[1] == '/')
                                        break;
                                if (*l->p == '\n')
                                        l->line++;
                                l->p++;
                        }
                        l->p += 2;
                        continue;
                }
                if (rest >= 6 && strncmp(l->p, "#clear", 6) == 0) {
                        l->p += 6;
                        *ret = TOKEN_CLEAR;
                        return 0;
                }
                if (rest >= 8 && strncmp(l->p, "#include", 8) == 0) {
                        l->p += 8;
                        *ret = TOKEN_INCLUDE;
                        return 0;
                }
                if (*l->p == '#' || (rest >= 2 && l->p[0] == '/' && l->p[1] == '/')) {
                        const char *nl = memchr(l->p, '\n', rest);
                        l->p = nl ? nl : l->end;
                        continue;
                }
                break;
        }
        char c = *l->p;
        if (c == '{' || c == '}' || c == ';') {
                l->p++;
                *ret = c == '{' ? TOKEN_OPEN : c == '}' ? TOKEN_CLOSE : TOKEN_SEMI;
                return 0;
        }
        free(l->text);
        l->text = NULL;
        if (c == '"') {
                const char *s = ++l->p, *q = memchr(s, '"', (size_t) (l->end - s));
                if (!q)
                        return json_error(ret_error, "%u: unterminated quoted string", l->line), -EBADMSG;
                for (const char *x = s; x < q; x++)
                        if (*x == '\n')
                                l->line++;
                l->text = strndup(s, (size_t) (q - s));
                l->p = q + 1;
                *ret = TOKEN_STRING;
                return l->text ? 0 : -ENOMEM;
        }
        const char *s = l->p;
        /* A word runs to a blank, a brace, a semicolon or a quote ("A::B"value is rare
         * but legal: the quote starts the value). */
        while (l->p < l->end && !isspace((unsigned char) *l->p) && !memchr("{};\"", *l->p, 4))
                l->p++;
        l->text = strndup(s, (size_t) (l->p - s));
        *ret = TOKEN_WORD;
        return l->text ? 0 : -ENOMEM;
}

static char *mfree_str(char *p) {
        free(p);
        return NULL;
}

static char *join_key(char *const *stack, size_t depth, const char *tail) {
        size_t len = 1, t = tail ? strlen(tail) : 0;
        for (size_t i = 0; i < depth; i++)
                len += strlen(stack[i]) + 2;
        char *k = malloc(len + t), *o = k;
        if (!k)
                return NULL;
        for (size_t i = 0; i < depth; i++) {
                size_t l = strlen(stack[i]);
                memcpy(o, stack[i], l);
                memcpy(o + l, "::", 2);
                o += l + 2;
        }
        memcpy(o, tail ? tail : "", t);
        o[t] = 0;
        return k;
}

int apt_conf_parse(AptConf *c, const char *text, size_t size, char **ret_error) {
        Lexer l = { .p = text, .end = text + size, .line = 1 };
        char *stack[APT_CONF_DEPTH] = {};
        size_t depth = 0;
        /* A statement: up to a key and a value, then ';' or '{'. */
        _cleanup_free_ char *key = NULL, *value = NULL;
        bool clear = false, include = false;
        TokenType t;
        int r = 0;

        for (;;) {
                r = lex(&l, &t, ret_error);
                if (r < 0)
                        goto out;
                switch (t) {
                case TOKEN_END:
                        if (key || value || clear || include) {
                                r = (json_error(ret_error, "%u: statement not terminated with ';'", l.line), -EBADMSG);
                                goto out;
                        }
                        if (depth > 0) {
                                r = (json_error(ret_error, "%u: unclosed '{' (scope \"%s\")", l.line, stack[depth - 1]), -EBADMSG);
                                goto out;
                        }
                        r = 0;
                        goto out;
                case TOKEN_CLEAR:
                        clear = true;
                        break;
                case TOKEN_INCLUDE:
                        include = true;
                        break;
                case TOKEN_WORD:
                case TOKEN_STRING:
                        if (!key && !(t == TOKEN_STRING && !clear && !include)) {
                                key = TAKE_PTR(l.text);
                        } else if (!key) {
                                /* A bare quoted value: a list item of the scope. */
                                value = TAKE_PTR(l.text);
                                key = strdup("");
                                if (!key) {
                                        r = -ENOMEM;
                                        goto out;
                                }
                        } else {
                                free(value);
                                value = TAKE_PTR(l.text);
                        }
                        break;
                case TOKEN_OPEN: {
                        if (!key || clear || include) {
                                r = (json_error(ret_error, "%u: '{' without a name before it", l.line), -EBADMSG);
                                goto out;
                        }
                        if (depth >= APT_CONF_DEPTH) {
                                r = (json_error(ret_error, "%u: scopes nested too deep", l.line), -EBADMSG);
                                goto out;
                        }
                        stack[depth++] = TAKE_PTR(key);
                        value = mfree_str(value);
                        break;
                }
                case TOKEN_CLOSE:
                        if (key || value) {
                                r = (json_error(ret_error, "%u: missing ';' before '}'", l.line), -EBADMSG);
                                goto out;
                        }
                        if (depth == 0) {
                                r = (json_error(ret_error, "%u: '}' without a matching '{'", l.line), -EBADMSG);
                                goto out;
                        }
                        free(stack[--depth]);
                        stack[depth] = NULL;
                        break;
                case TOKEN_SEMI: {
                        if (clear) {
                                if (key) {
                                        _cleanup_free_ char *full = join_key(stack, depth, key);
                                        if (!full) {
                                                r = -ENOMEM;
                                                goto out;
                                        }
                                        conf_clear(c, full);
                                }
                        } else if (key && !include) {
                                /* "Key;" alone is a list item without quotes. */
                                bool item = !value && key[0];
                                _cleanup_free_ char *full = join_key(stack, depth, item || !key[0] ? "" : key);
                                if (!full) {
                                        r = -ENOMEM;
                                        goto out;
                                }
                                r = conf_set(c, full, item ? key : strempty(value));
                                if (r < 0)
                                        goto out;
                        }
                        key = mfree_str(key);
                        value = mfree_str(value);
                        clear = include = false;
                        break;
                }
                }
        }
out:
        for (size_t i = 0; i < depth; i++)
                free(stack[i]);
        free(l.text);
        return r;
}

bool apt_conf_part_name_ok(const char *name, const char *ext) {
        const char *dot = strrchr(name, '.');

        if (!name[0] || name[0] == '.')
                return false;
        for (const char *p = name; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("_.-", *p))
                        return false;
        return !dot || streq(dot + 1, ext);
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int load_file(AptConf *c, int root_fd, const char *path, char **ret_error) {
        _cleanup_free_ char *text = NULL, *err = NULL;
        size_t size;
        int r;

        r = root_read_file(root_fd, path, APT_CONF_MAX, &text, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return json_error(ret_error, "cannot read \"%s\": %s", path, strerror(-r)), r;
        r = apt_conf_parse(c, text, size, &err);
        if (r < 0)
                return json_error(ret_error, "%s:%s", path, err ? err : "parse error"), r;
        return 0;
}

int apt_parts_list(int root_fd, const char *dir, const char *ext, char ***ret, char **ret_error) {
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int r;

        r = root_opendir(root_fd, dir, &d);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return json_error(ret_error, "cannot read \"%s\": %s", dir, strerror(-r)), r;
        while ((de = readdir(d))) {
                if (!apt_conf_part_name_ok(de->d_name, ext))
                        continue;
                char *path = path_join(dir, de->d_name);
                if (!path || strv_push(&paths, path) < 0)
                        return -ENOMEM;
        }
        if (paths)
                qsort(paths, strv_length(paths), sizeof(char *), name_cmp);
        *ret = TAKE_PTR(paths);
        return 0;
}

int apt_conf_load(int root_fd, AptConf **ret, char **ret_error) {
        _cleanup_(apt_conf_freep) AptConf *c = apt_conf_new();
        _cleanup_strv_free_ char **parts = NULL;
        int r;

        if (!c)
                return -ENOMEM;
        /* apt reads Dir::Etc::Parts first, then Dir::Etc::Main. */
        r = apt_parts_list(root_fd, "/etc/apt/apt.conf.d", "conf", &parts, ret_error);
        if (r < 0)
                return r;
        for (char **n = parts; n && *n; n++)
                if ((r = load_file(c, root_fd, *n, ret_error)) < 0)
                        return r;
        r = load_file(c, root_fd, "/etc/apt/apt.conf", ret_error);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}
