/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>

#include "apt-conf.h"
#include "cleanup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(apt_conf_freep) AptConf *c = apt_conf_new();
        _cleanup_free_ char *err = NULL;

        if (!c)
                return 0;
        (void) apt_conf_parse(c, (const char *) data, size, &err);
        (void) apt_conf_get(c, "APT::Periodic::Unattended-Upgrade");
        (void) apt_conf_get_int(c, "APT::Periodic::Enable", 1);
        return 0;
}
