/* SPDX-License-Identifier: MIT */
/* GVDB, as glib's gvdb-reader.c reads it (the format is documented in gvdb-format.h):
 *   header   "GVar" "iant" u32 version=0 u32 options  {u32 start, end} root
 *   table    u32 n_bloom_words (low 27 bits; high 5: bloom shift)  u32 n_buckets
 *            u32 bloom[n_bloom] u32 buckets[n_buckets]  item[] up to the table's end
 *   item     u32 hash  u32 parent (0xffffffff: none)  u32 key_start  u16 key_size
 *            u8 type  u8 unused  {u32 start, end} value   (24 bytes)
 * A name is the concatenation of the keys up its parent chain; a lookup hashes the whole
 * name (djb, signed chars) and scans the items of its bucket. */
#include <errno.h>
#include <string.h>

#include "gvdb.h"

#define HEADER_SIZE 24
#define ITEM_SIZE 24
#define PARENT_NONE 0xffffffffu
/* dconf's names are a few hundred bytes; a deeper chain is a loop or a forgery. */
#define CHAIN_MAX 256

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static uint16_t le16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}

/* A {start, end} pointer into the file, aligned; NULL when it points outside. */
static const uint8_t *deref(const uint8_t *data, size_t size, const uint8_t *pointer, uint32_t align,
                            size_t *ret_size) {
        uint32_t start = le32(pointer), end = le32(pointer + 4);

        if (start > end || end > size || (start & (align - 1)))
                return NULL;
        *ret_size = end - start;
        return data + start;
}

static int setup_table(const uint8_t *data, size_t size, const uint8_t *pointer, GvdbTable *ret) {
        const uint8_t *h;
        size_t n;
        uint32_t words, buckets;

        h = deref(data, size, pointer, 4, &n);
        if (!h || n < 8)
                return -EBADMSG;
        words = le32(h) & ((1u << 27) - 1);
        buckets = le32(h + 4);
        n -= 8;
        if ((uint64_t) words * 4 > n)
                return -EBADMSG;
        n -= (size_t) words * 4;
        if ((uint64_t) buckets * 4 > n)
                return -EBADMSG;
        n -= (size_t) buckets * 4;
        if (n % ITEM_SIZE)
                return -EBADMSG;
        *ret = (GvdbTable) {
                .data = data,
                .size = size,
                .bloom = h + 8,
                .n_bloom = words,
                .bloom_shift = le32(h) >> 27,
                .buckets = h + 8 + (size_t) words * 4,
                .n_buckets = buckets,
                .items = h + 8 + (size_t) words * 4 + (size_t) buckets * 4,
                .n_items = (uint32_t) (n / ITEM_SIZE),
        };
        return 0;
}

int gvdb_table_open(const void *data, size_t size, GvdbTable *ret) {
        const uint8_t *d = data;

        if (size < HEADER_SIZE)
                return -EBADMSG;
        if (le32(d + 8) != 0)
                return -EBADMSG;
        if (memcmp(d, "raVGtnai", 8) == 0)
                return -EPROTONOSUPPORT;
        if (memcmp(d, "GVariant", 8) != 0)
                return -EBADMSG;
        return setup_table(d, size, d + 16, ret);
}

static const uint8_t *item_at(const GvdbTable *t, uint32_t i) {
        return t->items + (size_t) i * ITEM_SIZE;
}

/* Whether the item's name, up its parent chain, is exactly key[0..len). */
static bool check_name(const GvdbTable *t, const uint8_t *item, const char *key, size_t len) {
        for (unsigned depth = 0; depth < CHAIN_MAX; depth++) {
                uint32_t start = le32(item + 8), parent = le32(item + 4);
                uint16_t n = le16(item + 12);

                if ((uint64_t) start + n > t->size || n > len)
                        return false;
                len -= n;
                if (memcmp(t->data + start, key + len, n) != 0)
                        return false;
                if (len == 0 && parent == PARENT_NONE)
                        return true;
                if (parent >= t->n_items || n == 0)
                        return false;
                item = item_at(t, parent);
        }
        return false;
}

static bool bloom_match(const GvdbTable *t, uint32_t hash) {
        uint32_t word, mask;

        if (t->n_bloom == 0)
                return true;
        word = (hash / 32) % t->n_bloom;
        mask = 1u << (hash & 31);
        mask |= 1u << ((hash >> t->bloom_shift) & 31);
        return (le32(t->bloom + (size_t) word * 4) & mask) == mask;
}

/* The item named key, of the given type (0: any). */
static const uint8_t *lookup(const GvdbTable *t, const char *key, char type) {
        uint32_t hash = 5381, bucket, i, last;
        size_t len;

        if (t->n_buckets == 0 || t->n_items == 0)
                return NULL;
        for (len = 0; key[len]; len++)
                hash = hash * 33 + (uint32_t) (int32_t) (signed char) key[len];
        if (!bloom_match(t, hash))
                return NULL;
        bucket = hash % t->n_buckets;
        i = le32(t->buckets + (size_t) bucket * 4);
        if (bucket == t->n_buckets - 1 || (last = le32(t->buckets + (size_t) (bucket + 1) * 4)) > t->n_items)
                last = t->n_items;
        for (; i < last; i++) {
                const uint8_t *item = item_at(t, i);

                if (le32(item) == hash && check_name(t, item, key, len) && (type == 0 || (char) item[14] == type))
                        return item;
        }
        return NULL;
}

bool gvdb_table_has(const GvdbTable *t, const char *key) {
        return lookup(t, key, 0) != NULL;
}

int gvdb_table_get_table(const GvdbTable *t, const char *key, GvdbTable *ret) {
        const uint8_t *item = lookup(t, key, 'H');

        if (!item)
                return -ENOENT;
        return setup_table(t->data, t->size, item + 16, ret);
}

int gvdb_table_get_value(const GvdbTable *t, const char *key, GVariantValue *ret) {
        const uint8_t *item = lookup(t, key, 'v'), *v;
        size_t n;

        if (!item)
                return -ENOENT;
        v = deref(t->data, t->size, item + 16, 8, &n);
        if (!v)
                return -EBADMSG;
        return gvariant_decode_variant(v, n, ret);
}

/* GVariant's serialisation of a variant: the child's bytes, 0, the child's type string
 * (which holds no 0, so the last 0 is the separator). Basic children: b one byte 0 or 1,
 * u and i four bytes little-endian, s the text and its terminating 0. */
int gvariant_decode_variant(const uint8_t *data, size_t size, GVariantValue *ret) {
        const uint8_t *sep = size ? memrchr(data, 0, size) : NULL;
        size_t n, tn;

        if (!sep)
                return -EBADMSG;
        n = (size_t) (sep - data);
        tn = size - n - 1;
        if (tn == 0)
                return -EBADMSG;
        if (tn != 1) {
                ret->type = 0;
                return -EMEDIUMTYPE;
        }
        switch (sep[1]) {
        case 'b':
                if (n != 1 || data[0] > 1)
                        return -EBADMSG;
                *ret = (GVariantValue) { .type = 'b', .b = data[0] };
                return 0;
        case 'u':
        case 'i':
                if (n != 4)
                        return -EBADMSG;
                *ret = (GVariantValue) { .type = (char) sep[1], .u = le32(data) };
                return 0;
        case 's':
                /* The text's own terminator, and no 0 inside it. */
                if (n == 0 || data[n - 1] != 0 || memchr(data, 0, n - 1))
                        return -EBADMSG;
                *ret = (GVariantValue) { .type = 's', .s = (const char *) data };
                return 0;
        default:
                ret->type = (char) sep[1];
                return -EMEDIUMTYPE;
        }
}
