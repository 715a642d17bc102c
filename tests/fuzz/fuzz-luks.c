/* SPDX-License-Identifier: MIT */
/* LUKS1/LUKS2 headers from a buffer: binary header, checksum, secondary fallback, JSON. */
#include <stdint.h>
#include <stdlib.h>

#include "cleanup.h"
#include "luks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(luks_header_freep) LuksHeader *h = NULL;
        _cleanup_free_ char *err = NULL;

        if (luks_header_parse_buffer(data, size, &h, &err) >= 0) {
                _cleanup_json_ json_object *j = luks_header_to_json(h);
                if (!j)
                        abort();
        } else if (!err)
                abort(); /* every rejection says why */
        return 0;
}
