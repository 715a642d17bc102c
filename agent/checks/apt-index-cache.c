/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "apt-index-cache.h"
#include "cleanup.h"
#include "fs-util.h"
#include "log.h"
#include "macro.h"

/* Layout (host byte order):
 *   header: magic[8] "VGAPTIX\n", u32 format, u32 byte-order mark, u64 dev, ino, size,
 *           i64 mtime_sec, mtime_nsec, ctime_sec, ctime_nsec, u32 name_len, u32 n_records, u64 payload_size,
 *           u32 crc (CRC-32 of the file with this field zero), u32 zero
 *   name:   name_len bytes (the list's file name)
 *   records: u64 size, u32 hash, u16 name_len, u8 arch_len, u8 version_len, u8 phased,
 *           then the name, architecture and version bytes */
#define MAGIC "VGAPTIX\n"
#define FORMAT 2u /* 1: no ctime in the key */
#define BOM 0x01020304u
#define HEADER_SIZE APT_INDEX_CACHE_HEADER_SIZE
#define OFF_FORMAT 8
#define OFF_BOM 12
#define OFF_KEY 16
#define OFF_NAME_LEN 72
#define OFF_N 76
#define OFF_PAYLOAD 80
#define OFF_CRC APT_INDEX_CACHE_OFF_CRC
#define RECORD_HEAD 17u

_Static_assert(sizeof(AptIndexKey) == OFF_NAME_LEN - OFF_KEY, "the key is read back with one memcpy");
_Static_assert(OFF_CRC + 8 == HEADER_SIZE, "the CRC and a zero word end the header");

void apt_index_key_from_stat(const struct stat *st, AptIndexKey *ret) {
        *ret = (AptIndexKey) { .dev = (uint64_t) st->st_dev, .ino = (uint64_t) st->st_ino,
                               .size = (uint64_t) st->st_size, .mtime_sec = (int64_t) st->st_mtim.tv_sec,
                               .mtime_nsec = (int64_t) st->st_mtim.tv_nsec,
                               .ctime_sec = (int64_t) st->st_ctim.tv_sec,
                               .ctime_nsec = (int64_t) st->st_ctim.tv_nsec };
}

static void put(uint8_t *p, const void *v, size_t n) {
        memcpy(p, v, n);
}

static uint32_t get32(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return v;
}

static uint64_t get64(const uint8_t *p) {
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        return v;
}

void apt_index_cache_writer_done(AptIndexCacheWriter *w) {
        free(w->buf);
        *w = (AptIndexCacheWriter) {};
}

static int reserve(AptIndexCacheWriter *w, size_t more) {
        if (w->len + more <= w->cap)
                return 0;
        size_t cap = MAX(w->cap * 2, w->len + more + 64 * 1024);
        uint8_t *b = realloc(w->buf, cap);
        if (!b)
                return -ENOMEM;
        w->buf = b;
        w->cap = cap;
        return 0;
}

int apt_index_cache_writer_add(AptIndexCacheWriter *w, const AptIndexRecord *rec) {
        size_t n = RECORD_HEAD + rec->name_len + rec->arch_len + rec->version_len;

        if (w->unusable)
                return 0;
        if (rec->name_len == 0 || rec->name_len > UINT16_MAX || rec->arch_len == 0 || rec->arch_len > UINT8_MAX ||
            rec->version_len == 0 || rec->version_len > UINT8_MAX || rec->phased < 0 || rec->phased > 100 ||
            w->n == UINT32_MAX || w->len + n > APT_INDEX_CACHE_MAX) {
                w->unusable = true;
                return 0;
        }
        if (w->len == 0 && reserve(w, HEADER_SIZE) == 0)
                w->len = HEADER_SIZE;
        if (w->len == 0 || reserve(w, n) < 0)
                return -ENOMEM;
        uint8_t *p = w->buf + w->len;
        uint16_t nl = (uint16_t) rec->name_len;
        uint8_t small[3] = { (uint8_t) rec->arch_len, (uint8_t) rec->version_len, (uint8_t) rec->phased };
        put(p, &rec->size, 8);
        put(p + 8, &rec->hash, 4);
        put(p + 12, &nl, 2);
        put(p + 14, small, 3);
        p += RECORD_HEAD;
        memcpy(p, rec->name, rec->name_len);
        memcpy(p + rec->name_len, rec->arch, rec->arch_len);
        memcpy(p + rec->name_len + rec->arch_len, rec->version, rec->version_len);
        w->len += n;
        w->n++;
        return 0;
}

