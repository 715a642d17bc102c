/* SPDX-License-Identifier: MIT */
/* Version comparison: a total order (antisymmetric, reflexive) on any two strings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deb-version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *sep = memchr(data, '\n', size);
        size_t la = sep ? (size_t) (sep - data) : size / 2;
        const char *a = (const char *) data, *b = (const char *) data + la + (sep ? 1 : 0);
        size_t lb = size - (size_t) (b - a);

        int ab = deb_version_compare_n(a, la, b, lb), ba = deb_version_compare_n(b, lb, a, la);
        if ((ab > 0) != (ba < 0) || (ab == 0) != (ba == 0))
                abort();
        if (deb_version_compare_n(a, la, a, la) != 0)
                abort();
        char *s = strndup(a, la);
        if (s) {
                (void) deb_version_valid(s);
                free(s);
        }
        return 0;
}
