/* SPDX-License-Identifier: MIT */
/* What the firewall check reads back to skip a listing: the kept ruleset file
 * (agent/checks/nft-cache.c) and nfnetlink's answer with the ruleset's generation
 * (agent/checks/nft-generation.c). The first byte picks the parser. A kept file is
 * accepted only whole: its JSON lies inside the input, ends it, holds no NUL and is of the
 * size the file names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nft-cache.h"
#include "nft-generation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *json;
        size_t json_size;
        uint32_t gen;

        if (size < 1)
                return 0;
        if (data[0] & 1) {
                (void) nft_generation_parse(data + 1, size - 1, 1, &gen);
                return 0;
        }
        if (nft_cache_parse((const char *) data + 1, size - 1, NULL, &json, &json_size) < 0)
                return 0;
        if (json < (const char *) data + 1 || json + json_size != (const char *) data + size ||
            memchr(json, 0, json_size))
                abort();
        return 0;
}