static uint32_t file_crc(const uint8_t *data, size_t size) {
        static const uint8_t zero[4] = {};
        uLong crc = crc32_z(0, data, OFF_CRC);
        crc = crc32_z(crc, zero, sizeof(zero));
        return (uint32_t) crc32_z(crc, data + OFF_CRC + 4, size - OFF_CRC - 4);
}

int apt_index_cache_writer_finish(AptIndexCacheWriter *w, const char *name, const AptIndexKey *key,
                                  const uint8_t **ret_data, size_t *ret_size) {
        size_t name_len = strlen(name), payload;
        uint32_t v;
        uint64_t u;

        if (w->unusable || name_len == 0 || name_len > 4096)
                return -E2BIG;
        if (w->len == 0 && reserve(w, HEADER_SIZE) == 0)
                w->len = HEADER_SIZE;
        if (w->len == 0 || reserve(w, name_len) < 0)
                return -ENOMEM;
        /* The name goes between header and records. */
        payload = w->len - HEADER_SIZE;
        memmove(w->buf + HEADER_SIZE + name_len, w->buf + HEADER_SIZE, payload);
        memcpy(w->buf + HEADER_SIZE, name, name_len);
        w->len += name_len;

        memset(w->buf, 0, HEADER_SIZE);
        memcpy(w->buf, MAGIC, 8);
        v = FORMAT;
        put(w->buf + OFF_FORMAT, &v, 4);
        v = BOM;
        put(w->buf + OFF_BOM, &v, 4);
        put(w->buf + OFF_KEY, &key->dev, 8);
        put(w->buf + OFF_KEY + 8, &key->ino, 8);
        put(w->buf + OFF_KEY + 16, &key->size, 8);
        put(w->buf + OFF_KEY + 24, &key->mtime_sec, 8);
        put(w->buf + OFF_KEY + 32, &key->mtime_nsec, 8);
        put(w->buf + OFF_KEY + 40, &key->ctime_sec, 8);
        put(w->buf + OFF_KEY + 48, &key->ctime_nsec, 8);
        v = (uint32_t) name_len;
        put(w->buf + OFF_NAME_LEN, &v, 4);
        put(w->buf + OFF_N, &w->n, 4);
        u = payload;
        put(w->buf + OFF_PAYLOAD, &u, 8);
        v = file_crc(w->buf, w->len);
        put(w->buf + OFF_CRC, &v, 4);
        *ret_data = w->buf;
        *ret_size = w->len;
        return 0;
}

/* The record at *pos, bounds-checked; advances *pos. */
static int next_record(const uint8_t *end, const uint8_t **pos, AptIndexRecord *ret) {
        const uint8_t *q = *pos;
        uint16_t nl;

        if ((size_t) (end - q) < RECORD_HEAD)
                return -EBADMSG;
        memcpy(&ret->size, q, 8);
        memcpy(&ret->hash, q + 8, 4);
        memcpy(&nl, q + 12, 2);
        ret->name_len = nl;
        ret->arch_len = q[14];
        ret->version_len = q[15];
        ret->phased = q[16];
        q += RECORD_HEAD;
        size_t total = ret->name_len + ret->arch_len + ret->version_len;
        if (ret->name_len == 0 || ret->arch_len == 0 || ret->version_len == 0 || ret->phased > 100 ||
            (size_t) (end - q) < total || memchr(q, 0, total))
                return -EBADMSG;
        ret->name = (const char *) q;
        ret->arch = ret->name + ret->name_len;
        ret->version = ret->arch + ret->arch_len;
        *pos = q + total;
        return 0;
}

