/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "der.h"

static const uint8_t OID_EC_PUBLIC_KEY[] = { DER_OID, 7, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const uint8_t OID_P256[] = { DER_OID, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };

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

bool der_is_p256_curve(const DerItem *item) {
        return item->size == sizeof OID_P256 && memcmp(item->start, OID_P256, sizeof OID_P256) == 0;
}

bool der_is_p256_algorithm(const DerItem *item) {
        const uint8_t *c = item->content;

        return item->id == DER_SEQUENCE && item->content_size == sizeof OID_EC_PUBLIC_KEY + sizeof OID_P256 &&
               memcmp(c, OID_EC_PUBLIC_KEY, sizeof OID_EC_PUBLIC_KEY) == 0 &&
               memcmp(c + sizeof OID_EC_PUBLIC_KEY, OID_P256, sizeof OID_P256) == 0;
}

const uint8_t *der_p256_point(const DerItem *bits) {
        if (bits->id != DER_BIT_STRING || bits->content_size != 1 + DER_P256_POINT_SIZE || bits->content[0] != 0 ||
            bits->content[1] != 0x04)
                return NULL;
        return bits->content + 1;
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
