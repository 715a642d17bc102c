/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "cleanup.h"
#include "gzip-util.h"
#include "macro.h"
#include "thread-object.h"

/* libdeflate, not zlib: the whole body is in memory, libdeflate's case, and it inflates a
 * report in about half zlib's time (docs/performance.md, *a faster inflate*). The agent's
 * gzip_compress() stays with zlib (gzip-compress.c). */
#define GZIP_MIN_SIZE 18     /* 10-byte header, 8-byte trailer (CRC-32, ISIZE) */
#define GZIP_MAX_RATIO 1032  /* deflate's best case: 258 bytes from 2 bits */
#define GZIP_FLG_FHCRC 0x02  /* RFC 1952's header flags */
#define GZIP_FLG_FEXTRA 0x04
#define GZIP_FLG_FNAME 0x08
#define GZIP_FLG_FCOMMENT 0x10

/* One decompressor per thread: a new one is an ~11 KB malloc that libdeflate zeroes (~12 k
 * instructions), a third of what a small body's inflate costs. libdeflate is made to be
 * reused: a block that needs other tables than those it holds rebuilds them, so whatever
 * came before (a corrupt body included) does not matter. */
DEFINE_THREAD_OBJECT(struct libdeflate_decompressor, thread_decompressor, libdeflate_alloc_decompressor,
                     libdeflate_free_decompressor)

/* Where the optional header fields end (RFC 1952, 2.3.1), or 0 when they run past the
 * data, which libdeflate then refuses on its own. */
static size_t header_end(const uint8_t *p, size_t size, uint8_t flg) {
        size_t at = 10;

        if (flg & GZIP_FLG_FEXTRA) {
                if (size - at < 2)
                        return 0;
                at += 2 + ((size_t) p[at] | (size_t) p[at + 1] << 8);
        }
        for (uint8_t f = GZIP_FLG_FNAME; f <= GZIP_FLG_FCOMMENT; f <<= 1) {
                const uint8_t *nul;

                if (!(flg & f))
                        continue;
                if (at >= size || !(nul = memchr(p + at, 0, size - at)))
                        return 0;
                at = (size_t) (nul - p) + 1;
        }
        return at <= size ? at : 0;
}

/* libdeflate skips the header's own CRC-16 (FHCRC), which zlib checked: a header that
 * claims one must match it, as before. */
static bool header_crc_ok(const uint8_t *p, size_t size) {
        size_t end;

        if (size < GZIP_MIN_SIZE || !(p[3] & GZIP_FLG_FHCRC))
                return true;
        end = header_end(p, size, p[3]);
        if (end == 0 || size - end < 2)
                return true;
        return ((uint32_t) p[end] | (uint32_t) p[end + 1] << 8) == (libdeflate_crc32(0, p, end) & 0xffff);
}

/* The first buffer: the size the gzip trailer announces (ISIZE, the inflated size modulo
 * 2^32), so that an honest body inflates in one pass into a buffer of its size — but never
 * more than deflate could produce from these bytes (about 1032:1), and never past max. */
static size_t first_capacity(const uint8_t *data, size_t size, size_t max) {
        size_t cap = size * 4 + 64, isize;

        if (size >= GZIP_MIN_SIZE) {
                isize = (size_t) data[size - 4] | (size_t) data[size - 3] << 8 |
                        (size_t) data[size - 2] << 16 | (size_t) data[size - 1] << 24;
                if (isize > 0 && isize <= size * GZIP_MAX_RATIO)
                        cap = isize;
        }
        return MIN(cap, max);
}

int gzip_inflate(const void *data, size_t size, size_t max, char **ret, size_t *ret_size) {
        struct libdeflate_decompressor *d;
        _cleanup_free_ char *buf = NULL;
        size_t cap, used = 0, n = 0;

        if (max == SIZE_MAX)
                return -EFBIG; /* no room left for the NUL */
        if (!header_crc_ok(data, size))
                return -EBADMSG;
        d = thread_decompressor();
        if (!d)
                return -ENOMEM;
        cap = first_capacity(data, size, max);
        for (;;) {
                enum libdeflate_result k;

                free(buf);
                buf = malloc(cap + 1);
                if (!buf)
                        return -ENOMEM;
                k = libdeflate_gzip_decompress_ex(d, data, size, buf, cap, &used, &n);
                if (k == LIBDEFLATE_SUCCESS)
                        break;
                if (k != LIBDEFLATE_INSUFFICIENT_SPACE)
                        return -EBADMSG; /* corrupt, or the input ended mid-member */
                if (cap == max)
                        return -EFBIG; /* a compression bomb stops here, after max bytes */
                /* More than the trailer announced: it lies, and the body is refused either
                 * way. libdeflate cannot resume, so one more pass, up to max, tells 413 from
                 * 400 as zlib's single pass did: two passes of at most max bytes each. */
                cap = max;
        }
        if (used != size)
                return -EBADMSG; /* trailing bytes after the member: another member, or junk */
        buf[n] = 0;
        *ret_size = n;
        *ret = TAKE_PTR(buf);
        return 0;
}
