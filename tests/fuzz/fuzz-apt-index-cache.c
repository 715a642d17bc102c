/* SPDX-License-Identifier: MIT */
/* The apt list digest read back from the state directory: any bytes must be refused or
 * yield records that lie inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "apt-index-cache.h"

static int touch(const AptIndexRecord *rec, void *userdata) {
        size_t *sum = userdata;
        /* Reading every byte lets ASan catch a record pointing outside the input. */
        for (size_t i = 0; i < rec->name_len; i++)
                *sum += (unsigned char) rec->name[i];
        for (size_t i = 0; i < rec->arch_len; i++)
                *sum += (unsigned char) rec->arch[i];
        for (size_t i = 0; i < rec->version_len; i++)
                *sum += (unsigned char) rec->version[i];
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* An exact-size copy: reads past the end are caught. */
        uint8_t *copy = malloc(size ? size : 1);
        size_t sum = 0;
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        (void) apt_index_cache_parse(copy, size, NULL, NULL, touch, &sum);
        /* Again with the CRC made right, so that the record checks behind it are reached
         * (the CRC guards against damage, not against a crafted file). */
        if (size >= APT_INDEX_CACHE_HEADER_SIZE) {
                uint32_t crc = 0;
                memcpy(copy + APT_INDEX_CACHE_OFF_CRC, &crc, sizeof(crc));
                crc = (uint32_t) crc32_z(0, copy, size);
                memcpy(copy + APT_INDEX_CACHE_OFF_CRC, &crc, sizeof(crc));
                (void) apt_index_cache_parse(copy, size, NULL, NULL, touch, &sum);
        }
        free(copy);
        return 0;
}
