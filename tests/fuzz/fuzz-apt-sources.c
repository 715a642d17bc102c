/* SPDX-License-Identifier: MIT */
/* sources.list in both formats: the first byte picks one-line or deb822. */
#include <stdint.h>
#include <stdlib.h>

#include "apt-sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        AptSources s = {};

        if (size < 1 || size > 65536)
                return 0;
        (void) apt_sources_parse(&s, data[0] & 1 ? "x.sources" : "sources.list", (const char *) data + 1, size - 1);
        (void) apt_sources_wants(&s, "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages");
        apt_sources_done(&s);
        return 0;
}
