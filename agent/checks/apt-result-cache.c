/* SPDX-License-Identifier: MIT */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "apt-lists.h"
#include "apt-result-cache.h"
#include "cleanup.h"
#include "dpkg-status.h"
#include "fs-util.h"
#include "log.h"
#include "macro.h"
#include "parse-util.h"

/* Layout (host byte order):
 *   header: magic[8] "VGAPTRS\n", u32 format, u32 byte-order mark, u32 CRC-32 of the body
 *   body:   str key, str native_arch, u64 lists_newest, u8 automatic,
 *           u32 n, n × str warning; u32 n, n × str kernel;
 *           u32 n, n × (str name, arch, installed, candidate, origin ("": none), u8 held,
 *           u8 phased)
 *   str:    u32 length, then that many bytes (no NUL) */
#define MAGIC "VGAPTRS\n"
#define FORMAT 1u
#define BOM 0x01020304u
#define HEADER_SIZE 20u

/* Every file apt_state_load() reads, and every directory it lists (their entries with
 * them): a change to any of them is a change of the result. */
static const char *const input_files[] = {
        DPKG_STATUS_PATH, "/var/lib/dpkg/arch", "/etc/apt/apt.conf", "/etc/apt/preferences", "/etc/apt/sources.list",
};
static const char *const input_dirs[] = {
        "/etc/apt/apt.conf.d", "/etc/apt/preferences.d", "/etc/apt/sources.list.d", APT_LISTS_DIR,
};

AptResult *apt_result_free(AptResult *r) {
        if (!r)
                return NULL;
        free(r->native_arch);
        strv_free(r->warnings);
        strv_free(r->kernels);
        for (size_t i = 0; i < r->n_updates; i++) {
                AptResultUpdate *u = &r->updates[i];
                free(u->name);
                free(u->arch);
                free(u->installed);
                free(u->candidate);
                free(u->origin);
        }
        free(r->updates);
        free(r);
        return NULL;
}

/* strv_push() that frees value when it cannot take it. */
static int push(char ***l, char *value) {
        int r;

        if (!value)
                return -ENOMEM;
        r = strv_push(l, value);
        if (r < 0)
                free(value);
        return r;
}

typedef struct Key {
        int64_t now_ns;
        bool racy;
} Key;

/* One input's identity, "dev:ino:size:mode:mtime:ctime" (ns) or "-errno". */
static char *stat_text(Key *k, int r, const struct stat *st) {
        char *s;

        if (r < 0)
                return asprintf(&s, "%d", r) < 0 ? NULL : s;
        int64_t m = (int64_t) st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
        int64_t c = (int64_t) st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
        if (MAX(m, c) > k->now_ns - 1000000000)
                k->racy = true;
        return asprintf(&s, "%" PRIu64 ":%" PRIu64 ":%" PRIi64 ":%o:%" PRIi64 ":%" PRIi64, (uint64_t) st->st_dev,
                        (uint64_t) st->st_ino, (int64_t) st->st_size, (unsigned) st->st_mode, m, c) < 0 ? NULL : s;
}

/* "LEN:NAME IDENTITY\n": the length keeps a name with a newline from passing for another. */
static int add_line(Key *k, char ***lines, const char *name, int r, const struct stat *st) {
        _cleanup_free_ char *t = stat_text(k, r, st);
        char *line;

        if (!t || asprintf(&line, "%zu:%s %s\n", strlen(name), name, t) < 0)
                return -ENOMEM;
        return push(lines, line);
}

static int line_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* A directory and each entry in it: the entry itself, and what it resolves to both ways
 * the loaders open it (the configuration parts inside the root, the lists relative to
 * their directory). */
