/* SPDX-License-Identifier: MIT */
/* A package header blob of rpmdb.sqlite, rpm's version comparison on what it holds, and
 * dnf's release version from its Provides. */
#include <stdint.h>
#include <stdlib.h>

#include "dnf-vars.h"
#include "rpm-header.h"
#include "rpm-version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        DnfReleasever rel = {};
        RpmHeaderInfo h;

        if (size > 1024 * 1024 || rpm_header_parse(data, size, &h) < 0)
                return 0;
        (void) rpm_vercmp(h.version, h.release);
        (void) rpm_vercmp(h.name, h.arch ? h.arch : "");
        (void) dnf_releasever_add(&rel, &h);
        (void) dnf_releasever_get(&rel);
        dnf_releasever_done(&rel);
        return 0;
}
