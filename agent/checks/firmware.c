/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "firmware.h"
#include "macro.h"

int efivar_parse_bool(const uint8_t *data, size_t size, uint32_t *ret_attributes, bool *ret) {
        if (size != 5 || data[4] > 1)
                return -EBADMSG;
        *ret_attributes = (uint32_t) data[0] | (uint32_t) data[1] << 8 | (uint32_t) data[2] << 16 |
                          (uint32_t) data[3] << 24;
        *ret = data[4] == 1;
        return 0;
}

int lockdown_parse(const char *text, const char **ret_mode) {
        static const char *const modes[] = { "none", "integrity", "confidentiality" };
        const char *open = strchr(text, '['), *close;

        if (!open || !(close = strchr(open, ']')) || strchr(close, '['))
                return -EBADMSG;
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if ((size_t) (close - open - 1) == strlen(modes[i]) &&
                    strncmp(open + 1, modes[i], strlen(modes[i])) == 0) {
                        *ret_mode = modes[i];
                        return 0;
                }
        return -EBADMSG;
}
