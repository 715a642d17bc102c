/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "macro.h"
#include "rpm-bdb.h"

#define HASH_MAGIC 0x00061561u
#define META_SIZE 512
#define PAGE_HEADER 26
/* Page types (BerkeleyDB db_page.h). */
#define P_HASH_UNSORTED 2
#define P_OVERFLOW 7
#define P_HASHMETA 8
#define P_HASH 13
/* Hash item types. */
#define H_KEYDATA 1
#define H_OFFPAGE 3

typedef struct Bdb {
        int fd;
        const uint8_t *mem;
        size_t size;
        bool swapped;
        uint32_t pagesize, lastpage, maxbucket, spares[32];
        uint64_t reads, max_reads; /* page reads, bounded: a damaged file may loop */
        uint8_t *page, *ovpage;
        uint8_t *value;            /* an overflow value, assembled */
        size_t value_alloc;
} Bdb;

static uint32_t u32(const Bdb *db, const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, 4);
        return db->swapped ? __builtin_bswap32(v) : v;
}

static uint16_t u16(const Bdb *db, const uint8_t *p) {
        uint16_t v;
        memcpy(&v, p, 2);
        return db->swapped ? __builtin_bswap16(v) : v;
}

static int read_at(Bdb *db, uint8_t *buf, size_t n, uint64_t off) {
        if (db->fd < 0) {
                if (off > db->size || db->size - off < n)
                        return -EBADMSG;
                memcpy(buf, db->mem + off, n);
                return 0;
        }
        ssize_t r = pread(db->fd, buf, n, (off_t) off);
        if (r < 0)
                return -errno;
        return (size_t) r == n ? 0 : -EBADMSG;
}

/* bdb_getpage: page pageno, which must say it is that page. */
static int get_page(Bdb *db, uint8_t *page, uint32_t pageno) {
        int k;

        if (pageno == 0 || pageno > db->lastpage || ++db->reads > db->max_reads)
                return -EBADMSG;
        if ((k = read_at(db, page, db->pagesize, (uint64_t) pageno * db->pagesize)) < 0)
                return k;
        return u32(db, page + 8) == pageno ? 0 : -EBADMSG;
}

static int open_meta(Bdb *db) {
        uint8_t meta[META_SIZE];
        int k;

        if ((k = read_at(db, meta, sizeof(meta), 0)) < 0)
                return k;
        uint32_t magic;
        memcpy(&magic, meta + 12, 4);
        if (magic != HASH_MAGIC && magic != __builtin_bswap32(HASH_MAGIC))
                return -EBADMSG;
        db->swapped = magic != HASH_MAGIC;
        uint32_t version = u32(db, meta + 16);
        if (version < 8 || version > 10)
                return -EPROTONOSUPPORT;
        db->pagesize = u32(db, meta + 20);
        db->lastpage = u32(db, meta + 32);
        db->maxbucket = u32(db, meta + 72);
        for (size_t i = 0; i < 32; i++)
                db->spares[i] = u32(db, meta + 96 + 4 * i);
        /* BerkeleyDB's page sizes: powers of two from 512 to 64 KiB. */
        if (db->pagesize < 512 || db->pagesize > 65536 || (db->pagesize & (db->pagesize - 1)))
                return -EBADMSG;
        /* The file's own size bounds what its meta page claims. */
        uint64_t size = db->size;
        struct stat st;
        if (db->fd >= 0) {
                if (fstat(db->fd, &st) < 0)
                        return -errno;
                size = (uint64_t) st.st_size;
        }
        if (size / db->pagesize == 0 || db->lastpage >= size / db->pagesize || db->maxbucket > db->lastpage)
                return -EBADMSG;
        /* Every page once per bucket chain and once per overflow chain is plenty; a loop in
         * a damaged file ends there. */
        db->max_reads = 4 * ((uint64_t) db->lastpage + 1) + 16;
        return 0;
}

static uint64_t bucket_page(const Bdb *db, uint32_t bucket) {
        unsigned i = 0;
        for (uint32_t b = bucket; b; b >>= 1)
                i++;
        return (uint64_t) bucket + db->spares[i];
}