static int add_dir(Key *k, int root_fd, const char *dir, char ***lines) {
        _cleanup_closedir_ DIR *d = NULL;
        _cleanup_strv_free_ char **entries = NULL;
        struct dirent *de;
        struct stat st;
        int r;

        r = root_opendir(root_fd, dir, &d);
        if (r < 0)
                return add_line(k, lines, dir, r, NULL);
        r = add_line(k, lines, dir, fstat(dirfd(d), &st) < 0 ? -errno : 0, &st);
        if (r < 0)
                return r;
        for (errno = 0; (de = readdir(d)); errno = 0) {
                _cleanup_free_ char *path = NULL;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                path = path_join(dir, de->d_name);
                if (!path)
                        return -ENOMEM;
                int e = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
                if ((r = add_line(k, &entries, path, e, &st)) < 0)
                        return r;
                if (e < 0 || !S_ISLNK(st.st_mode))
                        continue;
                r = fstatat(dirfd(d), de->d_name, &st, 0) < 0 ? -errno : 0;
                if ((r = add_line(k, &entries, path, r, &st)) < 0)
                        return r;
                r = root_stat(root_fd, path, &st);
                if ((r = add_line(k, &entries, path, r, &st)) < 0)
                        return r;
        }
        if (errno != 0) {
                /* A listing cut short cannot vouch for what it missed. */
                k->racy = true;
                if ((r = add_line(k, &entries, dir, -errno, NULL)) < 0)
                        return r;
        }
        if (entries)
                qsort(entries, strv_length(entries), sizeof(char *), line_cmp);
        char *all = strv_join(entries, "");
        return push(lines, all);
}

static size_t align_to(size_t n, size_t a) {
        return (n + a - 1) & ~(a - 1);
}

/* The GNU build ID of the main program (dl_iterate_phdr() reports it first) in hex into
 * userdata (2 × 64 + 1 bytes), left empty when it has none. */
