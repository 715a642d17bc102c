/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include <zlib.h>

#include "cleanup.h"
#include "gzip-util.h"
#include "macro.h"

#define GZIP_WINDOW_BITS (15 + 16) /* 32 KiB window, gzip wrapper only */
#define GZIP_MIN_SIZE 18           /* 10-byte header, 8-byte trailer (CRC-32, ISIZE) */
#define GZIP_MAX_RATIO 1032        /* deflate's best case: 258 bytes from 2 bits */

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

/* inflate() until the member ends, growing the buffer up to limit bytes. */
static int inflate_into(z_stream *z, size_t limit, char **buf, size_t *cap) {
        for (;;) {
                size_t used = z->total_out;
                int k;

                if (used == *cap) {
                        size_t n = *cap >= limit / 2 ? limit : *cap * 2;
                        char *b;

                        if (n == *cap)
                                return -EFBIG;
                        b = realloc(*buf, n + 1);
                        if (!b)
                                return -ENOMEM;
                        *buf = b;
                        *cap = n;
                }
                z->next_out = (Bytef *) *buf + used;
                z->avail_out = (uInt) (*cap - used);
                k = inflate(z, Z_NO_FLUSH);
                if (k == Z_STREAM_END)
                        return 0;
                if (k == Z_MEM_ERROR)
                        return -ENOMEM;
                if (k != Z_OK && !(k == Z_BUF_ERROR && z->avail_out == 0))
                        return -EBADMSG; /* corrupt, or the input ended mid-member */
                if (z->avail_in == 0 && z->avail_out > 0)
                        return -EBADMSG;
        }
}

/* The first buffer: the size the gzip trailer announces (ISIZE, the inflated size modulo
 * 2^32), so that an honest body inflates without a realloc and its copy — but never more
 * than deflate could produce from these bytes (about 1032:1), and never past limit: a
 * lying trailer only costs the doublings it would have cost anyway. */
static size_t first_capacity(const uint8_t *data, size_t size, size_t limit) {
        size_t cap = size * 4 + 64, isize;

        if (size >= GZIP_MIN_SIZE) {
                isize = (size_t) data[size - 4] | (size_t) data[size - 3] << 8 |
                        (size_t) data[size - 2] << 16 | (size_t) data[size - 1] << 24;
                if (isize > 0 && isize <= size * GZIP_MAX_RATIO)
                        cap = isize + 1; /* room left: the member's end is seen in one pass */
        }
        return MIN(cap, limit);
}

int gzip_inflate(const void *data, size_t size, size_t max, char **ret, size_t *ret_size) {
        z_stream z = {};
        _cleanup_free_ char *buf = NULL;
        /* One byte past max tells "larger than max" from "exactly max". */
        size_t limit = max + 1, cap, n;
        int r;

        if (size > UINT_MAX || max > UINT_MAX - 1)
                return -EFBIG;
        cap = first_capacity(data, size, limit);
        buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        if (inflateInit2(&z, GZIP_WINDOW_BITS) != Z_OK)
                return -ENOMEM;
        z.next_in = (Bytef *) data;
        z.avail_in = (uInt) size;
        r = inflate_into(&z, limit, &buf, &cap);
        if (r == 0 && z.total_out > max)
                r = -EFBIG;
        if (r == 0 && z.avail_in > 0)
                r = -EBADMSG; /* trailing bytes after the member */
        n = z.total_out;
        inflateEnd(&z);
        if (r < 0)
                return r;
        buf[n] = 0;
        *ret_size = n;
        *ret = TAKE_PTR(buf);
        return 0;
}