int apt_index_cache_parse(const void *data, size_t size, const char *name, const AptIndexKey *key,
                          AptIndexRecordFunc cb, void *userdata) {
        const uint8_t *d = data, *end = d + size, *pos;
        AptIndexRecord rec;
        AptIndexKey k;
        uint32_t name_len, n;
        uint64_t payload;
        int r;

        if (size < HEADER_SIZE || memcmp(d, MAGIC, 8) != 0 || get32(d + OFF_FORMAT) != FORMAT ||
            get32(d + OFF_BOM) != BOM)
                return -EBADMSG;
        name_len = get32(d + OFF_NAME_LEN);
        n = get32(d + OFF_N);
        payload = get64(d + OFF_PAYLOAD);
        if (name_len > size - HEADER_SIZE || payload != size - HEADER_SIZE - name_len ||
            get32(d + OFF_CRC + 4) != 0)
                return -EBADMSG;
        memcpy(&k, d + OFF_KEY, sizeof(k));
        if ((name && (strlen(name) != name_len || memcmp(name, d + HEADER_SIZE, name_len) != 0)) ||
            (key && memcmp(&k, key, sizeof(k)) != 0))
                return -ESTALE;
        if (file_crc(d, size) != get32(d + OFF_CRC))
                return -EBADMSG;
        /* Every record is checked before the first one is used: all or nothing. */
        pos = d + HEADER_SIZE + name_len;
        for (uint32_t i = 0; i < n; i++)
                if (next_record(end, &pos, &rec) < 0)
                        return -EBADMSG;
        if (pos != end)
                return -EBADMSG;
        pos = d + HEADER_SIZE + name_len;
        for (uint32_t i = 0; i < n; i++) {
                (void) next_record(end, &pos, &rec);
                r = cb(&rec, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The name a digest's header carries: the file's, followed by the scope when there is one
 * (a newline cannot be in a file name of the lists directory, so the two cannot meet). */
static char *header_name(const char *name, const char *scope) {
        char *s;
        if (!scope)
                return strdup(name);
        return asprintf(&s, "%s\n%s", name, scope) < 0 ? NULL : s;
}

int apt_index_cache_load(const char *cache_dir, const char *name, const char *scope, const AptIndexKey *key,
                         AptIndexRecordFunc cb, void *userdata) {
        _cleanup_free_ char *path = path_join(cache_dir, name), *hname = header_name(name, scope);
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        if (!path || !hname)
                return -ENOMEM;
        /* Mapped, not read: no copy of megabytes into memory of our own. Digests are only
         * ever replaced by rename, never rewritten in place, so the mapping stays whole.
         * Non-blocking: a FIFO put there must not hang the run. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
            (uint64_t) st.st_size > APT_INDEX_CACHE_MAX) {
                if (fd >= 0 || errno != ENOENT)
                        log_debug("Cannot use the index digest \"%s\", reading its file.", path);
                return 0;
        }
        void *data = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (data == MAP_FAILED)
                return errno == ENOMEM ? -ENOMEM : 0;
        (void) madvise(data, (size_t) st.st_size, MADV_SEQUENTIAL);
        r = apt_index_cache_parse(data, (size_t) st.st_size, hname, key, cb, userdata);
        (void) munmap(data, (size_t) st.st_size);
        if (r == -EBADMSG || r == -ESTALE) {
                log_debug("The index digest \"%s\" is %s, reading its file.", path,
                          r == -ESTALE ? "out of date" : "damaged");
                return 0;
        }
        return r < 0 ? r : 1;
}

void apt_index_cache_save(AptIndexCacheWriter *w, const char *cache_dir, const char *name, const char *scope,
                          const AptIndexKey *key) {
        _cleanup_free_ char *path = path_join(cache_dir, name), *hname = header_name(name, scope);
        const uint8_t *data;
        size_t size;
        int r;

        if (!path || !hname)
                return;
        r = apt_index_cache_writer_finish(w, hname, key, &data, &size);
        if (r >= 0)
                r = mkdir_p(cache_dir, 0700);
        if (r >= 0)
                r = write_cache_file(path, data, size, 0600); /* checked on load (crc32) */
        if (r < 0)
                log_debug_errno(r, "Cannot write the index digest \"%s\": %m", path);
}
