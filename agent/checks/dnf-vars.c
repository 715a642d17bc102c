/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "dnf-vars.h"
#include "fs-util.h"
#include "macro.h"
#include "parse-util.h"

#define RPMSENSE_EQUAL 8u

void dnf_vars_done(DnfVars *v) {
        for (size_t i = 0; i < v->n; i++) {
                free(v->names[i]);
                free(v->values[i]);
        }
        free(v->names);
        free(v->values);
        *v = (DnfVars) {};
}

const char *dnf_vars_get(const DnfVars *v, const char *name) {
        for (size_t i = 0; i < v->n; i++)
                if (streq(v->names[i], name))
                        return v->values[i];
        return NULL;
}

int dnf_vars_set(DnfVars *v, const char *name, const char *value) {
        char *nv = strdup(value);
        if (!nv)
                return -ENOMEM;
        for (size_t i = 0; i < v->n; i++)
                if (streq(v->names[i], name)) {
                        free(v->values[i]);
                        v->values[i] = nv;
                        return 0;
                }
        if (v->n >= DNF_VARS_MAX) {
                free(nv);
                return -E2BIG;
        }
        char **n = reallocarray(v->names, v->n + 1, sizeof(char *)), **l;
        if (n)
                v->names = n;
        l = n ? reallocarray(v->values, v->n + 1, sizeof(char *)) : NULL;
        if (l)
                v->values = l;
        if (!n || !l || !(v->names[v->n] = strdup(name))) {
                free(nv);
                return -ENOMEM;
        }
        v->values[v->n++] = nv;
        return 0;
}

static bool is_name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static int load_dir(DnfVars *v, int root_fd, const char *dir) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int k;

        if (root_opendir(root_fd, dir, &d) < 0)
                return 0;
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                size_t l = strlen(de->d_name), size;

                if (strspn(de->d_name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != l)
                        continue;
                if (!(path = path_join(dir, de->d_name)))
                        return -ENOMEM;
                /* A directory or an unreadable file is no variable, as for dnf. */
                if (root_read_file(root_fd, path, DNF_VAR_VALUE_MAX, &text, &size) < 0)
                        continue;
                text[strcspn(text, "\n")] = 0;
                if ((k = dnf_vars_set(v, de->d_name, text)) < 0)
                        return k;
        }
        return 0;
}

int dnf_vars_load_dirs(DnfVars *v, int root_fd) {
        int k = load_dir(v, root_fd, "/etc/yum/vars");
        return k < 0 ? k : load_dir(v, root_fd, "/etc/dnf/vars");
}

const char *dnf_basearch(const char *arch) {
        static const struct {
                const char *base, *arches;
        } table[] = {
                { "i386", " i386 athlon geode i486 i586 i686 " },
                { "x86_64", " amd64 ia32e " },
                { "arm", " armv5tejl armv5tel armv5tl armv6l armv7l armv8l " },
                { "armhfp", " armv6hl armv7hl armv7hnl armv8hl " },
                { "alpha", " alphaev4 alphaev45 alphaev5 alphaev56 alphaev6 alphaev67 alphaev68 alphaev7 alphapca56 " },
                { "ppc64", " ppc64iseries ppc64p7 ppc64pseries " },
                { "sh4", " sh4a " },
                { "sparc", " sparc64 sparc64v sparcv8 sparcv9 sparcv9v " },
        };
        char key[64];

        if (snprintf(key, sizeof(key), " %s ", arch) >= (int) sizeof(key))
                return arch;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strstr(table[i].arches, key))
                        return table[i].base;
        return arch;
}

/* libdnf 0.69 ConfigParser::substitute, one pass left to right: a substituted value is
 * not scanned again. */
int dnf_vars_substitute(const DnfVars *v, const char *text, char **ret) {
        size_t len = strlen(text), cap = len + 1, out = 0, i = 0;
        _cleanup_free_ char *buf = malloc(cap);

        if (!buf)
                return -ENOMEM;
        while (i < len) {
                const char *value = NULL;
                size_t skip = 1;

                if (text[i] == '$' && i + 1 < len) {
                        bool bracket = text[i + 1] == '{';
                        size_t start = i + 1 + bracket, end = start;
                        while (end < len && is_name_char(text[end]))
                                end++;
                        if (!bracket || (end < len && text[end] == '}')) {
                                char name[256];
                                if (end - start < sizeof(name)) {
                                        memcpy(name, text + start, end - start);
                                        name[end - start] = 0;
                                        value = dnf_vars_get(v, name);
                                }
                                skip = value ? end + bracket - i : 1;
                        }
                }
                const char *src = value ? value : text + i;
                size_t n = value ? strlen(value) : skip;
                if (out + n + (len - i - skip) + 1 > cap) {
                        size_t want = out + n + (len - i - skip) + 1;
                        if (want > DNF_SUBSTITUTED_MAX)
                                return -E2BIG;
                        cap = MAX(want, MIN(cap * 2, (size_t) DNF_SUBSTITUTED_MAX));
                        char *nb = realloc(buf, cap);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                }
                memcpy(buf + out, src, n);
                out += n;
                i += skip;
        }
        buf[out] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

static const char *const distroverpkg[] = {
        "system-release(releasever)", "system-release", "distribution-release(releasever)",
        "distribution-release", "redhat-release", "suse-release",
};

void dnf_releasever_done(DnfReleasever *r) {
        for (size_t i = 0; i < ELEMENTSOF(r->found); i++)
                free(r->found[i]), r->found[i] = NULL;
}

int dnf_releasever_add(DnfReleasever *r, const RpmHeaderInfo *h) {
        for (size_t i = 0; i < ELEMENTSOF(distroverpkg); i++) {
                const char *version;
                uint32_t flags;

                if (r->found[i] || rpm_header_provide(h, distroverpkg[i], &flags, &version) < 0)
                        continue;
                /* dnf: the package's version, or the provide's when it says "= VERSION"
                 * and the package is not itself named so. */
                const char *v = flags == RPMSENSE_EQUAL && *version && !streq(h->name, distroverpkg[i])
                                        ? version : h->version;
                if (!(r->found[i] = strdup(v)))
                        return -ENOMEM;
        }
        return 0;
}

const char *dnf_releasever_get(const DnfReleasever *r) {
        for (size_t i = 0; i < ELEMENTSOF(r->found); i++)
                if (r->found[i])
                        return r->found[i];
        return NULL;
}
