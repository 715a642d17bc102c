/* SPDX-License-Identifier: MIT */
/* LUKS1/LUKS2 headers from a buffer: binary header, checksum, secondary fallback, JSON.
 * Random bytes almost never carry a valid checksum, so each input is parsed twice: as it
 * is, and with the primary LUKS2 checksum recomputed, which lets the fuzzer reach the
 * JSON area. */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cleanup.h"
#include "luks.h"

static void parse(const uint8_t *data, size_t size) {
        _cleanup_(luks_header_freep) LuksHeader *h = NULL;
        _cleanup_free_ char *err = NULL;

        if (luks_header_parse_buffer(data, size, &h, &err) >= 0) {
                _cleanup_json_ json_object *j = luks_header_to_json(h);
                if (!j)
                        abort();
        } else if (!err)
                abort(); /* every rejection says why */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ uint8_t *copy = NULL;
        uint64_t hdr_size;
        unsigned n = 0;

        parse(data, size);
        if (size < 4096 || memcmp(data, "LUKS\xba\xbe\0\2", 8) != 0)
                return 0;
        memcpy(&hdr_size, data + 8, sizeof(hdr_size));
        hdr_size = be64toh(hdr_size);
        if (hdr_size < 4096 || hdr_size > size)
                return 0;
        copy = malloc(size);
        if (!copy)
                return 0;
        memcpy(copy, data, size);
        memset(copy + 448, 0, 64);
        memcpy(copy + 72, "sha256", 7);
        if (EVP_Digest(copy, hdr_size, copy + 448, &n, EVP_sha256(), NULL) != 1)
                abort();
        parse(copy, size);
        return 0;
}
