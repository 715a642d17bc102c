/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cleanup.h"
#include "error-util.h"
#include "macro.h"
#include "modulemd.h"
#include "parse-util.h"

#define KEY_MAX 64

typedef struct Parser {
        ModulemdFunc cb;
        void *userdata;
        struct {
                size_t indent;
                char key[KEY_MAX]; /* "": a key too long to be one of ours */
        } stack[MODULEMD_DEPTH_MAX];
        size_t depth;
        ssize_t skip_indent;    /* lines more indented than this continue a value: skipped; -1: none */
        unsigned line;
        /* The document being read. */
        char *document, *version, *name, *stream, *module;
        char **artifacts;
        size_t n_artifacts;
} Parser;

static void doc_reset(Parser *p) {
        char **fields[] = { &p->document, &p->version, &p->name, &p->stream, &p->module };
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                free(*fields[i]);
                *fields[i] = NULL;
        }
        p->artifacts = strv_free(p->artifacts);
        p->n_artifacts = 0;
        p->depth = 0;
        p->skip_indent = -1;
}

static int doc_end(Parser *p) {
        ModulemdDoc doc = {};
        int k = 0;

        if (streq_ptr(p->document, "modulemd") && streq_ptr(p->version, "2") && p->name && p->stream)
                doc = (ModulemdDoc) { MODULEMD_STREAM, p->name, p->stream, p->artifacts, p->n_artifacts };
        else if (streq_ptr(p->document, "modulemd-defaults") && streq_ptr(p->version, "1") && p->module)
                doc = (ModulemdDoc) { MODULEMD_DEFAULTS, p->module, p->stream, NULL, 0 };
        if (doc.name)
                k = p->cb(&doc, p->userdata);
        doc_reset(p);
        return k;
}

/* Whether the keys above the current line are exactly the path's. */
static bool at(const Parser *p, const char *const *path, size_t n) {
        if (p->depth != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(p->stack[i].key, path[i]))
                        return false;
        return true;
}

static int bad(Parser *p, char **ret_error, const char *what) {
        return error_set(ret_error, -EBADMSG, "line %u: %s", p->line, what);
}

/* One scalar of s[0..len) (plain, '…' or "…"; a plain one ends at " #" and at end_chars)
 * into *ret; *ret_used: the bytes it took. */
