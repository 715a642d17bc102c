/* SPDX-License-Identifier: MIT */
/* The versionlock plugin's lock list, then the patterns matched against a few packages. */
#include <stdint.h>
#include <stdlib.h>

#include "cleanup.h"
#include "dnf-versionlock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(dnf_versionlock_done) DnfVersionlock v = {};

        if (size > 65536 || dnf_versionlock_parse(&v, (const char *) data, size) < 0)
                return 0;
        (void) dnf_versionlock_hides(&v, "bash", NULL, "5.2.15", "1.fc38", "x86_64");
        (void) dnf_versionlock_hides(&v, "kernel-core", "1", "6.11", "200.fc41", "x86_64");
        (void) dnf_versionlock_locked(&v, "bash", "0", "5.2.15", "1.fc38", "noarch");
        return 0;
}
