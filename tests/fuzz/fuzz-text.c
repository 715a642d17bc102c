/* SPDX-License-Identifier: MIT */
/* The validation of claim text (common/text-util.c): whatever the bytes, text_escape()
 * gives text that text_is_safe() accepts, a valid check id is safe text, and an escaped
 * safe single-line text round-trips to itself when it holds no backslash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "macro.h"
#include "text-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = NULL, *e = NULL;

        if (size > 64 * 1024)
                return 0;
        s = strndup((const char *) data, size);
        if (!s)
                return 0;
        e = text_escape(s);
        if (!e)
                return 0;
        if (!text_is_safe(e, 4 * strlen(s), TEXT_EMPTY_OK))
                abort();
        if (check_id_is_valid(s) && !text_is_safe(s, CHECK_ID_MAX, 0))
                abort();
        if (text_is_safe(s, SIZE_MAX / 8, TEXT_EMPTY_OK) && !strchr(s, '\\') && !streq(s, e))
                abort();
        (void) csv_cell_is_formula(s);
        return 0;
}
