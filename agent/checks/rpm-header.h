/* SPDX-License-Identifier: MIT */
#pragma once

/* An rpm package header as rpm stores it in its database (rpmdb.sqlite's Packages.blob):
 * index count and data size (32-bit big endian), the index entries (tag, type, offset,
 * count), then the data. Only the tags the patch-level check needs are read. */

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define RPM_HEADER_MAX (64u * 1024 * 1024)

typedef struct RpmHeaderInfo {
        const char *name;      /* point into the blob, NUL-terminated there */
        const char *version;
        const char *release;
        const char *arch;      /* NULL for gpg-pubkey pseudo-packages */
        uint32_t epoch;
        bool has_epoch;
        uint64_t install_time; /* seconds since the epoch, 0: unknown */
        /* The Provides arrays, walked by rpm_header_provide(): where they are in the data. */
        const uint8_t *data;
        size_t data_size;
        uint32_t provide_names, provide_flags, provide_versions, n_provides; /* offsets, count */
} RpmHeaderInfo;

/* Returns 0, or -EBADMSG when the blob is not a well-formed header or lacks a name,
 * version or release. */
int rpm_header_parse(const uint8_t *blob, size_t size, RpmHeaderInfo *ret);
/* The first Provides entry named name: its flags (rpm's RPMSENSE_*) and version ("" when
 * none). Returns 0, -ENOENT when the package does not provide name, -EBADMSG when its
 * Provides arrays are damaged. */
int rpm_header_provide(const RpmHeaderInfo *h, const char *name, uint32_t *ret_flags, const char **ret_version);
