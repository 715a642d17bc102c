/* SPDX-License-Identifier: MIT */
/* RHEL 8's BerkeleyDB Packages database (read from memory), each value parsed as the
 * package header it should be. */
#include <stdint.h>
#include <stdlib.h>

#include "rpm-bdb.h"
#include "rpm-header.h"

static int on_record(uint32_t hdrnum, const uint8_t *value, size_t size, void *userdata) {
        RpmHeaderInfo h;
        size_t *n = userdata;

        (void) hdrnum;
        if (rpm_header_parse(value, size, &h) == 0)
                ++*n;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t n = 0;

        if (size > 1024 * 1024)
                return 0;
        (void) rpm_bdb_foreach(-1, data, size, on_record, &n);
        return 0;
}
