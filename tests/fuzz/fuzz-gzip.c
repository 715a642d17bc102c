/* SPDX-License-Identifier: MIT */
/* A Content-Encoding: gzip body as vigie-server inflates it (libdeflate), against zlib's
 * inflate, the reference here only, under a large cap and a small one: what zlib inflates
 * inflates to the same bytes; a whole, valid member larger than the cap is too large
 * (413); what inflates stays under the cap and compresses back to the same bytes.
 * Where the two may differ, on malformed bodies only: libdeflate is laxer on a few
 * malformed deflate streams (a code-length repeat with nothing before it, a one-symbol
 * precode), which may then inflate (their CRC-32 and length still match) or pass the cap
 * before their error shows; and it refuses a truncated body a few bits earlier than
 * zlib, which may have passed the cap by then (400 where zlib said 413). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "cleanup.h"
#include "gzip-util.h"

#define CAP (256 * 1024)
#define SMALL_CAP 777 /* a lying trailer's retries, and bombs, at a few bytes' scale */

/* What gzip_inflate() did with zlib: one whole member into max + 1 bytes at most, nothing
 * after it. out has room for max + 1 bytes. */
static int zlib_inflate(const uint8_t *data, size_t size, size_t max, char *out, size_t *ret_size) {
        z_stream z = { .next_in = (Bytef *) data, .avail_in = (uInt) size,
                       .next_out = (Bytef *) out, .avail_out = (uInt) (max + 1) };
        int k, r;

        if (inflateInit2(&z, 15 + 16) != Z_OK)
                return -ENOMEM;
        k = inflate(&z, Z_FINISH);
        if (k == Z_MEM_ERROR)
                r = -ENOMEM;
        else if (z.total_out > max || (k == Z_BUF_ERROR && z.avail_out == 0))
                r = -EFBIG;
        else if (k != Z_STREAM_END || z.avail_in > 0)
                r = -EBADMSG; /* corrupt, truncated, or bytes after the member */
        else
                r = 0;
        *ret_size = z.total_out;
        inflateEnd(&z);
        return r;
}

/* Whether zlib inflates the body whole, with no cap but deflate's own 1032:1. */
static bool zlib_whole(const uint8_t *data, size_t size) {
        size_t max = size * 1032, n;
        _cleanup_free_ char *out = malloc(max + 1);

        return out && zlib_inflate(data, size, max, out, &n) == 0;
}

static void check(const uint8_t *data, size_t size, size_t max) {
        static char ref[CAP + 1];
        _cleanup_free_ char *out = NULL, *gz = NULL, *back = NULL;
        size_t n, ref_size, gz_size, m;
        int r, want;

        r = gzip_inflate(data, size, max, &out, &n);
        want = zlib_inflate(data, size, max, ref, &ref_size);
        if (r == -ENOMEM || want == -ENOMEM)
                return;
        if (r < 0 && r != -EBADMSG && r != -EFBIG)
                abort();
        if (want == 0 && (r != 0 || n != ref_size || memcmp(out, ref, n) != 0))
                abort();
        if (want == -EFBIG && (r == 0 || (r == -EBADMSG && zlib_whole(data, size))))
                abort();
        if (r < 0)
                return;
        if (n > max || out[n] != 0)
                abort();
        if (gzip_compress(out, n, &gz, &gz_size) < 0 || gzip_inflate(gz, gz_size, max, &back, &m) < 0 ||
            m != n || memcmp(out, back, n) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        check(data, size, CAP);
        check(data, size, SMALL_CAP);
        return 0;
}
