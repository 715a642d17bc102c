/* SPDX-License-Identifier: MIT */
/* Placeholder until the check lands: always "unknown". */
#include "checks.h"
#include "i18n.h"

static int run(const CheckContext *ctx, CheckResult *result) {
        (void) ctx;
        return check_result_set(result, CHECK_UNKNOWN, "%s", _("This check is not implemented yet."));
}

const Check check_backup = {
        .id = "backup",
        .title = N_("Backup"),
        .run = run,
};
