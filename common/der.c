/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "der.h"

int der_next(const uint8_t **p, const uint8_t *end, DerItem *ret) {
        const uint8_t *q = *p;
        size_t len;

        if (q >= end)
                return -ENODATA;
        if (end - q < 2 || (q[0] & 0x1f) == 0x1f)
                return -EBADMSG;
        ret->id = q[0];
        len = q[1];
        q += 2;
        if (len & 0x80) {
                size_t n = len & 0x7f;

                /* DER: 1 to 4 length octets, no leading zero, the short form below 128. */
                if (n == 0 || n > 4 || (size_t) (end - q) < n || q[0] == 0)
                        return -EBADMSG;
                for (len = 0; n > 0; n--)
                        len = len << 8 | *q++;
                if (len < 0x80)
                        return -EBADMSG;
        }
        if ((size_t) (end - q) < len)
                return -EBADMSG;
        ret->start = *p;
        ret->content = q;
        ret->content_size = len;
        ret->size = (size_t) (q - *p) + len;
        *p = q + len;
        return 0;
}

int der_expect(const uint8_t **p, const uint8_t *end, uint8_t id, DerItem *ret) {
        int r = der_next(p, end, ret);

        if (r == -ENODATA || (r >= 0 && ret->id != id))
                return -EBADMSG;
        return r;
}

int der_sequence(const uint8_t *data, size_t size, DerItem *ret) {
        const uint8_t *p = data;
        int r = der_expect(&p, data + size, DER_SEQUENCE, ret);

        if (r < 0)
                return r;
        return p == data + size ? 0 : -EBADMSG;
}

size_t der_put_header(uint8_t *buf, uint8_t id, size_t content_size) {
        size_t n = 0, i;

        buf[0] = id;
        if (content_size < 0x80) {
                buf[1] = (uint8_t) content_size;
                return 2;
        }
        for (size_t s = content_size; s > 0; s >>= 8)
                n++;
        buf[1] = (uint8_t) (0x80 | n);
        for (i = 0; i < n; i++)
                buf[2 + i] = (uint8_t) (content_size >> (8 * (n - 1 - i)));
        return 2 + n;
}
