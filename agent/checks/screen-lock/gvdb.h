/* SPDX-License-Identifier: MIT */
#pragma once

/* A reader for GVDB, the file format of dconf databases (glib's gvdb-format.h): a header
 * "GVariant", then hash tables of items whose names are chained through parents, whose
 * values are serialised GVariants ('v'), nested tables ('H', dconf's ".locks") or lists
 * ('L'). Only little-endian files are read (every dconf database on x86 and arm). The
 * reader never trusts the file: every offset is checked, every chain is bounded. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct GvdbTable {
        const uint8_t *data;   /* the whole file; tables point into it */
        size_t size;
        const uint8_t *bloom;
        uint32_t n_bloom, bloom_shift;
        const uint8_t *buckets;
        uint32_t n_buckets;
        const uint8_t *items;
        uint32_t n_items;
} GvdbTable;

/* A decoded GVariant of a basic type: b, u, i, s (s points into the file, NUL-terminated). */
typedef struct GVariantValue {
        char type;
        union {
                bool b;
                uint32_t u;
                int32_t i;
                const char *s;
        };
} GVariantValue;

/* The root table. -EBADMSG: not a GVDB file, or a broken root; -EPROTONOSUPPORT: a
 * big-endian file. */
int gvdb_table_open(const void *data, size_t size, GvdbTable *ret);
/* The nested table named key ('H'). -ENOENT when absent; -EBADMSG when broken. */
int gvdb_table_get_table(const GvdbTable *t, const char *key, GvdbTable *ret);
/* Whether key names an item of any type. */
bool gvdb_table_has(const GvdbTable *t, const char *key);
/* The value named key, a serialised 'v'. -ENOENT when absent; -EBADMSG when broken;
 * -EMEDIUMTYPE when the variant holds another type than b, u, i or s (ret->type is then
 * that type's letter, or 0 for a container). */
int gvdb_table_get_value(const GvdbTable *t, const char *key, GVariantValue *ret);

/* Decodes a serialised variant ('v': the child's data, a zero byte, its type string). */
int gvariant_decode_variant(const uint8_t *data, size_t size, GVariantValue *ret);
