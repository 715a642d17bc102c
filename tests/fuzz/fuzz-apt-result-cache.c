/* SPDX-License-Identifier: MIT */
/* The apt source's result read back from the state directory: any bytes must be refused or
 * give a result whose strings lie inside the input, and serialize back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "apt-result-cache.h"
#include "cleanup.h"

static void parse(const uint8_t *data, size_t size) {
        _cleanup_(apt_result_freep) AptResult *r = NULL;
        _cleanup_free_ char *again = NULL;
        size_t n;

        if (apt_result_parse(data, size, NULL, &r) < 0)
                return;
        /* The file's own key (the first string of the body) serializes it back, byte for byte. */
        uint32_t key_len;
        memcpy(&key_len, data + 20, sizeof(key_len));
        _cleanup_free_ char *key = strndup((const char *) data + 24, key_len);
        if (!key || apt_result_serialize(r, key, &again, &n) < 0)
                return;
        if (n != size || memcmp(again, data, size) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* An exact-size copy: reads past the end are caught. */
        uint8_t *copy = malloc(size ? size : 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        parse(copy, size);
        /* Again with the CRC made right (header offset 16, over the body), so that the checks
         * behind it are reached: the CRC guards against damage, not against a crafted file. */
        if (size >= 20) {
                uint32_t crc = (uint32_t) crc32_z(0, copy + 20, size - 20);
                memcpy(copy + 16, &crc, sizeof(crc));
                parse(copy, size);
        }
        free(copy);
        return 0;
}
