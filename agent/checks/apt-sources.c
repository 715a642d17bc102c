/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apt-conf.h"
#include "apt-sources.h"
#include "cleanup.h"
#include "deb822.h"
#include "fs-util.h"
#include "parse-util.h"

#define SOURCES_MAX (4u * 1024 * 1024)

void apt_sources_done(AptSources *s) {
        strv_free(s->prefixes);
        *s = (AptSources) {};
}

/* apt's QuoteString(…, "\\|{}[]<>\"^~_=!@#$%^&*") plus control, space and 8-bit
 * characters, then '/' → '_'. */
static int append_quoted(char **o, const char *end, const char *s, size_t len) {
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c <= 0x20 || c >= 0x7f || strchr("\\|{}[]<>\"^~_=!@#$%&*", c)) {
                        if (end - *o < 4)
                                return -ENAMETOOLONG;
                        *o += snprintf(*o, 4, "%%%02x", c);
                } else {
                        if (end - *o < 2)
                                return -ENAMETOOLONG;
                        *(*o)++ = c == '/' ? '_' : (char) c;
                }
        }
        **o = 0;
        return 0;
}

char *apt_sources_prefix(const char *uri, const char *suite, const char *component) {
        char buf[2048], *o = buf, *end = buf + sizeof(buf);
        const char *p = strstr(uri, "://");

        if (!p)
                return NULL;
        p += 3;
        /* user:password@ is dropped */
        const char *slash = strchrnul(p, '/'), *at = memrchr(p, '@', (size_t) (slash - p));
        if (at)
                p = at + 1;
        size_t ul = strlen(p);
        while (ul > 0 && p[ul - 1] == '/')
                ul--;
        if (append_quoted(&o, end, p, ul) < 0 || append_quoted(&o, end, "/", 1) < 0)
                return NULL;
        if (component) {
                if (append_quoted(&o, end, "dists/", 6) < 0 || append_quoted(&o, end, suite, strlen(suite)) < 0 ||
                    append_quoted(&o, end, "/", 1) < 0 || append_quoted(&o, end, component, strlen(component)) < 0 ||
                    append_quoted(&o, end, "/binary-", 8) < 0)
                        return NULL;
        } else {
                /* Flat: "deb URI ./" or "deb URI sub/": URI + SUITE + "Packages". */
                const char *sp = suite;
                while (sp[0] == '.' && sp[1] == '/')
                        sp += 2;
                if (append_quoted(&o, end, sp, strlen(sp)) < 0 || append_quoted(&o, end, "Packages", 8) < 0)
                        return NULL;
        }
        return strdup(buf);
}

static int add(AptSources *s, const char *uri, const char *suite, const char *component) {
        static const char *const known[] = { "http://", "https://", "ftp://", "file:", "copy:", "tor+http://",
                                             "tor+https://", "ssh://", "rsh://" };
        bool ok = false;

        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (strncasecmp(uri, known[i], strlen(known[i])) == 0)
                        ok = true;
        if (!ok) {
                s->unknown = true;
                return 0;
        }
        if (strncasecmp(uri, "file:", 5) == 0 || strncasecmp(uri, "copy:", 5) == 0) {
                /* file:/srv/repo → apt names lists after "_srv_repo_…" */
                _cleanup_free_ char *u = NULL;
                const char *path = uri + 5;
                while (path[0] == '/' && path[1] == '/')
                        path++;
                if (asprintf(&u, "file://%s", path) < 0)
                        return -ENOMEM;
                char *pre = apt_sources_prefix(u, suite, component);
                return pre ? strv_push(&s->prefixes, pre) : 0;
        }
        char *pre = apt_sources_prefix(uri, suite, component);
        if (!pre)
                return 0;
        return strv_push(&s->prefixes, pre);
}

static int add_suite(AptSources *s, const char *uri, const char *suite, char **components) {
        size_t l = strlen(suite);
        int r;
        if (l == 0)
                return 0; /* a NUL byte in the file */
        if (suite[l - 1] == '/')
                return add(s, uri, suite, NULL);
        for (char **c = components; c && *c; c++)
                if ((r = add(s, uri, suite, *c)) < 0)
                        return r;
        return 0;
}

static char **split_words(const char *s, size_t len) {
        char **l = NULL;
        const char *p = s, *end = s + len;
        while (p < end) {
                while (p < end && isspace((unsigned char) *p))
                        p++;
                const char *w = p;
                while (p < end && !isspace((unsigned char) *p))
                        p++;
                if (p > w && strv_push(&l, strndup(w, (size_t) (p - w))) < 0) {
                        strv_free(l);
                        return NULL;
                }
        }
        return l ? l : calloc(1, sizeof(char *));
}

