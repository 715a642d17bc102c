/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "rpm-header.h"

enum {
        TAG_NAME = 1000,
        TAG_VERSION = 1001,
        TAG_RELEASE = 1002,
        TAG_EPOCH = 1003,
        TAG_INSTALLTIME = 1008,
        TAG_ARCH = 1022,
        TYPE_INT32 = 4,
        TYPE_STRING = 6,
        TYPE_I18NSTRING = 9,
};

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* A string entry: NUL-terminated inside the data. */
static const char *entry_string(const uint8_t *data, size_t dl, uint32_t type, uint32_t offset) {
        if ((type != TYPE_STRING && type != TYPE_I18NSTRING) || offset >= dl ||
            !memchr(data + offset, 0, dl - offset))
                return NULL;
        return (const char *) data + offset;
}

static bool entry_int32(const uint8_t *data, size_t dl, uint32_t type, uint32_t offset, uint32_t count,
                        uint32_t *ret) {
        if (type != TYPE_INT32 || count < 1 || offset > dl || dl - offset < 4)
                return false;
        *ret = be32(data + offset);
        return true;
}

int rpm_header_parse(const uint8_t *blob, size_t size, RpmHeaderInfo *ret) {
        RpmHeaderInfo h = {};
        uint32_t il, dl, v;

        if (size < 8 || size > RPM_HEADER_MAX)
                return -EBADMSG;
        il = be32(blob);
        dl = be32(blob + 4);
        if (il > (size - 8) / 16 || dl != size - 8 - (size_t) il * 16)
                return -EBADMSG;
        const uint8_t *index = blob + 8, *data = index + (size_t) il * 16;
        for (uint32_t i = 0; i < il; i++) {
                const uint8_t *e = index + (size_t) i * 16;
                uint32_t tag = be32(e), type = be32(e + 4), offset = be32(e + 8), count = be32(e + 12);

                switch (tag) {
                case TAG_NAME:
                        h.name = entry_string(data, dl, type, offset);
                        break;
                case TAG_VERSION:
                        h.version = entry_string(data, dl, type, offset);
                        break;
                case TAG_RELEASE:
                        h.release = entry_string(data, dl, type, offset);
                        break;
                case TAG_ARCH:
                        h.arch = entry_string(data, dl, type, offset);
                        break;
                case TAG_EPOCH:
                        h.has_epoch = entry_int32(data, dl, type, offset, count, &h.epoch);
                        break;
                case TAG_INSTALLTIME:
                        if (entry_int32(data, dl, type, offset, count, &v))
                                h.install_time = v;
                        break;
                }
        }
        if (!h.name || !h.version || !h.release)
                return -EBADMSG;
        *ret = h;
        return 0;
}
