/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fs-util.h"
#include "macro.h"
#include "os-release.h"

#define OS_RELEASE_MAX (64u * 1024)

OsRelease *os_release_free(OsRelease *o) {
        if (!o)
                return NULL;
        free(o->id);
        free(o->id_like);
        free(o->version_id);
        free(o->version_codename);
        free(o->pretty_name);
        free(o);
        return NULL;
}

/* Unquotes a value as os-release(5) allows: "…" with \\ \" \$ \` escapes, '…', or bare. */
static char *unquote(const char *v, size_t len) {
        char *r = malloc(len + 1), *o = r;

        if (!r)
                return NULL;
        if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
                char q = v[0];
                for (size_t i = 1; i + 1 < len; i++) {
                        if (q == '"' && v[i] == '\\' && i + 2 < len && strchr("\\\"$`", v[i + 1]))
                                i++;
                        *o++ = v[i];
                }
        } else
                for (size_t i = 0; i < len; i++)
                        *o++ = v[i];
        *o = 0;
        return r;
}

int os_release_parse(const char *text, OsRelease **ret) {
        _cleanup_(os_release_freep) OsRelease *o = calloc(1, sizeof(OsRelease));
        const char *p = text;

        if (!o)
                return -ENOMEM;
        while (*p) {
                const char *eol = strchrnul(p, '\n'), *eq;
                size_t len = (size_t) (eol - p);
                static const struct {
                        const char *key;
                        size_t offset;
                } keys[] = {
                        { "ID", offsetof(OsRelease, id) },
                        { "ID_LIKE", offsetof(OsRelease, id_like) },
                        { "VERSION_ID", offsetof(OsRelease, version_id) },
                        { "VERSION_CODENAME", offsetof(OsRelease, version_codename) },
                        { "PRETTY_NAME", offsetof(OsRelease, pretty_name) },
                };

                while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' '))
                        len--;
                eq = memchr(p, '=', len);
                if (eq && *p != '#')
                        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                                size_t kl = strlen(keys[i].key);
                                char **field = (char **) ((char *) o + keys[i].offset);
                                if ((size_t) (eq - p) != kl || strncmp(p, keys[i].key, kl) != 0)
                                        continue;
                                free(*field);
                                *field = unquote(eq + 1, len - kl - 1);
                                if (!*field)
                                        return -ENOMEM;
                        }
                p = *eol ? eol + 1 : eol;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

int os_release_load(int root_fd, OsRelease **ret) {
        _cleanup_free_ char *text = NULL;
        int r = root_read_file(root_fd, "etc/os-release", OS_RELEASE_MAX, &text, NULL);

        if (r == -ENOENT)
                r = root_read_file(root_fd, "usr/lib/os-release", OS_RELEASE_MAX, &text, NULL);
        if (r < 0)
                return r;
        return os_release_parse(text, ret);
}