static int parse_one_line(AptSources *s, const char *text, size_t size) {
        const char *p = text, *end = text + size;
        int r;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)), *eol = nl ? nl : end;
                const char *hash = memchr(p, '#', (size_t) (eol - p));
                _cleanup_strv_free_ char **w = split_words(p, (size_t) ((hash ? hash : eol) - p));
                p = nl ? nl + 1 : end;
                if (!w)
                        return -ENOMEM;
                if (!w[0] || !streq(w[0], "deb"))
                        continue;
                size_t i = 1;
                /* [ options ] may be one word or several */
                if (w[i] && w[i][0] == '[') {
                        while (w[i] && !strchr(w[i], ']'))
                                i++;
                        if (w[i])
                                i++;
                }
                if (!w[i] || !w[i + 1])
                        continue;
                r = add_suite(s, w[i], w[i + 1], w + i + 2);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_deb822(AptSources *s, const char *text, size_t size) {
        Deb822Parser parser;
        Deb822Stanza st;
        int r;

        deb822_parser_init(&parser, text, size);
        while ((r = deb822_next(&parser, &st)) > 0) {
                const Deb822Field *types = deb822_find(&st, "Types"), *uris = deb822_find(&st, "URIs"),
                                  *suites = deb822_find(&st, "Suites"), *comps = deb822_find(&st, "Components");
                if (!types || !uris || !suites || !deb822_get_bool(&st, "Enabled", true))
                        continue;
                _cleanup_strv_free_ char **t = split_words(types->value, types->value_len);
                _cleanup_strv_free_ char **u = split_words(uris->value, uris->value_len);
                _cleanup_strv_free_ char **su = split_words(suites->value, suites->value_len);
                _cleanup_strv_free_ char **c = comps ? split_words(comps->value, comps->value_len) : calloc(1, sizeof(char *));
                if (!t || !u || !su || !c)
                        return -ENOMEM;
                if (!strv_contains(t, "deb"))
                        continue;
                for (char **ui = u; *ui; ui++)
                        for (char **si = su; *si; si++)
                                if ((r = add_suite(s, *ui, *si, c)) < 0)
                                        return r;
        }
        return 0; /* a malformed file: whatever parsed so far */
}

static bool endswith(const char *s, const char *suffix) {
        size_t l = strlen(s), sl = strlen(suffix);
        return l > sl && streq(s + l - sl, suffix);
}

int apt_sources_parse(AptSources *s, const char *name, const char *text, size_t size) {
        s->configured = true;
        if (endswith(name, ".sources"))
                return parse_deb822(s, text, size);
        return parse_one_line(s, text, size);
}

static int load_file(AptSources *s, int root_fd, const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r = root_read_file(root_fd, path, SOURCES_MAX, &text, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                s->unknown = true; /* unreadable: do not filter on a guess */
                return 0;
        }
        return apt_sources_parse(s, path, text, size);
}

int apt_sources_load(int root_fd, AptSources *ret) {
        _cleanup_(apt_sources_done) AptSources s = {};
        _cleanup_strv_free_ char **lists = NULL, **sources = NULL;
        int r;

        r = load_file(&s, root_fd, "/etc/apt/sources.list");
        if (r < 0)
                return r;
        if (apt_parts_list(root_fd, "/etc/apt/sources.list.d", "list", &lists, NULL) < 0 ||
            apt_parts_list(root_fd, "/etc/apt/sources.list.d", "sources", &sources, NULL) < 0)
                s.unknown = true;
        /* Unlike apt.conf.d, sources.list.d needs the extension. */
        for (char **n = lists; n && *n; n++)
                if (endswith(*n, ".list") && (r = load_file(&s, root_fd, *n)) < 0)
                        return r;
        for (char **n = sources; n && *n; n++)
                if (endswith(*n, ".sources") && (r = load_file(&s, root_fd, *n)) < 0)
                        return r;
        *ret = s;
        s = (AptSources) {};
        return 0;
}

bool apt_sources_wants(const AptSources *s, const char *list_name) {
        if (!s || !s->configured || s->unknown)
                return true;
        for (char **p = s->prefixes; p && *p; p++)
                if (strncmp(list_name, *p, strlen(*p)) == 0)
                        return true;
        return false;
}
