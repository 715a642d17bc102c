/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apt-index-cache.h"
#include "cleanup.h"
#include "dpkg-status-cache.h"
#include "fs-util.h"
#include "macro.h"

#define NAME "status"

bool dpkg_status_same(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
               a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static bool is_dpkg(const AptIndexRecord *rec) {
        return rec->name_len == 4 && memcmp(rec->name, "dpkg", 4) == 0;
}

/* A record's field (not NUL-terminated) into buf, which the caller made large enough. */
static const char *copy_str(char *buf, const char *s, size_t len) {
        memcpy(buf, s, len);
        buf[len] = 0;
        return buf;
}

/* First pass: the native architecture, from the first "dpkg" record. */
static int find_arch(const AptIndexRecord *rec, void *userdata) {
        char *arch = userdata;
        if (arch[0] || !is_dpkg(rec))
                return 0;
        if (rec->arch_len >= 64)
                return -EBADMSG;
        copy_str(arch, rec->arch, rec->arch_len);
        return 0;
}

/* Second pass: the packages, with the limits dpkg_status_load() reads them with. */
static int add_package(const AptIndexRecord *rec, void *userdata) {
        AptCache *c = userdata;
        char name[256], arch[64], version[256];
        int r;

        if (rec->name_len >= sizeof(name) || rec->arch_len >= sizeof(arch) || rec->version_len >= sizeof(version) ||
            rec->size > 1 || rec->phased != 100)
                return -EBADMSG;
        r = apt_cache_add_installed(c, copy_str(name, rec->name, rec->name_len), copy_str(arch, rec->arch, rec->arch_len),
                                    copy_str(version, rec->version, rec->version_len), rec->size == 1, rec->hash);
        return r == -EEXIST ? -EBADMSG : r;
}

int dpkg_status_cache_parse(const void *data, size_t size, const struct stat *st, AptCache **ret) {
        _cleanup_(apt_cache_freep) AptCache *c = NULL;
        const char *hname = st ? NAME : NULL;
        AptIndexKey key;
        char arch[64] = "";
        int r;

        if (st)
                apt_index_key_from_stat(st, &key);
        r = apt_index_cache_parse(data, size, hname, st ? &key : NULL, find_arch, arch);
        if (r < 0)
                return r;
        if (!arch[0])
                return -EBADMSG;
        c = apt_cache_new(arch);
        if (!c)
                return -ENOMEM;
        r = apt_index_cache_parse(data, size, hname, st ? &key : NULL, add_package, c);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

typedef struct StatusLoad {
        const struct stat *st;
        AptCache **ret;
} StatusLoad;

static int status_parse(const char *data, size_t size, void *userdata) {
        StatusLoad *l = userdata;
        return dpkg_status_cache_parse(data, size, l->st, l->ret);
}

int dpkg_status_cache_load(const char *cache_dir, const struct stat *st, AptCache **ret) {
        _cleanup_free_ char *path = path_join(cache_dir, NAME);
        StatusLoad l = { st, ret };

        return path ? cache_file_load(path, APT_INDEX_CACHE_MAX, "dpkg status digest", status_parse, &l) : -ENOMEM;
}

void dpkg_status_cache_save(const char *cache_dir, const struct stat *st, const AptCache *c) {
        _cleanup_(apt_index_cache_writer_done) AptIndexCacheWriter w = {};
        AptIndexKey key;
        bool arch_told = false;
        int r;

        for (size_t i = 0; i < c->n_packages; i++) {
                const AptPackage *p = &c->packages[i];
                const AptVersion *v = NULL;

                if (!arch_told && streq(p->name, "dpkg")) {
                        if (!streq(p->arch, c->native_arch))
                                return;
                        arch_told = true;
                }
                for (size_t j = 0; j < p->n_versions && !v; j++)
                        if (p->versions[j].current)
                                v = &p->versions[j];
                if (!v)
                        return;
                AptIndexRecord rec = { .name = p->name, .name_len = strlen(p->name), .arch = p->arch,
                                       .arch_len = strlen(p->arch), .version = v->version,
                                       .version_len = strlen(v->version), .phased = 100, .hash = v->hash,
                                       .size = p->held };
                r = apt_index_cache_writer_add(&w, &rec);
                if (r < 0)
                        return;
        }
        if (!arch_told)
                return;
        apt_index_key_from_stat(st, &key);
        apt_index_cache_save(&w, cache_dir, NAME, NULL, &key);
}
