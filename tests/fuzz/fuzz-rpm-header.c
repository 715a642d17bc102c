/* SPDX-License-Identifier: MIT */
/* A package header blob of rpmdb.sqlite, and rpm's version comparison on what it holds. */
#include <stdint.h>
#include <stdlib.h>

#include "rpm-header.h"
#include "rpm-version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        RpmHeaderInfo h;

        if (size > 1024 * 1024 || rpm_header_parse(data, size, &h) < 0)
                return 0;
        (void) rpm_vercmp(h.version, h.release);
        (void) rpm_vercmp(h.name, h.arch ? h.arch : "");
        return 0;
}