/* The value of an H_OFFPAGE item: the chain of overflow pages from pageno, len bytes. */
static int get_overflow(Bdb *db, uint32_t pageno, uint32_t len, const uint8_t **ret) {
        int k;

        if (len == 0 || len > RPM_BDB_VALUE_MAX)
                return -EBADMSG;
        if (len > db->value_alloc) {
                uint8_t *n = realloc(db->value, len);
                if (!n)
                        return -ENOMEM;
                db->value = n;
                db->value_alloc = len;
        }
        for (uint32_t done = 0; done < len;) {
                if ((k = get_page(db, db->ovpage, pageno)) < 0)
                        return k;
                uint16_t plen = u16(db, db->ovpage + 22);
                if (db->ovpage[25] != P_OVERFLOW || plen == 0 || plen > db->pagesize - PAGE_HEADER || plen > len - done)
                        return -EBADMSG;
                memcpy(db->value + done, db->ovpage + PAGE_HEADER, plen);
                done += plen;
                pageno = u32(db, db->ovpage + 16);
        }
        *ret = db->value;
        return 0;
}

/* An item of the current page at off, len bytes: inline data or an overflow chain. */
static int get_item(Bdb *db, uint32_t off, uint32_t len, const uint8_t **ret, size_t *ret_len) {
        const uint8_t *p = db->page + off;

        if (len == 0 || off + len > db->pagesize)
                return -EBADMSG;
        if (p[0] == H_KEYDATA) {
                *ret = p + 1;
                *ret_len = len - 1;
                return 0;
        }
        if (p[0] == H_OFFPAGE && len == 12) {
                *ret_len = u32(db, p + 8);
                return get_overflow(db, u32(db, p + 4), (uint32_t) *ret_len, ret);
        }
        return -EBADMSG;
}

static int page_records(Bdb *db, RpmBdbFunc cb, void *userdata) {
        uint32_t n = u16(db, db->page + 20);
        int k;

        if (n > (db->pagesize - PAGE_HEADER) / 2)
                return -EBADMSG;
        for (uint32_t idx = 0; idx + 1 < n; idx += 2) {
                uint32_t koff = u16(db, db->page + PAGE_HEADER + 2 * idx);
                uint32_t voff = u16(db, db->page + PAGE_HEADER + 2 * (idx + 1));
                /* Items are stored from the page's end down: a key ends where the item
                 * before it (the previous value) starts. */
                uint32_t kend = idx == 0 ? db->pagesize : u16(db, db->page + PAGE_HEADER + 2 * (idx - 1));
                const uint8_t *key, *value;
                size_t klen, vlen;

                if (koff >= db->pagesize || voff >= koff || kend <= koff || kend > db->pagesize)
                        return -EBADMSG;
                if ((k = get_item(db, koff, kend - koff, &key, &klen)) < 0)
                        return k;
                if (klen != 4)
                        return -EBADMSG;
                uint32_t hdrnum = u32(db, key);
                if (hdrnum == 0)
                        continue;
                if ((k = get_item(db, voff, koff - voff, &value, &vlen)) < 0 || (k = cb(hdrnum, value, vlen, userdata)) < 0)
                        return k;
        }
        return 0;
}

int rpm_bdb_foreach(int fd, const uint8_t *mem, size_t size, RpmBdbFunc cb, void *userdata) {
        Bdb db = { .fd = fd, .mem = mem, .size = size };
        int k;

        if ((k = open_meta(&db)) < 0)
                return k;
        _cleanup_free_ uint8_t *page = malloc(db.pagesize), *ovpage = malloc(db.pagesize);
        if (!page || !ovpage)
                return -ENOMEM;
        db.page = page;
        db.ovpage = ovpage;
        k = 0;
        for (uint32_t bucket = 0; k >= 0 && bucket <= db.maxbucket; bucket++) {
                uint64_t pg = bucket_page(&db, bucket);
                while (k >= 0 && pg != 0) {
                        if (pg > UINT32_MAX || (k = get_page(&db, page, (uint32_t) pg)) < 0)
                                k = k < 0 ? k : -EBADMSG;
                        else if (page[25] != P_HASH && page[25] != P_HASH_UNSORTED && page[25] != P_HASHMETA)
                                k = -EBADMSG;
                        else if ((k = page_records(&db, cb, userdata)) >= 0)
                                pg = u32(&db, page + 16);
                }
        }
        free(db.value);
        return k < 0 ? k : 0;
}
