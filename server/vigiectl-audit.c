/* SPDX-License-Identifier: MIT */
/* vigiectl audit: placeholder until common/jws lands. */
#include "vigiectl.h"

int verb_audit(Ctl *ctl, int argc, char *argv[]) {
        (void) ctl; (void) argc; (void) argv;
        return VIGIECTL_EXIT_INTERNAL;
}
