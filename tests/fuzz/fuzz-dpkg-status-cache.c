/* SPDX-License-Identifier: MIT */
/* dpkg's status digest read back from the state directory: any bytes must be refused or
 * give a cache of packages whose strings lie inside the input's records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "apt-cache.h"
#include "apt-index-cache.h"
#include "dpkg-status-cache.h"

static void parse(const uint8_t *data, size_t size) {
        AptCache *c = NULL;
        size_t sum = 0;

        if (dpkg_status_cache_parse(data, size, NULL, &c) < 0)
                return;
        /* Every package's strings read, so ASan sees anything amiss. */
        for (size_t i = 0; i < c->n_packages; i++)
                sum += strlen(c->packages[i].name) + strlen(c->packages[i].arch) + strlen(c->packages[i].installed);
        if (sum == 0 && c->n_packages > 0)
                abort();
        apt_cache_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* An exact-size copy: reads past the end are caught. */
        uint8_t *copy = malloc(size ? size : 1);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        parse(copy, size);
        /* Again with the CRC made right, so that the record checks behind
         * it are reached: the CRC guards against damage, not against a crafted file. */
        if (size >= APT_INDEX_CACHE_HEADER_SIZE) {
                uint32_t crc = 0;
                memcpy(copy + APT_INDEX_CACHE_OFF_CRC, &crc, sizeof(crc));
                crc = (uint32_t) crc32_z(0, copy, size);
                memcpy(copy + APT_INDEX_CACHE_OFF_CRC, &crc, sizeof(crc));
                parse(copy, size);
        }
        free(copy);
        return 0;
}