static int scalar(const char *s, size_t len, const char *end_chars, char **ret, size_t *ret_used) {
        _cleanup_free_ char *v = NULL;
        size_t i = 0, n = 0;

        if (len > 0 && (s[0] == '"' || s[0] == '\'')) {
                char q = s[0];
                if (!(v = malloc(MIN(len, (size_t) MODULEMD_SCALAR_MAX) + 1)))
                        return -ENOMEM;
                for (i = 1;; i++) {
                        if (i >= len)
                                return -EBADMSG; /* unterminated */
                        char c = s[i];
                        if (c == q && q == '\'' && i + 1 < len && s[i + 1] == '\'')
                                i++;
                        else if (c == q)
                                break;
                        else if (c == '\\' && q == '"' && i + 1 < len && (s[i + 1] == '"' || s[i + 1] == '\\'))
                                c = s[++i];
                        if (n >= MODULEMD_SCALAR_MAX)
                                return -E2BIG;
                        v[n++] = c;
                }
                v[n] = 0;
                *ret_used = i + 1;
        } else {
                while (i < len && !(s[i] == '#' && i > 0 && s[i - 1] == ' ') && !(end_chars && strchr(end_chars, s[i])))
                        i++;
                *ret_used = i;
                while (i > 0 && s[i - 1] == ' ')
                        i--;
                if (i > MODULEMD_SCALAR_MAX)
                        return -E2BIG;
                if (!(v = strndup(s, i)))
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

static int add_artifact(Parser *p, char *v) {
        if (!*v) {
                free(v);
                return 0;
        }
        if (p->n_artifacts >= MODULEMD_ARTIFACTS_MAX) {
                free(v);
                return -E2BIG;
        }
        char **l = reallocarray(p->artifacts, p->n_artifacts + 2, sizeof(char *));
        if (!l) {
                free(v);
                return -ENOMEM;
        }
        p->artifacts = l;
        l[p->n_artifacts++] = v;
        l[p->n_artifacts] = NULL;
        return 0;
}

/* "[a, 'b', c]" on one line. */
static int flow_artifacts(Parser *p, const char *s, size_t len) {
        size_t i = 1;

        for (;;) {
                while (i < len && s[i] == ' ')
                        i++;
                if (i < len && s[i] == ']')
                        return 0;
                char *v;
                size_t used;
                int k = scalar(s + i, len - i, ",]", &v, &used);
                if (k < 0)
                        return k;
                if ((k = add_artifact(p, v)) < 0)
                        return k;
                i += used;
                while (i < len && s[i] == ' ')
                        i++;
                if (i >= len)
                        return -EBADMSG; /* a flow sequence on several lines */
                if (s[i] == ']')
                        return 0;
                i++; /* ',' */
        }
}

static const char *const PATH_DATA[] = { "data" };
static const char *const PATH_RPMS[] = { "data", "artifacts", "rpms" };

/* A value at the current path: the ones modulemd needs, the rest ignored. */
static int value(Parser *p, const char *key, const char *s, size_t len) {
        static const struct {
                const char *const *path;
                size_t depth;
                const char *key;
                size_t offset;
        } fields[] = {
                { NULL, 0, "document", offsetof(Parser, document) },
                { NULL, 0, "version", offsetof(Parser, version) },
                { PATH_DATA, 1, "name", offsetof(Parser, name) },
                { PATH_DATA, 1, "stream", offsetof(Parser, stream) },
                { PATH_DATA, 1, "module", offsetof(Parser, module) },
        };
        char *v;
        size_t used;
        int k;

        if (!key && at(p, PATH_RPMS, ELEMENTSOF(PATH_RPMS))) {
                if ((k = scalar(s, len, NULL, &v, &used)) < 0)
                        return k;
                return add_artifact(p, v);
        }
        if (key && streq(key, "rpms") && len > 0 && s[0] == '[' && at(p, PATH_RPMS, 2))
                return flow_artifacts(p, s, len);
        for (size_t i = 0; key && i < ELEMENTSOF(fields); i++) {
                if (!streq(key, fields[i].key) || !at(p, fields[i].path, fields[i].depth))
                        continue;
                if ((k = scalar(s, len, NULL, &v, &used)) < 0)
                        return k;
                char **f = (char **) ((char *) p + fields[i].offset);
                free(*f);
                *f = v;
                return 0;
        }
        return 0;
}

/* The key of "key: value" or "key:" at s[0..len) into *ret_key, where the value starts
 * in *ret_value; -ENOENT: not a mapping entry. */
static int split_key(const char *s, size_t len, char **ret_key, size_t *ret_value) {
        size_t i;

        if (s[0] == '"' || s[0] == '\'') {
                size_t used;
                int k = scalar(s, len, NULL, ret_key, &used);
                /* A quoted scalar that goes on over several lines: not a key on this one. */
                if (k == -EBADMSG)
                        return -ENOENT;
                if (k < 0)
                        return k;
                if (used >= len || s[used] != ':' || (used + 1 < len && s[used + 1] != ' ')) {
                        free(*ret_key);
                        *ret_key = NULL;
                        return -ENOENT;
                }
                *ret_value = used + 1;
                return 0;
        }
        for (i = 0; i < len; i++)
                if (s[i] == ':' && (i + 1 == len || s[i + 1] == ' '))
                        break;
        if (i == len || (s[0] == '#'))
                return -ENOENT;
        if (!(*ret_key = strndup(s, i)))
                return -ENOMEM;
        *ret_value = i + 1;
        return 0;
}

static int line(Parser *p, const char *s, size_t len, char **ret_error) {
        _cleanup_free_ char *key = NULL;
        size_t indent = 0, vstart;
        int k;

        while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == ' '))
                len--;
        if (len >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0) && (len == 3 || s[3] == ' '))
                return doc_end(p);
        while (indent < len && s[indent] == ' ')
                indent++;
        size_t blank = indent;
        while (blank < len && (s[blank] == ' ' || s[blank] == '\t'))
                blank++;
        if (blank == len || s[indent] == '#')
                return 0;
        /* Block scalars and continuation lines (tabs allowed in them). */
        if (p->skip_indent >= 0 && indent > (size_t) p->skip_indent)
                return 0;
        if (s[indent] == '\t')
                return bad(p, ret_error, "a tab in the indentation");
        p->skip_indent = -1;
        s += indent, len -= indent;

        bool item = s[0] == '-' && (len == 1 || s[1] == ' ');
        while (p->depth > 0 && (p->stack[p->depth - 1].indent > indent ||
                                (!item && p->stack[p->depth - 1].indent == indent)))
                p->depth--;
        if (item) {
                /* An item; what is more indented belongs to it (mappings in a sequence are
                 * nothing modulemd needs). */
                p->skip_indent = (ssize_t) indent;
                size_t o = 1;
                while (o < len && s[o] == ' ')
                        o++;
                if (o == len)
                        return 0;
                k = split_key(s + o, len - o, &key, &vstart);
                if (k == -ENOENT)
                        k = value(p, NULL, s + o, len - o);
                return k == -EBADMSG ? bad(p, ret_error, "an unterminated quoted scalar") : k;
        }
        k = split_key(s, len, &key, &vstart);
        if (k == -ENOENT)
                return 0; /* a continuation of a plain scalar at a shallower indent: not ours */
        if (k < 0)
                return k;
        while (vstart < len && s[vstart] == ' ')
                vstart++;
        if (vstart == len) {
                /* A nested block follows. */
                if (p->depth >= MODULEMD_DEPTH_MAX)
                        return -E2BIG;
                p->stack[p->depth].indent = indent;
                snprintf(p->stack[p->depth].key, KEY_MAX, "%s", strlen(key) < KEY_MAX ? key : "");
                p->depth++;
                return 0;
        }
        p->skip_indent = (ssize_t) indent;
        if (s[vstart] == '|' || s[vstart] == '>')
                return 0; /* a block scalar */
        k = value(p, key, s + vstart, len - vstart);
        if (k == -EBADMSG)
                return bad(p, ret_error, "a value Vigie cannot read (unterminated quote or flow sequence)");
        return k;
}

int modulemd_parse(const char *text, size_t size, ModulemdFunc cb, void *userdata, char **ret_error) {
        Parser p = { .cb = cb, .userdata = userdata, .skip_indent = -1 };
        int k = 0;

        if (size > MODULEMD_FILE_MAX)
                return -E2BIG;
        for (size_t i = 0; i < size && k >= 0;) {
                const char *nl = memchr(text + i, '\n', size - i);
                size_t len = nl ? (size_t) (nl - text - i) : size - i;
                p.line++;
                if (memchr(text + i, 0, len))
                        k = bad(&p, ret_error, "a NUL byte");
                else
                        k = line(&p, text + i, len, ret_error);
                i += len + 1;
        }
        if (k >= 0)
                k = doc_end(&p);
        doc_reset(&p);
        return k;
}
