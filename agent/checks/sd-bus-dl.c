/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "dl-util.h"
#include "macro.h"
#include "sd-bus-dl.h"

#define SYM(f) { #f, offsetof(SdBusApi, f) }

static SdBusApi api;
static DlOnce once;

int sd_bus_api_load(const SdBusApi **ret, const char **ret_error) {
        static const DlSymbol table[] = {
                SYM(sd_bus_open_system), SYM(sd_bus_set_method_call_timeout), SYM(sd_bus_call_method),
                SYM(sd_bus_message_read), SYM(sd_bus_get_property_string), SYM(sd_bus_get_property_trivial),
                SYM(sd_bus_error_is_set), SYM(sd_bus_error_free), SYM(sd_bus_message_unref),
                SYM(sd_bus_flush_close_unref),
        };
        static const DlLibrary lib = { SD_BUS_DL_SONAME, table, ELEMENTSOF(table) };

        /* The checks run one after another in one thread. */
        int r = dl_load_once(&once, &lib, 1, &api, SD_BUS_DL_INSTALL, ret_error);
        if (r < 0)
                return r;
        *ret = &api;
        return 0;
}
