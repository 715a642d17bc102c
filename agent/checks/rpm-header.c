/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "rpm-header.h"

enum {
        TAG_NAME = 1000,
        TAG_VERSION = 1001,
        TAG_RELEASE = 1002,
        TAG_EPOCH = 1003,
        TAG_INSTALLTIME = 1008,
        TAG_ARCH = 1022,
        TAG_PROVIDENAME = 1047,
        TAG_PROVIDEFLAGS = 1112,
        TAG_PROVIDEVERSION = 1113,
        TYPE_INT32 = 4,
        TYPE_STRING = 6,
        TYPE_STRING_ARRAY = 8,
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
        uint32_t il, dl, v, n_names = 0, n_flags = 0, n_versions = 0;
        bool names = false, flags = false, versions = false;

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
                /* Checked when walked (rpm_header_provide): only a few packages are. */
                case TAG_PROVIDENAME:
                        names = type == TYPE_STRING_ARRAY;
                        h.provide_names = offset, n_names = count;
                        break;
                case TAG_PROVIDEFLAGS:
                        flags = type == TYPE_INT32;
                        h.provide_flags = offset, n_flags = count;
                        break;
                case TAG_PROVIDEVERSION:
                        versions = type == TYPE_STRING_ARRAY;
                        h.provide_versions = offset, n_versions = count;
                        break;
                }
        }
        if (!h.name || !h.version || !h.release)
                return -EBADMSG;
        if (names && flags && versions && n_names == n_flags && n_names == n_versions) {
                h.data = data;
                h.data_size = dl;
                h.n_provides = n_names;
        }
        *ret = h;
        return 0;
}

/* The next string of an array at *offset, moved past it. */
static const char *next_string(const RpmHeaderInfo *h, uint32_t *offset) {
        const char *s = entry_string(h->data, h->data_size, TYPE_STRING, *offset);
        if (s)
                *offset += (uint32_t) strlen(s) + 1;
        return s;
}

int rpm_header_provide(const RpmHeaderInfo *h, const char *name, uint32_t *ret_flags, const char **ret_version) {
        uint32_t on = h->provide_names, ov = h->provide_versions;

        if (h->n_provides > 0 && (h->provide_flags > h->data_size || (h->data_size - h->provide_flags) / 4 < h->n_provides))
                return -EBADMSG;
        for (uint32_t i = 0; i < h->n_provides; i++) {
                const char *n = next_string(h, &on), *v = next_string(h, &ov);
                if (!n || !v)
                        return -EBADMSG;
                if (streq(n, name)) {
                        *ret_flags = be32(h->data + h->provide_flags + (size_t) i * 4);
                        *ret_version = v;
                        return 0;
                }
        }
        return -ENOENT;
}
