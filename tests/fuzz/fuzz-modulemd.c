/* SPDX-License-Identifier: MIT */
/* A repository's modules.yaml, then modular filtering over its streams. */
#include <stdint.h>
#include <stdlib.h>

#include "cleanup.h"
#include "dnf-modules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(dnf_modules_done) DnfModules m = {};
        _cleanup_free_ char *err = NULL;

        if (size > 1024 * 1024 || dnf_modules_add_yaml(&m, (const char *) data, size, &err) < 0)
                return 0;
        if (dnf_modules_set_state(&m, "nodejs", "20", "enabled") < 0 || dnf_modules_resolve(&m) < 0)
                return 0;
        (void) dnf_modules_hides(&m, "nodejs", "1", "20.1", "1.el9", "x86_64");
        (void) dnf_modules_hides(&m, "bash", NULL, "5.2", "1", "noarch");
        return 0;
}