static int find_build_id(struct dl_phdr_info *info, size_t size, void *userdata) {
        char *hex = userdata;

        (void) size;
        for (size_t i = 0; i < info->dlpi_phnum; i++) {
                const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
                size_t align = ph->p_align == 8 ? 8 : 4;

                if (ph->p_type != PT_NOTE)
                        continue;
                const uint8_t *p = (const uint8_t *) (info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
                while ((size_t) (end - p) >= sizeof(ElfW(Nhdr))) {
                        ElfW(Nhdr) n;
                        memcpy(&n, p, sizeof(n));
                        size_t name_size = align_to((size_t) n.n_namesz, align);
                        size_t desc_size = align_to((size_t) n.n_descsz, align);
                        const uint8_t *name = p + sizeof(n);
                        if ((size_t) (end - name) < name_size || (size_t) (end - name - name_size) < desc_size)
                                break;
                        const uint8_t *desc = name + name_size;
                        if (n.n_type == NT_GNU_BUILD_ID && n.n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
                            n.n_descsz > 0 && n.n_descsz <= 64) {
                                for (size_t j = 0; j < n.n_descsz; j++)
                                        snprintf(hex + 2 * j, 3, "%02x", desc[j]);
                                return 1;
                        }
                        p = desc + desc_size;
                }
        }
        return 1;
}

int apt_result_key(int root_fd, char **ret_key, bool *ret_racy) {
        _cleanup_strv_free_ char **lines = NULL;
        struct timespec ts;
        struct stat st;
        Key k = {};
        int r;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return -errno;
        k.now_ns = (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
        /* The code: another build may compute another result from the same inputs. A binary
         * linked without a build ID cannot tell, so nothing is kept. */
        char id[2 * 64 + 1] = "";
        (void) dl_iterate_phdr(find_build_id, id);
        if (!id[0])
                k.racy = true;
        char *line;
        if (asprintf(&line, "build-id %s\n", id) < 0 || (r = push(&lines, line)) < 0)
                return -ENOMEM;
        r = fstat(root_fd, &st) < 0 ? -errno : 0;
        if ((r = add_line(&k, &lines, "root", r, &st)) < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(input_files); i++) {
                r = root_stat(root_fd, input_files[i], &st);
                if ((r = add_line(&k, &lines, input_files[i], r, &st)) < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(input_dirs); i++)
                if ((r = add_dir(&k, root_fd, input_dirs[i], &lines)) < 0)
                        return r;
        char *key = strv_join(lines, "");
        if (!key)
                return -ENOMEM;
        *ret_key = key;
        *ret_racy = k.racy;
        return 0;
}

static void put(FILE *f, const void *p, size_t n) {
        fwrite(p, 1, n, f);
}

static void put_u32(FILE *f, uint32_t v) {
        put(f, &v, sizeof(v));
}

static void put_str(FILE *f, const char *s) {
        size_t l = s ? strlen(s) : 0;
        put_u32(f, (uint32_t) MIN(l, (size_t) UINT32_MAX));
        if (l > 0)
                put(f, s, l);
}

static void put_strv(FILE *f, char *const *l) {
        put_u32(f, (uint32_t) strv_length(l));
        for (char *const *i = l; i && *i; i++)
                put_str(f, *i);
}

int apt_result_serialize(const AptResult *r, const char *key, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        uint64_t u64 = r->lists_newest;
        uint8_t u8;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        put(f, MAGIC, 8);
        put_u32(f, FORMAT);
        put_u32(f, BOM);
        put_u32(f, 0); /* the CRC, below */
        put_str(f, key);
        put_str(f, r->native_arch);
        put(f, &u64, sizeof(u64));
        u8 = r->automatic;
        put(f, &u8, 1);
        put_strv(f, r->warnings);
        put_strv(f, r->kernels);
        put_u32(f, (uint32_t) r->n_updates);
        for (size_t i = 0; i < r->n_updates; i++) {
                const AptResultUpdate *u = &r->updates[i];
                uint8_t small[2] = { u->held, (uint8_t) u->phased };
                put_str(f, u->name);
                put_str(f, u->arch);
                put_str(f, u->installed);
                put_str(f, u->candidate);
                put_str(f, u->origin);
                put(f, small, 2);
        }
        bool failed = ferror(f);
        if (fclose(f) != 0 || failed || !buf)
                return -ENOMEM;
        if (size > APT_RESULT_CACHE_MAX)
                return -E2BIG;
        uint32_t crc = (uint32_t) crc32_z(0, (const Bytef *) buf + HEADER_SIZE, size - HEADER_SIZE);
        memcpy(buf + 16, &crc, sizeof(crc));
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}

typedef struct Cursor {
        const uint8_t *p, *end;
} Cursor;

static int get(Cursor *c, void *v, size_t n) {
        if ((size_t) (c->end - c->p) < n)
                return -EBADMSG;
        memcpy(v, c->p, n);
        c->p += n;
        return 0;
}

/* A string of the body: bytes without NUL, non-empty unless empty_ok. */
static int get_str(Cursor *c, bool empty_ok, char **ret) {
        uint32_t l;
        char *s;

        if (get(c, &l, sizeof(l)) < 0 || (size_t) (c->end - c->p) < l || (l == 0 && !empty_ok) || memchr(c->p, 0, l))
                return -EBADMSG;
        s = strndup((const char *) c->p, l);
        if (!s)
                return -ENOMEM;
        c->p += l;
        *ret = s;
        return 0;
}

/* A count of items of at least min bytes each: no more than the rest can hold. */
static int get_count(Cursor *c, size_t min, uint32_t *ret) {
        if (get(c, ret, sizeof(*ret)) < 0 || *ret > (size_t) (c->end - c->p) / min)
                return -EBADMSG;
        return 0;
}

static int get_strv(Cursor *c, char ***ret) {
        uint32_t n;
        int r;

        if (get_count(c, sizeof(uint32_t) + 1, &n) < 0)
                return -EBADMSG;
        for (uint32_t i = 0; i < n; i++) {
                char *s;
                if ((r = get_str(c, false, &s)) < 0 || (r = push(ret, s)) < 0)
                        return r;
        }
        return 0;
}

int apt_result_parse(const void *data, size_t size, const char *key, AptResult **ret) {
        _cleanup_(apt_result_freep) AptResult *res = NULL;
        _cleanup_free_ char *k = NULL;
        Cursor c = { (const uint8_t *) data + HEADER_SIZE, (const uint8_t *) data + size };
        uint32_t v, n;
        uint64_t u64;
        uint8_t u8;
        int r;

        if (size < HEADER_SIZE || memcmp(data, MAGIC, 8) != 0)
                return -EBADMSG;
        memcpy(&v, (const uint8_t *) data + 8, sizeof(v));
        if (v != FORMAT)
                return -EBADMSG;
        memcpy(&v, (const uint8_t *) data + 12, sizeof(v));
        if (v != BOM)
                return -EBADMSG;
        memcpy(&v, (const uint8_t *) data + 16, sizeof(v));
        if (v != (uint32_t) crc32_z(0, c.p, size - HEADER_SIZE))
                return -EBADMSG;
        if ((r = get_str(&c, false, &k)) < 0)
                return r;
        if (key && !streq(k, key))
                return -ESTALE;
        res = calloc(1, sizeof(AptResult));
        if (!res)
                return -ENOMEM;
        if ((r = get_str(&c, false, &res->native_arch)) < 0)
                return r;
        if (get(&c, &u64, sizeof(u64)) < 0 || get(&c, &u8, 1) < 0 || u8 > 1)
                return -EBADMSG;
        res->lists_newest = u64;
        res->automatic = u8;
        if ((r = get_strv(&c, &res->warnings)) < 0 || (r = get_strv(&c, &res->kernels)) < 0)
                return r;
        if (get_count(&c, 5 * sizeof(uint32_t) + 2, &n) < 0)
                return -EBADMSG;
        res->updates = calloc(n + 1, sizeof(AptResultUpdate));
        if (!res->updates)
                return -ENOMEM;
        while (res->n_updates < n) {
                /* Counted before it is filled: a failure half-way frees what it holds. */
                AptResultUpdate *u = &res->updates[res->n_updates++];
                uint8_t small[2];
                if ((r = get_str(&c, false, &u->name)) < 0 || (r = get_str(&c, false, &u->arch)) < 0 ||
                    (r = get_str(&c, false, &u->installed)) < 0 || (r = get_str(&c, false, &u->candidate)) < 0 ||
                    (r = get_str(&c, true, &u->origin)) < 0)
                        return r;
                if (get(&c, small, 2) < 0 || small[0] > 1 || small[1] > 100)
                        return -EBADMSG;
                u->held = small[0];
                u->phased = small[1];
                if (!u->origin[0]) {
                        free(u->origin);
                        u->origin = NULL;
                }
        }
        if (c.p != c.end)
                return -EBADMSG;
        *ret = TAKE_PTR(res);
        return 0;
}

typedef struct ResultLoad {
        const char *key;
        AptResult **ret;
} ResultLoad;

static int result_parse(const char *data, size_t size, void *userdata) {
        ResultLoad *l = userdata;
        return apt_result_parse(data, size, l->key, l->ret);
}

int apt_result_load(const char *cache_dir, const char *key, AptResult **ret) {
        _cleanup_free_ char *path = path_join(cache_dir, APT_RESULT_CACHE_FILE);
        ResultLoad l = { key, ret };

        return path ? cache_file_load(path, APT_RESULT_CACHE_MAX, "apt result", result_parse, &l) : -ENOMEM;
}

void apt_result_save(const char *cache_dir, const char *key, const AptResult *res) {
        _cleanup_free_ char *path = path_join(cache_dir, APT_RESULT_CACHE_FILE), *data = NULL;
        size_t size;
        int r;

        if (!path)
                return;
        r = apt_result_serialize(res, key, &data, &size);
        if (r >= 0)
                r = mkdir_p(cache_dir, 0700);
        if (r >= 0)
                r = write_cache_file(path, data, size, 0600); /* checked on load (crc32) */
        if (r < 0)
                log_debug_errno(r, "Cannot write the apt result \"%s\": %m", path);
}
