/* SPDX-License-Identifier: MIT */
#include <stdint.h>

#include "backup-source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        usec_t t;

        (void) stamp_parse((const char *) data, size, &t);
        return 0;
}
