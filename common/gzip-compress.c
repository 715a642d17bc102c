/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <zlib.h>

#include "cleanup.h"
#include "gzip-util.h"

/* zlib, not libdeflate (gzip-util.c's inflate): the agent, the one caller, links zlib
 * anyway (apt's .gz lists, its caches' CRC-32), and RHEL 8 and 9 ship libdeflate only in
 * EPEL, which no laptop should need for Vigie. */
#define GZIP_WINDOW_BITS (15 + 16) /* 32 KiB window, gzip wrapper only */

int gzip_compress(const void *data, size_t size, char **ret, size_t *ret_size) {
        z_stream z = {};
        _cleanup_free_ char *out = NULL;
        uLong bound;
        int k;

        if (size > UINT_MAX)
                return -EFBIG;
        if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, GZIP_WINDOW_BITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return -ENOMEM;
        bound = deflateBound(&z, (uLong) size);
        out = malloc(bound);
        if (!out) {
                deflateEnd(&z);
                return -ENOMEM;
        }
        z.next_in = (Bytef *) data;
        z.avail_in = (uInt) size;
        z.next_out = (Bytef *) out;
        z.avail_out = (uInt) bound;
        k = deflate(&z, Z_FINISH);
        deflateEnd(&z);
        if (k != Z_STREAM_END)
                return -EIO; /* cannot happen with deflateBound's room */
        *ret_size = z.total_out;
        *ret = TAKE_PTR(out);
        return 0;
}
