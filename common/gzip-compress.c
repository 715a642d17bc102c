/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <zlib.h>

#include "cleanup.h"
#include "gzip-util.h"
#include "thread-object.h"

/* zlib, not libdeflate (gzip-util.c's inflate): the agent links zlib anyway (apt's .gz
 * lists, its caches' CRC-32), and RHEL 8 and 9 ship libdeflate only in EPEL, which no
 * laptop should need for Vigie. */
#define GZIP_WINDOW_BITS (15 + 16) /* 32 KiB window, gzip wrapper only */
/* zlib's default is 8: a 64 KiB hash table, cleared at each reset, and 64 KiB of symbol
 * buffer. 6 takes 16 KiB of each, 24 fewer pages for the agent's cycle to fault in, and a
 * real report's JWS (39 KB) compresses to 5,782 bytes against 5,781. */
#define GZIP_MEM_LEVEL 6

static z_stream *deflater_new(void) {
        z_stream *z = calloc(1, sizeof(*z));

        if (z && deflateInit2(z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, GZIP_WINDOW_BITS, GZIP_MEM_LEVEL, Z_DEFAULT_STRATEGY) != Z_OK) {
                free(z);
                return NULL;
        }
        return z;
}

static void deflater_free(z_stream *z) {
        deflateEnd(z);
        free(z);
}

/* One deflate state per thread, reset between calls: a new one is ~160 KiB of buffers, and
 * freeing them lets malloc hand the heap's top back to the kernel, so that the next call
 * faults the pages in again (~20 faults: 300 µs a call on this machine's VM, against 12 µs
 * for the deflate of a small report). A caller that compresses once (the agent's cycle) pays
 * the same as before. */
DEFINE_THREAD_OBJECT(z_stream, thread_deflater, deflater_new, deflater_free)

int gzip_compress(const void *data, size_t size, char **ret, size_t *ret_size) {
        z_stream *z = thread_deflater();
        _cleanup_free_ char *out = NULL;
        uLong bound;
        int k;

        if (size > UINT_MAX)
                return -EFBIG;
        if (!z || deflateReset(z) != Z_OK)
                return -ENOMEM;
        bound = deflateBound(z, (uLong) size);
        out = malloc(bound);
        if (!out)
                return -ENOMEM;
        z->next_in = (Bytef *) data;
        z->avail_in = (uInt) size;
        z->next_out = (Bytef *) out;
        z->avail_out = (uInt) bound;
        k = deflate(z, Z_FINISH);
        if (k != Z_STREAM_END)
                return -EIO; /* cannot happen with deflateBound's room */
        *ret_size = z->total_out;
        *ret = TAKE_PTR(out);
        return 0;
}
