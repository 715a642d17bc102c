/* SPDX-License-Identifier: MIT */
/* base64url_decode() against a plain decoder, one character at a time, as RFC 4648 §5
 * reads it without padding (the server decodes every report's payload with the faster
 * one): both accept the same inputs and give the same bytes, and what is accepted
 * encodes back to the input (one encoding per byte string). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "jws.h"

static int value(uint8_t c) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const char *p = c ? memchr(alphabet, c, 64) : NULL;

        return p ? (int) (p - alphabet) : -1;
}

/* -EINVAL or the decoded size, into out (size / 4 * 3 + 2 bytes at least). */
static int reference(const uint8_t *s, size_t size, uint8_t *out) {
        uint32_t acc = 0;
        unsigned bits = 0;
        size_t o = 0;

        if (size % 4 == 1)
                return -EINVAL;
        for (size_t i = 0; i < size; i++) {
                int v = value(s[i]);
                if (v < 0)
                        return -EINVAL;
                acc = acc << 6 | (uint32_t) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (uint8_t) (acc >> bits);
                        acc &= (1U << bits) - 1;
                }
        }
        return acc != 0 ? -EINVAL : (int) o; /* the unused bits of the last character */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ uint8_t *got = NULL, *want = NULL;
        _cleanup_free_ char *again = NULL;
        size_t n = 0, m = 0;
        int r, t;

        if (size > 1 << 16)
                return 0;
        want = malloc(size / 4 * 3 + 3);
        if (!want)
                return 0;
        t = reference(data, size, want);
        r = base64url_decode((const char *) data, size, SIZE_MAX, &got, &n);
        if (r == -ENOMEM)
                return 0;
        if ((r == 0) != (t >= 0) || (r < 0 && r != -EINVAL))
                abort();
        if (r < 0)
                return 0;
        if (n != (size_t) t || memcmp(got, want, n) != 0 || got[n] != 0)
                abort();
        if (base64url_encode(got, n, &again, &m) < 0)
                return 0;
        if (m != size || memcmp(again, data, size) != 0)
                abort();
        return 0;
}
