/* SPDX-License-Identifier: MIT */
/* The tray's reader of status.json (world-readable, so anything may be in it) and the
 * notice it composes from what it read. */
#include <stdint.h>
#include <stdlib.h>

#include "tray-notice.h"
#include "tray-status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        TrayStatus s;
        TrayNotice n;

        if (size > TRAY_STATUS_FILE_MAX)
                return 0;
        if (tray_status_parse((const char *) data, size, &s) < 0)
                return 0;
        s.running = true;
        if (tray_notice_compose(&s, &n) >= 0)
                tray_notice_done(&n);
        free(notice_access_text(&s.access)); /* what the details window says about access */
        tray_status_done(&s);
        return 0;
}
