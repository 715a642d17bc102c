/* SPDX-License-Identifier: MIT */
/* A Content-Encoding: gzip body as vigie-server inflates it: whatever comes in, the result
 * is either an error or at most the cap, and it compresses back to the same bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "gzip-util.h"

#define CAP (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *out = NULL, *gz = NULL, *back = NULL;
        size_t n, gz_size, m;
        int r;

        r = gzip_inflate(data, size, CAP, &out, &n);
        if (r < 0) {
                if (r != -EBADMSG && r != -EFBIG && r != -ENOMEM)
                        abort();
                return 0;
        }
        if (n > CAP || out[n] != 0)
                abort();
        if (gzip_compress(out, n, &gz, &gz_size) < 0 || gzip_inflate(gz, gz_size, CAP, &back, &m) < 0 ||
            m != n || memcmp(out, back, n) != 0)
                abort();
        return 0;
}
